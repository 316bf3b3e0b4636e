from .banet import BANet
from .occlusion_handling_panoptic_fpn import OcclusionHandlingPanopticFPN
from .refine import REFINE

__all__ = ['REFINE', 'BANet', 'OcclusionHandlingPanopticFPN']

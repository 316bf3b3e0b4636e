from .refine import REFINE
from .banet import BANet
from .occlusion_handling_panoptic_fpn import OcclusionHandlingPanopticFPN

__all__ = ['REFINE', 'BANet', 'OcclusionHandlingPanopticFPN']

from .refine_fusion_head import REFINEFusionHead
from .occlusion_handling_fusion_head import OcclusionHandlingFusionHead

__all__ = ['REFINEFusionHead', 'OcclusionHandlingFusionHead']

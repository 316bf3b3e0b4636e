from .occlusion_handling_fusion_head import OcclusionHandlingFusionHead
from .refine_fusion_head import REFINEFusionHead

__all__ = ['REFINEFusionHead', 'OcclusionHandlingFusionHead']

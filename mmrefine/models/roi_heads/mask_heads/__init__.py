from .ibpp_mask_head import IBPPMaskHead
from .occlusion_head import OcclusionHead
from .banet_mask_head import BANetMaskHead

__all__ = ['IBPPMaskHead', 'OcclusionHead', 'BANetMaskHead']

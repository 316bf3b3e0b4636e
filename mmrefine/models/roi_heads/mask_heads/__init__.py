from .banet_mask_head import BANetMaskHead
from .feature_fcn_mask_head import FeatureFCNMaskHead
from .ibpp_mask_head import IBPPMaskHead
from .pairwise_occlusion_head import PairwiseOcclusionHead

__all__ = [
    'BANetMaskHead', 'FeatureFCNMaskHead', 'IBPPMaskHead',
    'PairwiseOcclusionHead'
]

from .roi_inlay import RoIInlay, roi_inlay, roi_inlay_pytorch
from .roi_upsample import RoIUpsample, roi_upsample

__all__ = [
    'RoIInlay', 'roi_inlay', 'roi_inlay_pytorch', 'RoIUpsample', 'roi_upsample'
]

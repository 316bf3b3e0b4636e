from .banet_roi_head import BANetRoIHead
from .ibpp_roi_head import IBPPRoIHead
from .mask_heads import *  # noqa: F401,F403
from .mask_heads import __all__ as _mask_heads

__all__ = ['IBPPRoIHead', *_mask_heads, 'BANetRoIHead']

from .banet_semantic_head import BANetSemanticHead
from .ibpp_semantic_head import IBPPSemanticHead
from .panoptic_fusion_heads import *  # noqa: F401,F403
from .panoptic_fusion_heads import __all__ as _fusion_heads
from .refine_semantic_head import REFINESemanticHead

__all__ = [
    'REFINESemanticHead', 'IBPPSemanticHead', *_fusion_heads,
    'BANetSemanticHead'
]

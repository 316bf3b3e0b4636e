from .panoptic_fusion_heads import *  # noqa: F401,F403
from .panoptic_fusion_heads import __all__ as _fusion_heads
from .refine_semantic_head import REFINESemanticHead
from .semantic_refine_head import SemanticRefineHead
from .banet_semantic_head import BANetSemanticHead

__all__ = [
    'REFINESemanticHead', 'SemanticRefineHead', *_fusion_heads,
    'BANetSemanticHead'
]

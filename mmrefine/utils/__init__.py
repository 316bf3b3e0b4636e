from .checkpoint_safe_globals import register_checkpoint_safe_globals
from .shapes_pretrained_backbone import (ensure_shapes_pretrained,
                                         pretrain_shapes_backbone)

__all__ = [
    'register_checkpoint_safe_globals', 'ensure_shapes_pretrained',
    'pretrain_shapes_backbone'
]

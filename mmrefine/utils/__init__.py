from .checkpoint_safe_globals import register_checkpoint_safe_globals
from .result_grid import ResultGrid, format_mean_std, load_grids
from .shapes_pretrained_backbone import (ensure_shapes_pretrained,
                                         pretrain_shapes_backbone)

__all__ = [
    'register_checkpoint_safe_globals', 'ResultGrid', 'format_mean_std',
    'load_grids', 'ensure_shapes_pretrained', 'pretrain_shapes_backbone'
]

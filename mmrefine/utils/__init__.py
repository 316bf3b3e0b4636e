from .checkpoint_safe_globals import register_checkpoint_safe_globals
from .claim_verdict import gain_verdict, pooled_accuracy, wilson_interval
from .machine_info import machine_info
from .option_checks import check_number, merge_options
from .result_grid import ResultGrid, format_mean_std, load_grids
from .shapes_pretrained_backbone import (ensure_shapes_pretrained,
                                         pretrain_shapes_backbone)

__all__ = [
    'register_checkpoint_safe_globals', 'check_number', 'merge_options',
    'ResultGrid', 'format_mean_std', 'load_grids', 'ensure_shapes_pretrained',
    'pretrain_shapes_backbone', 'gain_verdict', 'pooled_accuracy',
    'wilson_interval', 'machine_info'
]

from .checkpoint_safe_globals import register_checkpoint_safe_globals
from .option_checks import check_number, merge_options

__all__ = ['register_checkpoint_safe_globals', 'check_number', 'merge_options']

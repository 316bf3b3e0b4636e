"""Argument checks shared by the RoI paste operators (RoIInlay, ROI-Flatten):
a ``ValueError`` that names the operator, the argument and what was
expected."""
import math
import numbers
from typing import Sequence, Tuple


def check_out_size(op: str, out_size: Sequence[int],
                   what: str = '') -> Tuple[int, int, int]:
    """``out_size`` as three non-negative ints ``(num_imgs, H, W)``."""
    try:
        num_imgs, height, width = (int(v) for v in out_size)
        is_int = all(isinstance(v, numbers.Integral) for v in out_size)
    except (TypeError, ValueError):
        is_int = False
    if not is_int or min(num_imgs, height, width) < 0:
        raise ValueError(f'{op}: out_size must be (num_imgs, H, W){what}, '
                         f'three non-negative ints, got {out_size!r}')
    return num_imgs, height, width


def check_spatial_scale(op: str, spatial_scale: float) -> None:
    """``spatial_scale`` as a finite number > 0."""
    if not (isinstance(spatial_scale, numbers.Real)
            and math.isfinite(spatial_scale) and spatial_scale > 0):
        raise ValueError(f'{op}: spatial_scale must be a finite number > 0, '
                         f'got {spatial_scale!r}')

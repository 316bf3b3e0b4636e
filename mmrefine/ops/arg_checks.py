"""Argument checks shared by the RoI paste operators (RoIInlay, ROI-Flatten):
a ``ValueError`` that names the operator, the argument and what was
expected."""
import math
import numbers
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor


def check_out_size(op: str,
                   out_size: Sequence[int],
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


def check_roi_values(op: str,
                     rois: Tensor,
                     num_imgs: int,
                     require_ordered: bool = True,
                     ordered_hint: str = '',
                     also_valid: Optional[Tensor] = None) -> Optional[int]:
    """Reject the first of the (K, 5) ``rois`` that is not finite, whose
    batch index is not an integer in ``[0, num_imgs)``, or (with
    ``require_ordered``) that has ``x2 < x1`` or ``y2 < y1``.

    ``also_valid`` (K,) bool holds the caller's further per-RoI conditions,
    checked in the same single device synchronisation: the index of the
    first RoI that fails only those is returned for the caller to report;
    None when every RoI passes.
    """
    if rois.size(0) == 0:
        return None
    batch_idx = rois[:, 0]
    finite = torch.isfinite(rois).all(dim=1)
    in_batch = ((batch_idx >= 0) & (batch_idx < num_imgs)
                & (batch_idx == batch_idx.floor()))
    valid = finite & in_batch
    if require_ordered:
        valid &= (rois[:, 3] >= rois[:, 1]) & (rois[:, 4] >= rois[:, 2])
    if also_valid is not None:
        valid &= also_valid
    if bool(valid.all()):  # the one synchronisation
        return None
    k = int((~valid).nonzero()[0])
    row = rois[k].tolist()
    if not bool(finite[k]):
        raise ValueError(f'{op}: rois[{k}] = {row} is not finite')
    if not bool(in_batch[k]):
        raise ValueError(f'{op}: rois[{k}] has batch index {row[0]}; expected '
                         f'an integer in [0, num_imgs = {num_imgs})')
    if require_ordered and not (row[3] >= row[1] and row[4] >= row[2]):
        raise ValueError(
            f'{op}: rois[{k}] = {row} has x2 < x1 or y2 < y1{ordered_hint}')
    return k

"""ROI-Flatten: paste per-RoI instance masks onto a per-class canvas.

REFINE (Ren et al., AAAI 2021), Eq. (5): ``P_ins^(t) = ROI-Flatten(m_ins^(t))``
pastes every ``1 x m x m`` instance mask at its box into the channel of its
class on a ``C_ins x H/4 x W/4`` canvas, which H~sem then reads together with
F_sem (Eq. 6).

What the canvas holds. The masks come in as LOGITS (the mask head's output for
each RoI's own class) and are pasted as probabilities ``sigmoid(logit)``:
bounded in ``[0, 1]``, with an empty pixel simply ``0`` ("no instance of this
class here"), which is a well-scaled input for a conv head and needs no
sentinel value such as a large negative logit.

How overlaps combine: the maximum. Two RoIs of one class and image that cover
a pixel give it the larger of their two probabilities. Training pastes the
positive RoIs, many of which cover the same object, while inference pastes one
detection per object after NMS; a sum would grow with the number of duplicate
RoIs and so differ between training and testing, the maximum does not (and
stays a probability). The gradient of a pixel goes to the RoI that holds its
maximum.

Coordinates: mmdet's ``_do_paste_mask`` at ``spatial_scale``, which is also
mmcv RoIAlign's ``aligned=True`` convention. Canvas pixel ``p`` (a row or
column index) has its centre at image coordinate ``(p + 0.5) / spatial_scale``;
an RoI ``[x1, x2]`` is split into ``m`` equal bins whose centres
``x1 + (i + 0.5) (x2 - x1) / m`` carry the mask values (exactly where
RoIAlign(aligned=True) sampled the features the mask was predicted from), and
a pixel takes the bilinear mix of its nearest bin centres
(``grid_sample(align_corners=False)``) with zeros beyond the mask. A mask
therefore fades to 0 over the half bin on either side of its box edge, as
``_do_paste_mask(..., skip_empty=False)`` pastes it; with
``spatial_scale=1`` the two are equal.
"""
import numbers
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...ops.arg_checks import (check_out_size, check_roi_values,
                               check_spatial_scale)

_FLOAT_DTYPES = (torch.float16, torch.float32, torch.float64)
# Elements of one chunk of sampled RoI windows: bounds the memory of the
# sampling grid (and of its autograd graph) when many large RoIs are pasted.
_CHUNK_NUMEL = 1 << 24


def _check_args(masks: Tensor, rois: Tensor, labels: Tensor, num_classes: int,
                out_size: Sequence[int],
                spatial_scale: float) -> Tuple[int, int, int]:
    """Validate the arguments of :func:`roi_flatten`; return ``out_size``.

    Checking the RoI and label values costs one device synchronisation.
    """

    def fail(message):
        raise ValueError(f'roi_flatten: {message}')

    for name, value in (('masks', masks), ('rois', rois), ('labels', labels)):
        if not isinstance(value, Tensor):
            fail(f'{name} must be a Tensor, got {type(value).__name__}')
    if (masks.dim() != 4 or masks.size(1) != 1 or masks.size(2) == 0
            or masks.size(3) == 0):
        fail('masks must be (K, 1, m, m) mask logits, one mask per RoI, got '
             f'shape {tuple(masks.shape)}')
    if masks.dtype not in _FLOAT_DTYPES:
        fail(f'masks must be float16, float32 or float64, got {masks.dtype}')
    num_rois = masks.size(0)
    if rois.dim() != 2 or rois.size(1) != 5 or rois.size(0) != num_rois:
        fail(f'rois must be (K, 5) = ({num_rois}, 5) rows of [batch_idx, x1, '
             f'y1, x2, y2], got shape {tuple(rois.shape)}')
    if not rois.is_floating_point():
        fail(f'rois must be a floating point tensor, got {rois.dtype}')
    if labels.dim() != 1 or labels.size(0) != num_rois:
        fail(f'labels must be (K,) = ({num_rois},) class indices, got shape '
             f'{tuple(labels.shape)}')
    if labels.is_floating_point() or labels.dtype == torch.bool:
        fail(f'labels must be an integer tensor, got {labels.dtype}')
    for name, value in (('rois', rois), ('labels', labels)):
        if value.device != masks.device:
            fail(f'{name} must be on the device of masks ({masks.device}), '
                 f'got {value.device}')
    if not (isinstance(num_classes, numbers.Integral) and num_classes > 0):
        fail(f'num_classes must be an int > 0, got {num_classes!r}')
    num_imgs, height, width = check_out_size('roi_flatten', out_size,
                                             ' of the canvas')
    check_spatial_scale('roi_flatten', spatial_scale)
    k = check_roi_values(
        'roi_flatten',
        rois,
        num_imgs,
        also_valid=(labels >= 0) & (labels < num_classes))
    if k is not None:
        fail(f'labels[{k}] = {int(labels[k])}; expected a class index in '
             f'[0, num_classes = {num_classes})')
    return num_imgs, height, width


def _paste_axis(coord1: Tensor, coord2: Tensor, spatial_scale: float,
                mask_size: int, size: int) -> Tuple[Tensor, Tensor, Tensor]:
    """Canvas pixels each RoI may cover along one axis, and where they sample.

    Returns:
        tuple[Tensor]: ``(K, L)`` pixel indices (padded entries clamped into
        the canvas), ``(K, L)`` validity and ``(K, L)`` ``grid_sample``
        coordinates (``align_corners=False``: -1 / +1 are the box edges), with
        ``L`` the most pixels any RoI covers.
    """
    # Zero-size boxes paste nothing instead of dividing by zero.
    length = (coord2 - coord1).clamp(min=1e-6)
    half_bin = length / (2 * mask_size)
    # Pixels whose centre lies within half a bin of the box: beyond that the
    # bilinear weights of all mask values are 0. One pixel of slack each side
    # guards the rounding; those pixels sample exact zeros.
    begin = ((coord1 - half_bin) * spatial_scale - 0.5).floor().clamp(0, size)
    stop = ((coord2 + half_bin) * spatial_scale - 0.5).ceil() + 1
    stop = torch.maximum(stop.clamp(0, size), begin)
    begin, num = begin.long(), (stop - begin).long()
    steps = torch.arange(int(num.max()), device=coord1.device)
    pixels = begin[:, None] + steps
    valid = steps < num[:, None]
    centres = (pixels.to(coord1.dtype) + 0.5) / spatial_scale
    grid = (centres - coord1[:, None]) / length[:, None] * 2 - 1
    return pixels.clamp(max=max(size - 1, 0)), valid, grid


def roi_flatten(masks: Tensor, rois: Tensor, labels: Tensor, num_classes: int,
                out_size: Sequence[int], spatial_scale: float) -> Tensor:
    """Paste RoI mask logits as probabilities onto a per-class canvas.

    ``P[b, c, y, x] = max_k sigmoid(m_k)(y, x)`` over the RoIs ``k`` of image
    ``b`` with label ``c``, where ``sigmoid(m_k)(y, x)`` is mask ``k`` pasted
    bilinearly at its box (see the module docstring for the convention), and
    ``0`` where no RoI of that class reaches.

    Args:
        masks (Tensor): ``(K, 1, m, m)`` mask LOGITS, one per RoI (the mask
            head's channel of the RoI's own class); float16/32/64.
        rois (Tensor): ``(K, 5)`` rows ``[batch_idx, x1, y1, x2, y2]`` in image
            coordinates, on the device of ``masks``.
        labels (Tensor): ``(K,)`` integer class indices in
            ``[0, num_classes)``.
        num_classes (int): channels of the canvas (C_ins).
        out_size (tuple[int]): ``(num_imgs, H, W)``: the number of images and
            the canvas size at ``spatial_scale`` (e.g. F_sem's ``(B, H/4,
            W/4)``). The number of images is explicit because an image may
            have no RoI.
        spatial_scale (float): scale of the canvas w.r.t. the image (1/4).

    Returns:
        Tensor: ``(num_imgs, num_classes, H, W)`` probabilities in the dtype of
        ``masks``, differentiable w.r.t. ``masks``; with no RoI, zeros that
        are still part of the graph.
    """
    num_imgs, height, width = _check_args(masks, rois, labels, num_classes,
                                          out_size, spatial_scale)
    num_rois, _, mask_h, mask_w = masks.shape
    canvas = masks.new_zeros(num_imgs * num_classes * height * width)
    if num_rois == 0 or canvas.numel() == 0:
        # Keep the canvas in the graph: backward then gives zero gradients.
        canvas = canvas + masks.sum() * 0
        return canvas.view(num_imgs, num_classes, height, width)

    geometry_dtype = (
        torch.float64 if masks.dtype == torch.float64 else torch.float32)
    rois = rois.to(geometry_dtype)
    rows, rows_valid, grid_y = _paste_axis(rois[:, 2], rois[:, 4],
                                           spatial_scale, mask_h, height)
    cols, cols_valid, grid_x = _paste_axis(rois[:, 1], rois[:, 3],
                                           spatial_scale, mask_w, width)
    valid = rows_valid[:, :, None] & cols_valid[:, None, :]
    plane = rois[:, 0].long() * num_classes + labels.long()
    index = (plane[:, None, None] * height + rows[:, :, None]) * width \
        + cols[:, None, :]
    grid = torch.stack([
        grid_x[:, None, :].expand_as(valid), grid_y[:, :,
                                                    None].expand_as(valid)
    ],
                       dim=-1).to(masks.dtype)
    probs = masks.sigmoid()
    chunk = max(1, _CHUNK_NUMEL // valid[0].numel())
    for k in range(0, num_rois, chunk):
        pasted = F.grid_sample(
            probs[k:k + chunk],
            grid[k:k + chunk],
            mode='bilinear',
            padding_mode='zeros',
            align_corners=False)[:, 0]
        keep = valid[k:k + chunk]
        canvas = canvas.scatter_reduce(
            0,
            index[k:k + chunk][keep],
            pasted[keep],
            reduce='amax',
            include_self=True)
    return canvas.view(num_imgs, num_classes, height, width)


class RoIFlatten(nn.Module):
    """ROI-Flatten of REFINE (AAAI 2021, Eq. 5).

    ``P_ins = ROI-Flatten(m_ins)``: every RoI's ``1 x m x m`` mask (logits) is
    pasted, as a probability, at its box into its class's channel of a
    ``C_ins x H/4 x W/4`` canvas; overlapping RoIs of one class combine by
    their maximum, uncovered pixels are 0. See :func:`roi_flatten` for the
    arguments and the module docstring for the coordinate convention.

    Args:
        num_classes (int): canvas channels C_ins (the thing classes).
        spatial_scale (float): scale of the canvas w.r.t. the image.
            Default: 1/4 (F_sem).
    """

    def __init__(self, num_classes: int, spatial_scale: float = 0.25) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.spatial_scale = float(spatial_scale)

    def forward(self, masks: Tensor, rois: Tensor, labels: Tensor,
                out_size: Sequence[int]) -> Tensor:
        """(K, 1, m, m) logits -> (B, C_ins, H, W), out_size = (B, H, W)."""
        return roi_flatten(masks, rois, labels, self.num_classes, out_size,
                           self.spatial_scale)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'spatial_scale={self.spatial_scale})')

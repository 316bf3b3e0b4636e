"""RoIInlay: put RoIAligned features back where they were cropped from.

BANet (Chen et al., CVPR 2020), Sec. 3.2, Eq. (2)-(3). RoIAlign with an
``m x m`` output crops an RoI of size ``(w_r, h_r)`` into ``m x m`` bins and
samples each bin at its centre. RoIInlay places those ``m x m`` values back on
the sampling points and fills every pixel ``(a, b)`` inside the RoI from its
four nearest sampling points ``(x_i, y_i)``::

    v(a, b) = sum_i G(a, x_i, b_w) G(b, y_i, b_h) v(x_i, y_i),
    G(a, x_i, b) = 1 - |a - x_i| / b,

with bin sizes ``b_w = w_r / m``, ``b_h = h_r / m``. Pixels inside the RoI but
beyond the outermost sampling points take the value of the nearest boundary
point; a pixel covered by several RoIs of its image takes their average; a
pixel covered by none is 0.

Coordinates (the pixel-centre convention). Work in the index space of the
target map at ``spatial_scale``: pixel ``p`` (a row or column index) sits at
coordinate ``p``, exactly as mmcv's RoIAlign addresses its input. An RoI
``[x1, x2]`` in image coordinates spans ``[start, end)`` with
``start = x1 * spatial_scale - 0.5`` and
``end = x2 * spatial_scale - 0.5`` when ``aligned`` (mmcv's convention: a
pixel's centre is at ``+0.5`` in continuous coordinates); with
``aligned=False``, ``start = x1 * spatial_scale``,
``end = x2 * spatial_scale`` and the length is raised to at least 1
(mmcv's legacy mode). Pixel ``p`` is inside the RoI iff
``start <= p < end`` along both axes, i.e. with ``aligned=True`` iff its
centre ``p + 0.5`` lies in ``[x1 * spatial_scale, x2 * spatial_scale)``.
Half-open intervals make RoIs that share an edge claim disjoint pixels,
and zero-width RoIs claim none. The sampling points sit at
``start + (i + 0.5) * bin``, which is where mmcv's
``roi_align(..., sampling_ratio=1)`` samples, so a pixel's lattice
coordinate is ``t = (p - start) / bin - 0.5``, clamped to ``[0, m - 1]``.

The compiled extension (``mmrefine._ext``, CPU and CUDA) is used when it is
built; otherwise :func:`roi_inlay` falls back to :func:`roi_inlay_pytorch`,
the pure-PyTorch reference, with one warning.
"""
import functools
import importlib.util
import warnings
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd import Function
from torch.autograd.function import once_differentiable

from .arg_checks import check_out_size, check_roi_values, check_spatial_scale

try:
    from mmrefine import _ext as ext_module
    _EXT_IMPORT_ERROR = None
except ImportError as error:  # not built, or built against another torch
    ext_module = None
    _EXT_IMPORT_ERROR = error

_FLOAT_DTYPES = (torch.float16, torch.float32, torch.float64)
# Elements of one chunk of interpolated RoI features in the reference; bounds
# its memory (and that of its autograd graph) to a few hundred MB.
_REFERENCE_CHUNK_NUMEL = 1 << 25


@functools.lru_cache(maxsize=None)
def _warn_missing_extension() -> None:
    reason = ('it is not built' if importlib.util.find_spec('mmrefine._ext')
              is None else f'it does not load: {_EXT_IMPORT_ERROR}')
    warnings.warn(
        f'mmrefine._ext, the compiled RoIInlay, is not available ({reason}); '
        'using the much slower PyTorch reference roi_inlay_pytorch. Build it '
        'with `pip install --no-build-isolation -e .` in the mmrefine '
        'checkout, with MMREFINE_WITH_OPS unset (FORCE_CUDA=1 adds the CUDA '
        'kernels without a visible GPU).')


def check_roi_inlay_args(op_name: str, roi_feats: Tensor, rois: Tensor,
                         out_size: Sequence[int], spatial_scale: float,
                         aligned: bool) -> Tuple[int, int, int]:
    """Validate the arguments of an RoI inlaying op; return ``out_size``.

    Raises:
        ValueError: naming the argument and what was expected. Checking the
            RoI values costs one device synchronisation on CUDA.
    """

    def fail(message):
        raise ValueError(f'{op_name}: {message}')

    if not isinstance(roi_feats, Tensor):
        fail(f'roi_feats must be a Tensor, got {type(roi_feats).__name__}')
    if not isinstance(rois, Tensor):
        fail(f'rois must be a Tensor, got {type(rois).__name__}')
    if roi_feats.dim() != 4 or roi_feats.size(2) == 0 or roi_feats.size(
            3) == 0:
        fail('roi_feats must be (K, C, mh, mw) with mh, mw > 0 (as RoIAlign '
             f'returns it), got shape {tuple(roi_feats.shape)}')
    if roi_feats.dtype not in _FLOAT_DTYPES:
        fail('roi_feats must be float16, float32 or float64, got '
             f'{roi_feats.dtype}')
    num_rois = roi_feats.size(0)
    if rois.dim() != 2 or rois.size(1) != 5 or rois.size(0) != num_rois:
        fail(f'rois must be (K, 5) = ({num_rois}, 5) rows of [batch_idx, x1, '
             f'y1, x2, y2], got shape {tuple(rois.shape)}')
    if rois.dtype != roi_feats.dtype:
        fail(f'rois must have the dtype of roi_feats ({roi_feats.dtype}), got '
             f'{rois.dtype}')
    if rois.device != roi_feats.device:
        fail(f'rois must be on the device of roi_feats ({roi_feats.device}), '
             f'got {rois.device}')
    num_imgs, height, width = check_out_size(op_name, out_size)
    check_spatial_scale(op_name, spatial_scale)
    if not isinstance(aligned, bool):
        fail(f'aligned must be a bool, got {aligned!r}')
    check_roi_values(
        op_name,
        rois,
        num_imgs,
        require_ordered=aligned,
        ordered_hint='; aligned RoIs need x2 >= x1 and y2 >= y1')
    return num_imgs, height, width


class RoIInlayFunction(Function):
    """Autograd function of the compiled RoIInlay (gradient for roi_feats)."""

    @staticmethod
    def forward(ctx, roi_feats: Tensor, rois: Tensor, out_size: Sequence[int],
                spatial_scale: float, aligned: bool) -> Tensor:
        num_imgs, height, width = check_roi_inlay_args('roi_inlay', roi_feats,
                                                       rois, out_size,
                                                       spatial_scale, aligned)
        rois = rois.contiguous()
        ctx.spatial_scale = float(spatial_scale)
        ctx.aligned = aligned
        ctx.roi_feats_shape = roi_feats.shape
        ctx.save_for_backward(rois)
        output = roi_feats.new_empty(
            (num_imgs, roi_feats.size(1), height, width))
        ext_module.roi_inlay_forward(
            roi_feats.contiguous(),
            rois,
            output,
            spatial_scale=ctx.spatial_scale,
            aligned=aligned)
        return output

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output: Tensor) -> tuple:
        rois, = ctx.saved_tensors
        grad_roi_feats = grad_output.new_empty(ctx.roi_feats_shape)
        ext_module.roi_inlay_backward(
            grad_output.contiguous(),
            rois,
            grad_roi_feats,
            spatial_scale=ctx.spatial_scale,
            aligned=ctx.aligned)
        return grad_roi_feats, None, None, None, None


def roi_inlay(roi_feats: Tensor,
              rois: Tensor,
              out_size: Sequence[int],
              spatial_scale: float,
              aligned: bool = True) -> Tensor:
    """Inlay RoI features into an empty ``(B, C, H, W)`` map (BANet Eq. 2).

    Args:
        roi_feats (Tensor): ``(K, C, mh, mw)`` RoI features, as mmcv's
            RoIAlign returns them (float16/32/64).
        rois (Tensor): ``(K, 5)`` rows ``[batch_idx, x1, y1, x2, y2]`` in image
            coordinates, same dtype and device as ``roi_feats``.
        out_size (tuple[int]): ``(num_imgs, H, W)``: the number of images ``B``
            and the size of the target map at ``spatial_scale``. ``B`` is
            explicit because it cannot be told from the RoIs (an image may
            have none).
        spatial_scale (float): scale of the target map w.r.t. the image, as
            given to the RoIAlign that produced ``roi_feats``.
        aligned (bool): mmcv's RoIAlign ``aligned`` convention (see the module
            docstring for exactly which pixels an RoI covers).

    Returns:
        Tensor: ``(B, C, H, W)``; differentiable w.r.t. ``roi_feats``.
    """
    if ext_module is None:
        _warn_missing_extension()
        return roi_inlay_pytorch(roi_feats, rois, out_size, spatial_scale,
                                 aligned)
    return RoIInlayFunction.apply(roi_feats, rois, out_size, spatial_scale,
                                  aligned)


def _roi_axis(coord1: Tensor, coord2: Tensor, spatial_scale: float,
              aligned: bool, points: int,
              size: int) -> Tuple[Tensor, Tensor, Tensor]:
    """Pixels of every RoI along one axis and their lattice coordinates.

    Mirrors ``roi_inlay_axis`` and ``roi_inlay_tap`` in
    ``csrc/common/roi_inlay_geometry.h`` operation by operation.

    Returns:
        tuple[Tensor]: ``(K, L)`` pixel indices (padded entries are clamped
        into the map), ``(K, L)`` validity mask and ``(K, L)`` lattice
        coordinates ``t`` in ``[0, points - 1]`` (0 at padded entries), with
        ``L`` the most pixels any RoI covers.
    """
    offset = 0.5 if aligned else 0.0
    start = coord1 * spatial_scale - offset
    end = coord2 * spatial_scale - offset
    length = end - start
    if not aligned:
        short = ~(length >= 1)
        length = torch.where(short, torch.ones_like(length), length)
        end = torch.where(short, start + 1, end)
    bin_size = length / points
    begin = start.ceil().clamp(0, size)
    stop = torch.maximum(end.ceil().clamp(0, size), begin)
    begin, num = begin.long(), (stop - begin).long()
    steps = torch.arange(int(num.max()), device=coord1.device)
    pixels = begin[:, None] + steps
    valid = steps < num[:, None]
    t = (pixels.to(start.dtype) - start[:, None]) / bin_size[:, None] - 0.5
    t = torch.where(valid, t.clamp(0, points - 1), torch.zeros_like(t))
    return pixels.clamp(max=max(size - 1, 0)), valid, t


def roi_inlay_pytorch(roi_feats: Tensor,
                      rois: Tensor,
                      out_size: Sequence[int],
                      spatial_scale: float,
                      aligned: bool = True) -> Tensor:
    """Pure-PyTorch RoIInlay: the reference the extension is tested against.

    Same arguments and result as :func:`roi_inlay`, differentiable through
    autograd. Vectorised over RoIs: the interpolation is one ``grid_sample``
    (bilinear, border padding, which is exactly the clamping to the lattice)
    per chunk of RoIs, and the average over RoIs one ``index_add_`` into a
    pixel-major map. The result is a ``channels_last`` view of that map.
    """
    num_imgs, height, width = check_roi_inlay_args('roi_inlay_pytorch',
                                                   roi_feats, rois, out_size,
                                                   spatial_scale, aligned)
    num_rois, channels, roi_height, roi_width = roi_feats.shape
    output = roi_feats.new_zeros(num_imgs * height * width, channels)
    if num_rois > 0 and output.numel() > 0:
        geometry_dtype = (
            torch.float64
            if roi_feats.dtype == torch.float64 else torch.float32)
        rois = rois.to(geometry_dtype)
        rows, rows_valid, t_y = _roi_axis(rois[:, 2], rois[:,
                                                           4], spatial_scale,
                                          aligned, roi_height, height)
        cols, cols_valid, t_x = _roi_axis(rois[:, 1], rois[:,
                                                           3], spatial_scale,
                                          aligned, roi_width, width)
        valid = rows_valid[:, :, None] & cols_valid[:, None, :]
        pixel = (
            (rois[:, 0].long()[:, None, None] * height + rows[:, :, None]) *
            width + cols[:, None, :])
        count = torch.zeros(
            output.size(0), dtype=geometry_dtype,
            device=output.device).index_add_(0, pixel[valid],
                                             valid[valid].to(geometry_dtype))
        weight = torch.where(valid, 1 / count[pixel], 0).to(roi_feats.dtype)
        # grid_sample(align_corners=True) maps -1 / +1 to the first / last
        # point.
        grid = torch.stack([
            t_x[:, None, :].expand_as(valid) * (2 / max(roi_width - 1, 1)) - 1,
            t_y[:, :, None].expand_as(valid) * (2 / max(roi_height - 1, 1)) - 1
        ],
                           dim=-1).to(roi_feats.dtype)
        per_roi = channels * valid.size(1) * valid.size(2)
        chunk = max(1, _REFERENCE_CHUNK_NUMEL // max(per_roi, 1))
        for k in range(0, num_rois, chunk):
            values = F.grid_sample(
                roi_feats[k:k + chunk],
                grid[k:k + chunk],
                mode='bilinear',
                padding_mode='border',
                align_corners=True) * weight[k:k + chunk, None]
            output.index_add_(0, pixel[k:k + chunk].reshape(-1),
                              values.permute(0, 2, 3, 1).reshape(-1, channels))
    elif roi_feats.requires_grad:
        # Keep the result in the graph so that backward gives a zero gradient.
        output = output + roi_feats[:0].sum()
    return output.view(num_imgs, height, width, channels).permute(0, 3, 1, 2)


class RoIInlay(nn.Module):
    """RoIInlay layer of BANet (CVPR 2020, Sec. 3.2, Eq. 2-3).

    Restores RoI features (e.g. the instance features F_ins of the mask head)
    to their place on a full map F_inlay: every pixel inside an RoI is the
    bilinear mix of its four nearest RoIAlign sampling points with kernel
    ``G(a, x_i, b) = 1 - |a - x_i| / b`` (clamped to the boundary points),
    overlapping RoIs are averaged, uncovered pixels are 0. See
    :func:`roi_inlay` for the arguments and the module docstring for the
    coordinate convention.

    Args:
        spatial_scale (float): scale of the target map w.r.t. the image.
        aligned (bool): mmcv RoIAlign's ``aligned`` convention. Default: True.
    """

    def __init__(self, spatial_scale: float, aligned: bool = True) -> None:
        super().__init__()
        self.spatial_scale = float(spatial_scale)
        self.aligned = aligned

    def forward(self, roi_feats: Tensor, rois: Tensor,
                out_size: Sequence[int]) -> Tensor:
        """(K, C, mh, mw) RoI features -> (B, C, H, W).

        ``out_size`` is ``(B, H, W)``.
        """
        return roi_inlay(roi_feats, rois, out_size, self.spatial_scale,
                         self.aligned)

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(spatial_scale={self.spatial_scale}, '
            f'aligned={self.aligned})')

"""RoIUpsample: the baseline RoIInlay is compared with (BANet, appendix A).

RoIUpsample is the adjoint of RoIAlign's bilinear sampling: each of the
``m x m`` sampling points scatters its value to the (up to) 4 pixels it was
interpolated from, with the same bilinear weights, summed over points and RoIs.
A pixel thus receives values only from sampling points within one pixel of it
("a single reference per pixel"); when bins are larger than 2 pixels some
pixels inside the RoI receive none (the "holes" of BANet's Fig. 5 and 7).

It is computed exactly as that adjoint, with mmcv's own RoIAlign kernels:
forward = ``roi_align_backward`` (sampling_ratio=1, average pooling),
backward = ``roi_align_forward``. Coordinates follow mmcv's RoIAlign, so the
sampling points are those of :func:`~mmrefine.ops.roi_inlay`.

Only ``tools/analysis_tools/benchmark_roi_inlay.py`` uses it, so
``mmrefine.ops`` does not export it.
"""
from typing import Sequence

from torch import Tensor
from torch.autograd import Function
from torch.autograd.function import once_differentiable

from .roi_inlay import check_roi_inlay_args

_AVG_POOL = 1  # mmcv's pool_mode for 'avg'
_SAMPLING_RATIO = 1  # one sampling point per bin, at its centre


def _mmcv_ext():
    # Imported on first use so that importing mmrefine.ops never needs mmcv's
    # compiled ops.
    from mmcv.utils import ext_loader
    return ext_loader.load_ext('_ext',
                               ['roi_align_forward', 'roi_align_backward'])


class RoIUpsampleFunction(Function):
    """Autograd function of RoIUpsample (gradient for roi_feats)."""

    @staticmethod
    def forward(ctx, roi_feats: Tensor, rois: Tensor, out_size: Sequence[int],
                spatial_scale: float, aligned: bool) -> Tensor:
        num_imgs, height, width = check_roi_inlay_args('roi_upsample',
                                                       roi_feats, rois,
                                                       out_size, spatial_scale,
                                                       aligned)
        rois = rois.contiguous()
        ctx.spatial_scale = float(spatial_scale)
        ctx.aligned = aligned
        ctx.roi_feats_shape = roi_feats.shape
        ctx.save_for_backward(rois)
        output = roi_feats.new_zeros(
            (num_imgs, roi_feats.size(1), height, width))
        if roi_feats.numel() > 0 and output.numel() > 0:
            unused = roi_feats.new_zeros(0)  # argmax_y / argmax_x of max pool
            _mmcv_ext().roi_align_backward(
                roi_feats.contiguous(),
                rois,
                unused,
                unused,
                output,
                aligned_height=roi_feats.size(2),
                aligned_width=roi_feats.size(3),
                spatial_scale=ctx.spatial_scale,
                sampling_ratio=_SAMPLING_RATIO,
                pool_mode=_AVG_POOL,
                aligned=aligned)
        return output

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output: Tensor) -> tuple:
        rois, = ctx.saved_tensors
        grad_roi_feats = grad_output.new_zeros(ctx.roi_feats_shape)
        if grad_roi_feats.numel() > 0 and grad_output.numel() > 0:
            unused = grad_output.new_zeros(0)
            _mmcv_ext().roi_align_forward(
                grad_output.contiguous(),
                rois,
                grad_roi_feats,
                unused,
                unused,
                aligned_height=grad_roi_feats.size(2),
                aligned_width=grad_roi_feats.size(3),
                spatial_scale=ctx.spatial_scale,
                sampling_ratio=_SAMPLING_RATIO,
                pool_mode=_AVG_POOL,
                aligned=ctx.aligned)
        return grad_roi_feats, None, None, None, None


def roi_upsample(roi_feats: Tensor,
                 rois: Tensor,
                 out_size: Sequence[int],
                 spatial_scale: float,
                 aligned: bool = True) -> Tensor:
    """RoIUpsample with the arguments of :func:`~mmrefine.ops.roi_inlay`.

    Returns:
        Tensor: ``(B, C, H, W)``, ``RoIAlign^T(roi_feats)``: summed, not
        averaged, with holes where no sampling point is near.
    """
    return RoIUpsampleFunction.apply(roi_feats, rois, out_size, spatial_scale,
                                     aligned)

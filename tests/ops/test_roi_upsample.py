import pytest
import torch
from torch.autograd import gradcheck

from mmrefine.ops import roi_inlay_pytorch
from mmrefine.ops.roi_upsample import roi_upsample


def test_is_the_adjoint_of_roi_align():
    """<roi_upsample(v), f> == <v, roi_align(f)>, one sample per bin."""
    from mmcv.ops import roi_align
    generator = torch.Generator().manual_seed(0)
    rois = torch.tensor(
        [[0., 3.3, 2.1, 30.2, 17.9], [1, -4, 5, 12, 40], [0, 10, 10, 11, 11]],
        dtype=torch.float64)
    feats = torch.randn(3, 2, 5, 4, generator=generator, dtype=torch.float64)
    maps = torch.randn(2, 2, 12, 16, generator=generator, dtype=torch.float64)
    for aligned in (True, False):
        upsampled = roi_upsample(feats, rois, (2, 12, 16), 0.5, aligned)
        aligned_feats = roi_align(maps, rois, (5, 4), 0.5, 1, 'avg', aligned)
        torch.testing.assert_close((upsampled * maps).sum(),
                                   (feats * aligned_feats).sum())


def test_leaves_holes_where_roi_inlay_does_not():
    # A 4 x 4 lattice spread over 16 x 16 pixels: bins of 4 pixels, each
    # sampling point reaches the 2 pixels around it, half the rows and columns
    # get nothing.
    ones = torch.ones(1, 1, 4, 4)
    rois = torch.tensor([[0., 0, 0, 16, 16]])
    upsampled = roi_upsample(ones, rois, (1, 16, 16), 1.0)
    inlaid = roi_inlay_pytorch(ones, rois, (1, 16, 16), 1.0)
    assert (upsampled == 0).float().mean() == 0.75
    assert (inlaid == 1).all()


def test_gradcheck_and_empty():
    rois = torch.tensor([[0., 0.5, 1, 5, 4], [1, 2, 0, 7, 6]],
                        dtype=torch.float64)
    feats = torch.randn(2, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    assert gradcheck(
        lambda x: roi_upsample(x, rois, (2, 6, 7), 1.0), (feats, ),
        eps=1e-6,
        atol=1e-8)
    empty = torch.zeros(0, 2, 3, 3, requires_grad=True)
    out = roi_upsample(empty, rois[:0].float(), (2, 6, 7), 1.0)
    assert out.shape == (2, 2, 6, 7) and not out.any()
    out.sum().backward()
    assert empty.grad.shape == (0, 2, 3, 3)


def test_errors():
    feats, rois = torch.randn(1, 2, 3, 3), torch.tensor([[0., 0, 0, 8, 8]])
    with pytest.raises(ValueError, match='roi_upsample: rois.* batch index'):
        roi_upsample(feats, rois + torch.tensor([2., 0, 0, 0, 0]), (1, 4, 4),
                     0.5, False)


@pytest.mark.cuda
def test_cuda_matches_cpu(leaf_copy):
    rois = torch.tensor(
        [[0., 3.3, 2.1, 30.2, 17.9], [1, -4, 5, 12, 40], [0, 10, 10, 11, 11]],
        dtype=torch.float64)
    feats = torch.randn(3, 2, 5, 4, dtype=torch.float64)
    grad = torch.randn(2, 2, 12, 16, dtype=torch.float64)
    results = []
    for device in ('cpu', 'cuda'):
        x = leaf_copy(feats, device)
        out = roi_upsample(x, rois.to(device), (2, 12, 16), 0.5)
        out.backward(grad.to(device))
        results.append((out.cpu(), x.grad.cpu()))
    torch.testing.assert_close(results[1][0], results[0][0])
    torch.testing.assert_close(results[1][1], results[0][1])

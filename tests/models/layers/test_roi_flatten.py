import pytest
import torch
from mmdet.models.roi_heads.mask_heads.fcn_mask_head import _do_paste_mask
from torch.autograd import gradcheck

from mmrefine.models.layers import RoIFlatten, roi_flatten

# Probabilities of a 2 x 2 mask, given to roi_flatten as logits.
PROBS = torch.tensor([[0.1, 0.2], [0.3, 0.4]], dtype=torch.float64)
LOGITS = torch.logit(PROBS)[None, None]


def test_box_on_pixel_grid_pastes_the_mask_values():
    # At scale 1/2 the box [0, 4] spans canvas pixels 0 and 1, whose centres
    # (image 1 and 3) are exactly the 2 bin centres: the canvas is the mask.
    rois = torch.tensor([[0., 0., 0., 4., 4.]], dtype=torch.float64)
    canvas = roi_flatten(LOGITS, rois, torch.tensor([1]), 2, (1, 4, 4), 0.5)
    expected = torch.zeros(1, 2, 4, 4, dtype=torch.float64)
    expected[0, 1, :2, :2] = PROBS
    assert canvas.shape == (1, 2, 4, 4)
    torch.testing.assert_close(canvas, expected)


def test_box_off_the_grid_interpolates_bilinearly():
    # Box [1, 5] at scale 1/2 is [0.5, 2.5] on the canvas; pixel centres sit
    # at bin coordinates -0.5, 0.5, 1.5, 2.5: halfway between the zero padding
    # and bin 0, between bins 0 and 1, between bin 1 and the padding, beyond.
    rois = torch.tensor([[0., 1., 1., 5., 5.]], dtype=torch.float64)
    canvas = roi_flatten(LOGITS, rois, torch.tensor([0]), 1, (1, 4, 4), 0.5)
    weights = torch.tensor([[.5, 0.], [.5, .5], [0., .5], [0., 0.]],
                           dtype=torch.float64)
    expected = weights @ PROBS @ weights.T
    # e.g. pixel (1, 1) is the mean of the four mask values
    assert expected[1, 1] == pytest.approx(0.25)
    torch.testing.assert_close(canvas[0, 0], expected)


def test_matches_mmdet_paste_at_image_scale():
    torch.manual_seed(0)
    logits = torch.randn(4, 1, 28, 28)
    xy = torch.rand(4, 2) * 50
    boxes = torch.cat([xy, xy + torch.rand(4, 2) * 40 + 1], dim=1)
    rois = torch.cat([torch.zeros(4, 1), boxes], dim=1)
    canvas = roi_flatten(logits, rois, torch.arange(4), 4, (1, 70, 80), 1.0)
    pasted, _ = _do_paste_mask(
        logits.sigmoid(), boxes, 70, 80, skip_empty=False)
    torch.testing.assert_close(canvas[0], pasted)


def test_overlaps_take_the_maximum_per_class_and_image():
    other = torch.tensor([[0.5, 0.1], [0.1, 0.9]], dtype=torch.float64)
    logits = torch.cat([LOGITS, torch.logit(other)[None, None], LOGITS])
    rois = torch.tensor(
        [[0., 0., 0., 4., 4.], [0., 0., 0., 4., 4.], [1., 0., 0., 4., 4.]],
        dtype=torch.float64)
    labels = torch.tensor([1, 1, 0])
    canvas = roi_flatten(logits, rois, labels, 2, (2, 3, 3), 0.5)
    expected = torch.zeros(2, 2, 3, 3, dtype=torch.float64)
    expected[0, 1, :2, :2] = torch.tensor([[0.5, 0.2], [0.3, 0.9]])
    expected[1, 0, :2, :2] = PROBS  # image 1, class 0: the third RoI alone
    torch.testing.assert_close(canvas, expected)
    # Same class, same place: the gradient goes to the larger probability.
    logits.requires_grad_(True)
    roi_flatten(logits, rois, labels, 2, (2, 3, 3), 0.5)[0].sum().backward()
    grad = logits.grad[:2, 0]
    assert (grad[0] > 0).tolist() == [[False, True], [True, False]]
    assert (grad[1] > 0).tolist() == [[True, False], [False, True]]


def test_zero_rois_give_zeros_in_the_graph():
    masks = torch.zeros(0, 1, 28, 28, requires_grad=True)
    canvas = roi_flatten(masks, torch.zeros(0, 5), torch.zeros(0, dtype=int),
                         3, (2, 5, 6), 0.25)
    assert canvas.shape == (2, 3, 5, 6)
    assert not canvas.any()
    assert canvas.requires_grad
    canvas.sum().backward()
    assert masks.grad.shape == (0, 1, 28, 28)


def test_degenerate_box_pastes_nothing():
    rois = torch.tensor([[0., 2., 2., 2., 6.]], dtype=torch.float64)
    canvas = roi_flatten(LOGITS, rois, torch.tensor([0]), 1, (1, 4, 4), 0.5)
    assert not canvas.any()


def test_gradcheck():
    torch.manual_seed(1)
    masks = torch.randn(3, 1, 4, 4, dtype=torch.float64, requires_grad=True)
    rois = torch.tensor([[0., 1.3, 2.1, 14.7, 11.2],
                         [0., 5.5, 4.0, 18.0, 19.5], [1., 0.0, 0.0, 9.0, 6.0]],
                        dtype=torch.float64)
    labels = torch.tensor([1, 1, 0])
    assert gradcheck(
        lambda m: roi_flatten(m, rois, labels, 2, (2, 10, 12), 0.5), (masks, ))


@pytest.mark.parametrize('kwargs, message', [
    (dict(masks=torch.zeros(1, 2, 2, 2)), 'masks must be'),
    (dict(rois=torch.zeros(1, 4)), 'rois must be'),
    (dict(labels=torch.tensor([2])), r'labels\[0\] = 2'),
    (dict(labels=torch.tensor([0.])), 'labels must be an integer'),
    (dict(rois=torch.tensor([[1., 0., 0., 4., 4.]])), 'batch index 1.0'),
    (dict(rois=torch.tensor([[0., 4., 0., 0., 4.]])), 'x2 < x1'),
    (dict(num_classes=0), 'num_classes'),
    (dict(out_size=(4, 4)), 'out_size'),
    (dict(spatial_scale=0), 'spatial_scale'),
])
def test_bad_input(kwargs, message):
    args = dict(
        masks=torch.zeros(1, 1, 2, 2),
        rois=torch.tensor([[0., 0., 0., 4., 4.]]),
        labels=torch.tensor([0]),
        num_classes=2,
        out_size=(1, 4, 4),
        spatial_scale=0.5)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        roi_flatten(**args)


def test_module():
    layer = RoIFlatten(num_classes=2, spatial_scale=0.5)
    assert repr(layer) == 'RoIFlatten(num_classes=2, spatial_scale=0.5)'
    rois = torch.tensor([[0., 0., 0., 4., 4.]], dtype=torch.float64)
    canvas = layer(LOGITS, rois, torch.tensor([1]), (1, 4, 4))
    torch.testing.assert_close(canvas[0, 1, :2, :2], PROBS)

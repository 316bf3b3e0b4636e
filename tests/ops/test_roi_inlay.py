import importlib
import os
import sys
import warnings

import pytest
import torch
from torch.autograd import gradcheck

from mmrefine.ops import RoIInlay, roi_inlay, roi_inlay_pytorch
from mmrefine.ops.roi_inlay import RoIInlayFunction, ext_module

# The package attribute roi_inlay is the function; this is the module.
roi_inlay_module = importlib.import_module('mmrefine.ops.roi_inlay')


@pytest.fixture
def extension():
    """The compiled op; a missing build fails unless deliberately skipped."""
    if ext_module is None:
        if os.getenv('MMREFINE_WITH_OPS') == '0':
            pytest.skip('mmrefine._ext not built (MMREFINE_WITH_OPS=0)')
        pytest.fail('mmrefine._ext is not importable '
                    f'({roi_inlay_module._EXT_IMPORT_ERROR}); build it with '
                    '`pip install --no-build-isolation -e .`')
    return RoIInlayFunction.apply


@pytest.fixture(params=['extension', 'reference'])
def inlay(request):
    if request.param == 'reference':
        return roi_inlay_pytorch
    return request.getfixturevalue('extension')


def random_rois(num_rois,
                num_imgs,
                height,
                width,
                spatial_scale,
                generator,
                dtype=torch.float32):
    """Boxes of every kind: inside, partly and fully outside, tiny."""
    size = torch.tensor([width, height]) / spatial_scale
    corner = (torch.rand(num_rois, 2, generator=generator) * 1.6 - 0.3) * size
    extent = torch.rand(num_rois, 2, generator=generator) * 0.6 * size
    batch_idx = torch.randint(num_imgs, (num_rois, 1), generator=generator)
    return torch.cat([batch_idx, corner, corner + extent], 1).to(dtype)


# -- hand-computed fixtures ---------------------------------------------------


def test_2x2_roi_on_pixel_centres(inlay):
    # RoI [1, 3) x [1, 3) covers pixels 1 and 2 (centres 1.5, 2.5); with m = 2
    # the RoIAlign sampling points are exactly those centres.
    feats = torch.tensor([[[[1., 2.], [3., 4.]]]])
    rois = torch.tensor([[0., 1., 1., 3., 3.]])
    out = inlay(feats, rois, (1, 4, 4), 1.0, True)
    expected = torch.zeros(1, 1, 4, 4)
    expected[0, 0, 1:3, 1:3] = feats[0, 0]
    torch.testing.assert_close(out, expected)


def test_2x2_roi_interpolates_and_clamps(inlay):
    # RoI [0, 4) x [0, 4), m = 2: bins of 2 pixels, sampling points at pixel
    # coordinates 0.5 and 2.5. Along each axis pixel p has t = p / 2 - 0.25:
    # p = 0 and p = 3 are clamped to the boundary points, p = 1 and p = 2 mix
    # them 3:1 and 1:3.
    feats = torch.tensor([[[[1., 2.], [3., 4.]]]])
    rois = torch.tensor([[0., 0., 0., 4., 4.]])
    out = inlay(feats, rois, (1, 4, 4), 1.0, True)
    expected = torch.tensor([[1.0, 1.25, 1.75, 2.0], [1.5, 1.75, 2.25, 2.5],
                             [2.5, 2.75, 3.25, 3.5], [3.0, 3.25, 3.75, 4.0]])
    torch.testing.assert_close(out[0, 0], expected)
    # The same RoI given in the coordinates of an image twice as large.
    out_scaled = inlay(feats, rois * torch.tensor([1., 2, 2, 2, 2]), (1, 4, 4),
                       0.5, True)
    torch.testing.assert_close(out_scaled, out)


def test_2x2_roi_legacy_alignment(inlay):
    # aligned=False: no half-pixel offset, pixel p sits at coordinate p; RoI
    # [1, 3) covers pixels 1, 2, points at 1.5 and 2.5, so pixel 1 is clamped
    # to the first point and pixel 2 is halfway.
    feats = torch.tensor([[[[1., 2.], [3., 4.]]]])
    rois = torch.tensor([[0., 1., 1., 3., 3.]])
    out = inlay(feats, rois, (1, 4, 4), 1.0, False)
    expected = torch.zeros(1, 1, 4, 4)
    expected[0, 0, 1:3, 1:3] = torch.tensor([[1.0, 1.5], [2.0, 2.5]])
    torch.testing.assert_close(out, expected)


def test_overlapping_rois_are_averaged(inlay):
    # Image 0: RoI A covers columns 0-3 with 2s, RoI B columns 2-5 with 4s;
    # columns 2-3 take the average 3. Image 1 has no RoI: zeros.
    feats = torch.stack([torch.full((1, 2, 2), 2.), torch.full((1, 2, 2), 4.)])
    rois = torch.tensor([[0., 0., 0., 4., 3.], [0., 2., 1., 6., 3.]])
    out = inlay(feats, rois, (2, 3, 6), 1.0, True)
    expected = torch.zeros(2, 1, 3, 6)
    expected[0, 0, 0, :4] = 2
    expected[0, 0, 1:, :] = torch.tensor([2., 2, 3, 3, 4, 4])
    torch.testing.assert_close(out, expected)


def test_rois_sharing_an_edge_claim_disjoint_pixels(inlay):
    feats = torch.stack([torch.full((1, 1, 1), 1.), torch.full((1, 1, 1), 3.)])
    rois = torch.tensor([[0., 0., 0., 2., 1.], [0., 2., 0., 4., 1.]])
    out = inlay(feats, rois, (1, 1, 4), 1.0, True)
    torch.testing.assert_close(out[0, 0, 0], torch.tensor([1., 1., 3., 3.]))


def test_degenerate_and_outside_rois_cover_nothing(inlay):
    feats = torch.randn(4, 3, 2, 2)
    rois = torch.tensor([
        [0., 2., 2., 2., 5.],  # zero width
        [0., 1., 3., 4., 3.],  # zero height
        [0., 9., 9., 12., 12.],  # beyond the map
        [0., -5., -5., -1., -1.],  # before the map
    ])
    out = inlay(feats, rois, (1, 6, 6), 1.0, True)
    torch.testing.assert_close(out, torch.zeros(1, 3, 6, 6))


def test_partly_outside_roi_keeps_its_lattice(inlay):
    # Only the inside part is written, with the weights of the whole RoI.
    feats = torch.tensor([[[[1., 2.], [3., 4.]]]])
    whole = inlay(feats, torch.tensor([[0., 0., 0., 4., 4.]]), (1, 4, 4), 1.0,
                  True)
    shifted = inlay(feats, torch.tensor([[0., -2., -2., 2., 2.]]), (1, 2, 2),
                    1.0, True)
    torch.testing.assert_close(shifted[0, 0], whole[0, 0, 2:, 2:])


# -- extension against reference ----------------------------------------------


@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('spatial_scale', [1.0, 0.25])
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_extension_matches_reference(extension, aligned, spatial_scale, dtype):
    generator = torch.Generator().manual_seed(0)
    num_imgs, height, width = 3, 13, 17
    rois = random_rois(24, num_imgs, height, width, spatial_scale, generator,
                       dtype)
    rois[0, 3:] = rois[0, 1:3]  # a zero-size RoI among them
    feats = torch.randn(24, 5, 4, 6, generator=generator, dtype=dtype)
    grad = torch.randn(
        num_imgs, 5, height, width, generator=generator, dtype=dtype)
    outs, grads = [], []
    for op in (extension, roi_inlay_pytorch):
        x = feats.clone().requires_grad_()
        out = op(x, rois, (num_imgs, height, width), spatial_scale, aligned)
        out.backward(grad)
        outs.append(out)
        grads.append(x.grad)
    assert (outs[1] != 0).any()
    tolerance = dict(rtol=1e-5, atol=1e-5) if dtype == torch.float32 else {}
    torch.testing.assert_close(outs[0], outs[1], **tolerance)
    torch.testing.assert_close(grads[0], grads[1], **tolerance)


def test_extension_non_contiguous_inputs(extension):
    generator = torch.Generator().manual_seed(1)
    rois = random_rois(6, 2, 9, 11, 0.5, generator)
    feats = torch.randn(6, 4, 3, 3, generator=generator)
    expected = extension(feats, rois, (2, 9, 11), 0.5, True)
    feats_t = feats.transpose(0, 1).contiguous().transpose(0, 1)
    rois_t = torch.stack([rois, rois], 2)[..., 0]
    assert not feats_t.is_contiguous() and not rois_t.is_contiguous()
    out = extension(feats_t, rois_t, (2, 9, 11), 0.5, True)
    torch.testing.assert_close(out, expected)
    out_ref = roi_inlay_pytorch(feats_t, rois_t, (2, 9, 11), 0.5, True)
    torch.testing.assert_close(out_ref, expected)


def test_extension_non_contiguous_grad(extension):
    feats = torch.randn(3, 2, 2, 2, requires_grad=True)
    rois = torch.tensor([[0., 0, 0, 5, 5], [1, 1, 1, 4, 6], [0, 2, 0, 6, 3]])
    grad = torch.randn(2, 6, 6, 2).permute(0, 3, 1, 2)  # channels last
    extension(feats, rois, (2, 6, 6), 1.0, True).backward(grad)
    feats_ref = feats.detach().clone().requires_grad_()
    roi_inlay_pytorch(feats_ref, rois, (2, 6, 6), 1.0, True).backward(grad)
    torch.testing.assert_close(feats.grad, feats_ref.grad)


def test_extension_half_matches_float(extension):
    generator = torch.Generator().manual_seed(2)
    # RoIs exact in half precision, so that both cover the same pixels.
    rois = (random_rois(8, 2, 10, 12, 1.0, generator) * 8).round() / 8
    feats = torch.randn(8, 3, 4, 4, generator=generator)
    expected = roi_inlay_pytorch(feats, rois, (2, 10, 12), 1.0, True)
    out = extension(feats.half(), rois.half(), (2, 10, 12), 1.0, True)
    assert out.dtype == torch.float16
    torch.testing.assert_close(out.float(), expected, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize('op', ['extension', 'reference'])
def test_gradcheck(op, request):
    fn = (
        request.getfixturevalue('extension')
        if op == 'extension' else roi_inlay_pytorch)
    generator = torch.Generator().manual_seed(3)
    rois = random_rois(4, 2, 6, 7, 1.0, generator, torch.float64)
    feats = torch.randn(
        4,
        2,
        3,
        2,
        generator=generator,
        dtype=torch.float64,
        requires_grad=True)
    assert gradcheck(
        lambda x: fn(x, rois, (2, 6, 7), 1.0, True), (feats, ),
        eps=1e-6,
        atol=1e-8)


def test_no_rois(inlay):
    feats = torch.zeros(0, 4, 7, 7, requires_grad=True)
    rois = torch.zeros(0, 5)
    out = inlay(feats, rois, (2, 5, 6), 0.25, True)
    torch.testing.assert_close(out, torch.zeros(2, 4, 5, 6))
    out.sum().backward()
    assert feats.grad is not None and feats.grad.shape == (0, 4, 7, 7)


def test_rois_that_cover_nothing_get_zero_grad(inlay):
    feats = torch.randn(2, 3, 2, 2, requires_grad=True)
    rois = torch.tensor([[0., 2., 2., 2., 5.], [0., 9., 9., 12., 12.]])
    inlay(feats, rois, (1, 6, 6), 1.0, True).sum().backward()
    torch.testing.assert_close(feats.grad, torch.zeros_like(feats))


# -- CUDA ---------------------------------------------------------------------


@pytest.mark.parametrize(
    'device',
    [
        'cpu',  # the same path on the CPU: a second run agrees with the first
        pytest.param('cuda', marks=pytest.mark.cuda)
    ])
@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('dtype',
                         [torch.float32, torch.float64, torch.float16])
def test_device_matches_cpu(extension, leaf_copy, device, aligned, dtype):
    generator = torch.Generator().manual_seed(4)
    num_imgs, height, width = 2, 37, 45
    rois = random_rois(40, num_imgs, height, width, 0.5, generator)
    feats = torch.randn(40, 6, 7, 5, generator=generator)
    grad = torch.randn(num_imgs, 6, height, width, generator=generator)
    results = []
    for run_device in ('cpu', device):
        # Geometry from float32 RoIs on both devices, so coverage agrees.
        # A fresh leaf per run (feats.to('cpu', torch.float32) is feats).
        x = leaf_copy(feats, run_device, dtype)
        out = extension(x, rois.to(run_device, dtype),
                        (num_imgs, height, width), 0.5, aligned)
        out.backward(grad.to(run_device, dtype))
        results.append((out.float().cpu(), x.grad.float().cpu()))
    assert not feats.requires_grad
    tolerance = (
        dict(rtol=1e-2, atol=1e-2) if dtype == torch.float16 else dict(
            rtol=1e-5, atol=1e-5))
    torch.testing.assert_close(results[1][0], results[0][0], **tolerance)
    torch.testing.assert_close(results[1][1], results[0][1], **tolerance)


@pytest.mark.cuda
@pytest.mark.parametrize('aligned', [True, False])
def test_cuda_matches_reference_in_float64(extension, leaf_copy, aligned):
    """Exact geometry: CUDA == CPU extension == reference to rounding, for
    RoIs of every kind, overlaps, several images and large bins."""
    generator = torch.Generator().manual_seed(5)
    num_imgs, height, width = 3, 70, 90
    rois = random_rois(60, num_imgs, height, width, 0.5, generator,
                       torch.float64)
    rois[:4, 3:] = rois[:4, 1:3] + 150  # 75 pixels wide: bins of 7-11 pixels
    feats = torch.randn(60, 9, 7, 11, generator=generator, dtype=torch.float64)
    grad = torch.randn(
        num_imgs, 9, height, width, generator=generator, dtype=torch.float64)
    results = []
    for device, op in (('cpu', extension), ('cpu', roi_inlay_pytorch),
                       ('cuda', extension)):
        x = leaf_copy(feats, device)
        out = op(x, rois.to(device), (num_imgs, height, width), 0.5, aligned)
        out.backward(grad.to(device))
        results.append((out.cpu(), x.grad.cpu()))
    for out, x_grad in results[1:]:
        torch.testing.assert_close(out, results[0][0], rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(
            x_grad, results[0][1], rtol=1e-12, atol=1e-12)


@pytest.mark.cuda
def test_cuda_forward_is_deterministic(extension):
    generator = torch.Generator().manual_seed(6)
    rois = random_rois(300, 2, 64, 80, 1.0, generator).cuda()
    feats = torch.randn(300, 16, 14, 14, generator=generator).cuda()
    outs = [extension(feats, rois, (2, 64, 80), 1.0, True) for _ in range(3)]
    assert all(torch.equal(out, outs[0]) for out in outs[1:])


@pytest.mark.cuda
def test_cuda_gradcheck_and_empty(extension):
    rois = torch.tensor([[0., 0.5, 1, 5, 4], [1, 2, 0, 7, 6], [0, 3, 2, 6, 6]],
                        dtype=torch.float64,
                        device='cuda')
    feats = torch.randn(
        3, 2, 3, 3, dtype=torch.float64, device='cuda', requires_grad=True)
    assert gradcheck(
        lambda x: extension(x, rois, (2, 6, 7), 1.0, True), (feats, ),
        eps=1e-6,
        atol=1e-8)
    empty = torch.zeros(0, 2, 3, 3, device='cuda', requires_grad=True)
    out = extension(empty, rois[:0].float(), (2, 6, 7), 1.0, True)
    assert out.shape == (2, 2, 6, 7) and not out.any()
    out.sum().backward()
    assert empty.grad.shape == (0, 2, 3, 3)


@pytest.mark.cuda
def test_cuda_errors(extension):
    feats = torch.randn(2, 3, 4, 4, device='cuda')
    rois = torch.tensor([[0., 0, 0, 4, 4], [1, 0, 0, 4, 4]], device='cuda')
    with pytest.raises(ValueError, match=r'rois\[1\] has batch index 1.0'):
        extension(feats, rois, (1, 8, 8), 1.0, True)
    with pytest.raises(ValueError, match='on the device of roi_feats'):
        extension(feats, rois.cpu(), (2, 8, 8), 1.0, True)
    rois[0, 1] = float('nan')
    with pytest.raises(ValueError, match='is not finite'):
        extension(feats, rois, (2, 8, 8), 1.0, True)


# -- the pixel-centre convention, against mmcv's RoIAlign ---------------------


def test_roi_align_round_trip():
    """roi_inlay(roi_align(F)) == F inside the box, to interpolation error."""
    from mmcv.ops import roi_align
    height, width, spatial_scale, m = 32, 40, 0.5, 7
    y, x = torch.meshgrid(
        torch.arange(height, dtype=torch.float64),
        torch.arange(width, dtype=torch.float64),
        indexing='ij')
    maps = torch.stack(
        [0.3 * x + 0.2 * y + 1,
         torch.sin(x / 5) + torch.cos(y / 7)])
    rois = torch.tensor([[0., 10.4, 12.2, 40.6, 36.9]], dtype=torch.float64)

    def round_trip(aligned):
        feats = roi_align(maps[None], rois, (m, m), spatial_scale, 1, 'avg',
                          True)
        return roi_inlay(feats, rois, (1, height, width), spatial_scale,
                         aligned)[0]

    out = round_trip(aligned=True)
    # Index-space RoI: [10.4 * 0.5 - 0.5, 40.6 * 0.5 - 0.5) = [4.7, 19.8),
    # so columns 5..19 are inside; rows [5.6, 17.95): 6..17.
    # Bins 2.157 x 1.764.
    inside = torch.zeros(height, width, dtype=torch.bool)
    inside[6:18, 5:20] = True
    assert (out[:, ~inside] == 0).all()
    # The linear map is reproduced exactly between the outermost sampling
    # points (x in [5.78, 18.72], y in [6.48, 17.07]) ...
    lattice = torch.zeros_like(inside)
    lattice[7:18, 6:19] = True
    torch.testing.assert_close(out[0][lattice], maps[0][lattice])
    # ... and beyond them the boundary value is within half a bin of slope.
    border = inside & ~lattice
    assert (out[0][border] - maps[0][border]).abs().max() < (0.3 * 2.157 / 2 +
                                                             0.2 * 1.764 / 2)
    # The smooth map is reproduced to bilinear interpolation error.
    assert (out[1][lattice] - maps[1][lattice]).abs().max() < 0.05
    # A half-pixel shift of the convention (0.25 here) would be caught.
    shifted = round_trip(aligned=False)
    both = lattice & (shifted[0] != 0)
    assert (shifted[0][both] - maps[0][both]).abs().min() > 0.1


# -- the module, errors, the fallback -----------------------------------------


def test_module():
    layer = RoIInlay(spatial_scale=0.25)
    assert repr(layer) == 'RoIInlay(spatial_scale=0.25, aligned=True)'
    feats = torch.randn(2, 3, 4, 4)
    rois = torch.tensor([[0., 4, 4, 20, 20], [1, 0, 8, 12, 30]])
    torch.testing.assert_close(
        layer(feats, rois, (2, 8, 8)),
        roi_inlay_pytorch(feats, rois, (2, 8, 8), 0.25, True))


def _bad_calls():
    feats, rois = torch.randn(2, 3, 4, 4), torch.tensor([[0., 0, 0, 4, 4]] * 2)
    meta_rois = torch.empty(2, 5, device='meta')

    def with_roi(**values):
        bad = rois.clone()
        for column, value in values.items():
            bad[1, 'bxyXY'.index(column)] = value
        return bad

    return [
        ('roi_feats must be a Tensor', ([1.0], rois, (1, 8, 8), 1.0, True)),
        ('roi_feats must be (K, C, mh, mw)', (feats[0], rois, (1, 8, 8), 1.0,
                                              True)),
        ('roi_feats must be (K, C, mh, mw)', (feats[..., :0], rois, (1, 8, 8),
                                              1.0, True)),
        ('roi_feats must be float16, float32 or float64',
         (feats.long(), rois.long(), (1, 8, 8), 1.0, True)),
        ('rois must be a Tensor', (feats, rois.tolist(), (1, 8, 8), 1.0,
                                   True)),
        ('rois must be (K, 5)', (feats, rois[:, :4], (1, 8, 8), 1.0, True)),
        ('rois must be (K, 5)', (feats, rois[:1], (1, 8, 8), 1.0, True)),
        ('rois must have the dtype of roi_feats', (feats, rois.double(),
                                                   (1, 8, 8), 1.0, True)),
        ('rois must be on the device of roi_feats', (feats, meta_rois,
                                                     (1, 8, 8), 1.0, True)),
        ('out_size must be (num_imgs, H, W)', (feats, rois, (8, 8), 1.0,
                                               True)),
        ('out_size must be (num_imgs, H, W)', (feats, rois, (1, -8, 8), 1.0,
                                               True)),
        ('out_size must be (num_imgs, H, W)', (feats, rois, (1, 8.5, 8), 1.0,
                                               True)),
        ('spatial_scale must be a finite number > 0', (feats, rois, (1, 8, 8),
                                                       0.0, True)),
        ('spatial_scale must be a finite number > 0', (feats, rois, (1, 8, 8),
                                                       float('nan'), True)),
        ('aligned must be a bool', (feats, rois, (1, 8, 8), 1.0, 1)),
        ('rois[1] = [0.0, nan', (feats, with_roi(x=float('nan')), (1, 8, 8),
                                 1.0, True)),
        ('is not finite', (feats, with_roi(Y=float('inf')), (1, 8, 8), 1.0,
                           True)),
        ('rois[1] has batch index 1.0; expected an integer in '
         '[0, num_imgs = 1)', (feats, with_roi(b=1), (1, 8, 8), 1.0, True)),
        ('has batch index -1.0', (feats, with_roi(b=-1), (2, 8, 8), 1.0,
                                  True)),
        ('has batch index 0.5', (feats, with_roi(b=0.5), (2, 8, 8), 1.0,
                                 True)),
        ('has x2 < x1 or y2 < y1', (feats, with_roi(X=-1), (1, 8, 8), 1.0,
                                    True)),
    ]


@pytest.mark.parametrize('message, args', _bad_calls())
@pytest.mark.parametrize('op', ['roi_inlay', 'roi_inlay_pytorch'])
def test_invalid_arguments(op, message, args):
    fn = roi_inlay if op == 'roi_inlay' else roi_inlay_pytorch
    with pytest.raises(ValueError, match=f'^{op}: ') as error:
        fn(*args)
    assert message in str(error.value)


def test_legacy_alignment_accepts_inverted_rois(inlay):
    # As mmcv's RoIAlign, aligned=False raises the RoI length to 1 pixel.
    feats = torch.full((1, 1, 2, 2), 5.)
    out = inlay(feats, torch.tensor([[0., 3, 3, 1, 1]]), (1, 6, 6), 1.0, False)
    expected = torch.zeros(1, 1, 6, 6)
    expected[0, 0, 3, 3] = 5
    torch.testing.assert_close(out, expected)


def test_extension_entry_points_check_shapes(extension):
    ext = roi_inlay_module.ext_module
    feats, rois = torch.randn(2, 3, 4, 4), torch.zeros(2, 5)
    with pytest.raises(RuntimeError, match='rois must be'):
        ext.roi_inlay_forward(feats, rois[:1], torch.empty(1, 3, 8, 8), 1.0,
                              True)
    with pytest.raises(RuntimeError, match='feature map must be'):
        ext.roi_inlay_forward(feats, rois, torch.empty(1, 2, 8, 8), 1.0, True)
    with pytest.raises(RuntimeError, match='dtype'):
        ext.roi_inlay_backward(
            torch.empty(1, 3, 8, 8, dtype=torch.float64), rois,
            torch.empty_like(feats), 1.0, True)
    with pytest.raises(RuntimeError, match='contiguous'):
        ext.roi_inlay_backward(
            torch.empty(1, 8, 8, 3).permute(0, 3, 1, 2), rois,
            torch.empty_like(feats), 1.0, True)


def test_fallback_to_reference_warns_once(monkeypatch):
    """Without mmrefine._ext, importing works and roi_inlay warns once."""
    import mmrefine
    monkeypatch.setitem(sys.modules, 'mmrefine._ext', None)  # import fails
    monkeypatch.delattr(mmrefine, '_ext', raising=False)  # not yet imported
    fallback = importlib.reload(roi_inlay_module)
    try:
        assert fallback.ext_module is None
        feats = torch.randn(2, 3, 4, 4)
        rois = torch.tensor([[0., 0, 0, 8, 8], [0, 4, 2, 9, 9]])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            out = fallback.roi_inlay(feats, rois, (1, 5, 5), 0.5)
            fallback.roi_inlay(feats, rois, (1, 5, 5), 0.5)
        assert len(caught) == 1
        assert 'it is not built' in str(caught[0].message)
        assert 'pip install --no-build-isolation -e .' in str(
            caught[0].message)
        torch.testing.assert_close(
            out, roi_inlay_pytorch(feats, rois, (1, 5, 5), 0.5, True))
    finally:
        monkeypatch.undo()
        importlib.reload(roi_inlay_module)

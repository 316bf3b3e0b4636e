"""OCM: shapes, the pyramid's size and that the layout encoding is global."""
import pytest
import torch

from mmrefine.models import ObjectContextModule


def make(**kwargs):
    torch.manual_seed(0)
    cfg = dict(
        instance_channels=6,
        in_channels=8,
        out_channels=12,
        encoding_channels=5,
        norm_cfg=None)
    cfg.update(kwargs)
    return ObjectContextModule(**cfg).eval()


def test_shapes_and_pyramid_length():
    ocm = make(embed_channels=10, pool_sizes=(1, 2, 3, 6))
    assert ocm.encode[0].in_features == 10 * (1 + 4 + 9 + 36)
    inlay, sim = torch.randn(2, 6, 13, 17), torch.randn(2, 8, 13, 17)
    assert ocm.encode_layout(inlay).shape == (2, 5)
    assert ocm(inlay, sim).shape == (2, 12, 13, 17)


def test_layout_reaches_every_pixel():
    ocm = make()
    inlay, sim = torch.zeros(1, 6, 16, 16), torch.randn(1, 8, 16, 16)
    out = ocm(inlay, sim)
    inlay[0, :, 0, 0] = 3.0  # an object in one corner ...
    changed = ocm(inlay, sim)
    # ... changes the features at the opposite corner, through the encoding
    assert (changed[0, :, 15, 15] - out[0, :, 15, 15]).abs().max() > 0


def test_bad_arguments():
    with pytest.raises(ValueError, match='pool_sizes'):
        make(pool_sizes=())
    with pytest.raises(ValueError, match='embed_channels'):
        make(embed_channels=0)
    with pytest.raises(ValueError, match='same B, H, W'):
        make()(torch.randn(1, 6, 4, 4), torch.randn(1, 8, 4, 5))

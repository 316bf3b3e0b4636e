"""SIM: shapes, and that it is local (1x1 projections, one 3x3 conv)."""
import pytest
import torch

from mmrefine.models import StructureInjectionModule


def test_output_shape_and_locality():
    torch.manual_seed(0)
    sim = StructureInjectionModule(
        instance_channels=6,
        semantic_channels=10,
        out_channels=8,
        norm_cfg=None).eval()
    inlay, sem = torch.randn(2, 6, 12, 16), torch.randn(2, 10, 12, 16)
    out = sim(inlay, sem)
    assert out.shape == (2, 8, 12, 16)
    changed = inlay.clone()
    changed[0, :, 5, 7] += 5
    diff = (sim(changed, sem) - out).abs().sum(dim=1)
    # only the 3x3 neighbourhood of the changed pixel of image 0 moves
    assert diff[0, 4:7, 6:9].min() > 0
    diff[0, 4:7, 6:9] = 0
    assert diff.max() == 0


def test_bad_shapes():
    sim = StructureInjectionModule(4, 4, 8, norm_cfg=None)
    with pytest.raises(ValueError, match='same B, H, W'):
        sim(torch.randn(1, 4, 8, 8), torch.randn(1, 4, 8, 9))
    with pytest.raises(ValueError, match='out_channels'):
        StructureInjectionModule(4, 4, 0)

import os

import pytest
import torch
from mmdet.models.backbones import ResNet

from mmrefine.utils import shapes_pretrained_backbone as spb

TINY = dict(
    spb.RECIPES['resnet18'],
    num_images=8,
    num_holdout_images=4,
    crop_size=32,
    batch_size=8,
    max_iters=2)


@pytest.fixture
def tiny_recipe(monkeypatch, tmp_path):
    monkeypatch.setenv('MMREFINE_CACHE', str(tmp_path))
    monkeypatch.setitem(spb.RECIPES, 'tiny', TINY)
    return tmp_path


def test_trained_once_then_cached(tiny_recipe):
    path = spb.ensure_shapes_pretrained('tiny', log=lambda msg: None)
    assert path.startswith(str(tiny_recipe)) and os.path.exists(path)
    assert os.path.exists(path[:-len('.pth')] + '.json')
    mtime = os.path.getmtime(path)
    messages = []
    assert spb.ensure_shapes_pretrained('tiny', log=messages.append) == path
    assert os.path.getmtime(path) == mtime and messages == []


def test_key_follows_the_recipe():
    changed = dict(TINY, max_iters=3)
    assert spb.recipe_key(TINY) == spb.recipe_key(dict(TINY))
    assert spb.recipe_key(TINY) != spb.recipe_key(changed)


def test_unknown_name_is_named(tiny_recipe):
    with pytest.raises(KeyError, match='resnet99.*known'):
        spb.ensure_shapes_pretrained('resnet99')


def test_config_scheme_loads_every_backbone_tensor(tiny_recipe):
    """A backbone with ``init_cfg`` on the scheme gets the cached weights."""
    backbone = ResNet(
        depth=18,
        init_cfg=dict(type='Pretrained', checkpoint='mmrefine://shapes/tiny'))
    backbone.init_weights()
    saved = torch.load(
        spb.pretrained_path('tiny'), weights_only=True)['state_dict']
    state = backbone.state_dict()
    assert set(state) == set(saved)
    for name, tensor in state.items():
        torch.testing.assert_close(tensor, saved[name], rtol=0, atol=0)

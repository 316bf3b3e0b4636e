"""Every config starts from the weights it names, without a download.

For each checkpoint name used under ``configs/``, ``CHECKPOINTS`` gives the
network the checkpoint was trained as and the input convention it was
trained with. A stand-in file is written from that network with random
values (buffers included) and an ImageNet classifier; each COCO config
loads it through its own ``init_cfg`` and every backbone parameter and
buffer must come from the file, except the offsets of deformable convs,
which no ImageNet checkpoint has (mmdet's DCN configs start them at 0).
"""
import glob
import os.path as osp
import re

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from mmrefine.utils.shapes_pretrained_backbone import RECIPES

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)

PYTORCH_RGB = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)
# Detectron's models: BGR in [0, 255] less the pixel mean, not scaled.
CAFFE_BGR = dict(
    mean=[103.530, 116.280, 123.675], std=[1.0, 1.0, 1.0], bgr_to_rgb=False)
GN = dict(type='GN', num_groups=32, requires_grad=True)
SHAPES_R18 = RECIPES['resnet18']
CHECKPOINTS = {
    # the shapes configs' backbone, trained on crops normalised as below
    'mmrefine://shapes/resnet18':
    (dict(type='ResNet', depth=SHAPES_R18['depth']),
     dict(
         mean=list(SHAPES_R18['mean']),
         std=list(SHAPES_R18['std']),
         bgr_to_rgb=True)),
    'torchvision://resnet50': (dict(type='ResNet', depth=50), PYTORCH_RGB),
    'torchvision://resnet101': (dict(type='ResNet', depth=101), PYTORCH_RGB),
    'open-mmlab://detectron/resnet50_gn':
    (dict(type='ResNet', depth=50, norm_cfg=GN), CAFFE_BGR),
    'open-mmlab://detectron/resnet101_gn':
    (dict(type='ResNet', depth=101, norm_cfg=GN), CAFFE_BGR),
    'open-mmlab://resnext101_64x4d':
    (dict(type='ResNeXt', depth=101, groups=64, base_width=4), PYTORCH_RGB),
}
CLASSIFIER = {'fc.weight', 'fc.bias'}  # ImageNet head, not loaded
NOT_IN_CHECKPOINT = re.compile(r'\.conv_offset\.')  # DCN offsets


def rel(path):
    return osp.relpath(path, REPO)


def backbone_checkpoint(cfg):
    init_cfg = cfg.model.backbone.get('init_cfg')
    return init_cfg['checkpoint'] if init_cfg else None


def test_table_names_every_checkpoint_used():
    used = {backbone_checkpoint(Config.fromfile(p)) for p in CONFIGS}
    assert used - {None} == set(CHECKPOINTS)


@pytest.fixture(scope='module')
def stand_in(tmp_path_factory):
    """``stand_in(name)`` -> (path of a random checkpoint shaped as
    ``name``, its state dict); written once per name."""
    cache = {}

    def make(name):
        if name not in cache:
            network, _ = CHECKPOINTS[name]
            torch.manual_seed(0)
            backbone = MODELS.build(network)
            state = backbone.state_dict()
            for key, value in state.items():
                state[key] = (
                    torch.rand_like(value) if value.is_floating_point() else
                    torch.full_like(value, 7))
            state['fc.weight'] = torch.rand(1000, backbone.feat_dim)
            state['fc.bias'] = torch.rand(1000)
            path = tmp_path_factory.mktemp('pretrained') / 'stand_in.pth'
            torch.save(state, path)
            cache[name] = (str(path), state)
        return cache[name]

    return make


@pytest.mark.parametrize('path', CONFIGS, ids=rel)
def test_config_loads_its_checkpoint(path, stand_in):
    cfg = Config.fromfile(path)
    name = backbone_checkpoint(cfg)
    assert name in CHECKPOINTS, f'{rel(path)}: add a row for {name!r}'
    _, preprocessing = CHECKPOINTS[name]
    for key, expected in preprocessing.items():
        assert cfg.model.data_preprocessor[key] == expected, (
            f'{rel(path)}: data_preprocessor.{key} is '
            f'{cfg.model.data_preprocessor[key]}, {name} was trained with '
            f'{expected}')

    file, source = stand_in(name)
    cfg.model.backbone.init_cfg.checkpoint = file
    model = MODELS.build(cfg.model)
    model.init_weights()
    loaded = model.backbone.state_dict()
    missing = sorted(
        k for k in loaded
        if k not in source and not NOT_IN_CHECKPOINT.search(k))
    assert not missing, f'{rel(path)}: not in {name}: {missing[:8]}'
    left_over = set(source) - set(loaded) - CLASSIFIER
    assert not left_over, (
        f'{rel(path)}: {name} has weights the backbone does not take: '
        f'{sorted(left_over)[:8]}')
    not_loaded = [
        k for k in loaded
        if k in source and not torch.equal(loaded[k], source[k])
    ]
    assert not not_loaded, f'{rel(path)}: not from the file: {not_loaded[:8]}'

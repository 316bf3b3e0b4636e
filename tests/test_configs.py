"""Every config in configs/ loads (mmdet:: bases resolved from the installed
mmdet) and its model builds."""
import glob
import os.path as osp

import pytest
from mmdet.registry import DATASETS, MODELS
from mmengine.config import Config
from torch import nn

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports == dict(
        imports=['mmrefine'], allow_failed_imports=False)
    model = MODELS.build(cfg.model)
    # the built model is what the config names, head by head ...
    assert type(model) is MODELS.get(cfg.model.type)
    for name in ('backbone', 'neck', 'rpn_head', 'roi_head', 'semantic_head',
                 'panoptic_fusion_head'):
        if cfg.model.get(name):
            assert type(getattr(model, name)) is MODELS.get(
                cfg.model[name].type), name
    # ... and predicts the classes of the data set it is tested on
    dataset = cfg.test_dataloader.dataset
    metainfo = dict(
        DATASETS.get(dataset.type).METAINFO, **dataset.get('metainfo', {}))
    things = len(metainfo['thing_classes'])
    stuff = len(metainfo['stuff_classes'])
    bbox_heads = model.roi_head.bbox_head  # one per stage in a cascade
    if not isinstance(bbox_heads, nn.ModuleList):
        bbox_heads = [bbox_heads]
    assert [head.num_classes
            for head in bbox_heads] == [things] * len(bbox_heads)
    fusion = model.panoptic_fusion_head
    assert (fusion.num_things_classes, fusion.num_stuff_classes) == (things,
                                                                     stuff)
    assert model.semantic_head.num_classes in (things + stuff, stuff + 1)

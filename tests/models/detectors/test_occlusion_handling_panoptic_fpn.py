"""The stock PanopticFPN with BANet's occlusion handling: same state dict as
mmdet's PanopticFPN (a stock checkpoint loads strictly), predictions from
the stock stuff + thing semantic layout, and a baseline training's
checkpoint evaluated with it."""
import os.path as osp
import re
import sys

import pytest
import torch
from mmdet.models.detectors import PanopticFPN
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
BASELINE = osp.join(REPO, 'configs', 'panoptic_fpn',
                    'panoptic-fpn_r18_fpn_shapes.py')
OH_CONFIG = osp.join(REPO, 'configs', 'banet',
                     'panoptic-fpn_r18_fpn_oh_shapes.py')


def build(config):
    cfg = Config.fromfile(config)
    cfg.model.test_cfg.rcnn.score_thr = 0.0
    cfg.model.test_cfg.rcnn.max_per_img = 8
    if cfg.model.type == 'OcclusionHandlingPanopticFPN':
        cfg.model.test_cfg.panoptic.score_thr = 0.0
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def test_loads_a_stock_panoptic_fpn_state_dict_and_predicts():
    stock = build(BASELINE)
    stock.init_weights()
    assert type(stock) is PanopticFPN
    model = build(OH_CONFIG)
    assert isinstance(model, PanopticFPN)
    assert {k: v.shape for k, v in model.state_dict().items()} == \
        {k: v.shape for k, v in stock.state_dict().items()}
    model.load_state_dict(stock.state_dict())  # strict
    model.eval()
    data = demo_mm_inputs(2, [(3, 96, 128), (3, 128, 96)], num_items=[3, 0],
                          num_classes=4, with_mask=True)
    data = model.data_preprocessor(data, False)
    with torch.no_grad():
        samples = model(**data, mode='predict')
    for sample, shape in zip(samples, [(96, 128), (128, 96)]):
        pan = sample.pred_panoptic_seg.sem_seg
        assert pan.shape == (1, *shape)
        assert ((pan % 1000) <= 7).all()
    assert any((s.pred_panoptic_seg.sem_seg >= 1000).any() for s in samples)


def test_needs_the_occlusion_handling_fusion_head():
    cfg = Config.fromfile(OH_CONFIG)
    cfg.model.panoptic_fusion_head.type = 'HeuristicFusionHead'
    with pytest.raises(ValueError, match='OcclusionHandlingFusionHead'):
        MODELS.build(cfg.model)


@pytest.mark.slow
def test_baseline_checkpoint_evaluated_with_oh(tiny_config, run_cmd,
                                               tmp_path):
    """Train the baseline 2 steps, evaluate its checkpoint with OH."""
    work_dir = str(tmp_path / 'work')
    run_cmd([sys.executable, 'tools/train.py', tiny_config(2), '--work-dir',
             work_dir])
    out = run_cmd([
        sys.executable, 'tools/test.py',
        tiny_config(2, base=OH_CONFIG),
        osp.join(work_dir, 'iter_2.pth'), '--work-dir',
        str(tmp_path / 'test')
    ])
    assert 'unexpected key' not in out and 'missing keys' not in out
    pq = re.findall(r'coco_panoptic/PQ: (\d+\.\d+)', out)
    assert pq and 0.0 <= float(pq[-1]) <= 100.0, out[-3000:]

"""The stock PanopticFPN with BANet's occlusion handling: same state dict as
mmdet's PanopticFPN (a stock checkpoint loads strictly), predictions from
the stock stuff + thing semantic layout, and a baseline training's
checkpoint evaluated with it."""
import os.path as osp
import re
import sys

import pytest
import torch
from conftest import build_detector, check_panoptic_dump
from mmdet.models.detectors import PanopticFPN, TwoStagePanopticSegmentor
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
    return build_detector(config)


def test_loads_a_stock_panoptic_fpn_state_dict_and_predicts():
    stock = build(BASELINE)
    assert type(stock) is PanopticFPN
    model = build(OH_CONFIG)
    assert isinstance(model, TwoStagePanopticSegmentor)
    assert {k: v.shape for k, v in model.state_dict().items()} == \
        {k: v.shape for k, v in stock.state_dict().items()}
    model.load_state_dict(stock.state_dict())  # strict
    model.eval()
    data = demo_mm_inputs(
        2, [(3, 96, 128), (3, 128, 96)],
        num_items=[3, 0],
        num_classes=4,
        with_mask=True)
    data = model.data_preprocessor(data, False)
    with torch.no_grad():
        samples = model(**data, mode='predict')
    for sample, shape in zip(samples, [(96, 128), (128, 96)]):
        pan = sample.pred_panoptic_seg.sem_seg
        assert pan.shape == (1, *shape)
        assert ((pan % 1000) <= 7).all()
    assert any((s.pred_panoptic_seg.sem_seg >= 1000).any() for s in samples)


def test_restore_images_undoes_the_preprocessor():
    model = build(OH_CONFIG)
    preprocessor = model.data_preprocessor
    bgr = torch.randint(0, 256, (3, 20, 30), dtype=torch.uint8)
    data = preprocessor(dict(inputs=[bgr], data_samples=None), False)
    metas = [dict(img_shape=(20, 30), ori_shape=(10, 15))]
    img, = model.restore_images(data['inputs'], metas, rescale=False)
    assert data['inputs'].shape[-2:] != (20, 30)  # padded
    torch.testing.assert_close(img, bgr.flip(0).float(), atol=1e-3, rtol=0)
    img, = model.restore_images(data['inputs'], metas, rescale=True)
    assert img.shape == (3, 10, 15)


def test_needs_the_occlusion_handling_fusion_head():
    cfg = Config.fromfile(OH_CONFIG)
    cfg.model.panoptic_fusion_head.type = 'HeuristicFusionHead'
    with pytest.raises(ValueError, match='OcclusionHandlingFusionHead'):
        MODELS.build(cfg.model)


@pytest.mark.slow
def test_baseline_checkpoint_evaluated_with_oh(tiny_config, tiny_shapes,
                                               run_cmd, tmp_path):
    """Train the baseline 2 steps, evaluate its checkpoint with OH."""
    work_dir = str(tmp_path / 'work')
    run_cmd([
        sys.executable, 'tools/train.py',
        tiny_config(2), '--work-dir', work_dir
    ])
    dump = str(tmp_path / 'predictions.pkl')
    out = run_cmd([
        sys.executable, 'tools/test.py',
        tiny_config(2, base=OH_CONFIG),
        osp.join(work_dir, 'iter_2.pth'), '--work-dir',
        str(tmp_path / 'test'), '--out', dump
    ])
    assert 'unexpected key' not in out and 'missing keys' not in out
    assert re.findall(r'coco_panoptic/PQ: (\d+\.\d+)', out), out[-3000:]
    check_panoptic_dump(dump, tiny_shapes, num_classes=7)

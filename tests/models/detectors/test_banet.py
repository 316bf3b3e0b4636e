"""BANet end to end on mmdet's demo inputs: loss / predict / tensor modes
(images without instances included), the I2S gradient route through
RoIInlay into the mask head, the ground-truth box sampling, the ablation
variants; and a short training + PQ evaluation on the tiny shapes set."""
import os.path as osp
import re
import sys

import pytest
import torch
from conftest import build_detector, check_panoptic_dump, demo_inputs

from mmrefine.models import BANet

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO, 'configs', 'banet', 'banet_r18_fpn_shapes.py')
NUM_CLASSES = 7


def build(config=CONFIG, **model_overrides):
    return build_detector(config, **model_overrides)


def inputs(model, num_items=(4, 0), training=True):
    return demo_inputs(model, num_items, training, NUM_CLASSES)


@pytest.fixture(scope='module')
def model():
    return build()


def test_loss_with_an_image_without_instances(model):
    model.train()
    losses = model(**inputs(model), mode='loss')
    assert {
        'loss_rpn_cls', 'loss_cls', 'loss_bbox', 'loss_mask', 'loss_seg',
        'loss_i2s'
    } <= set(losses)
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()


def test_loss_without_any_instance(model):
    model.train()
    model.zero_grad()
    losses = model(**inputs(model, num_items=(0, 0)), mode='loss')
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()


def test_predict_and_tensor_modes(model):
    model.eval()
    data = inputs(model, training=False)
    with torch.no_grad():
        samples = model(**data, mode='predict')
        outs = model(**data, mode='tensor')
    for sample, shape in zip(samples, [(96, 128), (128, 96)]):
        pan = sample.pred_panoptic_seg.sem_seg
        assert pan.shape == (1, *shape)
        labels = pan % 1000
        assert ((labels >= 0) & (labels <= NUM_CLASSES)).all()
        assert (pan >= 1000).any()  # instances reach the panoptic map
    # RPN (2 lists), cls, bbox, mask, F_S logits, I2S logits
    assert len(outs) == 7
    assert outs[-1].shape == outs[-2].shape == (2, NUM_CLASSES, 32, 32)


def test_predict_without_detections(model):
    model.eval()
    model.roi_head.test_cfg.score_thr = 1.1  # nothing survives
    try:
        with torch.no_grad():
            samples = model(**inputs(model, training=False), mode='predict')
    finally:
        model.roi_head.test_cfg.score_thr = 0.0
    for sample in samples:
        assert (sample.pred_panoptic_seg.sem_seg < 1000).all()


def test_i2s_loss_trains_the_mask_head_through_roi_inlay():
    model = build()
    model.train()
    data = inputs(model, num_items=(4, 3))
    mask_head = model.roi_head.mask_head
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    optimizer.zero_grad()
    model(**data, mode='loss')['loss_i2s'].backward()
    optimizer.step()
    changed = {
        name
        for name, p in model.named_parameters()
        if not torch.equal(p.detach(), before[name])
    }
    for k in range(3):  # F_ins = the three convs: reached through RoIInlay
        assert f'roi_head.mask_head.convs.{k}.conv.weight' in changed
    # ... but not the mask logits, nor the bbox branch: not on the I2S path
    assert not any(
        n.startswith('roi_head.mask_head.conv_logits')
        or n.startswith('roi_head.mask_head.upsample')
        or n.startswith('roi_head.bbox_head') for n in changed)
    assert 'roi_head.semantic_proj.weight' in changed  # S2I feeds F_ins
    assert mask_head.convs[0].conv.weight.grad.abs().sum() > 0


def test_ground_truth_boxes_sampled_for_the_inlay(model):
    data = inputs(model, num_items=(9, 0))
    counts = []
    for seed in range(20):
        torch.manual_seed(seed)
        rois = model.sample_inlay_rois(data['data_samples'])
        assert (rois[:, 0] == 0).all()  # none from the image without boxes
        gt = data['data_samples'][0].gt_instances.bboxes
        assert all((gt == roi[1:]).all(dim=1).any() for roi in rois)
        assert len(set(map(tuple, rois[:, 1:].tolist()))) == len(rois)
        counts.append(len(rois))
    # 9 boxes at a rate in [0.6, 1]: round(5.4) = 5 .. 9, and it varies
    assert min(counts) >= 5 and max(counts) <= 9 and len(set(counts)) > 1
    one = inputs(model, num_items=(1, 1))
    for seed in range(5):
        torch.manual_seed(seed)
        assert len(model.sample_inlay_rois(one['data_samples'])) == 2


@pytest.mark.parametrize(
    'variant', ['baseline', 'baseline-sim', 'baseline-sim-ocm', 'heuristic'])
def test_table2_chain_trains_and_predicts(variant):
    """Each shapes config of BANet's Table 2 chain adds its module."""
    config = osp.join(REPO, 'configs', 'banet',
                      f'banet_r18_fpn_{variant}_shapes.py')
    model = build(config)
    assert model.semantic_head.with_i2s == (variant != 'baseline')
    assert (getattr(model.semantic_head, 'ocm', None) is not None) == (
        variant not in ('baseline', 'baseline-sim'))
    assert (model.roi_head.semantic_channels is not None) == (
        variant == 'heuristic')
    assert type(model.panoptic_fusion_head).__name__ == 'HeuristicFusionHead'
    model.train()
    losses = model(**inputs(model), mode='loss')
    assert ('loss_i2s' in losses) == (variant != 'baseline')
    total, _ = model.parse_losses(losses)
    total.backward()
    model.eval()
    with torch.no_grad():
        samples = model(**inputs(model, training=False), mode='predict')
    assert samples[0].pred_panoptic_seg.sem_seg.shape == (1, 96, 128)


def test_inconsistent_configs_are_rejected():
    with pytest.raises(ValueError, match='semantic_channels'):
        build(roi_head=dict(semantic_channels=64))
    with pytest.raises(ValueError, match='sample_rate'):
        build(train_cfg=dict(inlay=dict(sample_rate=(0.0, 1.0))))
    with pytest.raises(ValueError, match='sample_rate'):
        build(train_cfg=dict(inlay=dict(sample_rate='ab')))
    # a typo is named, with the known keys
    with pytest.raises(
            ValueError,
            match=r"BANet: unknown key\(s\) \['sample_ratee'\] in "
            r"train_cfg.inlay; known keys: \['sample_rate'\]"):
        build(train_cfg=dict(inlay=dict(sample_ratee=(0.6, 1.0))))
    with pytest.raises(
            ValueError,
            match=r"unknown key\(s\) \['occlusion_thr'\] in "
            r'test_cfg.panoptic'):
        build(test_cfg=dict(panoptic=dict(occlusion_thr=0.2)))
    assert isinstance(build(), BANet)


@pytest.mark.slow
def test_train_two_steps_and_evaluate_pq(tiny_config, tiny_shapes, run_cmd,
                                         tmp_path):
    """The shapes BANet config trains and is evaluated with mmdet's
    CocoPanopticMetric through tools/train.py and tools/test.py."""
    config = tiny_config(2, base=CONFIG)
    work_dir = str(tmp_path / 'work')
    out = run_cmd(
        [sys.executable, 'tools/train.py', config, '--work-dir', work_dir])
    assert 'loss_i2s' in out
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    assert osp.exists(checkpoint), out[-3000:]
    dump = str(tmp_path / 'predictions.pkl')
    out = run_cmd([
        sys.executable, 'tools/test.py', config, checkpoint, '--work-dir',
        str(tmp_path / 'test'), '--out', dump
    ])
    assert re.findall(r'coco_panoptic/PQ: (\d+\.\d+)', out), out[-3000:]
    assert 'PQ_th' in out and 'PQ_st' in out
    check_panoptic_dump(dump, tiny_shapes, NUM_CLASSES)

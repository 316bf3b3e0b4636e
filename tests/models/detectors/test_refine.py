"""REFINE end to end on mmdet's demo inputs: loss, predict and tensor modes,
the gradient routes of IBPP and the frozen-model option."""
import os.path as osp

import pytest
import torch
from conftest import build_detector, demo_inputs

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO, 'configs', 'refine', 'refine_r18_fpn_shapes.py')


def build(**model_overrides):
    return build_detector(CONFIG, **model_overrides)


def inputs(model, num_items=(4, 0), training=True):
    return demo_inputs(
        model, num_items, training, shapes=((3, 96, 128), (3, 96, 128)))


@pytest.fixture(scope='module')
def model():
    return build()


def test_loss_with_an_image_without_instances(model):
    model.train()
    data = inputs(model)
    losses = model(**data, mode='loss')
    for t in range(3):
        assert f's{t}.loss_mask' in losses and f's{t}.loss_seg' in losses
    assert {'loss_seg', 'loss_occ', 'loss_cls', 'loss_bbox'} <= set(losses)
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()


def test_loss_without_any_instance(model):
    model.train()
    losses = model(**inputs(model, num_items=(0, 0)), mode='loss')
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()


def test_predict_gives_panoptic_maps_and_occlusion_probs(model):
    model.eval()
    data = inputs(model, training=False)
    with torch.no_grad():
        x = model.extract_feat(data['inputs'])
        rpn = model.rpn_head.predict(x, data['data_samples'], rescale=False)
        sem = model.semantic_head(x)
        results, sem_pred = model.roi_head.predict_with_semantics(
            x,
            rpn,
            data['data_samples'],
            rescale=True,
            semantic_feat=sem['seg_feats'],
            semantic_pred=sem['seg_preds'])
        # mmdet's contract: predict returns the InstanceList alone
        plain = model.roi_head.predict(
            x,
            rpn,
            data['data_samples'],
            rescale=True,
            semantic_feat=sem['seg_feats'],
            semantic_pred=sem['seg_preds'])
        samples = model(**data, mode='predict')
    assert sem_pred.shape == (2, 7, 24, 32)
    assert isinstance(plain, list) and len(plain) == 2
    for res, ref in zip(plain, results):
        assert set(res.keys()) == set(ref.keys())
        torch.testing.assert_close(res.masks, ref.masks)
        torch.testing.assert_close(res.occ_probs, ref.occ_probs)
    for res in results:
        assert len(res) > 0
        assert res.occ_probs.shape == (len(res), len(res))
        assert ((res.occ_probs >= 0) & (res.occ_probs <= 1)).all()
    for sample in samples:
        pan = sample.pred_panoptic_seg.sem_seg
        assert pan.shape == (1, 96, 128)


def test_tensor_mode(model):
    model.eval()
    data = inputs(model, training=False)
    with torch.no_grad():
        outs = model(**data, mode='tensor')
    # rpn cls/reg (5 levels each), bbox cls/reg, 3 mask and 3 semantic
    # iterations, P_sem^(0)
    assert len(outs) == 2 + 2 + 3 + 3 + 1
    assert outs[-1].shape == (2, 7, 24, 32)


def grad_norm(module):
    return sum(p.grad.abs().sum() for p in module.parameters()
               if p.grad is not None)


def test_semantic_loss_reaches_mask_head_through_roi_flatten():
    model = build(roi_head=dict(occlusion_head=None))
    model.train()
    losses = model(**inputs(model), mode='loss')
    losses['s0.loss_seg'].backward()
    # P_sem^(1) = H~sem([ROI-Flatten(m^(1)); F_sem]) -> H~ins_1
    assert grad_norm(model.roi_head.mask_head[0].conv_logits) > 0
    assert grad_norm(model.roi_head.mask_head[1]) == 0


def test_mask_loss_reaches_semantic_heads_through_roi_align():
    model = build(roi_head=dict(occlusion_head=None))
    model.train()
    losses = model(**inputs(model), mode='loss')
    losses['s0.loss_mask'].backward()
    # m^(1) reads RoIAlign(P_sem^(0)) -> H_sem's logits
    assert grad_norm(model.semantic_head.conv_logits) > 0
    model.zero_grad()
    losses = model(**inputs(model), mode='loss')
    losses['s1.loss_mask'].backward()
    # m^(2) reads RoIAlign(P_sem^(1)) -> H~sem_1
    assert grad_norm(model.roi_head.semantic_refine_head[0]) > 0
    assert grad_norm(model.roi_head.semantic_refine_head[1]) == 0


def test_trainable_modules_freeze_everything_else():
    model = build(trainable_modules=['roi_head.occlusion_head'])
    model.train()
    assert not model.backbone.training
    assert model.roi_head.occlusion_head.training
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(
        n.startswith('roi_head.occlusion_head.') for n in trainable)
    # many overlapping random instances, so that some pairs are labelled
    losses = model(**inputs(model, num_items=(9, 9)), mode='loss')
    assert losses['loss_occ'] > 0
    losses['loss_occ'].backward()
    assert grad_norm(model.roi_head.occlusion_head) > 0


def test_bad_config_values_are_named():
    with pytest.raises(ValueError, match='stage_loss_weights'):
        build(roi_head=dict(num_stages=2))
    with pytest.raises(ValueError, match='trainable_modules'):
        build(trainable_modules=['roi_head.no_such_head'])


@pytest.mark.parametrize('overrides, message', [
    (dict(roi_head=dict(stage_loss_weights='abc')),
     r"stage_loss_weights must be a list of 3 numbers, one per stage "
     r"\(num_stages=3\), got 'abc'"),
    (dict(roi_head=dict(stage_loss_weights=[1, 'a', 0.25])),
     r"stage_loss_weights\[1\] must be a number >= 0, got 'a'"),
    (dict(roi_head=dict(num_stages=0, stage_loss_weights=[])),
     r'num_stages must be an int >= 1, got 0'),
    (dict(train_cfg=dict(rcnn=dict(occlusion=dict(overlap_th=0.2)))),
     r"unknown key\(s\) \['overlap_th'\] in train_cfg.rcnn.occlusion; "
     r"known keys: \['max_pairs', 'overlap_thr'\]"),
    (dict(train_cfg=dict(rcnn=dict(occlusion=dict(max_pairs=0)))),
     r'train_cfg.rcnn.occlusion.max_pairs must be an int >= 1, got 0'),
    (dict(test_cfg=dict(rcnn=dict(occlusion=dict(max_pairs=9)))),
     r"unknown key\(s\) \['max_pairs'\] in test_cfg.rcnn.occlusion; "
     r"known keys: \['overlap_thr'\]"),
    (dict(test_cfg=dict(rcnn=dict(occlusion=dict(overlap_thr=1.5)))),
     r'test_cfg.rcnn.occlusion.overlap_thr must be a number >= 0 and '
     r'<= 1, got 1.5'),
    (dict(test_cfg=dict(rcnn=dict(occlusion=dict(overlap_thr=0.3)))),
     r'test_cfg.rcnn.occlusion.overlap_thr \(0.3\) must not exceed '
     r'panoptic_fusion_head.overlap_thr \(0.2\)'),
    (dict(panoptic_fusion_head=dict(unknown_erasing=dict(thrs=0.5))),
     r"unknown key\(s\) \['thrs'\] in unknown_erasing; known keys: "
     r"\['dilation', 'thr'\]"),
    (dict(panoptic_fusion_head=dict(unknown_erasing=dict(dilation=2.5))),
     r'unknown_erasing.dilation must be an int >= 0, got 2.5'),
    (dict(test_cfg=dict(panoptic=dict(mask_overlap=0.5, stuff_area=9))),
     r"unknown key\(s\) \['stuff_area'\] in test_cfg.panoptic; known "
     r"keys: \['mask_overlap', 'stuff_area_limit'\]"),
])
def test_bad_options_fail_at_build_naming_key_and_known_keys(
        overrides, message):
    """Every dict option the package reads rejects unknown keys, and values
    are type- and range-checked when the model is built."""
    with pytest.raises(ValueError, match=message):
        build(**overrides)

"""REFINE end to end on mmdet's demo inputs: loss, predict and tensor modes,
the gradient routes of IBPP and the frozen-model option."""
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO, 'configs', 'refine', 'refine_r18_fpn_shapes.py')


def build(**model_overrides):
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(dict(model=model_overrides))
    # random weights detect nothing above 0.6: keep every box so that the
    # iterations and the occlusion head also run at inference
    cfg.model.test_cfg.rcnn.score_thr = 0.0
    cfg.model.test_cfg.rcnn.max_per_img = 8
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def inputs(model, num_items=(4, 0), training=True):
    packed = demo_mm_inputs(2, [(3, 96, 128), (3, 96, 128)],
                            num_items=list(num_items), num_classes=4,
                            with_mask=True, with_semantic=True)
    for sample in packed['data_samples']:  # all-class label space, 255 void
        sem = sample.gt_sem_seg.sem_seg
        sample.gt_sem_seg.sem_seg = torch.where(sem > 6, 255, sem)
    return model.data_preprocessor(packed, training)


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
        results, sem_pred = model.roi_head.predict(
            x, rpn, data['data_samples'], sem['seg_feats'], sem['seg_preds'],
            rescale=True)
        samples = model(**data, mode='predict')
    assert sem_pred.shape == (2, 7, 24, 32)
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
    assert trainable and all(n.startswith('roi_head.occlusion_head.')
                             for n in trainable)
    # many overlapping random instances, so that some pairs are labelled
    losses = model(**inputs(model, num_items=(9, 9)), mode='loss')
    assert losses['loss_occ'] > 0
    losses['loss_occ'].backward()
    assert grad_norm(model.roi_head.occlusion_head) > 0


def test_bad_config_values_are_named():
    with pytest.raises(ValueError, match='stage_loss_weights'):
        build(roi_head=dict(num_iters=2))
    with pytest.raises(ValueError, match='trainable_modules'):
        build(trainable_modules=['roi_head.no_such_head'])

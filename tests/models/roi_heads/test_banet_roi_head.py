"""BANet's RoI head: F_S2I = phi(RoIAlign(F_S)) + RoIAlign(P_i) in both
branches (checked against mmcv's RoIAlign by hand), F_ins at given boxes and
returned with the predictions, and the no-S2I variant = StandardRoIHead."""
import pytest
import torch
from mmcv.ops import RoIAlign
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmrefine.models import BANetRoIHead

C, SEM_C = 16, 24


def head_cfg(semantic_channels=SEM_C):
    roi_layer = dict(type='RoIAlign', sampling_ratio=0)
    return dict(
        type='BANetRoIHead',
        semantic_channels=semantic_channels,
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(roi_layer, output_size=7),
            out_channels=C,
            featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(
            type='Shared2FCBBoxHead',
            in_channels=C,
            fc_out_channels=32,
            roi_feat_size=7,
            num_classes=4,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
        mask_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(roi_layer, output_size=14),
            out_channels=C,
            featmap_strides=[4, 8, 16, 32]),
        mask_head=dict(
            type='BANetMaskHead',
            in_channels=C,
            conv_out_channels=C,
            num_classes=4),
        test_cfg=ConfigDict(
            score_thr=0.0,
            nms=dict(type='nms', iou_threshold=0.5),
            max_per_img=10,
            mask_thr_binary=0.5))


def build(semantic_channels=SEM_C):
    torch.manual_seed(0)
    head = MODELS.build(head_cfg(semantic_channels))
    head.init_weights()
    return head.eval()


def feats(batch=2):
    x = tuple(torch.randn(batch, C, 32 // 2**i, 48 // 2**i) for i in range(5))
    return x, torch.randn(batch, SEM_C, 32, 48)


ROIS = torch.tensor([[0, 10., 12., 70., 90.], [1, 40., 8., 180., 100.],
                     [1, 3., 5., 30., 25.]])


def test_s2i_adds_projected_semantic_crops_to_both_branches():
    head = build()
    x, sem = feats()
    s2i_feat = head._project_semantic(sem)
    phi_sem = torch.nn.functional.conv2d(sem, head.semantic_proj.weight,
                                         head.semantic_proj.bias)
    for branch, size in (('bbox', 7), ('mask', 14)):
        # one sample at each bin centre, the paper's RoIAlign
        align = RoIAlign(size, spatial_scale=1 / 4, sampling_ratio=1)
        extractor = getattr(head, f'{branch}_roi_extractor')
        expected = extractor(x[:4], ROIS) + align(phi_sem, ROIS)
        if branch == 'bbox':
            got = head._bbox_forward(x, ROIS, s2i_feat)['bbox_feats']
        else:
            got = head._mask_roi_feats(x, ROIS, s2i_feat)
        torch.testing.assert_close(got, expected)


def test_phi_commutes_with_roi_align_inside_the_image():
    # why phi may run on the whole F_S map: Eq. (1) crops, then projects
    head = build()
    _, sem = feats()
    align = RoIAlign(7, spatial_scale=1 / 4, sampling_ratio=0)
    torch.testing.assert_close(
        align(head.semantic_proj(sem), ROIS),
        head.semantic_proj(align(sem, ROIS)),
        rtol=1e-4,
        atol=1e-5)


def test_forward_ins_feats_and_tensor_mode():
    head = build()
    x, sem = feats()
    assert head.forward_ins_feats(x, ROIS, sem).shape == (3, C, 14, 14)
    assert head.forward_ins_feats(x, ROIS[:0], sem).shape == (0, C, 14, 14)
    proposals = [
        InstanceData(bboxes=ROIS[:1, 1:]),
        InstanceData(bboxes=ROIS[1:, 1:])
    ]
    cls_score, bbox_pred, mask_preds, ins_feats, mask_rois = head(
        x, proposals, semantic_feat=sem)
    assert cls_score.shape == (3, 5) and mask_preds.shape == (3, 4, 28, 28)
    assert ins_feats.shape == (3, C, 14, 14)
    assert torch.equal(mask_rois, ROIS)
    with pytest.raises(ValueError, match='semantic_feat'):
        head.forward_ins_feats(x, ROIS)
    with pytest.raises(ValueError, match=f'{SEM_C}'):
        head.forward_ins_feats(x, ROIS, sem[:, :3])


def test_predict_keeps_ins_feats_at_input_scale_boxes():
    head = build()
    x, sem = feats()
    samples = []
    for _ in range(2):
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(128, 192),
                ori_shape=(64, 96),
                scale_factor=(2., 2.),
                batch_input_shape=(128, 192)))
        samples.append(sample)
    proposals = [
        InstanceData(bboxes=ROIS[:1, 1:], scores=torch.ones(1)),
        InstanceData(bboxes=ROIS[1:, 1:], scores=torch.ones(2))
    ]
    results, ins_feats, rois = head.predict_with_ins_feats(
        x, proposals, samples, rescale=True, semantic_feat=sem)
    assert all(len(r) > 0 for r in results)
    for r in results:
        assert r.masks.shape[1:] == (64, 96)  # original size
    # F_ins at the detected boxes, in the network input's coordinates
    torch.testing.assert_close(rois[:, 1:],
                               torch.cat([r.bboxes for r in results]) * 2)
    assert ins_feats.shape == (sum(len(r) for r in results), C, 14, 14)
    assert rois[:, 0].tolist() == [0] * len(results[0]) + [1] * len(results[1])
    # predict returns the InstanceList alone, with the same instances
    plain = head.predict(
        x, proposals, samples, rescale=True, semantic_feat=sem)
    assert set(plain[0].keys()) == set(results[0].keys())
    torch.testing.assert_close(plain[0].bboxes, results[0].bboxes)
    # F_ins of the predictions is F_ins at those boxes
    torch.testing.assert_close(ins_feats, head.forward_ins_feats(x, rois, sem))

    # no detection anywhere: empty F_ins of the right shape
    empty = [
        InstanceData(bboxes=torch.zeros(0, 4), scores=torch.zeros(0))
        for _ in range(2)
    ]
    results, ins_feats, rois = head.predict_with_ins_feats(
        x, empty, samples, rescale=True, semantic_feat=sem)
    assert ins_feats.shape == (0, C, 14, 14) and rois.shape == (0, 5)
    assert all(len(r) == 0 for r in results)


def test_without_s2i_it_is_a_standard_roi_head():
    head = build(semantic_channels=None)
    assert not head.with_s2i
    cfg = head_cfg(None)
    cfg.pop('semantic_channels')
    cfg.update(type='StandardRoIHead')
    stock = MODELS.build(cfg).eval()
    assert isinstance(stock, StandardRoIHead)
    stock.load_state_dict(head.state_dict())  # strict: same parameters
    x, _ = feats()
    proposals = [
        InstanceData(bboxes=ROIS[:1, 1:]),
        InstanceData(bboxes=ROIS[1:, 1:])
    ]
    for got, expected in zip(head(x, proposals), stock(x, proposals)):
        torch.testing.assert_close(got, expected)


def test_bad_configs():
    cfg = head_cfg()
    cfg['mask_head'] = dict(cfg['mask_head'], type='FCNMaskHead')
    with pytest.raises(ValueError, match='F_ins'):
        MODELS.build(cfg)
    with pytest.raises(ValueError, match='semantic_channels'):
        MODELS.build(dict(head_cfg(), semantic_channels=0))
    assert isinstance(build(), BANetRoIHead)

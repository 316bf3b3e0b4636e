"""REFINE's all-class semantic head H_sem: shapes, all-class targets, the
crop rule of its predictions and the stuff + thing view for mmdet."""
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import PixelData

from mmrefine.models import REFINESemanticHead

THINGS, STUFF = 3, 2


def head():
    torch.manual_seed(0)
    head = REFINESemanticHead(
        num_things_classes=THINGS,
        num_stuff_classes=STUFF,
        in_channels=8,
        inner_channels=8,
        start_level=0,
        end_level=2,
        norm_cfg=dict(type='GN', num_groups=4, requires_grad=True),
        loss_seg=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=1.0))
    head.init_weights()
    return head


def fpn(batch=2):
    return [torch.randn(batch, 8, 16 // 2**i, 24 // 2**i) for i in range(2)]


def test_predicts_all_classes_and_returns_its_features():
    outs = head()(fpn())
    assert outs['seg_preds'].shape == (2, THINGS + STUFF, 16, 24)
    assert outs['seg_feats'].shape == (2, 8, 16, 24)


def test_loss_reads_all_class_targets_as_they_are():
    sem_head = head()
    gt = torch.randint(0, THINGS + STUFF, (1, 64, 96))
    gt[0, :8] = 255  # ignored
    sample = DetDataSample(gt_sem_seg=PixelData(sem_seg=gt))
    # logits that say the (subsampled) ground truth: near-zero loss
    target = gt[:, ::4, ::4].clone()
    logits = torch.full((1, THINGS + STUFF, 16, 24), -20.)
    logits.scatter_(1, target.clamp(max=THINGS + STUFF - 1)[:, None], 20.)
    right = sem_head.loss_by_feat(logits, [sample])['loss_seg']
    wrong = sem_head.loss_by_feat(logits.roll(1, dims=1), [sample])
    assert right < 1e-6 < wrong['loss_seg']


def test_predictions_are_cropped_to_img_shape_then_rescaled():
    sem_head = head()
    logits = torch.randn(2, THINGS + STUFF, 16, 24)
    metas = [
        dict(
            batch_input_shape=(64, 96), img_shape=(64, 90),
            ori_shape=(32, 45)),
        dict(
            batch_input_shape=(64, 96),
            img_shape=(60, 96),
            ori_shape=(120, 192))
    ]
    at_input = sem_head.predict_by_feat(logits, metas, rescale=False)
    assert [tuple(p.shape[-2:]) for p in at_input] == [(64, 90), (60, 96)]
    at_original = sem_head.predict_by_feat(logits, metas, rescale=True)
    assert [tuple(p.shape[-2:]) for p in at_original] == [(32, 45), (120, 192)]
    # the crop is of the padded-size upsampling, not of a resized map
    padded = torch.nn.functional.interpolate(
        logits, size=(64, 96), mode='bilinear', align_corners=False)
    torch.testing.assert_close(at_input[0], padded[0, :, :64, :90])


def test_stuff_thing_layout_keeps_the_argmax():
    logits = torch.randn(THINGS + STUFF, 6, 7)
    merged = head().to_stuff_thing_layout(logits)
    assert merged.shape == (STUFF + 1, 6, 7)
    labels = logits.argmax(0)
    expected = torch.where(labels >= THINGS, labels - THINGS, STUFF)
    assert torch.equal(merged.argmax(0), expected)

"""BANet's semantic head: F_S and I2S shapes, the all-class targets (no
remapping), the lambda-weighted losses computed by hand, zero RoIs, the
deformable variant and the prediction sizes."""
import pytest
import torch
import torch.nn.functional as F
from mmcv.ops import DeformConv2dPack
from mmdet.structures import DetDataSample
from mmengine.structures import PixelData

from mmrefine.models import BANetSemanticHead

NUM_THINGS, NUM_STUFF = 4, 3


def make(i2s=True, ocm=True, **kwargs):
    cfg = dict(
        num_things_classes=NUM_THINGS,
        num_stuff_classes=NUM_STUFF,
        in_channels=16,
        inner_channels=8,
        ins_channels=12,
        norm_cfg=dict(type='GN', num_groups=4, requires_grad=True),
        sim=dict(
            type='StructureInjectionModule', out_channels=8, norm_cfg=None)
        if i2s else None,
        ocm=dict(
            type='ObjectContextModule',
            out_channels=8,
            encoding_channels=4,
            norm_cfg=None) if i2s and ocm else None)
    cfg.update(kwargs)
    torch.manual_seed(0)
    head = BANetSemanticHead(**cfg)
    head.init_weights()
    return head


def fpn(batch=2, height=32, width=48, channels=16):
    """Five FPN levels of an input of (4 * height, 4 * width)."""
    return tuple(
        torch.randn(batch, channels, height // 2**i, width // 2**i)
        for i in range(5))


def samples(gt):
    out = []
    for sem in gt:
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(128, 192),
                ori_shape=(64, 96),
                batch_input_shape=(128, 192)))
        sample.gt_sem_seg = PixelData(sem_seg=sem[None])
        out.append(sample)
    return out


def test_forward_shapes():
    head = make()
    assert head.feat_channels == 4 * 8 and head.num_classes == 7
    outs = head(fpn())
    assert outs['seg_feats'].shape == (2, 32, 32, 48)
    assert outs['seg_preds'].shape == (2, 7, 32, 48)
    rois = torch.tensor([[0, 10., 20., 90., 60.], [1, 0., 0., 40., 40.],
                         [1, 30., 30., 180., 120.]])
    i2s = head.forward_i2s(outs['seg_feats'], torch.randn(3, 12, 14, 14), rois)
    assert i2s.shape == (2, 7, 32, 48)


def test_i2s_uses_the_instance_features_where_they_are_inlaid():
    head = make(ocm=False).eval()  # SIM only: local
    seg_feats = head(fpn())['seg_feats']
    rois = torch.tensor([[0, 8., 8., 40., 40.]])  # pixels 2..9 at stride 4
    base = head.forward_i2s(seg_feats, torch.zeros(1, 12, 14, 14), rois)
    moved = head.forward_i2s(seg_feats, torch.ones(1, 12, 14, 14), rois)
    diff = (moved - base).abs().sum(dim=1)
    assert diff[0, 2:10, 2:10].min() > 0  # inside the box
    assert diff[0, 12:, 12:].max() == 0  # beyond the 3x3 conv's reach
    assert diff[1].max() == 0  # the other image has no RoI


def test_zero_rois_train_and_predict():
    head = make()
    x = fpn()
    outs = head(x)
    ins_feats = torch.zeros(0, 12, 14, 14, requires_grad=True)
    i2s = head.forward_i2s(outs['seg_feats'], ins_feats, torch.zeros(0, 5))
    assert i2s.shape == (2, 7, 32, 48)
    gt = torch.randint(0, 7, (2, 128, 192), dtype=torch.uint8)
    losses = head.loss_by_feat(outs['seg_preds'], samples(gt), i2s_preds=i2s)
    (losses['loss_seg'] + losses['loss_i2s']).backward()
    assert ins_feats.grad.shape == (0, 12, 14, 14)
    preds = head.predict_by_feat(
        i2s, [s.metainfo for s in samples(gt)], rescale=True)
    assert [p.shape for p in preds] == [(7, 64, 96)] * 2


def test_losses_are_weighted_cross_entropies_on_all_classes():
    head = make(
        loss_seg=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=0.2),
        loss_i2s=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=0.3))
    seg_preds = torch.randn(2, 7, 32, 48)
    i2s_preds = torch.randn(2, 7, 32, 48)
    gt = torch.randint(0, 7, (2, 128, 192), dtype=torch.uint8)
    gt[:, :40] = 255
    losses = head.loss_by_feat(seg_preds, samples(gt), i2s_preds=i2s_preds)
    # targets: gt as loaded (thing 0..3, stuff 4..6), nearest at stride 4
    target = gt[:, ::4, ::4].long()

    def mean_ce(logits):  # mmdet averages over all pixels, ignored ones = 0
        ce = F.cross_entropy(
            logits, target, ignore_index=255, reduction='none')
        return ce.sum() / target.numel()

    torch.testing.assert_close(losses['loss_seg'], 0.2 * mean_ce(seg_preds))
    torch.testing.assert_close(losses['loss_i2s'], 0.3 * mean_ce(i2s_preds))

    # thing labels are used as they are: logits confident in the right
    # classes give a near-zero loss, no "one thing channel" remapping
    perfect = F.one_hot(target.clamp(max=6), 7).permute(0, 3, 1, 2) * 50.
    assert head.loss_by_feat(
        perfect, samples(gt), i2s_preds=perfect)['loss_seg'] < 1e-6


def test_without_i2s_only_loss_seg():
    head = make(
        i2s=False,
        loss_seg=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=0.5))
    assert not head.with_i2s
    x = fpn()
    gt = torch.randint(0, 7, (2, 128, 192), dtype=torch.uint8)
    losses = head.loss(x, samples(gt))
    assert set(losses) == {'loss_seg'}
    with pytest.raises(ValueError, match='I2S is off'):
        head.forward_i2s(
            head(x)['seg_feats'], torch.zeros(0, 12, 14, 14),
            torch.zeros(0, 5))


def test_predict_sizes_and_stuff_thing_layout():
    head = make(i2s=False)
    logits = torch.randn(2, 7, 32, 48)
    metas = [s.metainfo for s in samples(torch.zeros(2, 1, 1))]
    metas[1] = dict(metas[1], img_shape=(100, 150), ori_shape=(50, 75))
    rescaled = head.predict_by_feat(logits, metas, rescale=True)
    assert [p.shape for p in rescaled] == [(7, 64, 96), (7, 50, 75)]
    cropped = head.predict_by_feat(logits, metas, rescale=False)
    assert [p.shape for p in cropped] == [(7, 128, 192), (7, 100, 150)]
    merged = head.to_stuff_thing_layout(rescaled[0])
    assert merged.shape == (NUM_STUFF + 1, 64, 96)
    all_class = rescaled[0].argmax(dim=0)
    expected = torch.where(all_class < NUM_THINGS, NUM_STUFF,
                           all_class - NUM_THINGS)
    assert torch.equal(merged.argmax(dim=0), expected)


def test_deformable_semantic_convs():
    head = make(conv_cfg=dict(type='DCN', deform_groups=1))
    assert sum(isinstance(m, DeformConv2dPack) for m in head.modules()) == 12
    assert head(fpn())['seg_feats'].shape == (2, 32, 32, 48)


def test_bad_arguments():
    with pytest.raises(ValueError, match='needs sim'):
        make(sim=None)
    with pytest.raises(ValueError, match='end_level'):
        make(end_level=0)
    head = make()
    with pytest.raises(ValueError, match='ins_feats'):
        head.forward_i2s(
            head(fpn())['seg_feats'], torch.zeros(1, 5, 14, 14),
            torch.zeros(1, 5))
    with pytest.raises(ValueError, match='i2s_preds'):
        head.loss_by_feat(
            torch.zeros(2, 7, 32, 48), samples(torch.zeros(2, 128, 192)))
    # mmdet's one-call loss has no F_ins: refused with I2S on
    with pytest.raises(ValueError, match='i2s_preds'):
        head.loss(fpn(), samples(torch.zeros(2, 128, 192)))

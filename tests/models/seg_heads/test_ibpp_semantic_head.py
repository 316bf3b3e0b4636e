"""IBPP's per-iteration semantic head H~sem (REFINE Eq. 6):
P_sem^(t) = H~sem([P_ins^(t); F_sem])."""
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import PixelData

from mmrefine.models import IBPPSemanticHead


def head(**kwargs):
    torch.manual_seed(0)
    head = IBPPSemanticHead(
        num_things_classes=3,
        num_stuff_classes=2,
        in_channels=8,
        conv_out_channels=8,
        norm_cfg=dict(type='GN', num_groups=4, requires_grad=True),
        **kwargs)
    head.init_weights()
    return head


def test_reads_the_instance_canvas_and_the_features():
    sem_head = head()
    canvas = torch.rand(2, 3, 16, 24, requires_grad=True)
    feats = torch.randn(2, 8, 16, 24, requires_grad=True)
    logits = sem_head(canvas, feats)
    assert logits.shape == (2, 5, 16, 24)
    logits.square().sum().backward()
    # both inputs reach the logits: the canvas carries RoI-Flatten's masks
    assert canvas.grad.abs().sum() > 0 and feats.grad.abs().sum() > 0
    # the canvas changes the prediction
    assert not torch.allclose(sem_head(canvas.detach() * 0, feats), logits)


def test_rejects_a_canvas_of_the_wrong_class_count():
    with pytest.raises(
            ValueError,
            match='ins_canvas has 4 channels, '
            'expected num_things_classes=3'):
        head()(torch.zeros(1, 4, 8, 8), torch.zeros(1, 8, 8, 8))


def test_loss_against_the_stride_4_ground_truth():
    sem_head = head()
    gt = torch.randint(0, 5, (1, 32, 48))
    sample = DetDataSample(gt_sem_seg=PixelData(sem_seg=gt))
    logits = torch.full((1, 5, 8, 12), -20.)
    logits.scatter_(1, gt[:, ::4, ::4][:, None], 20.)
    right = sem_head.loss_by_feat(logits, [sample])['loss_seg']
    wrong = sem_head.loss_by_feat(logits.roll(1, dims=1), [sample])['loss_seg']
    assert right < 1e-6
    # HTC's semantic weight, 0.2, times the cross entropy of 40 logits apart
    torch.testing.assert_close(
        wrong, torch.tensor(0.2 * 40.), rtol=1e-3, atol=1e-3)

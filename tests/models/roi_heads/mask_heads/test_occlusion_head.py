import math

import pytest
import torch

from mmrefine.models.roi_heads.mask_heads.occlusion_head import OcclusionHead


def _head(**kwargs):
    torch.manual_seed(0)
    head = OcclusionHead(in_channels=8, num_classes=3, conv_out_channels=32,
                         num_convs=2, fc_out_channels=16, **kwargs)
    head.init_weights()
    return head.eval()


def _pairs(num, feat_scale=1.0):
    torch.manual_seed(1)
    feats = [feat_scale * torch.rand(num, 8, 14, 14) for _ in range(2)]
    masks = [torch.randn(num, 1, 28, 28) for _ in range(2)]
    labels = [torch.randint(0, 3, (num,)) for _ in range(2)]
    return tuple(feats), tuple(masks), tuple(labels)


@pytest.mark.parametrize('use_feats,use_labels',
                         [(True, True), (False, True), (False, False)])
def test_one_logit_per_pair(use_feats, use_labels):
    head = _head(use_feats=use_feats, use_labels=use_labels)
    assert head(*_pairs(5)).shape == (5, )
    assert head(*_pairs(0)).shape == (0, )


def test_loss_of_no_pairs_is_zero_and_keeps_the_graph():
    head = _head()
    logits = head(*_pairs(0))
    loss = head.loss(logits, torch.zeros(0))
    assert loss.item() == 0 and loss.requires_grad


def test_group_norm_bounds_the_logits_whatever_the_feature_scale():
    # Unbounded mask features made the unnormalised head's logits (and the
    # BCE) explode in joint training; with GN the convs' outputs are
    # normalised per pair, so scaling the features 1000x barely moves them.
    gn, plain = _head(), _head(norm_cfg=None)
    with torch.no_grad():
        for head, bound in ((gn, 3.0), (plain, 100.0)):
            small = head(*_pairs(6)).abs().max()
            large = head(*_pairs(6, feat_scale=1000.0)).abs().max()
            if head is gn:
                assert large < bound * max(small, 1.0)
            else:  # the contrast that makes the test meaningful
                assert large > bound * small


def test_fcs_are_xavier_initialised():
    head = _head()
    for fc in (head.fc, head.fc_logit):
        fan_out, fan_in = fc.weight.shape
        if fc is head.fc_logit:  # overridden: start at O = 0.5
            assert fc.weight.std() < 0.05 and fc.bias.abs().max() == 0
        else:
            assert fc.weight.abs().max() <= math.sqrt(6 / (fan_in + fan_out))

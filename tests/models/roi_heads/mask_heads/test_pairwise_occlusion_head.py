import math

import pytest
import torch
import torch.nn.functional as F

from mmrefine.models import PairwiseOcclusionHead


def _head(**kwargs):
    torch.manual_seed(0)
    head = PairwiseOcclusionHead(
        in_channels=8,
        num_classes=3,
        conv_out_channels=32,
        num_convs=2,
        fc_out_channels=16,
        **kwargs)
    head.init_weights()
    return head.eval()


def _pairs(num, feat_scale=1.0, dtype=torch.float32):
    """Inputs of ``num`` pairs among 4 instances (every ordered pair, i != j,
    repeated as needed)."""
    torch.manual_seed(1)
    feats = feat_scale * torch.rand(4, 8, 14, 14, dtype=dtype)
    masks = torch.randn(4, 1, 28, 28, dtype=dtype)
    labels = torch.randint(0, 3, (4, ))
    pairs = torch.tensor([(i, j) for i in range(4) for j in range(4)
                          if i != j]).repeat(2, 1)[:num].reshape(num, 2)
    return feats, masks, labels, pairs


def _reference(head, feats, masks, labels, pairs):
    """The head on the concatenated pair, as OCFusion computes it."""
    i, j = pairs.unbind(1)
    inputs = []
    for k in (i, j):
        if head.use_feats:
            inputs.append(feats[k])
        inputs.append(F.adaptive_max_pool2d(masks[k].sigmoid(), (14, 14)))
    x = head.convs(torch.cat(inputs, dim=1)).flatten(1)
    if head.use_labels:
        x = torch.cat(
            [x,
             F.one_hot(labels[i], 3).to(x),
             F.one_hot(labels[j], 3).to(x)],
            dim=1)
    return head.fc_logit(F.relu(head.fc(x))).squeeze(1)


@pytest.mark.parametrize('use_feats,use_labels', [(True, True), (False, True),
                                                  (False, False)])
def test_one_logit_per_pair(use_feats, use_labels):
    head = _head(use_feats=use_feats, use_labels=use_labels)
    assert head(*_pairs(5)).shape == (5, )
    assert head(*_pairs(0)).shape == (0, )


@pytest.mark.parametrize('use_feats,use_labels,norm_cfg',
                         [(True, True, 'GN'), (False, True, 'GN'),
                          (False, False, None), (True, True, None)])
def test_first_conv_per_instance_equals_the_pairwise_conv(
        use_feats, use_labels, norm_cfg):
    norm = dict(type='GN', num_groups=8) if norm_cfg else None
    head = _head(
        use_feats=use_feats, use_labels=use_labels, norm_cfg=norm).double()
    with torch.no_grad():
        # non-zero first-conv bias (present without a norm layer)
        for p in head.parameters():
            p.add_(0.1 * torch.randn_like(p))
        inputs = _pairs(12, dtype=torch.float64)
        torch.testing.assert_close(head(*inputs), _reference(head, *inputs))


def test_gradients_reach_both_instances_of_a_pair():
    head = _head().double()
    feats, masks, labels, pairs = _pairs(1, dtype=torch.float64)
    feats.requires_grad_(True)
    masks.requires_grad_(True)
    head(feats, masks, labels, pairs).sum().backward()
    i, j = pairs[0].tolist()
    for grad in (feats.grad, masks.grad):
        hit = grad.flatten(1).abs().sum(1) > 0
        assert hit.tolist() == [k in (i, j) for k in range(4)]


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

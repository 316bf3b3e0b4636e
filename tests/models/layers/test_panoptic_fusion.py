"""The fusion steps both halves share: decisions to an order with cycles
broken, pasting with removal, panoptic ids, the stuff map."""
import pytest
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET

from mmrefine.models.layers import (order_from_decisions, overlapping_pairs,
                                    panoptic_map, paste_instances,
                                    semantic_stuff_map, stuff_labels)


def rect(top, bottom, left, right, size=(8, 12)):
    mask = torch.zeros(size, dtype=torch.bool)
    mask[top:bottom, left:right] = True
    return mask


def test_order_drops_the_decision_that_closes_a_cycle():
    scores = torch.tensor([0.5, 0.9, 0.7])
    # strongest first: 0 over 1, 1 over 2, then 2 over 0 closes a cycle
    order = order_from_decisions([0, 1, 2], [1, 2, 0], scores)
    assert order.tolist() == [0, 1, 2]
    # the same decisions in another strength order drop another one
    order = order_from_decisions([2, 0, 1], [0, 1, 2], scores)
    assert order.tolist() == [2, 0, 1]


def test_order_without_decisions_is_by_score_then_index():
    scores = torch.tensor([0.5, 0.9, 0.5, 0.7])
    assert order_from_decisions([], [], scores).tolist() == [1, 3, 0, 2]
    # a decision only moves what it constrains: 0 over 1
    assert order_from_decisions([0], [1], scores).tolist() == [3, 0, 1, 2]


def test_overlap_rule_is_at_least_the_threshold_of_either_mask():
    # 10 x 10 masks (in a 10 x 20 image) sharing 2 of 10 columns: 20 %
    a = rect(0, 10, 0, 10, (10, 20))
    b = rect(0, 10, 8, 18, (10, 20))
    c = rect(0, 10, 19, 20, (10, 20))  # touches nothing
    pairs, inter = overlapping_pairs(torch.stack([a, b, c]), 0.2)
    assert pairs.tolist() == [[0, 1]] and inter.tolist() == [20]
    pairs, _ = overlapping_pairs(torch.stack([a, b, c]), 0.21)
    assert pairs.numel() == 0
    pairs, _ = overlapping_pairs(torch.stack([a, b, c]), 0.)
    assert pairs.tolist() == [[0, 1]]


def test_paste_keeps_taken_pixels_and_removes_heavily_covered_instances():
    a = rect(0, 8, 0, 6)
    b = rect(0, 8, 4, 12)  # loses 2 of 8 columns to a: kept
    c = rect(0, 8, 3, 7)  # loses all to a and b: removed
    masks = torch.stack([a, b, c])
    owner = paste_instances(masks, torch.tensor([0, 1, 2]), 0.5)
    assert (owner[:, :6] == 0).all() and (owner[:, 6:] == 1).all()
    # c on top takes its pixels; a then loses 3 of 6 columns (50 %: kept)
    owner = paste_instances(masks, torch.tensor([2, 0, 1]), 0.5)
    assert (owner[:, 3:7] == 2).all() and (owner[:, :3] == 0).all()
    assert (owner[:, 7:] == 1).all()
    owner = paste_instances(masks, torch.tensor([2, 0, 1]), 0.4)
    assert (owner[:, :3] == -1).all()  # a lost 50 % > 40 %: removed


def test_panoptic_ids_follow_the_paste_order_and_small_stuff_is_void():
    num_classes = 5  # things 0, 1; stuff 2, 3, 4
    stuff = torch.full((8, 12), 2)
    stuff[:, 10:] = 3  # 16 pixels of class 3
    owner = torch.full((8, 12), -1)
    owner[:, :4] = 1
    owner[:, 4:6] = 0
    order = torch.tensor([1, 2, 0])  # 2 is not visible: no id
    labels = torch.tensor([0, 1, 1])
    pan = panoptic_map(stuff, owner, order, labels, num_classes, 17)
    assert pan.shape == (1, 8, 12) and pan.dtype == torch.int32
    assert (pan[0, :, :4] == 1 + INSTANCE_OFFSET).all()
    assert (pan[0, :, 4:6] == 0 + 2 * INSTANCE_OFFSET).all()
    assert (pan[0, :, 6:10] == 2).all()  # 32 pixels of stuff 2 stay
    assert (pan[0, :, 10:] == num_classes).all()  # 16 < 17: void


def test_stuff_labels_of_both_layouts():
    # two things and two stuff classes (labels 2, 3), void = 4
    all_classes = torch.tensor([0, 1, 2, 3])  # thing, thing, stuff, stuff
    assert stuff_labels(all_classes, 'all_classes', 2, 2).tolist() == \
        [4, 4, 2, 3]
    stuff_thing = torch.tensor([2, 0, 1])  # merged thing, stuff, stuff
    assert stuff_labels(stuff_thing, 'stuff_thing', 2, 2).tolist() == \
        [4, 2, 3]


def test_semantic_stuff_map_resolves_the_layout_from_the_channels():
    logits = torch.zeros(4, 1, 3)  # all classes: 2 things + 2 stuff
    logits[0, 0, 0] = logits[2, 0, 1] = logits[3, 0, 2] = 1
    assert semantic_stuff_map('test', logits, 'auto', 2, 2).tolist() == \
        [[4, 2, 3]]
    with pytest.raises(ValueError, match='test: seg_preds has 4 channels'):
        semantic_stuff_map('test', logits, 'auto', 2, 4)

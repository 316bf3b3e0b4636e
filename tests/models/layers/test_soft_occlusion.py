import math

import pytest
import torch

from mmrefine.models.layers import (mask_boxes_and_areas,
                                    occlusion_paste_order, overlapping_pairs,
                                    soft_occlusion_confidence)


def box_masks(boxes, size=(10, 10)):
    """(K, H, W) bool masks of half-open boxes [x0, y0, x1, y1]."""
    masks = torch.zeros(len(boxes), *size, dtype=torch.bool)
    for mask, (x0, y0, x1, y1) in zip(masks, boxes):
        mask[y0:y1, x0:x1] = True
    return masks


def pair_probs(num, probs):
    """(K, K) occlusion probabilities from {(i, j): O(i, j)}, NaN elsewhere:
    entries of pairs that get no decision must not be read."""
    occ = torch.full((num, num), float('nan'))
    for (i, j), p in probs.items():
        occ[i, j] = p
    return occ


def test_formula_on_numbers():
    scores = torch.tensor([0.9, 0.6])
    occ = torch.tensor([[0.0, 0.8], [0.3, 0.0]])
    conf = soft_occlusion_confidence(scores, occ, sigma=2.5)
    # 0.9 * exp(-0.2^2 / 2.5) and 0.6 * exp(-0.7^2 / 2.5)
    assert conf[0, 1].item() == pytest.approx(0.9 * 0.9841273, rel=1e-6)
    assert conf[1, 0].item() == pytest.approx(0.6 * 0.8220122, rel=1e-6)
    assert conf[0, 0].item() == pytest.approx(0.9 * math.exp(-1 / 2.5))
    conf = soft_occlusion_confidence(scores, occ, sigma=2.0)
    assert conf[1, 0].item() == pytest.approx(0.6 * math.exp(-0.49 / 2.0))


def test_mask_boxes_and_areas():
    masks = box_masks([(1, 2, 4, 9), (0, 0, 0, 0)])
    masks[0, 8, 1] = False
    boxes, areas = mask_boxes_and_areas(masks)
    assert boxes.tolist() == [[1, 2, 4, 9], [0, 0, 0, 0]]
    assert areas.tolist() == [20, 0]


def test_kite_kite_pair_is_decided_by_confidence():
    # Same class, the head cannot tell them apart: O = 0.5 both ways.
    masks = box_masks([(0, 0, 6, 6), (2, 2, 8, 8)])
    occ = pair_probs(2, {(0, 1): 0.5, (1, 0): 0.5})
    order = occlusion_paste_order(masks, torch.tensor([0.7, 0.9]), occ)
    assert order.tolist() == [1, 0]
    order = occlusion_paste_order(masks, torch.tensor([0.9, 0.7]), occ)
    assert order.tolist() == [0, 1]


def test_tie_on_person_is_decided_by_the_head():
    # Equal scores; the tie (1) lies inside the person (0).
    masks = box_masks([(0, 0, 10, 10), (4, 2, 6, 8)])
    scores = torch.tensor([0.8, 0.8])
    occ = pair_probs(2, {(0, 1): 0.2, (1, 0): 0.9})
    assert occlusion_paste_order(masks, scores, occ).tolist() == [1, 0]
    # The score order (stable) would bury the tie under the person.
    assert occlusion_paste_order(masks, scores).tolist() == [0, 1]


def test_head_can_overrule_the_score_and_sigma_weighs_it():
    masks = box_masks([(0, 0, 6, 6), (2, 2, 8, 8)])
    scores = torch.tensor([0.9, 0.7])
    occ = pair_probs(2, {(0, 1): 0.1, (1, 0): 0.9})
    # sigma 2.5: 0.9 exp(-0.81 / 2.5) = 0.651 < 0.7 exp(-0.01 / 2.5) = 0.697
    assert occlusion_paste_order(masks, scores, occ).tolist() == [1, 0]
    # sigma 100: 0.893 > 0.700, the confidence prior wins
    assert occlusion_paste_order(
        masks, scores, occ, sigma=100.).tolist() == [0, 1]


def test_without_sigma_the_head_alone_decides():
    # REFINE's "strong baseline": O(i, j) > O(j, i), whatever the scores
    masks = box_masks([(0, 0, 6, 6), (2, 2, 8, 8)])
    occ = pair_probs(2, {(0, 1): 0.45, (1, 0): 0.55})
    scores = torch.tensor([0.99, 0.61])
    assert occlusion_paste_order(
        masks, scores, occ, sigma=None).tolist() == [1, 0]
    assert occlusion_paste_order(masks, scores, occ).tolist() == [0, 1]


def test_pairs_below_the_overlap_threshold_get_no_decision():
    # 6 x 6 and 5 x 5 masks sharing a 2 x 2 corner: 4 / 25 = 16 % of the
    # smaller one.
    masks = box_masks([(0, 0, 6, 6), (4, 4, 9, 9)])
    pairs, inter = overlapping_pairs(masks, 0.0)
    assert pairs.tolist() == [[0, 1]] and inter.tolist() == [4]
    assert len(overlapping_pairs(masks, 0.2)[0]) == 0
    scores = torch.tensor([0.9, 0.7])
    occ = pair_probs(2, {(0, 1): 0.0, (1, 0): 1.0})
    assert occlusion_paste_order(masks, scores, occ).tolist() == [0, 1]
    assert occlusion_paste_order(
        masks, scores, occ, overlap_thr=0.15).tolist() == [1, 0]


@pytest.mark.parametrize('weakest, expected', [
    ('c_over_a', [0, 1, 2]),
    ('a_over_b', [1, 2, 0]),
])
def test_three_cycle_drops_the_weakest_decision(weakest, expected):
    # a, b, c all overlap; with equal scores the margins are
    # |0.8 (exp(-(O - 1)^2 / 2.5) - exp(-O^2 / 2.5))|, O(i, j) = 1 - O(j, i):
    # O = 1: 0.264, O = 0.9: 0.218, O = 0.7: 0.114.
    masks = box_masks([(0, 0, 6, 6), (1, 1, 7, 7), (2, 0, 8, 6)])
    scores = torch.full((3, ), 0.8)
    strength = dict(a_over_b=1.0, b_over_c=0.9, c_over_a=0.7)
    if weakest == 'a_over_b':
        strength.update(a_over_b=0.7, c_over_a=1.0)
    probs = {}
    for name, (top, bottom) in dict(
            a_over_b=(0, 1), b_over_c=(1, 2), c_over_a=(2, 0)).items():
        probs[top, bottom] = strength[name]
        probs[bottom, top] = 1 - strength[name]
    order = occlusion_paste_order(masks, scores, pair_probs(3, probs))
    assert order.tolist() == expected


def test_free_instances_are_ordered_by_score():
    # 0 over 1 by the head; 2 overlaps nothing and goes first by its score.
    masks = box_masks([(0, 0, 4, 4), (1, 1, 5, 5), (7, 7, 10, 10)])
    scores = torch.tensor([0.5, 0.6, 0.55])
    occ = pair_probs(3, {(0, 1): 1.0, (1, 0): 0.0})
    assert occlusion_paste_order(masks, scores, occ).tolist() == [2, 0, 1]
    assert occlusion_paste_order(masks, scores).tolist() == [1, 2, 0]


def test_no_or_one_instance():
    assert occlusion_paste_order(
        torch.zeros(0, 4, 4, dtype=torch.bool), torch.zeros(0),
        torch.zeros(0, 0)).tolist() == []
    assert occlusion_paste_order(
        box_masks([(0, 0, 2, 2)]), torch.tensor([0.3]),
        torch.zeros(1, 1)).tolist() == [0]


def test_bad_input():
    masks = box_masks([(0, 0, 6, 6), (2, 2, 8, 8)])
    scores = torch.tensor([0.9, 0.7])
    with pytest.raises(ValueError, match=r'occ_probs\[0, 1\] = 1.5'):
        occlusion_paste_order(masks, scores,
                              torch.tensor([[0., 1.5], [0.5, 0.]]))
    with pytest.raises(ValueError, match='occ_probs must be'):
        occlusion_paste_order(masks, scores, torch.zeros(3, 3))
    with pytest.raises(ValueError, match='sigma'):
        occlusion_paste_order(masks, scores, torch.zeros(2, 2), sigma=0)
    with pytest.raises(ValueError, match='masks must be'):
        occlusion_paste_order(masks[:1], scores)
    with pytest.raises(ValueError, match='overlap_thr'):
        overlapping_pairs(masks, 1.5)

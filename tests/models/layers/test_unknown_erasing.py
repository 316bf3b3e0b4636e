import importlib

import numpy as np
import pytest
import torch
from scipy import ndimage

from mmrefine.models.layers import (component_scores, max_softmax_confidence,
                                    unknown_erasing)

# The package exports the function under the module's name.
ue_module = importlib.import_module('mmrefine.models.layers.unknown_erasing')

CONFIDENT_0 = (0.9, 0.05, 0.05)  # class 0, confidence 0.9
UNSURE_1 = (0.3, 0.4, 0.3)  # class 1, confidence 0.4
SURE_2 = (0.025, 0.025, 0.95)  # class 2, confidence 0.95


def semantic_map(regions, size=(20, 20)):
    """(3, H, W) logits: ``regions`` = [(probs, (y0, y1, x0, x1))], painted in
    turn over a map of UNSURE_1."""
    probs = torch.tensor(UNSURE_1)[:, None, None].repeat(1, *size)
    for p, (y0, y1, x0, x1) in regions:
        probs[:, y0:y1, x0:x1] = torch.tensor(p)[:, None, None]
    return probs.log()


def erase(logits, **kwargs):
    return unknown_erasing(*max_softmax_confidence(logits), **kwargs)


def test_max_softmax_confidence(monkeypatch):
    logits = semantic_map([(CONFIDENT_0, (0, 20, 0, 10))])
    conf, labels = max_softmax_confidence(logits)
    assert conf[0, 0].item() == pytest.approx(0.9)
    assert conf[0, 15].item() == pytest.approx(0.4)
    assert labels[0, :11].tolist() == [0] * 10 + [1]
    # Row chunks give the same result as one softmax.
    monkeypatch.setattr(ue_module, '_CONFIDENCE_CHUNK_NUMEL', 3 * 20 * 3)
    logits = torch.randn(3, 20, 20)
    chunked, chunked_labels = max_softmax_confidence(logits)
    torch.testing.assert_close(chunked, logits.softmax(0).max(0).values)
    assert torch.equal(chunked_labels, logits.argmax(0))


def test_low_confidence_component_is_erased_confident_one_kept():
    # Left half: class 0 at 0.9; right half: class 1 at 0.4.
    logits = semantic_map([(CONFIDENT_0, (0, 20, 0, 10))])
    erased = erase(logits, thr=0.5, dilation=0)
    assert erased[:, 10:].all() and not erased[:, :10].any()
    # Dilated by 3 into the unsure half, the confident region still scores
    # (200 * 0.9 + 60 * 0.4) / 260 = 0.785.
    erased = erase(logits, thr=0.5, dilation=3)
    assert not erased[:, :10].any()
    assert not erase(logits, thr=0.78, dilation=3)[:, :10].any()
    assert erase(logits, thr=0.79, dilation=3)[:, :10].all()


def test_small_confident_fragment_near_unsure_region_erased_after_dilation():
    # A 2 x 2 class-2 fragment at 0.95 amid class 1 at 0.4.
    logits = semantic_map([(CONFIDENT_0, (0, 20, 0, 4)),
                           (SURE_2, (9, 11, 12, 14))])
    fragment = torch.zeros(20, 20, dtype=torch.bool)
    fragment[9:11, 12:14] = True
    assert not erase(logits, thr=0.5, dilation=0)[fragment].any()
    # 3 steps of the 8-connected element grow it to an 8 x 8 square:
    # (4 * 0.95 + 60 * 0.4) / 64 = 0.434 (a 4-connected diamond of 40 pixels
    # would give 0.455).
    assert erase(logits, thr=0.44, dilation=3)[fragment].all()
    assert not erase(logits, thr=0.43, dilation=3)[fragment].any()
    # the confident region (0.9) is kept throughout
    assert not erase(logits, thr=0.5, dilation=3)[:, :4].any()


def test_dilation_stops_at_the_image_border():
    logits = semantic_map([(SURE_2, (0, 2, 0, 2))])
    corner = torch.zeros(20, 20, dtype=torch.bool)
    corner[:2, :2] = True
    # a 5 x 5 square in the image: (4 * 0.95 + 21 * 0.4) / 25 = 0.488
    assert not erase(logits, thr=0.48, dilation=3)[corner].any()
    assert erase(logits, thr=0.49, dilation=3)[corner].all()


def test_components_are_8_connected_and_classes_can_be_chosen():
    # Two diagonal class-2 pixels are one component: scored together.
    logits = semantic_map([(SURE_2, (5, 6, 5, 6)),
                           ((0.2, 0.2, 0.6), (6, 7, 6, 7))])
    # mean (0.95 + 0.6) / 2 = 0.775; apart, only the 0.6 pixel would go at 0.77
    erased = erase(logits, thr=0.78, dilation=0)
    assert erased[5, 5] and erased[6, 6]
    erased = erase(logits, thr=0.77, dilation=0)
    assert not erased[5, 5] and not erased[6, 6]
    erased = erase(logits, thr=0.78, dilation=0, classes=[1])
    assert not erased[5, 5] and not erased[6, 6]
    # the unsure class 1 is erased only where it was asked for
    assert erase(logits, thr=0.5, dilation=0, classes=[1])[0, 0]
    assert not erase(logits, thr=0.5, dilation=0, classes=[0, 2])[0, 0]


@pytest.mark.parametrize('small_side', [1, 32, 1000])
@pytest.mark.parametrize('dilation', [0, 1, 2, 5, 20])
def test_scores_equal_iterated_dilation(monkeypatch, small_side, dilation):
    """Against the definition: per class, scipy's 8-connected components, each
    dilated ``dilation`` times by the 3 x 3 element. ``small_side`` sends the
    components through the one-by-one dilation (1), both paths (32) or the
    batched corner formula wherever it applies (1000)."""
    monkeypatch.setattr(ue_module, '_SMALL_SIDE', small_side)
    rng = np.random.default_rng(dilation)
    for height, width in ((23, 31), (40, 9)):
        labels = np.repeat(
            np.repeat(rng.integers(0, 3, (20, 11)), 2, 0), 3,
            1)[:height, :width]
        speckle = rng.random((height, width)) < 0.2
        labels = np.where(speckle, rng.integers(0, 3, (height, width)), labels)
        conf = rng.random((height, width)).astype(np.float32)
        comps, scores = component_scores(
            torch.from_numpy(conf), torch.from_numpy(labels), dilation)
        num = 0
        for c in range(3):
            regions, count = ndimage.label(labels == c, np.ones((3, 3)))
            for k in range(1, count + 1):
                region = regions == k
                if dilation:
                    region = ndimage.binary_dilation(
                        region, np.ones((3, 3)), iterations=dilation)
                mine = np.unique(comps[regions == k])
                assert len(mine) == 1
                assert scores[mine[0]] == pytest.approx(
                    conf[region].mean(), abs=1e-6)
            num += count
        assert comps.max() == num


def test_bad_input():
    conf, labels = max_softmax_confidence(semantic_map([]))
    with pytest.raises(ValueError, match='thr'):
        unknown_erasing(conf, labels, thr=1.5)
    with pytest.raises(ValueError, match='dilation'):
        unknown_erasing(conf, labels, dilation=-1)
    with pytest.raises(ValueError, match='labels must be'):
        unknown_erasing(conf, labels[:5])
    with pytest.raises(ValueError, match='seg_logits must be'):
        max_softmax_confidence(torch.zeros(20, 20))

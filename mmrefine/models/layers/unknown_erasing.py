"""Unknown Erasing (UE): void the semantic regions the model is unsure of.

REFINE (Ren et al., AAAI 2021), "Semantic Prediction Refinement with Unknown
Erasing". Panoptic Quality charges a void region ``0.5 FN`` but a wrong class
``0.5 FN + 0.5 FP``, so an uncertain region is better left unknown. On the
semantic argmax map, every connected component of every class is scored by
the mean pixel confidence over the component DILATED by ``dilation`` steps of
an 8-connected (3 x 3) structuring element; components scoring below ``thr``
are erased (set to void). Without the dilation, a small fragment with a few
confident pixels would survive; dilated, it is scored together with the
uncertain neighbourhood it sits in.

Decisions the paper leaves open (an earlier public version used ``thr=0.5``
and 50 dilation steps):

- The pixel confidence is the softmax probability of the pixel's own argmax
  class, ``max_c softmax(l)_c``. Over the component itself this is the
  probability of the component's class; over the dilation ring it is how sure
  the model is of whatever it predicts there. Scoring the ring with the
  component's class probability instead would erase every component whose
  dilation is large compared to it (a confident 100 x 100 region next to
  other confident classes would score < 0.25 after 50 steps), not only
  fragments in uncertain surroundings.
- UE runs on the semantic map at the resolution it is given. In mmdet the
  semantic head's logits reach the fusion head at the original image size, so
  ``dilation`` counts original-image pixels (COCO images are about 640 x 480);
  scale it with the image size for other data.
- Components are 8-connected, matching the structuring element. ``d`` steps of
  the 3 x 3 element equal one ``(2d + 1) x (2d + 1)`` square.

Cost. All classes' components are labelled in one pass (scikit-image). Small
components, the bulk of a speckled map, are scored exactly and all at once:
the dilation of a component whose box ``B`` is at most ``2d + 2`` pixels a
side is the box grown by ``d``, ``B + d``, less parts of its four corners
(an 8-connected component meets every row and column of its box, so only
corner pixels of ``B + d`` can be farther than ``d`` from it): the sum over
``B + d`` comes from an integral image, the corners from prefix-ORs of the
component over its box. Larger components are dilated one by one (OpenCV, on
their box grown by ``d``).
"""
import numbers
from typing import Iterable, Optional, Tuple

import cv2
import numpy as np
import torch
from skimage import measure
from torch import Tensor

# Logits turned into confidences at a time: a cache-sized chunk of rows is
# about twice as fast as whole maps (and than a plain argmax over them).
_CONFIDENCE_CHUNK_NUMEL = 1 << 20
# Components whose box sides are below this (and at most 2d + 2) are scored
# in batches of _SMALL_CHUNK with integral images and prefix-ORs; bigger ones
# one by one with a dilation.
_SMALL_SIDE = 32
_SMALL_CHUNK = 2048


def max_softmax_confidence(seg_logits: Tensor) -> Tuple[Tensor, Tensor]:
    """Pixel confidences and labels of semantic logits, the inputs of UE.

    Args:
        seg_logits (Tensor): ``(C, H, W)`` semantic logits of one image.

    Returns:
        tuple[Tensor]: ``(H, W)`` float confidences ``max_c softmax(l)_c`` and
        ``(H, W)`` long labels ``argmax_c l_c``.
    """
    if not isinstance(seg_logits, Tensor) or seg_logits.dim() != 3 \
            or seg_logits.size(0) == 0 or not seg_logits.is_floating_point():
        shape = getattr(seg_logits, 'shape', type(seg_logits).__name__)
        raise ValueError('seg_logits must be a (C, H, W) float tensor with '
                         f'C > 0, got {shape}')
    num_classes, height, width = seg_logits.shape
    rows = max(1, _CONFIDENCE_CHUNK_NUMEL // max(num_classes * width, 1))
    conf = seg_logits.new_empty((height, width), dtype=torch.float)
    labels = seg_logits.new_empty((height, width), dtype=torch.long)
    buffer = seg_logits.new_empty(
        num_classes * min(rows, height) * width, dtype=torch.float)
    for y in range(0, height, rows):
        chunk = seg_logits[:, y:y + rows].float()
        peak = conf[y:y + rows]
        torch.max(chunk, dim=0, out=(peak, labels[y:y + rows]))
        # max softmax = exp(l_max - logsumexp(l)) = 1 / sum_c exp(l_c - l_max)
        shifted = buffer[:chunk.numel()].view_as(chunk)
        torch.sub(chunk, peak, out=shifted).exp_()
        torch.sum(shifted, dim=0, out=peak)
        peak.reciprocal_()
    return conf, labels


def component_scores(
        conf: Tensor,
        labels: Tensor,
        dilation: int = 50,
        classes: Optional[Iterable[int]] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """Mean confidence of every component over its dilation.

    Args:
        conf (Tensor): ``(H, W)`` pixel confidences, ``max_c softmax(l)_c``.
        labels (Tensor): ``(H, W)`` integer argmax map. Both as
            :func:`max_softmax_confidence` returns them.
        dilation (int): dilation steps ``d`` of the 3 x 3 structuring element
            (pixels at this map's resolution). Default: 50.
        classes (Iterable[int], optional): labels whose components are
            scored; None: all labels.

    Returns:
        tuple[np.ndarray]: ``(H, W)`` int component ids (0: not scored, i.e.
        a label outside ``classes``; components numbered from 1) and the
        ``(N + 1,)`` float64 scores ``mean_{p in D(R)} conf(p)`` (index 0
        unused, NaN).
    """
    if not isinstance(conf, Tensor) or conf.dim() != 2 \
            or not conf.is_floating_point():
        raise ValueError('conf must be an (H, W) float tensor, got '
                         f'{getattr(conf, "shape", type(conf).__name__)}')
    if not isinstance(labels, Tensor) or labels.shape != conf.shape \
            or labels.is_floating_point() or labels.dtype == torch.bool:
        raise ValueError(f'labels must be an integer tensor shaped like conf '
                         f'{tuple(conf.shape)}, got '
                         f'{getattr(labels, "shape", type(labels).__name__)}')
    if not (isinstance(dilation, numbers.Integral) and dilation >= 0):
        raise ValueError(f'dilation must be an int >= 0, got {dilation!r}')
    conf = np.ascontiguousarray(conf.cpu().numpy(), dtype=np.float32)
    labels = labels.cpu().numpy().astype(np.int64)
    if classes is not None:
        labels = np.where(
            np.isin(labels, [int(c) for c in classes]), labels, -1)
    # Same-label 8-connected regions; -1 (classes not scored) stays 0.
    comps = measure.label(labels, background=-1, connectivity=2)
    num = int(comps.max()) if comps.size else 0
    scores = np.full(num + 1, np.nan)
    if num == 0:
        return comps, scores
    if dilation == 0:
        sums = np.bincount(comps.ravel(), conf.ravel(), minlength=num + 1)
        counts = np.bincount(comps.ravel(), minlength=num + 1)
        scores[1:] = sums[1:] / counts[1:]
        return comps, scores

    boxes = _component_boxes(comps, num)
    sides = np.maximum(boxes[:, 1] - boxes[:, 0], boxes[:, 3] - boxes[:, 2])
    small = sides < min(2 * dilation + 2, _SMALL_SIDE)
    ids = np.arange(1, num + 1)
    if small.any():
        integral = np.zeros((conf.shape[0] + 1, conf.shape[1] + 1))
        integral[1:, 1:] = conf.astype(np.float64).cumsum(0).cumsum(1)
        # Batches of similar sizes: the work is batch size x largest side^2.
        by_side = ids[small][np.argsort(sides[small], kind='stable')]
        for start in range(0, len(by_side), _SMALL_CHUNK):
            chunk = by_side[start:start + _SMALL_CHUNK]
            scores[chunk] = _small_component_scores(conf, integral, comps,
                                                    chunk, boxes[chunk - 1],
                                                    dilation)
    kernel = np.ones((2 * dilation + 1, 2 * dilation + 1), dtype=np.uint8)
    height, width = comps.shape
    for k in ids[~small]:
        y0, y1, x0, x1 = boxes[k - 1]
        y0, x0 = max(y0 - dilation, 0), max(x0 - dilation, 0)
        y1, x1 = min(y1 + dilation + 1, height), min(x1 + dilation + 1, width)
        region = cv2.dilate((comps[y0:y1, x0:x1] == k).view(np.uint8), kernel)
        scores[k] = cv2.mean(conf[y0:y1, x0:x1], mask=region)[0]
    return comps, scores


def _component_boxes(comps: np.ndarray, num: int) -> np.ndarray:
    """``(num, 4)`` inclusive boxes ``(y0, y1, x0, x1)`` of components
    ``1 .. num``."""
    height, width = comps.shape
    flat = comps.ravel()
    rows = np.broadcast_to(np.arange(height)[:, None], comps.shape).ravel()
    cols = np.broadcast_to(np.arange(width)[None, :], comps.shape).ravel()
    boxes = np.empty((4, num + 1), dtype=np.int64)
    boxes[0], boxes[1], boxes[2], boxes[3] = height, -1, width, -1
    np.minimum.at(boxes[0], flat, rows)
    np.maximum.at(boxes[1], flat, rows)
    np.minimum.at(boxes[2], flat, cols)
    np.maximum.at(boxes[3], flat, cols)
    return boxes[:, 1:].T


def _small_component_scores(conf: np.ndarray, integral: np.ndarray,
                            comps: np.ndarray, ids: np.ndarray,
                            boxes: np.ndarray, dilation: int) -> np.ndarray:
    """Exact scores of components whose boxes are at most ``2d + 2`` a side.

    The dilation ``D(R)`` lies in the grown box ``B + d``. A pixel ``q`` of
    ``B + d`` is in ``D(R)`` iff ``R`` meets the window ``q + [-d, d]^2``,
    whose part in ``B`` is, for boxes this small, anchored at a corner or a
    side of ``B`` in each axis; anchored at a side (or covering ``B``), it
    meets every row or column of ``B`` and hence ``R``. The rest are four
    ``(w - 1) x (h - 1)`` corner zones: ``q`` at offset ``(i, j)`` from the
    outer corner is in ``D(R)`` iff ``R`` meets the ``(i + 1) x (j + 1)``
    corner rectangle of ``B``, a prefix-OR of ``R`` from that corner.
    """
    height, width = conf.shape
    d = dilation
    y0, y1, x0, x1 = boxes.T
    gy0, gy1 = np.maximum(y0 - d, 0), np.minimum(y1 + d, height - 1) + 1
    gx0, gx1 = np.maximum(x0 - d, 0), np.minimum(x1 + d, width - 1) + 1
    sums = (
        integral[gy1, gx1] - integral[gy0, gx1] - integral[gy1, gx0] +
        integral[gy0, gx0])
    counts = ((gy1 - gy0) * (gx1 - gx0)).astype(np.float64)

    side = int(max((y1 - y0).max(), (x1 - x0).max())) + 1
    steps = np.arange(side)
    rows, cols = steps[None, :, None], steps[None, None, :]
    in_zone = ((rows <= (y1 - y0 - 1)[:, None, None])
               & (cols <= (x1 - x0 - 1)[:, None, None]))
    for sy, sx in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
        ay = (y0 if sy > 0 else y1)[:, None, None]
        ax = (x0 if sx > 0 else x1)[:, None, None]
        # R over the box from the corner (ay, ax) inwards, then prefix-ORs.
        by, bx = ay + sy * rows, ax + sx * cols
        inside = (by >= 0) & (by < height) & (bx >= 0) & (bx < width)
        member = inside & (
            comps[by.clip(0, height - 1),
                  bx.clip(0, width - 1)] == ids[:, None, None])
        reached = np.logical_or.accumulate(
            np.logical_or.accumulate(member, axis=1), axis=2)
        # Corner zone pixels of B + d, from its outer corner inwards.
        qy, qx = ay - sy * d + sy * rows, ax - sx * d + sx * cols
        missed = (
            in_zone & ~reached & (qy >= 0) & (qy < height) & (qx >= 0)
            & (qx < width))
        sums -= (conf[qy.clip(0, height - 1),
                      qx.clip(0, width - 1)] * missed).sum(axis=(1, 2))
        counts -= missed.sum(axis=(1, 2))
    return sums / counts


def unknown_erasing(conf: Tensor,
                    labels: Tensor,
                    thr: float = 0.5,
                    dilation: int = 50,
                    classes: Optional[Iterable[int]] = None) -> Tensor:
    """Pixels of the semantic argmax map that Unknown Erasing sets to void.

    For each class ``c`` (of ``classes``) and each 8-connected component
    ``R`` of ``labels == c``: ``score(R) = mean_{p in D(R)} conf(p)`` with
    ``D(R)`` the dilation of ``R`` by ``dilation`` steps of the 3 x 3
    structuring element; ``R`` is erased iff ``score(R) < thr``.

    Args:
        conf (Tensor): ``(H, W)`` pixel confidences, ``max_c softmax(l)_c``.
        labels (Tensor): ``(H, W)`` integer argmax map. Both as
            :func:`max_softmax_confidence` returns them.
        thr (float): erase components scoring below it. Default: 0.5.
        dilation (int): dilation steps (pixels at this map's resolution).
            Default: 50.
        classes (Iterable[int], optional): labels whose components are scored
            (e.g. only the stuff channels, as the fusion ignores the semantic
            map's thing pixels); None: all labels.

    Returns:
        Tensor: ``(H, W)`` bool, True where a component was erased; on the
        device of ``labels``.
    """
    if not (isinstance(thr, numbers.Real) and 0 <= thr <= 1):
        raise ValueError(f'thr must be a number in [0, 1], got {thr!r}')
    comps, scores = component_scores(conf, labels, dilation, classes)
    erased = scores < thr  # NaN at index 0: False
    return torch.from_numpy(erased[comps]).to(labels.device)

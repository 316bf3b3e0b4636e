"""The steps both panoptic fusion heads share (REFINE's and BANet's).

Both heads decide, for pairs of overlapping instances, which one lies on top,
turn those pairwise decisions into one front-to-back paste order, paste the
masks in that order over a map of stuff labels and void the stuff classes
that end up too small. Only the pairwise decision differs: REFINE's Soft
Occlusion Estimation (:mod:`.soft_occlusion`) and BANet's colour rule
(:class:`OcclusionHandlingFusionHead`); everything else lives here.

The panoptic ids are mmdet's: ``label + instance_id * INSTANCE_OFFSET`` for
instances, with ids ``1, 2, ...`` in paste order (front to back) over the
instances that keep at least one pixel; the stuff label for stuff;
``num_classes`` for void.
"""
import heapq
import numbers
from typing import Sequence, Tuple

import numpy as np
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET
from torch import Tensor

from .semantic_layout import resolve_semantic_layout


def mask_boxes_and_areas(masks: Tensor) -> Tuple[Tensor, Tensor]:
    """Tight boxes and areas of bool masks.

    Counted with NumPy, whose reductions over bool arrays are about ten times
    faster than PyTorch's on the CPU.

    Args:
        masks (Tensor): ``(K, H, W)`` bool masks.

    Returns:
        tuple[Tensor]: ``(K, 4)`` long half-open boxes ``[x0, y0, x1, y1)``
        (zeros for an empty mask) and ``(K,)`` long areas, on the device of
        ``masks``.
    """
    array = masks.cpu().numpy()
    num, height, width = array.shape
    areas = np.count_nonzero(array.reshape(num, height * width), axis=1)
    rows, cols = array.any(axis=2), array.any(axis=1)
    boxes = np.stack([
        cols.argmax(axis=1),
        rows.argmax(axis=1), width - cols[:, ::-1].argmax(axis=1),
        height - rows[:, ::-1].argmax(axis=1)
    ],
                     axis=1) * (areas > 0)[:, None]
    return (torch.from_numpy(boxes).long().to(masks.device),
            torch.from_numpy(areas).long().to(masks.device))


def overlapping_pairs(masks: Tensor,
                      overlap_thr: float = 0.2) -> Tuple[Tensor, Tensor]:
    """Pairs of masks that overlap by at least ``overlap_thr`` of either.

    A pair ``(i, j)``, ``i < j``, qualifies when ``|M_i & M_j| > 0`` and
    ``|M_i & M_j| >= overlap_thr * min(|M_i|, |M_j|)``; ``overlap_thr=0``
    gives every pair that shares a pixel. Intersections are counted only for
    pairs whose mask boxes meet, on the crop where they meet, so the cost
    follows the overlaps rather than ``K^2 H W``.

    Args:
        masks (Tensor): ``(K, H, W)`` bool instance masks.
        overlap_thr (float): Fraction of the smaller mask. Defaults to 0.2.

    Returns:
        tuple[Tensor]: ``(P, 2)`` long pairs ``(i, j)`` with ``i < j`` in
        lexicographic order, and their ``(P,)`` intersection areas.
    """
    if not isinstance(masks, Tensor) or masks.dim() != 3 \
            or masks.dtype != torch.bool:
        shape = tuple(masks.shape) if isinstance(masks, Tensor) else None
        raise ValueError('masks must be a (K, H, W) bool tensor, got '
                         f'{type(masks).__name__} of shape {shape}')
    if not (isinstance(overlap_thr, numbers.Real) and 0 <= overlap_thr <= 1):
        raise ValueError(
            f'overlap_thr must be a number in [0, 1], got {overlap_thr!r}')
    num = masks.size(0)
    empty = (masks.new_zeros(
        (0, 2), dtype=torch.long), masks.new_zeros((0, ), dtype=torch.long))
    if num < 2:
        return empty
    boxes, areas = mask_boxes_and_areas(masks)
    x0, y0, x1, y1 = boxes.unbind(dim=1)
    iy0, iy1 = torch.maximum(y0[:, None], y0), torch.minimum(y1[:, None], y1)
    ix0, ix1 = torch.maximum(x0[:, None], x0), torch.minimum(x1[:, None], x1)
    meet = (iy1 > iy0) & (ix1 > ix0) & (areas[:, None] > 0) & (areas > 0)
    cand = torch.triu(meet, diagonal=1).nonzero().tolist()
    if not cand:
        return empty
    windows = torch.stack([iy0, iy1, ix0, ix1], dim=-1).tolist()
    array = masks.cpu().numpy()
    inter = []
    for i, j in cand:
        a, b, c, d = windows[i][j]
        inter.append(np.count_nonzero(array[i, a:b, c:d] & array[j, a:b, c:d]))
    pairs = torch.tensor(cand, dtype=torch.long, device=masks.device)
    inter = torch.tensor(inter, dtype=torch.long, device=masks.device)
    smaller = torch.minimum(areas[pairs[:, 0]], areas[pairs[:, 1]])
    keep = (inter > 0) & (inter >= overlap_thr * smaller)
    return pairs[keep], inter[keep]


def order_from_decisions(tops: Sequence[int], bottoms: Sequence[int],
                         scores: Tensor) -> Tensor:
    """Front-to-back order of ``K`` instances from pairwise decisions.

    The decisions ``tops[n]`` over ``bottoms[n]`` come strongest first and
    are locked in one by one; a decision that contradicts the ones locked
    already (it would close a cycle such as ``a`` over ``b``, ``b`` over
    ``c``, ``c`` over ``a``) is dropped, and the pair then follows the
    locked ones. The order is the topological order of the locked decisions
    in which, among the instances nothing locked is above, the highest score
    (then the lowest index) comes first; without decisions it is the
    descending score order of mmdet's heuristic fusion.

    Args:
        tops (Sequence[int]): Instance on top in each decision.
        bottoms (Sequence[int]): Instance below it.
        scores (Tensor): ``(K,)`` detection scores.

    Returns:
        Tensor: ``(K,)`` long indices, topmost first, on the device of
        ``scores``.
    """
    num = scores.size(0)
    score_list = scores.tolist()
    # above[a, b]: a chain of locked decisions puts a above b.
    above = np.zeros((num, num), dtype=bool)
    below_of = [[] for _ in range(num)]
    num_above = [0] * num
    for top, bottom in zip(tops, bottoms):
        if above[bottom, top] or above[top, bottom]:
            continue  # contradicts stronger decisions, or implied by them
        below_of[top].append(bottom)
        num_above[bottom] += 1
        newly_below = above[bottom].copy()
        newly_below[bottom] = True
        uppers = above[:, top].copy()
        uppers[top] = True
        above[uppers] |= newly_below

    heap = [(-score_list[k], k) for k in range(num) if num_above[k] == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        _, k = heapq.heappop(heap)
        order.append(k)
        for bottom in below_of[k]:
            num_above[bottom] -= 1
            if num_above[bottom] == 0:
                heapq.heappush(heap, (-score_list[bottom], bottom))
    return torch.tensor(order, dtype=torch.long, device=scores.device)


def paste_instances(masks: Tensor, order: Tensor,
                    mask_overlap: float) -> Tensor:
    """Paste masks front to back; a pixel, once taken, stays taken.

    Each instance keeps the pixels of its mask not taken yet and is left out,
    as in mmdet's ``HeuristicFusionHead``, when more than ``mask_overlap`` of
    its mask is taken already. Each mask is read only inside its box.

    Args:
        masks (Tensor): ``(K, H, W)`` bool masks.
        order (Tensor): ``(K,)`` instance indices, topmost first.
        mask_overlap (float): Largest fraction of its mask an instance may
            lose and still be pasted.

    Returns:
        Tensor: ``(H, W)`` long index of the instance each pixel goes to,
        -1 where none.
    """
    owner = masks.new_full(masks.shape[-2:], -1, dtype=torch.long)
    if masks.size(0) == 0:
        return owner
    taken = torch.zeros_like(owner, dtype=torch.bool)
    boxes, areas = mask_boxes_and_areas(masks)
    boxes, areas = boxes.tolist(), areas.tolist()
    for k in order.tolist():
        if areas[k] == 0:
            continue
        x0, y0, x1, y1 = boxes[k]
        taken_box = taken[y0:y1, x0:x1]
        kept = masks[k, y0:y1, x0:x1] & ~taken_box
        num_kept = int(kept.sum())
        if num_kept == 0 or areas[k] - num_kept > mask_overlap * areas[k]:
            continue
        taken_box |= kept
        owner[y0:y1, x0:x1][kept] = k
    return owner


def stuff_labels(seg_labels: Tensor, layout: str, num_things_classes: int,
                 num_stuff_classes: int) -> Tensor:
    """Stuff labels of a semantic argmax map, void (``num_classes``) where
    the argmax is a thing class or mmdet's merged thing channel.

    Args:
        seg_labels (Tensor): ``(H, W)`` argmax channels of logits in
            ``layout``.
        layout (str): ``'all_classes'`` (things first, then stuff) or
            ``'stuff_thing'`` (stuff, then one thing channel), as
            :func:`resolve_semantic_layout` returns it.
        num_things_classes (int): Thing classes ``N_th``.
        num_stuff_classes (int): Stuff classes ``N_st``.

    Returns:
        Tensor: ``(H, W)`` long labels in mmdet's panoptic order (things
        ``0 .. N_th - 1``, stuff ``N_th .. N - 1``), ``N`` = void.
    """
    first = num_things_classes if layout == 'all_classes' else 0
    is_stuff = (seg_labels >= first) & (seg_labels < first + num_stuff_classes)
    void = torch.full_like(seg_labels, num_things_classes + num_stuff_classes)
    return torch.where(is_stuff, seg_labels - first + num_things_classes, void)


def semantic_stuff_map(owner: str, seg_logits: Tensor, layout: str,
                       num_things_classes: int,
                       num_stuff_classes: int) -> Tensor:
    """:func:`stuff_labels` of the argmax of ``(C, H, W)`` logits, whose
    layout ``layout`` (``'auto'`` included) resolves for ``owner``."""
    layout = resolve_semantic_layout(owner, layout, seg_logits.size(0),
                                     num_things_classes, num_stuff_classes)
    # max() rather than argmax(): twice as fast on large CPU maps
    return stuff_labels(
        seg_logits.max(dim=0).indices, layout, num_things_classes,
        num_stuff_classes)


def panoptic_map(stuff: Tensor, owner: Tensor, order: Tensor, labels: Tensor,
                 num_classes: int, stuff_area_limit: int) -> Tensor:
    """Panoptic ids from pasted instances over a stuff map.

    Args:
        stuff (Tensor): ``(H, W)`` stuff labels, ``num_classes`` = void.
        owner (Tensor): ``(H, W)`` instance index per pixel, -1 where none
            (:func:`paste_instances`).
        order (Tensor): ``(K,)`` paste order, topmost first; instance ids
            follow it.
        labels (Tensor): ``(K,)`` instance class labels.
        num_classes (int): Thing + stuff classes; the void label.
        stuff_area_limit (int): Stuff classes covering fewer pixels of the
            result become void.

    Returns:
        Tensor: ``(1, H, W)`` int32 panoptic ids (see the module docstring).
    """
    covered = owner >= 0
    num = labels.size(0)
    if num > 0:
        visible = torch.bincount(owner[covered], minlength=num) > 0
        instance_id = torch.empty_like(order)
        instance_id[order] = torch.cumsum(visible[order].long(), dim=0)
        index = owner.clamp(min=0)
        pan = torch.where(
            covered,
            labels.long()[index] + instance_id[index] * INSTANCE_OFFSET, stuff)
    else:
        pan = stuff.clone()
    stuff_area = torch.bincount(
        torch.where(covered, num_classes, stuff).flatten(),
        minlength=num_classes + 1)
    small = stuff_area < stuff_area_limit
    small[num_classes] = False
    pan = torch.where(~covered & small[stuff], num_classes, pan)
    return pan[None].int()

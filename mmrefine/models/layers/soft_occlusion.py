"""Soft Occlusion Estimation (SOE): a paste order from pairwise occlusions.

REFINE (Ren et al., AAAI 2021), Eq. (7). A pairwise occlusion head gives
``O(i, j)`` in ``[0, 1]``, the probability that instance ``i`` lies on top of
instance ``j``. SOE weighs it with the confidence prior, the detection score
``s_i``::

    O~(i, j) = s_i * exp(-(O(i, j) - 1)^2 / sigma),    sigma = 2.5,

and pastes ``i`` over ``j`` where ``O~(i, j) > O~(j, i)`` (ties: the higher
score, then the lower index, goes on top). Only pairs whose masks overlap by
at least ``overlap_thr`` (20 %) of either mask, i.e. of the smaller one, get a
decision; the others do not constrain the order.

From decisions to an order. Pairwise decisions can contradict each other
(``a`` over ``b``, ``b`` over ``c``, ``c`` over ``a``). They are locked in from
the largest margin ``|O~(i, j) - O~(j, i)|`` down ("ranked pairs"; equal
margins: the pair with the higher top score first, then the lower indices);
a decision that would close a cycle with the stronger decisions already
locked is dropped. In a cycle of three the weakest decision is thus the one
dropped. The order is then the topological order of the locked decisions in
which, among the instances nothing locked is above, the highest score (then
the lowest index) comes first. Without an occlusion head (``occ_probs`` None)
this is the plain descending score order of mmdet's heuristic fusion.

Orders are FRONT TO BACK: the first instance is the topmost, the one that
keeps its pixels when the masks are pasted one after another onto a map where
a pixel, once taken, stays taken (as mmdet's ``HeuristicFusionHead`` does).
"""
import numbers
from typing import Optional

import torch
from torch import Tensor

from .panoptic_fusion import order_from_decisions, overlapping_pairs


def soft_occlusion_confidence(scores: Tensor,
                              occ_probs: Tensor,
                              sigma: float = 2.5) -> Tensor:
    """``O~(i, j) = s_i * exp(-(O(i, j) - 1)^2 / sigma)`` (REFINE Eq. 7).

    Args:
        scores (Tensor): ``(K,)`` detection scores ``s_i``.
        occ_probs (Tensor): ``(K, K)`` ``O(i, j)``, the probability that
            ``i`` is on top of ``j``.
        sigma (float): width of the Gaussian penalty. Default: 2.5.

    Returns:
        Tensor: ``(K, K)`` soft occlusion confidences ``O~(i, j)``.
    """
    if not (isinstance(sigma, numbers.Real) and sigma > 0):
        raise ValueError(f'sigma must be a number > 0, got {sigma!r}')
    if scores.dim() != 1:
        raise ValueError(
            f'scores must be (K,), got shape {tuple(scores.shape)}')
    num = scores.size(0)
    if tuple(occ_probs.shape) != (num, num):
        raise ValueError(f'occ_probs must be (K, K) = ({num}, {num}), got '
                         f'shape {tuple(occ_probs.shape)}')
    return scores[:, None] * torch.exp(-(occ_probs - 1)**2 / sigma)


def occlusion_paste_order(masks: Tensor,
                          scores: Tensor,
                          occ_probs: Optional[Tensor] = None,
                          sigma: Optional[float] = 2.5,
                          overlap_thr: float = 0.2) -> Tensor:
    """Front-to-back paste order consistent with the SOE pairwise decisions.

    Args:
        masks (Tensor): ``(K, H, W)`` bool instance masks.
        scores (Tensor): ``(K,)`` detection scores ``s_i``.
        occ_probs (Tensor, optional): ``(K, K)`` ``O(i, j)`` of the pairwise
            occlusion head (``i`` on top of ``j``). Only the entries of pairs
            that overlap enough are read, and those must lie in ``[0, 1]``;
            the others may hold anything. None: descending score order.
        sigma (float, optional): SOE's sigma. None drops the confidence
            prior: ``i`` goes over ``j`` where ``O(i, j) > O(j, i)`` (REFINE's
            "strong baseline", Table 5). Default: 2.5.
        overlap_thr (float): pairs overlapping by at least this fraction of
            either mask get a decision. Default: 0.2.

    Returns:
        Tensor: ``(K,)`` long indices, topmost instance first (see the module
        docstring for how contradictory decisions are resolved).
    """
    if not isinstance(scores, Tensor) or scores.dim() != 1:
        raise ValueError('scores must be a (K,) tensor, got '
                         f'{getattr(scores, "shape", type(scores).__name__)}')
    num = scores.size(0)
    if not isinstance(masks, Tensor) or masks.dim() != 3 \
            or masks.size(0) != num:
        raise ValueError(f'masks must be (K, H, W) with K = {num} (as '
                         f'scores), got shape {tuple(masks.shape)}')
    if occ_probs is None:
        return torch.argsort(-scores, stable=True)
    confidence = (
        occ_probs if sigma is None else soft_occlusion_confidence(
            scores, occ_probs, sigma))
    pairs, _ = overlapping_pairs(masks, overlap_thr)
    score_list = scores.tolist()
    if len(pairs) == 0:
        return torch.argsort(-scores, stable=True)

    i, j = pairs[:, 0], pairs[:, 1]
    o_ij, o_ji = occ_probs[i, j], occ_probs[j, i]
    in_range = (o_ij >= 0) & (o_ij <= 1) & (o_ji >= 0) & (o_ji <= 1)
    if not bool(in_range.all()):
        k = int((~in_range).nonzero()[0])
        a, b = int(i[k]), int(j[k])
        raise ValueError(
            f'occ_probs must lie in [0, 1] for overlapping pairs; got '
            f'occ_probs[{a}, {b}] = {float(o_ij[k])}, occ_probs[{b}, {a}] = '
            f'{float(o_ji[k])}')
    c_ij, c_ji = confidence[i, j].tolist(), confidence[j, i].tolist()
    decisions = []
    for (a, b), forward, backward in zip(pairs.tolist(), c_ij, c_ji):
        if forward != backward:
            a_on_top = forward > backward
        else:  # i < j, so the lower index wins a full tie
            a_on_top = score_list[a] >= score_list[b]
        top, bottom = (a, b) if a_on_top else (b, a)
        decisions.append(
            (-abs(forward - backward), -score_list[top], top, bottom))
    decisions.sort()
    return order_from_decisions([d[2] for d in decisions],
                                [d[3] for d in decisions], scores)

"""BANet's learning-free occlusion handling, as a panoptic fusion head."""
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmcv.ops import nms
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData, PixelData
from torch import Tensor, nn

from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.models.seg_heads.panoptic_fusion_heads import BasePanopticFusionHead
from mmdet.registry import MODELS
from mmdet.utils import InstanceList, OptConfigType, OptMultiConfig, PixelList

from .semantic_layout import check_semantic_layout, resolve_semantic_layout

# The paper's settings (Sec. 4.3). ``mask_overlap`` and ``stuff_area_limit``
# keep the names of mmdet's HeuristicFusionHead, so the stock
# ``test_cfg.panoptic`` of mmdet's panoptic configs reads the same here.
DEFAULT_TEST_CFG = dict(
    score_thr=0.6,  # candidates scoring above it ...
    nms_iou_thr=0.5,  # ... go through class-agnostic box NMS
    occlusion_thr=0.2,  # overlap > 20 % of either mask: resolved by colour
    mask_overlap=0.5,  # an instance losing more than 50 % is removed
    stuff_area_limit=4096)  # smaller stuff regions become void


def _span(hits: Tensor) -> Tensor:
    """(N, L) 0/1 rows -> (N, 2) ``[first, last + 1]`` of the ones, ``[0, 0]``
    for a row without any."""
    first = hits.argmax(dim=1)
    end = hits.size(1) - hits.flip(1).argmax(dim=1)
    return torch.stack([first, end], dim=1) * hits.amax(dim=1, keepdim=True)


def _unit(x: Tensor, dim: int) -> Tensor:
    """x / |x| along ``dim``; zero vectors (black pixels) stay zero, so
    their cosine similarity to everything is 0."""
    return x / x.square().sum(dim=dim, keepdim=True).sqrt().clamp(min=1e-12)


@MODELS.register_module()
class OcclusionHandlingFusionHead(BasePanopticFusionHead):
    """Learning-free occlusion handling of BANet (Chen et al., CVPR 2020,
    Sec. 3.3 and 4.3) as a panoptic fusion head.

    For each image:

    1. Candidates scoring above ``score_thr`` (0.6) go through
       class-agnostic box NMS at IoU ``nms_iou_thr`` (0.5).
    2. Every overlapping pair (A, B) gets an order. If the overlap is larger
       than ``occlusion_thr`` (20 %) of A or of B, it is an occlusion and the
       overlap goes to the instance whose appearance is closer (Eq. 4): the
       average over the overlap's pixels x of the cosine similarity between
       RGB(x) and the instance's mean RGB (over its whole mask)::

           O* = argmax_{O in {A, B}} mean_{x in A n B} cos(RGB(x), mean_RGB(O))

       Otherwise (and on exact ties) the higher score wins.
    3. Pairs are taken in descending pair score (the higher score of the
       two; ties by the other score). An order that contradicts the ones
       already accepted, i.e. would close a cycle such as A -> B, C -> A,
       B -> C, is set aside; that pair's overlap then follows the accepted
       orders (C over B in the example).
    4. Each pixel goes to the top-most instance covering it; an instance
       losing more than ``mask_overlap`` (50 %) of its mask to instances
       above it is removed, and its pixels go to the instances below it, as
       when pasting top to bottom.
    5. Instances overwrite stuff; stuff classes covering less than
       ``stuff_area_limit`` pixels (4096 on COCO) become void.

    Vectorised: two max reductions over the (N, H, W) masks give each
    mask's extent, and each mask is read only there; only the pixels covered
    by more than one instance enter the pairwise overlaps and colour sums
    (one ``bincount`` per colour channel over all (pair, pixel) incidences)
    and the pasting of step 4. The Python loops run over instances (step 4
    without host synchronisation) and, for the cycles of step 3, over the
    overlapping pairs on an N x N boolean matrix on the CPU.

    Semantic input. ``semantic_layout`` says how to read the logits:

    - ``'all_classes'``: ``num_things + num_stuff`` channels, things first
      (BANet's and REFINE's all-class semantic heads);
    - ``'stuff_thing'``: ``num_stuff + 1`` channels, the stuff classes then
      one "thing" channel (mmdet's ``PanopticFPNHead``);
    - ``'auto'`` (default): from the channel count; ambiguous, hence an
      error, only with a single thing class, where both counts are equal.

    Either way a pixel whose argmax is a thing class (or the thing channel)
    is void unless an instance covers it, as in Panoptic FPN's fusion.

    The head needs the image colours: ``predict(..., batch_imgs=...)``,
    which the detectors (:class:`BANet`, :class:`OcclusionHandlingPanopticFPN`)
    get from their inputs with :meth:`restore_images`.

    Args:
        num_things_classes (int): Number of thing classes. Defaults to 80.
        num_stuff_classes (int): Number of stuff classes. Defaults to 53.
        semantic_layout (str): ``'auto'``, ``'all_classes'`` or
            ``'stuff_thing'``. Defaults to ``'auto'``.
        test_cfg (dict, optional): Any of the keys of ``DEFAULT_TEST_CFG``
            (``score_thr``, ``nms_iou_thr``, ``occlusion_thr``,
            ``mask_overlap``, ``stuff_area_limit``); the rest keep the
            paper's values. The detector passes ``model.test_cfg.panoptic``.
        init_cfg (dict, optional): Unused (no parameters).
    """

    def __init__(self,
                 num_things_classes: int = 80,
                 num_stuff_classes: int = 53,
                 semantic_layout: str = 'auto',
                 test_cfg: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 **kwargs) -> None:
        name = self.__class__.__name__
        check_semantic_layout(name, semantic_layout)
        cfg = dict(DEFAULT_TEST_CFG)
        unknown = set(test_cfg or {}) - set(cfg)
        if unknown:
            raise ValueError(f'{name}: unknown test_cfg keys {sorted(unknown)}'
                             f'; expected some of {sorted(cfg)}')
        cfg.update(test_cfg or {})
        for key in ('score_thr', 'nms_iou_thr', 'occlusion_thr',
                    'mask_overlap'):
            if not 0 <= cfg[key] <= 1:
                raise ValueError(
                    f'{name}: test_cfg.{key} must be in [0, 1], got '
                    f'{cfg[key]!r}')
        if cfg['stuff_area_limit'] < 0:
            raise ValueError(f'{name}: test_cfg.stuff_area_limit must be >= '
                             f'0, got {cfg["stuff_area_limit"]!r}')
        super().__init__(
            num_things_classes=num_things_classes,
            num_stuff_classes=num_stuff_classes,
            test_cfg=ConfigDict(cfg),
            loss_panoptic=None,
            init_cfg=init_cfg,
            **kwargs)
        self.semantic_layout = semantic_layout

    def loss(self, **kwargs) -> dict:
        """Learning-free: no loss."""
        return dict()

    @staticmethod
    def restore_images(batch_inputs: Tensor,
                       batch_img_metas: List[dict],
                       data_preprocessor: nn.Module,
                       rescale: bool = True) -> List[Tensor]:
        """The input images' RGB colours, undoing the data preprocessor.

        Args:
            batch_inputs (Tensor): (B, 3, H, W) preprocessed (normalised,
                padded) batch.
            batch_img_metas (list[dict]): with ``img_shape`` and
                ``ori_shape``.
            data_preprocessor (nn.Module): the detector's
                ``DetDataPreprocessor`` (``mean``, ``std``, and whether it
                converted mmcv's BGR to RGB).
            rescale (bool): resize to ``ori_shape`` (where
                ``rescale=True`` predictions live), else keep ``img_shape``.

        Returns:
            list[Tensor]: per image (3, h, w) float RGB, 0 .. 255.
        """
        imgs = batch_inputs.float()
        if getattr(data_preprocessor, '_enable_normalize', False):
            imgs = imgs * data_preprocessor.std + data_preprocessor.mean
        if imgs.size(1) == 3 and not getattr(data_preprocessor,
                                             '_channel_conversion', False):
            imgs = imgs.flip(1)  # mmcv loads BGR and nothing converted it
        results = []
        for img, img_meta in zip(imgs, batch_img_metas):
            h, w = img_meta['img_shape'][:2]
            img = img[:, :h, :w]
            ori_shape = tuple(img_meta['ori_shape'][:2])
            if rescale and ori_shape != (h, w):
                img = F.interpolate(
                    img[None],
                    size=ori_shape,
                    mode='bilinear',
                    align_corners=False)[0]
            results.append(img)
        return results

    def _stuff_map(self, seg_pred: Tensor) -> Tensor:
        """(C, H, W) logits -> (H*W) stuff labels, void where not stuff."""
        layout = resolve_semantic_layout(
            self.__class__.__name__, self.semantic_layout, seg_pred.size(0),
            self.num_things_classes, self.num_stuff_classes)
        # = argmax (first maximum), but about twice as fast on the CPU
        labels = seg_pred.max(dim=0).indices.reshape(-1)
        void = labels.new_tensor(self.num_classes)
        if layout == 'all_classes':
            return torch.where(labels >= self.num_things_classes, labels, void)
        return torch.where(labels < self.num_stuff_classes,
                           labels + self.num_things_classes, void)

    def _candidates(self, mask_results: InstanceData) -> Tensor:
        """Step 1: indices of the instances scoring above ``score_thr`` that
        survive class-agnostic box NMS, in descending score order."""
        scores = mask_results.scores
        keep = (scores > self.test_cfg.score_thr).nonzero().squeeze(1)
        if keep.numel() > 0:
            _, order = nms(mask_results.bboxes[keep].float(),
                           scores[keep].float(), self.test_cfg.nms_iou_thr)
            keep = keep[order]
        return keep

    @staticmethod
    def _mask_pixels(masks: Tensor, keep: Tensor,
                     img: Tensor) -> Tuple[List[Tensor], Tensor]:
        """Flat pixel indices and colour sums of the masks ``masks[keep]``.

        Each mask is read only inside its tight bounding box (two max
        reductions over the masks find them), so the cost follows the masks'
        sizes, not ``N x H x W``.

        Returns:
            tuple: list of N sorted (n_i, ) pixel index tensors and (N, 3)
            colour sums.
        """
        width = masks.size(-1)
        # max over uint8 is much faster than any() over bool on the CPU
        rows = masks.view(torch.uint8).amax(dim=2)[keep]  # (N, H)
        cols = masks.view(torch.uint8).amax(dim=1)[keep]  # (N, W)
        extents = torch.cat([_span(rows), _span(cols)], dim=1).tolist()
        pixels = [keep.new_zeros(0)] * len(extents)
        colour_sums = img.new_zeros(len(extents), img.size(0))
        for k, (i, (top, bottom, left, right)) in enumerate(
                zip(keep.tolist(), extents)):
            if bottom > top:  # not an empty mask
                crop = masks[i, top:bottom, left:right]
                ys, xs = crop.nonzero(as_tuple=True)
                pixels[k] = (ys + top) * width + xs + left
                colour_sums[k] = (img[:, top:bottom, left:right] *
                                  crop).sum(dim=(1, 2))
        return pixels, colour_sums

    def _order(self, overlap: Tensor, occluded: Tensor,
               first_closer: Tensor, second_closer: Tensor) -> np.ndarray:
        """Steps 2 and 3: the top-to-bottom order of N instances sorted by
        descending score.

        Args:
            overlap (Tensor): (N, N) pairwise overlap areas.
            occluded (Tensor): (N, N) bool, the pair is an occlusion.
            first_closer / second_closer (Tensor): (N, N) bool, the overlap
                of (i, j) looks more like i / like j.

        Returns:
            np.ndarray: instance indices, top first.
        """
        num = overlap.size(0)
        # For i < j, i has the higher score: it wins unless the pair is an
        # occlusion whose overlap looks more like j.
        i_on_top = ~(occluded & second_closer & ~first_closer)
        pairs = torch.triu(overlap > 0, diagonal=1).nonzero()
        wins = i_on_top[pairs[:, 0], pairs[:, 1]]
        # Row-major order of i < j is descending pair score (score of i),
        # ties broken by the score of j.
        pairs, wins = pairs.cpu().numpy(), wins.cpu().numpy()
        above = np.zeros((num, num), dtype=bool)  # transitive closure
        for (i, j), win in zip(pairs, wins):
            top, bottom = (i, j) if win else (j, i)
            if above[bottom, top] or above[top, bottom]:
                continue  # contradicts accepted orders, or already implied
            sources = above[:, top].copy()
            sources[top] = True
            targets = above[bottom].copy()
            targets[bottom] = True
            above[np.ix_(sources, targets)] = True
        # Fewer instances above = higher; an accepted A over B gives B more.
        return np.lexsort((np.arange(num), above.sum(axis=0)))

    def _lay_instances(self, masks: Tensor, keep: Tensor,
                       img: Tensor) -> Tensor:
        """Steps 2 to 4 for the instances ``masks[keep]`` (descending score).

        The masks become a list of (instance, pixel) entries; only the
        entries of pixels covered more than once (the "shared" pixels, P of
        them) matter for the pairs and the removals, and every pair (i, j)
        sharing a pixel is enumerated once per such pixel, so the cost is
        linear in the masks' areas and in those pair-pixel incidences.

        Returns:
            Tensor: (H*W, ) long, the index into ``keep`` of the instance
            each pixel goes to, -1 where none.
        """
        num = keep.numel()
        height, width = masks.shape[-2:]
        device = masks.device
        pixels, colour_sums = self._mask_pixels(masks, keep, img)
        areas = [p.numel() for p in pixels]
        count = torch.bincount(torch.cat(pixels), minlength=height * width)

        # Shared pixels, numbered 0 .. P-1; per instance its shared pixels'
        # numbers and each one's slot among the instances covering it.
        shared_pix = (count > 1).nonzero().squeeze(1)
        num_shared = shared_pix.numel()
        shared_id = torch.full_like(count, -1)
        shared_id[shared_pix] = torch.arange(num_shared, device=device)
        fill = torch.zeros(num_shared, dtype=torch.long, device=device)
        shared_of, slots = [], []
        for pixels_i in pixels:
            q = shared_id[pixels_i]
            q = q[q >= 0]
            shared_of.append(q)
            slots.append(fill[q])
            fill[q] += 1
        entry_q, slot = torch.cat(shared_of), torch.cat(slots)
        entry_inst = torch.repeat_interleave(
            torch.arange(num, device=device),
            torch.tensor([q.numel() for q in shared_of], device=device))
        group_start = torch.cumsum(fill, dim=0) - fill
        position = group_start[entry_q] + slot
        grouped_inst = torch.empty_like(entry_inst)
        grouped_inst[position] = entry_inst

        # Pairwise overlap areas and sums of the overlaps' unit RGB vectors:
        # an entry at slot s pairs with the s lower-index instances of its
        # pixel. dir_sum[i, j] . mean_dir[k] / |A_i n A_j| is the mean
        # cosine similarity of the overlap's pixels to instance k (Eq. 4).
        rgb = img.reshape(img.size(0), -1)
        pixel_dir = _unit(rgb[:, shared_pix].float(), dim=0)
        keys, key_q = [], []
        active = (slot > 0).nonzero().squeeze(1)
        step = 1
        while active.numel() > 0:
            keys.append(grouped_inst[position[active] - step] * num +
                        entry_inst[active])
            key_q.append(entry_q[active])
            active = active[slot[active] > step]
            step += 1
        keys = torch.cat(keys) if keys else entry_inst.new_zeros(0)
        key_q = torch.cat(key_q) if key_q else entry_q.new_zeros(0)
        overlap = torch.bincount(keys, minlength=num * num).view(num, num)
        overlap = overlap + overlap.t()
        dir_sum = torch.stack([
            torch.bincount(keys, weights=c[key_q], minlength=num * num)
            for c in pixel_dir
        ]).view(-1, num, num)
        dir_sum = dir_sum + dir_sum.transpose(1, 2)
        mean_dir = _unit(colour_sums.float(), dim=1).t().to(dir_sum)
        sim_first = (dir_sum * mean_dir[:, :, None]).sum(dim=0)
        sim_second = (dir_sum * mean_dir[:, None, :]).sum(dim=0)
        area = torch.tensor(areas, device=device)
        occluded = overlap > self.test_cfg.occlusion_thr * torch.minimum(
            area[:, None], area[None, :])
        order = self._order(overlap, occluded, sim_first > sim_second,
                            sim_second > sim_first)

        # Step 4: paste top to bottom on the shared pixels; an instance that
        # would lose more than mask_overlap of its area is left out. No
        # host synchronisation inside the loop.
        taken = torch.zeros(num_shared, dtype=torch.bool, device=device)
        owner = torch.full((num_shared, ), -1, dtype=torch.long, device=device)
        kept = torch.zeros(num, dtype=torch.bool, device=device)
        for i in order.tolist():
            q = shared_of[i]
            was_taken = taken[q]
            keep_i = (was_taken.sum() <= self.test_cfg.mask_overlap *
                      areas[i]) & (areas[i] > 0)
            claim = keep_i & ~was_taken
            owner[q] = torch.where(claim, i, owner[q])
            taken[q] = was_taken | claim
            kept[i] = keep_i

        inst_map = torch.full_like(count, -1)
        for i in kept.nonzero().squeeze(1).tolist():
            inst_map[pixels[i]] = i
        inst_map[shared_pix] = owner
        return inst_map

    def _predict_single(self, mask_results: InstanceData, seg_pred: Tensor,
                        img: Tensor) -> PixelData:
        """Fuse one image's instances and semantic logits.

        Args:
            mask_results (InstanceData): ``bboxes`` (N, 4), ``labels`` (N, ),
                ``scores`` (N, ), ``masks`` (N, H, W) bool.
            seg_pred (Tensor): (C, H, W) semantic logits.
            img (Tensor): (3, H, W) RGB.

        Returns:
            PixelData: ``sem_seg`` (1, H, W) int32 panoptic ids,
            ``label + instance_id * INSTANCE_OFFSET``, void = num_classes.
        """
        height, width = seg_pred.shape[-2:]
        masks = mask_results.masks
        if masks.dtype != torch.bool or masks.dim() != 3 or \
                masks.shape[-2:] != (height, width):
            raise ValueError(
                f'{self.__class__.__name__}: masks must be (N, {height}, '
                f'{width}) bool like seg_preds, got {tuple(masks.shape)} '
                f'{masks.dtype}')
        if img.dim() != 3 or img.shape[-2:] != (height, width):
            raise ValueError(
                f'{self.__class__.__name__}: the image must be (3, {height}, '
                f'{width}) like seg_preds, got {tuple(img.shape)}')
        stuff = self._stuff_map(seg_pred)
        void = self.num_classes

        keep = self._candidates(mask_results)
        if keep.numel() > 0:
            inst = self._lay_instances(masks, keep, img.float())
            covered = inst >= 0
            # Instance ids 1, 2, ... for the visible instances, by score.
            visible = torch.bincount(
                inst[covered], minlength=keep.numel()) > 0
            instance_id = torch.cumsum(visible, dim=0)
            index = inst.clamp(min=0)
            labels = mask_results.labels[keep].long()
            pan = torch.where(
                covered, labels[index] + instance_id[index] * INSTANCE_OFFSET,
                stuff)
        else:
            covered = torch.zeros_like(stuff, dtype=torch.bool)
            pan = stuff
        stuff_area = torch.bincount(
            torch.where(covered, void, stuff), minlength=void + 1)
        small = stuff_area < self.test_cfg.stuff_area_limit
        small[void] = False
        pan = torch.where(~covered & small[stuff], void, pan)
        return PixelData(sem_seg=pan.reshape(1, height, width).int())

    def predict(self,
                mask_results_list: InstanceList,
                seg_preds_list: Sequence[Tensor],
                batch_imgs: Optional[Sequence[Tensor]] = None,
                **kwargs) -> PixelList:
        """Fuse instance and semantic predictions with occlusion handling.

        Args:
            mask_results_list (list[InstanceData]): per image ``bboxes``,
                ``labels``, ``scores`` and (N, H, W) bool ``masks``.
            seg_preds_list (list[Tensor]): per image (C, H, W) logits in
                either semantic layout (see the class docstring).
            batch_imgs (list[Tensor]): per image (3, H, W) RGB colours, e.g.
                from :meth:`restore_images`.

        Returns:
            list[PixelData]: ``sem_seg`` (1, H, W) panoptic ids.
        """
        if batch_imgs is None:
            raise ValueError(
                f'{self.__class__.__name__}.predict needs batch_imgs, the '
                'images\' RGB colours: use it in a detector that passes them '
                '(BANet, OcclusionHandlingPanopticFPN)')
        if not len(mask_results_list) == len(seg_preds_list) == len(
                batch_imgs):
            raise ValueError(
                f'{self.__class__.__name__}.predict: got '
                f'{len(mask_results_list)} instance results, '
                f'{len(seg_preds_list)} seg_preds and {len(batch_imgs)} '
                'images; expected one of each per image')
        return [
            self._predict_single(results, seg_pred, img)
            for results, seg_pred, img in zip(mask_results_list,
                                              seg_preds_list, batch_imgs)
        ]

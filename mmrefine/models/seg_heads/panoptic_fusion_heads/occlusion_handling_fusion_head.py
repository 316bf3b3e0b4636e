"""BANet's learning-free occlusion handling, as a panoptic fusion head."""
from typing import Optional, Sequence

import torch
from mmcv.ops import nms
from mmdet.models.seg_heads.panoptic_fusion_heads import BasePanopticFusionHead
from mmdet.registry import MODELS
from mmdet.utils import InstanceList, OptConfigType, OptMultiConfig, PixelList
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData, PixelData
from torch import Tensor

from ....utils import check_number, merge_options
from ...layers.panoptic_fusion import (mask_boxes_and_areas,
                                       order_from_decisions, overlapping_pairs,
                                       panoptic_map, paste_instances,
                                       semantic_stuff_map)
from ...layers.semantic_layout import check_semantic_layout

# The paper's settings (Sec. 4.3). ``mask_overlap`` and ``stuff_area_limit``
# keep the names of mmdet's HeuristicFusionHead, so the stock
# ``test_cfg.panoptic`` of mmdet's panoptic configs reads the same here.
DEFAULT_TEST_CFG = dict(
    score_thr=0.6,  # candidates scoring above it ...
    nms_iou_thr=0.5,  # ... go through class-agnostic box NMS
    overlap_thr=0.2,  # overlap >= 20 % of either mask: resolved by colour
    mask_overlap=0.5,  # an instance losing more than 50 % is removed
    stuff_area_limit=4096)  # smaller stuff regions become void


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
    2. Every overlapping pair (A, B) gets an order. If the overlap is at
       least ``overlap_thr`` (20 %) of A or of B, it is an occlusion and the
       overlap goes to the instance whose appearance is closer (Eq. 4): the
       average over the overlap's pixels x of the cosine similarity between
       RGB(x) and the instance's mean RGB (over its whole mask)::

           O* = argmax_{O in {A, B}} mean_{x in A n B} cos(RGB(x), mean_RGB(O))

       Otherwise (and on exact ties) the higher score wins.
    3. Pairs are taken in descending pair score (the higher score of the
       two; ties by the other score); an order that contradicts the ones
       already accepted (a cycle such as A -> B, C -> A, B -> C) is set
       aside and the pair follows the accepted orders
       (:func:`~mmrefine.models.layers.order_from_decisions`).
    4. Instances are pasted top to bottom; one losing more than
       ``mask_overlap`` (50 %) of its mask is removed; instances overwrite
       stuff, and stuff classes covering less than ``stuff_area_limit``
       pixels become void (:mod:`mmrefine.models.layers.panoptic_fusion`).

    The semantic logits come in either layout (``semantic_layout``, see
    :mod:`mmrefine.models.layers.semantic_layout`); a pixel whose argmax is
    a thing class is void unless an instance covers it. The head needs the
    image colours, ``predict(..., batch_imgs=...)``, which the detectors
    derived from :class:`TwoStagePanopticBase` pass.

    Args:
        num_things_classes (int): Number of thing classes. Defaults to 80.
        num_stuff_classes (int): Number of stuff classes. Defaults to 53.
        semantic_layout (str): ``'auto'``, ``'all_classes'`` or
            ``'stuff_thing'``. Defaults to ``'auto'``.
        test_cfg (dict, optional): Any of the keys of ``DEFAULT_TEST_CFG``
            (``score_thr``, ``nms_iou_thr``, ``overlap_thr``,
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
        cfg = merge_options(name, 'test_cfg.panoptic', test_cfg,
                            DEFAULT_TEST_CFG)
        for key in ('score_thr', 'nms_iou_thr', 'overlap_thr', 'mask_overlap'):
            check_number(
                name, f'test_cfg.panoptic.{key}', cfg[key], low=0, high=1)
        check_number(
            name,
            'test_cfg.panoptic.stuff_area_limit',
            cfg['stuff_area_limit'],
            low=0)
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

    def _order(self, masks: Tensor, scores: Tensor, img: Tensor) -> Tensor:
        """Steps 2 and 3: the top-to-bottom order of score-sorted masks."""
        pairs, inter = overlapping_pairs(masks, 0.)
        boxes, areas = mask_boxes_and_areas(masks)
        first, second = pairs[:, 0], pairs[:, 1]
        occluded = inter >= self.test_cfg.overlap_thr * torch.minimum(
            areas[first], areas[second])
        first_on_top = torch.ones_like(occluded)
        if occluded.any():
            first_on_top[occluded] = ~self._second_looks_closer(
                masks, boxes, img, pairs[occluded])
        # Row-major pairs of score-sorted masks: descending pair score.
        tops = torch.where(first_on_top, first, second)
        bottoms = torch.where(first_on_top, second, first)
        return order_from_decisions(tops.tolist(), bottoms.tolist(), scores)

    @staticmethod
    def _second_looks_closer(masks: Tensor, boxes: Tensor, img: Tensor,
                             pairs: Tensor) -> Tensor:
        """Eq. 4 for the (P, 2) ``pairs`` (i, j): (P,) bool, the overlap's
        mean cosine similarity to j's mean colour is the larger."""
        box_list = boxes.tolist()
        mean_rgb = img.new_zeros(masks.size(0), img.size(0))
        for k in pairs.unique().tolist():
            x0, y0, x1, y1 = box_list[k]
            mean_rgb[k] = (img[:, y0:y1, x0:x1] *
                           masks[k, y0:y1, x0:x1]).sum(dim=(1, 2))
        mean_dir = _unit(mean_rgb, dim=1)
        pixel_dir = _unit(img, dim=0)
        dir_sums = []
        for i, j in pairs.tolist():
            x0, y0 = max(box_list[i][0],
                         box_list[j][0]), max(box_list[i][1], box_list[j][1])
            x1, y1 = min(box_list[i][2],
                         box_list[j][2]), min(box_list[i][3], box_list[j][3])
            overlap = masks[i, y0:y1, x0:x1] & masks[j, y0:y1, x0:x1]
            dir_sums.append(
                (pixel_dir[:, y0:y1, x0:x1] * overlap).sum(dim=(1, 2)))
        dir_sums = torch.stack(dir_sums)
        sim_first = (dir_sums * mean_dir[pairs[:, 0]]).sum(dim=1)
        sim_second = (dir_sums * mean_dir[pairs[:, 1]]).sum(dim=1)
        return sim_second > sim_first

    def _predict_single(self, mask_results: InstanceData, seg_pred: Tensor,
                        img: Tensor) -> PixelData:
        """Fuse one image's instances, (C, H, W) semantic logits and (3, H,
        W) RGB image into ``sem_seg`` (1, H, W) panoptic ids."""
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
        stuff = semantic_stuff_map(self.__class__.__name__, seg_pred,
                                   self.semantic_layout,
                                   self.num_things_classes,
                                   self.num_stuff_classes)
        keep = self._candidates(mask_results)
        masks = masks[keep]
        order = self._order(masks, mask_results.scores[keep], img.float())
        owner = paste_instances(masks, order, self.test_cfg.mask_overlap)
        return PixelData(
            sem_seg=panoptic_map(stuff, owner, order,
                                 mask_results.labels[keep], self.num_classes,
                                 self.test_cfg.stuff_area_limit))

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
                from
                :meth:`TwoStagePanopticBase.restore_images`.

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
            self._predict_single(results, seg_pred, img) for results, seg_pred,
            img in zip(mask_results_list, seg_preds_list, batch_imgs)
        ]

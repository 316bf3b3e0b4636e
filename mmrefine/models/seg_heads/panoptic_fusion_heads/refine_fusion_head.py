from typing import List, Optional

import torch
from mmengine.structures import InstanceData, PixelData
from torch import Tensor

from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.models.seg_heads.panoptic_fusion_heads import BasePanopticFusionHead
from mmdet.registry import MODELS
from mmdet.utils import InstanceList, OptConfigType, OptMultiConfig, PixelList

from ...layers.soft_occlusion import (mask_boxes_and_areas,
                                      occlusion_paste_order)
from ...layers.unknown_erasing import max_softmax_confidence, unknown_erasing
from .semantic_layout import check_semantic_layout, resolve_semantic_layout


@MODELS.register_module()
class REFINEFusionHead(BasePanopticFusionHead):
    """Panoptic fusion of REFINE (AAAI 2021): SOE paste order, Unknown Erasing.

    Instances are pasted front to back: each keeps the pixels of its mask not
    taken yet and is dropped, as in mmdet's ``HeuristicFusionHead``, when more
    than ``mask_overlap`` of its mask is taken already. The order is

    - ``occlusion='score'``: descending detection score (mmdet's heuristic);
    - ``occlusion='pairwise'``: ``i`` over ``j`` where ``O(i, j) > O(j,
      i)``, the occlusion head alone (REFINE's "strong baseline", Table 5);
    - ``occlusion='soe'``: Soft Occlusion Estimation (Eq. 7),
      ``O~(i, j) = s_i * exp(-(O(i, j) - 1)^2 / sigma)``, ``i`` over ``j``
      where ``O~(i, j) > O~(j, i)``, for pairs whose masks overlap by at least
      ``overlap_thr`` of either; contradictions are resolved as
      :mod:`mmrefine.models.layers.soft_occlusion` documents. ``O`` is read
      from the ``occ_probs`` field (``(K, K)``, ``O(i, j)`` = P(i on top of
      j)) of each image's instance results, which the pairwise occlusion head
      fills; a missing field is an error.

    The remaining pixels take the stuff class of the semantic argmax, after
    Unknown Erasing (``unknown_erasing``) voided its uncertain components;
    pixels whose argmax is a thing class (or mmdet's merged "thing" channel)
    are void, and so is every stuff class covering fewer than
    ``stuff_area_limit`` pixels of the result.

    The semantic logits may come in either layout (``semantic_layout``):

    - ``'all_classes'``: ``C = N_th + N_st`` channels in mmdet's label order,
      things first (REFINE's and BANet's semantic heads);
    - ``'stuff_thing'``: ``C = N_st + 1``, the stuff classes then one
      merged thing channel (mmdet's ``PanopticFPNHead``), so that UE serves any
      mmdet two-stage panoptic model;
    - ``'auto'``: told from ``C``; ambiguous (an error) when ``N_th = 1``.

    Args:
        num_things_classes (int): N_th. Default: 80.
        num_stuff_classes (int): N_st. Default: 53.
        occlusion (str): ``'score'``, ``'pairwise'`` or ``'soe'``.
            Default: ``'score'``.
        soe_sigma (float): SOE's sigma. Default: 2.5.
        overlap_thr (float): fraction of either mask two instances must share
            to get an SOE decision. Default: 0.2.
        unknown_erasing (dict, optional): ``dict(thr=0.5, dilation=50)``, the
            arguments of :func:`~mmrefine.models.layers.unknown_erasing`
            (``dilation`` in pixels of the logits handed to the head, i.e.
            of the original image in mmdet); None disables UE.
        semantic_layout (str): see above. Default: ``'auto'``.
        test_cfg (dict, optional): the detector's ``test_cfg.panoptic``:
            ``mask_overlap`` (default 0.5) and ``stuff_area_limit`` (default
            4096), mmdet's stock values.
        init_cfg (dict, optional): initialisation config (no weights here).
    """

    def __init__(self,
                 num_things_classes: int = 80,
                 num_stuff_classes: int = 53,
                 occlusion: str = 'score',
                 soe_sigma: float = 2.5,
                 overlap_thr: float = 0.2,
                 unknown_erasing: Optional[dict] = None,
                 semantic_layout: str = 'auto',
                 test_cfg: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 **kwargs) -> None:
        super().__init__(
            num_things_classes=num_things_classes,
            num_stuff_classes=num_stuff_classes,
            test_cfg=test_cfg,
            loss_panoptic=None,
            init_cfg=init_cfg,
            **kwargs)
        if occlusion not in ('score', 'pairwise', 'soe'):
            raise ValueError(
                f"occlusion must be 'score', 'pairwise' or 'soe', got "
                f'{occlusion!r}')
        if not soe_sigma > 0:
            raise ValueError(f'soe_sigma must be > 0, got {soe_sigma!r}')
        if not 0 <= overlap_thr <= 1:
            raise ValueError(
                f'overlap_thr must be in [0, 1], got {overlap_thr!r}')
        if unknown_erasing is not None:
            unknown_erasing = dict(unknown_erasing)
            unexpected = set(unknown_erasing) - {'thr', 'dilation'}
            if unexpected:
                raise ValueError(
                    'unknown_erasing takes the keys thr and dilation, got '
                    f'{sorted(unexpected)}')
        check_semantic_layout(self.__class__.__name__, semantic_layout)
        self.occlusion = occlusion
        self.soe_sigma = soe_sigma
        self.overlap_thr = overlap_thr
        self.unknown_erasing = unknown_erasing
        self.semantic_layout = semantic_layout
        test_cfg = test_cfg or {}
        self.mask_overlap = test_cfg.get('mask_overlap', 0.5)
        self.stuff_area_limit = test_cfg.get('stuff_area_limit', 4096)

    def loss(self, **kwargs) -> dict:
        """REFINEFusionHead has no training loss."""
        return dict()

    def _stuff_map(self, seg_preds: Tensor) -> Tensor:
        """``(C, H, W)`` logits -> ``(H, W)`` stuff labels, void elsewhere."""
        layout = resolve_semantic_layout(
            self.__class__.__name__, self.semantic_layout, seg_preds.size(0),
            self.num_things_classes, self.num_stuff_classes)
        # Channels of the stuff classes and the label of the first one.
        first = self.num_things_classes if layout == 'all_classes' else 0
        stuff = range(first, first + self.num_stuff_classes)
        if self.unknown_erasing is not None:
            conf, labels = max_softmax_confidence(seg_preds)
            erased = unknown_erasing(
                conf, labels, classes=stuff, **self.unknown_erasing)
        else:
            # max() rather than argmax(): twice as fast on large CPU maps
            labels, erased = seg_preds.max(dim=0).indices, None
        is_stuff = (labels >= stuff.start) & (labels < stuff.stop)
        if erased is not None:
            is_stuff &= ~erased
        stuff_labels = labels - first + self.num_things_classes
        return torch.where(is_stuff, stuff_labels,
                           torch.full_like(labels, self.num_classes))

    def _paste_order(self, mask_results: InstanceData) -> Tensor:
        """Front-to-back order of the instances."""
        occ_probs = None
        if self.occlusion != 'score' and len(mask_results) > 1:
            if 'occ_probs' not in mask_results:
                raise ValueError(
                    f'occlusion={self.occlusion!r} needs the field '
                    'occ_probs ((K, K) pairwise occlusion probabilities O(i, j)) in the '
                    'instance results of every image with two or more '
                    'instances; no pairwise occlusion head filled it: use '
                    "occlusion='score' or give the model that head")
            occ_probs = mask_results.occ_probs
        sigma = self.soe_sigma if self.occlusion == 'soe' else None
        return occlusion_paste_order(mask_results.masks, mask_results.scores,
                                     occ_probs, sigma, self.overlap_thr)

    def _predict_single(self, mask_results: InstanceData,
                        seg_preds: Tensor) -> PixelData:
        """Fuse one image's instances and ``(C, H, W)`` semantic logits.

        Returns:
            :obj:`PixelData`: ``sem_seg`` ``(1, H, W)`` panoptic ids,
            ``label + instance_id * INSTANCE_OFFSET`` for instances (ids from
            1, front to back), the stuff label for stuff, ``num_classes`` for
            void.
        """
        height, width = seg_preds.shape[-2:]
        masks = mask_results.masks
        if not (isinstance(masks, Tensor) and masks.dtype == torch.bool
                and masks.shape[-2:] == (height, width)):
            raise ValueError(
                'mask_results.masks must be (K, H, W) bool masks of the size '
                f'of seg_preds ({height}, {width}), got '
                f'{getattr(masks, "dtype", type(masks).__name__)} of shape '
                f'{tuple(getattr(masks, "shape", ()))}')
        pan = self._stuff_map(seg_preds)
        taken = torch.zeros_like(pan, dtype=torch.bool)
        if len(mask_results) > 0:
            order = self._paste_order(mask_results).tolist()
            boxes, areas = mask_boxes_and_areas(masks)
            boxes, areas = boxes.tolist(), areas.tolist()
            labels = mask_results.labels.tolist()
            instance_id = 1
            for k in order:
                if areas[k] == 0:
                    continue
                x0, y0, x1, y1 = boxes[k]
                mask = masks[k, y0:y1, x0:x1]
                taken_box = taken[y0:y1, x0:x1]
                kept = mask & ~taken_box
                num_kept = int(kept.sum())
                if num_kept == 0 or (
                        areas[k] - num_kept) / areas[k] > self.mask_overlap:
                    continue
                taken_box |= kept
                pan[y0:y1, x0:x1][kept] = (
                    labels[k] + instance_id * INSTANCE_OFFSET)
                instance_id += 1

        is_stuff = ~taken & (pan < self.num_classes)
        areas = torch.bincount(pan[is_stuff], minlength=self.num_classes)
        small = areas < self.stuff_area_limit
        pan[is_stuff & small[pan.clamp(max=self.num_classes - 1)]] = \
            self.num_classes
        return PixelData(sem_seg=pan[None].int())

    def predict(self, mask_results_list: InstanceList,
                seg_preds_list: List[Tensor], **kwargs) -> PixelList:
        """Fuse instance and semantic results, image by image.

        Args:
            mask_results_list (list[:obj:`InstanceData`]): per image
                ``bboxes``, ``labels``, ``scores``, ``masks`` ``(K, H, W)``
                bool at the size of the semantic logits, and with
                ``occlusion='soe'`` ``occ_probs`` ``(K, K)``.
            seg_preds_list (list[Tensor]): per image ``(C, H, W)`` semantic
                logits, in either layout (see the class docstring).

        Returns:
            list[:obj:`PixelData`]: per image ``sem_seg`` ``(1, H, W)``.
        """
        return [
            self._predict_single(mask_results, seg_preds)
            for mask_results, seg_preds in zip(mask_results_list,
                                               seg_preds_list)
        ]

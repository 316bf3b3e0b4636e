"""REFINE's panoptic fusion: SOE paste order and Unknown Erasing."""
from typing import List, Optional

import torch
from mmdet.models.seg_heads.panoptic_fusion_heads import BasePanopticFusionHead
from mmdet.registry import MODELS
from mmdet.utils import InstanceList, OptConfigType, OptMultiConfig, PixelList
from mmengine.structures import InstanceData, PixelData
from torch import Tensor

from ....utils import check_number, merge_options
from ...layers.panoptic_fusion import (panoptic_map, paste_instances,
                                       semantic_stuff_map, stuff_labels)
from ...layers.semantic_layout import (check_semantic_layout,
                                       resolve_semantic_layout)
from ...layers.soft_occlusion import occlusion_paste_order
from ...layers.unknown_erasing import max_softmax_confidence, unknown_erasing

# mmdet's stock test_cfg.panoptic: an instance losing more than half of its
# mask is dropped, stuff classes under 4096 pixels become void.
DEFAULT_TEST_CFG = dict(mask_overlap=0.5, stuff_area_limit=4096)
# An earlier public version of REFINE's Unknown Erasing.
DEFAULT_UNKNOWN_ERASING = dict(thr=0.5, dilation=50)


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
        unknown_erasing (dict, optional): ``thr`` and ``dilation``, the
            arguments of :func:`~mmrefine.models.layers.unknown_erasing`
            (``dilation`` in pixels of the logits handed to the head, i.e.
            of the original image in mmdet), defaults in
            ``DEFAULT_UNKNOWN_ERASING``; None disables UE.
        semantic_layout (str): see above. Default: ``'auto'``.
        test_cfg (dict, optional): the detector's ``test_cfg.panoptic``:
            ``mask_overlap`` and ``stuff_area_limit``, defaults in
            ``DEFAULT_TEST_CFG`` (mmdet's stock values).
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
        name = self.__class__.__name__
        if occlusion not in ('score', 'pairwise', 'soe'):
            raise ValueError(
                f"{name}: occlusion must be 'score', 'pairwise' or 'soe', got "
                f'{occlusion!r}')
        check_number(name, 'soe_sigma', soe_sigma, low=0, low_open=True)
        check_number(name, 'overlap_thr', overlap_thr, low=0, high=1)
        if unknown_erasing is not None:
            unknown_erasing = merge_options(name, 'unknown_erasing',
                                            unknown_erasing,
                                            DEFAULT_UNKNOWN_ERASING)
            check_number(
                name,
                'unknown_erasing.thr',
                unknown_erasing['thr'],
                low=0,
                high=1)
            check_number(
                name,
                'unknown_erasing.dilation',
                unknown_erasing['dilation'],
                low=0,
                integer=True)
        check_semantic_layout(name, semantic_layout)
        cfg = merge_options(name, 'test_cfg.panoptic', test_cfg,
                            DEFAULT_TEST_CFG)
        self.mask_overlap = check_number(
            name,
            'test_cfg.panoptic.mask_overlap',
            cfg['mask_overlap'],
            low=0,
            high=1)
        self.stuff_area_limit = check_number(
            name,
            'test_cfg.panoptic.stuff_area_limit',
            cfg['stuff_area_limit'],
            low=0)
        self.occlusion = occlusion
        self.soe_sigma = soe_sigma
        self.overlap_thr = overlap_thr
        self.unknown_erasing = unknown_erasing
        self.semantic_layout = semantic_layout

    def loss(self, **kwargs) -> dict:
        """REFINEFusionHead has no training loss."""
        return dict()

    def _stuff_map(self, seg_preds: Tensor) -> Tensor:
        """``(C, H, W)`` logits -> ``(H, W)`` stuff labels, void where the
        argmax is a thing or Unknown Erasing erased it."""
        name = self.__class__.__name__
        if self.unknown_erasing is None:
            return semantic_stuff_map(name, seg_preds, self.semantic_layout,
                                      self.num_things_classes,
                                      self.num_stuff_classes)
        layout = resolve_semantic_layout(name, self.semantic_layout,
                                         seg_preds.size(0),
                                         self.num_things_classes,
                                         self.num_stuff_classes)
        first = self.num_things_classes if layout == 'all_classes' else 0
        conf, labels = max_softmax_confidence(seg_preds)
        erased = unknown_erasing(
            conf,
            labels,
            classes=range(first, first + self.num_stuff_classes),
            **self.unknown_erasing)
        stuff = stuff_labels(labels, layout, self.num_things_classes,
                             self.num_stuff_classes)
        return stuff.masked_fill_(erased, self.num_classes)

    def _paste_order(self, mask_results: InstanceData) -> Tensor:
        """Front-to-back order of the instances."""
        occ_probs = None
        if self.occlusion != 'score' and len(mask_results) > 1:
            if 'occ_probs' not in mask_results:
                raise ValueError(
                    f'occlusion={self.occlusion!r} needs the field '
                    'occ_probs ((K, K) pairwise occlusion probabilities '
                    'O(i, j)) in the instance results of every image with '
                    'two or more instances; no pairwise occlusion head '
                    'filled it: use '
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
        order = self._paste_order(mask_results)
        owner = paste_instances(masks, order, self.mask_overlap)
        return PixelData(
            sem_seg=panoptic_map(
                self._stuff_map(seg_preds), owner, order, mask_results.labels,
                self.num_classes, self.stuff_area_limit))

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
            self._predict_single(mask_results,
                                 seg_preds) for mask_results, seg_preds in zip(
                                     mask_results_list, seg_preds_list)
        ]

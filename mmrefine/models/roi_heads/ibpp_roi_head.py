"""REFINE's RoI head: Iterative Bi-directional Prediction Projection (IBPP)
and the pairwise occlusion head of Soft Occlusion Estimation (SOE)."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.roi_heads.mask_heads.fcn_mask_head import _do_paste_mask
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.models.utils import empty_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import ConfigType, InstanceList, OptConfigType
from torch import Tensor, nn

from ...utils import check_number, merge_options
from ..layers import RoIFlatten, overlapping_pairs
from .roi_sampling import sample_rois

# SOE's pairs (REFINE Sec. 3.3): positive RoIs whose masks, pasted at H/4,
# overlap by at least overlap_thr of either; at most max_pairs ordered pairs
# per batch are trained.
DEFAULT_TRAIN_OCCLUSION = dict(overlap_thr=0.2, max_pairs=256)
# At test time the pairs are those REFINEFusionHead decides: the detected
# masks overlap by at least its overlap_thr (0.2) of either.
DEFAULT_TEST_OCCLUSION = dict(overlap_thr=0.2)


@MODELS.register_module()
class IBPPRoIHead(StandardRoIHead):
    """Box head, then ``num_stages`` IBPP iterations, then SOE's pair head.

    Iteration ``t = 1..T`` (REFINE Eq. 2-6), with ``F_sem`` (B, C, H/4, W/4)
    and ``P_sem^(0)`` (B, C_ins + C_sem, H/4, W/4) from the semantic head::

        f_sem = RoIAlign(F_sem), p_sem = softmax(RoIAlign(P_sem^(t-1)))
        m_ins^(t) = H~ins_t([f_ins + f_sem; p_sem])      (K, C_ins, 28, 28)
        P_ins^(t) = RoIFlatten(m_ins^(t))                (B, C_ins, H/4, W/4)
        P_sem^(t) = H~sem_t([P_ins^(t); F_sem])          (B, C_ins + C_sem, ..)

    ``f_ins`` is the usual 14 x 14 mask RoI feature. The RoIAligned
    prediction is turned into probabilities so that the mask head sees
    bounded, class-comparable values. Only each RoI's own class mask (the
    ground-truth class in training, the detected class at test time) is
    flattened. Both projections are differentiable, so the semantic losses
    train the mask heads and the mask losses train the semantic heads.

    Training runs the iterations on the positive RoIs, with loss weights
    ``stage_loss_weights`` (HTC's 1, 0.5, 0.25 by default: the paper gives
    none). Inference runs them on the detections; the last iteration's masks
    are the instance masks and ``P_sem^(T)`` the semantic prediction.

    SOE (optional ``occlusion_head``): pairs of positive RoIs of different
    ground-truth instances whose binarised masks (pasted at H/4) overlap by at
    least ``overlap_thr`` of either mask are labelled with the instance that
    owns more of the overlap in the panoptic ground truth (visible masks);
    both orders are trained, the flipped one to ``1 - y``. At test time both
    orders of every pair of detections whose predicted masks (as returned,
    binarised) overlap by at least ``test_cfg.occlusion.overlap_thr`` of
    either get ``O(i, j)``: with the fusion head's ``overlap_thr``, exactly
    the pairs SOE decides. The (K, K) matrix is returned as ``occ_probs`` of
    the instances (0.5 where not evaluated) for the fusion head.

    Semantic features go in by keyword, as in mmdet's
    :class:`HybridTaskCascadeRoIHead`: ``semantic_feat`` (``F_sem``) and
    ``semantic_pred`` (``P_sem^(0)``). :meth:`predict` returns an
    ``InstanceList``; :meth:`predict_with_semantics` also returns the
    refined ``P_sem^(T)``, which the detector fuses.

    Args:
        num_stages (int): T. Defaults to 3.
        stage_loss_weights (Sequence[float]): One weight per iteration for
            its mask and semantic losses. Defaults to (1, 0.5, 0.25).
        semantic_roi_extractor (dict): RoIAlign of F_sem and P_sem (one
            level).
        mask_head (dict or list[dict]): :class:`IBPPMaskHead`, or a list of
            T.
        semantic_refine_head (dict or list[dict]): :class:`IBPPSemanticHead`,
            or a list of T.
        occlusion_head (dict, optional): :class:`PairwiseOcclusionHead`, or
            None. Defaults to None.

    ``train_cfg.occlusion`` (optional): ``overlap_thr`` and ``max_pairs``,
    defaults in ``DEFAULT_TRAIN_OCCLUSION``. ``test_cfg.occlusion``
    (optional): ``overlap_thr``, default in ``DEFAULT_TEST_OCCLUSION``.
    Unknown keys are errors.
    """

    def __init__(self,
                 num_stages: int = 3,
                 stage_loss_weights: Sequence[float] = (1, 0.5, 0.25),
                 semantic_roi_extractor: ConfigType = dict(
                     type='SingleRoIExtractor',
                     roi_layer=dict(
                         type='RoIAlign', output_size=14, sampling_ratio=0),
                     out_channels=256,
                     featmap_strides=[4]),
                 semantic_refine_head: ConfigType = dict(
                     type='IBPPSemanticHead'),
                 occlusion_head: OptConfigType = None,
                 **kwargs) -> None:
        name = self.__class__.__name__
        check_number(name, 'num_stages', num_stages, low=1, integer=True)
        weights_ok = isinstance(
            stage_loss_weights,
            (list, tuple)) and len(stage_loss_weights) == num_stages
        if not weights_ok:
            raise ValueError(
                f'{name}: stage_loss_weights must be a list of {num_stages} '
                f'numbers, one per stage (num_stages={num_stages}), got '
                f'{stage_loss_weights!r}')
        for t, weight in enumerate(stage_loss_weights):
            check_number(name, f'stage_loss_weights[{t}]', weight, low=0)
        self.num_stages = num_stages
        self.stage_loss_weights = list(stage_loss_weights)
        super().__init__(**kwargs)
        self.train_occlusion = merge_options(name, 'train_cfg.rcnn.occlusion',
                                             (self.train_cfg
                                              or {}).get('occlusion'),
                                             DEFAULT_TRAIN_OCCLUSION)
        self.test_occlusion = merge_options(name, 'test_cfg.rcnn.occlusion',
                                            (self.test_cfg
                                             or {}).get('occlusion'),
                                            DEFAULT_TEST_OCCLUSION)
        for key, cfg in (('train_cfg.rcnn.occlusion.overlap_thr',
                          self.train_occlusion),
                         ('test_cfg.rcnn.occlusion.overlap_thr',
                          self.test_occlusion)):
            check_number(name, key, cfg['overlap_thr'], low=0, high=1)
        check_number(
            name,
            'train_cfg.rcnn.occlusion.max_pairs',
            self.train_occlusion['max_pairs'],
            low=1,
            integer=True)
        self.semantic_roi_extractor = MODELS.build(semantic_roi_extractor)
        self.roi_flatten = RoIFlatten(
            self.num_things_classes,
            1.0 / self.semantic_roi_extractor.featmap_strides[0])
        self.semantic_refine_head = nn.ModuleList(
            MODELS.build(cfg) for cfg in self._per_stage(
                semantic_refine_head, 'semantic_refine_head'))
        self.occlusion_head = (
            MODELS.build(occlusion_head)
            if occlusion_head is not None else None)

    def _per_stage(self, cfg, name: str) -> list:
        cfgs = cfg if isinstance(cfg, (list, tuple)) else [cfg] * \
            self.num_stages
        if len(cfgs) != self.num_stages:
            raise ValueError(f'IBPPRoIHead: {name} has {len(cfgs)} configs, '
                             f'expected num_stages={self.num_stages}')
        return cfgs

    def init_mask_head(self, mask_roi_extractor: ConfigType,
                       mask_head: ConfigType) -> None:
        """One H~ins per iteration, all on the same RoI extractor."""
        self.mask_roi_extractor = MODELS.build(mask_roi_extractor)
        self.share_roi_extractor = False
        self.mask_head = nn.ModuleList(
            MODELS.build(cfg)
            for cfg in self._per_stage(mask_head, 'mask_head'))

    @property
    def num_things_classes(self) -> int:
        return self.mask_head[0].num_classes

    # ------------------------------------------------------------ IBPP ----
    def _semantic_roi_align(self, feat: Tensor, rois: Tensor) -> Tensor:
        """RoIAlign of one H/4 map of any channel count (the extractor would
        give ``out_channels`` zeros for K = 0)."""
        if rois.shape[0] == 0:
            size = self.semantic_roi_extractor.roi_layers[0].output_size
            return feat.new_zeros((0, feat.shape[1], *size))
        return self.semantic_roi_extractor.roi_layers[0](feat, rois)

    def _ibpp(
            self, x: Tuple[Tensor], rois: Tensor, labels: Tensor,
            semantic_feat: Tensor, semantic_pred: Tensor
    ) -> Tuple[List[Tensor], List[Tensor], Tensor]:
        """Run the T iterations on ``rois`` (K, 5) of classes ``labels``.

        Returns the mask logits (K, C_ins, 28, 28) and the semantic logits
        (B, C_ins + C_sem, H/4, W/4) of every iteration, and the last mask
        features (K, C, 14, 14).
        """
        f_ins = self.mask_roi_extractor(x[:self.mask_roi_extractor.num_inputs],
                                        rois)
        f_sem = self._semantic_roi_align(semantic_feat, rois)
        base = f_ins + f_sem
        canvas_size = (semantic_feat.shape[0], *semantic_feat.shape[-2:])
        idx = torch.arange(rois.shape[0], device=rois.device)
        mask_preds, sem_preds = [], []
        sem_pred = semantic_pred
        for t in range(self.num_stages):
            p_sem = self._semantic_roi_align(sem_pred, rois).softmax(1)
            feats = self.mask_head[t].forward_feats(
                torch.cat([base, p_sem], dim=1))
            masks = self.mask_head[t].forward_logits(feats)
            canvas = self.roi_flatten(masks[idx, labels][:, None], rois,
                                      labels, canvas_size)
            sem_pred = self.semantic_refine_head[t](canvas, semantic_feat)
            mask_preds.append(masks)
            sem_preds.append(sem_pred)
        return mask_preds, sem_preds, feats

    def _check_semantics(self, semantic_feat: Optional[Tensor],
                         semantic_pred: Optional[Tensor]) -> None:
        if semantic_feat is None or semantic_pred is None:
            raise ValueError(
                f'{self.__class__.__name__} needs semantic_feat (F_sem) and '
                'semantic_pred (P_sem^(0)) from the semantic head')

    def loss(self,
             x: Tuple[Tensor],
             rpn_results_list: InstanceList,
             batch_data_samples: SampleList,
             semantic_feat: Optional[Tensor] = None,
             semantic_pred: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Box, per-iteration mask and semantic, and occlusion losses."""
        self._check_semantics(semantic_feat, semantic_pred)
        sampling_results, batch_gt_instances = sample_rois(
            self, x, rpn_results_list, batch_data_samples)

        losses = dict(self.bbox_loss(x, sampling_results)['loss_bbox'])

        pos_rois = bbox2roi([res.pos_priors for res in sampling_results])
        pos_labels = torch.cat([res.pos_gt_labels for res in sampling_results])
        mask_targets = self.mask_head[0].get_targets(sampling_results,
                                                     batch_gt_instances,
                                                     self.train_cfg)
        mask_preds, sem_preds, feats = self._ibpp(x, pos_rois, pos_labels,
                                                  semantic_feat, semantic_pred)
        for t, weight in enumerate(self.stage_loss_weights):
            if pos_rois.shape[0] == 0:  # keep the graph, add nothing
                loss_mask = mask_preds[t].sum()
            else:
                loss_mask = self.mask_head[t].loss_mask(
                    mask_preds[t], mask_targets, pos_labels)
            loss_seg = self.semantic_refine_head[t].loss_by_feat(
                sem_preds[t], batch_data_samples)['loss_seg']
            losses[f's{t}.loss_mask'] = loss_mask * weight
            losses[f's{t}.loss_seg'] = loss_seg * weight

        if self.occlusion_head is not None:
            idx = torch.arange(pos_rois.shape[0], device=pos_rois.device)
            losses['loss_occ'] = self._occlusion_loss(
                sampling_results, batch_gt_instances, feats,
                mask_preds[-1][idx, pos_labels][:, None], pos_labels,
                semantic_feat.shape[-2:])
        return losses

    # ------------------------------------------------------------- SOE ----
    def _paste(self, masks: Tensor, boxes: Tensor, size: Tuple[int,
                                                               int]) -> Tensor:
        """Binarised (K, h, w) masks at the semantic resolution."""
        if masks.shape[0] == 0:
            return masks.new_zeros((0, *size), dtype=torch.bool)
        scale = 1.0 / self.semantic_roi_extractor.featmap_strides[0]
        pasted, _ = _do_paste_mask(
            masks.sigmoid(), boxes * scale, *size, skip_empty=False)
        return pasted >= 0.5

    def _overlaps(self, masks: Tensor, boxes: Tensor, size: Tuple[int, int],
                  overlap_thr: float) -> Tuple[Tensor, Tensor]:
        """(K, K) bool: pairs whose binarised masks, pasted at H/4, overlap
        by at least ``overlap_thr`` of either; and the (K, h * w) masks."""
        pred = self._paste(masks, boxes, size).flatten(1).float()
        inter = pred @ pred.T
        area = pred.sum(1)
        overlapping = (inter > 0) & (
            inter >= overlap_thr * torch.minimum(area[:, None], area[None]))
        overlapping.fill_diagonal_(False)
        return overlapping, pred

    def _occlusion_loss(self, sampling_results: List[SamplingResult],
                        batch_gt_instances: InstanceList, feats: Tensor,
                        masks: Tensor, labels: Tensor,
                        size: Tuple[int, int]) -> Tensor:
        """BCE over overlapping pairs of positive RoIs (see class doc)."""
        overlap_thr = self.train_occlusion['overlap_thr']
        max_pairs = self.train_occlusion['max_pairs']
        pairs, targets = [], []
        start = 0
        for res, gt in zip(sampling_results, batch_gt_instances):
            num = res.pos_priors.shape[0]
            sl = slice(start, start + num)
            start += num
            if num < 2:
                continue
            overlapping, pred = self._overlaps(masks[sl].detach(),
                                               res.pos_priors, size,
                                               overlap_thr)
            gt_masks = gt.masks.to_tensor(torch.float, pred.device)
            gt_masks = F.interpolate(
                gt_masks[None], size=size, mode='nearest')[0].flatten(1)
            owner = gt_masks[res.pos_assigned_gt_inds] * pred
            # own[a, b]: pixels of M_a & M_b owned by a's instance
            own = owner @ pred.T
            other = res.pos_assigned_gt_inds[:, None] != \
                res.pos_assigned_gt_inds[None]
            decided = own != own.T
            a, b = torch.nonzero(other & overlapping & decided, as_tuple=True)
            pairs.append(torch.stack([a, b], 1) + sl.start)
            targets.append((own[a, b] > own[b, a]).float())
        if not pairs:
            return feats.sum() * 0
        pairs, targets = torch.cat(pairs), torch.cat(targets)
        if pairs.shape[0] > max_pairs:
            keep = torch.randperm(pairs.shape[0], device=pairs.device)
            pairs, targets = pairs[keep[:max_pairs]], targets[keep[:max_pairs]]
        logits = self.occlusion_head(feats, masks, labels, pairs)
        return self.occlusion_head.loss(logits, targets)

    def _occlusion_probs(self, feats: Tensor, masks: Tensor, labels: Tensor,
                         pred_masks: Tensor) -> Tensor:
        """(K, K) O(i, j) for both orders of the pairs whose predicted masks
        ``pred_masks`` (K, H, W) overlap by at least the test ``overlap_thr``
        of either, 0.5 elsewhere: the fusion reads no other entry, and scoring
        all K^2 pairs of a crowded image would cost more than the network."""
        num = labels.shape[0]
        probs = feats.new_full((num, num), 0.5)
        pairs, _ = overlapping_pairs(pred_masks,
                                     self.test_occlusion['overlap_thr'])
        if pairs.shape[0]:
            pairs = torch.cat([pairs, pairs.flip(1)])
            probs[pairs[:, 0],
                  pairs[:, 1]] = self.occlusion_head(feats, masks, labels,
                                                     pairs).sigmoid()
        return probs

    # ------------------------------------------------------- inference ----
    def predict(self,
                x: Tuple[Tensor],
                rpn_results_list: InstanceList,
                batch_data_samples: SampleList,
                rescale: bool = False,
                semantic_feat: Optional[Tensor] = None,
                semantic_pred: Optional[Tensor] = None) -> InstanceList:
        """Detections with masks, and ``occ_probs`` (K, K) with an occlusion
        head (see :meth:`predict_with_semantics`)."""
        return self.predict_with_semantics(
            x,
            rpn_results_list,
            batch_data_samples,
            rescale=rescale,
            semantic_feat=semantic_feat,
            semantic_pred=semantic_pred)[0]

    def predict_with_semantics(
            self,
            x: Tuple[Tensor],
            rpn_results_list: InstanceList,
            batch_data_samples: SampleList,
            rescale: bool = False,
            semantic_feat: Optional[Tensor] = None,
            semantic_pred: Optional[Tensor] = None
    ) -> Tuple[InstanceList, Tensor]:
        """Detections with masks (and ``occ_probs`` with an occlusion head),
        and the refined semantic logits ``P_sem^(T)`` (B, C_ins + C_sem, H/4,
        W/4) of the same iterations.

        Args:
            x (tuple[Tensor]): FPN features.
            rpn_results_list (list[InstanceData]): Proposals per image.
            batch_data_samples (list[DetDataSample]): With the image metas.
            rescale (bool): Masks at ``ori_shape``. Defaults to False.
            semantic_feat (Tensor): F_sem (B, C, H/4, W/4).
            semantic_pred (Tensor): P_sem^(0) (B, C_ins + C_sem, H/4, W/4).

        Returns:
            tuple: The ``InstanceList`` and ``P_sem^(T)``.
        """
        self._check_semantics(semantic_feat, semantic_pred)
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        results_list = self.predict_bbox(
            x,
            batch_img_metas,
            rpn_results_list,
            rcnn_test_cfg=self.test_cfg,
            rescale=False)
        rois = bbox2roi([res.bboxes for res in results_list])
        labels = torch.cat([res.labels for res in results_list])
        mask_preds, sem_preds, feats = self._ibpp(x, rois, labels,
                                                  semantic_feat, semantic_pred)
        if rois.shape[0] == 0:
            results_list = empty_instances(
                batch_img_metas,
                rois.device,
                task_type='mask',
                instance_results=results_list,
                mask_thr_binary=self.test_cfg.mask_thr_binary)
            return results_list, sem_preds[-1]

        idx = torch.arange(rois.shape[0], device=rois.device)
        own = mask_preds[-1][idx, labels][:, None]
        num_per_img = [len(res) for res in results_list]
        results_list = self.mask_head[-1].predict_by_feat(
            mask_preds=mask_preds[-1].split(num_per_img),
            results_list=results_list,
            batch_img_metas=batch_img_metas,
            rcnn_test_cfg=self.test_cfg,
            rescale=rescale)
        if self.occlusion_head is not None:
            for res, f, m, lab in zip(results_list, feats.split(num_per_img),
                                      own.split(num_per_img),
                                      labels.split(num_per_img)):
                res.occ_probs = self._occlusion_probs(f, m, lab, res.masks)
        return results_list, sem_preds[-1]

    def forward(self,
                x: Tuple[Tensor],
                rpn_results_list: InstanceList,
                batch_data_samples: SampleList = None,
                semantic_feat: Optional[Tensor] = None,
                semantic_pred: Optional[Tensor] = None) -> tuple:
        """Tensor mode: box outputs of the proposals, then the mask and
        semantic logits of every iteration on the first 100 proposals as
        class-0 RoIs (no post-processing)."""
        self._check_semantics(semantic_feat, semantic_pred)
        rois = bbox2roi([res.bboxes for res in rpn_results_list])
        bbox_results = self._bbox_forward(x, rois)
        rois = rois[:100]
        labels = rois.new_zeros(rois.shape[0], dtype=torch.long)
        mask_preds, sem_preds, _ = self._ibpp(x, rois, labels, semantic_feat,
                                              semantic_pred)
        return (bbox_results['cls_score'], bbox_results['bbox_pred'],
                *mask_preds, *sem_preds)

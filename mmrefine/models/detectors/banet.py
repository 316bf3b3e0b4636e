"""BANet: Bidirectional Aggregation Network with Occlusion Handling."""
import numbers
from typing import List

import torch
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi, get_box_tensor
from mmdet.utils import ConfigType, InstanceList, OptConfigType, OptMultiConfig
from mmengine.structures import PixelData
from torch import Tensor

from ...utils import merge_options
from ..seg_heads.panoptic_fusion_heads import OcclusionHandlingFusionHead
from .two_stage_panoptic_base import TwoStagePanopticBase

# BANet Sec. 3.4: per image a uniform rate in [0.6, 1] of the ground-truth
# boxes is inlaid during training, at least one.
DEFAULT_INLAY_CFG = dict(sample_rate=(0.6, 1.0))


@MODELS.register_module()
class BANet(TwoStagePanopticBase):
    """BANet (Chen et al., "BANet: Bidirectional Aggregation Network with
    Occlusion Handling for Panoptic Segmentation", CVPR 2020).

    A Mask R-CNN plus an all-class semantic head, connected both ways:

    - **Semantic-To-Instance** (S2I, :class:`BANetRoIHead`): the RoI
      features of the bbox and mask branches are
      ``F_S2I = phi(RoIAlign(F_S)) + RoIAlign(P_i)``;
    - **Instance-To-Semantic** (I2S, :class:`BANetSemanticHead`): the mask
      head's ``F_ins`` is inlaid back into a map by RoIInlay and fused with
      ``F_S`` by SIM and OCM; the semantic prediction comes from ``F_I2S``;
    - **occlusion handling** (:class:`OcclusionHandlingFusionHead`): overlaps
      go to the instance whose colour they resemble most.

    Data flow. ``F_S`` is computed first because the RoI head needs it;
    ``F_ins`` comes from the RoI head and goes back to the semantic head:

    - training: FPN -> ``F_S`` -> RPN losses -> RoI losses on ``F_S2I`` ->
      ``F_ins`` at sampled ground-truth boxes (per image a rate uniform in
      ``train_cfg.inlay.sample_rate``, default [0.6, 1], at least one box;
      none for an image without instances) -> ``L_seg`` and ``L_I2S``;
    - inference: FPN -> ``F_S`` -> proposals -> detections with ``F_ins`` at
      the detected boxes -> I2S logits -> fusion.

    The loss is Eq. 5: RPN + bbox + mask + ``lambda_s L_seg + lambda_i
    L_I2S``, the lambdas being the ``loss_weight`` of the semantic head's
    ``loss_seg`` and ``loss_i2s``.

    Fusion. :class:`OcclusionHandlingFusionHead` gets the all-class logits
    and the input images' colours (the batch inputs with the data
    preprocessor's normalisation undone, cropped to ``img_shape`` and
    resized to ``ori_shape``). Any other fusion head (mmdet's
    ``HeuristicFusionHead``, the paper's fusion without OH) gets the logits
    in ``PanopticFPNHead``'s stuff + one thing channel layout, which is what
    mmdet's fusion heads read.

    Args:
        roi_head (dict): a :class:`BANetRoIHead`; with I2S it needs a mask
            head, with S2I its ``semantic_channels`` must be the semantic
            head's ``feat_channels``.
        semantic_head (dict): a :class:`BANetSemanticHead`.
        train_cfg (dict, optional): mmdet's, plus ``inlay=dict(
            sample_rate=(low, high))``.
        Others: as :class:`TwoStagePanopticSegmentor`.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: OptConfigType = None,
                 rpn_head: OptConfigType = None,
                 roi_head: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 semantic_head: OptConfigType = None,
                 panoptic_fusion_head: OptConfigType = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            rpn_head=rpn_head,
            roi_head=roi_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            semantic_head=semantic_head,
            panoptic_fusion_head=panoptic_fusion_head)
        name = self.__class__.__name__
        if not hasattr(self, 'roi_head') or not hasattr(
                self.roi_head, 'forward_ins_feats'):
            raise ValueError(f'{name}: roi_head must be a BANetRoIHead')
        if not self.with_semantic_head or not hasattr(self.semantic_head,
                                                      'forward_i2s'):
            raise ValueError(
                f'{name}: semantic_head must be a BANetSemanticHead')
        if self.semantic_head.with_i2s and not self.roi_head.with_mask:
            raise ValueError(f'{name}: I2S inlays the mask head\'s F_ins, so '
                             'roi_head needs a mask_head')
        if self.roi_head.with_s2i:
            if self.roi_head.semantic_channels != \
                    self.semantic_head.feat_channels:
                raise ValueError(
                    f'{name}: roi_head.semantic_channels '
                    f'({self.roi_head.semantic_channels}) must be the '
                    'semantic head\'s F_S channels (feat_channels = '
                    f'{self.semantic_head.feat_channels})')
            stride = round(1 / self.semantic_head.seg_rescale_factor)
            if self.roi_head.semantic_stride != stride:
                raise ValueError(
                    f'{name}: roi_head.semantic_stride '
                    f'({self.roi_head.semantic_stride}) must be the stride '
                    f'of F_S ({stride})')
        if self.semantic_head.with_i2s:
            ins_channels = self.roi_head.mask_head.feat_channels
            if self.semantic_head.ins_channels != ins_channels:
                raise ValueError(
                    f'{name}: semantic_head.ins_channels '
                    f'({self.semantic_head.ins_channels}) must be the mask '
                    f'head\'s F_ins channels ({ins_channels})')
        inlay_cfg = merge_options(name, 'train_cfg.inlay',
                                  (train_cfg
                                   or {}).get('inlay'), DEFAULT_INLAY_CFG)
        rate = inlay_cfg['sample_rate']
        if not (isinstance(rate, (list, tuple)) and len(rate) == 2
                and all(isinstance(r, numbers.Real)
                        for r in rate) and 0 < rate[0] <= rate[1] <= 1):
            raise ValueError(
                f'{name}: train_cfg.inlay.sample_rate must be (low, high) '
                f'with 0 < low <= high <= 1, got {rate!r}')
        self.inlay_sample_rate = (float(rate[0]), float(rate[1]))

    def sample_inlay_rois(self, batch_data_samples: SampleList) -> Tensor:
        """The ground-truth boxes whose F_ins is inlaid during training.

        Per image, a rate r is drawn uniformly from ``inlay_sample_rate`` and
        ``max(1, round(r * n))`` of its n boxes are drawn without replacement
        (none when n = 0).

        Returns:
            Tensor: (K, 5) RoIs ``[batch_idx, x1, y1, x2, y2]``.
        """
        low, high = self.inlay_sample_rate
        boxes = []
        for data_sample in batch_data_samples:
            gt_bboxes = get_box_tensor(data_sample.gt_instances.bboxes)
            num_gts = gt_bboxes.size(0)
            if num_gts > 0:
                rate = low + (high - low) * torch.rand(()).item()
                num_kept = max(1, round(rate * num_gts))
                kept = torch.randperm(num_gts)[:num_kept].to(gt_bboxes.device)
                gt_bboxes = gt_bboxes[kept]
            boxes.append(gt_bboxes)
        return bbox2roi(boxes)

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> dict:
        """RPN, RoI (on F_S2I) and semantic (L_seg, L_I2S) losses.

        Args:
            batch_inputs (Tensor): (B, 3, H, W) preprocessed images.
            batch_data_samples (list[DetDataSample]): with ``gt_instances``
                and ``gt_sem_seg``.

        Returns:
            dict: loss components.
        """
        x = self.extract_feat(batch_inputs)
        seg_outs = self.semantic_head(x)
        semantic_feat = seg_outs['seg_feats']

        losses, rpn_results_list = self.rpn_loss_and_proposals(
            x, batch_data_samples)
        losses.update(
            self.roi_head.loss(
                x,
                rpn_results_list,
                batch_data_samples,
                semantic_feat=semantic_feat))

        i2s_preds = None
        if self.semantic_head.with_i2s:
            rois = self.sample_inlay_rois(batch_data_samples)
            ins_feats = self.roi_head.forward_ins_feats(
                x, rois, semantic_feat=semantic_feat)
            i2s_preds = self.semantic_head.forward_i2s(semantic_feat,
                                                       ins_feats, rois)
        losses.update(
            self.semantic_head.loss_by_feat(
                seg_outs['seg_preds'], batch_data_samples,
                i2s_preds=i2s_preds))
        return losses

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Panoptic predictions: ``pred_panoptic_seg.sem_seg`` (1, H, W).

        Args:
            batch_inputs (Tensor): (B, 3, H, W) preprocessed images.
            batch_data_samples (list[DetDataSample]): with the image metas.
            rescale (bool): predict at ``ori_shape`` (else ``img_shape``).
        """
        batch_img_metas = [
            data_samples.metainfo for data_samples in batch_data_samples
        ]
        x = self.extract_feat(batch_inputs)
        seg_outs = self.semantic_head(x)
        semantic_feat = seg_outs['seg_feats']

        rpn_results_list = self.rpn_proposals(x, batch_data_samples)
        results_list, ins_feats, rois = \
            self.roi_head.predict_with_ins_feats(
                x,
                rpn_results_list,
                batch_data_samples,
                rescale=rescale,
                semantic_feat=semantic_feat)

        seg_logits = seg_outs['seg_preds']
        if self.semantic_head.with_i2s:
            seg_logits = self.semantic_head.forward_i2s(
                semantic_feat, ins_feats, rois)
        seg_preds = self.semantic_head.predict_by_feat(seg_logits,
                                                       batch_img_metas,
                                                       rescale)
        panoptic_results = self._fuse(batch_inputs, batch_img_metas,
                                      results_list, seg_preds, rescale)
        return self.add_pred_to_datasample(batch_data_samples,
                                           panoptic_results)

    def _fuse(self, batch_inputs: Tensor, batch_img_metas: List[dict],
              results_list: InstanceList, seg_preds: List[Tensor],
              rescale: bool) -> List[PixelData]:
        fusion_head = self.panoptic_fusion_head
        if isinstance(fusion_head, OcclusionHandlingFusionHead):
            imgs = self.restore_images(batch_inputs, batch_img_metas, rescale)
            return fusion_head.predict(
                results_list, seg_preds, batch_imgs=imgs)
        return fusion_head.predict(results_list, [
            self.semantic_head.to_stuff_thing_layout(seg_pred)
            for seg_pred in seg_preds
        ])

    def _forward(self, batch_inputs: Tensor,
                 batch_data_samples: SampleList) -> tuple:
        """Tensor mode: RPN outputs, RoI head outputs (cls_score, bbox_pred,
        mask_preds) and the semantic logits (from F_S, then, with I2S, from
        F_I2S at the first 100 proposals)."""
        x = self.extract_feat(batch_inputs)
        seg_outs = self.semantic_head(x)
        semantic_feat = seg_outs['seg_feats']
        rpn_outs, rpn_results_list = self.rpn_forward(x, batch_data_samples)
        roi_outs = self.roi_head.forward(
            x, rpn_results_list, semantic_feat=semantic_feat)
        results = tuple(rpn_outs) + tuple(
            roi_outs[:3]) + (seg_outs['seg_preds'], )
        if self.semantic_head.with_i2s:
            ins_feats, mask_rois = roi_outs[3:5]
            results = results + (self.semantic_head.forward_i2s(
                semantic_feat, ins_feats, mask_rois), )
        return results

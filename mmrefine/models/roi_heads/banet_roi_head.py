"""BANet's RoI head: Semantic-To-Instance (S2I) aggregation, F_ins exposed."""
from typing import List, Optional, Tuple

from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.utils import empty_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import ConfigType, InstanceList, OptMultiConfig
from torch import Tensor, nn

from .mask_heads import FeatureFCNMaskHead
from .roi_sampling import sample_rois


@MODELS.register_module()
class BANetRoIHead(StandardRoIHead):
    """RoI head of BANet (Chen et al., CVPR 2020, Sec. 3.1, Eq. 1).

    Semantic-To-Instance: the RoI features of both the bbox and the mask
    branch get the semantic features ``F_S`` of the semantic head, cropped
    at the same RoIs and projected by a 1x1 conv ``phi``::

        F_S2I = phi(RoIAlign(F_S)) + RoIAlign(P_i)                      (1)

    where ``P_i`` is the FPN level mmdet's :class:`SingleRoIExtractor` picks
    for the RoI. ``phi`` is applied to the ``F_S`` map before the crop: a 1x1
    conv commutes with RoIAlign's bilinear sampling (both are linear and the
    sampling weights sum to 1; only the bias of samples falling more than a
    pixel outside the image differs), and this way it runs once per image
    instead of once per RoI. The crop uses each branch's own RoI layer
    (output size, alignment) at ``F_S``'s stride, with
    ``semantic_sampling_ratio`` samples per bin side, by default the
    paper's RoIAlign (Sec. 3.2: "a sampling point at the center of each
    bin"). ``F_S`` has stride 4 for every RoI, where the adaptive sampling
    (``sampling_ratio=0``) of mmdet's FPN extractors would take
    ``ceil(h / 28) x ceil(w / 28)`` samples per 7 x 7 bin of an h x w RoI.

    ``F_S`` goes in by keyword (``semantic_feat``), as in mmdet's
    :class:`HybridTaskCascadeRoIHead`. The mask head must expose ``F_ins``
    (a :class:`FeatureFCNMaskHead` such as :class:`BANetMaskHead`):
    :meth:`predict_with_ins_feats` returns it with the detections (at the
    detected boxes) and :meth:`forward_ins_feats` computes it at given boxes
    (BANet's training inlays sampled ground-truth boxes); the
    Instance-To-Semantic path inlays it. :meth:`predict` returns the
    ``InstanceList`` alone.

    With ``semantic_channels=None`` there is no S2I and the head is a
    :class:`StandardRoIHead` that exposes ``F_ins`` (the ablation rows
    without S2I).

    Args:
        semantic_channels (int, optional): Channels of ``F_S``; None
            disables S2I. Defaults to None.
        semantic_stride (int): Stride of ``F_S`` w.r.t. the network input.
            Defaults to 4.
        semantic_sampling_ratio (int): Sampling points per bin side of the
            crops of ``F_S`` (0: adaptive). Defaults to 1.
        **kwargs: :class:`StandardRoIHead`'s arguments.
    """

    def __init__(self,
                 bbox_roi_extractor: OptMultiConfig = None,
                 bbox_head: OptMultiConfig = None,
                 mask_roi_extractor: OptMultiConfig = None,
                 mask_head: OptMultiConfig = None,
                 semantic_channels: Optional[int] = None,
                 semantic_stride: int = 4,
                 semantic_sampling_ratio: int = 1,
                 **kwargs) -> None:
        super().__init__(
            bbox_roi_extractor=bbox_roi_extractor,
            bbox_head=bbox_head,
            mask_roi_extractor=mask_roi_extractor,
            mask_head=mask_head,
            **kwargs)
        name = self.__class__.__name__
        if self.with_mask and not isinstance(self.mask_head,
                                             FeatureFCNMaskHead):
            raise ValueError(
                f'{name}: mask_head must expose F_ins (a FeatureFCNMaskHead, '
                f'e.g. BANetMaskHead); got {type(self.mask_head).__name__}')
        if semantic_channels is not None and (not isinstance(
                semantic_channels, int) or semantic_channels <= 0):
            raise ValueError(f'{name}: semantic_channels must be a positive '
                             f'int or None, got {semantic_channels!r}')
        if not isinstance(semantic_stride, int) or semantic_stride <= 0:
            raise ValueError(f'{name}: semantic_stride must be a positive '
                             f'int, got {semantic_stride!r}')
        if not isinstance(semantic_sampling_ratio, int) or \
                semantic_sampling_ratio < 0:
            raise ValueError(f'{name}: semantic_sampling_ratio must be an int '
                             f'>= 0, got {semantic_sampling_ratio!r}')
        self.semantic_channels = semantic_channels
        self.semantic_stride = semantic_stride
        self.semantic_sampling_ratio = semantic_sampling_ratio
        if self.with_s2i:
            if not self.with_bbox:
                raise ValueError(f'{name}: S2I (semantic_channels='
                                 f'{semantic_channels}) needs a bbox_head')
            roi_channels = self.bbox_roi_extractor.out_channels
            self.semantic_proj = nn.Conv2d(semantic_channels, roi_channels, 1)
            self.bbox_semantic_roi_layer = self._semantic_roi_layer(
                self.bbox_roi_extractor, bbox_roi_extractor)
            if self.with_mask and not self.share_roi_extractor:
                if self.mask_roi_extractor.out_channels != roi_channels:
                    raise ValueError(
                        f'{name}: S2I adds phi(F_S) to both branches, so the '
                        'bbox and mask RoI extractors need the same '
                        f'out_channels, got {roi_channels} and '
                        f'{self.mask_roi_extractor.out_channels}')
                self.mask_semantic_roi_layer = self._semantic_roi_layer(
                    self.mask_roi_extractor, mask_roi_extractor)

    @property
    def with_s2i(self) -> bool:
        """bool: whether the RoI features get the semantic features."""
        return self.semantic_channels is not None

    def _semantic_roi_layer(self, extractor: nn.Module,
                            extractor_cfg: ConfigType) -> nn.Module:
        """The branch's RoI layer, at the stride of ``F_S``."""
        layer_cfg = dict(
            extractor_cfg['roi_layer'],
            sampling_ratio=self.semantic_sampling_ratio)
        return extractor.build_roi_layers(layer_cfg, [self.semantic_stride])[0]

    def _project_semantic(self,
                          semantic_feat: Optional[Tensor]) -> Optional[Tensor]:
        """``phi(F_S)`` when S2I is on, else None."""
        if not self.with_s2i:
            return None
        if semantic_feat is None:
            raise ValueError(
                f'{self.__class__.__name__}: S2I is on (semantic_channels='
                f'{self.semantic_channels}), so semantic_feat (F_S) is '
                'required')
        if semantic_feat.dim() != 4 or \
                semantic_feat.size(1) != self.semantic_channels:
            raise ValueError(
                f'{self.__class__.__name__}: semantic_feat must be (B, '
                f'{self.semantic_channels}, H, W), got '
                f'{tuple(semantic_feat.shape)}')
        return self.semantic_proj(semantic_feat)

    def _bbox_forward(self,
                      x: Tuple[Tensor],
                      rois: Tensor,
                      s2i_feat: Optional[Tensor] = None) -> dict:
        """StandardRoIHead's, with ``F_S2I`` (Eq. 1) as the RoI features;
        ``s2i_feat`` is ``phi(F_S)`` (None without S2I)."""
        bbox_feats = self.bbox_roi_extractor(
            x[:self.bbox_roi_extractor.num_inputs], rois)
        if s2i_feat is not None:
            bbox_feats = bbox_feats + self.bbox_semantic_roi_layer(
                s2i_feat, rois)
        if self.with_shared_head:
            bbox_feats = self.shared_head(bbox_feats)
        cls_score, bbox_pred = self.bbox_head(bbox_feats)
        return dict(
            cls_score=cls_score, bbox_pred=bbox_pred, bbox_feats=bbox_feats)

    def _mask_roi_feats(self,
                        x: Tuple[Tensor],
                        rois: Tensor,
                        s2i_feat: Optional[Tensor] = None) -> Tensor:
        """F_S2I of the mask branch (K, C, m, m) at ``rois``."""
        mask_feats = self.mask_roi_extractor(
            x[:self.mask_roi_extractor.num_inputs], rois)
        if s2i_feat is not None:
            roi_layer = (
                self.bbox_semantic_roi_layer
                if self.share_roi_extractor else self.mask_semantic_roi_layer)
            mask_feats = mask_feats + roi_layer(s2i_feat, rois)
        if self.with_shared_head:
            mask_feats = self.shared_head(mask_feats)
        return mask_feats

    def _mask_forward(self,
                      x: Tuple[Tensor],
                      rois: Optional[Tensor] = None,
                      pos_inds: Optional[Tensor] = None,
                      bbox_feats: Optional[Tensor] = None,
                      s2i_feat: Optional[Tensor] = None) -> dict:
        """StandardRoIHead's, also returning ``ins_feats`` (F_ins)."""
        if (rois is None) == (pos_inds is None or bbox_feats is None):
            raise ValueError(
                f'{self.__class__.__name__}._mask_forward needs either rois '
                'or both pos_inds and bbox_feats')
        if rois is not None:
            mask_feats = self._mask_roi_feats(x, rois, s2i_feat)
        else:
            mask_feats = bbox_feats[pos_inds.bool()]
        ins_feats = self.mask_head.forward_feats(mask_feats)
        mask_preds = self.mask_head.forward_logits(ins_feats)
        return dict(
            mask_preds=mask_preds, mask_feats=mask_feats, ins_feats=ins_feats)

    def forward_ins_feats(self,
                          x: Tuple[Tensor],
                          rois: Tensor,
                          semantic_feat: Optional[Tensor] = None) -> Tensor:
        """F_ins at given RoIs, without the mask logits.

        Args:
            x (tuple[Tensor]): FPN features.
            rois (Tensor): (K, 5) ``[batch_idx, x1, y1, x2, y2]`` in the
                network input's coordinates.
            semantic_feat (Tensor, optional): F_S, (B, semantic_channels,
                H / semantic_stride, W / semantic_stride); required with S2I,
                ignored without.

        Returns:
            Tensor: (K, feat_channels, m, m).
        """
        if not self.with_mask:
            raise ValueError(
                f'{self.__class__.__name__}.forward_ins_feats needs a '
                'mask_head')
        s2i_feat = self._project_semantic(semantic_feat)
        return self.mask_head.forward_feats(
            self._mask_roi_feats(x, rois, s2i_feat))

    def forward(self,
                x: Tuple[Tensor],
                rpn_results_list: InstanceList,
                batch_data_samples: SampleList = None,
                semantic_feat: Optional[Tensor] = None) -> tuple:
        """Tensor-mode forward (no post-processing).

        Returns:
            tuple: ``(cls_score, bbox_pred)``, then, with a mask head,
            ``(mask_preds, ins_feats, mask_rois)`` for the first 100 RoIs
            (as :class:`StandardRoIHead`), ``mask_rois`` being what
            ``ins_feats`` would be inlaid at.
        """
        s2i_feat = self._project_semantic(semantic_feat)
        rois = bbox2roi([res.bboxes for res in rpn_results_list])
        results = ()
        if self.with_bbox:
            bbox_results = self._bbox_forward(x, rois, s2i_feat)
            results = results + (bbox_results['cls_score'],
                                 bbox_results['bbox_pred'])
        if self.with_mask:
            mask_rois = rois[:100]
            mask_results = self._mask_forward(x, mask_rois, s2i_feat=s2i_feat)
            results = results + (mask_results['mask_preds'],
                                 mask_results['ins_feats'], mask_rois)
        return results

    def loss(self,
             x: Tuple[Tensor],
             rpn_results_list: InstanceList,
             batch_data_samples: SampleList,
             semantic_feat: Optional[Tensor] = None) -> dict:
        """StandardRoIHead's losses on the S2I features.

        Args:
            semantic_feat (Tensor, optional): F_S; required with S2I.
        """
        s2i_feat = self._project_semantic(semantic_feat)
        sampling_results, batch_gt_instances = sample_rois(
            self, x, rpn_results_list, batch_data_samples)
        rois = bbox2roi([res.priors for res in sampling_results])
        bbox_results = self._bbox_forward(x, rois, s2i_feat)
        losses = dict(
            self.bbox_head.loss_and_target(
                cls_score=bbox_results['cls_score'],
                bbox_pred=bbox_results['bbox_pred'],
                rois=rois,
                sampling_results=sampling_results,
                rcnn_train_cfg=self.train_cfg)['loss_bbox'])
        if self.with_mask:
            if self.share_roi_extractor:
                mask_results = self.mask_loss(x, sampling_results,
                                              bbox_results['bbox_feats'],
                                              batch_gt_instances)
            else:
                pos_rois = bbox2roi(
                    [res.pos_priors for res in sampling_results])
                mask_results = self._mask_forward(
                    x, pos_rois, s2i_feat=s2i_feat)
                mask_results.update(
                    self.mask_head.loss_and_target(
                        mask_preds=mask_results['mask_preds'],
                        sampling_results=sampling_results,
                        batch_gt_instances=batch_gt_instances,
                        rcnn_train_cfg=self.train_cfg))
            losses.update(mask_results['loss_mask'])
        return losses

    def predict(self,
                x: Tuple[Tensor],
                rpn_results_list: InstanceList,
                batch_data_samples: SampleList,
                rescale: bool = False,
                semantic_feat: Optional[Tensor] = None) -> InstanceList:
        """StandardRoIHead's predictions on the S2I features.

        Args:
            semantic_feat (Tensor, optional): F_S; required with S2I.
        """
        return self.predict_with_ins_feats(
            x,
            rpn_results_list,
            batch_data_samples,
            rescale=rescale,
            semantic_feat=semantic_feat)[0]

    def predict_bbox(self,
                     x: Tuple[Tensor],
                     batch_img_metas: List[dict],
                     rpn_results_list: InstanceList,
                     rcnn_test_cfg: ConfigType,
                     rescale: bool = False,
                     s2i_feat: Optional[Tensor] = None) -> InstanceList:
        """StandardRoIHead's box prediction on the S2I features.

        Args:
            s2i_feat (Tensor, optional): phi(F_S), (B, C, H/4, W/4) with C
                the RoI features' channels; required with S2I. Defaults to
                None.
        """
        proposals = [res.bboxes for res in rpn_results_list]
        rois = bbox2roi(proposals)
        if rois.shape[0] == 0:
            return empty_instances(
                batch_img_metas,
                rois.device,
                task_type='bbox',
                box_type=self.bbox_head.predict_box_type,
                num_classes=self.bbox_head.num_classes)
        bbox_results = self._bbox_forward(x, rois, s2i_feat)
        num_per_img = tuple(len(p) for p in proposals)
        return self.bbox_head.predict_by_feat(
            rois=rois.split(num_per_img),
            cls_scores=bbox_results['cls_score'].split(num_per_img),
            bbox_preds=bbox_results['bbox_pred'].split(num_per_img),
            batch_img_metas=batch_img_metas,
            rcnn_test_cfg=rcnn_test_cfg,
            rescale=rescale)

    def predict_with_ins_feats(
        self,
        x: Tuple[Tensor],
        rpn_results_list: InstanceList,
        batch_data_samples: SampleList,
        rescale: bool = False,
        semantic_feat: Optional[Tensor] = None
    ) -> Tuple[InstanceList, Tensor, Tensor]:
        """:meth:`predict`, and F_ins at the detected boxes for the
        Instance-To-Semantic path.

        Returns:
            tuple: The ``InstanceList``, the (K, C, m, m) F_ins of the batch's
            detections and its (K, 5) RoIs ``[batch_idx, x1, y1, x2, y2]`` in
            the network input's coordinates.
        """
        if not self.with_mask:
            raise ValueError(f'{self.__class__.__name__}.predict needs a '
                             'mask_head')
        s2i_feat = self._project_semantic(semantic_feat)
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        # Boxes stay in the network input's coordinates for the masks.
        results_list = self.predict_bbox(
            x,
            batch_img_metas,
            rpn_results_list,
            self.test_cfg,
            rescale=False,
            s2i_feat=s2i_feat)

        mask_rois = bbox2roi([res.bboxes for res in results_list])
        if mask_rois.shape[0] == 0:
            roi_size = self.mask_roi_extractor.roi_layers[0].output_size
            ins_feats = mask_rois.new_zeros(
                (0, self.mask_head.feat_channels, *roi_size))
            results_list = empty_instances(
                batch_img_metas,
                mask_rois.device,
                task_type='mask',
                instance_results=results_list,
                mask_thr_binary=self.test_cfg.mask_thr_binary)
            return results_list, ins_feats, mask_rois
        mask_results = self._mask_forward(x, mask_rois, s2i_feat=s2i_feat)
        num_per_img = [len(res) for res in results_list]
        results_list = self.mask_head.predict_by_feat(
            mask_preds=mask_results['mask_preds'].split(num_per_img),
            results_list=results_list,
            batch_img_metas=batch_img_metas,
            rcnn_test_cfg=self.test_cfg,
            rescale=rescale)
        return results_list, mask_results['ins_feats'], mask_rois

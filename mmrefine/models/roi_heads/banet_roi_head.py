"""BANet's RoI head: Semantic-To-Instance (S2I) aggregation, F_ins exposed."""
from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn

from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.utils import empty_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import ConfigType, InstanceList, OptMultiConfig


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
    ``ceil(h / 28) x ceil(w / 28)`` samples per 7 x 7 bin of an h x w RoI:
    on the CPU, S2I then took about a sixth of a shapes prediction.

    The mask head must be a :class:`BANetMaskHead` (it exposes
    ``F_ins``, the output of its three 3x3 convs): :meth:`predict` adds
    ``ins_feats`` (n, C, m, m) and ``ins_bboxes`` (n, 4, the boxes ``F_ins``
    was cropped at, in the network input's coordinates) to every image's
    results, and :meth:`forward_ins_feats` computes ``F_ins`` at given
    boxes (BANet's training inlays sampled ground-truth boxes). Both are
    what the Instance-To-Semantic path inlays.

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
        if self.with_mask and not hasattr(self.mask_head, 'forward_ins_feats'):
            raise ValueError(
                f'{name}: mask_head must expose F_ins (forward_ins_feats), '
                f'e.g. BANetMaskHead; got {type(self.mask_head).__name__}')
        if semantic_channels is not None and (
                not isinstance(semantic_channels, int)
                or semantic_channels <= 0):
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
        return extractor.build_roi_layers(layer_cfg,
                                          [self.semantic_stride])[0]

    def _append_semantic(self, x: Tuple[Tensor],
                         semantic_feat: Optional[Tensor]) -> Tuple[Tensor]:
        """Append ``phi(F_S)`` to the FPN features when S2I is on.

        StandardRoIHead's loss / predict plumbing hands ``x`` down to
        ``_bbox_forward`` and ``_mask_forward`` untouched and its RoI
        extractors read only ``x[:num_inputs]``, so the projected semantic
        map rides at the end of the tuple.
        """
        if not self.with_s2i:
            return x
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
        return tuple(x) + (self.semantic_proj(semantic_feat), )

    def _bbox_forward(self, x: Tuple[Tensor], rois: Tensor) -> dict:
        """StandardRoIHead's, with ``F_S2I`` (Eq. 1) as the RoI features."""
        bbox_feats = self.bbox_roi_extractor(
            x[:self.bbox_roi_extractor.num_inputs], rois)
        if self.with_s2i:
            bbox_feats = bbox_feats + self.bbox_semantic_roi_layer(x[-1], rois)
        if self.with_shared_head:
            bbox_feats = self.shared_head(bbox_feats)
        cls_score, bbox_pred = self.bbox_head(bbox_feats)
        return dict(
            cls_score=cls_score, bbox_pred=bbox_pred, bbox_feats=bbox_feats)

    def _mask_roi_feats(self, x: Tuple[Tensor], rois: Tensor) -> Tensor:
        """F_S2I of the mask branch (K, C, m, m) at ``rois``."""
        mask_feats = self.mask_roi_extractor(
            x[:self.mask_roi_extractor.num_inputs], rois)
        if self.with_s2i:
            roi_layer = (
                self.bbox_semantic_roi_layer
                if self.share_roi_extractor else self.mask_semantic_roi_layer)
            mask_feats = mask_feats + roi_layer(x[-1], rois)
        if self.with_shared_head:
            mask_feats = self.shared_head(mask_feats)
        return mask_feats

    def _mask_forward(self,
                      x: Tuple[Tensor],
                      rois: Optional[Tensor] = None,
                      pos_inds: Optional[Tensor] = None,
                      bbox_feats: Optional[Tensor] = None) -> dict:
        """StandardRoIHead's, also returning ``ins_feats`` (F_ins)."""
        if (rois is None) == (pos_inds is None or bbox_feats is None):
            raise ValueError(
                f'{self.__class__.__name__}._mask_forward needs either rois '
                'or both pos_inds and bbox_feats')
        if rois is not None:
            mask_feats = self._mask_roi_feats(x, rois)
        else:
            mask_feats = bbox_feats[pos_inds.bool()]
        ins_feats = self.mask_head.forward_ins_feats(mask_feats)
        mask_preds = self.mask_head.forward_mask_preds(ins_feats)
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
            Tensor: (K, ins_channels, m, m).
        """
        if not self.with_mask:
            raise ValueError(
                f'{self.__class__.__name__}.forward_ins_feats needs a '
                'mask_head')
        x = self._append_semantic(x, semantic_feat)
        return self.mask_head.forward_ins_feats(self._mask_roi_feats(x, rois))

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
        x = self._append_semantic(x, semantic_feat)
        rois = bbox2roi([res.bboxes for res in rpn_results_list])
        results = ()
        if self.with_bbox:
            bbox_results = self._bbox_forward(x, rois)
            results = results + (bbox_results['cls_score'],
                                 bbox_results['bbox_pred'])
        if self.with_mask:
            mask_rois = rois[:100]
            mask_results = self._mask_forward(x, mask_rois)
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
        return super().loss(
            self._append_semantic(x, semantic_feat), rpn_results_list,
            batch_data_samples)

    def predict(self,
                x: Tuple[Tensor],
                rpn_results_list: InstanceList,
                batch_data_samples: SampleList,
                rescale: bool = False,
                semantic_feat: Optional[Tensor] = None) -> InstanceList:
        """StandardRoIHead's predictions on the S2I features; with a mask
        head each image's results also carry ``ins_feats`` and
        ``ins_bboxes`` (see the class docstring).

        Args:
            semantic_feat (Tensor, optional): F_S; required with S2I.
        """
        return super().predict(
            self._append_semantic(x, semantic_feat), rpn_results_list,
            batch_data_samples, rescale)

    def predict_mask(self,
                     x: Tuple[Tensor],
                     batch_img_metas: List[dict],
                     results_list: InstanceList,
                     rescale: bool = False) -> InstanceList:
        """StandardRoIHead's, keeping F_ins and its boxes for the
        Instance-To-Semantic path."""
        # The boxes are still in the network input's coordinates here: with
        # a mask head, predict_bbox runs without rescaling.
        bboxes = [res.bboxes.clone() for res in results_list]
        mask_rois = bbox2roi(bboxes)
        roi_size = self.mask_roi_extractor.roi_layers[0].output_size
        if mask_rois.shape[0] == 0:
            results_list = empty_instances(
                batch_img_metas,
                mask_rois.device,
                task_type='mask',
                instance_results=results_list,
                mask_thr_binary=self.test_cfg.mask_thr_binary)
            ins_feats = [
                mask_rois.new_zeros((0, self.mask_head.ins_channels,
                                     *roi_size)) for _ in results_list
            ]
        else:
            mask_results = self._mask_forward(x, mask_rois)
            num_mask_rois_per_img = [len(res) for res in results_list]
            mask_preds = mask_results['mask_preds'].split(
                num_mask_rois_per_img, 0)
            ins_feats = mask_results['ins_feats'].split(
                num_mask_rois_per_img, 0)
            results_list = self.mask_head.predict_by_feat(
                mask_preds=mask_preds,
                results_list=results_list,
                batch_img_metas=batch_img_metas,
                rcnn_test_cfg=self.test_cfg,
                rescale=rescale)
        for results, feats, boxes in zip(results_list, ins_feats, bboxes):
            results.ins_feats = feats
            results.ins_bboxes = boxes
        return results_list

    def pop_ins_feats(self, results_list: InstanceList
                      ) -> Tuple[Tensor, Tensor]:
        """Take ``ins_feats`` and ``ins_bboxes`` out of :meth:`predict`'s
        results.

        Returns:
            tuple[Tensor]: (K, C, m, m) F_ins of the batch and its (K, 5)
            RoIs ``[batch_idx, x1, y1, x2, y2]`` in the network input's
            coordinates.
        """
        ins_feats = torch.cat([res.pop('ins_feats') for res in results_list])
        rois = bbox2roi([res.pop('ins_bboxes') for res in results_list])
        return ins_feats, rois

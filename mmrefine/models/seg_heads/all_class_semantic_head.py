"""The base of the semantic heads that predict every class."""
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.seg_heads.base_semantic_head import BaseSemanticHead
from mmdet.structures import SampleList
from torch import Tensor

from .sem_seg_loss import sem_seg_loss


class AllClassSemanticHead(BaseSemanticHead):
    """A semantic head whose logits have one channel per class, things then
    stuff (``num_things_classes + num_stuff_classes`` channels).

    This is the layout of mmdet's ``gt_sem_seg`` (``LoadPanopticAnnotations``:
    things ``0 .. N_th - 1``, stuff ``N_th .. N - 1``, 255 ignored), so the
    targets are used as they are, unlike :class:`PanopticFPNHead`, which
    merges the things into one channel. REFINE's and BANet's semantic heads
    derive from it; a subclass sets ``num_things_classes`` and
    ``num_stuff_classes`` and its ``forward`` returns ``seg_preds``.

    One rule turns logits into predictions (:meth:`predict_by_feat`): up to
    the padded input size, cropped to ``img_shape`` (where the instance masks
    of a ``rescale=False`` prediction live), then, with ``rescale``, resized
    to ``ori_shape``.
    """

    def loss_by_feat(self, seg_preds: Tensor,
                     batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """``loss_seg`` of (B, num_classes, h, w) logits against
        ``gt_sem_seg``, subsampled to the logits' stride (nearest)."""
        return dict(
            loss_seg=sem_seg_loss(seg_preds, batch_data_samples, self.loss_seg,
                                  self.seg_rescale_factor))

    def loss(self, x: Tuple[Tensor],
             batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """:meth:`loss_by_feat` of the logits of :meth:`forward`."""
        return self.loss_by_feat(self(x)['seg_preds'], batch_data_samples)

    def predict_by_feat(self,
                        seg_preds: Tensor,
                        batch_img_metas: List[dict],
                        rescale: bool = False) -> List[Tensor]:
        """(B, num_classes, h, w) logits -> per-image (num_classes, H, W)
        logits: at ``ori_shape`` with ``rescale``, else at ``img_shape``."""
        seg_preds = F.interpolate(
            seg_preds,
            size=batch_img_metas[0]['batch_input_shape'],
            mode='bilinear',
            align_corners=False)
        results = []
        for seg_pred, img_meta in zip(seg_preds, batch_img_metas):
            h, w = img_meta['img_shape'][:2]
            seg_pred = seg_pred[:, :h, :w]
            if rescale:
                seg_pred = F.interpolate(
                    seg_pred[None],
                    size=img_meta['ori_shape'][:2],
                    mode='bilinear',
                    align_corners=False)[0]
            results.append(seg_pred)
        return results

    def predict(self,
                x: Tuple[Tensor],
                batch_img_metas: List[dict],
                rescale: bool = False) -> List[Tensor]:
        """:meth:`predict_by_feat` of the logits of :meth:`forward`."""
        return self.predict_by_feat(
            self(x)['seg_preds'], batch_img_metas, rescale)

    def to_stuff_thing_layout(self, seg_pred: Tensor) -> Tensor:
        """All-class logits (..., N_th + N_st, H, W) -> mmdet's
        (..., N_st + 1, H, W) layout: stuff, then one "thing" channel, the
        maximum of the thing logits, so the argmax is unchanged up to the
        merge. mmdet's fusion heads (``HeuristicFusionHead``) read this
        layout."""
        things = seg_pred[..., :self.num_things_classes, :, :]
        stuff = seg_pred[..., self.num_things_classes:, :, :]
        if self.num_things_classes == 0:
            thing = torch.full_like(stuff[..., :1, :, :], float('-inf'))
        else:
            thing = things.amax(dim=-3, keepdim=True)
        return torch.cat([stuff, thing], dim=-3)

"""REFINE's initial semantic head H_sem."""
from typing import Dict, List, Tuple, Union

import torch.nn.functional as F
from mmdet.models.seg_heads import PanopticFPNHead
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from torch import Tensor, nn

from .sem_seg_loss import sem_seg_loss


@MODELS.register_module()
class REFINESemanticHead(PanopticFPNHead):
    """Semantic FPN head that predicts thing AND stuff classes (REFINE Eq. 1).

    ``P_sem = H_sem(F_sem)`` with ``F_sem`` (B, C, H/4, W/4), the sum of the
    upsampled FPN levels as in PanopticFPN, and ``P_sem`` (B, C_ins + C_sem,
    H/4, W/4). Unlike mmdet's ``PanopticFPNHead`` the things keep their own
    channels (labels ``0..C_ins-1``, stuff after them), because IBPP projects
    per-class predictions into the instance branch.

    ``forward`` returns ``dict(seg_preds=P_sem, seg_feats=F_sem)``; IBPP
    refines ``seg_preds`` in the RoI head, so the detector predicts through
    :meth:`predict_by_feat` on the refined logits.
    """

    def __init__(self, num_things_classes: int = 80,
                 num_stuff_classes: int = 53, **kwargs) -> None:
        super().__init__(num_things_classes=num_things_classes,
                         num_stuff_classes=num_stuff_classes, **kwargs)
        self.num_classes = num_things_classes + num_stuff_classes
        self.conv_logits = nn.Conv2d(self.inner_channels, self.num_classes, 1)

    def loss_by_feat(self, seg_preds: Tensor,
                     batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """``loss_seg`` of (B, C_ins + C_sem, H/4, W/4) logits."""
        return dict(loss_seg=sem_seg_loss(seg_preds, batch_data_samples,
                                          self.loss_seg,
                                          self.seg_rescale_factor))

    def loss(self, x: Tuple[Tensor],
             batch_data_samples: SampleList) -> Dict[str, Tensor]:
        return self.loss_by_feat(self(x)['seg_preds'], batch_data_samples)

    def predict_by_feat(self, seg_preds: Tensor, batch_img_metas: List[dict],
                        rescale: bool = False) -> List[Tensor]:
        """(B, C, H/4, W/4) logits -> per-image (C, H, W) logits, at the
        original size when ``rescale`` (mmdet's ``BaseSemanticHead.predict``
        without the forward)."""
        seg_preds = F.interpolate(
            seg_preds, size=batch_img_metas[0]['batch_input_shape'],
            mode='bilinear', align_corners=False)
        results = []
        for seg_pred, meta in zip(seg_preds, batch_img_metas):
            if rescale:
                h, w = meta['img_shape'][:2]
                seg_pred = F.interpolate(
                    seg_pred[None, :, :h, :w], size=meta['ori_shape'][:2],
                    mode='bilinear', align_corners=False)[0]
            results.append(seg_pred)
        return results

    def predict(self, x: Union[Tensor, Tuple[Tensor]],
                batch_img_metas: List[dict],
                rescale: bool = False) -> List[Tensor]:
        return self.predict_by_feat(self(x)['seg_preds'], batch_img_metas,
                                    rescale)

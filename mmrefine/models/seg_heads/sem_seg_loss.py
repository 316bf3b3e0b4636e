"""The semantic segmentation loss shared by the all-class semantic heads
(REFINE's and BANet's)."""
from typing import Callable

import torch
import torch.nn.functional as F
from mmdet.models.utils import interpolate_as
from mmdet.structures import SampleList
from torch import Tensor


def sem_seg_loss(seg_preds: Tensor, batch_data_samples: SampleList,
                 loss_fn: Callable, seg_rescale_factor: float) -> Tensor:
    """Cross-entropy of all-class logits against ``gt_sem_seg``.

    As mmdet's ``PanopticFPNHead.loss`` but without merging the thing classes:
    ``gt_sem_seg`` already holds things ``0..C_ins-1``, stuff
    ``C_ins..C_ins+C_sem-1`` and 255 for void, which is the label space of the
    all-class heads.

    Args:
        seg_preds: (B, C, h, w) logits, ``C = C_ins + C_sem``.
        batch_data_samples: carry ``gt_sem_seg.sem_seg`` (1, H, W) at the
            padded input size.
        loss_fn: a built mmdet loss taking (N, C) logits and (N,) labels.
        seg_rescale_factor: ``h / H``; the ground truth is resized (nearest)
            to the prediction, as mmdet does.
    """
    gt = torch.stack([s.gt_sem_seg.sem_seg for s in batch_data_samples])
    if seg_rescale_factor != 1.0:
        gt = F.interpolate(
            gt.float(), scale_factor=seg_rescale_factor, mode='nearest')
    gt = gt.squeeze(1).long()
    if seg_preds.shape[-2:] != gt.shape[-2:]:
        seg_preds = interpolate_as(seg_preds, gt)
    num_classes = seg_preds.shape[1]
    return loss_fn(
        seg_preds.permute(0, 2, 3, 1).reshape(-1, num_classes), gt.reshape(-1))

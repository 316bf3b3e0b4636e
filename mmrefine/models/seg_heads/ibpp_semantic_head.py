"""IBPP's per-iteration semantic head H~sem (REFINE Eq. 6)."""
from typing import Dict

import torch
from mmcv.cnn import ConvModule
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor, nn

from .sem_seg_loss import sem_seg_loss


@MODELS.register_module()
class IBPPSemanticHead(BaseModule):
    """H~sem of one IBPP iteration (REFINE Eq. 6)::

        P_sem^(t) = H~sem([P_ins^(t); F_sem])

    ``ins_canvas`` ``P_ins^(t)`` (B, C_ins, H/4, W/4) and ``seg_feats``
    ``F_sem`` (B, in_channels, H/4, W/4) -> (B, C_ins + C_sem, H/4, W/4)
    logits, things first.

    Args:
        num_things_classes (int): C_ins, the channels of the RoIFlatten
            canvas. Defaults to 80.
        num_stuff_classes (int): C_sem. Defaults to 53.
        in_channels (int): Channels of F_sem. Defaults to 256.
        conv_out_channels (int): Channels of the hidden 3x3 convs.
            Defaults to 256.
        num_convs (int): Hidden 3x3 convs (conv, norm, ReLU). Defaults to 2.
        norm_cfg (dict, optional): Norm of the hidden convs (REFINE uses
            GroupNorm). Defaults to GN, 32 groups.
        seg_rescale_factor (float): Size of F_sem relative to the input
            image. Defaults to 1/4.
        loss_seg (dict): Loss of the refined logits against ``gt_sem_seg``.
            Defaults to cross entropy with HTC's semantic weight 0.2.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 num_things_classes: int = 80,
                 num_stuff_classes: int = 53,
                 in_channels: int = 256,
                 conv_out_channels: int = 256,
                 num_convs: int = 2,
                 norm_cfg: OptConfigType = dict(
                     type='GN', num_groups=32, requires_grad=True),
                 seg_rescale_factor: float = 1 / 4.,
                 loss_seg: ConfigType = dict(
                     type='CrossEntropyLoss',
                     ignore_index=255,
                     loss_weight=0.2),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_things_classes = num_things_classes
        self.num_classes = num_things_classes + num_stuff_classes
        self.seg_rescale_factor = seg_rescale_factor
        self.convs = nn.Sequential(*[
            ConvModule(
                num_things_classes +
                in_channels if i == 0 else conv_out_channels,
                conv_out_channels,
                3,
                padding=1,
                norm_cfg=norm_cfg) for i in range(num_convs)
        ])
        self.conv_logits = nn.Conv2d(conv_out_channels, self.num_classes, 1)
        self.loss_seg = MODELS.build(loss_seg)

    def init_weights(self) -> None:
        super().init_weights()
        nn.init.normal_(self.conv_logits.weight, 0, 0.01)
        nn.init.zeros_(self.conv_logits.bias)

    def forward(self, ins_canvas: Tensor, seg_feats: Tensor) -> Tensor:
        if ins_canvas.shape[1] != self.num_things_classes:
            raise ValueError(
                f'IBPPSemanticHead: ins_canvas has {ins_canvas.shape[1]} '
                f'channels, expected num_things_classes='
                f'{self.num_things_classes}')
        return self.conv_logits(
            self.convs(torch.cat([ins_canvas, seg_feats], dim=1)))

    def loss_by_feat(self, seg_preds: Tensor,
                     batch_data_samples: SampleList) -> Dict[str, Tensor]:
        return dict(
            loss_seg=sem_seg_loss(seg_preds, batch_data_samples, self.loss_seg,
                                  self.seg_rescale_factor))

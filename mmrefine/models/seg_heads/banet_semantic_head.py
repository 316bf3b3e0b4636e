"""BANet's semantic head: F_S, and the Instance-To-Semantic (I2S) path."""
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import ModuleList
from torch import Tensor, nn

from mmrefine.ops import RoIInlay
from .all_class_semantic_head import AllClassSemanticHead
from .sem_seg_loss import sem_seg_loss


@MODELS.register_module()
class BANetSemanticHead(AllClassSemanticHead):
    """Semantic head of BANet (Chen et al., CVPR 2020, Sec. 3.2, Fig. 4).

    Predicts all classes, things then stuff (:class:`AllClassSemanticHead`).

    Semantic features (UPSNet's design, which BANet follows): on each FPN
    level ``P_l`` (``start_level <= l < end_level``) ``num_convs`` stacked
    3x3 convs (deformable with ``conv_cfg=dict(type='DCN')``), upsampled
    bilinearly to the first level's size (stride 4) and concatenated::

        F_S   = [up(conv3x3^3(P_2)); ...; up(conv3x3^3(P_5))]  (B, L*C, h, w)
        L_seg = CE(conv1x1(F_S), gt)

    Instance-To-Semantic (with ``sim``): the mask head's instance features
    ``F_ins`` (K, C_ins, m, m) are put back where they were cropped by
    RoIInlay, then fused with ``F_S`` by SIM and, with ``ocm``, enriched by
    the object layout by OCM::

        F_inlay = RoIInlay(F_ins)                          (B, C_ins, H/4, W/4)
        F_I2S   = OCM(F_inlay, SIM(F_inlay, F_S))   (or SIM(F_inlay, F_S))
        L_I2S   = CE(conv1x1(F_I2S), gt)

    The total semantic loss is ``lambda_s * L_seg + lambda_i * L_I2S``, the
    ``loss_weight`` of ``loss_seg`` and ``loss_i2s`` (the paper: 0.2 / 0.3,
    0.1 / 0.2 with deformable convs, lambda_s = 0.5 without I2S). The
    prediction is the I2S logits when I2S is on, else the ``F_S`` logits.

    Because ``F_S`` is needed by the RoI head (S2I) before ``F_ins`` exists,
    the detector calls the head in two steps: :meth:`forward` (``F_S`` and
    its logits), then :meth:`forward_i2s`; :meth:`loss_by_feat` and
    :meth:`predict_by_feat` finish. The inherited :meth:`loss` and
    :meth:`predict` use the ``F_S`` logits alone: :meth:`loss` refuses when
    I2S is on, :meth:`predict` gives the ``F_S`` prediction.

    Args:
        num_things_classes (int): Number of thing classes. Defaults to 80.
        num_stuff_classes (int): Number of stuff classes. Defaults to 53.
        in_channels (int): Channels of the FPN features. Defaults to 256.
        inner_channels (int): Channels of each level's subnet; ``F_S`` has
            ``(end_level - start_level) * inner_channels``. Defaults to 128.
        start_level (int): First FPN level used. Defaults to 0.
        end_level (int): FPN level after the last one used. Defaults to 4.
        num_convs (int): Stacked 3x3 convs per level. Defaults to 3.
        ins_channels (int): Channels of ``F_ins``. Defaults to 256.
        sim (dict, optional): Config of the SIM layer
            (:class:`StructureInjectionModule`) without its input channels,
            which the head fills in; None disables I2S. Defaults to None.
        ocm (dict, optional): Config of the OCM layer
            (:class:`ObjectContextModule`), channels filled in likewise;
            needs ``sim``. Defaults to None.
        inlay_aligned (bool): RoIInlay's ``aligned`` convention; match the
            mask RoI extractor's RoIAlign. Defaults to True.
        conv_cfg (dict, optional): Conv config of the per-level subnets,
            e.g. ``dict(type='DCN', deform_groups=1)``. Defaults to None.
        norm_cfg (dict, optional): Norm config. Defaults to GN, 32 groups.
        loss_seg (dict): Loss on the ``F_S`` logits (lambda_s).
        loss_i2s (dict): Loss on the I2S logits (lambda_i).
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 num_things_classes: int = 80,
                 num_stuff_classes: int = 53,
                 in_channels: int = 256,
                 inner_channels: int = 128,
                 start_level: int = 0,
                 end_level: int = 4,
                 num_convs: int = 3,
                 ins_channels: int = 256,
                 sim: OptConfigType = None,
                 ocm: OptConfigType = None,
                 inlay_aligned: bool = True,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = dict(
                     type='GN', num_groups=32, requires_grad=True),
                 loss_seg: ConfigType = dict(
                     type='CrossEntropyLoss',
                     ignore_index=255,
                     loss_weight=0.2),
                 loss_i2s: ConfigType = dict(
                     type='CrossEntropyLoss',
                     ignore_index=255,
                     loss_weight=0.3),
                 init_cfg: OptMultiConfig = None) -> None:
        name = self.__class__.__name__
        for arg, value, low in (('num_things_classes', num_things_classes,
                                 0), ('num_stuff_classes', num_stuff_classes,
                                      0), ('in_channels', in_channels, 1),
                                ('inner_channels', inner_channels,
                                 1), ('start_level', start_level,
                                      0), ('num_convs', num_convs, 1),
                                ('ins_channels', ins_channels, 1)):
            if not isinstance(value, int) or value < low:
                raise ValueError(f'{name}: {arg} must be an int >= {low}, '
                                 f'got {value!r}')
        if num_things_classes + num_stuff_classes == 0:
            raise ValueError(f'{name}: there must be at least one class')
        if not isinstance(end_level, int) or end_level <= start_level:
            raise ValueError(f'{name}: end_level must be an int > start_level'
                             f' = {start_level}, got {end_level!r}')
        if ocm is not None and sim is None:
            raise ValueError(
                f'{name}: ocm={ocm!r} needs sim: OCM enriches the output of '
                'SIM (BANet Fig. 4)')
        seg_rescale_factor = 1 / 2**(start_level + 2)
        super().__init__(
            num_classes=num_things_classes + num_stuff_classes,
            seg_rescale_factor=seg_rescale_factor,
            loss_seg=loss_seg,
            init_cfg=init_cfg)
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes
        self.start_level = start_level
        self.end_level = end_level
        self.inner_channels = inner_channels
        self.ins_channels = ins_channels
        self.feat_channels = (end_level - start_level) * inner_channels

        self.level_convs = ModuleList()
        for _ in range(start_level, end_level):
            self.level_convs.append(
                nn.Sequential(*[
                    ConvModule(
                        in_channels if i == 0 else inner_channels,
                        inner_channels,
                        3,
                        padding=1,
                        conv_cfg=conv_cfg,
                        norm_cfg=norm_cfg) for i in range(num_convs)
                ]))
        self.conv_logits = nn.Conv2d(self.feat_channels, self.num_classes, 1)

        self.with_i2s = sim is not None
        if self.with_i2s:
            self.roi_inlay = RoIInlay(seg_rescale_factor, inlay_aligned)
            self.sim = MODELS.build(
                dict(
                    sim,
                    instance_channels=ins_channels,
                    semantic_channels=self.feat_channels))
            i2s_channels = self.sim.out_channels
            self.ocm = None
            if ocm is not None:
                self.ocm = MODELS.build(
                    dict(
                        ocm,
                        instance_channels=ins_channels,
                        in_channels=i2s_channels))
                i2s_channels = self.ocm.out_channels
            self.conv_logits_i2s = nn.Conv2d(i2s_channels, self.num_classes, 1)
            self.loss_i2s = MODELS.build(loss_i2s)

    def init_weights(self) -> None:
        """Initialize weights; the classifiers as PanopticFPNHead's."""
        super().init_weights()
        classifiers = [self.conv_logits]
        if self.with_i2s:
            classifiers.append(self.conv_logits_i2s)
        for conv in classifiers:
            nn.init.normal_(conv.weight.data, 0, 0.01)
            conv.bias.data.zero_()

    def forward(self, x: Tuple[Tensor]) -> Dict[str, Tensor]:
        """FPN features -> ``seg_feats`` F_S (B, feat_channels, H/4, W/4) and
        ``seg_preds``, its (B, num_classes, H/4, W/4) logits."""
        if len(x) < self.end_level:
            raise ValueError(
                f'{self.__class__.__name__}: needs FPN levels up to '
                f'end_level = {self.end_level}, got {len(x)} levels')
        size = x[self.start_level].shape[-2:]
        feats = []
        for i, convs in enumerate(self.level_convs):
            feat = convs(x[self.start_level + i])
            if feat.shape[-2:] != size:
                feat = F.interpolate(
                    feat, size=size, mode='bilinear', align_corners=False)
            feats.append(feat)
        seg_feats = torch.cat(feats, dim=1)
        return dict(seg_feats=seg_feats, seg_preds=self.conv_logits(seg_feats))

    def forward_i2s(self, seg_feats: Tensor, ins_feats: Tensor,
                    rois: Tensor) -> Tensor:
        """Instance-To-Semantic logits.

        Args:
            seg_feats (Tensor): F_S, (B, feat_channels, H/4, W/4).
            ins_feats (Tensor): F_ins, (K, ins_channels, m, m); K may be 0
                (no instance: F_inlay is zero).
            rois (Tensor): (K, 5) ``[batch_idx, x1, y1, x2, y2]`` in the
                network input's coordinates.

        Returns:
            Tensor: (B, num_classes, H/4, W/4) logits from F_I2S.
        """
        if not self.with_i2s:
            raise ValueError(f'{self.__class__.__name__}.forward_i2s: I2S is '
                             'off (sim=None)')
        if ins_feats.dim() != 4 or ins_feats.size(1) != self.ins_channels:
            raise ValueError(
                f'{self.__class__.__name__}.forward_i2s: ins_feats must be '
                f'(K, {self.ins_channels}, m, m), got '
                f'{tuple(ins_feats.shape)}')
        num_imgs, _, height, width = seg_feats.shape
        inlay_feats = self.roi_inlay(ins_feats, rois.to(ins_feats.dtype),
                                     (num_imgs, height, width))
        i2s_feats = self.sim(inlay_feats, seg_feats)
        if self.ocm is not None:
            i2s_feats = self.ocm(inlay_feats, i2s_feats)
        return self.conv_logits_i2s(i2s_feats)

    def loss_by_feat(self,
                     seg_preds: Tensor,
                     batch_data_samples: SampleList,
                     i2s_preds: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """``loss_seg`` on the F_S logits and, with I2S, ``loss_i2s`` on the
        I2S logits (:meth:`forward_i2s`), which are then required."""
        if self.with_i2s and i2s_preds is None:
            raise ValueError(f'{self.__class__.__name__}.loss_by_feat: I2S '
                             'is on, so i2s_preds are required')
        losses = super().loss_by_feat(seg_preds, batch_data_samples)
        if self.with_i2s:
            losses['loss_i2s'] = sem_seg_loss(i2s_preds, batch_data_samples,
                                              self.loss_i2s,
                                              self.seg_rescale_factor)
        return losses

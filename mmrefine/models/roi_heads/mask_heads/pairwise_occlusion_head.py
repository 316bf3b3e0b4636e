"""The pairwise occlusion head of Soft Occlusion Estimation (REFINE)."""
import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor, nn


@MODELS.register_module()
class PairwiseOcclusionHead(BaseModule):
    """O(i, j): the probability that instance i lies on top of instance j.

    REFINE's "strong baseline" occlusion estimator, which uses three priors:
    shape (both sigmoid mask predictions, max-pooled from 28 x 28 to
    14 x 14), appearance (both instances' mask features) and class (both
    labels, one-hot, joined before the first fc); ``use_feats`` and
    ``use_labels`` switch the appearance and class priors off for REFINE's
    Table 6 ablation. The layout follows OCFusion's pairwise head:
    ``num_convs`` 3x3 convs, the last with stride 2, then two fcs; unlike
    OCFusion the convs are group-normalised by default (REFINE's models use
    GN throughout; ``configs/refine/README.md`` says why). SOE's confidence
    prior ``O~(i, j) = s_i exp(-(O(i, j) - 1)^2 / sigma)`` is applied at
    fusion (``REFINEFusionHead``), not here.

    Shapes: ``feats`` (K, in_channels, 14, 14), ``masks`` (K, 1, 28, 28)
    logits, ``labels`` (K,) and ``pairs`` (P, 2) indices into the K
    instances -> (P,) logits.

    Args:
        in_channels (int): Channels of the mask features. Defaults to 256.
        num_classes (int): C_ins. Defaults to 80.
        conv_out_channels (int): Channels of the convs (OCFusion: 512).
            Defaults to 512.
        num_convs (int): 3x3 convs; the last has stride 2 (OCFusion: 4).
            Defaults to 4.
        roi_feat_size (int): Side of ``feats``. Defaults to 14.
        fc_out_channels (int): Hidden fc width (OCFusion: 1024). Defaults
            to 1024.
        norm_cfg (dict, optional): Norm of the convs (OCFusion: None).
            Defaults to GN, 32 groups.
        use_feats (bool): Feed the mask features (appearance prior).
            Defaults to True.
        use_labels (bool): Feed the class labels (class prior). Defaults to
            True.
        loss_occ (dict): Binary loss on the logit of O(i, j). Defaults to
            sigmoid cross entropy.
        init_cfg (dict or list[dict]): Initialization config. Defaults to
            Kaiming for the convs, Xavier for the fcs.
    """

    def __init__(
        self,
        in_channels: int = 256,
        num_classes: int = 80,
        conv_out_channels: int = 512,
        num_convs: int = 4,
        roi_feat_size: int = 14,
        fc_out_channels: int = 1024,
        norm_cfg: OptConfigType = dict(
            type='GN', num_groups=32, requires_grad=True),
        use_feats: bool = True,
        use_labels: bool = True,
        loss_occ: ConfigType = dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        init_cfg: OptMultiConfig = [
            dict(
                type='Kaiming',
                layer='Conv2d',
                distribution='uniform',
                nonlinearity='relu'),
            # as mmdet's box heads: Kaiming's fan_out mode would
            # scale the 6272-input fc's output up 7x
            dict(type='Xavier', layer='Linear', distribution='uniform')
        ]
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.use_feats = use_feats
        self.use_labels = use_labels
        pair_channels = 2 * (in_channels + 1 if use_feats else 1)
        self.convs = nn.Sequential(*[
            ConvModule(
                pair_channels if i == 0 else conv_out_channels,
                conv_out_channels,
                3,
                padding=1,
                stride=2 if i == num_convs - 1 else 1,
                norm_cfg=norm_cfg) for i in range(num_convs)
        ])
        flat = conv_out_channels * ((roi_feat_size + 1) // 2)**2
        self.fc = nn.Linear(flat + 2 * num_classes * use_labels,
                            fc_out_channels)
        self.fc_logit = nn.Linear(fc_out_channels, 1)
        self.loss_occ = MODELS.build(loss_occ)

    def init_weights(self) -> None:
        super().init_weights()
        # start at O = 0.5 rather than at a saturated random logit
        nn.init.normal_(self.fc_logit.weight, 0, 0.01)
        nn.init.zeros_(self.fc_logit.bias)

    def forward(self, feats: Tensor, masks: Tensor, labels: Tensor,
                pairs: Tensor) -> Tensor:
        """Logits of O(i, j) for the P pairs ``(i, j)`` of K instances.

        The first conv is linear in its input, so on the pair's
        concatenation ``[x_i; x_j]`` it equals ``W_a * x_i + W_b * x_j``: both
        terms are computed once per instance and gathered per pair, instead
        of convolving every pair (a crowded image has far more overlapping
        pairs than instances).
        """
        x = F.adaptive_max_pool2d(masks.sigmoid(), feats.shape[-2:])
        if self.use_feats:
            x = torch.cat([feats, x], dim=1)
        first = self.convs[0]
        conv = first.conv
        terms = [
            F.conv2d(x, w, None, conv.stride, conv.padding, conv.dilation)
            for w in conv.weight.split(x.shape[1], dim=1)
        ]
        i, j = pairs.unbind(1)
        y = terms[0][i] + terms[1][j]
        if conv.bias is not None:
            y = y + conv.bias[:, None, None]
        if first.with_norm:
            y = first.norm(y)
        if first.with_activation:
            y = first.activate(y)
        y = self.convs[1:](y).flatten(1)
        if self.use_labels:
            y = torch.cat([
                y, *(F.one_hot(labels[k].long(), self.num_classes).to(y.dtype)
                     for k in (i, j))
            ],
                          dim=1)
        return self.fc_logit(F.relu(self.fc(y))).squeeze(1)

    def loss(self, logits: Tensor, targets: Tensor) -> Tensor:
        """BCE of (P,) logits against (P,) float targets in {0, 1}."""
        if logits.numel() == 0:
            return logits.sum()
        return self.loss_occ(logits[:, None], targets[:, None].float())

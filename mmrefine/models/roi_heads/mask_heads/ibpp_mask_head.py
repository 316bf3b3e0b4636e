"""IBPP's per-iteration mask head H~ins (REFINE Eq. 4)."""
from typing import Tuple

from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmdet.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class IBPPMaskHead(FCNMaskHead):
    """mmdet's FCN mask head that also returns its last conv features.

    ``m_ins^(t) = H~ins([(f_ins + f_sem); p_sem^(t-1)])``: the input is the
    RoI feature (C channels) concatenated with the RoIAligned semantic
    prediction (C_ins + C_sem channels), so ``in_channels`` is their sum.
    The features after the convs (K, conv_out_channels, 14, 14) are the
    appearance cue of Soft Occlusion Estimation.
    """

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """(K, in_channels, 14, 14) -> mask logits (K, C_ins, 28, 28) and
        features (K, conv_out_channels, 14, 14)."""
        for conv in self.convs:
            x = conv(x)
        feats = x
        if self.upsample is not None:
            x = self.upsample(x)
            if self.upsample_method == 'deconv':
                x = self.relu(x)
        return self.conv_logits(x), feats

"""IBPP's per-iteration mask head H~ins (REFINE Eq. 4)."""
from mmdet.registry import MODELS

from .feature_fcn_mask_head import FeatureFCNMaskHead


@MODELS.register_module()
class IBPPMaskHead(FeatureFCNMaskHead):
    """H~ins of one IBPP iteration (REFINE Eq. 4).

    ``m_ins^(t) = H~ins([(f_ins + f_sem); p_sem^(t-1)])``: the input is the
    RoI feature (C channels) concatenated with the RoIAligned semantic
    prediction (C_ins + C_sem channels), so ``in_channels`` is their sum.
    The features after the convs (K, conv_out_channels, 14, 14),
    :meth:`forward_feats`, are the appearance cue of Soft Occlusion
    Estimation.
    """

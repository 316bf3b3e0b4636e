"""REFINE's initial semantic head H_sem."""
from mmdet.models.seg_heads import PanopticFPNHead
from mmdet.registry import MODELS
from torch import nn

from .all_class_semantic_head import AllClassSemanticHead


@MODELS.register_module()
class REFINESemanticHead(AllClassSemanticHead, PanopticFPNHead):
    """Semantic FPN head that predicts thing AND stuff classes (REFINE Eq. 1).

    ``P_sem = H_sem(F_sem)`` with ``F_sem`` (B, C, H/4, W/4), the sum of the
    upsampled FPN levels as in PanopticFPN, and ``P_sem`` (B, C_ins + C_sem,
    H/4, W/4). Unlike mmdet's ``PanopticFPNHead`` the things keep their own
    channels (:class:`AllClassSemanticHead`), because IBPP projects
    per-class predictions into the instance branch.

    ``forward`` returns ``dict(seg_preds=P_sem, seg_feats=F_sem)``; IBPP
    refines ``seg_preds`` in the RoI head, so the detector predicts through
    :meth:`predict_by_feat` on the refined logits.

    Args:
        num_things_classes (int): C_ins. Defaults to 80.
        num_stuff_classes (int): C_sem. Defaults to 53.
        **kwargs: :class:`PanopticFPNHead`'s other arguments.
    """

    def __init__(self,
                 num_things_classes: int = 80,
                 num_stuff_classes: int = 53,
                 **kwargs) -> None:
        super().__init__(
            num_things_classes=num_things_classes,
            num_stuff_classes=num_stuff_classes,
            **kwargs)
        self.num_classes = num_things_classes + num_stuff_classes
        self.conv_logits = nn.Conv2d(self.inner_channels, self.num_classes, 1)

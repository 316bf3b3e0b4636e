"""BANet's mask head."""
from mmdet.registry import MODELS

from .feature_fcn_mask_head import FeatureFCNMaskHead


@MODELS.register_module()
class BANetMaskHead(FeatureFCNMaskHead):
    """Mask head of BANet (Chen et al., CVPR 2020, Sec. 3.1).

    Three 3x3 convs turn the RoI features ``F_S2I`` into ``F_ins``
    (:meth:`forward_feats`), which the Instance-To-Semantic path inlays;
    a deconv and a 1x1 conv predict the masks (:meth:`forward_logits`)::

        F_ins = conv3x3^3(F_S2I),    masks = conv1x1(relu(deconv(F_ins)))

    Args:
        num_convs (int): The paper's 3 instead of Mask R-CNN's 4.
            Defaults to 3.
        **kwargs: :class:`FCNMaskHead`'s other arguments.
    """

    def __init__(self, num_convs: int = 3, **kwargs) -> None:
        super().__init__(num_convs=num_convs, **kwargs)

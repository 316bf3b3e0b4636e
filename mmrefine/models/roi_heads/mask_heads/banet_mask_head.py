"""BANet's mask head: mmdet's FCN mask head that exposes F_ins."""
from torch import Tensor

from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmdet.registry import MODELS


@MODELS.register_module()
class BANetMaskHead(FCNMaskHead):
    """Mask head of BANet (Chen et al., CVPR 2020, Sec. 3.1).

    mmdet's :class:`FCNMaskHead` split in two so that the instance features
    reach the Instance-To-Semantic path: three 3x3 convs turn the RoI
    features ``F_S2I`` (K, C_in, m, m) into ``F_ins`` (K, C, m, m), then a
    deconv and a 1x1 conv predict the (K, num_classes, 2m, 2m) mask logits::

        F_ins = conv3x3^3(F_S2I),    masks = conv1x1(relu(deconv(F_ins)))

    ``forward`` is the composition, so the head is a drop-in
    :class:`FCNMaskHead` (same arguments and state dict; ``num_convs``
    defaults to the paper's 3 instead of Mask R-CNN's 4).
    """

    def __init__(self, num_convs: int = 3, **kwargs) -> None:
        super().__init__(num_convs=num_convs, **kwargs)

    @property
    def ins_channels(self) -> int:
        """int: channels of ``F_ins``."""
        return self.conv_out_channels if self.num_convs > 0 else \
            self.in_channels

    def forward_ins_feats(self, x: Tensor) -> Tensor:
        """(K, C_in, m, m) RoI features -> (K, ins_channels, m, m) F_ins."""
        for conv in self.convs:
            x = conv(x)
        return x

    def forward_mask_preds(self, ins_feats: Tensor) -> Tensor:
        """(K, ins_channels, m, m) F_ins -> (K, num_classes or 1, 2m, 2m)
        mask logits (m, m with a non-upsampling ``upsample_cfg``)."""
        x = ins_feats
        if self.upsample is not None:
            x = self.upsample(x)
            if self.upsample_method == 'deconv':
                x = self.relu(x)
        return self.conv_logits(x)

    def forward(self, x: Tensor) -> Tensor:
        """(K, C_in, m, m) RoI features -> mask logits."""
        return self.forward_mask_preds(self.forward_ins_feats(x))

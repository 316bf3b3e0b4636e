"""mmdet's FCN mask head with its features exposed."""
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmdet.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class FeatureFCNMaskHead(FCNMaskHead):
    """mmdet's :class:`FCNMaskHead` split in two so that its features reach
    other heads (BANet's Instance-To-Semantic path, REFINE's pairwise
    occlusion head): the ``num_convs`` 3x3 convs turn RoI features
    (K, C_in, m, m) into features (K, C, m, m), then the upsampling and a
    1x1 conv predict the mask logits::

        feats = conv3x3^num_convs(x),    logits = conv1x1(relu(up(feats)))

    :meth:`forward` is the composition, so the head is a drop-in
    :class:`FCNMaskHead` (same arguments and state dict).
    """

    @property
    def feat_channels(self) -> int:
        """int: Channels of the features."""
        return self.conv_out_channels if self.num_convs > 0 else \
            self.in_channels

    def forward_feats(self, x: Tensor) -> Tensor:
        """(K, C_in, m, m) RoI features -> (K, feat_channels, m, m)."""
        for conv in self.convs:
            x = conv(x)
        return x

    def forward_logits(self, feats: Tensor) -> Tensor:
        """(K, feat_channels, m, m) features -> (K, num_classes or 1, 2m, 2m)
        mask logits (m, m with a non-upsampling ``upsample_cfg``)."""
        x = feats
        if self.upsample is not None:
            x = self.upsample(x)
            if self.upsample_method == 'deconv':
                x = self.relu(x)
        return self.conv_logits(x)

    def forward(self, x: Tensor) -> Tensor:
        """(K, C_in, m, m) RoI features -> mask logits."""
        return self.forward_logits(self.forward_feats(x))

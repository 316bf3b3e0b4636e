"""IBPP's mask head H~ins: mmdet's FCNMaskHead whose features the pairwise
occlusion head reads."""
import torch
from mmdet.models.roi_heads.mask_heads import FCNMaskHead

from mmrefine.models import IBPPMaskHead


def test_is_fcn_mask_head_with_its_features_exposed():
    torch.manual_seed(0)
    cfg = dict(num_convs=2, in_channels=12, conv_out_channels=8, num_classes=3)
    head = IBPPMaskHead(**cfg)
    head.init_weights()
    stock = FCNMaskHead(**cfg)
    stock.load_state_dict(head.state_dict())  # strict: same parameters
    x = torch.randn(4, 12, 14, 14)
    feats = head.forward_feats(x)
    assert feats.shape == (4, 8, 14, 14) and head.feat_channels == 8
    logits = head.forward_logits(feats)
    assert logits.shape == (4, 3, 28, 28)
    torch.testing.assert_close(logits, stock(x))
    torch.testing.assert_close(head(x), logits)
    assert head.forward_feats(torch.zeros(0, 12, 14, 14)).shape == \
        (0, 8, 14, 14)

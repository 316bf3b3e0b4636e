"""BANet's mask head: F_ins after the three convs, and the same mask logits
and state dict as mmdet's FCNMaskHead."""
import torch
from mmdet.models.roi_heads.mask_heads import FCNMaskHead

from mmrefine.models import BANetMaskHead


def test_ins_feats_and_fcn_equivalence():
    torch.manual_seed(0)
    head = BANetMaskHead(in_channels=8, conv_out_channels=16, num_classes=4)
    head.init_weights()
    assert head.num_convs == 3 and head.feat_channels == 16
    x = torch.randn(5, 8, 14, 14)
    ins_feats = head.forward_feats(x)
    assert ins_feats.shape == (5, 16, 14, 14)
    preds = head(x)
    assert preds.shape == (5, 4, 28, 28)
    torch.testing.assert_close(preds, head.forward_logits(ins_feats))
    stock = FCNMaskHead(
        num_convs=3, in_channels=8, conv_out_channels=16, num_classes=4)
    stock.load_state_dict(head.state_dict())  # strict: same parameters
    torch.testing.assert_close(stock(x), preds)
    # F_ins is what the convs give: ReLU output, and it moves with x
    assert (ins_feats >= 0).all()
    assert not torch.equal(head.forward_feats(x + 1), ins_feats)


def test_no_rois():
    head = BANetMaskHead(in_channels=8, conv_out_channels=16, num_classes=4)
    assert head.forward_feats(torch.zeros(0, 8, 14, 14)).shape == \
        (0, 16, 14, 14)

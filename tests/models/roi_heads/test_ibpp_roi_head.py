"""IBPPRoIHead pieces that the detector tests do not pin down: SOE's pair
labels from the panoptic ground truth, and the occlusion matrix."""
import os.path as osp
from types import SimpleNamespace

import torch
from mmdet.registry import MODELS
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.structures import InstanceData

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO, 'configs', 'refine', 'refine_r18_fpn_shapes.py')


def roi_head():
    cfg = Config.fromfile(CONFIG).model
    head_cfg = cfg.roi_head
    head_cfg.update(train_cfg=cfg.train_cfg.rcnn, test_cfg=cfg.test_cfg.rcnn)
    torch.manual_seed(0)
    head = MODELS.build(head_cfg)
    head.init_weights()
    return head


def test_occlusion_pairs_are_labelled_by_the_owner_of_the_overlap(monkeypatch):
    head = roi_head()
    # two full-box masks on a 64 x 64 image overlapping in [20, 40)^2 and a
    # third RoI on the same object as the first (never paired with it)
    boxes = torch.tensor([[0., 0., 40., 40.], [20., 20., 60., 60.],
                          [1., 1., 40., 40.]])
    visible = torch.zeros(2, 64, 64, dtype=torch.uint8)
    visible[0, 0:40, 0:40] = 1  # instance 0 owns the overlap: it is on top
    visible[1, 20:60, 20:60] = 1
    visible[1, 20:40, 20:40] = 0
    res = SimpleNamespace(
        pos_priors=boxes, pos_assigned_gt_inds=torch.tensor([0, 1, 0]))
    gt = InstanceData(masks=BitmapMasks(visible.numpy(), 64, 64))
    seen = {}
    forward = head.occlusion_head.forward

    def record_pairs(feats, masks, labels, pairs):
        seen['pairs'] = [tuple(p) for p in pairs.tolist()]
        return forward(feats, masks, labels, pairs)

    def record_targets(logits, targets):
        seen['targets'] = targets.tolist()
        return logits.sum() * 0

    monkeypatch.setattr(head.occlusion_head, 'forward', record_pairs)
    monkeypatch.setattr(head.occlusion_head, 'loss', record_targets)
    feats = torch.zeros(3, 64, 14, 14)
    masks = torch.full((3, 1, 28, 28), 10.)  # confident full masks
    labels = torch.tensor([1, 1, 1])
    head._occlusion_loss([res], [gt], feats, masks, labels, (16, 16))
    # RoIs 0 and 2 are on the top instance, 1 on the bottom one; 0 and 2
    # belong to the same instance and make no pair
    labelled = dict(zip(seen['pairs'], seen['targets']))
    assert labelled == {(0, 1): 1., (1, 0): 0., (2, 1): 1., (1, 2): 0.}


def test_occlusion_probs_for_the_pairs_the_fusion_decides():
    head = roi_head().eval()
    # predicted 16 x 16 masks: 0 and 1 share 25 % of either, 3 lies inside
    # 1, 2 touches nothing, 0 and 3 share 1 pixel of 16 (6 % < 20 %)
    pred = torch.zeros(4, 16, 16, dtype=torch.bool)
    pred[0, 0:8, 0:8] = pred[1, 4:12, 4:12] = pred[2, 13:, 13:] = True
    pred[3, 7:11, 7:11] = True
    with torch.no_grad():
        probs = head._occlusion_probs(
            torch.randn(4, 64, 14, 14), torch.full((4, 1, 28, 28), 10.),
            torch.tensor([0, 1, 2, 3]), pred)
    assert probs.shape == (4, 4)
    scored = probs != 0.5
    assert scored.tolist() == [[False, True, False, False],
                               [True, False, False, True],
                               [False, False, False, False],
                               [False, True, False, False]]
    # the pairs are exactly those REFINEFusionHead decides
    from mmrefine.models.layers import overlapping_pairs
    pairs, _ = overlapping_pairs(pred, 0.2)
    assert pairs.tolist() == [[0, 1], [1, 3]]

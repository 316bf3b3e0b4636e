import os.path as osp

import pytest
import torch
from mmdet.models.seg_heads.panoptic_fusion_heads import HeuristicFusionHead
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config, ConfigDict
from mmengine.structures import InstanceData

from mmrefine.models.seg_heads.panoptic_fusion_heads import REFINEFusionHead

REPO = osp.abspath(osp.join(osp.dirname(__file__), *['..'] * 4))
# 2 thing classes (0, 1), 2 stuff classes (2, 3); void = 4.
VOID = 4
STUFF_2 = (0.02, 0.02, 0.94, 0.02)
STUFF_3 = (0.02, 0.02, 0.02, 0.94)
UNSURE_3 = (0.2, 0.2, 0.25, 0.35)  # class 3 at confidence 0.35
THING_0 = (0.9, 0.03, 0.04, 0.03)


def fusion_head(**kwargs):
    test_cfg = ConfigDict(mask_overlap=0.5, stuff_area_limit=4)
    test_cfg.update(kwargs.pop('test_cfg', {}))
    return MODELS.build(
        dict(
            type='REFINEFusionHead',
            num_things_classes=2,
            num_stuff_classes=2,
            test_cfg=test_cfg,
            **kwargs))


def logits_of(regions, channels=4, size=(8, 8)):
    """(C, H, W) log-probabilities painted from [(probs, (y0, y1, x0, x1))]."""
    probs = torch.zeros(channels, *size)
    for p, (y0, y1, x0, x1) in regions:
        probs[:, y0:y1, x0:x1] = torch.tensor(p)[:, None, None]
    return probs.log()


def instances(boxes, labels, scores, size=(8, 8), **fields):
    masks = torch.zeros(len(boxes), *size, dtype=torch.bool)
    for mask, (y0, y1, x0, x1) in zip(masks, boxes):
        mask[y0:y1, x0:x1] = True
    return InstanceData(
        bboxes=torch.zeros(len(boxes), 4),
        labels=torch.tensor(labels, dtype=torch.long),
        scores=torch.tensor(scores),
        masks=masks,
        **fields)


def paint(regions, size=(8, 8)):
    """Expected panoptic ids painted from [(id, (y0, y1, x0, x1))]."""
    pan = torch.full(size, VOID, dtype=torch.int32)
    for segment_id, (y0, y1, x0, x1) in regions:
        pan[y0:y1, x0:x1] = segment_id
    return pan[None]


# Stuff 2 on the left half, stuff 3 on the right; A (thing 0, 0.9) and B
# (thing 1, 0.7) share a 2 x 2 corner, 25 % of either: an SOE pair.
SEMANTIC = [(STUFF_2, (0, 8, 0, 4)), (STUFF_3, (0, 8, 4, 8))]
A, B = (0, 4, 0, 4), (2, 6, 2, 6)
STUFF = [(2, (0, 8, 0, 4)), (3, (0, 8, 4, 8))]
# The head: B is on top of A with O(B, A) = 0.9.
OCC = torch.tensor([[0.0, 0.1], [0.9, 0.0]])


def fuse(head, insts, logits):
    return head.predict([insts], [logits])[0].sem_seg


@pytest.mark.parametrize(
    'occlusion, expected',
    [
        # score: A (id 1) first, B (id 2) keeps 12 of 16 pixels
        ('score', STUFF + [(1 + 2000, B), (0 + 1000, A)]),
        # soe: 0.9 exp(-0.81 / 2.5) = 0.651 < 0.7 exp(-0.01 / 2.5) = 0.697,
        # B on top (id 1), A keeps 12 pixels
        ('soe', STUFF + [(0 + 2000, A), (1 + 1000, B)]),
        # pairwise: O(B, A) = 0.9 > O(A, B) = 0.1, B on top
        ('pairwise', STUFF + [(0 + 2000, A), (1 + 1000, B)]),
    ])
def test_paste_order_by_score_or_soe(occlusion, expected):
    insts = instances([A, B], [0, 1], [0.9, 0.7], occ_probs=OCC)
    pan = fuse(fusion_head(occlusion=occlusion), insts, logits_of(SEMANTIC))
    assert torch.equal(pan, paint(expected))


@pytest.mark.parametrize('occlusion', ['soe', 'pairwise'])
def test_soe_without_occlusion_probabilities_is_an_error(occlusion):
    insts = instances([A, B], [0, 1], [0.9, 0.7])
    with pytest.raises(ValueError, match='occ_probs'):
        fuse(fusion_head(occlusion=occlusion), insts, logits_of(SEMANTIC))


def test_mostly_covered_instance_is_dropped():
    # C (thing 1, 0.5) lies 12 of 16 pixels under A: dropped, and its other 4
    # pixels stay stuff; with mask_overlap 0.8 it keeps them.
    c = (1, 5, 0, 4)
    insts = instances([A, c], [0, 1], [0.9, 0.5])
    pan = fuse(fusion_head(), insts, logits_of(SEMANTIC))
    assert torch.equal(pan, paint(STUFF + [(1000, A)]))
    pan = fuse(
        fusion_head(test_cfg=dict(mask_overlap=0.8)), insts,
        logits_of(SEMANTIC))
    assert torch.equal(pan, paint(STUFF + [(1 + 2000, c), (1000, A)]))


def test_unknown_erasing_voids_unsure_stuff_and_thing_pixels_are_void():
    # Right half class 3 at 0.35, dilated by 1 into the left half (0.94):
    # (32 * 0.35 + 8 * 0.94) / 40 = 0.468 < 0.5. Left: 0.822, kept. A semantic
    # thing pixel run on the bottom row is void either way.
    semantic = [(STUFF_2, (0, 8, 0, 4)), (UNSURE_3, (0, 8, 4, 8)),
                (THING_0, (7, 8, 0, 2))]
    insts = instances([B], [1], [0.7])
    base = [(2, (0, 8, 0, 4)), (VOID, (7, 8, 0, 2))]
    pan = fuse(fusion_head(), insts, logits_of(semantic))
    assert torch.equal(pan, paint(base + [(3, (0, 8, 4, 8)), (1001, B)]))
    head = fusion_head(unknown_erasing=dict(thr=0.5, dilation=1))
    assert torch.equal(
        fuse(head, insts, logits_of(semantic)), paint(base + [(1001, B)]))
    head = fusion_head(unknown_erasing=dict(thr=0.46, dilation=1))
    assert torch.equal(
        fuse(head, insts, logits_of(semantic)),
        paint(base + [(3, (0, 8, 4, 8)), (1001, B)]))


def test_stuff_area_limit():
    # Class 3 covers 3 pixels: void under a limit of 4, kept under 3.
    semantic = [(STUFF_2, (0, 8, 0, 8)), (STUFF_3, (0, 1, 0, 3))]
    insts = instances([], [], [])
    pan = fuse(fusion_head(), insts, logits_of(semantic))
    assert torch.equal(pan, paint([(2, (0, 8, 0, 8)), (VOID, (0, 1, 0, 3))]))
    pan = fuse(
        fusion_head(test_cfg=dict(stuff_area_limit=3)), insts,
        logits_of(semantic))
    assert torch.equal(pan, paint([(2, (0, 8, 0, 8)), (3, (0, 1, 0, 3))]))


def test_stock_panoptic_fpn_layout():
    # PanopticFPNHead: channels = stuff 2, stuff 3, the merged thing class.
    semantic = [((0.9, 0.05, 0.05), (0, 8, 0, 4)),
                ((0.05, 0.9, 0.05), (0, 8, 4, 6)),
                ((0.05, 0.05, 0.9), (0, 8, 6, 8))]
    insts = instances([A], [0], [0.9])
    head = fusion_head(
        occlusion='soe', unknown_erasing=dict(thr=0.5, dilation=2))
    pan = fuse(head, insts, logits_of(semantic, channels=3))
    assert torch.equal(
        pan, paint([(2, (0, 8, 0, 4)), (3, (0, 8, 4, 6)), (1000, A)]))


def test_stock_layout_score_order_equals_mmdet_heuristic():
    torch.manual_seed(0)
    size = (24, 32)
    boxes = [(y, y + h, x, x + w)
             for y, h, x, w in torch.randint(0, 14, (8, 4)).tolist()]
    insts = instances(
        boxes,
        torch.randint(0, 2, (8, )).tolist(),
        torch.randperm(8).div(8).add(0.1).tolist(),
        size=size)
    logits = torch.randn(3, 6, 8).repeat_interleave(4,
                                                    1).repeat_interleave(4, 2)
    test_cfg = ConfigDict(mask_overlap=0.5, stuff_area_limit=20)
    ours = fuse(fusion_head(test_cfg=test_cfg), insts, logits)
    theirs = HeuristicFusionHead(
        2, 2, test_cfg=test_cfg).predict([insts], [logits])[0].sem_seg
    assert (ours >= 1000).any() and (ours == VOID).any()
    assert torch.equal(ours, theirs)


def test_zero_instances():
    insts = instances([], [], [])
    head = fusion_head(
        occlusion='soe', unknown_erasing=dict(thr=0.5, dilation=1))
    pan = fuse(head, insts, logits_of(SEMANTIC))
    assert torch.equal(pan, paint(STUFF))


def test_bad_config_and_input():
    with pytest.raises(ValueError, match='occlusion'):
        fusion_head(occlusion='depth')
    with pytest.raises(ValueError, match='unknown_erasing'):
        fusion_head(unknown_erasing=dict(threshold=0.5))
    with pytest.raises(ValueError, match='5 channels'):
        fuse(fusion_head(), instances([], [], []), logits_of([], channels=5))
    head = REFINEFusionHead(num_things_classes=1, num_stuff_classes=2)
    with pytest.raises(ValueError, match='cannot tell'):
        fuse(head, instances([], [], []), logits_of([], channels=3))
    head = REFINEFusionHead(
        num_things_classes=1,
        num_stuff_classes=2,
        semantic_layout='stuff_thing')
    assert fuse(head, instances([], [], []),
                logits_of([((0.1, 0.1, 0.8), (0, 8, 0, 8))],
                          channels=3)).eq(3).all()


def test_stock_panoptic_fpn_predicts_with_unknown_erasing():
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/refine/panoptic-fpn_r18_fpn_ue_shapes.py'))
    cfg.model.test_cfg.rcnn.score_thr = 0.0  # random weights: keep boxes
    model = MODELS.build(cfg.model).eval()
    assert isinstance(model.panoptic_fusion_head, REFINEFusionHead)
    assert model.panoptic_fusion_head.stuff_area_limit == 256
    torch.manual_seed(0)
    image = torch.randint(0, 256, (3, 64, 80), dtype=torch.uint8)
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(64, 80), ori_shape=(64, 80), scale_factor=(1., 1.)))
    with torch.no_grad():
        data = model.data_preprocessor(
            dict(inputs=[image], data_samples=[sample]), False)
        result = model.predict(data['inputs'], data['data_samples'])[0]
    pan = result.pred_panoptic_seg.sem_seg
    assert pan.shape == (1, 64, 80)
    labels = pan % 1000
    assert (pan >= 1000).any()
    assert ((labels < 4) == (pan >= 1000)).all()  # things carry instance ids
    assert (labels <= 7).all()

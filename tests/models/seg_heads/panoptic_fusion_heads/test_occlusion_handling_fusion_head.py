"""BANet's occlusion handling fusion on hand-made scenes (each rule of the
paper's Sec. 4.3 with the expected panoptic map worked out by hand) and
against a naive pixel-loop reference on random scenes."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmengine.structures import InstanceData

from mmrefine.models import OcclusionHandlingFusionHead

NUM_THINGS, NUM_STUFF = 4, 3
VOID = NUM_THINGS + NUM_STUFF
RED, GREEN, BLUE, YELLOW = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)


def make_head(**test_cfg):
    cfg = dict(stuff_area_limit=0)
    cfg.update(test_cfg)
    return OcclusionHandlingFusionHead(
        num_things_classes=NUM_THINGS,
        num_stuff_classes=NUM_STUFF,
        test_cfg=cfg)


def instances(masks, scores, labels=None, bboxes=None):
    masks = torch.stack(masks)
    if bboxes is None:  # tight boxes
        bboxes = []
        for mask in masks:
            ys, xs = mask.nonzero(as_tuple=True)
            bboxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
    if labels is None:
        labels = list(range(len(masks)))
    return InstanceData(
        masks=masks,
        scores=torch.tensor(scores, dtype=torch.float32),
        labels=torch.tensor(labels),
        bboxes=torch.tensor(bboxes, dtype=torch.float32))


def stuff_logits(height, width, label=NUM_THINGS):
    """All-class logits whose argmax is stuff ``label`` everywhere."""
    seg = torch.zeros(NUM_THINGS + NUM_STUFF, height, width)
    seg[label] = 1
    return seg


def fuse(head, results, seg, img):
    return head.predict([results], [seg], batch_imgs=[img])[0].sem_seg[0]


def rect(height, width, top, bottom, left, right):
    mask = torch.zeros(height, width, dtype=torch.bool)
    mask[top:bottom, left:right] = True
    return mask


def paint(img, mask, colour):
    img[:, mask] = torch.tensor(colour, dtype=img.dtype)[:, None]


def test_colour_resolves_a_pair_against_the_score():
    # A (score 0.9) and B (0.7) overlap on 30 % of each; the overlap has B's
    # colour, so B is on top although A scores higher.
    h, w = 10, 17
    a, b = rect(h, w, 0, 10, 0, 10), rect(h, w, 0, 10, 7, 17)
    img = torch.zeros(3, h, w)
    paint(img, a, RED)
    paint(img, b, BLUE)  # the overlap (columns 7..9) is blue
    pan = fuse(make_head(), instances([a, b], [0.9, 0.7], [0, 1]),
               stuff_logits(h, w), img)
    # instance ids follow the paste order, front to back
    id_a, id_b = 0 + 2 * INSTANCE_OFFSET, 1 + INSTANCE_OFFSET
    assert (pan[:, :7] == id_a).all()
    assert (pan[:, 7:] == id_b).all()

    # Below 20 % of either mask the overlap is no occlusion: the higher
    # score wins whatever the colour (overlap: 1 column of 10 = 10 %).
    a, b = rect(h, w, 0, 10, 0, 10), rect(h, w, 0, 10, 9, 17)
    img = torch.zeros(3, h, w)
    paint(img, a, RED)
    paint(img, b, BLUE)
    pan = fuse(make_head(), instances([a, b], [0.9, 0.7], [0, 1]),
               stuff_logits(h, w), img)
    id_a, id_b = 0 + INSTANCE_OFFSET, 1 + 2 * INSTANCE_OFFSET
    assert (pan[:, :10] == id_a).all() and (pan[:, 10:] == id_b).all()


def cell_masks(layout, names, cell=5):
    """Masks of one row of ``cell`` x ``cell`` cells, ``layout`` a string of
    cell owners ('A', 'AB', ...) per cell, given as a list."""
    h, w = cell, cell * len(layout)
    masks = {n: torch.zeros(h, w, dtype=torch.bool) for n in names}
    for k, owners in enumerate(layout):
        for n in owners:
            masks[n][:, k * cell:(k + 1) * cell] = True
    return masks


def test_three_cycle_drops_the_lowest_scored_pair():
    # Colours say A over B, C over A and B over C. Pairs in descending pair
    # score: (A, B) 0.9, (A, C) 0.9, (B, C) 0.8; the last one contradicts
    # C -> A -> B, is set aside, and C ends above B on their overlap.
    layout = ['A'] * 8 + ['AB'] * 3 + ['B'] * 8 + ['BC'] * 3 + ['C'] * 8 + \
        ['AC'] * 3
    masks = cell_masks(layout, 'ABC')
    img = torch.zeros(3, 5, 5 * len(layout))
    colours = dict(A=RED, B=GREEN, C=BLUE, AB=RED, AC=BLUE, BC=GREEN)
    for k, owners in enumerate(layout):
        img[:, :, k * 5:(k + 1) * 5] = torch.tensor(
            colours[owners], dtype=torch.float32)[:, None, None]
    results = instances([masks['A'], masks['B'], masks['C']], [0.9, 0.8, 0.7],
                        [0, 1, 2])
    # every overlap is 75 px of 350 (> 20 %), B loses 150 (43 %): no removal
    pan = fuse(
        make_head(nms_iou_thr=1.0), results, stuff_logits(*img.shape[1:]), img)
    # paste order C, A, B
    ids = dict(
        A=0 + 2 * INSTANCE_OFFSET,
        B=1 + 3 * INSTANCE_OFFSET,
        C=2 + INSTANCE_OFFSET)
    owner = {owners: int(pan[0, k * 5]) for k, owners in enumerate(layout)}
    assert owner['AB'] == ids['A']
    assert owner['AC'] == ids['C']
    assert owner['BC'] == ids['C']  # colour alone would give B
    assert owner['A'] == ids['A'] and owner['B'] == ids['B'] and \
        owner['C'] == ids['C']


def test_instance_losing_more_than_half_is_removed_and_frees_its_pixels():
    # A over B takes 60 % of B: B is removed. C lost 57 % to B, but with B
    # gone it keeps everything (pasting top to bottom, not all at once).
    h, w = 10, 20
    a, b, c = (rect(h, w, 0, 10, 0, 10), rect(h, w, 0, 10, 4,
                                              14), rect(h, w, 0, 10, 10, 17))
    img = torch.zeros(3, h, w)
    paint(img, a, RED)  # incl. the A-B overlap: A is on top
    paint(img, b & ~a, YELLOW)  # B-C overlap: closer to B's mean than C's
    paint(img, c & ~b, BLUE)
    seg = stuff_logits(h, w, label=NUM_THINGS + 2)
    pan = fuse(make_head(), instances([a, b, c], [0.9, 0.8, 0.7], [0, 1, 2]),
               seg, img)
    id_a, id_c = 0 + INSTANCE_OFFSET, 2 + 2 * INSTANCE_OFFSET
    assert (pan[:, :10] == id_a).all()
    assert (pan[:, 10:17] == id_c).all()
    assert (pan[:, 17:] == NUM_THINGS + 2).all()  # stuff under instances

    # Check the premise: with C alone under B, B on top removes C.
    pan = fuse(make_head(), instances([b, c], [0.8, 0.7], [1, 2]), seg, img)
    assert (pan[:, 4:14] == 1 + INSTANCE_OFFSET).all()
    assert (pan[:, 14:] == NUM_THINGS + 2).all()


def test_small_stuff_becomes_void_and_things_over_stuff():
    h, w = 12, 12
    seg = stuff_logits(h, w, label=NUM_THINGS)  # 144 px of stuff 4 ...
    seg[NUM_THINGS + 1, :2, :3] = 2  # ... but 6 px of stuff 5 ...
    seg[NUM_THINGS + 2, 6:, 6:] = 2  # ... and 36 px of stuff 6 ...
    seg[1, 0, 11] = 3  # ... and one pixel of thing 1 (no instance there)
    thing = rect(h, w, 6, 12, 6, 12)  # ... all covered by an instance
    img = torch.rand(3, h, w) * 255
    pan = fuse(
        make_head(stuff_area_limit=5), instances([thing], [0.9], [3]), seg,
        img)
    assert (pan[6:, 6:] == 3 + INSTANCE_OFFSET).all()
    assert (pan[:2, :3] == NUM_THINGS + 1).all()  # 6 px >= 5: kept
    assert pan[0, 11] == VOID  # thing-labelled, uncovered
    assert (pan == NUM_THINGS).sum() == 144 - 36 - 6 - 1
    pan = fuse(
        make_head(stuff_area_limit=7), instances([thing], [0.9], [3]), seg,
        img)
    assert (pan[:2, :3] == VOID).all()  # 6 px < 7: void
    # stuff 6 is all under the instance: its area counts after the overlay
    assert not (pan == NUM_THINGS + 2).any()


def test_stock_panoptic_fpn_semantic_layout():
    # PanopticFPNHead: stuff 0..2, then one thing channel (3)
    h, w = 4, 6
    seg = torch.zeros(NUM_STUFF + 1, h, w)
    seg[0, :, :2] = 1
    seg[2, :, 2:4] = 1
    seg[NUM_STUFF, :, 4:] = 1
    img = torch.rand(3, h, w) * 255
    head = make_head()
    no_instances = InstanceData(
        masks=torch.zeros(0, h, w, dtype=torch.bool),
        scores=torch.zeros(0),
        labels=torch.zeros(0, dtype=torch.long),
        bboxes=torch.zeros(0, 4))
    pan = fuse(head, no_instances, seg, img)
    assert (pan[:, :2] == NUM_THINGS + 0).all()
    assert (pan[:, 2:4] == NUM_THINGS + 2).all()
    assert (pan[:, 4:] == VOID).all()
    thing = rect(h, w, 0, 4, 3, 6)
    pan = fuse(head, instances([thing], [0.8], [2]), seg, img)
    assert (pan[:, 3:] == 2 + INSTANCE_OFFSET).all()
    assert (pan[:, 2] == NUM_THINGS + 2).all()

    # forcing the other layout on these 4 channels is an error
    with pytest.raises(ValueError, match='all_classes'):
        OcclusionHandlingFusionHead(
            NUM_THINGS, NUM_STUFF,
            semantic_layout='all_classes').predict([no_instances], [seg],
                                                   batch_imgs=[img])
    # with a single thing class the channel counts coincide
    with pytest.raises(ValueError, match='semantic_layout'):
        OcclusionHandlingFusionHead(1, 3).predict([no_instances],
                                                  [torch.zeros(4, h, w)],
                                                  batch_imgs=[img])


def test_score_threshold_and_class_agnostic_nms():
    h, w = 10, 30
    a = rect(h, w, 0, 10, 0, 10)
    a_dup = rect(h, w, 0, 10, 1, 11)  # IoU 0.82 with a, other class
    low = rect(h, w, 0, 10, 20, 30)  # score 0.6 is not above 0.6
    img = torch.rand(3, h, w) * 255
    pan = fuse(make_head(),
               instances([a_dup, a, low], [0.85, 0.9, 0.6], [1, 0, 2]),
               stuff_logits(h, w), img)
    assert set(pan.unique().tolist()) == {0 + INSTANCE_OFFSET, NUM_THINGS}
    assert (pan[:, :10] == INSTANCE_OFFSET).all()


def test_bad_inputs_are_rejected():
    head = make_head()
    results = instances([rect(4, 4, 0, 2, 0, 2)], [0.9])
    with pytest.raises(ValueError, match='batch_imgs'):
        head.predict([results], [stuff_logits(4, 4)])
    with pytest.raises(ValueError, match='channels'):
        head.predict([results], [torch.zeros(5, 4, 4)],
                     batch_imgs=[torch.zeros(3, 4, 4)])
    with pytest.raises(ValueError, match='image'):
        head.predict([results], [stuff_logits(4, 4)],
                     batch_imgs=[torch.zeros(3, 5, 4)])
    with pytest.raises(
            ValueError,
            match=r"unknown key\(s\) \['occlusion_thr'\] in "
            r'test_cfg.panoptic; known keys'):
        make_head(occlusion_thr=0.5)
    with pytest.raises(
            ValueError,
            match='test_cfg.panoptic.overlap_thr must be a number'):
        make_head(overlap_thr='0.2')
    with pytest.raises(ValueError, match='semantic_layout'):
        OcclusionHandlingFusionHead(semantic_layout='things')


def reference_fusion(results, seg, img, cfg):
    """The rules of BANet Sec. 4.3, written pixel set by pixel set."""
    scores, masks = results.scores.double(), results.masks
    order = [
        i for i in torch.argsort(-scores, stable=True).tolist()
        if scores[i] > cfg['score_thr']
    ]
    kept = []
    boxes = results.bboxes.double()
    for i in order:  # greedy class-agnostic NMS
        ious = []
        for j in kept:
            lt = torch.maximum(boxes[i, :2], boxes[j, :2])
            rb = torch.minimum(boxes[i, 2:], boxes[j, 2:])
            inter = (rb - lt).clamp(min=0).prod()
            area = lambda b: (b[2:] - b[:2]).prod()  # noqa: E731
            ious.append(inter / (area(boxes[i]) + area(boxes[j]) - inter))
        if all(iou <= cfg['nms_iou_thr'] for iou in ious):
            kept.append(i)
    rgb = img.double()
    mean = {i: rgb[:, masks[i]].mean(dim=1) for i in kept}
    edges = []  # (top, bottom) in descending pair score
    for a in range(len(kept)):
        for b in range(a + 1, len(kept)):
            i, j = kept[a], kept[b]
            inter = masks[i] & masks[j]
            n = int(inter.sum())
            if n == 0:
                continue
            top = i
            if n >= cfg['overlap_thr'] * min(
                    int(masks[i].sum()), int(masks[j].sum())):
                pixels = rgb[:, inter]
                sim_i = F.cosine_similarity(
                    pixels, mean[i][:, None], dim=0).mean()
                sim_j = F.cosine_similarity(
                    pixels, mean[j][:, None], dim=0).mean()
                if sim_j > sim_i:
                    top = j
            edges.append((top, j if top == i else i))
    accepted = []

    def reaches(u, v):
        todo, seen = [u], set()
        while todo:
            x = todo.pop()
            if x == v:
                return True
            seen.add(x)
            todo += [b for a, b in accepted if a == x and b not in seen]
        return False

    for top, bottom in edges:
        if not reaches(bottom, top):
            accepted.append((top, bottom))
    paste_order, left = [], list(kept)
    while left:  # Kahn: any instance nothing left is above
        free = [
            u for u in left if not any(reaches(v, u) for v in left if v != u)
        ]
        paste_order.append(free[0])
        left.remove(free[0])
    taken = torch.zeros_like(masks[0])
    owner = torch.full(masks[0].shape, -1)
    for i in paste_order:
        if (masks[i] & taken).sum() > cfg['mask_overlap'] * masks[i].sum():
            continue
        owner[masks[i] & ~taken] = i
        taken |= masks[i]
    visible = [i for i in kept if (owner == i).any()]
    stuff = seg.argmax(dim=0)
    pan = torch.where(stuff >= NUM_THINGS, stuff, VOID)
    for k, i in enumerate(sorted(visible, key=paste_order.index)):
        pan[owner == i] = int(results.labels[i]) + (k + 1) * INSTANCE_OFFSET
    for label in range(NUM_THINGS, VOID):
        if 0 < (pan == label).sum() < cfg['stuff_area_limit']:
            pan[pan == label] = VOID
    return pan


def random_scene(seed, num=12, size=(48, 64)):
    gen = torch.Generator().manual_seed(seed)
    h, w = size
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    img = torch.rand(3, h, w, generator=gen) * 60
    masks, boxes = [], []
    for _ in range(num):
        cx, cy = torch.rand(2, generator=gen) * torch.tensor([w, h])
        rx, ry = 3 + torch.rand(2, generator=gen) * 12
        mask = ((xs - cx) / rx)**2 + ((ys - cy) / ry)**2 <= 1
        if not mask.any():
            continue
        colour = torch.rand(3, 1, generator=gen) * 200
        img[:, mask] = colour + torch.rand(
            3, int(mask.sum()), generator=gen) * 40
        masks.append(mask)
        boxes.append([cx - rx, cy - ry, cx + rx, cy + ry])
    n = len(masks)
    results = InstanceData(
        masks=torch.stack(masks),
        scores=0.5 + 0.5 * torch.rand(n, generator=gen),
        labels=torch.randint(0, NUM_THINGS, (n, ), generator=gen),
        bboxes=torch.tensor(boxes))
    seg = torch.randn(NUM_THINGS + NUM_STUFF, h // 8, w // 8, generator=gen)
    seg = F.interpolate(seg[None], size=(h, w), mode='nearest')[0]
    return results, seg, img


@pytest.mark.parametrize('seed', range(8))
def test_matches_the_pixel_loop_reference_on_random_scenes(seed):
    cfg = dict(
        score_thr=0.6,
        nms_iou_thr=0.7,
        overlap_thr=0.2,
        mask_overlap=0.5,
        stuff_area_limit=30)
    results, seg, img = random_scene(seed)
    expected = reference_fusion(results, seg, img, cfg)
    pan = fuse(make_head(**cfg), results, seg, img)
    assert (pan == expected).all()
    instance_ids = pan[pan >= INSTANCE_OFFSET] // INSTANCE_OFFSET
    assert instance_ids.numel() > 0  # the scenes do test instances
    assert len(np.unique(instance_ids.numpy())) >= 3

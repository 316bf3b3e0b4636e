"""OcclusionAccuracyMetric on hand-made cases, on the generated shapes data
(ground truth as prediction) and next to mmdet's CocoPanopticMetric in
mmengine's Evaluator."""
import json
import os.path as osp

import mmcv
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.structures import DetDataSample
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from panopticapi.utils import id2rgb, rgb2id

from mmrefine.datasets import ShapesPanopticDataset
from mmrefine.evaluation import OcclusionAccuracyMetric

META = ShapesPanopticDataset.METAINFO
CATEGORIES = [
    dict(id=1, name='circle', isthing=1),
    dict(id=2, name='triangle', isthing=1),
    dict(id=5, name='stripes', isthing=0)
]
CIRCLE, TRIANGLE, STRIPES = 0, 1, 4  # mmdet labels (META['classes'] indices)
STUFF_ID = 1005
SHAPE = (10, 30)


def box(rows, cols):
    mask = np.zeros(SHAPE, bool)
    mask[rows[0]:rows[1], cols[0]:cols[1]] = True
    return mask


def rle(mask):
    code = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    code['counts'] = code['counts'].decode('ascii')
    return code


# image 1: three pairs side by side, each a 6 x 6 square under another whose
# corner covers 3 x 3 of it. Image 2: G under H, both under I, which hides
# all of G and H's overlap.
IMAGES = {
    1: [
        box((0, 6), (0, 6)),
        box((3, 9), (3, 9)),  # A, B (B on top)
        box((0, 6), (10, 16)),
        box((3, 9), (13, 19)),  # C, D
        box((0, 6), (20, 26)),
        box((3, 9), (23, 29))
    ],  # E, F
    2: [
        box((0, 6), (0, 10)),
        box((0, 6), (6, 16)),  # G, H
        box((0, 8), (5, 11))
    ],  # I
}


def write_ground_truth(root, amodal=True, images=IMAGES):
    """A panoptic ann_file and PNGs of ``images``, things painted in list order
    (segment id = position + 1) over one stuff segment."""
    seg_dir = osp.join(root, 'annotations', 'panoptic_val2017')
    anns = []
    for img_id, shapes in images.items():
        ids = np.full(SHAPE, STUFF_ID)
        for k, full in enumerate(shapes):
            ids[full] = k + 1
        segments = [
            dict(
                id=STUFF_ID,
                category_id=5,
                iscrowd=0,
                area=int((ids == STUFF_ID).sum()))
        ]
        for k, full in enumerate(shapes):
            seg = dict(
                id=k + 1,
                category_id=1,
                iscrowd=0,
                area=int((ids == k + 1).sum()))
            if amodal:
                seg['amodal_segmentation'] = rle(full)
            segments.append(seg)
        occlusions = [[b + 1, a + 1,
                       int((shapes[a] & shapes[b]).sum())]
                      for a in range(len(shapes))
                      for b in range(a + 1, len(shapes))
                      if (shapes[a] & shapes[b]).any()]
        name = f'{img_id:012d}.png'
        mmcv.imwrite(id2rgb(ids)[..., ::-1], osp.join(seg_dir, name))
        anns.append(
            dict(
                image_id=img_id,
                file_name=name,
                segments_info=segments,
                depth_order=list(range(1,
                                       len(shapes) + 1)),
                occlusions=occlusions))
    ann_file = osp.join(root, 'annotations', 'panoptic_val2017.json')
    with open(ann_file, 'w') as f:
        json.dump(
            dict(
                images=[
                    dict(
                        id=i,
                        file_name=f'{i:012d}.jpg',
                        height=SHAPE[0],
                        width=SHAPE[1]) for i in images
                ],
                annotations=anns,
                categories=CATEGORIES), f)
    return ann_file, seg_dir + '/'


@pytest.fixture
def hand_made(tmp_path):
    ann_file, seg_prefix = write_ground_truth(str(tmp_path))
    metric = OcclusionAccuracyMetric(ann_file=ann_file, seg_prefix=seg_prefix)
    metric.dataset_meta = META
    return metric


def predict(paint, shape=SHAPE):
    """An mmdet panoptic map: stuff, then ``(mask, label)`` in order, the
    k-th as instance k + 1."""
    pan = np.full(shape, STRIPES)
    for k, (mask, label) in enumerate(paint):
        pan[mask] = label + (k + 1) * INSTANCE_OFFSET
    return pan


def sample(img_id, pan):
    return dict(
        img_id=img_id,
        pred_panoptic_seg=dict(sem_seg=torch.from_numpy(pan)[None]))


def image1_prediction():
    a, b, c, d, e, f = IMAGES[1]
    return predict([
        (a, CIRCLE),
        (b, CIRCLE),  # as the ground truth: B in front
        (d, CIRCLE),
        (c, CIRCLE),  # C painted over D: the wrong order, both
        # still matched (IoU 27 / 36)
        (e, CIRCLE),
        (f, TRIANGLE)
    ])  # F's class is wrong: not evaluable


def test_right_wrong_and_unmatched_pairs(hand_made):
    hand_made.process({}, [sample(1, image1_prediction())])
    assert hand_made.evaluate(1) == {
        'occlusion/occ_acc': 50.0,
        'occlusion/occ_pairs': 2,
        'occlusion/occ_pairs_hidden': 0,
        'occlusion/occ_pairs_total': 3,
        'occlusion/occ_coverage': 66.667
    }


def test_prediction_at_another_size_is_resized(hand_made):
    """A map at twice the size (rescale=False) is resized to the ground
    truth's, nearest neighbour: the same result."""
    pan = image1_prediction().repeat(2, 0).repeat(2, 1)
    hand_made.process({}, [sample(1, pan)])
    assert hand_made.evaluate(1)['occlusion/occ_acc'] == 50.0


def test_overlap_hidden_by_a_third_instance_is_no_pair(hand_made):
    """G and H overlap only under I: of the three listed occlusions, two are
    pairs, both right for the ground truth as prediction."""
    g, h, i = IMAGES[2]
    hand_made.process({}, [
        sample(2,
               predict([(g & ~h & ~i, CIRCLE), (h & ~i, CIRCLE), (i, CIRCLE)]))
    ])
    assert hand_made.evaluate(1) == {
        'occlusion/occ_acc': 100.0,
        'occlusion/occ_pairs': 2,
        'occlusion/occ_pairs_hidden': 0,
        'occlusion/occ_pairs_total': 2,
        'occlusion/occ_coverage': 100.0
    }


def test_pairs_pool_over_images(hand_made):
    g, h, i = IMAGES[2]
    hand_made.process({}, [sample(1, image1_prediction())])
    # image 2 with I too small to match (IoU 6 / 48): neither pair evaluable
    hand_made.process({}, [
        sample(
            2,
            predict([(g & ~h & ~i, CIRCLE), (h & ~i, CIRCLE),
                     (i & box((0, 1), (5, 11)), CIRCLE)]))
    ])
    assert hand_made.evaluate(2) == {
        'occlusion/occ_acc': 50.0,
        'occlusion/occ_pairs': 2,
        'occlusion/occ_pairs_hidden': 0,
        'occlusion/occ_pairs_total': 5,
        'occlusion/occ_coverage': 40.0
    }


def image_metric(root, images):
    ann_file, seg_prefix = write_ground_truth(str(root), images=images)
    metric = OcclusionAccuracyMetric(ann_file=ann_file, seg_prefix=seg_prefix)
    metric.dataset_meta = META
    return metric


def test_wrong_order_with_grown_bottom_is_judged_wrong(tmp_path):
    """B covers 25 of A's 36 pixels. Pasted the wrong way round, A's
    segment is its full shape and B keeps 11 pixels: against their visible
    masks neither matches (IoU 11 / 36), outside the overlap both do, so
    the pair counts, as wrong."""
    a, b = box((0, 6), (0, 6)), box((1, 7), (1, 7))
    metric = image_metric(tmp_path, {4: [a, b]})
    metric.process({}, [sample(4, predict([(b, CIRCLE), (a, CIRCLE)]))])
    assert metric.evaluate(1) == {
        'occlusion/occ_acc': 0.0,
        'occlusion/occ_pairs': 1,
        'occlusion/occ_pairs_hidden': 0,
        'occlusion/occ_pairs_total': 1,
        'occlusion/occ_coverage': 100.0
    }


def test_instance_inside_the_overlap(tmp_path):
    """A small square wholly on a large one has no own pixels: it is matched
    by its whole shape. Hidden by the large one (the wrong order) it is
    lacking, and the pair is judged, wrong, as the large one holds the
    overlap."""
    large, small = box((0, 8), (0, 8)), box((2, 5), (2, 5))
    metric = image_metric(tmp_path, {3: [large, small]})
    metric.process({},
                   [sample(3, predict([(large, CIRCLE), (small, CIRCLE)]))])
    metric.process({},
                   [sample(3, predict([(small, CIRCLE), (large, CIRCLE)]))])
    # the small one missed, the overlap is stuff: not judged
    metric.process({}, [sample(3, predict([(large & ~small, CIRCLE)]))])
    assert metric.evaluate(3) == {
        'occlusion/occ_acc': 50.0,
        'occlusion/occ_pairs': 2,
        'occlusion/occ_pairs_hidden': 1,
        'occlusion/occ_pairs_total': 3,
        'occlusion/occ_coverage': 66.667
    }


def test_ann_file_without_amodal_masks(tmp_path):
    ann_file, seg_prefix = write_ground_truth(str(tmp_path), amodal=False)
    with pytest.raises(
            ValueError,
            match=r'amodal_segmentation.*create_shapes_panoptic\.py'):
        OcclusionAccuracyMetric(ann_file=ann_file, seg_prefix=seg_prefix)


def test_unknown_image(hand_made):
    with pytest.raises(ValueError, match='img_id=7'):
        hand_made.process({}, [sample(7, predict([]))])


# ------------------------------------------------------ generated shapes ---
def shapes_files(root):
    return (osp.join(root, 'annotations', 'panoptic_val2017.json'),
            osp.join(root, 'annotations', 'panoptic_val2017') + '/')


def ground_truth_prediction(root, ann, categories):
    """The ground truth of an image as an mmdet panoptic map."""
    _, seg_prefix = shapes_files(root)
    ids = rgb2id(
        mmcv.imread(seg_prefix + ann['file_name'], channel_order='rgb'))
    pan = np.full(ids.shape, len(META['classes']))
    for seg in ann['segments_info']:
        cat = categories[seg['category_id']]
        label = META['classes'].index(cat['name'])
        pan[ids ==
            seg['id']] = label + seg['id'] * INSTANCE_OFFSET * cat['isthing']
    return ids, pan


def load_shapes(root):
    with open(shapes_files(root)[0]) as f:
        pan = json.load(f)
    return pan, {c['id']: c for c in pan['categories']}


def visible_pairs(ann, ids):
    """Listed occlusions whose overlap shows the top instance somewhere."""
    amodal = {
        s['id']: mask_utils.decode(s['amodal_segmentation']).astype(bool)
        for s in ann['segments_info'] if 'amodal_segmentation' in s
    }
    return sum(
        bool((amodal[bottom] & (ids == top)).any())
        for top, bottom, _ in ann['occlusions'])


def test_ground_truth_as_prediction_is_100(tiny_shapes):
    pan, categories = load_shapes(tiny_shapes)
    metric = OcclusionAccuracyMetric(*shapes_files(tiny_shapes))
    metric.dataset_meta = META
    pairs = 0
    for ann in pan['annotations']:
        ids, pred = ground_truth_prediction(tiny_shapes, ann, categories)
        pairs += visible_pairs(ann, ids)
        metric.process({}, [sample(ann['image_id'], pred)])
    assert pairs > 0
    assert metric.evaluate(len(pan['annotations'])) == {
        'occlusion/occ_acc': 100.0,
        'occlusion/occ_pairs': pairs,
        'occlusion/occ_pairs_hidden': 0,
        'occlusion/occ_pairs_total': pairs,
        'occlusion/occ_coverage': 100.0
    }


@pytest.fixture(scope='module')
def occluded_shapes(tmp_path_factory):
    """A val split with some hundred occluding pairs."""
    from mmrefine.datasets import generate_shapes_panoptic
    root = str(tmp_path_factory.mktemp('occluded_shapes'))
    generate_shapes_panoptic(
        root,
        num_train=0,
        num_val=40,
        img_size=(128, 128),
        min_instances=4,
        max_instances=8,
        occlusion_rate=0.8,
        seed=5)
    return root


def paste_amodal(root, ann, categories, order):
    """An mmdet panoptic map of the ground truth's stuff and the things'
    full shapes pasted in ``order`` (segment ids, back to front)."""
    ids, pan = ground_truth_prediction(root, ann, categories)
    segments = {s['id']: s for s in ann['segments_info']}
    for seg_id in order:
        seg = segments[seg_id]
        label = META['classes'].index(categories[seg['category_id']]['name'])
        pan[mask_utils.decode(seg['amodal_segmentation']).astype(bool)] = (
            label + seg_id * INSTANCE_OFFSET)
    return pan


def test_reversed_paste_order_is_judged_wrong(occluded_shapes):
    """The things' full shapes pasted in the ground truth's depth order
    reproduce it (100 %); pasted in the reverse order every overlapping
    pair is the wrong way round: close to 0 %, judged on about as many
    pairs."""
    pan, categories = load_shapes(occluded_shapes)
    results = {}
    for name, reverse in (('depth order', False), ('reversed', True)):
        metric = OcclusionAccuracyMetric(*shapes_files(occluded_shapes))
        metric.dataset_meta = META
        for ann in pan['annotations']:
            order = ann['depth_order'][::-1] if reverse else ann['depth_order']
            metric.process({}, [
                sample(ann['image_id'],
                       paste_amodal(occluded_shapes, ann, categories, order))
            ])
        results[name] = metric.evaluate(len(pan['annotations']))
    right, wrong = results['depth order'], results['reversed']
    assert right['occlusion/occ_pairs_total'] >= 100
    assert right['occlusion/occ_acc'] == 100.0
    assert right['occlusion/occ_coverage'] == 100.0
    assert wrong['occlusion/occ_pairs_total'] == right[
        'occlusion/occ_pairs_total']
    assert wrong['occlusion/occ_acc'] <= 5.0
    assert wrong['occlusion/occ_coverage'] >= 90.0, results


def test_with_coco_panoptic_metric_in_an_evaluator(tiny_shapes):
    """Both metrics in one Evaluator, as a config's list of evaluators: the
    ground truth as prediction except for one image predicted all void,
    whose pairs cannot be evaluated."""
    ann_file, seg_prefix = shapes_files(tiny_shapes)
    evaluator = Evaluator([
        dict(
            type='CocoPanopticMetric',
            ann_file=ann_file,
            seg_prefix=seg_prefix,
            nproc=1),
        dict(
            type='OcclusionAccuracyMetric',
            ann_file=ann_file,
            seg_prefix=seg_prefix)
    ])
    evaluator.dataset_meta = META
    pan, categories = load_shapes(tiny_shapes)
    counts = []
    for ann in pan['annotations']:
        ids, _ = ground_truth_prediction(tiny_shapes, ann, categories)
        counts.append(visible_pairs(ann, ids))
    void_image = int(np.argmax(counts))
    assert counts[void_image] > 0 and sum(counts) > counts[void_image]
    for k, (image, ann) in enumerate(zip(pan['images'], pan['annotations'])):
        _, pred = ground_truth_prediction(tiny_shapes, ann, categories)
        if k == void_image:
            pred[:] = len(META['classes'])
        data_sample = DetDataSample(
            metainfo=dict(
                img_id=image['id'],
                img_path=osp.join(tiny_shapes, 'val2017', image['file_name']),
                ori_shape=pred.shape))
        data_sample.pred_panoptic_seg = PixelData(
            sem_seg=torch.from_numpy(pred)[None])
        evaluator.process([data_sample])
    metrics = evaluator.evaluate(len(pan['annotations']))
    evaluable = sum(counts) - counts[void_image]
    assert metrics['occlusion/occ_acc'] == 100.0
    assert metrics['occlusion/occ_pairs'] == evaluable
    assert metrics['occlusion/occ_pairs_hidden'] == 0
    assert all(
        type(metrics[f'occlusion/{k}']) is int
        for k in ('occ_pairs', 'occ_pairs_hidden', 'occ_pairs_total'))
    assert metrics['occlusion/occ_coverage'] == round(
        100 * evaluable / sum(counts), 3)
    assert 0 < metrics['coco_panoptic/PQ'] < 100

"""mmdet's own dataset, loading transform and metric read the shapes data."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.datasets import CocoPanopticDataset
from mmdet.evaluation import CocoPanopticMetric
from mmdet.evaluation.functional import INSTANCE_OFFSET

from mmrefine.datasets import ShapesPanopticDataset


def build(root, dataset_type=ShapesPanopticDataset, **kwargs):
    return dataset_type(
        data_root=root,
        ann_file='annotations/panoptic_val2017.json',
        data_prefix=dict(img='val2017/', seg='annotations/panoptic_val2017/'),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadPanopticAnnotations')
        ],
        test_mode=True,
        **kwargs)


def test_mmdet_coco_panoptic_dataset_reads_it(tiny_shapes):
    ours = build(tiny_shapes)
    stock = build(
        tiny_shapes,
        CocoPanopticDataset,
        metainfo=ShapesPanopticDataset.METAINFO)
    assert len(ours) == len(stock) == 3
    item = stock[0]
    seg = item['gt_seg_map']
    # things 0..3, stuff 4..6 as mmdet's label layout; 255 = ignore
    assert set(np.unique(seg)) <= set(range(7)) | {255}
    assert (seg >= 4).any() and (seg < 4).any()
    masks = item['gt_masks'].masks
    assert len(masks) == len(item['gt_bboxes']) == len(
        item['gt_bboxes_labels']) > 0
    # visible instance masks do not overlap and match the semantic map
    assert masks.sum(0).max() == 1
    for mask, label in zip(masks, item['gt_bboxes_labels']):
        assert (seg[mask.astype(bool)] == label).all()


def test_ground_truth_as_prediction_scores_pq_100(tiny_shapes):
    """The metric pipeline is consistent with what the data set holds: the
    ground truth itself, fed as a prediction, is a perfect panoptic result."""
    dataset = build(tiny_shapes)
    metric = CocoPanopticMetric(
        ann_file=osp.join(tiny_shapes, 'annotations/panoptic_val2017.json'),
        seg_prefix=osp.join(tiny_shapes, 'annotations/panoptic_val2017/'),
        nproc=1)
    metric.dataset_meta = dataset.metainfo
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        item = dataset[i]
        pan = np.full(item['gt_seg_map'].shape,
                      len(dataset.metainfo['classes']), np.int64)
        for k, mask in enumerate(item['gt_masks'].masks):
            pan[mask.astype(bool)] = item['gt_bboxes_labels'][k] + (
                k + 1) * INSTANCE_OFFSET
        stuff = item['gt_seg_map'] >= len(dataset.metainfo['thing_classes'])
        stuff &= item['gt_seg_map'] != 255
        pan[stuff] = item['gt_seg_map'][stuff]
        sample = dict(
            img_id=info['img_id'],
            ori_shape=item['ori_shape'],
            seg_map_path=info['seg_map_path'],
            segments_info=info['segments_info'],
            img_path=info['img_path'],
            pred_panoptic_seg=dict(sem_seg=torch.from_numpy(pan)[None]))
        metric.process({}, [sample])
    result = metric.evaluate(len(dataset))
    assert result['coco_panoptic/PQ'] == 100.0
    assert result['coco_panoptic/PQ_th'] == 100.0 and result[
        'coco_panoptic/PQ_st'] == 100.0


def test_generator_parameters_pin_the_data(tiny_shapes):
    """A config's ``generator`` must match the set's ``info.generator``;
    lists in the JSON compare equal to the config's tuples."""
    assert len(
        build(
            tiny_shapes, generator=dict(num_val=3, img_size=(96, 96),
                                        seed=3))) == 3
    with pytest.raises(
            ValueError,
            match=r'panoptic_val2017.json was written with num_val=3; this '
            r'config expects num_val=1000.*generator=None'):
        build(tiny_shapes, generator=dict(num_val=1000))
    with pytest.raises(
            ValueError,
            match=r'img_size=\(96, 96\); this config '
            r'expects img_size=\(256, 256\)'):
        build(tiny_shapes, generator=dict(img_size=(256, 256)))

"""The shapes generator with COCO panoptic's categories writes a set that
mmdet's CocoPanopticDataset reads with its own class list."""
import json
import os.path as osp

import pytest
from mmdet.datasets import CocoPanopticDataset

from mmrefine.datasets import (coco_panoptic_categories,
                               generate_shapes_panoptic)


def test_coco_categories():
    cats = coco_panoptic_categories()
    meta = CocoPanopticDataset.METAINFO
    assert [c['name'] for c in cats] == list(meta['classes'])
    things = [c['id'] for c in cats if c['isthing']]
    stuff = [c['id'] for c in cats if not c['isthing']]
    assert (len(things), len(stuff)) == (80, 53)
    # COCO's ids: things 1-90 with gaps, stuff 92-200, increasing
    assert things[0] == 1 and things[-1] == 90 and stuff[0] == 92
    assert stuff[-1] == 200 and things + stuff == sorted(things + stuff)
    assert cats[things.index(90)]['name'] == 'toothbrush'
    assert cats[len(things) + stuff.index(200)]['name'] == 'rug-merged'


def test_coco_shaped_set_loads_in_mmdet(tmp_path):
    root = str(tmp_path)
    generate_shapes_panoptic(
        root,
        categories=coco_panoptic_categories(),
        num_train=0,
        num_val=3,
        img_size=(48, 64),
        min_instances=3,
        max_instances=6,
        seed=1)
    with open(osp.join(root, 'annotations', 'panoptic_val2017.json')) as f:
        pan = json.load(f)
    assert [c['id'] for c in pan['categories']] == \
        [c['id'] for c in coco_panoptic_categories()]
    assert pan['images'][0]['height'] == 48
    assert pan['images'][0]['width'] == 64
    names = {c['id']: c['name'] for c in pan['categories']}
    dataset = CocoPanopticDataset(
        data_root=root + '/',
        ann_file='annotations/panoptic_val2017.json',
        data_prefix=dict(img='val2017/', seg='annotations/panoptic_val2017/'),
        test_mode=True,
        pipeline=[])
    classes = dataset.metainfo['classes']
    assert len(dataset) == 3
    for info, ann in zip(dataset, pan['annotations']):
        # mmdet's labels are the COCO categories' places in its class list
        expected = sorted(
            classes.index(names[s['category_id']])
            for s in ann['segments_info'])
        assert sorted(s['category'] for s in info['segments_info']) == \
            expected


@pytest.mark.parametrize('categories', [
    [dict(id=1, name='a', isthing=1),
     dict(id=1, name='b', isthing=0)],
    [dict(id=1, name='a', isthing=1),
     dict(id=2, name='a', isthing=0)],
    [dict(id=1, name='a', isthing=1),
     dict(id=2, name='b', isthing=1)],
    [dict(id=0, name='a', isthing=1),
     dict(id=2, name='b', isthing=0)],
])
def test_invalid_categories_are_refused(tmp_path, categories):
    with pytest.raises(ValueError, match='categories=.*expected dicts'):
        generate_shapes_panoptic(str(tmp_path), categories=categories)

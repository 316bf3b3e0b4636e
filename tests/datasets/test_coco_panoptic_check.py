"""Bad data fails when the data set is built, each problem named by the
annotation file, the image id, the file and the segment (issue 13's probes)."""
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest

from mmrefine.datasets import (CheckedCocoPanopticDataset,
                               ShapesPanopticDataset, check_coco_panoptic,
                               generate_shapes_panoptic)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPanopticAnnotations')
]


@pytest.fixture
def shapes(tiny_shapes, tmp_path):
    """A private copy of the tiny set, to corrupt."""
    root = str(tmp_path / 'shapes')
    shutil.copytree(tiny_shapes, root)
    return root


def ann_path(root, split):
    return osp.join(root, 'annotations', f'panoptic_{split}2017.json')


def png_path(root, split, image_id):
    return osp.join(root, 'annotations', f'panoptic_{split}2017',
                    f'{image_id:012d}.png')


def edit(root, split, change):
    """Apply ``change(data)`` to a split's panoptic JSON."""
    with open(ann_path(root, split)) as f:
        data = json.load(f)
    change(data)
    with open(ann_path(root, split), 'w') as f:
        json.dump(data, f)


def build(root, split, dataset_type=ShapesPanopticDataset, **kwargs):
    return dataset_type(
        data_root=root,
        ann_file=f'annotations/panoptic_{split}2017.json',
        data_prefix=dict(
            img=f'{split}2017/', seg=f'annotations/panoptic_{split}2017/'),
        pipeline=PIPELINE,
        test_mode=split == 'val',
        **kwargs)


def expect(root, split, *messages, **kwargs):
    """Building the split fails with every one of ``messages``."""
    with pytest.raises(ValueError) as info:
        build(root, split, **kwargs)
    text = str(info.value)
    assert text.startswith(
        osp.join(root, 'annotations', f'panoptic_{split}2017.json')), text
    for message in messages:
        assert message in text, text
    return text


def segments(data, image_id):
    return next(a for a in data['annotations']
                if a['image_id'] == image_id)['segments_info']


def first_thing(data, image_id=1):
    things = {c['id'] for c in data['categories'] if c['isthing']}
    return next(
        s for s in segments(data, image_id) if s['category_id'] in things)


def first_stuff(data, image_id=1):
    things = {c['id'] for c in data['categories'] if c['isthing']}
    return next(
        s for s in segments(data, image_id) if s['category_id'] not in things)


def read(root, split):
    with open(ann_path(root, split)) as f:
        return json.load(f)


def test_the_generated_set_passes(tiny_shapes):
    assert len(build(tiny_shapes, 'train')) == 6
    assert len(build(tiny_shapes, 'val')) == 3


@pytest.mark.parametrize('split', ['train', 'val'])
def test_png_segment_missing_from_the_json(shapes, split):
    """Trained as ignored pixels before (rc 0); in val PQ did not change."""
    seg = first_thing(read(shapes,
                           split)) if split == 'train' else first_stuff(
                               read(shapes, split))
    edit(shapes, split, lambda d: segments(d, 1).remove(seg))
    expect(
        shapes, split,
        f'image 1: {png_path(shapes, split, 1)}: segment {seg["id"]} has '
        f'{seg["area"]} pixels in the PNG but no segments_info entry')


@pytest.mark.parametrize('split', ['train', 'val'])
def test_json_segment_without_pixels(shapes, split):
    """Trained as an empty mask with a made-up box before (rc 0); in val it
    changed PQ."""
    cat = 1 if split == 'train' else 5
    edit(
        shapes, split, lambda d: segments(d, 2).append(
            dict(
                id=77,
                category_id=cat,
                iscrowd=0,
                area=120,
                bbox=[1, 1, 10, 12])))
    expect(
        shapes, split,
        f'image 2: {png_path(shapes, split, 2)}: segment 77 is in '
        f'segments_info but has no pixels in the PNG')


def test_area_mismatch(shapes):
    seg = first_thing(read(shapes, 'train'))
    edit(
        shapes, 'train',
        lambda d: next(s for s in segments(d, 1)
                       if s['id'] == seg['id']).update(area=seg['area'] + 5))
    expect(
        shapes, 'train',
        f'segment {seg["id"]} has area {seg["area"] + 5} in the JSON '
        f'but {seg["area"]} pixels in the PNG')


def test_val_occlusion_names_a_missing_segment(shapes):
    """Failed with `KeyError: 1` in the occlusion metric before."""
    data = read(shapes, 'val')
    ann = next(a for a in data['annotations'] if a['occlusions'])
    top, bottom, _ = ann['occlusions'][0]
    edit(
        shapes, 'val', lambda d: segments(d, ann['image_id']).remove(
            next(s for s in segments(d, ann['image_id'])
                 if s['id'] == bottom)))
    expect(
        shapes, 'val', f'image {ann["image_id"]}: '
        f'{png_path(shapes, "val", ann["image_id"])}: '
        f'occlusions[0] = {ann["occlusions"][0]} names segment {bottom}, '
        f'which is not in segments_info',
        f'depth_order {ann["depth_order"]} names segment {bottom}')


def test_truncated_png(shapes):
    """Failed after 3 of 8 images with `libpng error` naming no file."""
    path = png_path(shapes, 'val', 2)
    with open(path, 'rb') as f:
        head = f.read()[:100]
    with open(path, 'wb') as f:
        f.write(head)
    text = expect(shapes, 'val', f'image 2: PNG {path} does not decode (')
    assert 'truncated' in text or 'broken' in text, text


def test_missing_image(shapes):
    """Found only after 4 of 8 images before."""
    path = osp.join(shapes, 'val2017', '000000000003.jpg')
    os.remove(path)
    expect(shapes, 'val', f'image 3: image {path} does not exist')


def test_missing_png(shapes):
    path = png_path(shapes, 'train', 4)
    os.remove(path)
    expect(shapes, 'train', f'image 4: PNG {path} does not exist')


def test_unknown_category_id(shapes):
    """`KeyError: 99` inside mmdet, naming no image, before."""
    seg = first_thing(read(shapes, 'val'), 2)
    edit(
        shapes, 'val',
        lambda d: next(s for s in segments(d, 2)
                       if s['id'] == seg['id']).update(category_id=99))
    expect(
        shapes, 'val',
        f'image 2: {png_path(shapes, "val", 2)}: segment {seg["id"]}: '
        'category_id 99 is not in categories (known ids [1, 2, 3, 4, 5, 6, 7])'
    )
    # without the full check, still named (by the data set's parser)
    expect(
        shapes,
        'val', f'image 2 (000000000002.jpg): segment {seg["id"]} has '
        'category_id 99, not one of the categories [1, 2, 3, 4, 5, 6, 7]',
        check_annotations=False)


def test_isthing_flag_disagrees(shapes):
    edit(shapes, 'train', lambda d: d['categories'][5].update(isthing=1))
    expect(
        shapes, 'train',
        "category 'checker' (id 6) has isthing=1, but the data set "
        'lists it as stuff')


def test_category_order_disagrees(shapes):
    edit(shapes, 'train', lambda d: d['categories'].reverse())
    expect(shapes, 'train', "categories are ordered ['speckle', 'checker'",
           "the two orders must agree")


def test_class_subset_needs_its_metainfo(tmp_path):
    """`--thing-classes star --stuff-classes checker` trained star as
    'circle' and the stuff class checker as 'triangle', a thing (rc 0)."""
    root = str(tmp_path / 'sub')
    generate_shapes_panoptic(
        root,
        num_train=2,
        num_val=1,
        img_size=(64, 64),
        thing_classes=('star', ),
        stuff_classes=('checker', ))
    expect(
        root, 'train',
        "categories ['star', 'checker'] do not match the data set classes "
        "['circle', 'triangle', 'rectangle', 'star', 'stripes', "
        "'checker', 'speckle']: "
        "missing ['circle', 'triangle', 'rectangle', 'stripes', 'speckle']")
    expect(
        root,
        'train',
        "only 2 of the data set's 7 classes",
        check_annotations=False)
    meta = dict(
        classes=('star', 'checker'),
        thing_classes=('star', ),
        stuff_classes=('checker', ),
        palette=[(0, 0, 0)] * 2)
    dataset = build(root, 'train', metainfo=meta)
    item = dataset[0]
    names = [meta['classes'][label] for label in item['gt_bboxes_labels']]
    assert names and set(names) == {'star'}


def test_coco_size_switch(shapes):
    """The base class checks only the cheap things unless switched on."""
    os.remove(png_path(shapes, 'train', 4))
    meta = ShapesPanopticDataset.METAINFO
    assert len(
        build(shapes, 'train', CheckedCocoPanopticDataset, metainfo=meta)) == 6
    expect(
        shapes,
        'train',
        'does not exist',
        dataset_type=CheckedCocoPanopticDataset,
        metainfo=meta,
        check_annotations=True,
        check_nproc=2)


def test_many_problems_are_counted(shapes):
    for image_id in range(1, 7):
        os.remove(png_path(shapes, 'train', image_id))
    with pytest.raises(ValueError, match=re.escape('6 problem(s)')):
        check_coco_panoptic(
            ann_path(shapes, 'train'), osp.join(shapes, 'train2017'),
            osp.join(shapes, 'annotations', 'panoptic_train2017'))


def run_tool(root, split):
    return subprocess.run([
        sys.executable, 'tools/misc/check_coco_panoptic.py',
        ann_path(root, split),
        osp.join(root, f'{split}2017'),
        osp.join(root, 'annotations', f'panoptic_{split}2017'),
        '--dataset-type', 'ShapesPanopticDataset', '--nproc', '2'
    ],
                          cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=REPO),
                          capture_output=True,
                          text=True)


def test_checker_tool(shapes):
    ok = run_tool(shapes, 'val')
    assert ok.returncode == 0, ok.stderr
    assert (f'{ann_path(shapes, "val")}: 3 images, JSON, images and PNGs '
            'agree' in ok.stdout)
    os.remove(osp.join(shapes, 'val2017', '000000000001.jpg'))
    bad = run_tool(shapes, 'val')
    assert bad.returncode == 1
    assert 'image 1: image ' in bad.stderr and 'does not exist' in bad.stderr

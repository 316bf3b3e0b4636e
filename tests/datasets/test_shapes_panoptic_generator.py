import hashlib
import json
import os
import os.path as osp
import re

import mmcv
import numpy as np
import pycocotools.mask as mask_utils
import pytest
from panopticapi.utils import rgb2id

from mmrefine.datasets import generate_shapes_panoptic
from mmrefine.datasets.shapes_panoptic_generator import (STUFF_CLASSES,
                                                         THING_CLASSES)


def load(root, split):
    with open(osp.join(root, 'annotations',
                       f'panoptic_{split}2017.json')) as f:
        pan = json.load(f)
    with open(osp.join(root, 'annotations',
                       f'instances_{split}2017.json')) as f:
        ins = json.load(f)
    return pan, ins


def id_map(root, split, ann):
    png = osp.join(root, 'annotations', f'panoptic_{split}2017',
                   ann['file_name'])
    return rgb2id(mmcv.imread(png, channel_order='rgb'))


@pytest.mark.parametrize('split', ['train', 'val'])
def test_png_and_json_agree(tiny_shapes, split):
    pan, ins = load(tiny_shapes, split)
    cats = {c['id']: c for c in pan['categories']}
    assert [c['name']
            for c in pan['categories']] == list(THING_CLASSES + STUFF_CLASSES)
    assert len(pan['images']) == len(pan['annotations']) > 0
    ins_by_image = {}
    for a in ins['annotations']:
        ins_by_image.setdefault(a['image_id'], []).append(a)
    for image, ann in zip(pan['images'], pan['annotations']):
        assert image['id'] == ann['image_id']
        jpg = mmcv.imread(
            osp.join(tiny_shapes, f'{split}2017', image['file_name']))
        assert jpg.shape == (image['height'], image['width'], 3)
        ids = id_map(tiny_shapes, split, ann)
        assert ids.shape == jpg.shape[:2]
        seg_ids = [s['id'] for s in ann['segments_info']]
        # every id in the PNG has a segment and vice versa (0 = void)
        assert set(np.unique(ids)) - {0} == set(seg_ids)
        assert len(seg_ids) == len(set(seg_ids))
        for seg in ann['segments_info']:
            mask = ids == seg['id']
            assert seg['area'] == mask.sum()
            ys, xs = np.nonzero(mask)
            assert seg['bbox'] == [
                xs.min(),
                ys.min(),
                xs.max() - xs.min() + 1,
                ys.max() - ys.min() + 1
            ]
            assert seg['category_id'] in cats
        # one stuff segment per stuff class, as in COCO
        stuff = [
            s['category_id'] for s in ann['segments_info']
            if not cats[s['category_id']]['isthing']
        ]
        assert len(stuff) == len(set(stuff))
        # instances json: the same visible masks, things only
        things = [
            s for s in ann['segments_info']
            if cats[s['category_id']]['isthing']
        ]
        inst = ins_by_image.get(image['id'], [])
        assert len(inst) == len(things)
        for seg, a in zip(things, inst):
            assert (mask_utils.decode(
                a['segmentation']).astype(bool) == (ids == seg['id'])).all()
            assert a['area'] == seg['area'] and a['bbox'] == seg['bbox']


def test_depth_order_consistent_with_visibility(tiny_shapes):
    pan, _ = load(tiny_shapes, 'train')
    cats = {c['id']: c for c in pan['categories']}
    num_occlusions = 0
    for ann in pan['annotations']:
        things = [
            s['id'] for s in ann['segments_info']
            if cats[s['category_id']]['isthing']
        ]
        assert sorted(ann['depth_order']) == sorted(things)
        rank = {seg_id: k for k, seg_id in enumerate(ann['depth_order'])}
        ids = id_map(tiny_shapes, 'train', ann)
        for top, bottom, overlap in ann['occlusions']:
            num_occlusions += 1
            assert rank[top] > rank[bottom] and overlap > 0
            # nothing is occluded away entirely (min_visible)
            assert (ids == top).any() and (ids == bottom).any()
    assert num_occlusions > 0, 'occlusion_rate=0.7 must produce occlusions'


def test_amodal_masks(tiny_shapes):
    """Each thing's full mask contains its visible one; the visible mask is
    the full one less the full masks of the things in front; an occlusion's
    overlap_px is the area of the two full masks' intersection."""
    pan, _ = load(tiny_shapes, 'val')
    cats = {c['id']: c for c in pan['categories']}
    hidden_px = 0
    for ann in pan['annotations']:
        ids = id_map(tiny_shapes, 'val', ann)
        amodal = {}
        for seg in ann['segments_info']:
            if not cats[seg['category_id']]['isthing']:
                assert 'amodal_segmentation' not in seg
                continue
            full = mask_utils.decode(seg['amodal_segmentation']).astype(bool)
            assert full.shape == ids.shape
            vis = ids == seg['id']
            assert (full | vis).sum() == full.sum(
            ), 'the full mask contains the visible one'
            hidden_px += (full & ~vis).sum()
            amodal[seg['id']] = full
        for k, seg_id in enumerate(ann['depth_order']):
            in_front = np.zeros(ids.shape, bool)
            for other in ann['depth_order'][k + 1:]:
                in_front |= amodal[other]
            assert ((ids == seg_id) == (amodal[seg_id] & ~in_front)).all()
        pairs = {(a, b)
                 for a in amodal
                 for b in amodal if a != b and (amodal[a] & amodal[b]).any()}
        listed = set()
        for top, bottom, overlap in ann['occlusions']:
            assert overlap == (amodal[top] & amodal[bottom]).sum()
            listed |= {(top, bottom), (bottom, top)}
        assert listed == pairs, 'every overlapping pair is listed, once'
    assert hidden_px > 0, 'occlusion_rate=0.7 must hide some pixels'


def test_occluder_owns_the_overlap():
    """With two instances, the overlap belongs to the upper one."""
    import tempfile
    with tempfile.TemporaryDirectory() as root:
        generate_shapes_panoptic(
            root,
            num_train=12,
            num_val=0,
            img_size=(64, 64),
            min_instances=2,
            max_instances=2,
            occlusion_rate=1.0,
            size_range=(0.2, 0.3),
            seed=1)
        pan, _ = load(root, 'train')
        checked = 0
        for ann in pan['annotations']:
            if len(ann['depth_order']) != 2 or not ann['occlusions']:
                continue
            bottom, top = ann['depth_order']
            (occ_top, occ_bottom, overlap), = ann['occlusions']
            assert (occ_top, occ_bottom) == (top, bottom)
            ids = id_map(root, 'train', ann)
            areas = {s['id']: s['area'] for s in ann['segments_info']}
            # the occluder is painted entirely; its visible area includes the
            # overlap, the occluded one lost it
            assert areas[top] >= overlap
            assert (ids == top).sum() == areas[top]
            checked += 1
        assert checked > 0


def digest(root):
    h = hashlib.sha256()
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            with open(osp.join(dirpath, name), 'rb') as f:
                h.update(name.encode() + f.read())
    return h.hexdigest()


def test_deterministic_for_a_seed(tmp_path):
    kw = dict(num_train=3, num_val=2, img_size=(64, 80), seed=7)
    generate_shapes_panoptic(str(tmp_path / 'a'), **kw)
    generate_shapes_panoptic(str(tmp_path / 'b'), **kw)
    generate_shapes_panoptic(str(tmp_path / 'c'), **dict(kw, seed=8))
    assert digest(tmp_path / 'a') == digest(tmp_path / 'b')
    assert digest(tmp_path / 'a') != digest(tmp_path / 'c')


def test_occlusion_rate_controls_overlaps(tmp_path):

    def occlusions(rate, name):
        generate_shapes_panoptic(
            str(tmp_path / name),
            num_train=20,
            num_val=0,
            img_size=(96, 96),
            min_instances=3,
            max_instances=3,
            occlusion_rate=rate,
            seed=0)
        pan, _ = load(str(tmp_path / name), 'train')
        return sum(len(a['occlusions']) for a in pan['annotations'])

    assert occlusions(0.0, 'none') == 0
    assert occlusions(1.0, 'all') >= 20


def test_class_subset(tmp_path):
    generate_shapes_panoptic(
        str(tmp_path),
        num_train=2,
        num_val=0,
        img_size=(64, 64),
        thing_classes=('star', ),
        stuff_classes=('checker', 'stripes'))
    pan, _ = load(str(tmp_path), 'train')
    assert [c['name']
            for c in pan['categories']] == ['star', 'checker', 'stripes']
    used = {
        s['category_id']
        for a in pan['annotations']
        for s in a['segments_info']
    }
    assert used <= {c['id'] for c in pan['categories']}


@pytest.mark.parametrize('params, message', [
    (dict(num_train=-1), 'num_train=-1'),
    (dict(num_train=0, num_val=0), 'num_train'),
    (dict(img_size=(16, 64)), 'img_size=(16, 64)'),
    (dict(min_instances=3, max_instances=2), 'max_instances=2'),
    (dict(occlusion_rate=1.5), 'occlusion_rate=1.5'),
    (dict(min_visible=0), 'min_visible=0'),
    (dict(size_range=(0.3, 0.1)), 'size_range=(0.3, 0.1)'),
    (dict(thing_classes=('hexagon', )), "'hexagon'"),
    (dict(stuff_classes=()), 'stuff_classes'),
    (dict(num_images=5), "unknown parameter(s) ['num_images']"),
])
def test_bad_parameters(tmp_path, params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        generate_shapes_panoptic(str(tmp_path), **params)
    assert not os.listdir(
        tmp_path), 'nothing is written for invalid parameters'


def test_refuses_a_non_empty_directory(tmp_path):
    out = tmp_path / 'data'
    out.mkdir()
    (out / 'other.txt').write_text('another data set')
    with pytest.raises(
            ValueError,
            match=re.escape(f'output directory {out} is not empty (1 entries: '
                            "['other.txt'])")):
        generate_shapes_panoptic(
            str(out), num_train=1, num_val=0, img_size=(64, 64))
    assert os.listdir(out) == ['other.txt']
    assert os.listdir(tmp_path) == ['data'], 'no temporary directory left'


def test_overwrite_replaces_the_whole_directory(tmp_path):
    out = tmp_path / 'shapes'
    generate_shapes_panoptic(
        str(out), num_train=3, num_val=1, img_size=(64, 64))
    (out / 'train2017' / 'stale.jpg').write_bytes(b'old')
    generate_shapes_panoptic(
        str(out), overwrite=True, num_train=1, num_val=1, img_size=(64, 64))
    assert sorted(os.listdir(out / 'train2017')) == ['000000000001.jpg']
    assert sorted(os.listdir(tmp_path)) == ['shapes'
                                            ], 'no temporary directory left'
    assert oct(os.stat(out).st_mode
               & 0o777) != oct(0o700), 'usual permissions, not mkdtemp\'s'


def test_killed_regeneration_leaves_the_old_set(tmp_path):
    """kill -9 part way through a regeneration: the old set is untouched."""
    import signal
    import subprocess
    import sys
    import time
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    out = tmp_path / 'shapes'
    generate_shapes_panoptic(
        str(out), num_train=4, num_val=2, img_size=(64, 64))
    before = digest(out)
    proc = subprocess.Popen([
        sys.executable, 'tools/dataset_converters/create_shapes_panoptic.py',
        str(out), '--overwrite', '--num-train', '400', '--num-val', '0',
        '--img-size', '64', '64'
    ],
                            cwd=repo,
                            env=dict(os.environ, PYTHONPATH=repo))
    deadline = time.time() + 120
    written = 0
    while written < 20 and proc.poll() is None and time.time() < deadline:
        tmp = [d for d in os.listdir(tmp_path) if d.startswith('.shapes.tmp-')]
        if tmp:
            img_dir = tmp_path / tmp[0] / 'train2017'
            written = len(os.listdir(img_dir)) if img_dir.is_dir() else 0
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 20 <= written < 400, f'killed after {written} of 400 images'
    assert digest(out) == before

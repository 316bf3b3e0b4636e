"""Shared fixtures and helpers: a tiny generated shapes data set, configs
derived from the repository's configs that point at it, randomly initialised
detectors with mmdet's demo inputs (``from conftest import build_detector,
demo_inputs``), ``leaf_copy`` for moving inputs between devices, and the
``cuda`` marker's skip without a GPU."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BASELINE_CONFIG = osp.join(REPO, 'configs', 'panoptic_fpn',
                           'panoptic-fpn_r18_fpn_shapes.py')
TINY_DATA = dict(
    num_train=6,
    num_val=3,
    img_size=(96, 96),
    min_instances=2,
    max_instances=4,
    occlusion_rate=0.7,
    seed=3)


def leaf_copy(tensor, device=None, dtype=None):
    """A new leaf that requires grad, holding ``tensor``'s values on
    ``device`` as ``dtype`` (each default: unchanged).

    ``tensor.to(device, dtype).requires_grad_()`` is not that:
    ``.to`` returns ``tensor`` itself when neither changes (so
    ``requires_grad_`` changes the source), and a copy of a tensor that
    requires grad is a non-leaf whose ``.grad`` stays None.
    """
    return tensor.detach().to(
        device=device, dtype=dtype, copy=True).requires_grad_()


@pytest.fixture(name='leaf_copy', scope='session')
def leaf_copy_fixture():
    """:func:`leaf_copy` as a fixture: ``leaf_copy(tensor, device, dtype)``."""
    return leaf_copy


def pytest_collection_modifyitems(config, items):
    """Tests marked ``cuda`` skip, with the reason, where CUDA is not
    available; ``pytest -m cuda`` runs them all on a GPU machine."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(
        reason='needs a CUDA GPU (torch.cuda.is_available() is False)')
    for item in items:
        if item.get_closest_marker('cuda') is not None:
            item.add_marker(skip)


@pytest.fixture(scope='session', autouse=True)
def mmdet_default_scope():
    """Build configs in mmdet's scope, as its Runner does."""
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=True)


def build_detector(config, max_per_img=8, **model_overrides):
    """A detector of a repository config with ``model_overrides`` merged in,
    randomly initialised with seed 0. Random weights detect nothing above
    the stock score thresholds, so every box is kept (up to
    ``max_per_img``) for the heads after the box head to run."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(dict(model=model_overrides))
    # random weights throughout: the shapes-pretrained backbone takes minutes
    # to train and its loading has its own tests
    cfg.model.backbone.init_cfg = None
    cfg.model.test_cfg.rcnn.score_thr = 0.0
    cfg.model.test_cfg.rcnn.max_per_img = max_per_img
    if 'score_thr' in cfg.model.test_cfg.get('panoptic', {}):
        cfg.model.test_cfg.panoptic.score_thr = 0.0
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def demo_inputs(model,
                num_items=(4, 0),
                training=True,
                num_classes=7,
                shapes=((3, 96, 128), (3, 128, 96))):
    """mmdet's ``demo_mm_inputs`` for two images, preprocessed by
    ``model``, with random all-class semantic labels in ``[0,
    num_classes)`` and 255 (ignored)."""
    import torch
    from mmdet.testing import demo_mm_inputs
    packed = demo_mm_inputs(
        len(shapes), [list(s) for s in shapes],
        num_items=list(num_items),
        num_classes=4,
        with_mask=True,
        with_semantic=True)
    gen = torch.Generator().manual_seed(0)
    for sample in packed['data_samples']:
        sem = sample.gt_sem_seg.sem_seg
        labels = torch.randint(0, num_classes + 1, sem.shape, generator=gen)
        sample.gt_sem_seg.sem_seg = torch.where(labels == num_classes, 255,
                                                labels).to(torch.uint8)
    return model.data_preprocessor(packed, training)


def check_panoptic_dump(path, data_root, num_classes):
    """Check what ``tools/test.py --out path`` dumped on the tiny val split:
    one prediction per val image, at its original size, with valid panoptic
    ids (``label + k * 1000`` with ``label < num_classes``, or void), and at
    least one non-void segment in the split. Fails on a pipeline that drops
    images, predicts at the wrong size or writes only void."""
    import json

    import mmengine
    import numpy as np
    with open(osp.join(data_root, 'annotations',
                       'panoptic_val2017.json')) as f:
        images = {img['id']: img for img in json.load(f)['images']}
    results = mmengine.load(path)
    assert sorted(r['img_id'] for r in results) == sorted(images)
    non_void = 0
    for result in results:
        pan = np.asarray(result['pred_panoptic_seg']['sem_seg'])[0]
        img = images[result['img_id']]
        assert pan.shape == (img['height'], img['width'])
        labels = pan % 1000
        assert ((labels < num_classes) | (pan == num_classes)).all()
        non_void += int((pan != num_classes).sum())
    assert non_void > 0


def panopticapi_pq(path, data_root, out_dir):
    """PQ (%) of what ``tools/test.py --out path`` dumped on the val split
    of ``data_root``, computed by panopticapi's ``pq_compute`` from PNGs
    written here: a check of mmdet's metric that shares none of its code
    after the dump. Labels map to category ids in the data set's order
    (things, then stuff, as mmdet's class list); void is ``num_classes``."""
    import json

    import mmcv
    import mmengine
    import numpy as np
    from panopticapi.evaluation import pq_compute
    from panopticapi.utils import id2rgb
    gt_json = osp.join(data_root, 'annotations', 'panoptic_val2017.json')
    with open(gt_json) as f:
        gt = json.load(f)
    categories = sorted(gt['categories'], key=lambda c: not c['isthing'])
    label2cat = [c['id'] for c in categories]
    file_names = {a['image_id']: a['file_name'] for a in gt['annotations']}
    png_dir = osp.join(out_dir, 'panoptic')
    os.makedirs(png_dir, exist_ok=True)
    annotations = []
    for result in mmengine.load(path):
        pan = np.asarray(result['pred_panoptic_seg']['sem_seg'])[0]
        pan = np.where(pan % 1000 == len(label2cat), 0, pan + 1)
        segments = [
            dict(id=int(i), category_id=label2cat[(int(i) - 1) % 1000])
            for i in np.unique(pan) if i
        ]
        name = file_names[result['img_id']]
        mmcv.imwrite(id2rgb(pan)[..., ::-1], osp.join(png_dir, name))
        annotations.append(
            dict(
                image_id=result['img_id'],
                file_name=name,
                segments_info=segments))
    pred_json = osp.join(out_dir, 'panoptic.json')
    with open(pred_json, 'w') as f:
        json.dump(dict(annotations=annotations), f)
    pq = pq_compute(gt_json, pred_json,
                    osp.join(data_root, 'annotations', 'panoptic_val2017'),
                    png_dir)
    return 100 * pq['All']['pq']


@pytest.fixture(scope='session')
def tiny_shapes(tmp_path_factory):
    """A tiny shapes data set, written once per test session."""
    from mmrefine.datasets import generate_shapes_panoptic
    root = str(tmp_path_factory.mktemp('shapes'))
    generate_shapes_panoptic(root, **TINY_DATA)
    return root


def write_tiny_config(path, base, data_root, max_iters=4):
    """A config inheriting ``base`` that trains ``max_iters`` steps on
    ``data_root`` with 96 x 96 images and in-process data loading."""
    text = f"""
_base_ = {base!r}
data_root = {data_root + '/'!r}
img_scale = (96, 96)
max_iters = {max_iters}
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(**loader, dataset=dict(
    data_root=data_root, generator=None, pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='LoadPanopticAnnotations'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')]))
val_dataloader = dict(**loader, dataset=dict(
    data_root=data_root, generator=None, pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadPanopticAnnotations'),
    dict(type='PackDetInputs', meta_keys=(
        'img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))]))
test_dataloader = val_dataloader
ann = dict(ann_file=data_root + 'annotations/panoptic_val2017.json',
           seg_prefix=data_root + 'annotations/panoptic_val2017/')
val_evaluator = [dict(type='CocoPanopticMetric', **ann, nproc=2),
                 dict(type='OcclusionAccuracyMetric', **ann)]
test_evaluator = val_evaluator
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=1))
# the shapes-pretrained backbone takes minutes to train; its loading is
# tested in tests/utils/test_shapes_pretrained_backbone.py
model = dict(backbone=dict(init_cfg=None))
"""
    with open(path, 'w') as f:
        f.write(text)
    return str(path)


@pytest.fixture(scope='session')
def tiny_config(tiny_shapes, tmp_path_factory):
    """Factory: ``tiny_config(max_iters, base=BASELINE_CONFIG)`` -> config
    path."""

    def make(max_iters, base=BASELINE_CONFIG):
        path = tmp_path_factory.mktemp('config') / 'tiny.py'
        return write_tiny_config(path, base, tiny_shapes, max_iters)

    return make


@pytest.fixture(scope='session')
def run_cmd():
    """``run_cmd(cmd, cwd=REPO, env=None)`` -> output; fails the test with
    the output if the command fails."""
    return run


def run(cmd, cwd=REPO, timeout=900, env=None):
    """Run a command, failing the test with its output if it fails."""
    # scripts such as dist_train.sh call `python`: make it this interpreter
    path = osp.dirname(sys.executable) + os.pathsep + os.environ.get(
        'PATH', '')
    full_env = dict(
        os.environ,
        PATH=path,
        PYTHONUNBUFFERED='1',
        OMP_NUM_THREADS='1',
        **(env or {}))
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(
            f'command failed ({proc.returncode}): {" ".join(map(str, cmd))}\n'
            f'{proc.stdout[-6000:]}')
    return proc.stdout

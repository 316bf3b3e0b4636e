"""COCO-scale smoke: each COCO config trains one iteration and predicts one
image on a generated COCO-shaped panoptic set, on the CPU.

The set (``--data-root``, written when empty) has COCO panoptic's 133
categories with their ids and names and COCO-size images (480 x 640): two
training images and one validation image. Each config runs as
``tools/train.py`` / ``tools/test.py`` would run it (mmengine's Runner, the
config's own pipelines, resize to 1333 x 800 and its multi-scale training
where it has one, its batch size and optimizer), changed only to read that
set in the main process, train one epoch (one iteration: two images at
batch 2), save no checkpoint, and start from random weights: the backbone's
``init_cfg`` and ``load_from`` are dropped, so nothing is downloaded (what
the checkpoints load is tested by ``tests/configs/test_pretrained_init.py``).
Prediction is ``Runner.test()`` on the validation image with the config's
test evaluator (``CocoPanopticMetric``).

Prints, per config, the wall and CPU seconds (this process, all threads) of
the training iteration, the Runner's build included, and of the prediction
with its evaluation, and writes them to ``<work-dir>/smoke_coco.json`` after
each config. A config already in that file is skipped, so a killed run
continues where it stopped; delete the file to measure again. On a busy
machine the CPU seconds are the comparable figure. Threads:
``OMP_NUM_THREADS``.

Example (every COCO config, as ``make smoke-coco``)::

    OMP_NUM_THREADS=1 python tools/analysis_tools/smoke_coco.py \\
        configs/*/*_coco.py --work-dir work_dirs/smoke_coco
"""
import argparse
import json
import os
import os.path as osp
import time

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmrefine.datasets import (coco_panoptic_categories,
                               generate_shapes_panoptic)

COCO_SHAPED = dict(
    num_train=2,
    num_val=1,
    img_size=(480, 640),
    min_instances=4,
    max_instances=8,
    seed=0)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('configs', nargs='+', help='COCO config files')
    p.add_argument('--work-dir', default='work_dirs/smoke_coco')
    p.add_argument(
        '--data-root',
        help='the COCO-shaped set; written when '
        'missing (default: <work-dir>/data)')
    return p.parse_args()


def smoke_config(path, data_root, work_dir):
    """``path`` changed to train one iteration on ``data_root`` and to
    predict its validation image, from random weights."""
    cfg = Config.fromfile(path)
    if not cfg.get('train_dataloader'):
        raise ValueError(f'{path}: no train_dataloader, not a COCO config')
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.splitext(osp.basename(path))[0]
    cfg.load_from = None
    cfg.resume = False
    cfg.model.backbone.init_cfg = None
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        loader.update(num_workers=0, persistent_workers=False)
        loader.dataset.data_root = data_root
    cfg.val_dataloader = cfg.val_evaluator = None
    cfg.val_cfg = None
    cfg.test_evaluator.update(
        ann_file=osp.join(data_root, 'annotations', 'panoptic_val2017.json'),
        seg_prefix=osp.join(data_root, 'annotations', 'panoptic_val2017'),
        nproc=1)
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
    cfg.default_hooks.checkpoint = None
    return cfg


def clock():
    return time.perf_counter(), time.process_time()


def since(start):
    """(wall, CPU) seconds since ``start = clock()``."""
    return tuple(round(now - then, 1) for now, then in zip(clock(), start))


def run(path, data_root, work_dir):
    """(wall, CPU) seconds of the training iteration and of the
    prediction."""
    cfg = smoke_config(path, data_root, work_dir)
    start = clock()
    runner = Runner.from_cfg(cfg)
    runner.train()
    if runner.iter != 1:
        raise RuntimeError(
            f'{path}: trained {runner.iter} iterations, expected 1 (the set '
            f'has {COCO_SHAPED["num_train"]} training images, the batch size '
            f'is {cfg.train_dataloader.batch_size})')
    train = since(start)
    start = clock()
    metrics = runner.test()
    if 'coco_panoptic/PQ' not in metrics:
        raise RuntimeError(f'{path}: no PQ in {metrics}')
    return train, since(start)


def main():
    args = parse_args()
    data_root = args.data_root or osp.join(args.work_dir, 'data')
    if not osp.isdir(osp.join(data_root, 'annotations')):
        generate_shapes_panoptic(
            data_root, categories=coco_panoptic_categories(), **COCO_SHAPED)
    data_root = osp.abspath(data_root) + os.sep
    out = osp.join(args.work_dir, 'smoke_coco.json')
    results = {}
    if osp.exists(out):
        with open(out) as f:
            results = json.load(f)
    names = [osp.splitext(osp.basename(path))[0] for path in args.configs]
    for path, name in zip(args.configs, names):
        if name in results:
            print(f'smoke {name}: already in {out}, skipped', flush=True)
            continue
        (train_s, train_cpu), (test_s,
                               test_cpu) = run(path, data_root,
                                               osp.join(args.work_dir, name))
        results[name] = dict(
            train_s=train_s,
            train_cpu_s=train_cpu,
            test_s=test_s,
            test_cpu_s=test_cpu,
            threads=torch.get_num_threads())
        with open(out, 'w') as f:
            json.dump(results, f, indent=2)
        print(
            f'smoke {name}: train {train_s} s ({train_cpu} s CPU), '
            f'predict {test_s} s ({test_cpu} s CPU)',
            flush=True)
    print('\n| Config | train 1 iter: wall / CPU (s) | '
          'predict 1 image: wall / CPU (s) |\n| --- | --- | --- |')
    for name in names:
        r = results[name]
        print(f'| {name} | {r["train_s"]} / {r["train_cpu_s"]} | '
              f'{r["test_s"]} / {r["test_cpu_s"]} |')


if __name__ == '__main__':
    main()

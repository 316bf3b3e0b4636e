"""The main job on the synthetic "shapes" data set, end to end.

1. writes the data set to the config's ``data_root`` if it is not there;
2. trains the config (resuming if a checkpoint is already in the work dir);
3. evaluates PQ / SQ / RQ (things and stuff) with mmdet's CocoPanopticMetric;
4. saves ``<work_dir>/demo.png``: image | ground truth | prediction, drawn
   with mmdet's DetLocalVisualizer.

Example::

    python tools/shapes_demo.py configs/refine/refine_r18_fpn_shapes.py
"""
import argparse
import json
import os.path as osp

import mmcv
import numpy as np
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmengine.config import Config, DictAction
from mmengine.runner import Runner
from mmengine.structures import PixelData
from panopticapi.utils import rgb2id

from mmrefine.datasets import generate_shapes_panoptic
from mmrefine.engine import (find_latest_loadable_checkpoint,
                             setup_reliable_runtime)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--data-seed',
        type=int,
        default=0,
        help='seed of the data set, if it has to be generated')
    parser.add_argument(
        '--image-index',
        type=int,
        default=0,
        help='index of the val image to draw')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def gt_panoptic(dataset, index):
    """The ground truth of a val image as mmdet's panoptic id map."""
    info = dataset.get_data_info(index)
    ids = rgb2id(mmcv.imread(info['seg_map_path'], channel_order='rgb'))
    pan = np.full(ids.shape, len(dataset.metainfo['classes']),
                  np.int64)  # void
    for k, seg in enumerate(info['segments_info']):
        pan[ids == seg['id']] = seg['category'] + (
            k + 1) * INSTANCE_OFFSET * seg['is_thing']
    return pan


def draw(runner, path, index):
    dataset = runner.test_dataloader.dataset
    batch = runner.test_dataloader.collate_fn([dataset[index]])
    runner.model.eval()
    with torch.no_grad():
        sample = runner.model.test_step(batch)[0]
    # the visualizer reads a ground-truth map as numpy (predictions as tensors)
    sample.gt_panoptic_seg = PixelData(
        sem_seg=gt_panoptic(dataset, index)[None])
    image = mmcv.imread(sample.img_path, channel_order='rgb')
    void = len(dataset.metainfo['classes'])
    if (sample.pred_panoptic_seg.sem_seg == void).all():
        # mmdet's visualizer cannot draw a map without segments
        print(f'the prediction of val image {index} is all void')
        del sample.pred_panoptic_seg
    visualizer = runner.visualizer
    visualizer.dataset_meta = dataset.metainfo
    visualizer.add_datasample(
        'demo', image, sample, draw_gt=True, draw_pred=True, show=False)
    mmcv.imwrite(
        np.concatenate([image, visualizer.get_image()], 1)[..., ::-1], path)


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir
    # evaluate once, after training, with the test loop (the same val split):
    # mmengine's loop would otherwise also validate at the last iteration
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.resume = True
    cfg.load_from = find_latest_loadable_checkpoint(cfg.work_dir)
    setup_reliable_runtime(cfg)

    data_root = cfg.test_dataloader.dataset.data_root
    if not osp.exists(
            osp.join(data_root, 'annotations', 'panoptic_val2017.json')):
        print(f'generating the shapes data set in {data_root}')
        generate_shapes_panoptic(data_root, seed=args.data_seed)

    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()

    print('\nPQ on the shapes val split (mmdet CocoPanopticMetric)')
    print(f'{"":8s}{"PQ":>8s}{"SQ":>8s}{"RQ":>8s}')
    for split in ('', '_th', '_st'):
        row = [
            metrics[f'coco_panoptic/{k}{split}'] for k in ('PQ', 'SQ', 'RQ')
        ]
        print(f'{split[1:] or "all":8s}' + ''.join(f'{v:8.1f}' for v in row))
    if 'occlusion/occ_acc' in metrics:
        print(f'occlusion accuracy {metrics["occlusion/occ_acc"]:.1f} % on '
              f'the {metrics["occlusion/occ_pairs"]} judged of '
              f'{metrics["occlusion/occ_pairs_total"]} overlapping pairs')
    picture = osp.join(cfg.work_dir, 'demo.png')
    draw(runner, picture, args.image_index)
    with open(osp.join(cfg.work_dir, 'demo_metrics.json'), 'w') as f:
        json.dump(metrics, f, indent=1)
    print(f'picture (image | ground truth | prediction): {picture}')


if __name__ == '__main__':
    main()

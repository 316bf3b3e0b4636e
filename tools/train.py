"""Train a detector (mmdet's tools/train.py, plus CPU-distributed support)."""
import argparse
import os
import os.path as osp

from mmdet.utils import setup_cache_size_limit_of_dynamo
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmrefine.engine import (find_latest_loadable_checkpoint,
                             setup_cpu_distributed, setup_reliable_runtime)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='enable automatically scaling LR')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or, without a value, from '
        'the newest checkpoint in the work directory that loads')
    parser.add_argument(
        '--partial-load',
        action='store_true',
        help='accept a load_from checkpoint with missing or unexpected keys '
        'or other shapes (listed as a warning); refused by default')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, in xxx=yyy format')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2.0)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    setup_cache_size_limit_of_dynamo()

    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    # work_dir: CLI > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise RuntimeError(
                '--auto-scale-lr needs "auto_scale_lr.base_batch_size" '
                f'in the config {args.config}')
        cfg.auto_scale_lr.enable = True

    # resume: a given checkpoint > the newest one in work_dir that loads
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = find_latest_loadable_checkpoint(cfg.work_dir)
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    setup_reliable_runtime(cfg, allow_partial_load=args.partial_load)
    setup_cpu_distributed(cfg)
    runner = Runner.from_cfg(
        cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    main()

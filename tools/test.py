"""Test (and evaluate) a detector: mmdet's tools/test.py, plus CPU-distributed
support and ``--metrics-out`` (the metrics as a JSON file). Test-time
augmentation is not offered (neither paper uses it)."""
import argparse
import json
import os
import os.path as osp

from mmdet.engine.hooks.utils import trigger_visualization_hook
from mmdet.evaluation import DumpDetResults
from mmdet.registry import RUNNERS
from mmdet.utils import setup_cache_size_limit_of_dynamo
from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.runner import Runner

from mmrefine.engine import setup_cpu_distributed, setup_reliable_runtime


def parse_args():
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a detector')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where the metrics file is saved')
    parser.add_argument('--out', help='dump predictions to a .pkl file')
    parser.add_argument(
        '--metrics-out', help='write the metrics to a .json file')
    parser.add_argument('--show', action='store_true', help='show predictions')
    parser.add_argument(
        '--show-dir',
        help='save painted images under work_dir/<time>/SHOW_DIR')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, in xxx=yyy format')
    parser.add_argument(
        '--partial-load',
        action='store_true',
        help='accept a checkpoint with missing or unexpected keys or '
        'other shapes (listed as a warning); refused by default')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
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
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)

    setup_reliable_runtime(cfg, allow_partial_load=args.partial_load)
    setup_cpu_distributed(cfg)
    runner = Runner.from_cfg(
        cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError(
                f'--out {args.out}: expected a .pkl or .pickle file')
        runner.test_evaluator.metrics.append(
            DumpDetResults(out_file_path=args.out))
    metrics = runner.test()
    if args.metrics_out is not None and is_main_process():
        with open(args.metrics_out, 'w') as f:
            # numpy scalars (a metric's counts) as numbers
            json.dump(metrics, f, indent=1, default=lambda v: v.item())


if __name__ == '__main__':
    main()

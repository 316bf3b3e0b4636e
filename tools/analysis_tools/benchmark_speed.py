"""Images per second of several models, measured in one run.

Each ``CONFIG[:CHECKPOINT]`` is built with mmengine's Runner (as tools/test.py
builds it; without a checkpoint the weights are the modules' random
initialisation, so the number of detections, and with it the cost of the
mask head and the fusion, is not that of a trained model). Then, interleaved
round-robin (one image per model in turn, the order rotated each round) so
that whatever else the machine does slows every model alike:

- inference: ``model.test_step`` on the test data loader's images, batch size
  1, ``--warmup`` untimed rounds, then ``--num-images`` timed ones;
- with ``--train``, training: ``model.train_step`` with the config's
  optimizer wrapper on the train data loader's batches (the config's batch
  size), ``--train-warmup`` untimed steps, then ``--train-iters`` timed ones.
  This updates the weights: inference is measured first.

Only the step is timed (CUDA synchronised around it): data loading runs in the
main process (``num_workers=0``), outside the timed region, so loader workers
do not compete with the models for the CPU. Prints, per model, images per
second, the ratio to the first model and the detections per image its RoI
head kept (what the mask head and the fusion worked on); writes them, with
the machine and the ``--cfg-options``, to
``<work-dir>/benchmark_speed.json``. Threads: set ``OMP_NUM_THREADS``.

Why not mmdet's ``InferenceBenchmark`` (``mmdet/utils/benchmark.py``): it
moves its one model to CUDA and synchronises CUDA unconditionally, so it does
not run on a CPU; it times one model per run, so two runs on a shared machine
give no ratio; and it has no training step. This script keeps its
conventions (warm-up rounds, batch size 1, data loading outside the timed
step) for several models interleaved in one run.

``--device`` puts every model on that device (default: mmengine's choice,
CUDA when available). On CUDA it also reports each model's peak memory, as if
it ran alone: its resident tensors (parameters, buffers and, in training, the
optimizer state) plus the most memory a step of it allocated beyond what was
allocated when the step began (``torch.cuda.max_memory_allocated``), so the
other models held on the same device do not count.

Example 1: REFINE and BANet against the stock PanopticFPN baseline on the
shapes val split, each trained first with ``python tools/train.py CONFIG``
(which writes ``work_dirs/<config name>/iter_2000.pth``)::

    P=panoptic-fpn_r18_fpn_shapes R=refine_r18_fpn_shapes
    B=banet_r18_fpn_shapes
    OMP_NUM_THREADS=2 python tools/analysis_tools/benchmark_speed.py \\
        configs/panoptic_fpn/$P.py:work_dirs/$P/iter_2000.pth \\
        configs/refine/$R.py:work_dirs/$R/iter_2000.pth \\
        configs/banet/$B.py:work_dirs/$B/iter_2000.pth \\
        --num-images 100 --train --train-iters 20

Example 2: the COCO R-50 models at 800 x 1333 on a GPU, random weights, on a
shapes data set written at that size (COCO's pipelines, 2 images per training
step)::

    python tools/dataset_converters/create_shapes_panoptic.py /tmp/shapes800 \\
        --num-train 8 --num-val 8 --img-size 800 1333 --min-instances 4 \\
        --max-instances 10
    python tools/analysis_tools/benchmark_speed.py \\
        configs/panoptic_fpn/panoptic-fpn_r50_fpn_1x_coco.py \\
        configs/refine/refine_r50_fpn_gn-all_2x_coco.py \\
        configs/banet/banet_r50_fpn_1x_coco.py --device cuda --train \\
        --cfg-options train_dataloader.dataset.type=ShapesPanopticDataset \\
        train_dataloader.dataset.data_root=/tmp/shapes800/ \\
        test_dataloader.dataset.type=ShapesPanopticDataset \\
        test_dataloader.dataset.data_root=/tmp/shapes800/
"""
import argparse
import json
import os
import os.path as osp
import re
import time
from typing import Iterator, List, NamedTuple, Optional, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmrefine.utils import machine_info

SPEC = re.compile(r'^(?P<config>.+?\.py)(?::(?P<checkpoint>.+))?$')


class ModelSpec(NamedTuple):
    config: str
    checkpoint: Optional[str]  # None: random weights


def parse_spec(spec: str) -> ModelSpec:
    """``CONFIG.py[:CHECKPOINT]`` -> ModelSpec; the config may be
    ``mmdet::...``, the checkpoint a path or a URL."""
    match = SPEC.match(spec)
    if match is None:
        raise ValueError(
            f'model {spec!r}: expected CONFIG.py or CONFIG.py:CHECKPOINT')
    config, checkpoint = match['config'], match['checkpoint']
    if '::' not in config and not osp.isfile(config):
        raise ValueError(f'model {spec!r}: config {config!r} is not a file')
    if checkpoint is not None and '://' not in checkpoint and not osp.isfile(
            checkpoint):
        raise ValueError(
            f'model {spec!r}: checkpoint {checkpoint!r} is not a file')
    return ModelSpec(config, checkpoint)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'models',
        nargs='+',
        metavar='CONFIG[:CHECKPOINT]',
        help='the first is the reference of the ratios')
    parser.add_argument(
        '--num-images',
        type=int,
        default=50,
        help='timed inference images per model')
    parser.add_argument(
        '--warmup',
        type=int,
        default=5,
        help='untimed inference images per model first')
    parser.add_argument(
        '--train', action='store_true', help='also measure training')
    parser.add_argument(
        '--train-iters',
        type=int,
        default=20,
        help='timed training steps per model')
    parser.add_argument(
        '--train-warmup',
        type=int,
        default=3,
        help='untimed training steps per model first')
    parser.add_argument(
        '--device',
        choices=['cpu', 'cuda'],
        default=None,
        help='the models\' device (default: mmengine\'s '
        'choice, CUDA when available)')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/benchmark_speed',
        help='the runners\' work dirs and the results file')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of every config, in xxx=yyy format')
    args = parser.parse_args(argv)
    for name in ('num_images', 'train_iters'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")}={getattr(args, name)}: '
                         'expected >= 1')
    for name in ('warmup', 'train_warmup'):
        if getattr(args, name) < 0:
            parser.error(f'--{name.replace("_", "-")}={getattr(args, name)}: '
                         'expected >= 0')
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: torch.cuda.is_available() is False')
    try:
        args.models = [parse_spec(m) for m in args.models]
    except ValueError as e:
        parser.error(str(e))
    return args


def build_runner(index: int, spec: ModelSpec, args) -> Runner:
    cfg = Config.fromfile(spec.config)
    cfg.log_level = 'WARNING'  # Runner logs the whole config at INFO
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    name = f'{index}_{osp.splitext(osp.basename(spec.config))[0]}'
    cfg.work_dir = osp.join(args.work_dir, name)
    # one logger, message hub and visualizer per runner (their names)
    cfg.experiment_name = name
    cfg.load_from, cfg.resume = None, False
    cfg.test_dataloader.batch_size = 1
    for key in ('test_dataloader', 'train_dataloader'):
        if cfg.get(key):
            cfg[key].num_workers, cfg[key].persistent_workers = 0, False
    # nothing is evaluated: an empty evaluator reads no annotation file
    cfg.test_evaluator = dict(type='Evaluator', metrics=[])
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    runner = Runner.from_cfg(cfg)
    if spec.checkpoint is not None:
        runner.load_checkpoint(spec.checkpoint, map_location='cpu')
    return runner


def count_detections(model: torch.nn.Module) -> List[int]:
    """Wraps ``model.panoptic_fusion_head.predict`` to count the instances
    it is given (after the score threshold and ``max_per_img``), so the
    table shows how many detections each prediction fused: the cost of the
    mask head and of every fusion grows with them. Every panoptic detector
    here (mmdet's and ours) hands the fusion its instance results as the
    first argument; RoI heads differ in which method returns them (REFINE's
    calls ``predict_with_semantics``, BANet's ``predict_with_ins_feats``),
    so the fusion is where all of them are counted alike. Returns the
    counter (one total); a model without a fusion head counts nothing."""
    counter = [0]
    fusion_head = getattr(model, 'panoptic_fusion_head', None)
    if fusion_head is None:
        return counter
    predict = fusion_head.predict

    def counted(mask_results_list, *args, **kwargs):
        counter[0] += sum(len(r) for r in mask_results_list)
        return predict(mask_results_list, *args, **kwargs)

    fusion_head.predict = counted
    return counter


def endless(loader) -> Iterator[dict]:
    while True:
        yield from loader


def timed(step, batch, device: torch.device) -> Tuple[float, int]:
    """Seconds of ``step(batch)`` and, on CUDA, the most bytes it allocated
    beyond those allocated when it began (0 elsewhere)."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        allocated = torch.cuda.memory_allocated(device)
    start = time.perf_counter()
    step(batch)
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    if device.type != 'cuda':
        return seconds, 0
    return seconds, torch.cuda.max_memory_allocated(device) - allocated


def resident_bytes(model: torch.nn.Module, optimizer=None) -> int:
    """Bytes of the model's parameters and buffers and of the optimizer's
    state tensors."""
    tensors = list(model.parameters()) + list(model.buffers())
    if optimizer is not None:
        tensors += [
            v for state in optimizer.state.values() for v in state.values()
            if isinstance(v, torch.Tensor)
        ]
    return sum(t.numel() * t.element_size() for t in tensors)


def round_robin(steps: List, batches: List[Iterator[dict]], warmup: int,
                rounds: int, devices: List[torch.device]):
    """(seconds, images, peak step bytes) per model over ``rounds`` timed
    rounds after ``warmup`` untimed ones; round r starts at model r mod M."""
    num = len(steps)
    seconds, images, step_bytes = [0.0] * num, [0] * num, [0] * num
    for r in range(warmup + rounds):
        for k in range(num):
            i = (r + k) % num
            batch = next(batches[i])  # loading is not timed
            t, extra = timed(steps[i], batch, devices[i])
            step_bytes[i] = max(step_bytes[i], extra)
            if r >= warmup:
                seconds[i] += t
                images[i] += len(batch['inputs'])
    return seconds, images, step_bytes


def main(argv=None):
    args = parse_args(argv)
    runners = [
        build_runner(k, spec, args) for k, spec in enumerate(args.models)
    ]
    models = [runner.model for runner in runners]
    if args.device is not None:
        for model in models:
            model.to(args.device)
    devices = [next(model.parameters()).device for model in models]
    results = [
        dict(config=spec.config, checkpoint=spec.checkpoint)
        for spec in args.models
    ]

    for model in models:
        model.eval()
    counters = [count_detections(model) for model in models]
    with torch.no_grad():
        seconds, images, step_bytes = round_robin(
            [model.test_step for model in models],
            [endless(runner.test_dataloader)
             for runner in runners], args.warmup, args.num_images, devices)
    for res, model, s, n, extra, counter in zip(results, models, seconds,
                                                images, step_bytes, counters):
        # the warm-up images count too: detections per image of all of them
        res.update(
            infer_img_per_s=n / s,
            infer_images=n,
            detections_per_img=counter[0] / (n + args.warmup))
        if devices[0].type == 'cuda':
            res.update(infer_peak_mib=(resident_bytes(model) + extra) / 2**20)

    if args.train:
        steps, optimizers = [], []
        for runner, model in zip(runners, models):
            optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
            optimizers.append(optim_wrapper.optimizer)
            model.train()
            steps.append(
                lambda batch, m=model, o=optim_wrapper: m.train_step(batch, o))
        seconds, images, step_bytes = round_robin(
            steps, [endless(runner.train_dataloader) for runner in runners],
            args.train_warmup, args.train_iters, devices)
        for res, model, optimizer, s, n, extra in zip(results, models,
                                                      optimizers, seconds,
                                                      images, step_bytes):
            res.update(train_img_per_s=n / s, train_images=n)
            if devices[0].type == 'cuda':
                res.update(
                    train_peak_mib=(resident_bytes(model, optimizer) + extra) /
                    2**20)

    print_table(results, args)
    os.makedirs(args.work_dir, exist_ok=True)
    out = osp.join(args.work_dir, 'benchmark_speed.json')
    with open(out, 'w') as f:
        json.dump(
            dict(
                num_images=args.num_images,
                warmup=args.warmup,
                train_iters=args.train_iters if args.train else 0,
                device=str(devices[0]),
                threads=torch.get_num_threads(),
                cfg_options=args.cfg_options,
                machine=machine_info(),
                models=results),
            f,
            indent=1)
    print(f'results: {out}')
    return results


def print_table(results: List[dict], args) -> None:
    columns = [('infer img/s', 'infer_img_per_s')]
    if args.train:
        columns.append(('train img/s', 'train_img_per_s'))
    memory = [
        key for key in ('infer_peak_mib', 'train_peak_mib')
        if key in results[0]
    ]
    names = [osp.splitext(osp.basename(r['config']))[0] for r in results]
    weights = [
        osp.basename(r['checkpoint']) if r['checkpoint'] else 'random'
        for r in results
    ]
    width = max(len(n) for n in names + ['config'])
    wwidth = max(len(w) for w in weights + ['weights'])
    print(
        f'\nimages per second: {args.num_images} test images (batch 1) '
        f'after {args.warmup} '
        f'warm-up' +
        (f'; {args.train_iters} train steps after {args.train_warmup} warm-up'
         if args.train else '') +
        f'; interleaved; {torch.get_num_threads()} threads')
    header = f'{"config":<{width}}  {"weights":<{wwidth}}'
    for title, _ in columns:
        header += f'  {title:>11}  {"ratio":>5}'
    for key in memory:
        header += f'  {key.split("_")[0] + " MiB":>10}'
    header += f'  {"dets/img":>8}'
    print(header)
    for name, weight, res in zip(names, weights, results):
        row = f'{name:<{width}}  {weight:<{wwidth}}'
        for _, key in columns:
            row += f'  {res[key]:11.2f}  {res[key] / results[0][key]:5.2f}'
        for key in memory:
            row += f'  {res[key]:10.0f}'
        row += f'  {res["detections_per_img"]:8.1f}'
        print(row)


if __name__ == '__main__':
    main()

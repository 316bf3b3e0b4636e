"""Benchmark RoIInlay against its PyTorch reference and RoIUpsample.

The settings are those of BANet's Table 5 (appendix A): 512 channels and
(objects, object size, output size) = 50/28/300, 100/28/300, 100/28/800,
100/56/300, 100/128/300. An object is a square box of ``object size`` pixels
of the output map at a random place inside it (``spatial_scale`` 1, one
image); its features are ``--roi-size`` x ``--roi-size`` (default 28, the mask
head's RoIAlign output), so boxes larger than that are upsampled.

Prints, per device, the best-of-``--repeat`` times of the forward, the
backward (gradient w.r.t. the RoI features) and forward + backward of the
compiled extension, the PyTorch reference and RoIUpsample, the speed-ups of the
extension, and the "holes": the fraction of the pixels inside the boxes that
an operator leaves at 0 when every RoI feature is 1. On CUDA it also reports the
forward's memory traffic (RoI features read + output written) per second, as a
fraction of the device's peak bandwidth.

On the CPU, most of the time of torch.zeros(output) goes to page faults;
THP_MEM_ALLOC_ENABLE=1 (a PyTorch switch: huge pages for large CPU tensors)
makes them cheaper for every operator alike.

Example::

    python tools/analysis_tools/benchmark_roi_inlay.py            # ~10 min on 2 cores
    python tools/analysis_tools/benchmark_roi_inlay.py --quick    # ~3 min
    THP_MEM_ALLOC_ENABLE=1 python tools/analysis_tools/benchmark_roi_inlay.py
"""
import argparse
import os
import time

import torch

from mmrefine.ops import roi_inlay_pytorch
from mmrefine.ops.roi_upsample import roi_upsample
from mmrefine.ops.roi_inlay import RoIInlayFunction, ext_module

TABLE5_SETTINGS = ('50/28/300', '100/28/300', '100/28/800', '100/56/300',
                   '100/128/300')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--settings',
        nargs='+',
        default=TABLE5_SETTINGS,
        help='objects/object size/output size triples')
    parser.add_argument('--channels', type=int, default=512)
    parser.add_argument(
        '--roi-size', type=int, default=28, help='m of the m x m RoI features')
    parser.add_argument(
        '--devices',
        nargs='+',
        default=['cpu', 'cuda'],
        help='devices to run on (cuda is skipped, with a note, without a GPU)')
    parser.add_argument(
        '--repeat', type=int, default=3, help='timed runs; the best is shown')
    parser.add_argument(
        '--warmup', type=int, default=1, help='untimed runs before timing')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='--repeat 1 --warmup 0 (one timed run after a global warm-up)')
    parser.add_argument(
        '--peak-bandwidth',
        type=float,
        default=None,
        help='device peak memory bandwidth in GB/s (default: from the device '
        'properties)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.warmup = 1, 0
    return args


def make_inputs(num_objects, object_size, output_size, channels, roi_size,
                device, generator):
    corner = torch.rand(
        num_objects, 2, generator=generator) * (output_size - object_size)
    rois = torch.cat([
        torch.zeros(num_objects, 1), corner, corner + object_size
    ], dim=1).to(device)
    roi_feats = torch.randn(
        num_objects, channels, roi_size, roi_size,
        generator=generator).to(device)
    return roi_feats, rois


def extension_inlay(roi_feats, rois, out_size):
    return RoIInlayFunction.apply(roi_feats, rois, out_size, 1.0, True)


def reference_inlay(roi_feats, rois, out_size):
    return roi_inlay_pytorch(roi_feats, rois, out_size, 1.0, True)


def upsample(roi_feats, rois, out_size):
    return roi_upsample(roi_feats, rois, out_size, 1.0, True)


def best_time(fn, device, repeat, warmup):
    """Seconds of the fastest of ``repeat`` runs of ``fn``."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        if device == 'cuda':
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end) / 1e3)
        else:
            begin = time.perf_counter()
            fn()
            times.append(time.perf_counter() - begin)
    return min(times)


def time_op(op, roi_feats, rois, out_size, device, args):
    """Best forward, backward and forward + backward times of one operator."""
    feats = roi_feats.detach().requires_grad_()
    grad = torch.randn((out_size[0], feats.size(1), *out_size[1:]),
                       device=device)

    def forward():
        with torch.no_grad():
            op(roi_feats, rois, out_size)

    out = op(feats, rois, out_size)

    def backward():
        feats.grad = None
        out.backward(grad, retain_graph=True)

    def forward_backward():
        feats.grad = None
        op(feats, rois, out_size).backward(grad)

    return [
        best_time(fn, device, args.repeat, args.warmup)
        for fn in (forward, backward, forward_backward)
    ]


def inside_mask(rois, out_size):
    """Pixels inside any box (RoIInlay's convention, aligned=True, scale 1)."""
    mask = torch.zeros(out_size, dtype=torch.bool, device=rois.device)
    for batch_idx, x1, y1, x2, y2 in rois.tolist():
        rows = slice(max(0, int(-(-(y1 - 0.5) // 1))),
                     max(0, int(-(-(y2 - 0.5) // 1))))
        cols = slice(max(0, int(-(-(x1 - 0.5) // 1))),
                     max(0, int(-(-(x2 - 0.5) // 1))))
        mask[int(batch_idx), rows, cols] = True
    return mask


def hole_fractions(rois, out_size, roi_size):
    """Fraction of the pixels inside the boxes an operator leaves at 0."""
    ones = torch.ones(
        rois.size(0), 1, roi_size, roi_size, device=rois.device)
    inside = inside_mask(rois, out_size)
    with torch.no_grad():
        holes = [(op(ones, rois, out_size)[:, 0] == 0) & inside
                 for op in (extension_inlay, upsample)]
    return [float(hole.sum()) / float(inside.sum()) for hole in holes]


def peak_bandwidth(args):
    if args.peak_bandwidth is not None:
        return args.peak_bandwidth * 1e9
    props = torch.cuda.get_device_properties(0)
    clock_khz = getattr(props, 'memory_clock_rate', None)
    bus_bits = getattr(props, 'memory_bus_width', None)
    if not clock_khz or not bus_bits:
        return None
    return 2 * clock_khz * 1e3 * bus_bits / 8  # double data rate


def benchmark_device(device, args):
    generator = torch.Generator().manual_seed(args.seed)
    # One small call of each operator first: thread pools, CUDA context and
    # lazy initialisations are not part of the timings.
    feats, rois = make_inputs(4, 8, 32, 8, args.roi_size, device, generator)
    for op in (extension_inlay, reference_inlay, upsample):
        op(feats.requires_grad_(), rois, (1, 32, 32)).sum().backward()

    thp = os.environ.get('THP_MEM_ALLOC_ENABLE', '0')
    print(f'\n## {device}: ' + (
        torch.cuda.get_device_name(0) if device == 'cuda' else
        f'{torch.get_num_threads()} threads, THP_MEM_ALLOC_ENABLE={thp}'))
    print(f'{args.channels} channels, {args.roi_size}x{args.roi_size} RoI '
          f'features, float32, best of {args.repeat}, times in ms. "zeros" is '
          'torch.zeros of the output: allocating and clearing it, which every '
          'operator pays in its forward.\n')
    times_header = ('| objects/size/output | zeros | ext fwd | ext bwd | '
                    'ext fwd+bwd | ref fwd | ref bwd | ref fwd+bwd | '
                    'RoIUpsample fwd | RoIUpsample bwd | RoIUpsample fwd+bwd |')
    ratios_header = ('| objects/size/output | ref/ext fwd | ref/ext bwd | '
                     'ref/ext fwd+bwd | RoIUpsample/ext fwd | RoIUpsample/ext '
                     'bwd | RoIUpsample/ext fwd+bwd | holes RoIUpsample | '
                     'holes RoIInlay |')
    if device == 'cuda':
        ratios_header += ' ext fwd GB/s (of peak) |'
    peak = peak_bandwidth(args) if device == 'cuda' else None
    times_rows, ratio_rows = [], []
    for setting in args.settings:
        num_objects, object_size, output_size = map(int, setting.split('/'))
        roi_feats, rois = make_inputs(num_objects, object_size, output_size,
                                      args.channels, args.roi_size, device,
                                      generator)
        out_size = (1, output_size, output_size)
        zeros = best_time(
            lambda: torch.zeros(1, args.channels, output_size, output_size,
                                device=device), device, args.repeat,
            args.warmup)
        ext, ref, ups = (
            time_op(op, roi_feats, rois, out_size, device, args)
            for op in (extension_inlay, reference_inlay, upsample))
        holes_inlay, holes_upsample = hole_fractions(rois, out_size,
                                                     args.roi_size)
        times_rows.append(f'| {setting} | {zeros * 1e3:.1f} | ' + ' | '.join(
            f'{t * 1e3:.1f}' for t in (*ext, *ref, *ups)) + ' |')
        row = (f'| {setting} | ' +
               ' | '.join(f'{r / e:.1f}' for r, e in zip(ref, ext)) + ' | ' +
               ' | '.join(f'{u / e:.2f}' for u, e in zip(ups, ext)) +
               f' | {holes_upsample:.1%} | {holes_inlay:.1%} |')
        if device == 'cuda':
            traffic = (roi_feats.numel() + args.channels * output_size**2) * 4
            bandwidth = traffic / ext[0]
            share = f' ({bandwidth / peak:.0%})' if peak else ''
            row += f' {bandwidth / 1e9:.0f}{share} |'
        ratio_rows.append(row)
        print(times_rows[-1], flush=True)  # progress
    for header, rows in ((times_header, times_rows),
                         (ratios_header, ratio_rows)):
        print('\n' + header)
        print('|' + '---|' * (header.count('|') - 1))
        print('\n'.join(rows))


def main():
    args = parse_args()
    if ext_module is None:
        raise SystemExit('mmrefine._ext is not built: run `pip install '
                         '--no-build-isolation -e .` first')
    for device in args.devices:
        if device == 'cuda' and not torch.cuda.is_available():
            print('\n## cuda: skipped, no GPU visible')
            continue
        benchmark_device(device, args)


if __name__ == '__main__':
    main()

"""Benchmark RoIInlay against its PyTorch reference and RoIUpsample.

The settings are those of BANet's Table 5 (appendix A): 512 channels and
(objects, object size, output size) = 50/28/300, 100/28/300, 100/28/800,
100/56/300, 100/128/300. An object is a square box of ``object size`` pixels
of the output map at a random place inside it (``spatial_scale`` 1, one
image); its features are ``--roi-size`` x ``--roi-size`` (default 28, the mask
head's RoIAlign output), so boxes larger than that are upsampled.

First, per device other than the CPU, a float64 check at every setting (8
channels): the device's forward and backward against the CPU extension and
the PyTorch reference; the run stops if they differ by more than 1e-10
(``--check-only``: nothing more).

Then it prints, per device, the best-of-``--repeat`` times of the forward,
the backward (gradient w.r.t. the RoI features) and forward + backward of the
compiled extension, the PyTorch reference and RoIUpsample (mmcv's RoIAlign
kernels), the speed-ups of the extension, and the "holes": the fraction of
the pixels inside the boxes that an operator leaves at 0 when every RoI
feature is 1. On CUDA it also measures, in the same run, the device's copy
bandwidth (``Tensor.copy_`` of 1 GiB, bytes read + written per second) and
reports the forward's share of it: the RoI features read and the output
written once, per second, over the copy bandwidth, for the operator as called
(argument checks included: one device synchronisation) and for its kernels
alone (``mmrefine._ext.roi_inlay_forward`` into an allocated output); and the
backward / forward ratio.

On the CPU, most of the time of torch.zeros(output) goes to page faults;
THP_MEM_ALLOC_ENABLE=1 (a PyTorch switch: huge pages for large CPU tensors)
makes them cheaper for every operator alike.

Example::

    python tools/analysis_tools/benchmark_roi_inlay.py  # ~10 min on 2 cores
    python tools/analysis_tools/benchmark_roi_inlay.py --quick  # ~3 min
    python tools/analysis_tools/benchmark_roi_inlay.py --devices cuda
    THP_MEM_ALLOC_ENABLE=1 python tools/analysis_tools/benchmark_roi_inlay.py
"""
import argparse
import os
import time

import torch

from mmrefine.ops import roi_inlay_pytorch
from mmrefine.ops.roi_inlay import RoIInlayFunction, ext_module
from mmrefine.ops.roi_upsample import roi_upsample

TABLE5_SETTINGS = ('50/28/300', '100/28/300', '100/28/800', '100/56/300',
                   '100/128/300')
# float64 agreement required before anything is timed
CHECK_TOLERANCE = 1e-10
CHECK_CHANNELS = 8
COPY_BYTES = 1 << 30


def parse_args(argv=None):
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
        '--check-only',
        action='store_true',
        help='only the float64 check of the devices other than the CPU')
    parser.add_argument(
        '--copy-bytes',
        type=int,
        default=COPY_BYTES,
        help='size of the buffer copied to measure the copy bandwidth')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    for setting in args.settings:
        try:
            values = [int(v) for v in setting.split('/')]
        except ValueError:
            values = []
        if len(values) != 3 or min(values) < 1:
            parser.error(f'--settings {setting!r}: expected objects/object '
                         'size/output size, three integers >= 1')
    if args.quick:
        args.repeat, args.warmup = 1, 0
    return args


def make_inputs(num_objects,
                object_size,
                output_size,
                channels,
                roi_size,
                device,
                generator,
                dtype=torch.float32):
    corner = torch.rand(
        num_objects, 2, generator=generator) * (
            output_size - object_size)
    rois = torch.cat(
        [torch.zeros(num_objects, 1), corner, corner + object_size],
        dim=1).to(device, dtype)
    roi_feats = torch.randn(
        num_objects, channels, roi_size, roi_size,
        generator=generator).to(device, dtype)
    return roi_feats, rois


def extension_inlay(roi_feats, rois, out_size):
    return RoIInlayFunction.apply(roi_feats, rois, out_size, 1.0, True)


def extension_kernels(roi_feats, rois, out_size):
    """The compiled forward alone: no argument checks, no autograd."""
    output = roi_feats.new_empty(
        (out_size[0], roi_feats.size(1), *out_size[1:]))
    ext_module.roi_inlay_forward(
        roi_feats, rois, output, spatial_scale=1.0, aligned=True)
    return output


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
        rows = slice(
            max(0, int(-(-(y1 - 0.5) // 1))), max(0, int(-(-(y2 - 0.5) // 1))))
        cols = slice(
            max(0, int(-(-(x1 - 0.5) // 1))), max(0, int(-(-(x2 - 0.5) // 1))))
        mask[int(batch_idx), rows, cols] = True
    return mask


def hole_fractions(rois, out_size, roi_size):
    """Fraction of the pixels inside the boxes that RoIInlay and RoIUpsample
    leave at 0."""
    ones = torch.ones(rois.size(0), 1, roi_size, roi_size, device=rois.device)
    inside = inside_mask(rois, out_size)
    with torch.no_grad():
        holes = [(op(ones, rois, out_size)[:, 0] == 0) & inside
                 for op in (extension_inlay, upsample)]
    return [float(hole.sum()) / float(inside.sum()) for hole in holes]


def copy_bandwidth(device, num_bytes, args):
    """Bytes read + written per second by ``Tensor.copy_`` on the device."""
    src = torch.ones(num_bytes // 4, device=device)
    dst = torch.empty_like(src)
    seconds = best_time(lambda: dst.copy_(src), device, max(args.repeat, 3),
                        max(args.warmup, 1))
    return 2 * num_bytes / seconds


def max_errors(device, setting, args, generator):
    """Largest differences, float64, of the device's forward and backward
    from the CPU extension's and the reference's, at one setting."""
    num_objects, object_size, output_size = map(int, setting.split('/'))
    feats, rois = make_inputs(num_objects, object_size, output_size,
                              CHECK_CHANNELS, args.roi_size, 'cpu', generator,
                              torch.float64)
    out_size = (1, output_size, output_size)
    grad = torch.randn(
        1,
        CHECK_CHANNELS,
        output_size,
        output_size,
        generator=generator,
        dtype=torch.float64)
    results = []
    for run_device, op in ((device, extension_inlay), ('cpu', extension_inlay),
                           ('cpu', reference_inlay)):
        x = feats.to(run_device, copy=True).requires_grad_()
        out = op(x, rois.to(run_device), out_size)
        out.backward(grad.to(run_device))
        results.append((out.detach().cpu(), x.grad.cpu()))
    return [
        max(float((a - b).abs().max()) for a, b in zip(results[0], other))
        for other in results[1:]
    ]


def check_device(device, args):
    """Stop the run unless ``device`` agrees with the CPU in float64."""
    generator = torch.Generator().manual_seed(args.seed)
    print(f'\n## {device}: float64 check against the CPU ({CHECK_CHANNELS} '
          'channels, forward and backward)\n')
    print('| objects/size/output | max diff to CPU extension | max diff to '
          'reference |')
    print('|---|---|---|')
    failed = []
    for setting in args.settings:
        errors = max_errors(device, setting, args, generator)
        print(
            f'| {setting} | ' + ' | '.join(f'{e:.1e}' for e in errors) + ' |',
            flush=True)
        if max(errors) > CHECK_TOLERANCE:
            failed.append(setting)
    if failed:
        raise SystemExit(f'{device} differs from the CPU by more than '
                         f'{CHECK_TOLERANCE} at {failed}: nothing timed')


def benchmark_device(device, args):
    generator = torch.Generator().manual_seed(args.seed)
    # One small call of each operator first: thread pools, CUDA context and
    # lazy initialisations are not part of the timings.
    feats, rois = make_inputs(4, 8, 32, 8, args.roi_size, device, generator)
    for op in (extension_inlay, reference_inlay, upsample):
        op(feats.detach().requires_grad_(), rois, (1, 32, 32)).sum().backward()

    thp = os.environ.get('THP_MEM_ALLOC_ENABLE', '0')
    print(f'\n## {device}: ' +
          (torch.cuda.get_device_name(0) if device == 'cuda' else
           f'{torch.get_num_threads()} threads, THP_MEM_ALLOC_ENABLE={thp}'))
    copy = None
    if device == 'cuda':
        copy = copy_bandwidth(device, args.copy_bytes, args)
        print('copy bandwidth (Tensor.copy_ of '
              f'{args.copy_bytes / 2**30:g} GiB, bytes read + written): '
              f'{copy / 1e9:.0f} GB/s')
    print(f'{args.channels} channels, {args.roi_size}x{args.roi_size} RoI '
          f'features, float32, best of {args.repeat}, times in ms. "zeros" is '
          'torch.zeros of the output: allocating and clearing it, which every '
          'operator pays in its forward.\n')
    times_header = (
        '| objects/size/output | zeros | ext fwd | ext bwd | '
        'ext fwd+bwd | ref fwd | ref bwd | ref fwd+bwd | '
        'RoIUpsample fwd | RoIUpsample bwd | RoIUpsample fwd+bwd |')
    ratios_header = ('| objects/size/output | ref/ext fwd | ref/ext bwd | '
                     'ref/ext fwd+bwd | RoIUpsample/ext fwd | RoIUpsample/ext '
                     'bwd | RoIUpsample/ext fwd+bwd | ext bwd/fwd | holes '
                     'RoIUpsample | holes RoIInlay |')
    if device == 'cuda':
        times_header += ' ext fwd kernels |'
        ratios_header += (' ext fwd share of copy bandwidth | ext fwd '
                          'kernels share |')
    times_rows, ratio_rows = [], []
    for setting in args.settings:
        num_objects, object_size, output_size = map(int, setting.split('/'))
        roi_feats, rois = make_inputs(num_objects, object_size, output_size,
                                      args.channels, args.roi_size, device,
                                      generator)
        out_size = (1, output_size, output_size)
        zeros = best_time(
            lambda: torch.zeros(
                1, args.channels, output_size, output_size, device=device),
            device, args.repeat, args.warmup)
        ext, ref, ups = (
            time_op(op, roi_feats, rois, out_size, device, args)
            for op in (extension_inlay, reference_inlay, upsample))
        holes_inlay, holes_upsample = hole_fractions(rois, out_size,
                                                     args.roi_size)
        times_row = f'| {setting} | {zeros * 1e3:.3f} | ' + ' | '.join(
            f'{t * 1e3:.3f}' for t in (*ext, *ref, *ups)) + ' |'
        row = (f'| {setting} | ' + ' | '.join(f'{r / e:.1f}'
                                              for r, e in zip(ref, ext)) +
               ' | ' + ' | '.join(f'{u / e:.2f}' for u, e in zip(ups, ext)) +
               f' | {ext[1] / ext[0]:.2f} | {holes_upsample:.1%} | '
               f'{holes_inlay:.1%} |')
        if device == 'cuda':
            kernels = best_time(
                lambda: extension_kernels(roi_feats, rois, out_size), device,
                args.repeat, args.warmup)
            times_row += f' {kernels * 1e3:.3f} |'
            traffic = (roi_feats.numel() + args.channels * output_size**2) * 4
            row += (f' {traffic / ext[0] / copy:.0%} | '
                    f'{traffic / kernels / copy:.0%} |')
        times_rows.append(times_row)
        ratio_rows.append(row)
        print(times_row, flush=True)  # progress
    for header, rows in ((times_header, times_rows), (ratios_header,
                                                      ratio_rows)):
        print('\n' + header)
        print('|' + '---|' * (header.count('|') - 1))
        print('\n'.join(rows))


def main(argv=None):
    args = parse_args(argv)
    if ext_module is None:
        raise SystemExit('mmrefine._ext is not built: run `pip install '
                         '--no-build-isolation -e .` first')
    devices = []
    for device in args.devices:
        if device == 'cuda' and not torch.cuda.is_available():
            print('\n## cuda: skipped, no GPU visible')
        else:
            devices.append(device)
    for device in devices:
        if device != 'cpu':
            check_device(device, args)
    if args.check_only:
        return
    for device in devices:
        benchmark_device(device, args)


if __name__ == '__main__':
    main()

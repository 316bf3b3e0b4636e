"""Time panoptic fusion heads against a full PanopticFPN prediction.

The fusion heads fuse the same synthetic 800 x 1333 image:

- ``--num-dets`` (100) detections: random boxes of 32 to 400 pixels a side,
  each with an elliptical mask filling its box, scores uniform in (0.6, 1),
  random thing labels, and random pairwise occlusion probabilities
  ``occ_probs`` for SOE;
- semantic logits shaped like a semantic head's: a layout of ``--regions``
  (12) Voronoi regions, each a random class whose logit exceeds the others
  by a margin uniform in (1, 7) (from unsure, speckled regions to confident
  ones), plus unit Gaussian noise, at a quarter of the resolution and
  upsampled bilinearly (as mmdet upsamples the semantic head's H/4
  logits). The stock PanopticFPN layout has 54 channels (53 stuff +
  "thing"), REFINE's and BANet's all-class layout 133.

The reference is ``model.predict`` of ``--config`` (mmdet's PanopticFPN R-50
1x) built with random weights (no checkpoint) on one random 800 x 1333 image,
timed twice: with ``rcnn.score_thr=0``, so that ``max_per_img`` (100)
detections go through the mask head, mask pasting and fusion as in a busy
image, and as configured (``score_thr=0.6``, which random weights rarely
pass: backbone, RPN, box head and semantic head only). Ratios are given
against both. Times are the best of ``--repeat`` runs, in milliseconds.

BANet's ``OcclusionHandlingFusionHead`` (it also reads the image colours,
here a random image) is timed when mmrefine provides it. "unknown erasing
alone" is :func:`max_softmax_confidence` + :func:`unknown_erasing` on the
stuff channels, the share of UE in ``soe+UE``.

Example::

    OMP_NUM_THREADS=1 python tools/analysis_tools/benchmark_fusion.py
"""
import argparse
import inspect
import math
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.utils import register_all_modules
from mmengine.config import Config, ConfigDict
from mmengine.structures import InstanceData

import mmrefine  # noqa: F401  registers mmrefine's modules
from mmrefine.models.layers import max_softmax_confidence, unknown_erasing

NUM_THINGS, NUM_STUFF = 80, 53
PANOPTIC_CFG = ConfigDict(mask_overlap=0.5, stuff_area_limit=4096)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--config',
        default='configs/panoptic_fpn/panoptic-fpn_r50_fpn_1x_coco.py',
        help='the model whose predict is the reference')
    parser.add_argument('--img-size', type=int, nargs=2, default=(800, 1333))
    parser.add_argument('--num-dets', type=int, default=100)
    parser.add_argument('--regions', type=int, default=12)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def best_time(fn, repeat):
    """Best wall-clock time of ``fn()`` over ``repeat`` runs, in ms."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def synthetic_detections(num, height, width, generator):
    """``num`` random instances with elliptical masks filling their boxes."""
    sizes = torch.randint(32, 401, (num, 2), generator=generator)
    x0 = (torch.rand(num, generator=generator) * (width - sizes[:, 0])).long()
    y0 = (torch.rand(num, generator=generator) * (height - sizes[:, 1])).long()
    masks = np.zeros((num, height, width), dtype=np.uint8)
    for k in range(num):
        w, h = sizes[k].tolist()
        centre = (int(x0[k]) + w // 2, int(y0[k]) + h // 2)
        cv2.ellipse(masks[k], centre, (w // 2, h // 2), 0, 0, 360, 1, -1)
    bboxes = torch.stack([x0, y0, x0 + sizes[:, 0], y0 + sizes[:, 1]],
                         dim=1).float()
    return InstanceData(
        bboxes=bboxes,
        labels=torch.randint(0, NUM_THINGS, (num, ), generator=generator),
        scores=0.6 + 0.4 * torch.rand(num, generator=generator),
        masks=torch.from_numpy(masks).bool(),
        occ_probs=torch.rand(num, num, generator=generator))


def synthetic_logits(channels, regions, height, width, generator):
    """(channels, H, W) logits: Voronoi regions of random classes + noise."""
    low_h, low_w = math.ceil(height / 4), math.ceil(width / 4)
    seeds = torch.rand(
        regions, 2, generator=generator) * torch.tensor([low_h, low_w])
    ys, xs = torch.meshgrid(
        torch.arange(low_h).float(),
        torch.arange(low_w).float(),
        indexing='ij')
    nearest = ((ys[..., None] - seeds[:, 0])**2 +
               (xs[..., None] - seeds[:, 1])**2).argmin(dim=-1)
    region_class = torch.randint(0, channels, (regions, ), generator=generator)
    margin = 1 + 6 * torch.rand(regions, generator=generator)
    logits = torch.randn(channels, low_h, low_w, generator=generator)
    logits += margin[nearest] * F.one_hot(region_class[nearest],
                                          channels).permute(2, 0, 1)
    return F.interpolate(
        logits[None],
        size=(height, width),
        mode='bilinear',
        align_corners=False)[0]


def predict_time(config, height, width, score_thr, repeat, generator):
    """Best time of ``model.predict`` and its number of detections."""
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    if score_thr is not None:
        cfg.model.test_cfg.rcnn.score_thr = score_thr
    model = MODELS.build(cfg.model).eval()
    image = torch.randint(
        0, 256, (3, height, width), dtype=torch.uint8, generator=generator)
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(height, width),
            ori_shape=(height, width),
            scale_factor=(1., 1.)))
    num_dets = []
    fuse = model.panoptic_fusion_head.predict

    def counting_fuse(mask_results_list, *args, **kwargs):
        num_dets.append(len(mask_results_list[0]))
        return fuse(mask_results_list, *args, **kwargs)

    model.panoptic_fusion_head.predict = counting_fuse
    with torch.no_grad():
        data = model.data_preprocessor(
            dict(inputs=[image], data_samples=[sample]), False)
        ms = best_time(
            lambda: model.predict(data['inputs'], data['data_samples']),
            repeat)
    return ms, num_dets[-1]


def fusion_heads():
    """(name, head, extra predict kwargs) of the heads to time."""

    def refine(**kwargs):
        return MODELS.build(
            dict(
                type='REFINEFusionHead',
                num_things_classes=NUM_THINGS,
                num_stuff_classes=NUM_STUFF,
                test_cfg=PANOPTIC_CFG,
                **kwargs))

    ue = dict(thr=0.5, dilation=50)
    heads = [
        ('mmdet HeuristicFusionHead',
         MODELS.build(
             dict(
                 type='HeuristicFusionHead',
                 num_things_classes=NUM_THINGS,
                 num_stuff_classes=NUM_STUFF,
                 test_cfg=PANOPTIC_CFG))),
        ('REFINEFusionHead score', refine(occlusion='score')),
        ('REFINEFusionHead soe', refine(occlusion='soe')),
        ('REFINEFusionHead soe+UE',
         refine(occlusion='soe', unknown_erasing=ue)),
    ]
    if 'OcclusionHandlingFusionHead' in MODELS.module_dict:
        heads.append(('BANet OcclusionHandlingFusionHead',
                      MODELS.build(
                          dict(
                              type='OcclusionHandlingFusionHead',
                              num_things_classes=NUM_THINGS,
                              num_stuff_classes=NUM_STUFF,
                              test_cfg=dict(PANOPTIC_CFG)))))
    return heads


def main():
    args = parse_args()
    register_all_modules()
    generator = torch.Generator().manual_seed(args.seed)
    height, width = args.img_size
    print(f'torch {torch.__version__}, {torch.get_num_threads()} thread(s), '
          f'image {height} x {width}, {args.num_dets} detections, best of '
          f'{args.repeat}')

    dets = synthetic_detections(args.num_dets, height, width, generator)
    image = torch.rand(3, height, width, generator=generator) * 255
    logits = {
        channels:
        synthetic_logits(channels, args.regions, height, width, generator)
        for channels in (NUM_STUFF + 1, NUM_THINGS + NUM_STUFF)
    }
    for channels, seg in logits.items():
        labels = seg.argmax(0).numpy().astype(np.int32)
        comps = sum(
            cv2.connectedComponents(
                (labels == c).view(np.uint8), connectivity=8)[0] - 1
            for c in np.unique(labels))
        print(f'synthetic semantic map, {channels} channels: {comps} '
              'connected components')

    rows = []
    with torch.no_grad():
        for name, head in fusion_heads():
            params = inspect.signature(head.predict).parameters
            kwargs = dict(batch_imgs=[image]) if 'batch_imgs' in params else {}
            layouts = ((NUM_STUFF + 1,
                        NUM_THINGS + NUM_STUFF) if 'UE' in name else
                       (NUM_STUFF + 1, ))
            for channels in layouts:
                ms = best_time(
                    lambda: head.predict([dets], [logits[channels]], **kwargs),
                    args.repeat)
                rows.append((name, channels, ms))
        for channels in (NUM_STUFF + 1, NUM_THINGS + NUM_STUFF):
            ms = best_time(
                lambda: unknown_erasing(
                    *max_softmax_confidence(logits[channels]),
                    thr=0.5,
                    dilation=50,
                    classes=range(NUM_STUFF)), args.repeat)
            rows.append(('unknown erasing alone', channels, ms))
    if 'OcclusionHandlingFusionHead' not in MODELS.module_dict:
        print('BANet OcclusionHandlingFusionHead: not available, skipped')

    busy_ms, busy_dets = predict_time(args.config, height, width, 0.0,
                                      args.repeat, generator)
    stock_ms, stock_dets = predict_time(args.config, height, width, None,
                                        args.repeat, generator)
    print(f'\nmodel.predict ({args.config}, random weights): '
          f'{busy_ms:.0f} ms with score_thr=0 ({busy_dets} detections), '
          f'{stock_ms:.0f} ms as configured ({stock_dets} detections)\n')
    header = (f'| {"fusion head":<36} | {"C":>3} | {"ms":>8} | '
              f'{"% of predict (" + str(busy_dets) + " dets)":>22} | '
              f'{"% of predict (" + str(stock_dets) + " dets)":>22} |')
    print(header)
    print('|' + '|'.join('-' * len(cell)
                         for cell in header.split('|')[1:-1]) + '|')
    for name, channels, ms in rows:
        busy, stock = 100 * ms / busy_ms, 100 * ms / stock_ms
        print(f'| {name:<36} | {channels:>3} | {ms:>8.1f} | {busy:>21.1f}% '
              f'| {stock:>21.1f}% |')


if __name__ == '__main__':
    main()

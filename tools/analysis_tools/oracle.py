"""Oracle analysis (BANet, Table 4): evaluate a checkpoint with one stage of a
two-stage panoptic model replaced by the ground truth.

Oracles, alone or joined with ``+`` (``boxes+order``):

- ``none``: the model as it is;
- ``boxes``: ground-truth boxes and classes replace the detections (score
  1); the masks, the semantic map and the fusion are still predicted;
- ``order``: the ground truth decides which of two overlapping instances is
  on top, as in BANet's "GT Occ": the detections are matched to the
  ground-truth instances (box IoU > 0.5, one to one, highest IoU first),
  and where the masks of two matched instances overlap the data set's
  ``depth_order`` gives the overlap to the front one: the one behind loses
  it before the fusion. Pairs with an unmatched instance are left to the
  model's fusion. Only detections the fusion keeps (score above its
  ``test_cfg.score_thr``, if it has one) are matched;
- ``stuff``: the ground-truth semantic map replaces the semantic logits
  (one-hot in the model's layout; ground-truth void keeps the model's
  logits): things still overwrite it, as the fusion does.

Each run goes through the config's test loop and evaluators (mmdet's
``CocoPanopticMetric``, and ``OcclusionAccuracyMetric`` where configured);
the ground truth is read from the ``CocoPanopticMetric``'s ``ann_file`` and
``seg_prefix``. The ``order`` oracle needs a data set with ``depth_order``
(the shapes set); elsewhere it is skipped with a message.

Works for every model of this package that runs mmdet's RoI head
``predict_bbox`` and hands ``(mask_results, seg_preds)`` to its
``panoptic_fusion_head.predict``: PanopticFPN, REFINE, BANet,
OcclusionHandlingPanopticFPN.

Example::

    python tools/analysis_tools/oracle.py CONFIG CHECKPOINT \\
        [--oracles none boxes order stuff boxes+order] [--out oracle.json]
"""
import argparse
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmdet.structures.bbox import bbox_overlaps
from mmengine.config import Config, DictAction
from mmengine.fileio import get, load
from mmengine.runner import Runner
from mmengine.structures import InstanceData
from panopticapi.utils import rgb2id

from mmrefine.models.layers import resolve_semantic_layout

ORACLES = ('boxes', 'order', 'stuff')
DEFAULT_RUNS = ('none', 'boxes', 'order', 'stuff', 'boxes+order')
# one-hot logits this large are certain for any softmax (Unknown Erasing)
ONE_HOT_LOGIT = 100.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument(
        '--oracles',
        nargs='+',
        default=list(DEFAULT_RUNS),
        help=f'runs: none or {ORACLES} joined with +')
    parser.add_argument('--work-dir', default='work_dirs/oracle')
    parser.add_argument('--out', help='write the metrics of every run here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def parse_run(run: str) -> frozenset:
    """``'boxes+order'`` -> ``{'boxes', 'order'}``; ``'none'`` -> ``{}``."""
    oracles = frozenset() if run == 'none' else frozenset(run.split('+'))
    unknown = sorted(oracles - set(ORACLES))
    if unknown:
        raise ValueError(f'oracle run {run!r}: unknown {unknown}, expected '
                         f"'none' or some of {ORACLES} joined with '+'")
    return oracles


class GroundTruth:
    """The panoptic ground truth of a COCO-panoptic data set, by image id.

    Args:
        ann_file (str): panoptic json.
        seg_prefix (str): directory of its PNGs.
        classes (Sequence[str]): the data set's class names (mmdet's label
            order, things first).
    """

    def __init__(self, ann_file: str, seg_prefix: str,
                 classes: Sequence[str]) -> None:
        data = load(ann_file)
        self.ann_file = ann_file
        self.seg_prefix = seg_prefix
        self.annotations = {a['image_id']: a for a in data['annotations']}
        self.categories = {}
        for cat in data['categories']:
            if cat['name'] not in classes:
                raise ValueError(f"{ann_file}: category {cat['name']!r} is "
                                 f'not a class of the data set {classes}')
            self.categories[cat['id']] = (classes.index(cat['name']),
                                          bool(cat['isthing']))
        self.has_depth_order = all('depth_order' in a
                                   for a in self.annotations.values())

    def things(self, img_id: int) -> List[dict]:
        """The image's thing segments (not crowd), in ``segments_info``
        order."""
        return [
            s for s in self.annotations[img_id]['segments_info']
            if self.categories[s['category_id']][1] and not s.get('iscrowd')
        ]

    def boxes_and_labels(self, img_id: int):
        """(n, 4) x1y1x2y2 boxes and (n, ) labels of the things."""
        things = self.things(img_id)
        boxes = np.array([[x, y, x + w, y + h]
                          for x, y, w, h in (s['bbox'] for s in things)],
                         np.float32).reshape(-1, 4)
        labels = np.array(
            [self.categories[s['category_id']][0] for s in things], np.int64)
        return boxes, labels

    def depth_rank(self, img_id: int) -> Dict[int, int]:
        """Segment id -> position in ``depth_order`` (larger: in front)."""
        order = self.annotations[img_id]['depth_order']
        return {seg_id: k for k, seg_id in enumerate(order)}

    def semantic(self, img_id: int) -> np.ndarray:
        """(H, W) labels of every pixel, -1 on void."""
        ann = self.annotations[img_id]
        png = get(osp.join(self.seg_prefix, ann['file_name']))
        ids = rgb2id(mmcv.imfrombytes(png, flag='color', channel_order='rgb'))
        labels = np.full(ids.shape, -1, np.int64)
        for seg in ann['segments_info']:
            labels[ids == seg['id']] = self.categories[seg['category_id']][0]
        return labels


def match_boxes(pred_boxes: torch.Tensor,
                gt_boxes: torch.Tensor,
                thr: float = 0.5) -> Dict[int, int]:
    """Prediction index -> ground-truth index, one to one, box IoU > thr,
    the highest IoU first."""
    if len(pred_boxes) == 0 or len(gt_boxes) == 0:
        return {}
    ious = bbox_overlaps(pred_boxes.float(), gt_boxes.float())
    match, used_gt = {}, set()
    for flat in torch.argsort(ious.flatten(), descending=True).tolist():
        i, g = divmod(flat, ious.shape[1])
        if ious[i, g] <= thr:
            break
        if i not in match and g not in used_gt:
            match[i] = g
            used_gt.add(g)
    return match


def cut_behind(masks: torch.Tensor, depth: Dict[int, int]) -> torch.Tensor:
    """The (K, H, W) bool masks where each instance with a ground-truth
    depth (``depth``: instance index -> rank, larger in front) loses its
    overlap with every instance in front of it."""
    cut = masks.clone()
    for i, rank_i in depth.items():
        for j, rank_j in depth.items():
            if rank_j > rank_i:
                cut[i] &= ~masks[j]
    return cut


class Oracle:
    """Replaces stages of a two-stage panoptic model by the ground truth
    while in a ``with`` block: patches the instances' methods, its RoI
    head's ``predict_bbox`` (``boxes``), its fusion head's ``predict``
    (``order``, ``stuff``) and then its ``predict`` too, to know the images
    the fusion head gets.

    Args:
        model (nn.Module): the detector.
        gt (GroundTruth): the ground truth of the evaluated split.
        oracles (frozenset): some of :data:`ORACLES`.
    """

    def __init__(self, model: torch.nn.Module, gt: GroundTruth,
                 oracles: frozenset) -> None:
        self.model, self.gt, self.oracles = model, gt, oracles
        self.batch_img_metas: List[dict] = []
        self.fusion = model.panoptic_fusion_head
        self.patched = []

    def __enter__(self) -> 'Oracle':
        if 'boxes' in self.oracles:
            self._patch(self.model.roi_head, 'predict_bbox',
                        self._predict_bbox)
        if self.oracles & {'order', 'stuff'}:
            self._patch(self.model, 'predict', self._predict)
            self._patch(self.fusion, 'predict', self._fuse)
        return self

    def __exit__(self, *exc) -> None:
        for owner, name in self.patched:
            delattr(owner, name)  # back to the class's method
        self.patched = []

    def _patch(self, owner, name, method) -> None:
        setattr(owner, name, method)
        self.patched.append((owner, name))

    def _original(self, owner, name):
        return getattr(type(owner), name).__get__(owner)

    def _predict(self, batch_inputs, batch_data_samples, rescale=True):
        self.batch_img_metas = [s.metainfo for s in batch_data_samples]
        return self._original(self.model,
                              'predict')(batch_inputs, batch_data_samples,
                                         rescale)

    def _predict_bbox(self,
                      x,
                      batch_img_metas,
                      rpn_results_list,
                      rcnn_test_cfg,
                      rescale=False,
                      **kwargs) -> List[InstanceData]:
        """Ground-truth boxes (in the network input's coordinates, or the
        original image's with ``rescale``), classes and score 1; the head's
        extra features (BANet's ``s2i_feat``) are not needed."""
        device = x[0].device
        results = []
        for meta in batch_img_metas:
            boxes, labels = self.gt.boxes_and_labels(meta['img_id'])
            boxes = torch.from_numpy(boxes).to(device)
            if not rescale:
                boxes = boxes * boxes.new_tensor(
                    meta['scale_factor']).repeat(2)
            results.append(
                InstanceData(
                    bboxes=boxes,
                    labels=torch.from_numpy(labels).to(device),
                    scores=boxes.new_ones(len(boxes))))
        return results

    def _fuse(self, mask_results_list, seg_preds_list, **kwargs):
        if len(self.batch_img_metas) != len(mask_results_list):
            raise RuntimeError('oracle: the fusion head got '
                               f'{len(mask_results_list)} images, the batch '
                               f'has {len(self.batch_img_metas)}')
        mask_results_list = list(mask_results_list)
        seg_preds_list = list(seg_preds_list)
        for k, meta in enumerate(self.batch_img_metas):
            if 'order' in self.oracles:
                mask_results_list[k] = self._ground_truth_order(
                    mask_results_list[k], meta)
            if 'stuff' in self.oracles:
                seg_preds_list[k] = self._ground_truth_stuff(
                    seg_preds_list[k], meta)
        return self._original(self.fusion, 'predict')(mask_results_list,
                                                      seg_preds_list, **kwargs)

    def _ground_truth_order(self, results: InstanceData,
                            meta: dict) -> InstanceData:
        if len(results) < 2:
            return results
        masks = results.masks
        gt_boxes, _ = self.gt.boxes_and_labels(meta['img_id'])
        gt_boxes = torch.from_numpy(gt_boxes).to(masks.device)
        if tuple(masks.shape[-2:]) != tuple(meta['ori_shape'][:2]):
            # predictions at the network input's size (rescale=False)
            gt_boxes = gt_boxes * gt_boxes.new_tensor(
                meta['scale_factor']).repeat(2)
        score_thr = (self.fusion.test_cfg or {}).get('score_thr', None)
        kept = torch.arange(len(results), device=masks.device)
        if score_thr is not None:
            kept = kept[results.scores > score_thr]
        match = match_boxes(results.bboxes[kept], gt_boxes)
        rank = self.gt.depth_rank(meta['img_id'])
        things = self.gt.things(meta['img_id'])
        depth = {int(kept[i]): rank[things[g]['id']] for i, g in match.items()}
        results = results.clone()
        results.masks = cut_behind(masks, depth)
        return results

    def _ground_truth_stuff(self, seg_pred: torch.Tensor,
                            meta: dict) -> torch.Tensor:
        fusion = self.fusion
        num_things = fusion.num_things_classes
        layout = resolve_semantic_layout('oracle', 'auto', seg_pred.shape[0],
                                         num_things, fusion.num_stuff_classes)
        labels = torch.from_numpy(self.gt.semantic(meta['img_id']))
        labels = F.interpolate(
            labels[None, None].double(),
            size=seg_pred.shape[-2:],
            mode='nearest')[0, 0].long().to(seg_pred.device)
        channels = labels
        if layout == 'stuff_thing':  # the stuff classes, then one thing
            channels = torch.where(labels < num_things,
                                   labels.new_tensor(seg_pred.shape[0] - 1),
                                   labels - num_things)
        one_hot = torch.zeros_like(seg_pred)
        one_hot.scatter_(0, channels.clamp(min=0)[None], ONE_HOT_LOGIT)
        return torch.where(labels[None] >= 0, one_hot, seg_pred)


def panoptic_metric(cfg: Config) -> dict:
    evaluators = cfg.test_evaluator
    if isinstance(evaluators, dict):
        evaluators = [evaluators]
    for evaluator in evaluators:
        if evaluator['type'] in ('CocoPanopticMetric',
                                 'mmdet.CocoPanopticMetric'):
            return evaluator
    raise ValueError('oracle: the config\'s test_evaluator has no '
                     'CocoPanopticMetric, whose ann_file and seg_prefix are '
                     'the ground truth')


def run_oracles(cfg: Config, checkpoint: str,
                runs: Sequence[str]) -> Dict[str, Optional[dict]]:
    """Metrics of every run (None for a run that cannot run here)."""
    parsed = {run: parse_run(run) for run in runs}
    cfg.load_from = checkpoint
    runner = Runner.from_cfg(cfg)
    model = runner.model.module if hasattr(runner.model,
                                           'module') else runner.model
    metric = panoptic_metric(cfg)
    gt = GroundTruth(metric['ann_file'], metric['seg_prefix'],
                     list(runner.test_dataloader.dataset.metainfo['classes']))
    results = {}
    for run, oracles in parsed.items():
        if 'order' in oracles and not gt.has_depth_order:
            print(f'oracle {run}: cannot run: {gt.ann_file} has no '
                  "'depth_order' (the order in which the instances lie), "
                  'which the occlusion-order oracle needs')
            results[run] = None
            continue
        with Oracle(model, gt, oracles):
            results[run] = runner.test()
    return results


def format_table(results: Dict[str, Optional[dict]]) -> str:
    columns = ('PQ', 'PQ_th', 'PQ_st', 'occ_acc', 'occ_pairs')
    lines = [f"{'oracle':<16}" + ''.join(f'{c:>10}' for c in columns)]
    for run, metrics in results.items():
        if metrics is None:
            lines.append(f"{run:<16}{'cannot run here':>20}")
            continue
        cells = []
        for column in columns:
            value = next(
                (v for k, v in metrics.items() if k.split('/')[-1] == column),
                None)
            cells.append(
                f'{value:>10.1f}' if value is not None else f"{'-':>10}")
        lines.append(f'{run:<16}' + ''.join(cells))
    return '\n'.join(lines)


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir
    results = run_oracles(cfg, args.checkpoint, args.oracles)
    print(format_table(results))
    if args.out:
        with open(args.out, 'w') as f:
            # numpy scalars (a metric's counts) as numbers
            json.dump(
                dict(
                    config=args.config,
                    checkpoint=args.checkpoint,
                    runs=results),
                f,
                indent=1,
                default=lambda v: v.item())


if __name__ == '__main__':
    main()

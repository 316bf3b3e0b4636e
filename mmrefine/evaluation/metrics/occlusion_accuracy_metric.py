import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import pycocotools.mask as mask_utils
import torch
import torch.nn.functional as F
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.fileio import get, load
from mmengine.logging import print_log
from panopticapi.utils import rgb2id

# panopticapi's label of unlabelled ground-truth pixels
GT_VOID = 0
# internal label of void prediction pixels (0 can be a thing's id in mmdet)
PRED_VOID = -1


@METRICS.register_module()
class OcclusionAccuracyMetric(BaseMetric):
    """How often a panoptic prediction puts the right instance in front,
    on the pairs of instances that overlap.

    The ground truth is a COCO panoptic ``ann_file`` with occlusion
    annotations, as the shapes generator writes them
    (:mod:`mmrefine.datasets.shapes_panoptic_generator`): per image
    ``occlusions`` (``[top_id, bottom_id, overlap_px]`` for every pair of
    thing segments whose full shapes overlap) and per thing segment
    ``amodal_segmentation`` (its full mask, COCO RLE); the visible masks are
    the PNGs under ``seg_prefix``.

    Definition. For a ground-truth pair (top, bottom) let

    .. math::

        R = A_{top} \\cap A_{bottom} \\cap V_{top}

    with :math:`A` the amodal and :math:`V` the visible masks: the part of
    the overlap that the ground truth shows as ``top``. (Overlap pixels
    hidden by a third instance in front of both say nothing about this
    pair's order, hence :math:`V_{top}`; a pair whose overlap is hidden
    entirely is no pair.) Every ground-truth thing is matched to the
    predicted segment of its category with IoU > 0.5 against its visible
    mask, PQ's unique matching (union less the prediction's pixels on
    ground-truth void, as panopticapi computes it). The pair is
    *evaluable* if both are matched and *correct* if the prediction matched
    to ``top`` holds more pixels of :math:`R` than the one matched to
    ``bottom`` (a tie is wrong). Reported, in this metric's prefix:

    - ``occ_acc``: correct / evaluable pairs (%);
    - ``occ_pairs``: the number of evaluable pairs;
    - ``occ_coverage``: evaluable / all ground-truth pairs (%), how much of
      ``occ_acc`` the recognition quality lets one measure.

    Predictions are read as ``CocoPanopticMetric`` reads them:
    ``pred_panoptic_seg.sem_seg`` (1, H, W) with
    ``id = label + instance_id * INSTANCE_OFFSET`` and void label
    ``len(dataset_meta['classes'])`` (or the sample's ``ignore_index``).
    A map of another size than the ground truth (``rescale=False``) is
    resized to it, nearest neighbour. Use it next to mmdet's metric::

        val_evaluator = [
            dict(type='CocoPanopticMetric', ann_file=..., seg_prefix=...),
            dict(type='OcclusionAccuracyMetric', ann_file=..., seg_prefix=...)]

    Args:
        ann_file (str): COCO panoptic json with the occlusion annotations.
        seg_prefix (str): directory of the ground-truth panoptic PNGs.
        backend_args (dict, optional): file backend arguments (mmengine).
        collect_device (str): device to gather results across ranks on,
            'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): prefix of the metric names. Defaults to
            ``default_prefix`` ('occlusion').

    Raises:
        ValueError: ``ann_file`` has no occlusion annotations (data written
            before the generator stored amodal masks: regenerate it).
    """
    default_prefix: Optional[str] = 'occlusion'

    def __init__(self,
                 ann_file: str,
                 seg_prefix: str,
                 backend_args: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.seg_prefix = seg_prefix
        self.backend_args = backend_args
        dataset = load(ann_file, backend_args=backend_args)
        self.categories = {c['id']: c for c in dataset['categories']}
        self.annotations = {a['image_id']: a for a in dataset['annotations']}
        self._check_occlusion_annotations(ann_file, dataset.get('info', {}))

    def _check_occlusion_annotations(self, ann_file: str, info: dict) -> None:
        for ann in self.annotations.values():
            things = [s for s in ann['segments_info']
                      if self.categories[s['category_id']]['isthing']]
            if 'occlusions' in ann and all('amodal_segmentation' in s for s in things):
                continue
            data_root = osp.dirname(osp.dirname(osp.abspath(ann_file)))
            # the shapes generator records its parameters in the json
            generator = info.get('generator', {}) if isinstance(info, dict) else {}
            seed = generator.get('seed', '<its seed>')
            raise ValueError(
                f'OcclusionAccuracyMetric: ann_file={ann_file!r} has no occlusion '
                f"annotations (image {ann['image_id']} lacks 'occlusions' or a thing's "
                "'amodal_segmentation'); expected a shapes data set written by the "
                'current generator. Regenerate it, with the parameters recorded in its '
                "info['generator'] (images and PNGs stay the same for the same seed): "
                f'python tools/dataset_converters/create_shapes_panoptic.py {data_root} '
                f'--seed {seed}')

    def _category_labels(self) -> Dict[int, int]:
        """Category id -> mmdet label, by name, as mmdet's metric maps them."""
        if self.dataset_meta is None:
            raise ValueError('OcclusionAccuracyMetric: dataset_meta is None, expected the '
                             "data set's metainfo (mmengine's Evaluator sets it)")
        classes = list(self.dataset_meta['classes'])
        labels = {}
        for cat_id, cat in self.categories.items():
            if cat['name'] not in classes:
                raise ValueError(f"OcclusionAccuracyMetric: category {cat['name']!r} of the "
                                 f'ann_file is not in dataset_meta classes={classes}')
            labels[cat_id] = classes.index(cat['name'])
        return labels

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Score the occluding pairs of each image: one entry per image
        (BaseMetric gathers exactly one per sample across ranks), a tuple
        of ``(top_id, bottom_id, evaluable, correct)`` per pair."""
        cat_labels = self._category_labels()
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            img_id = sample['img_id']
            if img_id not in self.annotations:
                raise ValueError(f'OcclusionAccuracyMetric: img_id={img_id!r} is not in '
                                 'the ann_file, expected an image of its data set')
            ann = self.annotations[img_id]
            if not ann['occlusions']:
                self.results.append(())
                continue
            png = get(osp.join(self.seg_prefix, ann['file_name']), backend_args=self.backend_args)
            gt = rgb2id(mmcv.imfrombytes(png, flag='color', channel_order='rgb'))
            pred = self._prediction(sample['pred_panoptic_seg'], gt.shape, num_classes)
            self.results.append(tuple(self._score_pairs(ann, gt, pred, cat_labels)))

    @staticmethod
    def _prediction(pred_panoptic_seg: dict, shape: Tuple[int, int],
                    num_classes: int) -> np.ndarray:
        """The (H, W) id map at the ground truth's size, void as PRED_VOID."""
        sem_seg = pred_panoptic_seg['sem_seg']
        if not isinstance(sem_seg, torch.Tensor):
            sem_seg = torch.as_tensor(sem_seg)
        sem_seg = sem_seg.detach().cpu().long()
        if tuple(sem_seg.shape[-2:]) != tuple(shape):
            # ids < 2^53 stay exact in float64
            sem_seg = F.interpolate(sem_seg[None].double(), size=shape, mode='nearest')[0].long()
        pan = sem_seg.numpy()[0]
        labels = pan % INSTANCE_OFFSET
        ignore_index = pred_panoptic_seg.get('ignore_index', num_classes)
        return np.where((labels == num_classes) | (labels == ignore_index), PRED_VOID, pan)

    def _score_pairs(self, ann: dict, gt: np.ndarray, pred: np.ndarray,
                     cat_labels: Dict[int, int]) -> List[Tuple[int, int, bool, bool]]:
        segments = {s['id']: s for s in ann['segments_info']}
        amodal = {}
        for top, bottom, _ in ann['occlusions']:
            for seg_id in (top, bottom):
                if seg_id not in amodal:
                    amodal[seg_id] = mask_utils.decode(
                        segments[seg_id]['amodal_segmentation']).astype(bool)
        match = {seg_id: self._pq_match(gt == seg_id, cat_labels[segments[seg_id]['category_id']],
                                        gt, pred) for seg_id in amodal}
        scores = []
        for top, bottom, _ in ann['occlusions']:
            region = amodal[top] & amodal[bottom] & (gt == top)
            if not region.any():
                continue
            evaluable = match[top] is not None and match[bottom] is not None
            correct = evaluable and bool(
                (pred[region] == match[top]).sum() > (pred[region] == match[bottom]).sum())
            scores.append((top, bottom, evaluable, correct))
        return scores

    @staticmethod
    def _pq_match(visible: np.ndarray, label: int, gt: np.ndarray,
                  pred: np.ndarray) -> Optional[int]:
        """The predicted segment id of category ``label`` with IoU > 0.5
        against the ``visible`` ground-truth mask, else None. IoU as
        panopticapi: the union leaves out the prediction's pixels on
        ground-truth void. Above 0.5 at most one segment can match."""
        ids, inter = np.unique(pred[visible], return_counts=True)
        for pred_id, intersection in zip(ids, inter):
            if pred_id == PRED_VOID or pred_id % INSTANCE_OFFSET != label:
                continue
            pred_mask = pred == pred_id
            on_void = (pred_mask & (gt == GT_VOID)).sum()
            union = pred_mask.sum() + visible.sum() - intersection - on_void
            if intersection / union > 0.5:
                return int(pred_id)
        return None

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Accuracy and coverage over every image's pairs."""
        pairs = [pair for image in results for pair in image]
        evaluable = sum(p[2] for p in pairs)
        correct = sum(p[3] for p in pairs)
        if not evaluable:
            print_log(f'OcclusionAccuracyMetric: none of {len(pairs)} occluding pairs is '
                      'evaluable (both instances matched), occ_acc reported as 0', 'current')
        return dict(
            occ_acc=round(100.0 * correct / max(evaluable, 1), 3),
            occ_pairs=evaluable,
            occ_coverage=round(100.0 * evaluable / max(len(pairs), 1), 3))

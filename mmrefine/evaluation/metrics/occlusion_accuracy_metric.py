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

        O = A_{top} \\cap A_{bottom}, \\qquad R = O \\cap V_{top}

    with :math:`A` the amodal and :math:`V` the visible masks: :math:`O`
    the overlap of the full shapes, :math:`R` the part of it that the
    ground truth shows as ``top``. (Overlap pixels hidden by a third
    instance in front of both say nothing about this pair's order, hence
    :math:`V_{top}`; a pair whose overlap is hidden entirely is no pair.)

    Matching. Each instance is identified by its *own* pixels: its
    visible pixels that the full shape of no instance overlapping it
    covers. They show that instance whatever the order. Its predicted
    segment is the one of its category whose pixels outside those full
    shapes have IoU > 0.5 with its own pixels (IoU as panopticapi computes
    it: the union leaves out the prediction's pixels on ground-truth void).
    An instance without own pixels (a small shape wholly on larger ones)
    is matched over its whole shape instead: the segment with IoU > 0.5
    against its visible or its amodal mask. Matching whole visible masks,
    as PQ does, would not do: a prediction that puts ``bottom`` in front
    grows ``bottom``'s segment towards :math:`A_{bottom}` and shrinks
    ``top``'s, so the wrong orders would drop out of the judged pairs
    instead of counting as wrong.

    Judging. A pair is *judged* when both instances are matched, to two
    segments, and then *correct* when the segment of ``top`` holds more
    pixels of :math:`R` than that of ``bottom`` (a tie is wrong). One
    exception: an instance without own pixels put behind the other is
    hidden entirely (or dropped by the fusion), which the prediction cannot
    tell from a missed detection. A pair where such an instance is
    unmatched, the other one matched, and predicted things cover more than
    half of :math:`R` is judged too, the unmatched instance holding
    nothing: wrong when it is ``top``. Other pairs with an unmatched
    instance are not judged. Reported, in this metric's prefix:

    - ``occ_acc``: correct / judged pairs (%);
    - ``occ_pairs``: the number of judged pairs;
    - ``occ_pairs_hidden``: of these, those judged with an unmatched
      instance (the exception above);
    - ``occ_pairs_total``: the number of ground-truth pairs;
    - ``occ_coverage``: judged / ground-truth pairs (%), the share of the
      pairs on which ``occ_acc`` is measured: low when the prediction misses
      or misshapes the instances, whatever their order.

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
            things = [
                s for s in ann['segments_info']
                if self.categories[s['category_id']]['isthing']
            ]
            if 'occlusions' in ann and all('amodal_segmentation' in s
                                           for s in things):
                continue
            data_root = osp.dirname(osp.dirname(osp.abspath(ann_file)))
            # the shapes generator records its parameters in the json
            generator = info.get('generator', {}) if isinstance(info,
                                                                dict) else {}
            seed = generator.get('seed', '<its seed>')
            raise ValueError(
                f'OcclusionAccuracyMetric: ann_file={ann_file!r} has no '
                f"occlusion annotations (image {ann['image_id']} lacks "
                "'occlusions' or a thing's 'amodal_segmentation'); "
                'expected a shapes data set written by the current '
                'generator. Regenerate it, with the parameters recorded in '
                "its info['generator'] (images and PNGs stay the same for "
                'the same seed): python '
                'tools/dataset_converters/create_shapes_panoptic.py '
                f'{data_root} --seed {seed}')

    def _category_labels(self) -> Dict[int, int]:
        """Category id -> mmdet label, by name, as mmdet's metric maps them."""
        if self.dataset_meta is None:
            raise ValueError(
                'OcclusionAccuracyMetric: dataset_meta is None, expected the '
                "data set's metainfo (mmengine's Evaluator sets it)")
        classes = list(self.dataset_meta['classes'])
        labels = {}
        for cat_id, cat in self.categories.items():
            if cat['name'] not in classes:
                raise ValueError(
                    'OcclusionAccuracyMetric: category '
                    f"{cat['name']!r} of the "
                    f'ann_file is not in dataset_meta classes={classes}')
            labels[cat_id] = classes.index(cat['name'])
        return labels

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Score the occluding pairs of each image: one entry per image
        (BaseMetric gathers exactly one per sample across ranks), a tuple
        of ``(top_id, bottom_id, judged, correct, one_lacking)`` per
        pair."""
        cat_labels = self._category_labels()
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            img_id = sample['img_id']
            if img_id not in self.annotations:
                raise ValueError(
                    f'OcclusionAccuracyMetric: img_id={img_id!r} is not in '
                    'the ann_file, expected an image of its data set')
            ann = self.annotations[img_id]
            if not ann['occlusions']:
                self.results.append(())
                continue
            png = get(
                osp.join(self.seg_prefix, ann['file_name']),
                backend_args=self.backend_args)
            gt = rgb2id(
                mmcv.imfrombytes(png, flag='color', channel_order='rgb'))
            pred = self._prediction(sample['pred_panoptic_seg'], gt.shape,
                                    num_classes)
            self.results.append(
                tuple(self._score_pairs(ann, gt, pred, cat_labels)))

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
            sem_seg = F.interpolate(
                sem_seg[None].double(), size=shape, mode='nearest')[0].long()
        pan = sem_seg.numpy()[0]
        labels = pan % INSTANCE_OFFSET
        ignore_index = pred_panoptic_seg.get('ignore_index', num_classes)
        return np.where((labels == num_classes) | (labels == ignore_index),
                        PRED_VOID, pan)

    def _score_pairs(
            self, ann: dict, gt: np.ndarray, pred: np.ndarray,
            cat_labels: Dict[int,
                             int]) -> List[Tuple[int, int, bool, bool, bool]]:
        segments = {s['id']: s for s in ann['segments_info']}
        amodal = {}
        for top, bottom, _ in ann['occlusions']:
            for seg_id in (top, bottom):
                if seg_id not in amodal:
                    amodal[seg_id] = mask_utils.decode(
                        segments[seg_id]['amodal_segmentation']).astype(bool)
        # the full shapes of the instances overlapping each one
        others = {seg_id: np.zeros_like(gt, bool) for seg_id in amodal}
        for top, bottom, _ in ann['occlusions']:
            others[top] |= amodal[bottom]
            others[bottom] |= amodal[top]
        own = {seg_id: (gt == seg_id) & ~others[seg_id] for seg_id in amodal}
        match = {
            seg_id:
            self._match(gt == seg_id, own[seg_id], amodal[seg_id],
                        others[seg_id],
                        cat_labels[segments[seg_id]['category_id']], gt, pred)
            for seg_id in amodal
        }
        scores = []
        for top, bottom, _ in ann['occlusions']:
            region = amodal[top] & amodal[bottom] & (gt == top)
            if not region.any():
                continue
            held = {
                seg_id:
                0 if match[seg_id] is None else int(
                    (pred[region] == match[seg_id]).sum())
                for seg_id in (top, bottom)
            }
            lacking = [g for g in (top, bottom) if match[g] is None]
            if not lacking:
                judged = match[top] != match[bottom]
            else:
                # instance ids start at 1: things are >= INSTANCE_OFFSET
                taken = (pred[region] >= INSTANCE_OFFSET).sum()
                judged = len(lacking) == 1 and not own[lacking[0]].any() \
                    and 2 * taken > region.sum()
            correct = judged and held[top] > held[bottom]
            # Python bools: the counts must be ints, which mmengine's json
            # log keeps (it drops numpy integers)
            scores.append(
                (top, bottom, bool(judged), bool(correct), bool(lacking)))
        return scores

    @classmethod
    def _match(cls, visible: np.ndarray, own: np.ndarray, amodal: np.ndarray,
               others: np.ndarray, label: int, gt: np.ndarray,
               pred: np.ndarray) -> Optional[int]:
        """The predicted segment id of an instance, else None: matched on
        its ``own`` pixels (``visible`` less the ``others``' full shapes),
        or over its whole shape where it has none (see the class
        docstring)."""
        if own.any():
            return cls._iou_match(own, label, gt, pred, ~others)
        for target in (visible, amodal):
            match = cls._iou_match(target, label, gt, pred)
            if match is not None:
                return match
        return None

    @staticmethod
    def _iou_match(target: np.ndarray,
                   label: int,
                   gt: np.ndarray,
                   pred: np.ndarray,
                   within: Optional[np.ndarray] = None) -> Optional[int]:
        """The predicted segment id of category ``label`` whose pixels in
        ``within`` (everywhere if None) have IoU > 0.5 with ``target``,
        else None. IoU as panopticapi: the union leaves out the
        prediction's pixels on ground-truth void."""
        ids, inter = np.unique(pred[target], return_counts=True)
        for pred_id, intersection in zip(ids, inter):
            if pred_id == PRED_VOID or pred_id % INSTANCE_OFFSET != label:
                continue
            pred_mask = pred == pred_id
            if within is not None:
                pred_mask &= within
            on_void = (pred_mask & (gt == GT_VOID)).sum()
            union = pred_mask.sum() + target.sum() - intersection - on_void
            if intersection / union > 0.5:
                return int(pred_id)
        return None

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Accuracy and coverage over every image's pairs."""
        pairs = [pair for image in results for pair in image]
        judged = sum(p[2] for p in pairs)
        correct = sum(p[3] for p in pairs)
        hidden = sum(p[2] and p[4] for p in pairs)
        if not judged:
            print_log(
                f'OcclusionAccuracyMetric: none of {len(pairs)} occluding '
                'pairs is judged (both instances matched), occ_acc '
                'reported as 0', 'current')
        return dict(
            occ_acc=round(100.0 * correct / max(judged, 1), 3),
            occ_pairs=judged,
            occ_pairs_hidden=hidden,
            occ_pairs_total=len(pairs),
            occ_coverage=round(100.0 * judged / max(len(pairs), 1), 3))

"""Generate "shapes": a synthetic data set in the exact COCO panoptic layout.

Layout written under ``out_dir`` (what mmdet's ``CocoPanopticDataset``,
``LoadPanopticAnnotations``, ``CocoPanopticMetric`` and ``CocoMetric`` read)::

    annotations/panoptic_{train,val}2017.json
    annotations/panoptic_{train,val}2017/<image id>.png
    annotations/instances_{train,val}2017.json
    {train,val}2017/<image id>.jpg

The panoptic PNGs encode a segment id as ``R + 256 G + 256^2 B``; the
instances JSON holds the visible masks as RLE.

Content: the background is split into regions of textured *stuff* classes
(one segment per stuff class, as in COCO); *thing* instances (shapes of
random colour, size and rotation) are painted back to front, so the ground
truth of each is its visible part. ``occlusion_rate`` is the probability that
a new instance is placed over an earlier one (same class with probability
``same_class_rate``, often smaller, so small objects lie on large ones);
otherwise it is placed where it overlaps nothing. Every instance keeps at
least ``min_visible`` of its area visible.

Occlusion ground truth, in keys that mmdet's ``CocoPanopticDataset``,
``CocoPanopticMetric`` and panopticapi ignore: each panoptic annotation
carries ``depth_order`` (thing segment ids from back to front) and
``occlusions`` (``[top_id, bottom_id, overlap_px]`` for every pair whose
full shapes overlap, ``overlap_px`` the area of that intersection), and each
thing's ``segments_info`` entry carries ``amodal_segmentation``: its full,
unoccluded mask as COCO RLE (the visible mask is the PNG's). So occlusion
accuracy (:class:`mmrefine.evaluation.OcclusionAccuracyMetric`) can be
measured directly.

``categories`` replaces the shapes' class lists with any COCO-style list
(``id``, ``name``, ``isthing``), e.g. COCO panoptic's 133
(:func:`mmrefine.datasets.coco_panoptic_categories`), so that COCO configs
run on it unchanged: the k-th thing category is drawn as the k-th shape and
the k-th stuff category with the k-th texture, cyclically.

Generation is deterministic for a seed: image ``i`` of a split draws from
``np.random.default_rng([seed, split, i])``.
"""
import json
import os
import os.path as osp
import shutil
import tempfile
from dataclasses import asdict, dataclass, replace
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import pycocotools.mask as mask_utils

THING_CLASSES = ('circle', 'triangle', 'rectangle', 'star')
STUFF_CLASSES = ('stripes', 'checker', 'speckle')
# Fixed palette, things first then stuff (mmdet's class order).
PALETTE = ((220, 20, 60), (0, 130, 200), (255, 180, 0), (60, 180, 75),
           (150, 150, 150), (120, 80, 40), (70, 40, 120))
SPLITS = ('train', 'val')
STUFF_ID_BASE = 1000  # stuff segment id = base + category id; things 1..n


@dataclass
class ShapesConfig:
    """Parameters of the generator; every one is validated."""
    num_train: int = 1000
    num_val: int = 1000
    img_size: Tuple[int, int] = (256, 256)  # (height, width)
    min_instances: int = 2
    max_instances: int = 6
    occlusion_rate: float = 0.5
    same_class_rate: float = 0.3
    min_visible: float = 0.3
    size_range: Tuple[float,
                      float] = (0.06, 0.2)  # radius / min(height, width)
    thing_classes: Sequence[str] = THING_CLASSES
    stuff_classes: Sequence[str] = STUFF_CLASSES
    categories: Optional[Sequence[dict]] = None  # replaces the two above
    seed: int = 0
    jpeg_quality: int = 95

    def validate(self):

        def fail(name, expected):
            raise ValueError(
                f'shapes data set: {name}={getattr(self, name)!r} '
                f'is invalid, expected {expected}')

        for name in ('num_train', 'num_val'):
            if not isinstance(getattr(self, name), int) or getattr(self,
                                                                   name) < 0:
                fail(name, 'an integer >= 0')
        if self.num_train + self.num_val == 0:
            fail('num_train', 'num_train + num_val >= 1')
        if (len(self.img_size) != 2 or any(not isinstance(s, int) or s < 32
                                           for s in self.img_size)):
            fail('img_size', '(height, width), both integers >= 32')
        if not isinstance(self.min_instances, int) or self.min_instances < 0:
            fail('min_instances', 'an integer >= 0')
        if (not isinstance(self.max_instances, int)
                or not self.min_instances <= self.max_instances <= 50):
            fail('max_instances',
                 f'an integer in [min_instances={self.min_instances}, 50]')
        for name in ('occlusion_rate', 'same_class_rate'):
            if not 0.0 <= getattr(self, name) <= 1.0:
                fail(name, 'a probability in [0, 1]')
        if not 0.0 < self.min_visible <= 1.0:
            fail('min_visible', 'a fraction in (0, 1]')
        lo, hi = self.size_range
        if not 0.0 < lo <= hi <= 1.0:
            fail('size_range', '(low, high) with 0 < low <= high <= 1')
        for name, known in (('thing_classes', THING_CLASSES), ('stuff_classes',
                                                               STUFF_CLASSES)):
            names = tuple(getattr(self, name))
            unknown = [n for n in names if n not in known]
            if not names or unknown or len(set(names)) != len(names):
                fail(name, f'one or more distinct names out of {known}')
        if self.categories is not None:
            cats = list(self.categories)
            ids = [c.get('id') for c in cats]
            names = [c.get('name') for c in cats]
            if (any(not isinstance(i, int) or i < 1
                    for i in ids) or len(set(ids)) != len(ids)
                    or any(not isinstance(n, str)
                           for n in names) or len(set(names)) != len(names)
                    or {c.get('isthing')
                        for c in cats} != {0, 1}):
                fail(
                    'categories', 'dicts with distinct integer ids >= 1, '
                    'distinct names and isthing 1 or 0, both present')
        if not 1 <= self.jpeg_quality <= 100:
            fail('jpeg_quality', 'an integer in [1, 100]')


# ---------------------------------------------------------------- drawing ---
def _shape_polygon(cls: str, center, radius: float, angle: float,
                   rng: np.random.Generator) -> np.ndarray:
    """Vertices (N, 2) in (x, y) of a shape of class ``cls``."""
    if cls == 'circle':
        t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        pts = np.stack([np.cos(t), np.sin(t)], 1)
    elif cls == 'triangle':
        t = np.array([0, 2, 4]) * np.pi / 3 + np.pi / 2
        pts = np.stack([np.cos(t), np.sin(t)], 1)
    elif cls == 'rectangle':
        aspect = rng.uniform(0.45, 0.8)
        pts = np.array([[-1, -aspect], [1, -aspect], [1, aspect], [-1,
                                                                   aspect]])
    elif cls == 'star':
        t = np.arange(10) * np.pi / 5 + np.pi / 2
        r = np.where(np.arange(10) % 2 == 0, 1.0, 0.45)
        pts = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    else:  # validated before; a new class must get a shape here
        raise KeyError(cls)
    rot = np.array([[np.cos(angle), -np.sin(angle)],
                    [np.sin(angle), np.cos(angle)]])
    return pts @ rot.T * radius + np.asarray(center, dtype=np.float64)


def _rasterize(poly: np.ndarray, shape) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(
        mask, [np.round(poly * 16).astype(np.int32)],
        1,
        lineType=cv2.LINE_8,
        shift=4)
    return mask.astype(bool)


def _texture(cls: str, shape, rng: np.random.Generator) -> np.ndarray:
    """An RGB float image (H, W, 3) of the stuff texture ``cls``."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c1, c2 = rng.uniform(0, 255, (2, 3)).astype(np.float32)
    if cls == 'stripes':
        theta = rng.uniform(0, np.pi)
        period = rng.uniform(6, 12)
        t = (
            np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) /
                   period) > 0)
    elif cls == 'checker':
        cell = int(rng.integers(5, 10))
        t = ((xx // cell + yy // cell) % 2) > 0
    elif cls == 'speckle':
        t = rng.random((h, w)) > 0.6
    else:
        raise KeyError(cls)
    t = t.astype(np.float32)[..., None]
    return c1 * t + c2 * (1 - t)


def _stuff_layout(cfg: ShapesConfig, rng: np.random.Generator) -> np.ndarray:
    """(H, W) map of stuff class indices: a Voronoi partition of 2-4 seeds."""
    h, w = cfg.img_size
    num_regions = int(rng.integers(2, 5))
    seeds = rng.uniform(0, 1, (num_regions, 2)) * (h, w)
    labels = rng.integers(0, len(cfg.stuff_classes), num_regions)
    yy, xx = np.mgrid[0:h, 0:w]
    d = (yy[None] - seeds[:, 0, None, None])**2 + (xx[None] -
                                                   seeds[:, 1, None, None])**2
    return labels[np.argmin(d, 0)]


def _generate_image(cfg: ShapesConfig, rng: np.random.Generator):
    """One image: RGB uint8 (H, W, 3), stuff map, instance list, id map."""
    h, w = cfg.img_size
    stuff = _stuff_layout(cfg, rng)
    img = np.zeros((h, w, 3), np.float32)
    for k, cls in enumerate(cfg.stuff_classes):
        region = stuff == k
        if region.any():
            img[region] = _texture(cls, (h, w), rng)[region]

    owner = np.full((h, w), -1, np.int32)  # index of the visible instance
    instances: List[dict] = []
    side = min(h, w)
    target = int(rng.integers(cfg.min_instances, cfg.max_instances + 1))
    for _ in range(target):
        for _attempt in range(20):
            occlude = bool(instances) and rng.random() < cfg.occlusion_rate
            cls_idx = int(rng.integers(len(cfg.thing_classes)))
            radius = rng.uniform(*cfg.size_range) * side
            if occlude:
                below = instances[int(rng.integers(len(instances)))]
                if rng.random() < cfg.same_class_rate:
                    cls_idx = below['label']
                if rng.random() < 0.5:  # a small object on a larger one
                    radius = min(radius,
                                 below['radius'] * rng.uniform(0.3, 0.7))
                ys, xs = np.nonzero(below['full'])
                pick = int(rng.integers(len(ys)))
                center = (xs[pick], ys[pick])
            else:
                center = (rng.uniform(radius * 0.5, w - radius * 0.5),
                          rng.uniform(radius * 0.5, h - radius * 0.5))
            poly = _shape_polygon(cfg.thing_classes[cls_idx], center, radius,
                                  rng.uniform(0, 2 * np.pi), rng)
            full = _rasterize(poly, (h, w))
            if full.sum() < 16:
                continue
            overlaps = [
                i for i, ins in enumerate(instances)
                if (ins['full'] & full).any()
            ]
            if occlude != bool(overlaps):
                continue
            new_owner = owner.copy()
            new_owner[full] = len(instances)
            if all(
                (new_owner == i).sum() >= cfg.min_visible * ins['full'].sum()
                    for i, ins in enumerate(instances)):
                owner = new_owner
                instances.append(dict(label=cls_idx, full=full, radius=radius))
                break
    for i, ins in enumerate(instances):
        colour = rng.uniform(0, 255, 3).astype(np.float32)
        shade = rng.normal(0, 6, (h, w, 1)).astype(np.float32)
        vis = owner == i
        img[vis] = colour + shade[vis]
    img += rng.normal(0, 4, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8), stuff, instances, owner


def _bbox(mask: np.ndarray) -> List[int]:
    """COCO [x, y, w, h] of a binary mask, as panopticapi computes it."""
    ys, xs = np.nonzero(mask)
    x0, y0 = int(xs.min()), int(ys.min())
    return [x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1]


def _rle(mask: np.ndarray) -> dict:
    """COCO RLE of a binary mask, JSON-ready (``counts`` as a string)."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


# ---------------------------------------------------------------- writing ---
def _categories(cfg: ShapesConfig) -> List[dict]:
    if cfg.categories is not None:
        return [{
            'supercategory': 'thing' if c['isthing'] else 'stuff',
            'color': list(PALETTE[k % len(PALETTE)]),
            **c
        } for k, c in enumerate(cfg.categories)]
    cats = []
    for isthing, names in ((1, cfg.thing_classes), (0, cfg.stuff_classes)):
        for name in names:
            # ids and colours are fixed per name, so subsets stay comparable
            idx = (THING_CLASSES + STUFF_CLASSES).index(name)
            cats.append(
                dict(
                    id=idx + 1,
                    name=name,
                    supercategory='shape' if isthing else 'texture',
                    isthing=isthing,
                    color=list(PALETTE[idx])))
    return cats


def _check_out_dir(out_dir: str, overwrite: bool):
    """Refuse to write over a non-empty ``out_dir`` unless ``overwrite``."""
    if osp.isdir(out_dir) and os.listdir(out_dir) and not overwrite:
        entries = sorted(os.listdir(out_dir))
        raise ValueError(
            f'shapes data set: output directory {out_dir} is not empty '
            f'({len(entries)} entries: {entries[:5]}); choose an empty or new '
            f'one, or pass overwrite=True (--overwrite) to replace all of it')
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise ValueError(f'shapes data set: output {out_dir} is a file, '
                         f'expected a directory')


def _replace_dir(tmp_dir: str, out_dir: str):
    """Move the finished ``tmp_dir`` to ``out_dir``, replacing it.

    Two renames on one file system: a run killed between them leaves the
    old set under a hidden name beside ``out_dir`` and none at ``out_dir``,
    never a mix of old and new files.
    """
    old_dir = None
    if osp.isdir(out_dir):
        if os.listdir(out_dir):
            old_dir = tempfile.mkdtemp(
                prefix=f'.{osp.basename(out_dir)}.old-',
                dir=osp.dirname(out_dir))
            os.rename(out_dir, osp.join(old_dir, 'data'))
        else:
            os.rmdir(out_dir)
    os.rename(tmp_dir, out_dir)
    if old_dir is not None:
        shutil.rmtree(old_dir)


def generate_shapes_panoptic(out_dir: str,
                             overwrite: bool = False,
                             **params) -> Dict[str, int]:
    """Write the shapes data set to ``out_dir``; returns images per split.

    The set is written to a temporary directory beside ``out_dir`` and
    renamed to it when complete, so a run killed part way leaves the old set
    (or none), never old and new files mixed.

    Args:
        out_dir (str): root of the data set (the config's ``data_root``).
        overwrite (bool): replace a non-empty ``out_dir`` (all of it).
            Defaults to False: refuse it.
        **params: fields of :class:`ShapesConfig`; unknown names raise.

    Raises:
        ValueError: an unknown or invalid parameter, naming it, or a
            non-empty ``out_dir`` without ``overwrite``.
    """
    known = set(ShapesConfig.__dataclass_fields__)
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f'shapes data set: unknown parameter(s) {unknown}; '
                         f'expected some of {sorted(known)}')
    cfg = ShapesConfig(**params)
    cfg.img_size = tuple(cfg.img_size)
    cfg.validate()
    cats = _categories(cfg)
    out_dir = osp.abspath(out_dir)
    _check_out_dir(out_dir, overwrite)
    os.makedirs(osp.dirname(out_dir), exist_ok=True)
    tmp_dir = tempfile.mkdtemp(
        prefix=f'.{osp.basename(out_dir)}.tmp-', dir=osp.dirname(out_dir))
    # mkdtemp makes it private; give the set the usual permissions
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_dir, 0o777 & ~umask)
    try:
        counts = _write_splits(tmp_dir, cfg, cats)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    _replace_dir(tmp_dir, out_dir)
    return counts


def _write_splits(out_dir: str, cfg: ShapesConfig,
                  cats: List[dict]) -> Dict[str, int]:
    """Write both splits under ``out_dir``; returns images per split."""
    thing_cat = [c['id'] for c in cats if c['isthing']]
    stuff_cat = [c['id'] for c in cats if not c['isthing']]
    draw = cfg if cfg.categories is None else replace(
        cfg,
        thing_classes=[
            THING_CLASSES[k % len(THING_CLASSES)]
            for k in range(len(thing_cat))
        ],
        stuff_classes=[
            STUFF_CLASSES[k % len(STUFF_CLASSES)]
            for k in range(len(stuff_cat))
        ])
    ann_dir = osp.join(out_dir, 'annotations')
    os.makedirs(ann_dir, exist_ok=True)
    counts = {}
    for split_idx, split in enumerate(SPLITS):
        num = cfg.num_train if split == 'train' else cfg.num_val
        img_dir = osp.join(out_dir, f'{split}2017')
        png_dir = osp.join(ann_dir, f'panoptic_{split}2017')
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(png_dir, exist_ok=True)
        images, pan_anns, ins_anns = [], [], []
        for i in range(num):
            rng = np.random.default_rng([cfg.seed, split_idx, i])
            img, stuff, instances, owner = _generate_image(draw, rng)
            image_id = i + 1
            name = f'{image_id:012d}'
            h, w = cfg.img_size
            images.append(
                dict(id=image_id, file_name=f'{name}.jpg', height=h, width=w))

            pan = np.zeros((h, w), np.int64)
            segments = []
            for k in range(len(stuff_cat)):
                region = (stuff == k) & (owner < 0)
                if region.any():
                    seg_id = STUFF_ID_BASE + stuff_cat[k]
                    pan[region] = seg_id
                    segments.append(
                        dict(
                            id=seg_id,
                            category_id=stuff_cat[k],
                            iscrowd=0,
                            area=int(region.sum()),
                            bbox=_bbox(region)))
            for j, ins in enumerate(instances):
                vis = owner == j
                seg_id = j + 1
                pan[vis] = seg_id
                seg = dict(
                    id=seg_id,
                    category_id=thing_cat[ins['label']],
                    iscrowd=0,
                    area=int(vis.sum()),
                    bbox=_bbox(vis),
                    amodal_segmentation=_rle(ins['full']))
                segments.append(seg)
                ins_anns.append(
                    dict(
                        id=len(ins_anns) + 1,
                        image_id=image_id,
                        category_id=seg['category_id'],
                        segmentation=_rle(vis),
                        area=seg['area'],
                        bbox=seg['bbox'],
                        iscrowd=0))
            occlusions = [[
                b + 1, a + 1,
                int((instances[a]['full'] & instances[b]['full']).sum())
            ] for a in range(len(instances))
                          for b in range(a + 1, len(instances))
                          if (instances[a]['full']
                              & instances[b]['full']).any()]
            pan_anns.append(
                dict(
                    image_id=image_id,
                    file_name=f'{name}.png',
                    segments_info=segments,
                    depth_order=[j + 1 for j in range(len(instances))],
                    occlusions=occlusions))
            rgb = np.stack([pan % 256, pan // 256 % 256, pan // 65536],
                           -1).astype(np.uint8)
            # cv2 writes BGR: reverse the channels so the file holds RGB
            cv2.imwrite(osp.join(png_dir, f'{name}.png'), rgb[..., ::-1])
            cv2.imwrite(
                osp.join(img_dir, f'{name}.jpg'), img[..., ::-1],
                [cv2.IMWRITE_JPEG_QUALITY, cfg.jpeg_quality])
        info = dict(
            description='mmrefine synthetic shapes panoptic data set',
            generator=asdict(cfg),
            split=split)
        with open(osp.join(ann_dir, f'panoptic_{split}2017.json'), 'w') as f:
            json.dump(
                dict(
                    info=info,
                    licenses=[],
                    images=images,
                    annotations=pan_anns,
                    categories=cats), f)
        with open(osp.join(ann_dir, f'instances_{split}2017.json'), 'w') as f:
            json.dump(
                dict(
                    info=info,
                    licenses=[],
                    images=images,
                    annotations=ins_anns,
                    categories=[c for c in cats if c['isthing']]), f)
        counts[split] = num
    return counts

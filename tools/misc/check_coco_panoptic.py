"""Check that a COCO panoptic data set's JSON, images and PNGs agree.

The check :class:`mmrefine.datasets.ShapesPanopticDataset` runs when it is
built, for any COCO panoptic set. Exits 1 listing the problems, each naming
the annotation file, the image id, the file and the segment.

Example::

    python tools/misc/check_coco_panoptic.py \\
        data/coco/annotations/panoptic_val2017.json data/coco/val2017 \\
        data/coco/annotations/panoptic_val2017 --nproc 8
"""
import argparse
import time

from mmdet.registry import DATASETS
from mmdet.utils import register_all_modules

import mmrefine  # noqa: F401 (registers mmrefine's data sets)
from mmrefine.datasets import check_coco_panoptic


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('ann_file', help='panoptic JSON')
    p.add_argument('img_dir', help='directory of the images')
    p.add_argument('seg_dir', help='directory of the panoptic PNGs')
    p.add_argument(
        '--dataset-type',
        default='CocoPanopticDataset',
        help='data set class whose METAINFO classes the JSON categories '
        'must match (e.g. ShapesPanopticDataset); "none" to skip')
    p.add_argument(
        '--nproc', type=int, default=1, help='processes that decode the files')
    return p.parse_args()


def main():
    args = parse_args()
    classes = thing_classes = None
    if args.dataset_type != 'none':
        register_all_modules()
        meta = DATASETS.get(args.dataset_type).METAINFO
        classes, thing_classes = meta['classes'], meta['thing_classes']
    start = time.perf_counter()
    try:
        num = check_coco_panoptic(
            args.ann_file,
            args.img_dir,
            args.seg_dir,
            classes,
            thing_classes,
            nproc=args.nproc)
    except ValueError as e:
        raise SystemExit(f'error: {e}')
    print(f'{args.ann_file}: {num} images, JSON, images and PNGs agree '
          f'({time.perf_counter() - start:.1f} s)')


if __name__ == '__main__':
    main()

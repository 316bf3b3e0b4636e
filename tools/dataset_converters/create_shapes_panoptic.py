"""Write the synthetic "shapes" COCO-panoptic data set.

Example::

    python tools/dataset_converters/create_shapes_panoptic.py data/shapes \
        --num-train 1000 --num-val 200 --seed 0
    # COCO-shaped: COCO panoptic's 133 categories, COCO-size images
    python tools/dataset_converters/create_shapes_panoptic.py \
        data/coco_shapes --coco-categories --img-size 480 640 \
        --num-train 2 --num-val 1
"""
import argparse
import time

from mmrefine.datasets import (ShapesConfig, coco_panoptic_categories,
                               generate_shapes_panoptic)


def parse_args():
    d = ShapesConfig()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('out_dir', help='data set root (the config\'s data_root)')
    p.add_argument('--num-train', type=int, default=d.num_train)
    p.add_argument('--num-val', type=int, default=d.num_val)
    p.add_argument(
        '--img-size',
        type=int,
        nargs=2,
        default=d.img_size,
        metavar=('H', 'W'))
    p.add_argument('--min-instances', type=int, default=d.min_instances)
    p.add_argument('--max-instances', type=int, default=d.max_instances)
    p.add_argument(
        '--occlusion-rate',
        type=float,
        default=d.occlusion_rate,
        help='probability that an instance is placed over another')
    p.add_argument(
        '--same-class-rate',
        type=float,
        default=d.same_class_rate,
        help='probability that an occluder has the class of the occluded')
    p.add_argument('--min-visible', type=float, default=d.min_visible)
    p.add_argument(
        '--size-range',
        type=float,
        nargs=2,
        default=d.size_range,
        metavar=('LOW', 'HIGH'),
        help='radius as a fraction of the image side')
    p.add_argument('--thing-classes', nargs='+', default=list(d.thing_classes))
    p.add_argument('--stuff-classes', nargs='+', default=list(d.stuff_classes))
    p.add_argument(
        '--coco-categories',
        action='store_true',
        help='COCO panoptic\'s 133 categories (ids and names) '
        'instead of the thing and stuff classes')
    p.add_argument('--seed', type=int, default=d.seed)
    p.add_argument(
        '--overwrite',
        action='store_true',
        help='replace OUT_DIR (all of it) if it is not empty')
    return p.parse_args()


def main():
    args = vars(parse_args())
    out_dir = args.pop('out_dir')
    overwrite = args.pop('overwrite')
    for key in ('img_size', 'size_range', 'thing_classes', 'stuff_classes'):
        args[key] = tuple(args[key])
    if args.pop('coco_categories'):
        args['categories'] = coco_panoptic_categories()
    start = time.perf_counter()
    try:
        counts = generate_shapes_panoptic(out_dir, overwrite=overwrite, **args)
    except ValueError as e:
        raise SystemExit(f'error: {e}')
    print(f'wrote {counts} images to {out_dir} in '
          f'{time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()

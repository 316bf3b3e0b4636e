"""Consistency checks of a COCO panoptic data set: JSON, images and PNGs.

mmdet reads a panoptic annotation without comparing it to its PNG: a segment
in the PNG but not in ``segments_info`` trains as ignored pixels, one in
``segments_info`` with no pixels as an empty mask with a made-up box, and a
wrong category list silently relabels classes. These functions find such
problems before a run starts, each named by the annotation file, the image
id, the file and the segment.
"""
import json
import os.path as osp
from multiprocessing import Pool
from typing import List, Optional, Sequence

import numpy as np
from PIL import Image

# errors shown in one exception; the count of the rest is given
MAX_SHOWN = 20


def check_categories(ann_file: str, categories: List[dict],
                     classes: Sequence[str],
                     thing_classes: Sequence[str]) -> List[str]:
    """Compare the JSON's categories with a data set's class lists.

    mmdet gives label ``i`` to the ``i``-th category of the JSON whose name
    is in ``classes``, so the names, their order and the ``isthing`` flags
    must all agree, or classes are silently swapped.

    Args:
        ann_file (str): the JSON's path, for the messages.
        categories (list[dict]): its ``categories``.
        classes (Sequence[str]): the data set's classes, things first.
        thing_classes (Sequence[str]): the thing classes among them.

    Returns:
        list[str]: the problems found, empty if none.
    """
    json_names = [c['name'] for c in categories]
    errors = []
    missing = [n for n in classes if n not in json_names]
    extra = [n for n in json_names if n not in classes]
    if missing or extra:
        errors.append(
            f'{ann_file}: categories {json_names} do not match the data '
            f'set classes {list(classes)}: missing {missing}, not a class '
            f'{extra}. Set the data set\'s metainfo=dict(classes=..., '
            f'thing_classes=..., stuff_classes=...) to the JSON\'s '
            f'categories, things first, and the model\'s class counts')
    elif json_names != list(classes):
        errors.append(
            f'{ann_file}: categories are ordered {json_names}, the data set '
            f'classes {list(classes)}; mmdet labels the categories in the '
            f'JSON\'s order, so the two orders must agree')
    for cat in categories:
        if cat['name'] in classes and bool(
                cat.get('isthing')) != (cat['name'] in thing_classes):
            kind = 'thing' if cat['name'] in thing_classes else 'stuff'
            errors.append(
                f'{ann_file}: category {cat["name"]!r} (id {cat["id"]}) has '
                f'isthing={cat.get("isthing")}, but the data set lists it '
                f'as {kind}')
    return errors


def _decode(path: str, what: str, image_id) -> np.ndarray:
    """The RGB pixels (H, W, 3) of ``path``; raises ValueError naming it."""
    if not osp.isfile(path):
        raise ValueError(f'image {image_id}: {what} {path} does not exist')
    try:
        with Image.open(path) as img:
            return np.asarray(img.convert('RGB'))
    except OSError as e:  # truncated or not an image
        raise ValueError(
            f'image {image_id}: {what} {path} does not decode ({e})') from e


def check_image(image: dict, ann: Optional[dict], img_dir: str, seg_dir: str,
                cat_ids: Sequence[int]) -> List[str]:
    """Check one image and its panoptic annotation.

    Args:
        image (dict): the JSON's ``images`` entry.
        ann (dict, optional): its ``annotations`` entry (None: there is
            none).
        img_dir (str): directory of the images.
        seg_dir (str): directory of the panoptic PNGs.
        cat_ids (Sequence[int]): the ids of ``categories``.

    Returns:
        list[str]: the problems found, empty if none.
    """
    image_id = image['id']
    if ann is None:
        return [f'image {image_id}: no entry in annotations']
    errors = []
    try:
        img = _decode(osp.join(img_dir, image['file_name']), 'image', image_id)
    except ValueError as e:
        errors.append(str(e))
        img = None
    png_path = osp.join(seg_dir, ann['file_name'])
    try:
        png = _decode(png_path, 'PNG', image_id).astype(np.int32)
    except ValueError as e:
        return errors + [str(e)]
    where = f'image {image_id}: {png_path}'
    if img is not None and img.shape[:2] != png.shape[:2]:
        errors.append(f'{where} is {png.shape[1]}x{png.shape[0]}, its '
                      f'image {img.shape[1]}x{img.shape[0]}')
    # panopticapi's rgb2id
    ids = png[..., 0] + 256 * png[..., 1] + 256 * 256 * png[..., 2]
    if ids.max() < 1 << 16:  # small ids (as shapes'): a count beats a sort
        areas = np.bincount(ids.ravel())
        png_ids = np.flatnonzero(areas)
        png_areas = areas[png_ids]
    else:
        png_ids, png_areas = np.unique(ids, return_counts=True)
    png_area = {int(i): int(a) for i, a in zip(png_ids, png_areas) if i != 0}

    segments = ann.get('segments_info', [])
    seg_ids = [s['id'] for s in segments]
    for seg in segments:
        seg_where = f'{where}: segment {seg["id"]}'
        if seg_ids.count(seg['id']) > 1:
            errors.append(f'{seg_where} appears {seg_ids.count(seg["id"])} '
                          f'times in segments_info')
        if seg['category_id'] not in cat_ids:
            errors.append(f'{seg_where}: category_id {seg["category_id"]} is '
                          f'not in categories (known ids {list(cat_ids)})')
        if seg['id'] not in png_area:
            errors.append(f'{seg_where} is in segments_info but has no '
                          f'pixels in the PNG')
        elif 'area' in seg and seg['area'] != png_area[seg['id']]:
            errors.append(f'{seg_where} has area {seg["area"]} in the JSON '
                          f'but {png_area[seg["id"]]} pixels in the PNG')
    for seg_id in sorted(set(png_area) - set(seg_ids)):
        errors.append(f'{where}: segment {seg_id} has {png_area[seg_id]} '
                      f'pixels in the PNG but no segments_info entry')
    # the shapes generator's occlusion annotations (mmrefine's keys)
    for k, pair in enumerate(ann.get('occlusions', [])):
        for seg_id in pair[:2]:
            if seg_id not in seg_ids:
                errors.append(f'{where}: occlusions[{k}] = {pair} names '
                              f'segment {seg_id}, which is not in '
                              f'segments_info {seg_ids}')
    for seg_id in ann.get('depth_order', []):
        if seg_id not in seg_ids:
            errors.append(f'{where}: depth_order {ann["depth_order"]} names '
                          f'segment {seg_id}, which is not in segments_info '
                          f'{seg_ids}')
    return errors


def _check_image_star(args):
    return check_image(*args)


def check_coco_panoptic(ann_file: str,
                        img_dir: str,
                        seg_dir: str,
                        classes: Optional[Sequence[str]] = None,
                        thing_classes: Optional[Sequence[str]] = None,
                        nproc: int = 1) -> int:
    """Check that a COCO panoptic data set's JSON, images and PNGs agree.

    For every image: the image and its PNG exist and decode and have the
    same size; the PNG's segment ids (less 0, void) are the ids of
    ``segments_info``, each once, with the PNG's pixel count as ``area``;
    every ``category_id`` is in ``categories``; the ids in ``occlusions``
    and ``depth_order`` (if present) name segments. With ``classes``, the
    categories also match the data set's classes (:func:`check_categories`).

    Args:
        ann_file (str): the panoptic JSON.
        img_dir (str): directory of the images.
        seg_dir (str): directory of the panoptic PNGs.
        classes (Sequence[str], optional): the data set's classes, things
            first. Defaults to None (not compared).
        thing_classes (Sequence[str], optional): the thing classes.
            Defaults to None.
        nproc (int): processes that decode the files. Defaults to 1.

    Returns:
        int: the number of images checked.

    Raises:
        ValueError: the problems found, each naming ``ann_file``, the image
            id, the file and the segment.
    """
    with open(ann_file) as f:
        data = json.load(f)
    categories = data.get('categories', [])
    errors = []
    if classes is not None:
        errors += check_categories(ann_file, categories, classes, thing_classes
                                   or ())
    cat_ids = [c['id'] for c in categories]
    anns = {a['image_id']: a for a in data.get('annotations', [])}
    image_ids = {image['id'] for image in data['images']}
    for image_id in sorted(set(anns) - image_ids, key=str):
        errors.append(f'annotation of image {image_id} '
                      f'({anns[image_id]["file_name"]}): no such image in '
                      f'images')
    jobs = [(image, anns.get(image['id']), img_dir, seg_dir, cat_ids)
            for image in data['images']]
    if nproc > 1:
        with Pool(nproc) as pool:
            per_image = pool.map(_check_image_star, jobs, chunksize=16)
    else:
        per_image = [check_image(*job) for job in jobs]
    errors += [e for image_errors in per_image for e in image_errors]
    if errors:
        shown = '\n'.join(f'  - {e}' for e in errors[:MAX_SHOWN])
        more = (f'\n  ... and {len(errors) - MAX_SHOWN} more'
                if len(errors) > MAX_SHOWN else '')
        raise ValueError(f'{ann_file}: {len(errors)} problem(s) in the '
                         f'annotations, images or PNGs:\n{shown}{more}')
    return len(jobs)

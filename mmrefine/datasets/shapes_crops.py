"""Classification crops of the shapes generator, for backbone pretraining.

The papers start their backbones from ImageNet weights; offline, the shapes
benchmark starts its ResNet from a classifier trained on crops of the shapes
generator's own images instead: every visible thing instance (label: its
class) and windows of each stuff texture (label: ``num_things + stuff
index``). The images are drawn with the generator's own code from a third
random stream (split index 2), so no crop comes from the train or val split.
"""
from typing import Tuple

import cv2
import numpy as np

from .shapes_panoptic_generator import ShapesConfig, _generate_image

CROP_SPLIT_INDEX = 2  # the generator uses 0 for train and 1 for val


def _square_window(box, img_size, scale, rng):
    """A square window around ``box`` (x0, y0, x1, y1), jittered, clipped."""
    h, w = img_size
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0) * scale
    cx = (x0 + x1) / 2 + rng.uniform(-0.1, 0.1) * side
    cy = (y0 + y1) / 2 + rng.uniform(-0.1, 0.1) * side
    side = max(side, 8.0)
    xa = int(np.clip(round(cx - side / 2), 0, w - 1))
    ya = int(np.clip(round(cy - side / 2), 0, h - 1))
    xb = int(np.clip(round(cx + side / 2), xa + 1, w))
    yb = int(np.clip(round(cy + side / 2), ya + 1, h))
    return xa, ya, xb, yb


def generate_shapes_crops(num_images: int,
                          crop_size: int = 64,
                          seed: int = 0,
                          jpeg_quality: int = 95,
                          **params) -> Tuple[np.ndarray, np.ndarray]:
    """Crops and labels from ``num_images`` generated shapes images.

    Args:
        num_images (int): images to draw the crops from.
        crop_size (int): side of the square crops, in pixels. Defaults to 64.
        seed (int): generator seed. Defaults to 0.
        jpeg_quality (int): the crops are JPEG-encoded and decoded, as the
            data set's images are. Defaults to 95.
        **params: other fields of :class:`ShapesConfig` (classes, image
            size, occlusion, ...).

    Returns:
        tuple[np.ndarray, np.ndarray]: crops (N, crop_size, crop_size, 3),
        RGB uint8, and labels (N,) int64 in ``[0, num_things + num_stuff)``.
    """
    cfg = ShapesConfig(seed=seed, **params)
    cfg.img_size = tuple(cfg.img_size)
    cfg.validate()
    num_things = len(cfg.thing_classes)
    crops, labels = [], []

    def add(img, window, label):
        xa, ya, xb, yb = window
        crop = cv2.resize(
            np.ascontiguousarray(img[ya:yb, xa:xb]), (crop_size, crop_size),
            interpolation=cv2.INTER_LINEAR)
        # cv2 codes BGR: reverse the channels there and back
        _, buf = cv2.imencode('.jpg', crop[..., ::-1],
                              [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        crops.append(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
        labels.append(label)

    for i in range(num_images):
        rng = np.random.default_rng([seed, CROP_SPLIT_INDEX, i])
        img, stuff, instances, owner = _generate_image(cfg, rng)
        for j, ins in enumerate(instances):
            ys, xs = np.nonzero(owner == j)
            if len(ys) == 0:
                continue
            box = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
            add(img,
                _square_window(box, cfg.img_size, rng.uniform(1.1, 1.5), rng),
                ins['label'])
        # one window per stuff class present, mostly of that texture
        for k in range(len(cfg.stuff_classes)):
            ys, xs = np.nonzero((stuff == k) & (owner < 0))
            if len(ys) < 256:
                continue
            for _attempt in range(10):
                pick = int(rng.integers(len(ys)))
                half = rng.uniform(12, 32)
                box = (xs[pick] - half, ys[pick] - half, xs[pick] + half,
                       ys[pick] + half)
                xa, ya, xb, yb = _square_window(box, cfg.img_size, 1.0, rng)
                region = (stuff[ya:yb, xa:xb] == k) & (owner[ya:yb, xa:xb] < 0)
                if region.mean() >= 0.8:
                    add(img, (xa, ya, xb, yb), num_things + k)
                    break
    return np.stack(crops), np.asarray(labels, dtype=np.int64)

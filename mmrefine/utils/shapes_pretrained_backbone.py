"""ResNets pretrained on the shapes generator's crops, cached per user.

The papers start from ImageNet weights, which an offline machine does not
have. The shapes configs start from a ResNet trained as a classifier on the
generator's crops (:func:`mmrefine.datasets.generate_shapes_crops`: every
thing class and every stuff texture) and load it as mmdet loads ImageNet
weights::

    backbone=dict(init_cfg=dict(type='Pretrained',
                                checkpoint='mmrefine://shapes/resnet18'))

The ``mmrefine://shapes/<name>`` scheme resolves to
``$MMREFINE_CACHE/pretrained/<name>-<key>.pth`` (``MMREFINE_CACHE`` defaults
to ``~/.cache/mmrefine``), where ``key`` hashes everything that produced the
weights: the recipe, the generator's drawing code and defaults, the crops
and the training code, and the torch version. A missing file is trained first
(a few minutes on 2 cores, logged), under a file lock so that concurrent
processes train it once; ``tools/misc/pretrain_shapes_backbone.py`` does
the same ahead of time.
"""
import fcntl
import hashlib
import inspect
import json
import os
import os.path as osp
import time
from dataclasses import asdict
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MMLogger, print_log
from mmengine.runner import CheckpointLoader

SCHEME = 'mmrefine://shapes/'

# One entry per published name. ``shapes`` holds generator parameters (the
# classes must be the data set's, in its order); the rest is the recipe.
RECIPES = dict(
    resnet18=dict(
        depth=18,
        shapes=dict(img_size=(256, 256)),
        num_images=600,
        crop_size=32,
        # the detector's input normalisation (DetDataPreprocessor, RGB)
        mean=(123.675, 116.28, 103.53),
        std=(58.395, 57.12, 57.375),
        batch_size=64,
        max_iters=1000,
        lr=0.1,
        weight_decay=1e-4,
        seed=0,
        num_holdout_images=100))


def cache_dir() -> str:
    """The user's mmrefine cache (``$MMREFINE_CACHE``)."""
    return os.environ.get(
        'MMREFINE_CACHE',
        osp.join(
            os.environ.get('XDG_CACHE_HOME', osp.expanduser('~/.cache')),
            'mmrefine'))


def recipe_key(recipe: dict) -> str:
    """A short hash of the recipe and of the code that turns it into weights.

    It covers the generator's drawing functions and defaults, the crops and
    the training, not the whole modules, so that an edit elsewhere in them
    (the writer, the messages) keeps the cached weights.

    Args:
        recipe (dict): one value of :data:`RECIPES`.

    Returns:
        str: 10 hexadecimal digits.
    """
    from mmrefine.datasets import shapes_crops
    from mmrefine.datasets import shapes_panoptic_generator as gen
    defaults = asdict(gen.ShapesConfig())
    for split_only in ('num_train', 'num_val', 'seed'):
        defaults.pop(split_only)
    digest = hashlib.sha256(
        json.dumps([recipe, defaults], sort_keys=True).encode())
    for func in (gen._generate_image, gen._shape_polygon, gen._rasterize,
                 gen._texture, gen._stuff_layout, shapes_crops._square_window,
                 shapes_crops.generate_shapes_crops, _Classifier, _to_tensor,
                 pretrain_shapes_backbone):
        digest.update(inspect.getsource(func).encode())
    digest.update(torch.__version__.split('+')[0].encode())
    return digest.hexdigest()[:10]


def pretrained_path(name: str, recipe: Optional[dict] = None) -> str:
    """Where the weights of ``name`` are cached."""
    recipe = RECIPES[name] if recipe is None else recipe
    return osp.join(cache_dir(), 'pretrained',
                    f'{name}-{recipe_key(recipe)}.pth')


class _Classifier(nn.Module):
    """An mmdet ResNet with global average pooling and a linear classifier."""

    def __init__(self, depth: int, num_classes: int):
        super().__init__()
        from mmdet.models.backbones import ResNet
        self.backbone = ResNet(
            depth=depth,
            out_indices=(3, ),
            frozen_stages=-1,
            norm_cfg=dict(type='BN', requires_grad=True),
            norm_eval=False)
        # mmengine logs every initialised parameter at INFO
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel('WARNING')
        try:
            self.backbone.init_weights()
        finally:
            logger.setLevel(level)
        self.fc = nn.Linear(self.backbone.feat_dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.backbone(x)[-1]
        return self.fc(feat.mean((2, 3)))


def _to_tensor(crops: np.ndarray, recipe: dict) -> torch.Tensor:
    x = torch.from_numpy(crops).permute(0, 3, 1, 2).float()
    mean = torch.tensor(recipe['mean']).view(1, 3, 1, 1)
    std = torch.tensor(recipe['std']).view(1, 3, 1, 1)
    return (x - mean) / std


def pretrain_shapes_backbone(recipe: dict,
                             log: Callable[[str], None] = print) -> tuple:
    """Train a ResNet classifier on shapes crops.

    Args:
        recipe (dict): generator parameters and training recipe, as the
            values of :data:`RECIPES`.
        log (callable): progress messages. Defaults to ``print``.

    Returns:
        tuple[dict, dict]: the backbone's state dict (mmdet ``ResNet`` keys,
        as ``init_cfg=dict(type='Pretrained')`` loads them) and facts about
        the run (crops, held-out accuracy, seconds).
    """
    from mmrefine.datasets import generate_shapes_crops
    from mmrefine.datasets.shapes_panoptic_generator import (STUFF_CLASSES,
                                                             THING_CLASSES)
    start = time.perf_counter()
    shapes = dict(recipe['shapes'])
    num_classes = (
        len(shapes.get('thing_classes', THING_CLASSES)) +
        len(shapes.get('stuff_classes', STUFF_CLASSES)))
    crops, labels = generate_shapes_crops(recipe['num_images'],
                                          recipe['crop_size'], recipe['seed'],
                                          **shapes)
    # the held-out crops come from images of another seed
    held_crops, held_labels = generate_shapes_crops(
        recipe['num_holdout_images'], recipe['crop_size'], recipe['seed'] + 1,
        **shapes)
    x, y = _to_tensor(crops, recipe), torch.from_numpy(labels)
    log(f'{len(y)} crops ({np.bincount(labels, minlength=num_classes)} per '
        f'class) drawn in {time.perf_counter() - start:.0f} s')

    torch.manual_seed(recipe['seed'])
    model = _Classifier(recipe['depth'], num_classes)
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=recipe['lr'],
        momentum=0.9,
        weight_decay=recipe['weight_decay'])
    iters = recipe['max_iters']
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=recipe['lr'], total_steps=iters, pct_start=0.1)
    gen = torch.Generator().manual_seed(recipe['seed'])
    model.train()
    for it in range(iters):
        idx = torch.randint(len(y), (recipe['batch_size'], ), generator=gen)
        batch = x[idx]
        # shapes and textures keep their class under flips and quarter turns
        flip = torch.rand(len(idx), generator=gen) < 0.5
        batch[flip] = batch[flip].flip(3)
        batch = batch.rot90(
            int(torch.randint(4, (1, ), generator=gen)), (2, 3))
        loss = F.cross_entropy(model(batch), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if (it + 1) % 100 == 0 or it + 1 == iters:
            log(f'iter {it + 1}/{iters}: loss {loss.item():.3f}')

    model.eval()
    with torch.no_grad():
        held_x = _to_tensor(held_crops, recipe)
        pred = torch.cat([model(b).argmax(1) for b in held_x.split(256)])
    accuracy = (pred.numpy() == held_labels).mean().item()
    meta = dict(
        recipe=recipe,
        num_crops=int(len(y)),
        num_holdout_crops=int(len(held_labels)),
        holdout_accuracy=round(accuracy, 4),
        seconds=round(time.perf_counter() - start, 1),
        torch=str(torch.__version__))
    log(f'held-out accuracy {100 * accuracy:.1f} % on {len(held_labels)} '
        f'crops; {meta["seconds"]} s in all')
    return model.backbone.state_dict(), meta


def ensure_shapes_pretrained(name: str,
                             log: Callable[[str], None] = print) -> str:
    """The cached weights of ``name``, trained first when absent.

    Args:
        name (str): a key of :data:`RECIPES`.
        log (callable): progress messages. Defaults to ``print``.

    Returns:
        str: the path of the weights.
    """
    if name not in RECIPES:
        raise KeyError(f'{SCHEME}{name}: unknown pretrained backbone; '
                       f'known: {sorted(RECIPES)}')
    path = pretrained_path(name)
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process trains, the rest wait
        if not osp.exists(path):
            log(f'{SCHEME}{name}: not in the cache, training it -> {path}')
            state_dict, meta = pretrain_shapes_backbone(RECIPES[name], log)
            # the record first, so that the weights never exist without it
            with open(path[:-len('.pth')] + '.json', 'w') as f:
                json.dump(meta, f, indent=1)
            tmp = path + '.tmp'
            torch.save(dict(state_dict=state_dict, meta=meta), tmp)
            os.replace(tmp, path)
    return path


@CheckpointLoader.register_scheme(prefixes=SCHEME)
def load_shapes_pretrained(filename: str, map_location=None) -> dict:
    """mmengine checkpoint loader of ``mmrefine://shapes/<name>``."""
    path = ensure_shapes_pretrained(
        filename[len(SCHEME):], log=lambda msg: print_log(msg, 'current'))
    return torch.load(path, map_location=map_location, weights_only=True)

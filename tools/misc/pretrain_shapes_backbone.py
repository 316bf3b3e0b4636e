"""Train (or find) the shapes-pretrained ResNet in the user's cache.

The shapes configs load ``mmrefine://shapes/<name>``; a training trains the
weights itself when they are missing. Run this ahead of time to do it once,
e.g. before a distributed run::

    python tools/misc/pretrain_shapes_backbone.py resnet18
"""
import argparse
import json

# yapf: disable
from mmrefine.utils.shapes_pretrained_backbone import (
    RECIPES, ensure_shapes_pretrained)

# yapf: enable


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # checked here, not with choices=: before Python 3.12 argparse checks
    # the empty list of an omitted nargs='*' positional against the choices
    # and refuses it
    parser.add_argument(
        'names',
        nargs='*',
        metavar='NAME',
        help=f'pretrained backbones, of {", ".join(sorted(RECIPES))} '
        '(default: all)')
    args = parser.parse_args(argv)
    for name in args.names:
        if name not in RECIPES:
            parser.error(f'unknown backbone {name!r}: expected one of '
                         f'{", ".join(sorted(RECIPES))}')
    args.names = args.names or sorted(RECIPES)
    return args


def main():
    for name in parse_args().names:
        path = ensure_shapes_pretrained(name)
        with open(path[:-len('.pth')] + '.json') as f:
            meta = json.load(f)
        print(f'mmrefine://shapes/{name} -> {path}: held-out accuracy '
              f'{100 * meta["holdout_accuracy"]:.1f} % '
              f'({meta["num_holdout_crops"]} crops), trained in '
              f'{meta["seconds"]} s')


if __name__ == '__main__':
    main()

from typing import Optional

from mmdet.registry import DATASETS
from mmengine.fileio import load

from .checked_coco_panoptic_dataset import CheckedCocoPanopticDataset
from .shapes_panoptic_generator import PALETTE, STUFF_CLASSES, THING_CLASSES


@DATASETS.register_module()
class ShapesPanopticDataset(CheckedCocoPanopticDataset):
    """The synthetic "shapes" panoptic data set, in COCO panoptic format.

    mmdet's :class:`CocoPanopticDataset` with the shapes class list as its
    ``METAINFO``: 4 thing classes (things first, as mmdet expects) and 3
    stuff classes. Loading, annotations and evaluation are mmdet's own; the
    annotations, images and PNGs are checked when the data set is built
    (:class:`CheckedCocoPanopticDataset`). Write the data with
    ``tools/dataset_converters/create_shapes_panoptic.py``; a set written
    with other ``--thing-classes`` / ``--stuff-classes`` needs them as
    ``metainfo``.

    Args:
        check_annotations (bool): check every image and PNG against the
            JSON when built. Defaults to True.
        generator (dict, optional): generator parameters the annotation
            file must have been written with (its ``info.generator``), e.g.
            ``dict(num_val=1000, seed=0)``: a benchmark's configs pin its
            data, so a set written with other parameters fails when the
            data set is built instead of giving other numbers. Defaults to
            None (any set).
        **kwargs: :class:`CheckedCocoPanopticDataset`'s arguments.
    """
    METAINFO = {
        'classes': THING_CLASSES + STUFF_CLASSES,
        'thing_classes': THING_CLASSES,
        'stuff_classes': STUFF_CLASSES,
        'palette': list(PALETTE),
    }

    def __init__(self,
                 *args,
                 check_annotations: bool = True,
                 generator: Optional[dict] = None,
                 **kwargs) -> None:
        self.generator = generator
        super().__init__(*args, check_annotations=check_annotations, **kwargs)

    def load_data_list(self):
        if self.generator:
            written = load(self.ann_file).get('info', {}).get('generator', {})
            for key, expected in self.generator.items():
                value = written.get(key)
                if isinstance(value, list):
                    value = type(expected)(value)
                if value != expected:
                    raise ValueError(
                        f'{self.ann_file} was written with {key}={value!r}; '
                        f'this config expects {key}={expected!r}. Write the '
                        'set again: python tools/dataset_converters/'
                        'create_shapes_panoptic.py <data root> --overwrite '
                        '(and the options that differ), or, for a set of '
                        'your own, set the data set\'s generator=None')
        return super().load_data_list()

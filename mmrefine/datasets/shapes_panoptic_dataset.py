from mmdet.datasets import CocoPanopticDataset
from mmdet.registry import DATASETS

from .shapes_panoptic_generator import PALETTE, STUFF_CLASSES, THING_CLASSES


@DATASETS.register_module()
class ShapesPanopticDataset(CocoPanopticDataset):
    """The synthetic "shapes" panoptic data set, in COCO panoptic format.

    mmdet's :class:`CocoPanopticDataset` with the shapes class list as its
    ``METAINFO``: 4 thing classes (things first, as mmdet expects) and 3
    stuff classes. Loading, annotations and evaluation are mmdet's own.
    Write the data with ``tools/dataset_converters/create_shapes_panoptic.py``.
    """
    METAINFO = {
        'classes': THING_CLASSES + STUFF_CLASSES,
        'thing_classes': THING_CLASSES,
        'stuff_classes': STUFF_CLASSES,
        'palette': list(PALETTE),
    }

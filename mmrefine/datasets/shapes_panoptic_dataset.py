from mmdet.registry import DATASETS

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
        **kwargs: :class:`CheckedCocoPanopticDataset`'s arguments.
    """
    METAINFO = {
        'classes': THING_CLASSES + STUFF_CLASSES,
        'thing_classes': THING_CLASSES,
        'stuff_classes': STUFF_CLASSES,
        'palette': list(PALETTE),
    }

    def __init__(self, *args, check_annotations=True, **kwargs):
        super().__init__(*args, check_annotations=check_annotations, **kwargs)

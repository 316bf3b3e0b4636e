from .checked_coco_panoptic_dataset import CheckedCocoPanopticDataset
from .coco_panoptic_categories import coco_panoptic_categories
from .coco_panoptic_check import check_coco_panoptic
from .shapes_crops import generate_shapes_crops
from .shapes_panoptic_dataset import ShapesPanopticDataset
from .shapes_panoptic_generator import ShapesConfig, generate_shapes_panoptic

__all__ = [
    'CheckedCocoPanopticDataset', 'ShapesPanopticDataset', 'ShapesConfig',
    'check_coco_panoptic', 'coco_panoptic_categories', 'generate_shapes_crops',
    'generate_shapes_panoptic'
]

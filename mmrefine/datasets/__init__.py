from .coco_panoptic_categories import coco_panoptic_categories
from .shapes_panoptic_dataset import ShapesPanopticDataset
from .shapes_panoptic_generator import ShapesConfig, generate_shapes_panoptic

__all__ = [
    'ShapesPanopticDataset', 'ShapesConfig', 'generate_shapes_panoptic',
    'coco_panoptic_categories'
]

from .shapes_crops import generate_shapes_crops
from .shapes_panoptic_dataset import ShapesPanopticDataset
from .shapes_panoptic_generator import ShapesConfig, generate_shapes_panoptic

__all__ = [
    'ShapesPanopticDataset', 'ShapesConfig', 'generate_shapes_panoptic',
    'generate_shapes_crops'
]

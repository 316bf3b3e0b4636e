from .roi_flatten import ROIFlatten, roi_flatten
from .soft_occlusion import (mask_boxes_and_areas, occlusion_paste_order,
                             overlapping_pairs, soft_occlusion_confidence)
from .unknown_erasing import (component_scores, max_softmax_confidence,
                              unknown_erasing)
from .ocm import ObjectContextModule
from .sim import StructureInjectionModule

__all__ = [
    'ROIFlatten', 'roi_flatten', 'soft_occlusion_confidence',
    'mask_boxes_and_areas',
    'overlapping_pairs', 'occlusion_paste_order', 'max_softmax_confidence',
    'component_scores', 'unknown_erasing', 'ObjectContextModule', 'StructureInjectionModule'
]

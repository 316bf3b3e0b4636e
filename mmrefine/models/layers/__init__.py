from .ocm import ObjectContextModule
from .panoptic_fusion import (mask_boxes_and_areas, order_from_decisions,
                              overlapping_pairs, panoptic_map, paste_instances,
                              semantic_stuff_map, stuff_labels)
from .roi_flatten import RoIFlatten, roi_flatten
from .semantic_layout import (SEMANTIC_LAYOUTS, check_semantic_layout,
                              resolve_semantic_layout)
from .sim import StructureInjectionModule
from .soft_occlusion import occlusion_paste_order, soft_occlusion_confidence
from .unknown_erasing import (component_scores, max_softmax_confidence,
                              unknown_erasing)

__all__ = [
    'ObjectContextModule', 'mask_boxes_and_areas', 'order_from_decisions',
    'overlapping_pairs', 'panoptic_map', 'paste_instances',
    'semantic_stuff_map', 'stuff_labels', 'RoIFlatten', 'roi_flatten',
    'SEMANTIC_LAYOUTS', 'check_semantic_layout', 'resolve_semantic_layout',
    'StructureInjectionModule', 'occlusion_paste_order',
    'soft_occlusion_confidence', 'component_scores', 'max_softmax_confidence',
    'unknown_erasing'
]

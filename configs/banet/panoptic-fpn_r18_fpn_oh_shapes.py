# The shapes baseline PanopticFPN evaluated with BANet's occlusion handling
# instead of the heuristic fusion, no retraining (same state dict):
#   python tools/test.py configs/banet/panoptic-fpn_r18_fpn_oh_shapes.py \
#     work_dirs/<baseline work dir>/iter_2000.pth
_base_ = '../panoptic_fpn/panoptic-fpn_r18_fpn_shapes.py'

model = dict(
    type='OcclusionHandlingPanopticFPN',
    panoptic_fusion_head=dict(type='OcclusionHandlingFusionHead'),
    test_cfg=dict(
        panoptic=dict(score_thr=0.6, nms_iou_thr=0.5, overlap_thr=0.2)))

# mmdet's stock PanopticFPN R-50 1x evaluated with BANet's occlusion handling
# instead of the heuristic fusion, no retraining: OcclusionHandlingPanopticFPN
# is PanopticFPN (same state dict) handing the image colours to the fusion
# head, which reads PanopticFPNHead's stuff + thing layout. Evaluate mmdet's
# checkpoint (model zoo PQ 40.2 with the heuristic fusion):
#   python tools/test.py configs/banet/panoptic-fpn_r50_fpn_oh_1x_coco.py \
#     https://download.openmmlab.com/mmdetection/v2.0/panoptic_fpn/panoptic_fpn_r50_fpn_1x_coco/panoptic_fpn_r50_fpn_1x_coco_20210821_101153-9668fd13.pth  # noqa: E501
_base_ = 'mmdet::panoptic_fpn/panoptic-fpn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmrefine'], allow_failed_imports=False)

model = dict(
    type='OcclusionHandlingPanopticFPN',
    panoptic_fusion_head=dict(type='OcclusionHandlingFusionHead'),
    test_cfg=dict(
        panoptic=dict(score_thr=0.6, nms_iou_thr=0.5, overlap_thr=0.2)))

# BANet's full model at CPU size on the shapes set (Table 2 last row without
# deformable convolutions): + the learning-free occlusion handling, a
# test-time change (the checkpoint of banet_r18_fpn_heuristic_shapes.py).
# The baseline's mask_overlap = 0.5 and stuff_area_limit = 256 (4096 px of
# COCO's ~800 x 1200 images at 256 x 256) stay.
_base_ = './banet_r18_fpn_heuristic_shapes.py'

model = dict(
    panoptic_fusion_head=dict(
        _delete_=True,
        type='OcclusionHandlingFusionHead',
        num_things_classes={{_base_.num_things_classes}},
        num_stuff_classes={{_base_.num_stuff_classes}}),
    test_cfg=dict(
        panoptic=dict(score_thr=0.6, nms_iou_thr=0.5, overlap_thr=0.2)))

# BANet, ResNet-50-FPN, 1x (Table 1 "Ours", COCO val PQ 41.1): S2I, I2S
# (SIM + OCM) and the learning-free occlusion handling (score threshold 0.6,
# box NMS at 0.5, occlusion at 20 % overlap, resolved by colour).
_base_ = './banet_r50_fpn_heuristic_1x_coco.py'

model = dict(
    panoptic_fusion_head=dict(type='OcclusionHandlingFusionHead'),
    test_cfg=dict(
        panoptic=dict(score_thr=0.6, nms_iou_thr=0.5, overlap_thr=0.2)))

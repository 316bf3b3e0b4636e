# BANet Table 2 row "SIM + OCM + S2I" (PQ 40.3): the full model fused by
# mmdet's heuristic fusion instead of the occlusion handling (BANet feeds it
# its all-class logits in PanopticFPNHead's stuff + thing layout).
_base_ = './banet_r50_fpn_1x_coco.py'

model = dict(
    panoptic_fusion_head=dict(
        _delete_=True,
        type='HeuristicFusionHead',
        num_things_classes={{_base_.num_things_classes}},
        num_stuff_classes={{_base_.num_stuff_classes}}),
    test_cfg=dict(
        panoptic=dict(_delete_=True, mask_overlap=0.5,
                      stuff_area_limit=4096)))

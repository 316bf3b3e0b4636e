# BANet at CPU size without occlusion handling: mmdet's heuristic fusion
# (score order), everything else as banet_r18_fpn_shapes.py.
_base_ = './banet_r18_fpn_shapes.py'

model = dict(
    panoptic_fusion_head=dict(
        _delete_=True,
        type='HeuristicFusionHead',
        num_things_classes={{_base_.num_things_classes}},
        num_stuff_classes={{_base_.num_stuff_classes}}),
    test_cfg=dict(
        panoptic=dict(_delete_=True, mask_overlap=0.5, stuff_area_limit=256)))

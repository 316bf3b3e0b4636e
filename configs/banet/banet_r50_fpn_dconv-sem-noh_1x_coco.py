# BANet Table 2 row "SIM + OCM + S2I + DFM" and Table 3 "ResNet-50-FPN"
# without OH (PQ 41.8): deformable semantic head, heuristic fusion.
_base_ = './banet_r50_fpn_dconv-sem_1x_coco.py'

model = dict(
    panoptic_fusion_head=dict(
        _delete_=True,
        type='HeuristicFusionHead',
        num_things_classes={{_base_.num_things_classes}},
        num_stuff_classes={{_base_.num_stuff_classes}}),
    test_cfg=dict(
        panoptic=dict(_delete_=True, mask_overlap=0.5,
                      stuff_area_limit=4096)))

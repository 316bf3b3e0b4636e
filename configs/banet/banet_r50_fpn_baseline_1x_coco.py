# BANet Table 2 row 1, the baseline (PQ 39.1): mmdet's PanopticFPN R-50 1x
# with the paper's 3-conv mask head and BANet's semantic head, which predicts
# all 133 classes from F_S (3 stacked 3x3 convs of 128 channels per FPN
# level, UPSNet's width, concatenated: 512 channels at stride 4) with
# lambda_s = 0.5; no S2I, no I2S; mmdet's heuristic fusion (BANet hands it
# its logits in PanopticFPNHead's stuff + thing layout); the paper's warm-up.
# Each row of Table 2 inherits the row before it and adds one module.
_base_ = 'mmdet::panoptic_fpn/panoptic-fpn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmrefine'], allow_failed_imports=False)

sem_channels = 128  # per FPN level
semantic_channels = 4 * sem_channels  # F_S
model = dict(
    type='BANet',
    roi_head=dict(
        type='BANetRoIHead', mask_head=dict(type='BANetMaskHead',
                                            num_convs=3)),
    semantic_head=dict(
        _delete_=True,
        type='BANetSemanticHead',
        inner_channels=sem_channels,
        loss_seg=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=0.5)))

# Sec. 4.3: linear warm-up over 500 iterations from 0.002 to 0.02
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=12,
        by_epoch=True,
        milestones=[8, 11],
        gamma=0.1)
]

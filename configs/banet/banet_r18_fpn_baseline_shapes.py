# BANet's Table 2 first row at CPU size on the shapes set: the shapes
# baseline (same backbone, 64-channel FPN, data, schedule and seed) with
# BANet's all-class semantic head (3 stacked 3x3 convs of 32 channels per FPN
# level, concatenated: F_S, 128 channels at stride 4) and a 3-conv mask head;
# no SIM, OCM or S2I; mmdet's heuristic fusion. Each row of Table 2 inherits
# the row before it and adds one part:
#   baseline -> baseline-sim -> baseline-sim-ocm -> heuristic (+ S2I)
#   -> banet_r18_fpn_shapes.py (+ occlusion handling, BANet's full model)
_base_ = '../panoptic_fpn/panoptic-fpn_r18_fpn_shapes.py'

sem_channels = 32
semantic_channels = 4 * sem_channels  # F_S
i2s_channels = 32
# 2 channels per group, as the baseline's GN(32) on 64 channels
norm_cfg = dict(type='GN', num_groups=16, requires_grad=True)

model = dict(
    type='BANet',
    roi_head=dict(
        type='BANetRoIHead', mask_head=dict(type='BANetMaskHead',
                                            num_convs=3)),
    semantic_head=dict(
        _delete_=True,
        type='BANetSemanticHead',
        num_things_classes={{_base_.num_things_classes}},
        num_stuff_classes={{_base_.num_stuff_classes}},
        in_channels={{_base_.channels}},
        inner_channels=sem_channels,
        start_level=0,
        end_level=4,
        num_convs=3,
        ins_channels={{_base_.channels}},
        norm_cfg=norm_cfg,
        # PanopticFPN's semantic weight until the I2S loss shares it
        loss_seg=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=0.5)))

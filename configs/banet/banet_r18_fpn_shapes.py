# BANet at CPU size on the shapes set: S2I, I2S (SIM + OCM) and occlusion
# handling on the shapes baseline (same backbone, 64-channel FPN, data,
# schedule and seed). The all-class semantic head concatenates 3 stacked
# 3x3 convs of 32 channels per FPN level (F_S: 128 channels at stride 4);
# SIM / OCM are 32 channels wide; lambda_s = 0.2, lambda_i = 0.3 as the paper.
_base_ = '../panoptic_fpn/panoptic-fpn_r18_fpn_shapes.py'

sem_channels = 32
i2s_channels = 32
# 2 channels per group, as the baseline's GN(32) on 64 channels
norm_cfg = dict(type='GN', num_groups=16, requires_grad=True)

model = dict(
    type='BANet',
    roi_head=dict(
        type='BANetRoIHead',
        semantic_channels=4 * sem_channels,
        mask_head=dict(type='BANetMaskHead', num_convs=3)),
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
        sim=dict(
            type='StructureInjectionModule',
            out_channels=i2s_channels,
            norm_cfg=norm_cfg),
        ocm=dict(
            type='ObjectContextModule',
            out_channels=i2s_channels,
            embed_channels=10,
            pool_sizes=(1, 2, 3, 6),
            encoding_channels=i2s_channels,
            norm_cfg=norm_cfg),
        loss_seg=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=0.2),
        loss_i2s=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=0.3)),
    panoptic_fusion_head=dict(
        _delete_=True,
        type='OcclusionHandlingFusionHead',
        num_things_classes={{_base_.num_things_classes}},
        num_stuff_classes={{_base_.num_stuff_classes}}),
    train_cfg=dict(inlay=dict(sample_rate=(0.6, 1.0))),
    # the baseline's mask_overlap = 0.5 and stuff_area_limit = 256 (4096 px
    # of COCO's ~800 x 1200 images at 256 x 256) stay
    test_cfg=dict(
        panoptic=dict(score_thr=0.6, nms_iou_thr=0.5, overlap_thr=0.2)))

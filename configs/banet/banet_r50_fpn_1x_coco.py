# BANet, ResNet-50-FPN, 1x (paper Table 1 "Ours", COCO val PQ 41.1):
# Semantic-To-Instance, Instance-To-Semantic (SIM + OCM) and the learning-free
# occlusion handling on mmdet's PanopticFPN R-50 1x. Differences from the
# base: an all-class semantic head (133 channels) whose F_S concatenates 3
# stacked 3x3 convs per FPN level (4 x 128 = 512 channels at stride 4), F_S
# added to the RoI features (S2I), a 3-conv mask head whose F_ins is inlaid
# into the semantic head, lambda_s = 0.2 and lambda_i = 0.3, and the paper's
# warm-up. The paper gives no SIM / OCM widths: 128 channels, as the
# per-level subnets.
_base_ = 'mmdet::panoptic_fpn/panoptic-fpn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmrefine'], allow_failed_imports=False)

num_things_classes = 80
num_stuff_classes = 53
sem_channels = 128  # per FPN level; F_S has 4 x 128
i2s_channels = 128

model = dict(
    type='BANet',
    roi_head=dict(
        type='BANetRoIHead',
        semantic_channels=4 * sem_channels,
        mask_head=dict(type='BANetMaskHead', num_convs=3)),
    semantic_head=dict(
        _delete_=True,
        type='BANetSemanticHead',
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes,
        in_channels=256,
        inner_channels=sem_channels,
        start_level=0,
        end_level=4,
        num_convs=3,
        ins_channels=256,
        norm_cfg=dict(type='GN', num_groups=32, requires_grad=True),
        sim=dict(type='StructureInjectionModule', out_channels=i2s_channels),
        ocm=dict(
            type='ObjectContextModule',
            out_channels=i2s_channels,
            embed_channels=10,
            pool_sizes=(1, 2, 3, 6),
            encoding_channels=i2s_channels),
        loss_seg=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=0.2),
        loss_i2s=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=0.3)),
    panoptic_fusion_head=dict(
        _delete_=True,
        type='OcclusionHandlingFusionHead',
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes),
    # RoIInlay on a uniform [0.6, 1] share of the ground-truth boxes
    train_cfg=dict(inlay=dict(sample_rate=(0.6, 1.0))),
    test_cfg=dict(
        panoptic=dict(
            _delete_=True,
            score_thr=0.6,
            nms_iou_thr=0.5,
            overlap_thr=0.2,
            mask_overlap=0.5,
            stuff_area_limit=4096)))

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

# mmdet's PanopticFPN R-50 with GroupNorm in the backbone, the neck and the
# heads, 2x, as mmdet's gn/mask-rcnn_r50_fpn_gn-all_2x_coco.py: REFINE's
# detector ("Faster R-CNN with FPN and ResNet-50 with Group Normalization",
# 180k iterations at batch 16) and the baseline of its Tables 3 and 4.
# Detectron's GN ResNet was trained on BGR images in [0, 255] less the pixel
# mean, unscaled.
_base_ = 'mmdet::panoptic_fpn/panoptic-fpn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmrefine'], allow_failed_imports=False)

norm_cfg = dict(type='GN', num_groups=32, requires_grad=True)
model = dict(
    data_preprocessor=dict(
        mean=[103.530, 116.280, 123.675],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False),
    backbone=dict(
        norm_cfg=norm_cfg,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='open-mmlab://detectron/resnet50_gn')),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(
            type='Shared4Conv1FCBBoxHead',
            conv_out_channels=256,
            norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))

max_epochs = 24
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[16, 22],
        gamma=0.1)
]

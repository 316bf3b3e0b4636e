# REFINE's ResNeXt-101-DCN model (Table 1; the paper's strongest single
# model, also the input of its SOE study). No GroupNorm ResNeXt is published:
# the backbone keeps BatchNorm, frozen, for its ImageNet BN weights (as
# mmdet's ResNeXt configs), with their RGB input convention; the neck and
# the heads keep GroupNorm.
_base_ = './refine_r50_fpn_gn_2x_coco.py'

model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='ResNeXt',
        depth=101,
        groups=64,
        base_width=4,
        norm_cfg=dict(_delete_=True, type='BN', requires_grad=True),
        dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True),
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://resnext101_64x4d')))

# REFINE's ResNeXt-101-DCN model (Table 1; the paper's strongest single
# model, also the input of its SOE study). The ImageNet ResNeXt weights are
# BN weights: their affine parameters load into GroupNorm, their running
# statistics are dropped (no GN ResNeXt is published).
_base_ = './refine_r50_fpn_gn_2x_coco.py'

model = dict(
    backbone=dict(
        type='ResNeXt',
        depth=101,
        groups=64,
        base_width=4,
        dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True),
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://resnext101_64x4d')))

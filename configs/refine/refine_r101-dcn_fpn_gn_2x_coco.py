# REFINE's R-101-DCN model (Table 1): deformable convs in stages 3-5.
_base_ = './refine_r50_fpn_gn_2x_coco.py'

model = dict(
    backbone=dict(
        depth=101,
        dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='open-mmlab://detectron/resnet101_gn')))

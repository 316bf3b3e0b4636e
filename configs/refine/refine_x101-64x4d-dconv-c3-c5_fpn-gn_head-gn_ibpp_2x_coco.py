# The IBPP model of REFINE's SOE study (Tables 5 and 6: "an IBPP model with
# a ResNeXt-101 backbone"), with the deformable convs (stages c3-c5) of the
# paper's X-101 model; heuristic (score order) fusion: Table 5 row
# "Heuristic Fusion". No GroupNorm ResNeXt is published: the backbone keeps
# (frozen) BatchNorm for its ImageNet BN weights, and their RGB input
# convention, as mmdet's ResNeXt configs; the neck and the heads keep GN.
_base_ = './refine_r50_fpn_gn-all_ibpp_2x_coco.py'

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

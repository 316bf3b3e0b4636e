# REFINE Table 4: IBPP (T = 3) with ResNet-101.
_base_ = './refine_r50_fpn_gn-all_ibpp_2x_coco.py'

model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='open-mmlab://detectron/resnet101_gn')))

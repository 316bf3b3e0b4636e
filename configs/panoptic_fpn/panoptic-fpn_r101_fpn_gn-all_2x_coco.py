# PanopticFPN R-101 GN-all 2x: the R-101 baseline of REFINE's Table 4.
_base_ = './panoptic-fpn_r50_fpn_gn-all_2x_coco.py'

model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='open-mmlab://detectron/resnet101_gn')))

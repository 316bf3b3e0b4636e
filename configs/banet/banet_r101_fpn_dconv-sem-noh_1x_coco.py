# BANet Table 3 "ResNet-101-FPN" without OH (COCO val PQ 42.5): heuristic
# fusion.
_base_ = './banet_r50_fpn_dconv-sem-noh_1x_coco.py'

model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet101')))

# BANet Table 3 "ResNet-101-FPN" without OH (COCO val PQ 42.5): heuristic
# fusion. Table 3's R-50 rows equal Table 2's rows with deformable convs, so
# its models have them.
_base_ = './banet_r50_fpn_dconv-sem-heuristic_1x_coco.py'

model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet101')))

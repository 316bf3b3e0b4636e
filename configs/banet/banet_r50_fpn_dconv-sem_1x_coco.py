# BANet with deformable convs in the semantic head (Table 1 "Ours+", Table 2
# last row and Table 3 "ResNet-50-FPN + OH": COCO val PQ 43.0). The paper's
# [10] is deformable ConvNets v1 (mmcv's DCN); lambda_s = 0.1, lambda_i = 0.2.
_base_ = './banet_r50_fpn_1x_coco.py'

model = dict(
    semantic_head=dict(
        conv_cfg=dict(type='DCN', deform_groups=1),
        loss_seg=dict(loss_weight=0.1),
        loss_i2s=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=0.2)))

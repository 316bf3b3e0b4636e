# BANet Table 2 row "SIM + OCM + S2I + DFM" and Table 3 "ResNet-50-FPN"
# without OH (PQ 41.8): the S2I row plus deformable convs (v1) in the
# semantic head, lambda_s = 0.1, lambda_i = 0.2; heuristic fusion.
_base_ = './banet_r50_fpn_heuristic_1x_coco.py'

model = dict(
    semantic_head=dict(
        conv_cfg=dict(type='DCN', deform_groups=1),
        loss_seg=dict(loss_weight=0.1),
        loss_i2s=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=0.2)))

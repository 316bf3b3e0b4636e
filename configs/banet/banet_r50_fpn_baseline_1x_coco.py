# BANet Table 2 row 1, the baseline (PQ 39.1): Mask R-CNN (3-conv mask head)
# plus the all-class semantic head on F_S, no S2I, no I2S (lambda_s = 0.5),
# heuristic fusion.
_base_ = './banet_r50_fpn_noh_1x_coco.py'

model = dict(
    roi_head=dict(semantic_channels=None),
    semantic_head=dict(
        sim=None,
        ocm=None,
        loss_seg=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=0.5)))

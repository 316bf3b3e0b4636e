# BANet Table 2 row "SIM" (PQ 39.5): the baseline plus the Structure
# Injection Module of I2S (lambda_s = 0.2, lambda_i = 0.3).
_base_ = './banet_r50_fpn_baseline_1x_coco.py'

model = dict(
    semantic_head=dict(
        sim=dict(
            _delete_=True,
            type='StructureInjectionModule',
            out_channels=128),
        loss_seg=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=0.2),
        loss_i2s=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=0.3)))

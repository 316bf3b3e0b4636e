# BANet Table 2 row 2: + the Structure Injection Module (I2S), 32 channels
# wide, on RoIInlay'd instance features of sampled ground-truth boxes;
# lambda_s = 0.2 and lambda_i = 0.3 as the paper.
_base_ = './banet_r18_fpn_baseline_shapes.py'

model = dict(
    semantic_head=dict(
        sim=dict(
            type='StructureInjectionModule',
            out_channels={{_base_.i2s_channels}},
            norm_cfg={{_base_.norm_cfg}}),
        loss_seg=dict(loss_weight=0.2),
        loss_i2s=dict(
            type='CrossEntropyLoss', ignore_index=255, loss_weight=0.3)),
    train_cfg=dict(inlay=dict(sample_rate=(0.6, 1.0))))

# BANet Table 2 row "SIM + OCM" (PQ 40.0): plus the Object Context Module
# of I2S (embedding E = 10, pyramid pooling to 1, 2, 3 and 6 bins).
_base_ = './banet_r50_fpn_baseline-sim_1x_coco.py'

model = dict(
    semantic_head=dict(
        ocm=dict(
            type='ObjectContextModule',
            out_channels={{_base_.i2s_channels}},
            encoding_channels={{_base_.i2s_channels}})))

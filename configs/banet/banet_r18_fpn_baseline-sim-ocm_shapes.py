# BANet Table 2 row 3: + the Object Context Module (I2S), 32 channels wide.
_base_ = './banet_r18_fpn_baseline-sim_shapes.py'

model = dict(
    semantic_head=dict(
        ocm=dict(
            type='ObjectContextModule',
            out_channels={{_base_.i2s_channels}},
            embed_channels=10,
            pool_sizes=(1, 2, 3, 6),
            encoding_channels={{_base_.i2s_channels}},
            norm_cfg={{_base_.norm_cfg}})))

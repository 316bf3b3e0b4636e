# BANet Table 2 row "SIM + OCM" (PQ 40.0): the baseline plus the whole I2S
# path (SIM and the Object Context Module), no S2I, heuristic fusion.
_base_ = './banet_r50_fpn_baseline-sim_1x_coco.py'

model = dict(
    semantic_head=dict(
        ocm=dict(
            _delete_=True,
            type='ObjectContextModule',
            out_channels=128,
            embed_channels=10,
            pool_sizes=(1, 2, 3, 6),
            encoding_channels=128)))

# BANet Table 2 row "SIM" (PQ 39.5): the baseline plus I2S's Structure
# Injection Module: the mask head's F_ins is inlaid (RoIInlay) into the
# semantic head at a uniform [0.6, 1] share of the ground-truth boxes in
# training, at the detections in inference; lambda_s = 0.2 and
# lambda_i = 0.3. The paper gives no SIM width: 128 channels, as the
# per-level subnets.
_base_ = './banet_r50_fpn_baseline_1x_coco.py'

i2s_channels = 128
model = dict(
    semantic_head=dict(
        sim=dict(type='StructureInjectionModule', out_channels=i2s_channels),
        loss_seg=dict(loss_weight=0.2)))

# REFINE Table 3 row "+UE": IBPP + SOE + Unknown Erasing (threshold 0.5, 50
# dilation steps of an 8-connected element at full resolution).
_base_ = './refine_r50_fpn_ibpp-soe_1x_coco.py'

model = dict(
    panoptic_fusion_head=dict(unknown_erasing=dict(thr=0.5, dilation=50)))

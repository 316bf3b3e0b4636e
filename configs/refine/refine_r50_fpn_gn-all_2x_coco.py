# REFINE, R-50 (Table 1, COCO val PQ 44.9; Table 3 row "+UE", the same
# number): IBPP, SOE and Unknown Erasing (threshold 0.5, 50 dilation steps
# of an 8-connected element at the original image size), 800 x 1333, no
# test-time augmentation. UE is learning-free: this evaluates the SOE
# checkpoint.
_base_ = './refine_r50_fpn_gn-all_ibpp-soe_2x_coco.py'

model = dict(
    panoptic_fusion_head=dict(unknown_erasing=dict(thr=0.5, dilation=50)))

# REFINE Table 4: IBPP with two iterations.
_base_ = './refine_r50_fpn_gn-all_ibpp_2x_coco.py'

model = dict(roi_head=dict(num_stages=2, stage_loss_weights=[1, 0.5]))

# REFINE Table 4: IBPP with one iteration.
_base_ = './refine_r50_fpn_gn-all_ibpp_2x_coco.py'

model = dict(roi_head=dict(num_stages=1, stage_loss_weights=[1]))

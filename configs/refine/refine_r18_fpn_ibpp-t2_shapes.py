# IBPP with two iterations (REFINE's Table 4, T = 2).
_base_ = './refine_r18_fpn_ibpp_shapes.py'

model = dict(roi_head=dict(num_stages=2, stage_loss_weights=[1, 0.5]))

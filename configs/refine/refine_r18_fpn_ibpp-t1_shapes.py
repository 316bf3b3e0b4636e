# IBPP with one iteration (REFINE's Table 4, T = 1).
_base_ = './refine_r18_fpn_ibpp_shapes.py'

model = dict(roi_head=dict(num_stages=1, stage_loss_weights=[1]))

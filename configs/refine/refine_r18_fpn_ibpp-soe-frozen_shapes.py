# REFINE Table 6 last row and Table 5's SOE rows: + the confidence prior,
# pasting in SOE order (sigma 2.5; Table 5's 2.0 and 4.0 by
# --cfg-options model.panoptic_fusion_head.soe_sigma=...). A test-time change:
# the checkpoint of refine_r18_fpn_ibpp-occ-mask-feat-label_shapes.py.
_base_ = './refine_r18_fpn_ibpp-occ-mask-feat-label_shapes.py'

model = dict(panoptic_fusion_head=dict(occlusion='soe', soe_sigma=2.5))

# REFINE Table 5 row "SOE, sigma 4.0": the same checkpoint as
# refine_x101-64x4d-dcn_fpn_gn_ibpp-soe-frozen_2x_coco.py, another sigma.
_base_ = './refine_x101-64x4d-dcn_fpn_gn_ibpp-soe-frozen_2x_coco.py'

model = dict(panoptic_fusion_head=dict(soe_sigma=4.0))

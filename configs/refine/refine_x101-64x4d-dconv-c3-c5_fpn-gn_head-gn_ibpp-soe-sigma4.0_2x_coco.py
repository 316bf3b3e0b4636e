# REFINE Table 5 row "SOE, sigma 4.0": the same checkpoint as
# refine_x101-64x4d-dconv-c3-c5_fpn-gn_head-gn_ibpp-soe_2x_coco.py.
_base_ = './refine_x101-64x4d-dconv-c3-c5_fpn-gn_head-gn_ibpp-soe_2x_coco.py'

model = dict(panoptic_fusion_head=dict(soe_sigma=4.0))

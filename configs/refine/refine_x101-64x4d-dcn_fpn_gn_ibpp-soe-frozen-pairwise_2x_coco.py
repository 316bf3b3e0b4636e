# REFINE Table 5 row "Strong Baseline" and Table 6 row 4 (mask prediction,
# mask feature, label): the SOE checkpoint pasted by O(i, j) > O(j, i)
# alone, without the confidence prior.
_base_ = './refine_x101-64x4d-dcn_fpn_gn_ibpp-soe-frozen_2x_coco.py'

model = dict(panoptic_fusion_head=dict(occlusion='pairwise'))

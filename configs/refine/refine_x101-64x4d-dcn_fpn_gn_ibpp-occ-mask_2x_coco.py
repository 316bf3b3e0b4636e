# REFINE Table 6 row 2: an occlusion head that sees only the two mask
# predictions (shape prior), pasted by O(i, j) > O(j, i).
_base_ = './refine_x101-64x4d-dcn_fpn_gn_ibpp-soe-frozen-pairwise_2x_coco.py'

model = dict(
    roi_head=dict(occlusion_head=dict(use_feats=False, use_labels=False)))

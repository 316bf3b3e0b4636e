# REFINE Table 6 row 3: mask predictions and mask features (shape and
# appearance priors, OCFusion's inputs), pasted by O(i, j) > O(j, i).
_base_ = './refine_x101-64x4d-dcn_fpn_gn_ibpp-soe-frozen-pairwise_2x_coco.py'

model = dict(roi_head=dict(occlusion_head=dict(use_labels=False)))

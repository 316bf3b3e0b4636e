# REFINE Table 6 row 4 and Table 5's "strong baseline": + the two class
# labels (class prior), pasted by O(i, j) > O(j, i).
_base_ = './refine_r18_fpn_ibpp-occ-mask-feat_shapes.py'

model = dict(roi_head=dict(occlusion_head=dict(use_labels=True)))

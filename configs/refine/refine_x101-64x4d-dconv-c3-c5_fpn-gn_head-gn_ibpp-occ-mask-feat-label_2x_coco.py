# REFINE Table 6 row 4 and Table 5 row "Strong Baseline": plus both one-hot
# labels (class prior), still pasted by O(i, j) > O(j, i) alone.
_base_ = './refine_x101-64x4d-dconv-c3-c5_fpn-gn_head-gn_ibpp-occ-mask-feat_2x_coco.py'  # noqa: E501

model = dict(roi_head=dict(occlusion_head=dict(use_labels=True)))

# REFINE Table 6 row 3: + the two instances' mask features (appearance
# prior).
_base_ = './refine_r18_fpn_ibpp-occ-mask_shapes.py'

model = dict(roi_head=dict(occlusion_head=dict(use_feats=True)))

# REFINE Table 6 row 3: plus the two RoIs' mask features (appearance prior;
# with the shape prior, OCFusion's inputs).
_base_ = './refine_x101-64x4d-dconv-c3-c5_fpn-gn_head-gn_ibpp-occ-mask_2x_coco.py'  # noqa: E501

model = dict(roi_head=dict(occlusion_head=dict(use_feats=True)))

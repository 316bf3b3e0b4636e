# REFINE Table 5 row "SOE, sigma 2.5" and Table 6 last row: plus SOE's
# confidence prior, pasting in SOE order (sigma 2.5, the fusion head's
# default). A test-time change: the same checkpoint as
# refine_x101-64x4d-dconv-c3-c5_fpn-gn_head-gn_ibpp-occ-mask-feat-label_2x_coco.py.
_base_ = './refine_x101-64x4d-dconv-c3-c5_fpn-gn_head-gn_ibpp-occ-mask-feat-label_2x_coco.py'  # noqa: E501

model = dict(panoptic_fusion_head=dict(occlusion='soe'))

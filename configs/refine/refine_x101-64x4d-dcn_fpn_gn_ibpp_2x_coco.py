# The IBPP model that REFINE's SOE study (Tables 5 and 6) starts from:
# ResNeXt-101-DCN, IBPP (T = 3), no occlusion head, heuristic (score order)
# fusion, no Unknown Erasing: Table 5 row "Heuristic Fusion".
_base_ = './refine_x101-64x4d-dcn_fpn_gn_2x_coco.py'

model = dict(
    roi_head=dict(occlusion_head=None),
    panoptic_fusion_head=dict(occlusion='score', unknown_erasing=None))

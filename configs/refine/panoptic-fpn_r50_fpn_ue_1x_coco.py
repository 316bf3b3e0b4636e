# mmdet's stock PanopticFPN R-50 1x with REFINE's Unknown Erasing in the
# fusion (learning-free: the stock checkpoint can be evaluated with it). The
# fusion keeps the heuristic score order and reads PanopticFPNHead's layout
# (53 stuff channels, then the merged thing channel). UE: threshold 0.5, 50
# dilation steps of an 8-connected element, at the original image size.
_base_ = 'mmdet::panoptic_fpn/panoptic-fpn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmrefine'], allow_failed_imports=False)

model = dict(
    panoptic_fusion_head=dict(
        type='REFINEFusionHead',
        occlusion='score',
        unknown_erasing=dict(thr=0.5, dilation=50)))

# mmdet's PanopticFPN R-101 1x, unchanged: the R-101 baseline of REFINE's
# Table 4.
_base_ = 'mmdet::panoptic_fpn/panoptic-fpn_r101_fpn_1x_coco.py'
custom_imports = dict(imports=['mmrefine'], allow_failed_imports=False)

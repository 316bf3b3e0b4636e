# mmdet's stock PanopticFPN R-50 1x on COCO panoptic, run through mmrefine:
# the reference the REFINE and BANet configs are compared with (mmdet's
# model zoo: PQ 40.2 on COCO val). Importing mmrefine makes its checkpoints
# loadable under torch >= 2.6 and enables CPU-distributed runs.
_base_ = 'mmdet::panoptic_fpn/panoptic-fpn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmrefine'], allow_failed_imports=False)

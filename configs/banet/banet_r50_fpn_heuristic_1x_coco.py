# BANet Table 2 row "SIM + OCM + S2I" (PQ 40.3): plus Semantic-To-Instance,
# F_S added to the RoI features of the box and mask heads: BANet with
# mmdet's heuristic fusion instead of its occlusion handling.
_base_ = './banet_r50_fpn_baseline-sim-ocm_1x_coco.py'

model = dict(roi_head=dict(semantic_channels={{_base_.semantic_channels}}))

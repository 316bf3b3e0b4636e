# BANet Table 2 row 4: + Semantic-To-Instance (F_S into the box and mask
# heads): BANet without occlusion handling, mmdet's heuristic fusion.
_base_ = './banet_r18_fpn_baseline-sim-ocm_shapes.py'

model = dict(roi_head=dict(semantic_channels={{_base_.semantic_channels}}))

# REFINE Table 3 row "+IBPP" and Table 4 (R-50, T = 3): Iterative
# Bi-directional Prediction Projection on the GN-all 2x PanopticFPN,
# heuristic (score order) fusion. The IBPP RoI head's defaults are the
# paper's T = 3 with HTC's 1, 0.5, 0.25 stage weights.
_base_ = '../panoptic_fpn/panoptic-fpn_r50_fpn_gn-all_2x_coco.py'

num_classes = 80 + 53  # P_sem's channels, stacked onto H~ins's input
model = dict(
    type='REFINE',
    # F_sem is 256-channel in the paper (it is added to the RoI features)
    semantic_head=dict(type='REFINESemanticHead', inner_channels=256),
    roi_head=dict(
        type='IBPPRoIHead',
        mask_head=dict(type='IBPPMaskHead', in_channels=256 + num_classes)),
    panoptic_fusion_head=dict(type='REFINEFusionHead'))

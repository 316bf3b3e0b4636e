# The shapes baseline PanopticFPN with REFINE's Unknown Erasing in the fusion:
# score order as HeuristicFusionHead, stuff + thing semantic layout. 50
# dilation steps of COCO's ~800 px images scale to 16 at 256 x 256.
_base_ = '../panoptic_fpn/panoptic-fpn_r18_fpn_shapes.py'

model = dict(
    panoptic_fusion_head=dict(
        type='REFINEFusionHead',
        occlusion='score',
        unknown_erasing=dict(thr=0.5, dilation=16)))

# Full REFINE at CPU size: IBPP (T = 3) + SOE + Unknown Erasing (REFINE's
# Table 3, last row). The README's main job trains this config.
_base_ = './refine_r18_fpn_ibpp-soe_shapes.py'

# Erasing at the full 256 x 256 resolution: 50 dilation steps of COCO's ~800
# px images scale to 16 here.
model = dict(
    panoptic_fusion_head=dict(unknown_erasing=dict(thr=0.5, dilation=16)))

# REFINE's ResNeXt-101-DCN model (Table 1, test-dev PQ 51.5, the paper's
# strongest single model): the SOE model plus Unknown Erasing (threshold
# 0.5, 50 dilation steps), 800 x 1333, no test-time augmentation.
_base_ = './refine_x101-64x4d-dconv-c3-c5_fpn-gn_head-gn_ibpp-soe_2x_coco.py'

model = dict(
    panoptic_fusion_head=dict(unknown_erasing=dict(thr=0.5, dilation=50)))

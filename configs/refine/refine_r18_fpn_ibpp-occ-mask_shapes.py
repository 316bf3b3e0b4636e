# REFINE Table 6 row 2 at CPU size: the pairwise occlusion head of
# refine_r18_fpn_ibpp-soe_shapes.py seeing only the two mask predictions
# (shape prior), trained alone on the outputs of the trained, frozen IBPP
# model (refine_r18_fpn_ibpp_shapes.py; its BN statistics kept) for 500 steps,
# pasted by O(i, j) > O(j, i). Each row of Table 6 inherits the row before it
# and adds one prior:
#   ibpp-occ-mask -> ibpp-occ-mask-feat -> ibpp-occ-mask-feat-label (the
#   strong baseline of Table 5) -> ibpp-soe-frozen (+ the confidence prior)
# Point load_from at the IBPP model's checkpoint.
_base_ = './refine_r18_fpn_ibpp-soe_shapes.py'

load_from = 'work_dirs/refine_r18_fpn_ibpp_shapes/iter_2000.pth'
model = dict(
    trainable_modules=['roi_head.occlusion_head'],
    roi_head=dict(occlusion_head=dict(use_feats=False, use_labels=False)),
    panoptic_fusion_head=dict(occlusion='pairwise'))
# the IBPP checkpoint has no occlusion head, the one new part (tools/train.py
# refuses any other missing key)
custom_hooks = [
    dict(
        type='StrictCheckpointLoadHook',
        allowed_missing=['roi_head.occlusion_head.'])
]

max_iters = 500
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[400],
        gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=max_iters))

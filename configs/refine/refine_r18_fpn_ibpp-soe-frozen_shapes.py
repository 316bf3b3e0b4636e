# SOE on the frozen IBPP shapes model (REFINE's Table 5 setting at CPU size):
# only the occlusion head trains, on the outputs of the trained IBPP model
# (refine_r18_fpn_ibpp_shapes.py), for 500 steps; everything else keeps its
# weights and its BN statistics. Point load_from at that model's checkpoint.
_base_ = './refine_r18_fpn_ibpp-soe_shapes.py'

load_from = 'work_dirs/refine_r18_fpn_ibpp_shapes/iter_2000.pth'
model = dict(trainable_modules=['roi_head.occlusion_head'])
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

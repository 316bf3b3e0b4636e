# REFINE Table 3 row "+SOE": the pairwise occlusion head (shape, appearance
# and class priors) trained on the frozen IBPP model, as the paper feeds SOE
# a trained model's outputs (configs/refine/README.md says why on this
# model); pasting in SOE order with the confidence prior (sigma 2.5, the
# fusion head's default). Only the head trains, for 6 epochs (the paper
# gives no schedule for it); train refine_r50_fpn_gn-all_ibpp_2x_coco.py
# first.
_base_ = './refine_r50_fpn_gn-all_ibpp_2x_coco.py'

load_from = 'work_dirs/refine_r50_fpn_gn-all_ibpp_2x_coco/epoch_24.pth'
model = dict(
    trainable_modules=['roi_head.occlusion_head'],
    roi_head=dict(occlusion_head=dict(type='PairwiseOcclusionHead')),
    panoptic_fusion_head=dict(occlusion='soe'))

# the IBPP checkpoint has no occlusion head, the one new part (tools/train.py
# refuses any other missing key)
custom_hooks = [
    dict(
        type='StrictCheckpointLoadHook',
        allowed_missing=['roi_head.occlusion_head.'])
]

max_epochs = 6
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[4],
        gamma=0.1)
]

# REFINE Table 6 row 2: a pairwise occlusion head that sees only the two
# mask predictions (shape prior), trained on the frozen IBPP model, pasted
# by O(i, j) > O(j, i). Only the head trains, for 6 epochs (the paper gives
# no schedule for it). Each row of Table 6 inherits the row before it and
# adds one prior.
_base_ = './refine_x101-64x4d-dconv-c3-c5_fpn-gn_head-gn_ibpp_2x_coco.py'

load_from = ('work_dirs/refine_x101-64x4d-dconv-c3-c5_fpn-gn_head-gn_ibpp_'
             '2x_coco/epoch_24.pth')
model = dict(
    trainable_modules=['roi_head.occlusion_head'],
    roi_head=dict(
        occlusion_head=dict(
            type='PairwiseOcclusionHead', use_feats=False, use_labels=False)),
    panoptic_fusion_head=dict(occlusion='pairwise'))

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

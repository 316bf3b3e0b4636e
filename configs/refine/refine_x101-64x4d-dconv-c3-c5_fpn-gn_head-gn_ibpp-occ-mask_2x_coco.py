# REFINE Table 6 row 2: a pairwise occlusion head that sees only the two
# mask predictions (shape prior), trained on the frozen IBPP model, pasted
# by O(i, j) > O(j, i). Only the head trains, for 6 epochs (the paper gives
# no schedule for it). Each row of Table 6 inherits the row before it and
# adds one prior.
_base_ = [
    './refine_x101-64x4d-dconv-c3-c5_fpn-gn_head-gn_ibpp_2x_coco.py',
    '../_base_/schedules/occlusion-head_6e.py'
]

load_from = ('work_dirs/refine_x101-64x4d-dconv-c3-c5_fpn-gn_head-gn_ibpp_'
             '2x_coco/epoch_24.pth')
model = dict(
    trainable_modules=['roi_head.occlusion_head'],
    roi_head=dict(
        occlusion_head=dict(
            type='PairwiseOcclusionHead', use_feats=False, use_labels=False)),
    panoptic_fusion_head=dict(occlusion='pairwise'))

max_epochs = {{_base_.occlusion_head_epochs}}
train_cfg = {{_base_.occlusion_head_train_cfg}}
param_scheduler = {{_base_.occlusion_head_param_scheduler}}
custom_hooks = {{_base_.occlusion_head_custom_hooks}}

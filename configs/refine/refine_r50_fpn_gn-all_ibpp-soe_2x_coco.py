# REFINE Table 3 row "+SOE": the pairwise occlusion head (shape, appearance
# and class priors) trained on the frozen IBPP model, as the paper feeds SOE
# a trained model's outputs (configs/refine/README.md says why on this
# model); pasting in SOE order with the confidence prior (sigma 2.5, the
# fusion head's default). Only the head trains, for 6 epochs (the paper
# gives no schedule for it); train refine_r50_fpn_gn-all_ibpp_2x_coco.py
# first.
_base_ = [
    './refine_r50_fpn_gn-all_ibpp_2x_coco.py',
    '../_base_/schedules/occlusion-head_6e.py'
]

load_from = 'work_dirs/refine_r50_fpn_gn-all_ibpp_2x_coco/epoch_24.pth'
model = dict(
    trainable_modules=['roi_head.occlusion_head'],
    roi_head=dict(occlusion_head=dict(type='PairwiseOcclusionHead')),
    panoptic_fusion_head=dict(occlusion='soe'))

max_epochs = {{_base_.occlusion_head_epochs}}
train_cfg = {{_base_.occlusion_head_train_cfg}}
param_scheduler = {{_base_.occlusion_head_param_scheduler}}
custom_hooks = {{_base_.occlusion_head_custom_hooks}}

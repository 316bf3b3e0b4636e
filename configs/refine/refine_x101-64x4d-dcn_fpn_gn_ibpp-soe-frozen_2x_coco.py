# REFINE Table 5 row "SOE, sigma 2.5" and Table 6 last row: the pairwise
# occlusion head (shape + appearance + class priors) trained on the frozen
# ResNeXt-101 IBPP model, as the paper feeds SOE a trained model's outputs;
# pasting in SOE order with the confidence prior. Only the head trains, for
# 6 epochs (the paper gives no schedule for it).
_base_ = './refine_x101-64x4d-dcn_fpn_gn_ibpp_2x_coco.py'

load_from = 'work_dirs/refine_x101-64x4d-dcn_fpn_gn_ibpp_2x_coco/epoch_24.pth'
model = dict(
    trainable_modules=['roi_head.occlusion_head'],
    roi_head=dict(
        occlusion_head=dict(
            _delete_=True,  # the base has None
            type='PairwiseOcclusionHead',
            in_channels=256,
            num_classes=80)),
    panoptic_fusion_head=dict(occlusion='soe', soe_sigma=2.5),
    train_cfg=dict(rcnn=dict(occlusion=dict(overlap_thr=0.2, max_pairs=256))))
# the IBPP checkpoint has no occlusion head, the one new part (tools/train.py
# refuses any other missing key)
custom_hooks = [
    dict(type='StrictCheckpointLoadHook',
         allowed_missing=['roi_head.occlusion_head.'])
]

max_epochs = 6
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[4], gamma=0.1)
]

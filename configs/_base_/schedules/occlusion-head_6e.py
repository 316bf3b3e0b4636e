# Training a pairwise occlusion head alone on a frozen IBPP model (REFINE's
# SOE and Table 6 rows): 6 epochs, the learning rate x0.1 after epoch 4 (the
# paper gives no schedule for it), and a checkpoint load that allows only the
# new head to be missing. A config lists this file in `_base_` after its
# model's config and takes the three values by name; the names are not
# train_cfg, param_scheduler and custom_hooks because mmengine refuses a key
# defined in two bases.
occlusion_head_epochs = 6
occlusion_head_train_cfg = dict(max_epochs=occlusion_head_epochs)
occlusion_head_param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=occlusion_head_epochs,
        by_epoch=True,
        milestones=[4],
        gamma=0.1)
]
# the IBPP checkpoint has no occlusion head, the one new part (tools/train.py
# refuses any other missing key)
occlusion_head_custom_hooks = [
    dict(
        type='StrictCheckpointLoadHook',
        allowed_missing=['roi_head.occlusion_head.'])
]

# IBPP + Soft Occlusion Estimation (REFINE's Table 3, row 3): the pairwise
# occlusion head trains jointly; pairs are pasted in SOE order (sigma 2.5).
_base_ = './refine_r18_fpn_ibpp_shapes.py'

model = dict(
    roi_head=dict(
        occlusion_head=dict(
            type='PairwiseOcclusionHead',
            in_channels=64,
            num_classes=4,
            conv_out_channels=128,
            num_convs=4,
            fc_out_channels=256)),
    panoptic_fusion_head=dict(occlusion='soe', soe_sigma=2.5),
    train_cfg=dict(rcnn=dict(occlusion=dict(overlap_thr=0.2, max_pairs=128))))

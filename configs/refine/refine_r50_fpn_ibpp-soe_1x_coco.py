# REFINE Table 3 row "+SOE": IBPP + Soft Occlusion Estimation (sigma 2.5),
# the pairwise occlusion head trained jointly (OCFusion's layout).
_base_ = './refine_r50_fpn_ibpp_1x_coco.py'

model = dict(
    roi_head=dict(
        occlusion_head=dict(
            type='PairwiseOcclusionHead',
            in_channels=256,
            num_classes=80,
            conv_out_channels=512,
            num_convs=4,
            fc_out_channels=1024)),
    panoptic_fusion_head=dict(occlusion='soe', soe_sigma=2.5),
    train_cfg=dict(rcnn=dict(occlusion=dict(overlap_thr=0.2, max_pairs=256))))

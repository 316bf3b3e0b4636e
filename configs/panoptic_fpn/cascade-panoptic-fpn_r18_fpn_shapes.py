# Cascade Panoptic-FPN on the shapes baseline: mmdet's Cascade Mask R-CNN RoI
# head (cascade-mask-rcnn_r50_fpn.py: three box stages at IoU 0.5, 0.6, 0.7,
# a mask head per stage, the stages' masks averaged at test time) in place
# of Mask R-CNN's, everything else as panoptic-fpn_r18_fpn_shapes.py. It is
# the comparator of REFINE's speed claim (REFINE Table 2: 5.5 FPS against
# Cascade Panoptic-FPN's 7.3), without the deformable convolutions, which no
# shapes config uses.
_base_ = './panoptic-fpn_r18_fpn_shapes.py'

num_things_classes = 4
channels = 64

model = dict(
    roi_head=dict(
        _delete_=True,
        type='CascadeRoIHead',
        num_stages=3,
        stage_loss_weights=[1, 0.5, 0.25],
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=channels,
            featmap_strides=[4, 8, 16, 32]),
        bbox_head=[
            dict(
                type='Shared2FCBBoxHead',
                in_channels=channels,
                fc_out_channels=1024,
                roi_feat_size=7,
                num_classes=num_things_classes,
                bbox_coder=dict(
                    type='DeltaXYWHBBoxCoder',
                    target_means=[0., 0., 0., 0.],
                    target_stds=target_stds),
                reg_class_agnostic=True,
                loss_cls=dict(
                    type='CrossEntropyLoss',
                    use_sigmoid=False,
                    loss_weight=1.0),
                loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))
            for target_stds in ([0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1],
                                [0.033, 0.033, 0.067, 0.067])
        ],
        mask_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=channels,
            featmap_strides=[4, 8, 16, 32]),
        mask_head=dict(
            type='FCNMaskHead',
            num_convs=4,
            in_channels=channels,
            conv_out_channels=channels,
            num_classes=num_things_classes,
            loss_mask=dict(
                type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))),
    # the baseline's 128 sampled RoIs at each stage's IoU
    train_cfg=dict(rcnn=[
        dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=iou,
                neg_iou_thr=iou,
                min_pos_iou=iou,
                match_low_quality=False,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=128,
                pos_fraction=0.25,
                neg_pos_ub=-1,
                add_gt_as_proposals=True),
            mask_size=28,
            pos_weight=-1,
            debug=False) for iou in (0.5, 0.6, 0.7)
    ]))

# REFINE's IBPP (T = 3) on the shapes baseline, heuristic (score-order)
# fusion: the "+IBPP" row of REFINE's Table 3 at CPU size. Same backbone,
# schedule and seed as the baseline; only the heads change.
_base_ = '../panoptic_fpn/panoptic-fpn_r18_fpn_shapes.py'

num_things_classes = 4
num_stuff_classes = 3
num_classes = num_things_classes + num_stuff_classes
channels = 64
num_stages = 3

model = dict(
    type='REFINE',
    roi_head=dict(
        type='IBPPRoIHead',
        num_stages=num_stages,
        stage_loss_weights=[1, 0.5, 0.25],
        semantic_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=channels,
            featmap_strides=[4]),
        # H~ins reads [f_ins + f_sem; softmax(RoIAlign(P_sem))]
        mask_head=dict(
            type='IBPPMaskHead', in_channels=channels + num_classes),
        semantic_refine_head=dict(
            type='IBPPSemanticHead',
            num_things_classes=num_things_classes,
            num_stuff_classes=num_stuff_classes,
            in_channels=channels,
            conv_out_channels=channels,
            # HTC's semantic weight: at PanopticFPN's 0.5 the box classifier
            # of seed 0 never passed 0.6 (configs/refine/README.md)
            loss_seg=dict(
                type='CrossEntropyLoss', ignore_index=255, loss_weight=0.2))),
    semantic_head=dict(type='REFINESemanticHead'),
    panoptic_fusion_head=dict(
        _delete_=True,
        type='REFINEFusionHead',
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes,
        occlusion='score'))

# REFINE's IBPP (T = 3) on mmdet's PanopticFPN R-50 1x, heuristic (score
# order) fusion: REFINE Table 3 row "+IBPP" and Table 4 (R-50, T = 3).
_base_ = 'mmdet::panoptic_fpn/panoptic-fpn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['mmrefine'], allow_failed_imports=False)

num_things_classes = 80
num_stuff_classes = 53
num_classes = num_things_classes + num_stuff_classes

model = dict(
    type='REFINE',
    # F_sem is 256-channel in the paper (it is added to the RoI features)
    semantic_head=dict(type='REFINESemanticHead', inner_channels=256),
    roi_head=dict(
        type='IBPPRoIHead',
        num_stages=3,
        stage_loss_weights=[1, 0.5, 0.25],
        semantic_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[4]),
        mask_head=dict(type='IBPPMaskHead', in_channels=256 + num_classes),
        semantic_refine_head=dict(
            type='IBPPSemanticHead',
            num_things_classes=num_things_classes,
            num_stuff_classes=num_stuff_classes,
            in_channels=256,
            conv_out_channels=256,
            # HTC's semantic weight, as in the shapes configs (where 0.5
            # starved the box head); not yet tried on COCO
            loss_seg=dict(
                type='CrossEntropyLoss', ignore_index=255, loss_weight=0.2))),
    panoptic_fusion_head=dict(
        _delete_=True,
        type='REFINEFusionHead',
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes,
        occlusion='score'))

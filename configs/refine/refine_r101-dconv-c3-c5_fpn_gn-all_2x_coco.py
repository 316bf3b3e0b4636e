# REFINE's R-101-DCN model (Table 1, test-dev PQ 49.6): the R-50 model's
# IBPP + SOE + UE on ResNet-101 with deformable convs in stages c3-c5; SOE
# trains on the frozen refine_r101-dconv-c3-c5_fpn_gn-all_ibpp_2x_coco.py.
_base_ = './refine_r50_fpn_gn-all_2x_coco.py'

load_from = ('work_dirs/refine_r101-dconv-c3-c5_fpn_gn-all_ibpp_2x_coco/'
             'epoch_24.pth')
model = dict(
    backbone=dict(
        depth=101,
        dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='open-mmlab://detectron/resnet101_gn')))

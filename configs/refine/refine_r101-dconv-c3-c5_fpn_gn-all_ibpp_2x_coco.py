# The IBPP model under REFINE's R-101-DCN model (Table 1): deformable convs
# in ResNet-101 stages c3-c5 (mmdet's dconv-c3-c5).
_base_ = './refine_r101_fpn_gn-all_ibpp_2x_coco.py'

model = dict(
    backbone=dict(
        dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True)))

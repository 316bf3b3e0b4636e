# The synthetic "shapes" panoptic data set (256 x 256, 4 thing + 3 stuff
# classes) on mmdet's COCO panoptic pipeline. Generate it with
#   python tools/dataset_converters/create_shapes_panoptic.py data/shapes
_base_ = 'mmdet::_base_/datasets/coco_panoptic.py'

custom_imports = dict(imports=['mmrefine'], allow_failed_imports=False)

dataset_type = 'ShapesPanopticDataset'
data_root = 'data/shapes_v2/'
img_scale = (256, 256)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPanopticAnnotations'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadPanopticAnnotations'),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]

# The data of protocol v2 (the generator's defaults): a set written with other
# parameters fails when the data set is built, instead of giving other numbers.
generator = dict(
    num_train=1000,
    num_val=1000,
    img_size=(256, 256),
    min_instances=2,
    max_instances=6,
    occlusion_rate=0.5,
    same_class_rate=0.3,
    min_visible=0.3,
    size_range=(0.06, 0.2),
    seed=0)

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        generator=generator,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        generator=generator,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# PQ (mmdet's metric), then the occlusion accuracy of the fusion on the pairs
# of overlapping instances (the data set's amodal masks and depth order).
# Without outfile_prefix PQ is accumulated batch by batch during the loop; with
# one (e.g. --cfg-options test_evaluator.0.outfile_prefix=work_dirs/pq/results)
# it is computed at the end by nproc processes: 2 for a 2-core machine, not
# mmdet's 32.
val_evaluator = [
    dict(
        type='CocoPanopticMetric',
        ann_file=data_root + 'annotations/panoptic_val2017.json',
        seg_prefix=data_root + 'annotations/panoptic_val2017/',
        nproc=2,
        backend_args=None),
    dict(
        type='OcclusionAccuracyMetric',
        ann_file=data_root + 'annotations/panoptic_val2017.json',
        seg_prefix=data_root + 'annotations/panoptic_val2017/')
]
test_evaluator = val_evaluator

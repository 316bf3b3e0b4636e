# Protocol v2 of the shapes benchmark (README, "Shapes benchmark v2"): every
# row trains with the baseline's schedule from the shapes-pretrained ResNet-18.
# Run: python tools/analysis_tools/run_grid.py results/shapes_v2.py
rows = [
    dict(
        name='panoptic-fpn',
        config='configs/panoptic_fpn/panoptic-fpn_r18_fpn_shapes.py',
        seeds=[0, 1, 2]),
]
tables = [
    dict(
        name='shapes-v2-baseline',
        rows=[('panoptic-fpn', 'PanopticFPN (mmdet), heuristic fusion')],
        columns=[
            'PQ', 'RQ', 'PQ_th', 'RQ_th', 'PQ_st', 'occ_acc',
            dict(key='occ_coverage', title='occ coverage %'),
            dict(key='occ_pairs', digits=0),
            dict(key='train_seconds', title='train (min)', scale=1 / 60)
        ]),
]

# BANet's Table 2 and oracles on protocol v2 of the shapes benchmark (README,
# "Shapes benchmark v2"), with the PanopticFPN baseline trained again beside
# them: a table comes from one kind of machine, and the baseline cells of
# results/shapes_v2.py came from another kind than the one this grid started
# on. Same protocol, configs and seeds as there; every row inherits the
# baseline's schedule and shapes-pretrained ResNet-18 and differs from the row
# before it only by what its paper row changes.
# Run: python tools/analysis_tools/run_grid.py results/shapes_v2_banet.py
PFPN = 'configs/panoptic_fpn/panoptic-fpn_r18_fpn_shapes.py'
SEEDS = [0, 1, 2]

rows = [
    dict(
        name='banet_heuristic',
        config='configs/banet/banet_r18_fpn_heuristic_shapes.py',
        seeds=SEEDS),
    dict(
        name='banet',
        config='configs/banet/banet_r18_fpn_shapes.py',
        checkpoint_of='banet_heuristic',
        seeds=SEEDS),
    dict(name='panoptic-fpn', config=PFPN, seeds=SEEDS),
    dict(
        name='banet_baseline',
        config='configs/banet/banet_r18_fpn_baseline_shapes.py'),
    dict(
        name='banet_baseline-sim',
        config='configs/banet/banet_r18_fpn_baseline-sim_shapes.py'),
    dict(
        name='banet_baseline-sim-ocm',
        config='configs/banet/banet_r18_fpn_baseline-sim-ocm_shapes.py'),
]
# BANet Table 4: one stage replaced by the ground truth, on seed 0
rows += [
    dict(
        name=f'banet_oracle-{oracle}',
        config='configs/banet/banet_r18_fpn_shapes.py',
        checkpoint_of='banet_heuristic',
        oracle=oracle) for oracle in ('boxes', 'boxes+order', 'stuff')
]

PANOPTIC = ['PQ', 'PQ_th', 'RQ_th', 'PQ_st']
OCCLUSION = ['occ_acc', dict(key='occ_pairs', digits=0)]
TRAIN = [dict(key='train_seconds', title='train (min)', scale=1 / 60)]
tables = [
    dict(
        name='shapes-v2-banet-table2',
        rows=[('panoptic-fpn', 'PanopticFPN (mmdet), for reference'),
              ('banet_baseline', 'baseline'), ('banet_baseline-sim', '+ SIM'),
              ('banet_baseline-sim-ocm', '+ SIM + OCM'),
              ('banet_heuristic', '+ S2I (heuristic fusion)'),
              ('banet', '+ OH (BANet)')],
        columns=PANOPTIC + ['RQ_st'] + OCCLUSION + TRAIN),
    dict(
        name='shapes-v2-banet-oracles',
        rows=[('banet', 'BANet'),
              ('banet_oracle-boxes', '  GT boxes and classes'),
              ('banet_oracle-boxes+order', '  GT boxes + GT order'),
              ('banet_oracle-stuff', '  GT stuff')],
        columns=PANOPTIC + OCCLUSION),
    # The targets: full BANet >= +1.5 PQ over the baseline; occlusion
    # handling >= +5 points of occlusion accuracy over the heuristic fusion,
    # on >= 300 judged pairs.
    dict(
        name='shapes-v2-banet-claims',
        claims=[
            dict(
                paper='BANet',
                claim='SIM adds PQ',
                paper_value='+0.4 PQ (Table 2)',
                row='banet_baseline-sim',
                baseline='banet_baseline',
                metric='PQ'),
            dict(
                paper='BANet',
                claim='OCM adds PQ',
                paper_value='+0.5 PQ (Table 2)',
                row='banet_baseline-sim-ocm',
                baseline='banet_baseline-sim',
                metric='PQ'),
            dict(
                paper='BANet',
                claim='S2I adds RQ_th',
                paper_value='+0.4 RQ_th (Table 2)',
                row='banet_heuristic',
                baseline='banet_baseline-sim-ocm',
                metric='RQ_th'),
            dict(
                paper='BANet',
                claim='occlusion handling adds PQ_th',
                paper_value='+2.0 PQ_th (Table 2)',
                row='banet',
                baseline='banet_heuristic',
                metric='PQ_th'),
            dict(
                paper='BANet',
                claim='occlusion handling orders occluding pairs better '
                'than the heuristic',
                paper_value='-',
                row='banet',
                baseline='banet_heuristic',
                metric='occ_acc',
                target=5,
                min_pairs=300),
            dict(
                paper='BANet',
                claim='full BANet adds PQ over PanopticFPN',
                paper_value='+2.1 PQ (Table 1, 41.1 vs 39.0)',
                row='banet',
                baseline='panoptic-fpn',
                metric='PQ',
                target=1.5),
        ]),
]

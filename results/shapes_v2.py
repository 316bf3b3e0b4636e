# Protocol v2 of the shapes benchmark (README, "Shapes benchmark v2"): every
# row trains with the baseline's schedule from the shapes-pretrained ResNet-18
# and differs from the row it builds on only by what its paper row changes.
# Learning-free or test-time rows (checkpoint_of) evaluate another row's
# checkpoint; REFINE's Table 5 and 6 heads train alone on the frozen IBPP
# model of the same seed (init_from). Three seeds for the rows whose claims
# the README judges, one for the others. BANet's Table 2 and oracles are in
# results/shapes_v2_banet.py, a grid with its own baseline cells: a table
# comes from one kind of machine, and this grid's cells came from an Intel
# Xeon machine.
# Run: python tools/analysis_tools/run_grid.py results/shapes_v2.py
PFPN = 'configs/panoptic_fpn/panoptic-fpn_r18_fpn_shapes.py'
SEEDS = [0, 1, 2]

rows = [
    # the baseline, and the learning-free fusions on its checkpoint
    dict(name='panoptic-fpn', config=PFPN, seeds=SEEDS),
    dict(
        name='panoptic-fpn_ue',
        config='configs/refine/panoptic-fpn_r18_fpn_ue_shapes.py',
        checkpoint_of='panoptic-fpn',
        seeds=SEEDS),
    dict(
        name='panoptic-fpn_oh',
        config='configs/banet/panoptic-fpn_r18_fpn_oh_shapes.py',
        checkpoint_of='panoptic-fpn',
        seeds=SEEDS),
    # REFINE Tables 3 and 4
    dict(
        name='refine_ibpp',
        config='configs/refine/refine_r18_fpn_ibpp_shapes.py',
        seeds=SEEDS),
    dict(
        name='refine_ibpp-soe',
        config='configs/refine/refine_r18_fpn_ibpp-soe_shapes.py',
        seeds=SEEDS),
    dict(
        name='refine_ibpp-soe_score',
        config='configs/refine/refine_r18_fpn_ibpp-soe_shapes.py',
        checkpoint_of='refine_ibpp-soe',
        cfg_options={'model.panoptic_fusion_head.occlusion': 'score'},
        seeds=SEEDS),
    dict(
        name='refine',
        config='configs/refine/refine_r18_fpn_shapes.py',
        checkpoint_of='refine_ibpp-soe',
        seeds=SEEDS),
    dict(
        name='refine_ibpp-t1',
        config='configs/refine/refine_r18_fpn_ibpp-t1_shapes.py'),
    dict(
        name='refine_ibpp-t2',
        config='configs/refine/refine_r18_fpn_ibpp-t2_shapes.py'),
    # REFINE Tables 5 and 6: occlusion heads on the frozen IBPP model
    dict(
        name='refine_ibpp-occ-mask',
        config='configs/refine/refine_r18_fpn_ibpp-occ-mask_shapes.py',
        init_from='refine_ibpp'),
    dict(
        name='refine_ibpp-occ-mask-feat',
        config='configs/refine/refine_r18_fpn_ibpp-occ-mask-feat_shapes.py',
        init_from='refine_ibpp'),
    dict(
        name='refine_ibpp-occ-mask-feat-label',
        config='configs/refine/'
        'refine_r18_fpn_ibpp-occ-mask-feat-label_shapes.py',
        init_from='refine_ibpp'),
    dict(
        name='refine_ibpp-soe-frozen',
        config='configs/refine/refine_r18_fpn_ibpp-soe-frozen_shapes.py',
        checkpoint_of='refine_ibpp-occ-mask-feat-label'),
    dict(
        name='refine_ibpp-soe-frozen_sigma2.0',
        config='configs/refine/refine_r18_fpn_ibpp-soe-frozen_shapes.py',
        checkpoint_of='refine_ibpp-occ-mask-feat-label',
        cfg_options={'model.panoptic_fusion_head.soe_sigma': 2.0}),
    dict(
        name='refine_ibpp-soe-frozen_sigma4.0',
        config='configs/refine/refine_r18_fpn_ibpp-soe-frozen_shapes.py',
        checkpoint_of='refine_ibpp-occ-mask-feat-label',
        cfg_options={'model.panoptic_fusion_head.soe_sigma': 4.0}),
]
# BANet Table 4: one stage replaced by the ground truth, on seed 0
rows += [
    dict(
        name=f'{model}_oracle-{oracle}',
        config=config,
        checkpoint_of=checkpoint_of,
        oracle=oracle)
    for model, config, checkpoint_of in (
        ('panoptic-fpn', PFPN, 'panoptic-fpn'),
        ('refine', 'configs/refine/refine_r18_fpn_shapes.py',
         'refine_ibpp-soe'),
    )
    for oracle in ('boxes', 'boxes+order', 'stuff')
]

PANOPTIC = ['PQ', 'PQ_th', 'RQ_th', 'PQ_st']
OCCLUSION = [
    'occ_acc',
    dict(key='occ_pairs', digits=0),
]
TRAIN = [dict(key='train_seconds', title='train (min)', scale=1 / 60)]
tables = [
    dict(
        name='shapes-v2-baseline',
        rows=[('panoptic-fpn', 'PanopticFPN (mmdet), heuristic fusion')],
        columns=[
            'PQ', 'RQ', 'PQ_th', 'RQ_th', 'PQ_st', 'occ_acc',
            dict(key='occ_coverage', title='occ coverage %'),
            dict(key='occ_pairs', digits=0)
        ] + TRAIN),
    dict(
        name='shapes-v2-fusions',
        rows=[('panoptic-fpn', 'PanopticFPN, heuristic fusion'),
              ('panoptic-fpn_ue', '+ Unknown Erasing (REFINE)'),
              ('panoptic-fpn_oh', '+ occlusion handling (BANet)')],
        columns=PANOPTIC + OCCLUSION),
    dict(
        name='shapes-v2-refine-table3',
        rows=[('panoptic-fpn', 'baseline (PanopticFPN)'),
              ('refine_ibpp', '+ IBPP (T = 3)'), ('refine_ibpp-soe', '+ SOE'),
              ('refine', '+ UE (REFINE)')],
        columns=PANOPTIC + OCCLUSION + TRAIN),
    dict(
        name='shapes-v2-refine-table4',
        rows=[('panoptic-fpn', 'baseline (T = 0)'),
              ('refine_ibpp-t1', 'IBPP, T = 1'),
              ('refine_ibpp-t2', 'IBPP, T = 2'),
              ('refine_ibpp', 'IBPP, T = 3')],
        columns=PANOPTIC + TRAIN),
    dict(
        name='shapes-v2-refine-table5-6',
        rows=[('refine_ibpp', 'heuristic fusion (score order)'),
              ('refine_ibpp-occ-mask', 'mask prediction'),
              ('refine_ibpp-occ-mask-feat', '+ mask feature'),
              ('refine_ibpp-occ-mask-feat-label', '+ label (strong baseline)'),
              ('refine_ibpp-soe-frozen_sigma2.0', '+ confidence, SOE σ 2.0'),
              ('refine_ibpp-soe-frozen', '+ confidence, SOE σ 2.5'),
              ('refine_ibpp-soe-frozen_sigma4.0', '+ confidence, SOE σ 4.0')],
        columns=['PQ_th', 'SQ_th', 'RQ_th'] + OCCLUSION),
    dict(
        name='shapes-v2-oracles',
        rows=[
            ('panoptic-fpn', 'PanopticFPN'),
            ('panoptic-fpn_oracle-boxes', '  GT boxes and classes'),
            ('panoptic-fpn_oracle-boxes+order', '  GT boxes + GT order'),
            ('panoptic-fpn_oracle-stuff', '  GT stuff'),
            ('refine', 'REFINE'),
            ('refine_oracle-boxes', '  GT boxes and classes'),
            ('refine_oracle-boxes+order', '  GT boxes + GT order'),
            ('refine_oracle-stuff', '  GT stuff'),
        ],
        columns=PANOPTIC + OCCLUSION),
]


def claim(paper, text, paper_value, row, baseline, metric, **kwargs):
    return dict(
        paper=paper,
        claim=text,
        paper_value=paper_value,
        row=row,
        baseline=baseline,
        metric=metric,
        **kwargs)


# The targets: full REFINE >= +3 PQ over the baseline; SOE and
# occlusion handling >= +5 points of occlusion accuracy over the heuristic
# fusion, on >= 300 judged pairs. BANet's own claims: shapes_v2_banet.py.
tables.append(
    dict(
        name='shapes-v2-claims',
        claims=[
            claim('REFINE', 'IBPP adds PQ', '+2.6 PQ (Table 3)', 'refine_ibpp',
                  'panoptic-fpn', 'PQ'),
            claim('REFINE', 'SOE adds PQ_th', '+3.3 PQ_th (Table 3)',
                  'refine_ibpp-soe', 'refine_ibpp', 'PQ_th'),
            claim(
                'REFINE',
                'SOE orders occluding pairs better than score order (same '
                'checkpoint)',
                '-',
                'refine_ibpp-soe',
                'refine_ibpp-soe_score',
                'occ_acc',
                target=5,
                min_pairs=300),
            claim('REFINE', 'UE adds PQ_st', '+1.8 PQ_st (Table 3)', 'refine',
                  'refine_ibpp-soe', 'PQ_st'),
            claim('REFINE', 'UE adds PQ_st to a stock PanopticFPN', '-',
                  'panoptic-fpn_ue', 'panoptic-fpn', 'PQ_st'),
            claim(
                'REFINE',
                'full REFINE adds PQ',
                '+5.3 PQ (Table 3)',
                'refine',
                'panoptic-fpn',
                'PQ',
                target=3),
            claim('REFINE', 'more IBPP iterations help (T = 3 over T = 1)',
                  '+1.2 PQ (Table 4)', 'refine_ibpp', 'refine_ibpp-t1', 'PQ'),
            claim('REFINE', 'SOE beats the strong baseline (frozen IBPP)',
                  '+0.4 PQ_th (Table 5)', 'refine_ibpp-soe-frozen',
                  'refine_ibpp-occ-mask-feat-label', 'PQ_th'),
            claim(
                'BANet',
                'occlusion handling orders a stock PanopticFPN\'s pairs '
                'better',
                '-',
                'panoptic-fpn_oh',
                'panoptic-fpn',
                'occ_acc',
                target=5,
                min_pairs=300),
        ]))

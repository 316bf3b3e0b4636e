"""ResultGrid: grid files, their checks and the tables rendered from fixture
result files."""
import json
import os
import os.path as osp

import pytest

from mmrefine.utils import ResultGrid, format_mean_std, wilson_interval

MACHINE = dict(kind='Test CPU, 2 cores, no GPU')
GRID = """
rows = [
    dict(name='base', config='configs/a.py', seeds=[0, 1, 2]),
    dict(name='oh', config='configs/b.py', seeds=[0, 1],
         checkpoint_of='base', cfg_options={'model.x': 1}),
    dict(config='configs/b.py', init_from='base'),
]
tables = [
    dict(name='main',
         rows=[('base', 'Baseline'), ('oh', '+ OH'), ('b', 'B')],
         columns=['PQ', 'coco_panoptic/PQ_th', 'occ_acc',
                  dict(key='occ_pairs', title='pairs', digits=0),
                  dict(key='train_seconds', title='train (min)',
                       scale=1 / 60)]),
]
"""


def write(path, text):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def result(seed, pq, pq_th, acc, pairs, train_seconds, machine=MACHINE):
    return dict(
        seed=seed,
        machine=machine,
        train_seconds=train_seconds,
        metrics={
            'coco_panoptic/PQ': pq,
            'coco_panoptic/PQ_th': pq_th,
            'occlusion/occ_acc': acc,
            'occlusion/occ_pairs': pairs
        })


def make_repo(root, grid=GRID, results=()):
    """A repository with two (empty) configs, results/g.py and the given
    ``(row, result)`` files."""
    for name in ('a', 'b'):
        write(osp.join(root, 'configs', f'{name}.py'), '')
    write(osp.join(root, 'results', 'g.py'), grid)
    for row, res in results:
        write(
            osp.join(root, 'results', 'g', row, f"seed{res['seed']}.json"),
            json.dumps(res))
    return osp.join(root, 'results', 'g.py')


FIXTURE = [('base', result(0, 40.0, 30.0, 60.0, 100, 600)),
           ('base', result(1, 42.0, 31.0, 70.0, 110, 660)),
           ('base', result(2, 44.0, 35.0, 80.0, 120, 720)),
           ('oh', result(0, 41.0, 32.5, 75.5, 101, None))]


def test_render_table_from_fixture_files(tmp_path):
    grid = ResultGrid(make_repo(str(tmp_path), results=FIXTURE))
    assert grid.render_table('main') == '\n'.join([
        '| | PQ | coco_panoptic/PQ_th | occ_acc | pairs | train (min) | n |',
        '| :-- | --: | --: | --: | --: | --: | --: |',
        '| Baseline | 42.0 ± 2.0 | 32.0 ± 2.6 | 70.0 ± 10.0 | 110 ± 10 '
        '| 11.0 ± 1.0 | 3 |', '| + OH | 41.0 | 32.5 | 75.5 | 101 | - | 1 |',
        '| B | - | - | - | - | - | 0 |', '',
        'Mean ± standard deviation over the seeds (n) of `results/g/`; '
        'machine: '
        'Test CPU, 2 cores, no GPU. Rendered by '
        '`tools/analysis_tools/render_results.py`.'
    ])


def test_cells_come_after_the_rows_they_use(tmp_path):
    grid = ResultGrid(make_repo(str(tmp_path)))
    assert grid.rows['b']['init_from'] == 'base'
    assert [(row['name'], seed) for row, seed in grid.cells()] == [('base', 0),
                                                                   ('base', 1),
                                                                   ('base', 2),
                                                                   ('oh', 0),
                                                                   ('oh', 1),
                                                                   ('b', 0)]
    assert grid.result_file('oh', 1) == osp.join(
        str(tmp_path), 'results', 'g', 'oh', 'seed1.json')


def test_mixed_machines_in_one_table(tmp_path):
    other = result(1, 40.0, 30.0, 60.0, 100, 600,
                   dict(kind='Other CPU, 16 cores, H200'))
    grid = ResultGrid(
        make_repo(str(tmp_path), results=FIXTURE[:1] + [('base', other)]))
    with pytest.raises(ValueError, match='mixes cells of machines'):
        grid.render_table('main')


def test_ambiguous_column(tmp_path):
    res = result(0, 40.0, 30.0, 60.0, 100, 600)
    res['metrics']['other/PQ'] = 1.0
    grid = ResultGrid(make_repo(str(tmp_path), results=[('base', res)]))
    with pytest.raises(ValueError, match="column 'PQ' matches 2"):
        grid.render_table('main')


@pytest.mark.parametrize('rows, message', [
    ("[dict(config='configs/missing.py')]",
     "'configs/missing.py' is not a file"),
    ("[dict(config='configs/a.py'), dict(config='configs/a.py')]",
     "'a' is used twice"),
    ("[dict(config='configs/a.py', checkpoint_of='x')]",
     "checkpoint_of='x' is not"),
    ("[dict(config='configs/a.py', seeds=[0]),"
     " dict(config='configs/b.py', seeds=[1], checkpoint_of='a')]",
     r'seeds \[1\] are not'),
    ("[dict(config='configs/a.py', init_from='b'),"
     " dict(config='configs/b.py', init_from='a')]",
     'in a cycle: a -> b -> a'),
    ("[dict(config='configs/a.py', seed=[1])]", r"unknown keys \['seed'\]"),
    ("[dict(config='configs/a.py', oracle='boxes')]",
     'it needs checkpoint_of'),
])
def test_bad_grid_files(tmp_path, rows, message):
    path = make_repo(str(tmp_path), grid=f'rows = {rows}\n')
    with pytest.raises(ValueError, match=message):
        ResultGrid(path)


def test_format_mean_std():
    assert format_mean_std([]) == '-'
    assert format_mean_std([1.25], 2) == '1.25'
    assert format_mean_std([1.0, 2.0, 3.0]) == '2.0 ± 1.0'


CLAIMS_GRID = GRID + """
tables.append(
    dict(name='claims',
         claims=[
             dict(paper='P', claim='OH adds PQ', paper_value='+1', row='oh',
                  baseline='base', metric='PQ', target=2),
             dict(paper='P', claim='OH orders better', paper_value='-',
                  row='oh', baseline='base', metric='occ_acc',
                  min_pairs=300),
             dict(paper='P', claim='the same, more pairs', paper_value='-',
                  row='oh', baseline='base', metric='occ_acc',
                  min_pairs=400),
             dict(paper='P', claim='B adds PQ', paper_value='-', row='b',
                  baseline='base', metric='PQ'),
         ]))
"""


def test_render_claims_from_fixture_files(tmp_path):
    """Paired differences per seed, their verdict, and the pooled occlusion
    accuracy of each row with its Wilson interval."""
    oh = [('oh', result(s, pq, 0.0, acc, pairs, None))
          for s, pq, acc, pairs in ((0, 41.0, 70.0, 100), (1, 43.2, 80.0, 110),
                                    (2, 45.0, 90.0, 120))]
    grid = ResultGrid(
        make_repo(str(tmp_path), CLAIMS_GRID, results=FIXTURE[:3] + oh))

    def accuracy(correct, judged):
        low, high = wilson_interval(correct, judged)
        return (f'{100 * correct / judged:.1f} % [{low:.1f}, {high:.1f}] of '
                f'{judged}')

    # base: 60 + 77 + 96 of 330 pairs; oh: 70 + 88 + 108 of 330
    pooled = f'{accuracy(266, 330)} vs {accuracy(233, 330)}'
    lines = grid.render_table('claims').splitlines()
    assert lines[2:6] == [
        '| P | OH adds PQ | +1 | +1.1 ± 0.1 (3) | shown; target +2 not met |',
        f'| P | OH orders better | - | +10.0 ± 0.0 (3); {pooled} | shown |',
        f'| P | the same, more pairs | - | +10.0 ± 0.0 (3); {pooled} '
        '| not judged (330 judged pairs, needs 400) |',
        '| P | B adds PQ | - | - | not judged (n = 0, needs 3) |',
    ]
    assert 'machine: Test CPU, 2 cores, no GPU' in lines[-1]


def test_claim_with_an_unknown_row(tmp_path):
    grid = GRID + """
tables.append(dict(name='c', claims=[dict(
    paper='P', claim='x', paper_value='-', row='nope', baseline='base',
    metric='PQ')]))
"""
    with pytest.raises(ValueError, match="row 'nope' is not a row"):
        ResultGrid(make_repo(str(tmp_path), grid))

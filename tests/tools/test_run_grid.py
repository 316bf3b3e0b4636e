"""tools/analysis_tools/run_grid.py: options on the command line, the plan of
each cell (skip, train, resume, test, wait), training time of killed runs;
and, slow, a tiny grid trained and evaluated end to end, then skipped."""
import argparse
import importlib.util
import json
import os
import os.path as osp
import sys
import time

import pytest
from mmengine.config import DictAction

from mmrefine.utils import ResultGrid

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'analysis_tools', 'run_grid.py')
GRID = """
rows = [
    dict(name='base', config={config!r}, seeds=[0, 1]),
    dict(name='fused', config={config!r}, seeds=[1], checkpoint_of='base',
         cfg_options={{'model.test_cfg.panoptic.score_thr': 0.3}}),
    dict(name='tuned', config={config!r}, seeds=[0], init_from='base'),
    dict(name='oracle', config={config!r}, seeds=[1], checkpoint_of='base',
         oracle='boxes+order'),
]
"""


def load_tool():
    spec = importlib.util.spec_from_file_location('run_grid', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_options_round_trip_through_dict_action():
    tool = load_tool()
    options = {
        'a.b': 0.5,
        'c': [1, 2],
        'd': (3, [4, 5]),
        'e': 'name_1.pth',
        'f': None,
        'g': True,
        'h': 7
    }
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parsed = parser.parse_args(['--cfg-options',
                                *tool.option_args(options)]).cfg_options
    assert parsed == options
    for bad in ({'x': dict(y=1)}, {'x': 'two words'}):
        with pytest.raises(ValueError, match='cfg_options value'):
            tool.option_args(bad)


@pytest.fixture
def grid(tmp_path):
    config = str(tmp_path / 'config.py')
    open(config, 'w').close()
    path = tmp_path / 'results' / 'g.py'
    path.parent.mkdir()
    path.write_text(GRID.format(config=config))
    return ResultGrid(str(path))


def cells(tool, grid, work_root):
    return {
        c.name: c
        for c in tool.select_cells(grid, None, None, str(work_root))
    }


def fake_checkpoint(cell, name='iter_2.pth'):
    os.makedirs(cell.train_dir, exist_ok=True)
    path = osp.join(cell.train_dir, name)
    open(path, 'w').close()
    with open(osp.join(cell.train_dir, 'last_checkpoint'), 'w') as f:
        f.write(path)
    return path


def test_plan_of_each_cell(grid, tmp_path):
    tool = load_tool()
    work = tmp_path / 'work'
    all_cells = cells(tool, grid, work)
    assert list(all_cells) == [
        'base/seed0', 'base/seed1', 'fused/seed1', 'tuned/seed0',
        'oracle/seed1'
    ]
    base0, base1, fused, tuned, oracle = all_cells.values()
    assert [c.plan() for c in all_cells.values()] == [
        'train', 'train', 'needs base/seed1', 'needs base/seed0',
        'needs base/seed1'
    ]
    command = base0.train_command()
    assert command[1:5] == [
        'tools/train.py', grid.rows['base']['config'], '--work-dir',
        str(work / 'g' / 'base' / 'seed0')
    ]
    assert '--resume' not in command
    assert command[-4:] == [
        'randomness.seed=0', 'val_cfg=None', 'val_dataloader=None',
        'val_evaluator=None'
    ]

    # killed after a checkpoint: resume from it, explicitly
    checkpoint = fake_checkpoint(base0)
    assert base0.plan() == 'resume'
    assert base0.train_command()[5:7] == ['--resume', checkpoint]

    # trained: evaluate; the rows on its checkpoint can go
    base0.save_state(dict(segments=[], finished=True))
    assert base0.plan() == 'test'
    assert tuned.plan() == 'train'
    assert tuned.train_command()[-1] == f'load_from={checkpoint}'

    # a fusion-only cell evaluates its source's checkpoint with its options
    checkpoint1 = fake_checkpoint(base1)
    base1.save_state(dict(segments=[], finished=True))
    assert fused.plan() == 'test'
    assert fused.last_checkpoint() == checkpoint1
    assert fused.test_command(checkpoint1, 'm.json')[1:] == [
        'tools/test.py', grid.rows['fused']['config'], checkpoint1,
        '--metrics-out', 'm.json', '--work-dir',
        str(work / 'g' / 'fused' / 'seed1' / 'test'), '--cfg-options',
        'randomness.seed=1', 'model.test_cfg.panoptic.score_thr=0.3'
    ]
    assert fused.train_seconds() is None
    # an oracle row: the oracle tool on the same checkpoint
    assert oracle.test_command(checkpoint1, 'm.json')[1:9] == [
        'tools/analysis_tools/oracle.py', grid.rows['oracle']['config'],
        checkpoint1, '--oracles', 'boxes+order', '--out', 'm.json',
        '--work-dir'
    ]

    # a result file: done, unless evaluated again
    tool.write_result(fused.result_file, dict(seed=1))
    assert fused.plan() == 'done'
    assert fused.plan(retest=True) == 'test'
    with pytest.raises(ValueError, match=r"--rows \['nope'\]"):
        tool.select_cells(grid, ['nope'], None, str(work))
    assert [c.name for c in tool.select_cells(grid, ['base'], [1], str(work))
            ] == ['base/seed1']


def test_train_seconds_count_a_killed_run_up_to_its_checkpoint(grid, tmp_path):
    tool = load_tool()
    cell = cells(tool, grid, tmp_path / 'work')['base/seed0']
    now = time.time()
    checkpoint = fake_checkpoint(cell)
    os.utime(checkpoint, (now - 60, now - 60))
    # a finished run of 100 s, a killed one whose checkpoint came after 40 s
    # (the 40 s after it were lost), then the run that finished in 30 s
    cell.save_state(
        dict(
            finished=True,
            segments=[
                dict(start=now - 300, end=now - 200, returncode=1),
                dict(start=now - 100, end=None, returncode=None),
                dict(start=now - 30, end=now, returncode=0)
            ]))
    assert cell.train_seconds() == pytest.approx(170, abs=0.2)


@pytest.mark.slow
def test_tiny_grid_end_to_end(tiny_config, run_cmd, tmp_path):
    """Two cells trained 2 steps, one fusion-only cell on a checkpoint; a
    second run skips every cell."""
    config = tiny_config(2)
    path = tmp_path / 'results' / 'tiny.py'
    path.parent.mkdir()
    path.write_text(f"""
rows = [
    dict(name='base', config={config!r}, seeds=[0]),
    dict(name='fused', config={config!r}, seeds=[0], checkpoint_of='base',
         cfg_options={{'model.test_cfg.panoptic.stuff_area_limit': 0}}),
]
""")
    work = str(tmp_path / 'work')
    out = run_cmd([sys.executable, SCRIPT, str(path), '--work-root', work])
    assert ('[run_grid] base/seed0: train' in out
            and '[run_grid] fused/seed0: test' in out)
    with open(tmp_path / 'results' / 'tiny' / 'base' / 'seed0.json') as f:
        base = json.load(f)
    with open(tmp_path / 'results' / 'tiny' / 'fused' / 'seed0.json') as f:
        fused = json.load(f)
    assert type(base['metrics']['occlusion/occ_pairs_total']) is int
    assert base['test_step_seconds'] > 0
    assert set(base['metrics']) >= {
        'coco_panoptic/PQ', 'coco_panoptic/PQ_th', 'coco_panoptic/PQ_st',
        'coco_panoptic/SQ', 'coco_panoptic/RQ_th', 'occlusion/occ_acc',
        'occlusion/occ_pairs', 'occlusion/occ_pairs_total',
        'occlusion/occ_coverage'
    }
    assert base['seed'] == 0 and base['config'] == config
    assert len(base['git']['commit']) == 40
    assert base['git']['train_commits'] == fused['git']['train_commits'] == [
        base['git']['commit']
    ]
    assert base['machine']['cores'] == os.cpu_count()
    assert base['train_seconds'] > 0 and base['test_seconds'] > 0
    assert base['checkpoint'].endswith('iter_2.pth')
    assert fused['checkpoint'] == base['checkpoint'] and fused[
        'train_seconds'] is None
    assert fused['cfg_options'] == {
        'model.test_cfg.panoptic.stuff_area_limit': 0
    }
    out = run_cmd([sys.executable, SCRIPT, str(path), '--work-root', work])
    assert ('[run_grid] base/seed0: done' in out
            and '[run_grid] fused/seed0: done' in out)


def test_a_cell_of_another_machine_kind_is_refused_before_it_runs(
        tmp_path, monkeypatch, capsys):
    config = str(tmp_path / 'config.py')
    open(config, 'w').close()
    path = tmp_path / 'results' / 'g.py'
    path.parent.mkdir()
    path.write_text(
        GRID.format(config=config) +
        "tables = [dict(name='t', rows=[('base', 'B'), ('fused', 'F')], "
        "columns=['PQ'])]\n")
    grid = ResultGrid(str(path))
    tool = load_tool()
    work = tmp_path / 'work'
    here, there = 'CPU A, 2 cores, no GPU', 'CPU B, 2 cores, no GPU'
    assert grid.machine_kinds('base') == {'t': set()}
    assert grid.machine_kinds('tuned') == {}  # in no table
    tool.write_result(
        grid.result_file('base', 0), dict(seed=0, machine=dict(kind=there)))
    assert grid.machine_kinds('fused') == {'t': {there}}

    all_cells = list(cells(tool, grid, work).values())
    assert tool.machine_conflicts(grid, all_cells, False, there) == []
    messages = tool.machine_conflicts(grid, all_cells, False, here)
    # base/seed0 is done; the other cells of table t would mix the kinds
    assert [m.split(':')[0] for m in messages
            ] == ['[run_grid] base/seed1', '[run_grid] fused/seed1']
    assert here in messages[0] and there in messages[0]
    # evaluating the done cell again would mix them too
    assert len(tool.machine_conflicts(grid, all_cells, True, here)) == 3

    # the runner stops before any cell runs
    monkeypatch.setattr(tool, 'machine_info', lambda: dict(kind=here))
    monkeypatch.setattr(
        sys, 'argv',
        ['run_grid.py', str(path), '--work-root',
         str(work)])
    assert tool.main() == 2
    assert 'base/seed1: this machine is' in capsys.readouterr().out
    assert not work.exists()

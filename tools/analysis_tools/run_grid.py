"""Train and evaluate a grid of (config, seed) cells, one result file each.

For every cell of a grid file ``results/<grid>.py`` (rows and tables as
:class:`mmrefine.utils.ResultGrid` describes them), in order, trained rows
first (before any of them runs, the runner stops, naming the cell, the table
and both kinds, if a cell that would run joins a table whose result files come
from another kind of machine: a table comes from one kind, and the renderer
would refuse it after the run):

1. a cell whose result file ``results/<grid>/<row>/seed<k>.json`` exists is
   skipped (``--retest``: evaluated again, not retrained);
2. a trained row runs ``tools/train.py CONFIG --work-dir
   work_dirs/grids/<grid>/<row>/seed<k> --cfg-options randomness.seed=<k>
   <row's cfg_options> val_cfg=None val_dataloader=None
   val_evaluator=None``: validation is off, the final checkpoint is
   evaluated once after training. A killed training continues from the
   last checkpoint of its work dir (``--resume <that checkpoint>``; a plain
   ``--resume`` would drop a config's ``load_from`` when there is none yet);
3. ``tools/test.py CONFIG CHECKPOINT`` evaluates the final checkpoint with
   the config's test loop and evaluators (``CocoPanopticMetric`` and
   ``OcclusionAccuracyMetric`` in the shapes configs); a fusion-only row
   (``checkpoint_of``) evaluates the checkpoint of another row at the same
   seed with its own config and options, an oracle row (``oracle``) with
   ``tools/analysis_tools/oracle.py`` (BANet's Table 4);
4. the result file gets the grid, row, config, options, seed, checkpoint,
   git commit (and the commits the training ran at), machine, every
   metric, and the training and test seconds.

Training seconds are the wall-clock time of ``tools/train.py``, summed over
the runs that trained a cell; of a run that was killed with this runner,
the time up to its last checkpoint (what the next run kept). Test seconds
are the wall-clock time of ``tools/test.py`` (model building, inference and
the metrics), ``test_step_seconds`` mmengine's mean time of a test step.

Example::

    python tools/analysis_tools/run_grid.py results/shapes_v2.py
    python tools/analysis_tools/run_grid.py results/shapes_v2.py \\
        --rows panoptic-fpn --seeds 0 1 --dry-run
"""
import argparse
import datetime
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)  # this checkout's mmrefine, not an installed one

from mmrefine.utils import ResultGrid, machine_info  # noqa: E402

SCHEMA = 1
STATE_FILE = 'run_grid_train.json'
NO_VALIDATION = ['val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('grid', help='grid file, results/<grid>.py')
    parser.add_argument('--rows', nargs='+', help='only these rows')
    parser.add_argument('--seeds', nargs='+', type=int, help='only these')
    parser.add_argument(
        '--work-root',
        default=osp.join(REPO, 'work_dirs', 'grids'),
        help='work dirs: WORK_ROOT/<grid>/<row>/seed<k>')
    parser.add_argument(
        '--retest',
        action='store_true',
        help='evaluate cells that have a result file again (not retrained)')
    parser.add_argument(
        '--dry-run', action='store_true', help='print the plan, run nothing')
    return parser.parse_args()


# ------------------------------------------------------------ options ----
def option_value(value) -> str:
    """``value`` as mmengine's ``DictAction`` parses it back."""
    if isinstance(value, (list, tuple)):
        inner = ','.join(option_value(v) for v in value)
        return f'[{inner}]' if isinstance(value, list) else f'({inner})'
    if isinstance(value, dict):
        raise ValueError(f'cfg_options value {value!r}: a dict cannot be '
                         'passed on the command line, use dotted keys')
    if isinstance(value, str) and (not value or set(value) & set('[](),"\' ')):
        raise ValueError(f'cfg_options value {value!r}: --cfg-options cannot '
                         'carry a string with brackets, commas, quotes or '
                         'spaces')
    return str(value)


def option_args(options: dict) -> List[str]:
    """``key=value`` arguments of ``--cfg-options``."""
    return [f'{k}={option_value(v)}' for k, v in options.items()]


# ----------------------------------------------------- the cell on disk ----
class Cell:
    """One (row, seed) of a grid: its work dirs, checkpoint and result.

    Args:
        grid (ResultGrid): the grid.
        row (dict): one of ``grid.rows``.
        seed (int): the seed.
        work_root (str): work dirs are ``work_root/<grid>/<row>/seed<k>``.
    """

    def __init__(self, grid: ResultGrid, row: dict, seed: int,
                 work_root: str) -> None:
        self.grid, self.row, self.seed = grid, row, seed
        self.work_root = work_root
        self.name = f"{row['name']}/seed{seed}"
        self.work_dir = osp.join(work_root, grid.name, row['name'],
                                 f'seed{seed}')
        source = row['checkpoint_of'] or row['name']
        self.train_dir = osp.join(work_root, grid.name, source, f'seed{seed}')
        self.test_dir = osp.join(self.work_dir, 'test')
        self.result_file = grid.result_file(row['name'], seed)

    @property
    def trains(self) -> bool:
        """Whether this cell trains (else it reuses another's checkpoint)."""
        return self.row['checkpoint_of'] is None

    def state(self) -> dict:
        path = osp.join(self.train_dir, STATE_FILE)
        if not osp.isfile(path):
            return dict(segments=[], finished=False)
        with open(path) as f:
            return json.load(f)

    def save_state(self, state: dict) -> None:
        os.makedirs(self.train_dir, exist_ok=True)
        with open(osp.join(self.train_dir, STATE_FILE), 'w') as f:
            json.dump(state, f, indent=1)

    def last_checkpoint(self) -> Optional[str]:
        """The checkpoint mmengine's ``last_checkpoint`` file names."""
        path = osp.join(self.train_dir, 'last_checkpoint')
        if not osp.isfile(path):
            return None
        with open(path) as f:
            checkpoint = f.read().strip()
        if not osp.isabs(checkpoint):
            checkpoint = osp.join(REPO, checkpoint)
        return checkpoint if osp.isfile(checkpoint) else None

    def plan(self, retest: bool = False) -> str:
        """``'done'``, ``'train'``, ``'resume'``, ``'test'`` or, for a
        fusion-only cell whose checkpoint row is not trained yet,
        ``'needs <row>/seed<k>'``."""
        if osp.isfile(self.result_file) and not retest:
            return 'done'
        if self.state()['finished']:
            return 'test'
        if not self.trains:
            return f"needs {self.row['checkpoint_of']}/seed{self.seed}"
        if self.last_checkpoint():
            return 'resume'
        init = self.init_cell()
        if init is not None and not init.state()['finished']:
            return f'needs {init.name}'
        return 'train'

    def init_cell(self) -> Optional['Cell']:
        """The cell whose checkpoint this one's training starts from."""
        source = self.row['init_from']
        if source is None:
            return None
        return Cell(self.grid, self.grid.rows[source], self.seed,
                    self.work_root)

    def train_seconds(self) -> Optional[float]:
        """Wall-clock seconds of the training runs (see the module doc);
        None for a fusion-only cell."""
        if not self.trains:
            return None
        segments = self.state()['segments']
        checkpoints = [
            osp.getmtime(p)
            for p in glob.glob(osp.join(self.train_dir, '*.pth'))
        ]
        total = 0.0
        for k, seg in enumerate(segments):
            if seg['end'] is not None:
                total += seg['end'] - seg['start']
                continue
            # killed: count up to the last checkpoint it wrote
            stop = (
                segments[k + 1]['start'] if k +
                1 < len(segments) else time.time())
            kept = [t for t in checkpoints if seg['start'] <= t <= stop]
            total += max(kept) - seg['start'] if kept else 0.0
        return round(total, 1)

    def train_commits(self) -> List[str]:
        """The commits the training runs of the checkpoint ran at."""
        commits = [seg['commit'] for seg in self.state()['segments']]
        return sorted(set(commits), key=commits.index)

    # ---------------------------------------------------- commands ----
    def config_options(self) -> List[str]:
        return [f'randomness.seed={self.seed}'] + option_args(
            self.row['cfg_options'])

    def train_command(self) -> List[str]:
        cmd = [
            sys.executable, 'tools/train.py', self.row['config'], '--work-dir',
            self.train_dir
        ]
        options = self.config_options() + NO_VALIDATION
        checkpoint = self.last_checkpoint()
        if checkpoint:
            cmd += ['--resume', checkpoint]
        elif self.init_cell() is not None:
            init = self.init_cell().last_checkpoint()
            options.append(f'load_from={init}')
        return cmd + ['--cfg-options'] + options

    def test_command(self, checkpoint: str, metrics_file: str) -> List[str]:
        """``tools/test.py``, or for an oracle row the oracle tool, which
        writes ``{'runs': {oracle: metrics}}``."""
        if self.row['oracle']:
            cmd = [
                'tools/analysis_tools/oracle.py', self.row['config'],
                checkpoint, '--oracles', self.row['oracle'], '--out'
            ]
        else:
            cmd = [
                'tools/test.py', self.row['config'], checkpoint,
                '--metrics-out'
            ]
        return [sys.executable] + cmd + [
            metrics_file, '--work-dir', self.test_dir, '--cfg-options'
        ] + self.config_options()


# ------------------------------------------------------------ running ----
def run_logged(cmd: List[str], log_file: str) -> int:
    """Run ``cmd`` in the repository with this checkout's mmrefine first on
    the path, its output appended to ``log_file``; the return code."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (REPO, env.get('PYTHONPATH')) if p)
    os.makedirs(osp.dirname(log_file), exist_ok=True)
    with open(log_file, 'a') as log:
        log.write(f"\n$ {' '.join(cmd)}\n")
        log.flush()
        return subprocess.call(
            cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)


def train(cell: Cell) -> bool:
    """Train (or resume) ``cell``; whether it finished."""
    state = cell.state()
    segment = dict(
        start=time.time(),
        end=None,
        returncode=None,
        commit=git_commit()['commit'])
    state['segments'].append(segment)
    cell.save_state(state)
    returncode = run_logged(cell.train_command(),
                            osp.join(cell.train_dir, 'train.log'))
    segment.update(end=time.time(), returncode=returncode)
    state['finished'] = returncode == 0 and cell.last_checkpoint() is not None
    cell.save_state(state)
    return state['finished']


def mean_test_step_seconds(test_dir: str, since: float) -> Optional[float]:
    """mmengine's mean time of a test step, from the log its LoggerHook
    dumped for the run that started at ``since``
    (``<test_dir>/<timestamp>/<timestamp>.json``)."""
    logs = [
        p for p in glob.glob(osp.join(test_dir, '*', '*.json'))
        if osp.basename(p) == osp.basename(osp.dirname(p)) +
        '.json' and osp.getmtime(p) >= since
    ]
    if not logs:
        return None
    with open(max(logs, key=osp.getmtime)) as f:
        return json.loads(f.read().strip().splitlines()[-1]).get('time')


def git_commit() -> dict:

    def git(*args):
        return subprocess.run(['git', *args],
                              cwd=REPO,
                              text=True,
                              capture_output=True).stdout.strip()

    # result files are written into the checkout: they make no code dirty
    changed = [
        line for line in git('status', '--porcelain').splitlines()
        if not line[3:].startswith('results/')
    ]
    return dict(commit=git('rev-parse', 'HEAD'), dirty=bool(changed))


def evaluate(cell: Cell) -> dict:
    """Evaluate the cell's final checkpoint; its result record."""
    checkpoint = cell.last_checkpoint()
    metrics_file = osp.join(cell.test_dir, 'metrics.json')
    if osp.isfile(metrics_file):
        os.remove(metrics_file)
    start = time.time()
    returncode = run_logged(
        cell.test_command(checkpoint, metrics_file),
        osp.join(cell.test_dir, 'test.log'))
    seconds = time.time() - start
    if returncode != 0 or not osp.isfile(metrics_file):
        raise RuntimeError(f'{cell.name}: tools/test.py failed ({returncode}),'
                           f" see {osp.join(cell.test_dir, 'test.log')}")
    with open(metrics_file) as f:
        metrics = json.load(f)
    if cell.row['oracle']:
        metrics = metrics['runs'][cell.row['oracle']]
        if metrics is None:
            raise RuntimeError(f"{cell.name}: oracle {cell.row['oracle']} "
                               f"cannot run on this data set, see "
                               f"{osp.join(cell.test_dir, 'test.log')}")
    return dict(
        schema=SCHEMA,
        grid=cell.grid.name,
        row=cell.row['name'],
        config=cell.row['config'],
        cfg_options=cell.row['cfg_options'],
        seed=cell.seed,
        checkpoint_of=cell.row['checkpoint_of'],
        checkpoint=repo_path(checkpoint),
        git=dict(git_commit(), train_commits=cell.train_commits()),
        machine=machine_info(),
        metrics=metrics,
        train_seconds=cell.train_seconds(),
        test_seconds=round(seconds, 1),
        test_step_seconds=mean_test_step_seconds(cell.test_dir, start),
        finished=datetime.datetime.now(
            datetime.timezone.utc).isoformat(timespec='seconds'))


def repo_path(path: str) -> str:
    """``path`` relative to the repository if it lies in it."""
    relative = osp.relpath(path, REPO)
    return path if relative.startswith('..') else relative


def write_result(path: str, result: dict) -> None:
    """Write the result file at once (a killed run leaves none)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path + '.tmp', 'w') as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write('\n')
    os.replace(path + '.tmp', path)


def select_cells(grid: ResultGrid, rows: Optional[List[str]],
                 seeds: Optional[List[int]], work_root: str) -> List[Cell]:
    unknown = sorted(set(rows or []) - set(grid.rows))
    if unknown:
        raise ValueError(f'--rows {unknown}: not rows of {grid.grid_file} '
                         f'({sorted(grid.rows)})')
    return [
        Cell(grid, row, seed, work_root) for row, seed in grid.cells()
        if (not rows or row['name'] in rows) and (not seeds or seed in seeds)
    ]


def machine_conflicts(grid: ResultGrid, cells: List[Cell], retest: bool,
                      kind: str) -> List[str]:
    """One message per cell that would run here and join a table whose
    result files come from another kind of machine than ``kind`` (the
    renderer refuses a table that mixes kinds, so the run would be lost)."""
    messages = []
    for cell in cells:
        if cell.plan(retest) == 'done':
            continue
        for table, kinds in grid.machine_kinds(cell.row['name']).items():
            if kinds - {kind}:
                messages.append(
                    f'[run_grid] {cell.name}: this machine is {kind!r}, but '
                    f'table {table!r} of {grid.grid_file} holds cells of '
                    f'{sorted(kinds)}, and a table comes from one kind of '
                    'machine: run it on one of those, or move '
                    f'{grid.results_dir} aside to start the grid afresh here')
    return messages


def main() -> int:
    args = parse_args()
    grid = ResultGrid(args.grid, REPO)
    cells = select_cells(grid, args.rows, args.seeds,
                         osp.abspath(args.work_root))
    mixed = machine_conflicts(grid, cells, args.retest, machine_info()['kind'])
    if mixed:
        print('\n'.join(mixed))
        return 2
    failed = []
    for cell in cells:
        action = cell.plan(args.retest)
        print(f'[run_grid] {cell.name}: {action}', flush=True)
        if args.dry_run:
            if action in ('train', 'resume'):
                print('  ' + ' '.join(cell.train_command()))
            if action != 'done' and not action.startswith('needs'):
                print('  ' + ' '.join(
                    cell.test_command('<final checkpoint>', '<metrics.json>')))
            continue
        if action.startswith('needs'):  # its checkpoint row failed
            failed.append(cell.name)
            continue
        if action == 'done':
            continue
        if action in ('train', 'resume') and not train(cell):
            print(f'[run_grid] {cell.name}: training failed, see '
                  f"{osp.join(cell.train_dir, 'train.log')}")
            failed.append(cell.name)
            continue
        try:
            write_result(cell.result_file, evaluate(cell))
        except RuntimeError as e:
            print(f'[run_grid] {e}')
            failed.append(cell.name)
            continue
        print(f'[run_grid] {cell.name}: wrote {cell.result_file}', flush=True)
    if failed:
        print(f'[run_grid] not done: {failed}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

"""A grid of (config, seed) cells, its result files and its tables.

A grid file is a Python file (read with mmengine's ``Config``) at
``results/<grid name>.py``; its results live under ``results/<grid name>/``,
one JSON file per cell: ``<row>/seed<k>.json``. It holds::

    rows = [
        # a trained row: train `config` once per seed, then evaluate it
        dict(name='panoptic-fpn',
             config='configs/panoptic_fpn/panoptic-fpn_r18_fpn_shapes.py',
             seeds=[0, 1, 2]),
        # a fusion-only row: evaluate another row's checkpoint (same seed)
        # with its own config and options
        dict(name='panoptic-fpn_oh',
             config='configs/banet/panoptic-fpn_r18_fpn_oh_shapes.py',
             checkpoint_of='panoptic-fpn', seeds=[0, 1, 2],
             cfg_options={'model.test_cfg.panoptic.score_thr': 0.5}),
    ]
    tables = [
        dict(name='shapes-baseline',  # README marker <!-- results:NAME -->
             rows=[('panoptic-fpn', 'PanopticFPN, heuristic fusion'),
                   ('panoptic-fpn_oh', '+ occlusion handling')],
             columns=['PQ', 'PQ_th', 'PQ_st', 'occ_acc',
                      dict(key='occ_pairs', digits=0),
                      dict(key='train_seconds', title='train (min)',
                           scale=1 / 60)]),
    ]

A row's ``name`` defaults to its config's file stem; ``cfg_options`` are
dotted keys as ``--cfg-options`` takes them; ``init_from='<row>'`` starts a
trained row's training from that row's final checkpoint at the same seed
(``load_from``, e.g. SOE trained on a frozen IBPP model);
``oracle='boxes+order'`` evaluates a fusion-only row with
``tools/analysis_tools/oracle.py`` (BANet's Table 4) instead of
``tools/test.py``.

A table of claims lists, instead of ``rows`` and ``columns``, ``claims``:
each compares a row with a baseline row on one metric, seed by seed, and
gets a verdict (:mod:`mmrefine.utils.claim_verdict`)::

    dict(name='claims',
         claims=[dict(paper='REFINE', claim='IBPP adds PQ',
                      paper_value='+2.6 PQ (Table 3)', row='refine_ibpp',
                      baseline='panoptic-fpn', metric='PQ',
                      min_seeds=3,      # default
                      target=None,      # a gain the mean is compared with
                      min_pairs=None)]) # occ_acc: judged pairs a row needs

A table cell is the mean +- the sample standard deviation over the row's
result files, with their number n; a column names a metric
(``'coco_panoptic/PQ'``, or a suffix after the last ``/`` that only one
metric has, ``'PQ'``) or a top-level field of the result files
(``'train_seconds'``, ``'test_seconds'``). A table's cells must come from
one kind of machine (``machine.kind`` of the result files).
"""
import glob
import json
import os.path as osp
import statistics
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from .claim_verdict import (OCC_ACC, gain_verdict, pooled_accuracy,
                            wilson_interval)

MARKER_START = '<!-- results:{} -->'
MARKER_END = '<!-- /results:{} -->'
ROW_KEYS = {
    'name', 'config', 'seeds', 'cfg_options', 'checkpoint_of', 'init_from',
    'oracle'
}
TIME_FIELDS = ('train_seconds', 'test_seconds', 'test_step_seconds')
REQUIRED_CLAIM_KEYS = {
    'paper', 'claim', 'paper_value', 'row', 'baseline', 'metric'
}
CLAIM_KEYS = REQUIRED_CLAIM_KEYS | {'min_seeds', 'target', 'min_pairs'}


class ResultGrid:
    """The rows, cells, result files and tables of one grid file.

    Args:
        grid_file (str): ``results/<name>.py``, see the module docstring.
        repo (str): the repository root, against which config paths are
            checked. Defaults to the parent of ``grid_file``'s directory.
    """

    def __init__(self, grid_file: str, repo: Optional[str] = None) -> None:
        self.grid_file = grid_file
        self.name = osp.splitext(osp.basename(grid_file))[0]
        self.results_dir = osp.join(osp.dirname(grid_file), self.name)
        self.repo = repo or osp.dirname(osp.dirname(osp.abspath(grid_file)))
        cfg = Config.fromfile(grid_file)
        self.rows = self._check_rows(cfg.get('rows', None))
        self.tables = self._check_tables(cfg.get('tables', []))

    def _fail(self, what: str) -> None:
        raise ValueError(f'grid {self.grid_file}: {what}')

    def _check_rows(self, rows) -> Dict[str, dict]:
        if not rows:
            self._fail('expected a non-empty list `rows`')
        checked = {}
        for k, row in enumerate(rows):
            unknown = set(row) - ROW_KEYS
            if unknown:
                self._fail(f'row {k} has unknown keys {sorted(unknown)}, '
                           f'expected some of {sorted(ROW_KEYS)}')
            if 'config' not in row:
                self._fail(f'row {k} has no config')
            if not osp.isfile(osp.join(self.repo, row['config'])):
                self._fail(f"row {k}: config {row['config']!r} is not a file "
                           f'under {self.repo}')
            name = row.get('name',
                           osp.splitext(osp.basename(row['config']))[0])
            seeds = list(row.get('seeds', [0]))
            if not seeds or not all(
                    isinstance(s, int) and s >= 0 for s in seeds):
                self._fail(f'row {name!r}: seeds={seeds!r}, expected a list '
                           'of integers >= 0')
            if name in checked:
                self._fail(f'row name {name!r} is used twice')
            checked[name] = dict(
                name=name,
                config=row['config'],
                seeds=seeds,
                cfg_options=dict(row.get('cfg_options', {})),
                checkpoint_of=row.get('checkpoint_of', None),
                init_from=row.get('init_from', None),
                oracle=row.get('oracle', None))
        trained = [n for n, r in checked.items() if not r['checkpoint_of']]
        for name, row in checked.items():
            if row['checkpoint_of'] and row['init_from']:
                self._fail(f'row {name!r} trains nothing (checkpoint_of), so '
                           'it cannot have init_from')
            if row['oracle'] and not row['checkpoint_of']:
                self._fail(f'row {name!r}: an oracle row evaluates another '
                           "row's checkpoint: it needs checkpoint_of")
            for key in ('checkpoint_of', 'init_from'):
                source = row[key]
                if source is None:
                    continue
                if source not in trained or source == name:
                    self._fail(f'row {name!r}: {key}={source!r} is not '
                               f'another trained row of this grid {trained}')
                missing = set(row['seeds']) - set(checked[source]['seeds'])
                if missing:
                    self._fail(f'row {name!r}: seeds {sorted(missing)} are '
                               f'not seeds of its {key} row {source!r}')
        for name in checked:
            self._depth(checked, name, ())
        return checked

    def _depth(self, rows: Dict[str, dict], name: str,
               chain: Tuple[str, ...]) -> int:
        """How many rows must be trained before row ``name``."""
        if name in chain:
            self._fail(f'rows depend on each other in a cycle: '
                       f"{' -> '.join(chain + (name, ))}")
        source = rows[name]['checkpoint_of'] or rows[name]['init_from']
        return 0 if source is None else 1 + self._depth(
            rows, source, chain + (name, ))

    def _check_tables(self, tables) -> Dict[str, dict]:
        checked = {}
        for table in tables:
            name = table.get('name')
            if not name or name in checked:
                self._fail(f'table name {name!r} is missing or used twice')
            if 'claims' in table:
                checked[name] = dict(
                    name=name, claims=self._check_claims(name, table))
                continue
            rows = [tuple(r) for r in table.get('rows', [])]
            unknown = [r[0] for r in rows if r[0] not in self.rows]
            if not rows or unknown or any(len(r) != 2 for r in rows):
                self._fail(f'table {name!r}: rows must be (row name, label) '
                           f'pairs of rows of this grid; unknown {unknown}')
            columns = [
                c if isinstance(c, dict) else dict(key=c)
                for c in table.get('columns', [])
            ]
            if not columns or not all('key' in c for c in columns):
                self._fail(f'table {name!r}: expected columns, each a key '
                           'or dict(key=..., title=..., digits=..., '
                           'scale=...)')
            checked[name] = dict(name=name, rows=rows, columns=columns)
        return checked

    def _check_claims(self, name: str, table: dict) -> List[dict]:
        claims = []
        for k, claim in enumerate(table['claims']):
            unknown = set(claim) - CLAIM_KEYS
            missing = REQUIRED_CLAIM_KEYS - set(claim)
            if unknown or missing:
                self._fail(f'table {name!r}, claim {k}: unknown keys '
                           f'{sorted(unknown)}, missing {sorted(missing)}')
            for key in ('row', 'baseline'):
                if claim[key] not in self.rows:
                    self._fail(f'table {name!r}, claim {k}: {key} '
                               f'{claim[key]!r} is not a row of this grid')
            claims.append(
                dict(dict(min_seeds=3, target=None, min_pairs=None), **claim))
        return claims

    # ------------------------------------------------------- cells ----
    def cells(self) -> List[Tuple[dict, int]]:
        """(row, seed) of every cell, a row after the rows whose
        checkpoints it uses (``checkpoint_of``, ``init_from``)."""
        ordered = sorted(
            self.rows.values(),
            key=lambda r: self._depth(self.rows, r['name'], ()))
        return [(row, seed) for row in ordered for seed in row['seeds']]

    def result_file(self, row_name: str, seed: int) -> str:
        return osp.join(self.results_dir, row_name, f'seed{seed}.json')

    def load_results(self, row_name: str) -> List[dict]:
        """The result files of a row, by seed."""
        files = glob.glob(osp.join(self.results_dir, row_name, 'seed*.json'))
        results = []
        for path in sorted(files):
            with open(path) as f:
                results.append(json.load(f))
        return results

    def machine_kinds(self, row_name: str) -> Dict[str, set]:
        """The machine kinds of the result files already in each table that
        shows row ``row_name``.

        A table's cells come from one kind of machine; a runner checks this
        before a cell of the row runs, rather than after, when the table can
        no longer be rendered.

        Returns:
            dict[str, set[str]]: table name -> the ``machine.kind`` of every
            result file of every row of that table.
        """
        kinds = {}
        for name, table in self.tables.items():
            if 'claims' in table:
                rows = {
                    r
                    for claim in table['claims']
                    for r in (claim['row'], claim['baseline'])
                }
            else:
                rows = {r for r, _ in table['rows']}
            if row_name in rows:
                kinds[name] = {
                    result['machine']['kind']
                    for row in rows
                    for result in self.load_results(row)
                }
        return kinds

    # ------------------------------------------------------ tables ----
    def render_table(self, name: str) -> str:
        """The markdown of table ``name`` (without the markers)."""
        table = self.tables[name]
        if 'claims' in table:
            return self._render_claims(table)
        lines = [
            '| | ' +
            ' | '.join(c.get('title', c['key'])
                       for c in table['columns']) + ' | n |',
            '| :-- |' + ' --: |' * (len(table['columns']) + 1)
        ]
        machines = set()
        for row_name, label in table['rows']:
            results = self.load_results(row_name)
            machines.update(r['machine']['kind'] for r in results)
            cells = [
                self._column(results, c, row_name) for c in table['columns']
            ]
            lines.append(f'| {label} | ' + ' | '.join(cells) +
                         f' | {len(results)} |')
        lines += self._footer(
            name, machines, 'Mean ± standard deviation over the seeds (n) of')
        return '\n'.join(lines)

    def _render_claims(self, table: dict) -> str:
        lines = [
            "| paper | claim | paper's number | ours: row - baseline, mean ± "
            'sd (n seeds) | verdict |', '| --- | --- | --- | --- | --- |'
        ]
        machines = set()
        for claim in table['claims']:
            row = {r['seed']: r for r in self.load_results(claim['row'])}
            base = {r['seed']: r for r in self.load_results(claim['baseline'])}
            machines.update(r['machine']['kind']
                            for r in list(row.values()) + list(base.values()))
            seeds = sorted(set(row) & set(base))
            diffs = [
                self._value(row[s], claim['metric'], claim['row']) -
                self._value(base[s], claim['metric'], claim['baseline'])
                for s in seeds
            ]
            ours = self._format_difference(diffs)
            verdict = gain_verdict(diffs, claim['min_seeds'], claim['target'])
            if claim['metric'] == OCC_ACC and seeds:
                pooled = [
                    pooled_accuracy([results[s] for s in seeds])
                    for results in (row, base)
                ]
                ours += '; ' + ' vs '.join(
                    self._format_accuracy(*p) for p in pooled)
                fewest = min(judged for _, judged in pooled)
                if claim['min_pairs'] and fewest < claim['min_pairs'] and \
                        not verdict.startswith('not judged'):
                    verdict = (f'not judged ({fewest} judged pairs, needs '
                               f"{claim['min_pairs']})")
            lines.append(f"| {claim['paper']} | {claim['claim']} | "
                         f"{claim['paper_value']} | {ours} | {verdict} |")
        lines += self._footer(table['name'], machines,
                              'Differences at each seed both rows have, from')
        return '\n'.join(lines)

    def _footer(self, name: str, machines: set, lead: str) -> List[str]:
        """The lines under table ``name``: where its cells come from and
        their one kind of machine."""
        if len(machines) > 1:
            self._fail(f'table {name!r} mixes cells of machines '
                       f'{sorted(machines)}; a table comes from one kind')
        machine = next(iter(machines), 'none yet')
        return [
            '', f'{lead} `results/{self.name}/`; machine: {machine}. '
            'Rendered by `tools/analysis_tools/render_results.py`.'
        ]

    @staticmethod
    def _format_difference(diffs: List[float]) -> str:
        if not diffs:
            return '-'
        mean = f'{statistics.fmean(diffs):+.1f}'
        if len(diffs) == 1:
            return f'{mean} (1)'
        return f'{mean} ± {statistics.stdev(diffs):.1f} ({len(diffs)})'

    @staticmethod
    def _format_accuracy(correct: int, judged: int) -> str:
        if not judged:
            return 'no judged pairs'
        low, high = wilson_interval(correct, judged)
        return (f'{100 * correct / judged:.1f} % [{low:.1f}, {high:.1f}] '
                f'of {judged}')

    def _column(self, results: List[dict], column: dict, row_name: str) -> str:
        """One table cell: the column over a row's results; ``'-'`` where
        they have no value (a fusion-only row's training time)."""
        values = [self._value(r, column['key'], row_name) for r in results]
        if None in values and any(v is not None for v in values):
            self._fail(f'row {row_name!r}: column {column["key"]!r} has a '
                       'value in some result files only')
        values = [v * column.get('scale', 1) for v in values if v is not None]
        return format_mean_std(values, column.get('digits', 1))

    def _value(self, result: dict, key: str, row_name: str) -> Optional[float]:
        if key in TIME_FIELDS:
            value = result.get(key)
            return None if value is None else float(value)
        metrics = result['metrics']
        keys = [k for k in metrics if k == key or k.split('/')[-1] == key]
        if len(keys) != 1:
            self._fail(f'row {row_name!r}, seed {result["seed"]}: column '
                       f'{key!r} matches {len(keys)} of the metrics '
                       f'{sorted(metrics)}, expected exactly one')
        return float(metrics[keys[0]])


def format_mean_std(values: Sequence[float], digits: int = 1) -> str:
    """``'m ± s'`` (sample standard deviation) of ``values``; one value
    alone, ``'-'`` for none."""
    if not values:
        return '-'
    mean = f'{statistics.fmean(values):.{digits}f}'
    if len(values) == 1:
        return mean
    return f'{mean} ± {statistics.stdev(values):.{digits}f}'


def load_grids(results_root: str,
               repo: Optional[str] = None) -> List[ResultGrid]:
    """Every grid file ``results_root/*.py``."""
    return [
        ResultGrid(path, repo)
        for path in sorted(glob.glob(osp.join(results_root, '*.py')))
    ]

"""Write the results tables of the READMEs from the result files.

Every ``<!-- results:NAME -->`` ... ``<!-- /results:NAME -->`` block of
``README.md`` and ``configs/*/README.md`` is replaced by table NAME of a grid
file ``results/*.py`` (:class:`mmrefine.utils.ResultGrid`), rendered from
that grid's result files. No results table is typed by hand.

Example::

    python tools/analysis_tools/render_results.py           # write
    python tools/analysis_tools/render_results.py --check   # CI: exit 1 if
                                                            # a table differs
"""
import argparse
import difflib
import glob
import os.path as osp
import re
import sys
from typing import Dict, List, Tuple

from mmrefine.utils import ResultGrid, load_grids
from mmrefine.utils.result_grid import MARKER_END, MARKER_START

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BLOCK = re.compile(
    re.escape(MARKER_START).replace(r'\{\}', r'(?P<name>[\w.-]+)') +
    r'\n(?P<body>.*?)' + re.escape(MARKER_END).replace(r'\{\}', r'(?P=name)'),
    re.S)
START = re.compile(
    re.escape(MARKER_START).replace(r'\{\}', r'(?P<name>[\w.-]+)'))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--check',
        action='store_true',
        help='write nothing; exit 1 if a README table differs')
    parser.add_argument(
        '--repo', default=REPO, help='repository root (default: this one)')
    return parser.parse_args()


def readme_files(repo: str) -> List[str]:
    return [osp.join(repo, 'README.md')] + sorted(
        glob.glob(osp.join(repo, 'configs', '*', 'README.md')))


def table_index(grids: List[ResultGrid]) -> Dict[str, ResultGrid]:
    """Table name -> its grid; a name defined twice is an error."""
    index = {}
    for grid in grids:
        for name in grid.tables:
            if name in index:
                raise ValueError(f'table {name!r} is defined in both '
                                 f'{index[name].grid_file} and '
                                 f'{grid.grid_file}')
            index[name] = grid
    return index


def render_readme(text: str, path: str, tables: Dict[str, ResultGrid]) -> str:
    """``text`` with every results block re-rendered."""
    starts = [m.group('name') for m in START.finditer(text)]
    blocks = [m.group('name') for m in BLOCK.finditer(text)]
    if starts != blocks:
        unclosed = [n for n in starts if n not in blocks]
        raise ValueError(f'{path}: results block(s) {unclosed} have no '
                         f'closing marker {MARKER_END.format("NAME")}')

    def render(match):
        name = match.group('name')
        if name not in tables:
            raise ValueError(f'{path}: table {name!r} is defined in no grid '
                             f'file (results/*.py defines {sorted(tables)})')
        return (MARKER_START.format(name) + '\n' +
                tables[name].render_table(name) + '\n' +
                MARKER_END.format(name))

    return BLOCK.sub(render, text)


def render_all(repo: str) -> List[Tuple[str, str, str]]:
    """(path, current text, rendered text) of every README."""
    tables = table_index(load_grids(osp.join(repo, 'results'), repo))
    out = []
    for path in readme_files(repo):
        if osp.isfile(path):
            with open(path, encoding='utf-8') as f:
                text = f.read()
            out.append((path, text, render_readme(text, path, tables)))
    return out


def main() -> int:
    args = parse_args()
    differs = []
    for path, text, rendered in render_all(args.repo):
        if text == rendered:
            continue
        differs.append(path)
        if args.check:
            sys.stdout.writelines(
                difflib.unified_diff(
                    text.splitlines(True), rendered.splitlines(True), path,
                    f'{path} (rendered)'))
        else:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(rendered)
            print(f'wrote {path}')
    if args.check and differs:
        print(f'{len(differs)} README(s) differ from the result files: run '
              'python tools/analysis_tools/render_results.py')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""tools/analysis_tools/render_results.py: the repository's READMEs match
their result files; check mode fails on a table typed by hand; write mode
fixes it."""
import importlib.util
import json
import os
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'analysis_tools', 'render_results.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('render_results', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(monkeypatch, *args):
    monkeypatch.setattr(sys, 'argv', [SCRIPT, *args])
    return load_tool().main()


def test_repository_readmes_match_the_result_files():
    """Every results block of README.md and configs/*/README.md is what the
    renderer writes from results/."""
    for path, text, rendered in load_tool().render_all(REPO):
        assert text == rendered, (
            f'{path} differs from its result files: run '
            'python tools/analysis_tools/render_results.py')


def write(path, text):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def make_repo(root):
    """A repository with a config, a grid of one row and table, two result
    files."""
    write(osp.join(root, 'configs', 'a.py'), '')
    write(
        osp.join(root, 'results', 'g.py'),
        "rows = [dict(name='base', config='configs/a.py', seeds=[0, 1])]\n"
        "tables = [dict(name='main', rows=[('base', 'Baseline')], "
        "columns=['PQ'])]\n")
    for seed, pq in ((0, 40.0), (1, 44.0)):
        write(
            osp.join(root, 'results', 'g', 'base', f'seed{seed}.json'),
            json.dumps(
                dict(
                    seed=seed,
                    machine=dict(kind='CPU'),
                    metrics={'coco_panoptic/PQ': pq})))


TABLE = """<!-- results:main -->
| | PQ | n |
| :-- | --: | --: |
| Baseline | 42.0 ± 2.8 | 2 |

Mean ± standard deviation over the seeds (n) of `results/g/`; \
machine: CPU. Rendered by \
`tools/analysis_tools/render_results.py`.
<!-- /results:main -->"""

README = """# Title

Text before.

<!-- results:main -->
{}
<!-- /results:main -->

Text after.
"""


def test_check_fails_on_a_wrong_table_and_write_fixes_it(
        tmp_path, monkeypatch, capsys):
    root = str(tmp_path)
    make_repo(root)
    readme = osp.join(root, 'configs', 'x', 'README.md')
    write(readme, README.format('| typed | by | hand |'))
    assert run_tool(monkeypatch, '--check', '--repo', root) == 1
    assert '-| typed | by | hand |' in capsys.readouterr().out
    assert run_tool(monkeypatch, '--repo', root) == 0
    with open(readme) as f:
        assert f.read() == README.replace(
            '<!-- results:main -->\n{}\n<!-- /results:main -->', TABLE)
    assert run_tool(monkeypatch, '--check', '--repo', root) == 0


@pytest.mark.parametrize('body, message', [
    ('<!-- results:main -->\nno end\n', r"\['main'\] have no closing marker"),
    ('<!-- results:other -->\n<!-- /results:other -->\n',
     "table 'other' is defined in no grid"),
])
def test_bad_markers(tmp_path, monkeypatch, body, message):
    root = str(tmp_path)
    make_repo(root)
    write(osp.join(root, 'README.md'), body)
    with pytest.raises(ValueError, match=message):
        run_tool(monkeypatch, '--check', '--repo', root)

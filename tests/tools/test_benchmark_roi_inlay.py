"""tools/analysis_tools/benchmark_roi_inlay.py on the CPU at toy sizes."""
import importlib.util
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'analysis_tools', 'benchmark_roi_inlay.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('benchmark_roi_inlay',
                                                  SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_float64_check_compares_with_the_reference():
    import torch
    tool = load_tool()
    args = tool.parse_args(['--roi-size', '7'])
    errors = tool.max_errors('cpu', '6/12/30', args,
                             torch.Generator().manual_seed(0))
    assert errors[0] == 0  # the CPU extension against itself
    assert errors[1] < tool.CHECK_TOLERANCE  # against the reference


def test_quick_cpu_run(capsys):
    load_tool().main([
        '--devices', 'cpu', '--quick', '--settings', '5/8/24', '--channels',
        '4', '--roi-size', '7'
    ])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith('| 5/8/24 ')]
    # the times (printed twice: progress and table) and the ratios
    assert [row.count('|') for row in rows] == [12, 12, 11]


@pytest.mark.parametrize('setting', ['5/8', '5/a/8', '0/8/24'])
def test_bad_setting_is_named(setting, capsys):
    with pytest.raises(SystemExit):
        load_tool().parse_args(['--settings', setting])
    assert f'--settings {setting!r}' in capsys.readouterr().err

"""tools/analysis_tools/gpu_check.sh on the CPU at toy sizes (--device cpu
--quick, the R-18 shapes configs in place of the COCO R-50 ones to keep it
short): every step runs and writes its table."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = [
    'configs/panoptic_fpn/panoptic-fpn_r18_fpn_shapes.py',
    'configs/refine/refine_r18_fpn_shapes.py',
    'configs/banet/banet_r18_fpn_shapes.py',
]


def test_cpu_quick_run(run_cmd, tmp_path):
    out = tmp_path / 'out'
    run_cmd([
        'bash', 'tools/analysis_tools/gpu_check.sh',
        str(out), '--device', 'cpu', '--quick', '--baseline', CONFIGS[0],
        '--refine', CONFIGS[1], '--banet', CONFIGS[2]
    ],
            env=dict(PYTHON=sys.executable, WORK=str(tmp_path / 'work')))
    summary = (out / 'summary.md').read_text().splitlines()
    assert [row.split('|')[1].strip() for row in summary[2:]] == [
        'CUDA test set (pytest -m cuda)', 'RoIInlay benchmark',
        'COCO-scale throughput'
    ]
    assert all(row.split('|')[2].strip() == '0' for row in summary[2:])
    tests = (out / 'cuda_tests.log').read_text()
    assert 'skipped' in tests and 'failed' not in tests
    roi_inlay = (out / 'roi_inlay.md').read_text()
    assert '| 20/16/40 |' in roi_inlay and 'holes RoIInlay' in roi_inlay
    speed = json.loads((out / 'speed.json').read_text())
    assert [m['config'] for m in speed['models']] == CONFIGS
    for model in speed['models']:
        assert model['infer_img_per_s'] > 0 and model['train_img_per_s'] > 0
    assert 'train img/s' in (out / 'speed.txt').read_text()


def test_bad_arguments_are_named(tmp_path):
    for args, message in ((['--device', 'tpu'],
                           '--device tpu'), (['--refine',
                                              'missing.py'], 'missing.py'),
                          (['--steps', 'tests,bench'], 'bench is not one of'),
                          (['--fast'], 'unknown argument --fast')):
        proc = subprocess.run([
            'bash', 'tools/analysis_tools/gpu_check.sh',
            str(tmp_path), *args
        ],
                              cwd=REPO,
                              capture_output=True,
                              text=True,
                              env=dict(os.environ))
        assert proc.returncode == 2 and message in proc.stderr

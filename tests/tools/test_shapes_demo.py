"""The main job (make demo) on the tiny data set: train, PQ table, picture."""
import json
import os.path as osp
import sys

import mmcv
import pytest

pytestmark = pytest.mark.slow


def test_shapes_demo(tiny_config, run_cmd, tmp_path):
    work_dir = str(tmp_path / 'demo')
    out = run_cmd([sys.executable, 'tools/shapes_demo.py', tiny_config(2), '--work-dir', work_dir])
    assert 'PQ on the shapes val split' in out
    for row in ('all', 'th', 'st'):
        assert any(line.split()[:1] == [row] and len(line.split()) == 4
                   for line in out.splitlines()), out[-2000:]
    with open(osp.join(work_dir, 'demo_metrics.json')) as f:
        assert 0.0 <= json.load(f)['coco_panoptic/PQ'] <= 100.0
    picture = mmcv.imread(osp.join(work_dir, 'demo.png'))
    # image | ground truth | prediction, each 96 x 96
    assert picture.shape == (96, 3 * 96, 3)

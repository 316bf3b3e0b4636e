"""The main job (make demo) on the tiny data set: train, PQ table, picture."""
import json
import os.path as osp
import sys

import mmcv
import pytest

pytestmark = pytest.mark.slow
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the README's main job: full REFINE
MAIN_CONFIG = osp.join(REPO, 'configs', 'refine', 'refine_r18_fpn_shapes.py')


def test_shapes_demo(tiny_config, run_cmd, tmp_path):
    work_dir = str(tmp_path / 'demo')
    out = run_cmd([
        sys.executable, 'tools/shapes_demo.py',
        tiny_config(2, base=MAIN_CONFIG), '--work-dir', work_dir
    ])
    assert 'PQ on the shapes val split' in out
    for row in ('all', 'th', 'st'):
        assert any(line.split()[:1] == [row] and len(line.split()) == 4
                   for line in out.splitlines()), out[-2000:]
    with open(osp.join(work_dir, 'demo_metrics.json')) as f:
        metrics = json.load(f)
    assert 0.0 <= metrics['coco_panoptic/PQ'] <= 100.0
    assert 0.0 <= metrics['occlusion/occ_acc'] <= 100.0
    picture = mmcv.imread(osp.join(work_dir, 'demo.png'))
    # image | ground truth | prediction, each 96 x 96
    assert picture.shape == (96, 3 * 96, 3)

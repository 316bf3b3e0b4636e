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


def test_shapes_demo(tiny_config, tiny_shapes, run_cmd, tmp_path):
    work_dir = str(tmp_path / 'demo')
    out = run_cmd([
        sys.executable, 'tools/shapes_demo.py',
        tiny_config(2, base=MAIN_CONFIG), '--work-dir', work_dir
    ])
    assert 'PQ on the shapes val split' in out
    with open(osp.join(work_dir, 'demo_metrics.json')) as f:
        metrics = json.load(f)
    # the printed table is the metrics file's
    rows = {
        line.split()[0]: line.split()[1:]
        for line in out.splitlines()
        if line.split()[:1] in (['all'], ['th'], ['st'])
    }
    for row, split in (('all', ''), ('th', '_th'), ('st', '_st')):
        assert rows[row] == [
            f'{metrics[f"coco_panoptic/{k}{split}"]:.1f}'
            for k in ('PQ', 'SQ', 'RQ')
        ], out[-2000:]
    # the occlusion metric read the val split's pairs
    with open(osp.join(tiny_shapes, 'annotations',
                       'panoptic_val2017.json')) as f:
        annotated = sum(
            len(a['occlusions']) for a in json.load(f)['annotations'])
    assert 0 < metrics['occlusion/occ_pairs_total'] <= annotated
    assert metrics['occlusion/occ_pairs'] <= \
        metrics['occlusion/occ_pairs_total']
    picture = mmcv.imread(osp.join(work_dir, 'demo.png'))
    # image | ground truth | prediction, each 96 x 96
    assert picture.shape == (96, 3 * 96, 3)

"""tools/analysis_tools/smoke_coco.py on a representative pair of COCO
configs: one training iteration and one prediction each, on the generated
COCO-shaped set at 1333 x 800. ``make smoke-coco`` runs every COCO config
(too slow for CI: the ResNeXt-101 ones take minutes each on a CPU)."""
import json
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'analysis_tools', 'smoke_coco.py')
# REFINE with every module on GN-all (Detectron's input convention), and
# BANet with every module and a deformable semantic head
CONFIGS = ('configs/refine/refine_r50_fpn_gn-all_2x_coco.py',
           'configs/banet/banet_r50_fpn_dconv-sem_1x_coco.py')


@pytest.mark.slow
def test_smoke_coco(tmp_path, run_cmd):
    run_cmd([sys.executable, SCRIPT, *CONFIGS, '--work-dir',
             str(tmp_path)],
            timeout=1800)
    with open(tmp_path / 'smoke_coco.json') as f:
        results = json.load(f)
    assert list(results) == [osp.splitext(osp.basename(c))[0] for c in CONFIGS]
    annotations = tmp_path / 'data' / 'annotations'
    with open(annotations / 'panoptic_val2017.json') as f:
        categories = json.load(f)['categories']
    assert len(categories) == 133

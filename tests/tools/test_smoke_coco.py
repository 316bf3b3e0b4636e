"""tools/analysis_tools/smoke_coco.py on three COCO configs: one training
iteration and one prediction each, on the generated COCO-shaped set at
1333 x 800. ``make smoke-coco`` runs every COCO config (49 CPU minutes on a
2-core machine: results/coco_smoke/smoke_coco.json); CI runs the heaviest of
them and the full model of each paper."""
import json
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'analysis_tools', 'smoke_coco.py')
CONFIGS = (
    # the heaviest (386 CPU seconds for its training iteration): ResNeXt-101
    # 64x4d with deformable c3-c5, GN-all, IBPP's three mask heads
    'configs/refine/'
    'refine_x101-64x4d-dconv-c3-c5_fpn-gn_head-gn_ibpp_2x_coco.py',
    # full REFINE (SOE + UE over 133 classes) on Detectron's input convention
    'configs/refine/refine_r50_fpn_gn-all_2x_coco.py',
    # full BANet (S2I, I2S with RoIInlay, occlusion handling)
    'configs/banet/banet_r50_fpn_1x_coco.py')


@pytest.mark.slow
def test_smoke_coco(tmp_path, run_cmd):
    cmd = [sys.executable, SCRIPT, *CONFIGS, '--work-dir', str(tmp_path)]
    run_cmd(cmd, timeout=1800)
    with open(tmp_path / 'smoke_coco.json') as f:
        results = json.load(f)
    names = [osp.splitext(osp.basename(c))[0] for c in CONFIGS]
    assert list(results) == names
    for r in results.values():
        assert r['train_cpu_s'] > 0 and r['test_cpu_s'] > 0, r
    # a second run resumes: nothing measured again, the table still printed
    out = run_cmd(cmd, timeout=600)
    assert out.count('skipped') == len(CONFIGS), out[-2000:]
    assert all(f'| {name} |' in out for name in names), out[-2000:]
    with open(tmp_path / 'smoke_coco.json') as f:
        assert json.load(f) == results
    annotations = tmp_path / 'data' / 'annotations'
    with open(annotations / 'panoptic_val2017.json') as f:
        categories = json.load(f)['categories']
    assert len(categories) == 133

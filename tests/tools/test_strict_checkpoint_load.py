"""tools/test.py and load_from refuse a checkpoint of another model, listing
why, unless --partial-load accepts it (before: exit 0 and PQ 0.0)."""
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from conftest import REPO
from mmengine.config import Config
from mmengine.registry import MODELS

pytestmark = pytest.mark.slow
PYTHON = sys.executable
REFINE_CONFIG = osp.join(REPO, 'configs', 'refine', 'refine_r18_fpn_shapes.py')


@pytest.fixture(scope='module')
def banet_checkpoint(tmp_path_factory):
    """A real (untrained) BANet checkpoint, as mmengine saves one."""
    import mmrefine  # noqa: F401
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'banet', 'banet_r18_fpn_shapes.py'))
    model = MODELS.build(cfg.model)
    path = str(tmp_path_factory.mktemp('ckpt') / 'banet.pth')
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, path)
    return path


def run(cmd):
    return subprocess.run(
        cmd,
        cwd=REPO,
        capture_output=True,
        text=True,
        env={
            **__import__('os').environ, 'OMP_NUM_THREADS': '1'
        })


def test_test_py_refuses_another_models_checkpoint(tiny_config,
                                                   banet_checkpoint, tmp_path):
    config = tiny_config(2, base=REFINE_CONFIG)
    proc = run([
        PYTHON, 'tools/test.py', config, banet_checkpoint, '--work-dir',
        str(tmp_path)
    ])
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    match = re.search(
        r'the checkpoint does not fit the model: '
        r'(\d+) missing keys \[(.*?)\]; '
        r'(\d+) unexpected keys \[(.*?)\]; (\d+) shape mismatches', out)
    assert match, out[-3000:]
    assert int(match.group(1)) > 0 and int(match.group(3)) > 0
    assert 'pass --partial-load to accept a partial load' in out
    assert 'coco_panoptic/PQ' not in out


def test_partial_load_is_accepted_when_asked(tiny_config, banet_checkpoint,
                                             tmp_path):
    config = tiny_config(2, base=REFINE_CONFIG)
    proc = run([
        PYTHON, 'tools/test.py', config, banet_checkpoint, '--work-dir',
        str(tmp_path), '--partial-load'
    ])
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert ('partial load (--partial-load): ' in out
            and 'coco_panoptic/PQ' in out)


def test_load_from_refused_in_training(tiny_config, banet_checkpoint,
                                       tmp_path):
    config = tiny_config(2, base=REFINE_CONFIG)
    proc = run([
        PYTHON, 'tools/train.py', config, '--work-dir',
        str(tmp_path), '--cfg-options', f'load_from={banet_checkpoint}'
    ])
    assert proc.returncode != 0
    assert 'the checkpoint does not fit the model' in proc.stdout + proc.stderr

"""tools/dist_train.sh with 2 CPU processes (gloo), real torch.distributed."""
import os.path as osp
import random

import pytest

pytestmark = pytest.mark.slow


def test_dist_train_two_cpu_processes(tiny_config, run_cmd, tmp_path):
    work_dir = str(tmp_path / 'work')
    out = run_cmd(['bash', 'tools/dist_train.sh', tiny_config(2), '2', '--work-dir', work_dir],
                  env={'PORT': str(random.randint(20000, 40000))})
    assert 'Distributed launcher: pytorch' in out, out[-3000:]
    assert 'Distributed training: True' in out
    assert 'GPU number: 2' in out  # mmengine's name for the world size
    assert osp.exists(osp.join(work_dir, 'iter_2.pth'))
    assert 'coco_panoptic/PQ' in out

"""kill -9 in the middle of a checkpoint save loses at most one interval, and
the run resumed from the last complete checkpoint ends with exactly the
weights of an uninterrupted run (CPU, one process)."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import REPO

import mmrefine  # noqa: F401 (checkpoints load under weights_only)

pytestmark = pytest.mark.slow
PYTHON = sys.executable


def train_cmd(config, work_dir, *extra):
    return [
        PYTHON, 'tools/train.py', config, '--work-dir', work_dir,
        '--cfg-options', 'default_hooks.checkpoint.interval=1', *extra
    ]


def kill_when(cmd, condition, log, timeout=600):
    """Start ``cmd``; ``kill -9`` it as soon as ``condition()`` returns a
    value, which is returned."""
    with open(log, 'w') as out:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, OMP_NUM_THREADS='1'))
        deadline = time.time() + timeout
        try:
            while proc.poll() is None and time.time() < deadline:
                found = condition()
                if found:
                    os.kill(proc.pid, signal.SIGKILL)
                    return found
                time.sleep(0.001)
        finally:
            proc.kill()
            proc.wait()
    with open(log) as f:
        pytest.fail(
            f'the condition never held; the run ended:\n{f.read()[-3000:]}')


def weights(path):
    return torch.load(path, map_location='cpu')['state_dict']


def test_killed_mid_save_then_resumed_equals_uninterrupted(
        tiny_config, run_cmd, tmp_path):
    config = tiny_config(6)
    killed = str(tmp_path / 'killed')
    tmp_ckpt = osp.join(killed, 'iter_3.pth.tmp')

    def writing_iter_3():
        return osp.exists(tmp_ckpt) and os.path.getsize(tmp_ckpt)

    size_at_kill = kill_when(
        train_cmd(config, killed), writing_iter_3,
        str(tmp_path / 'killed.log'))
    complete = osp.getsize(osp.join(killed, 'iter_2.pth'))
    assert size_at_kill < complete, 'killed while iter_3 was being written'
    # the previous checkpoint is intact and named; the partial one is not
    with open(osp.join(killed, 'last_checkpoint')) as f:
        assert f.read() == osp.join(killed, 'iter_2.pth')
    assert weights(osp.join(killed, 'iter_2.pth'))
    assert not osp.exists(osp.join(killed, 'iter_3.pth'))
    assert not osp.exists(osp.join(
        killed, 'iter_1.pth')), 'max_keep_ckpts=1 still applies'

    out = run_cmd(train_cmd(config, killed, '--resume'))
    assert 'resumed epoch: 0, iter: 2' in out, out[-3000:]

    whole = str(tmp_path / 'whole')
    run_cmd(train_cmd(config, whole))
    resumed, uninterrupted = (
        weights(osp.join(d, 'iter_6.pth')) for d in (killed, whole))
    assert resumed.keys() == uninterrupted.keys()
    diff = max(
        (resumed[k].double() - uninterrupted[k].double()).abs().max().item()
        for k in resumed if resumed[k].numel())
    assert diff == 0.0

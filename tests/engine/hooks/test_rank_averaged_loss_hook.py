"""The logged loss of a distributed run is the mean over the ranks (two
real gloo processes)."""
import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mmrefine.engine import RankAveragedLossHook


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def worker(rank, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    try:
        outputs = {
            'loss': torch.tensor(1.0 + rank),
            'loss_cls': torch.tensor(4.0 * rank)
        }
        RankAveragedLossHook().after_train_iter(None, 0, outputs=outputs)
        with open(os.path.join(out_dir, str(rank)), 'w') as f:
            f.write(f"{outputs['loss'].item()} {outputs['loss_cls'].item()}")
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_ranks_log_the_mean(tmp_path):
    mp.spawn(worker, args=(free_port(), str(tmp_path)), nprocs=2)
    for rank in (0, 1):
        assert (tmp_path / str(rank)).read_text() == '1.5 2.0'


def test_one_process_unchanged():
    outputs = {'loss': torch.tensor(3.0)}
    RankAveragedLossHook().after_train_iter(None, 0, outputs=outputs)
    assert outputs['loss'].item() == 3.0

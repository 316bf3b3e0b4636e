"""mmengine checkpoints load under weights_only=True; other pickles do not."""
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

import mmrefine  # noqa: F401  (registers the allow-list)


def mmengine_like_checkpoint(path):
    """What mmengine's Runner.save_checkpoint writes besides the weights."""
    hub = MessageHub.get_instance('test_checkpoint_safe_globals')
    for i in range(3):
        hub.update_scalar('train/loss', np.float32(0.5 / (i + 1)))
        hub.update_scalar('train/lr', 0.02)
    hub.update_info('iter', 3)
    torch.save(
        {
            'meta': {
                'epoch': 0,
                'iter': 3,
                'seed': np.int64(5),
                'dataset_meta': {
                    'classes': ('a', 'b')
                }
            },
            'state_dict': {
                'w': torch.ones(2)
            },
            'message_hub': hub.state_dict(),
            'optimizer': {
                'state': {},
                'param_groups': [{
                    'lr': 0.02,
                    'params': [0]
                }]
            },
        }, path)


class Payload:

    def __reduce__(self):
        return os.system, ('echo pwned', )


def load_in_fresh_interpreter(path, imports):
    """torch.load (weights_only=True, torch's default) in a new process, as
    a resumed run or test.py does: nothing else has been imported or built."""
    code = (
        f'{imports}; import torch; ckpt = torch.load({str(path)!r}); '
        "print(ckpt['message_hub']['log_scalars']['train/loss'].current(), "
        "ckpt['meta']['seed'])")
    return subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True)


def test_mmengine_checkpoint_loads(tmp_path):
    path = tmp_path / 'ckpt.pth'
    mmengine_like_checkpoint(path)
    proc = load_in_fresh_interpreter(path, 'import mmrefine')
    assert proc.returncode == 0, proc.stderr[-3000:]
    current, seed = proc.stdout.split()
    assert float(current) == pytest.approx(0.5 / 3) and seed == '5'


def test_without_the_allow_list_it_is_refused(tmp_path):
    """Guards the test above: without importing mmrefine the same file is
    refused."""
    path = tmp_path / 'ckpt.pth'
    mmengine_like_checkpoint(path)
    proc = load_in_fresh_interpreter(path, 'import mmengine')
    assert proc.returncode != 0
    assert 'Weights only load failed' in proc.stderr


def test_arbitrary_pickle_still_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': Payload()}, path)
    with pytest.raises(
            pickle.UnpicklingError, match='Weights only load failed'):
        torch.load(path)


class AttributeGrab:
    """getattr is allowed only for HistoryBuffer's statistics methods."""

    def __reduce__(self):
        return getattr, (np.zeros(1), 'tofile')


def test_getattr_beyond_history_buffer_refused(tmp_path):
    path = tmp_path / 'grab.pth'
    torch.save({'meta': AttributeGrab()}, path)
    with pytest.raises(
            pickle.UnpicklingError,
            match='only statistics methods of HistoryBuffer'):
        torch.load(path)


def test_empty_arrays_load(tmp_path):
    """An empty HistoryBuffer or any zero-size array failed with
    `Unsupported global: GLOBAL builtins.bytes`."""
    from mmengine.logging import HistoryBuffer
    path = tmp_path / 'empty.pth'
    torch.save(
        {
            'message_hub': {
                'log_scalars': {
                    'train/loss': HistoryBuffer()
                }
            },
            'meta': {
                'empty': np.zeros((0, 3), np.float32),
                'ids': np.array([], np.int64)
            }
        }, path)
    ckpt = torch.load(path)
    assert len(ckpt['message_hub']['log_scalars']['train/loss'].data[0]) == 0
    assert ckpt['meta']['empty'].shape == (
        0, 3) and ckpt['meta']['empty'].dtype == np.float32
    assert ckpt['meta']['ids'].shape == (
        0, ) and ckpt['meta']['ids'].dtype == np.int64


class BytesBomb:
    """bytes(n) would allocate n bytes: only bytes() is allowed."""

    def __reduce__(self):
        return bytes, (10, )


def test_bytes_with_arguments_refused(tmp_path):
    path = tmp_path / 'bomb.pth'
    torch.save({'meta': BytesBomb()}, path)
    with pytest.raises(
            pickle.UnpicklingError, match=r'only bytes\(\) is allowed'):
        torch.load(path)

"""--resume falls back to the newest checkpoint that loads, with a warning."""
import logging
import os
import os.path as osp
import time

import torch
from mmengine.logging import MMLogger

from mmrefine.engine import find_latest_loadable_checkpoint


def save(path, step):
    torch.save(
        {
            'meta': {
                'iter': step
            },
            'state_dict': {
                'w': torch.full((1000, ), step)
            }
        }, path)


class Records(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_falls_back_past_a_partial_checkpoint(tmp_path):
    for step in (2, 4):
        save(tmp_path / f'iter_{step}.pth', step)
        time.sleep(0.01)
    partial = tmp_path / 'iter_6.pth'
    partial.write_bytes((tmp_path / 'iter_4.pth').read_bytes()[:1500])
    (tmp_path / 'last_checkpoint').write_text(str(partial))
    logger = MMLogger.get_current_instance()
    records = Records()
    logger.addHandler(records)
    try:
        assert find_latest_loadable_checkpoint(str(tmp_path)) == str(
            tmp_path / 'iter_4.pth')
    finally:
        logger.removeHandler(records)
    assert any(
        m.startswith(f'--resume: checkpoint {partial} does not load (')
        and m.endswith('trying an older one')
        for m in records.messages), records.messages


def test_last_checkpoint_first(tmp_path):
    save(tmp_path / 'iter_4.pth', 4)
    time.sleep(0.01)
    save(tmp_path / 'best.pth', 2)  # newer file, but not the one named
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_4.pth'))
    assert find_latest_loadable_checkpoint(str(tmp_path)) == str(tmp_path /
                                                                 'iter_4.pth')


def test_none_loads(tmp_path):
    (tmp_path / 'iter_2.pth').write_bytes(b'garbage')
    assert find_latest_loadable_checkpoint(str(tmp_path)) is None
    os.remove(tmp_path / 'iter_2.pth')
    assert find_latest_loadable_checkpoint(str(tmp_path)) is None
    assert not osp.exists(tmp_path / 'last_checkpoint')

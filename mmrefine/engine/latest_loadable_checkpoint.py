import glob
import logging
import os.path as osp
from typing import Optional

from mmengine.logging import print_log
from mmengine.runner.checkpoint import _load_checkpoint


def find_latest_loadable_checkpoint(work_dir: str) -> Optional[str]:
    """The newest checkpoint of ``work_dir`` that loads, for ``--resume``.

    mmengine resumes from the file named in ``work_dir/last_checkpoint`` and
    fails if that one is partial (a run killed while writing it, before
    :class:`~mmrefine.engine.AtomicCheckpointHook`) or otherwise broken.
    This tries that file, then every ``*.pth`` of ``work_dir`` from the
    newest (by modification time), loading each as mmengine does, and
    warns for each one that does not load.

    Args:
        work_dir (str): the run's work directory.

    Returns:
        str | None: the checkpoint's path, or None if none loads (a fresh
        start, as mmengine does without a checkpoint).
    """
    candidates = []
    last = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            candidates.append(f.read().strip())
    candidates += sorted(
        glob.glob(osp.join(work_dir, '*.pth')), key=osp.getmtime, reverse=True)
    tried = set()
    for path in candidates:
        if path in tried or not osp.isfile(path):
            continue
        tried.add(path)
        try:
            _load_checkpoint(path, map_location='cpu')
        except Exception as e:  # any way a file can fail to load
            print_log(
                f'--resume: checkpoint {path} does not load '
                f'({type(e).__name__}: {e}); trying an older one',
                logger='current',
                level=logging.WARNING)
            continue
        return path
    return None

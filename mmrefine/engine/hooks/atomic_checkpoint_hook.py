import os
import os.path as osp
import shutil

from mmdet.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook


def _write_file_atomically(path: str, text: str):
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's :class:`CheckpointHook`, safe against a kill at any moment.

    mmengine 0.10 deletes the oldest kept checkpoint (``max_keep_ckpts``)
    before it writes the new one, in place, and names it in
    ``last_checkpoint`` afterwards: a ``kill -9`` during the write leaves a
    partial file, no complete one to resume from, and the work is lost. Here
    a checkpoint is written to ``<name>.tmp``, flushed to disk, renamed into
    place (atomic on one file system), then named in ``last_checkpoint``
    (also written through a rename), and only then are the checkpoints
    beyond ``max_keep_ckpts`` deleted. A kill loses at most one checkpoint
    interval; a stale ``.tmp`` file is never read. Checkpoints on other
    storage backends are saved as mmengine does.

    Args:
        **kwargs: :class:`CheckpointHook`'s arguments.
    """

    def _save_checkpoint_with_step(self, runner, step, meta):
        if not isinstance(self.file_backend, LocalBackend):
            return super()._save_checkpoint_with_step(runner, step, meta)
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        expired = []
        # _save_checkpoint and _save_best_checkpoint may both save a step
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            # a deque of maxlen max_keep_ckpts
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                expired.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))

        tmp_filename = ckpt_filename + '.tmp'
        runner.save_checkpoint(
            self.out_dir,
            tmp_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        tmp_path = osp.join(self.out_dir, tmp_filename)
        with open(tmp_path, 'rb') as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, self.last_ckpt)
        _write_file_atomically(
            osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        for old_step in expired:
            path = osp.join(self.out_dir, self.filename_tmpl.format(old_step))
            if osp.isdir(path):  # deepspeed saves directories
                shutil.rmtree(path)
            elif osp.exists(path):
                os.remove(path)

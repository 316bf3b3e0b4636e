import logging
import random

import numpy as np
import torch
from mmdet.registry import HOOKS
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop


def get_random_state() -> dict:
    """Every global random state training draws from, in this process."""
    state = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_random_state(state: dict):
    """Restore a state of :func:`get_random_state`."""
    random.setstate(state['python'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


class _RestoreAfterSkip:
    """An iterator that restores a random state before its ``skip + 1``-th
    item: after the batches a resumed :class:`IterBasedTrainLoop` replays to
    advance its sampler, before the first batch it trains on."""

    def __init__(self, iterator, skip: int, state: dict):
        self._iterator = iterator
        self._skip = skip
        self._state = state

    def __iter__(self):
        return self

    def __next__(self):
        if self._skip == 0 and self._state is not None:
            set_random_state(self._state)
            self._state = None
        self._skip -= 1
        return next(self._iterator)


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Resume a run bit for bit: save and restore the random states.

    mmengine's checkpoints hold no random state, so a resumed run draws
    other flips and RoI samples than the uninterrupted one from its first
    step. This hook stores Python's, numpy's and torch's (CPU and CUDA)
    global random states in every checkpoint (``random_state``) and restores
    them on resume at the point they were saved: for an
    :class:`IterBasedTrainLoop`, after the batches the loop replays to move
    its sampler (and data workers, which are seeded per worker) to where
    the run stopped; otherwise before training starts. Validation is made
    neutral to them (they are put back after it), so that a resumed run,
    which does not repeat the validation done at its checkpoint, draws the
    same numbers. With one process a run killed and resumed then ends with
    the weights of an uninterrupted one; the states of data workers kept
    across epochs (``persistent_workers`` in an epoch-based loop) are not
    restored. In a distributed run the checkpoint holds rank 0's states
    (mmengine saves on rank 0 only), restored on rank 0 only.
    """
    priority = 'VERY_LOW'

    def __init__(self):
        self._resumed_state = None
        self._val_state = None

    def before_save_checkpoint(self, runner, checkpoint):
        checkpoint['random_state'] = get_random_state()

    def after_load_checkpoint(self, runner, checkpoint):
        self._resumed_state = checkpoint.get('random_state')

    def before_train(self, runner):
        # a load_from checkpoint leaves iter at 0: only a resume restores
        state, self._resumed_state = self._resumed_state, None
        if state is None or runner.iter == 0:
            return
        if get_world_size() > 1:
            print_log(
                'resumed a distributed run: rank 0 restores its random '
                'states, the other ranks keep those they started with',
                logger='current',
                level=logging.WARNING)
            if runner.rank != 0:
                return
        loop = runner.train_loop
        if isinstance(loop, IterBasedTrainLoop):
            loop.dataloader_iterator = _RestoreAfterSkip(
                loop.dataloader_iterator, loop.iter, state)
        else:
            set_random_state(state)

    def before_val(self, runner):
        self._val_state = get_random_state()

    def after_val(self, runner):
        if self._val_state is not None:
            set_random_state(self._val_state)
            self._val_state = None

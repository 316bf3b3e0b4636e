import logging
import re

from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

# keys shown per kind in the error; the count of the rest is given
MAX_SHOWN = 20


def _listed(keys):
    shown = ', '.join(map(str, keys[:MAX_SHOWN]))
    more = f', ... ({len(keys) - MAX_SHOWN} more)' if len(
        keys) > MAX_SHOWN else ''
    return f'[{shown}{more}]'


@HOOKS.register_module()
class StrictCheckpointLoadHook(Hook):
    """Refuse a checkpoint that does not fit the model.

    mmengine loads ``load_from`` and ``tools/test.py``'s checkpoint with
    ``strict=False``: missing or unexpected keys and shape mismatches are
    only printed, and a test of the wrong checkpoint "succeeds" with PQ 0.
    This hook compares the checkpoint's ``state_dict`` (keys as mmengine
    revises them, ``module.`` prefixes dropped) with the model's before
    it is loaded and raises, listing every missing key, unexpected key and
    shape mismatch, unless ``allow_partial`` (``--partial-load`` of
    ``tools/train.py`` and ``tools/test.py``) accepts a partial load, e.g.
    to initialise REFINE from a BANet model; then they are logged as a
    warning. A config that starts a new part from another model's
    checkpoint names that part in ``allowed_missing``: its keys may be
    missing, and only its keys.

    Args:
        allow_partial (bool): accept a checkpoint that does not fit,
            with a warning. Defaults to False.
        allowed_missing (Sequence[str]): prefixes of keys that may be
            missing from the checkpoint, e.g.
            ``['roi_head.occlusion_head.']``. Defaults to ().
    """

    def __init__(self, allow_partial=False, allowed_missing=()):
        self.allow_partial = allow_partial
        self.allowed_missing = tuple(allowed_missing)

    def after_load_checkpoint(self, runner, checkpoint):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        loaded = checkpoint.get('state_dict', checkpoint)
        loaded = {re.sub(r'^module\.', '', k): v for k, v in loaded.items()}
        own = model.state_dict()
        missing = sorted(set(own) - set(loaded))
        new = [k for k in missing if k.startswith(self.allowed_missing)]
        if new:
            print_log(
                f'{len(new)} keys under {list(self.allowed_missing)} '
                f'are not in the checkpoint (allowed_missing): they '
                f'keep their initial values',
                logger='current')
            missing = [k for k in missing if k not in new]
        unexpected = sorted(set(loaded) - set(own))
        mismatched = sorted(f'{k}: checkpoint {tuple(loaded[k].shape)}, model '
                            f'{tuple(own[k].shape)}' for k in own
                            if k in loaded and hasattr(loaded[k], 'shape')
                            and loaded[k].shape != own[k].shape)
        if not (missing or unexpected or mismatched):
            return
        problems = (f'{len(missing)} missing keys {_listed(missing)}; '
                    f'{len(unexpected)} unexpected keys '
                    f'{_listed(unexpected)}; {len(mismatched)} shape '
                    f'mismatches {_listed(mismatched)}')
        if not self.allow_partial:
            raise RuntimeError(
                f'the checkpoint does not fit the model: {problems}. Use the '
                f'config and checkpoint of the same model, or pass '
                f'--partial-load to accept a partial load')
        print_log(
            f'partial load (--partial-load): {problems}',
            logger='current',
            level=logging.WARNING)

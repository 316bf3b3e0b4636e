from mmengine.hooks import CheckpointHook

from .hooks import (AtomicCheckpointHook, RandomStateHook,
                    RankAveragedLossHook, StrictCheckpointLoadHook)


def setup_reliable_runtime(cfg, allow_partial_load: bool = False):
    """Add mmrefine's engine hooks to any config, for train.py and test.py.

    Wired in by the tools rather than by the configs, so that every config
    (the shapes ones and those that inherit only mmdet's bases, as the COCO
    ones do) gets them: :class:`AtomicCheckpointHook` replaces mmengine's
    ``CheckpointHook`` (its arguments kept), and
    :class:`RandomStateHook`, :class:`RankAveragedLossHook` and
    :class:`StrictCheckpointLoadHook` join ``custom_hooks`` unless the
    config lists them already.

    Args:
        cfg (mmengine.Config): the config, modified in place.
        allow_partial_load (bool): accept a checkpoint that does not fit the
            model, with a warning. Defaults to False.
    """
    checkpoint = cfg.get('default_hooks', {}).get('checkpoint')
    if checkpoint is not None and checkpoint.get('type') in ('CheckpointHook',
                                                             CheckpointHook):
        checkpoint['type'] = AtomicCheckpointHook.__name__
    custom_hooks = list(cfg.get('custom_hooks') or [])
    for hook in custom_hooks:  # --partial-load also for a listed one
        if (allow_partial_load
                and hook.get('type') == StrictCheckpointLoadHook.__name__):
            hook['allow_partial'] = True
    listed = {hook.get('type') for hook in custom_hooks}
    wanted = [
        dict(type=RandomStateHook.__name__),
        dict(type=RankAveragedLossHook.__name__),
        dict(
            type=StrictCheckpointLoadHook.__name__,
            allow_partial=allow_partial_load)
    ]
    cfg.custom_hooks = custom_hooks + [
        hook for hook in wanted if hook['type'] not in listed
    ]

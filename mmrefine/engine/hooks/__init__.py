from .atomic_checkpoint_hook import AtomicCheckpointHook
from .random_state_hook import RandomStateHook
from .rank_averaged_loss_hook import RankAveragedLossHook
from .strict_checkpoint_load_hook import StrictCheckpointLoadHook

__all__ = [
    'AtomicCheckpointHook', 'RandomStateHook', 'RankAveragedLossHook',
    'StrictCheckpointLoadHook'
]

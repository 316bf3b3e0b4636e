from .cpu_distributed import setup_cpu_distributed
from .cpu_distributed_data_parallel import CPUDistributedDataParallel
from .hooks import (AtomicCheckpointHook, RandomStateHook,
                    RankAveragedLossHook, StrictCheckpointLoadHook)
from .latest_loadable_checkpoint import find_latest_loadable_checkpoint
from .reliable_runtime import setup_reliable_runtime

__all__ = [
    'AtomicCheckpointHook', 'CPUDistributedDataParallel', 'RandomStateHook',
    'RankAveragedLossHook', 'StrictCheckpointLoadHook',
    'find_latest_loadable_checkpoint', 'setup_cpu_distributed',
    'setup_reliable_runtime'
]

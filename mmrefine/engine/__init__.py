from .cpu_distributed import setup_cpu_distributed
from .cpu_distributed_data_parallel import CPUDistributedDataParallel

__all__ = ['CPUDistributedDataParallel', 'setup_cpu_distributed']

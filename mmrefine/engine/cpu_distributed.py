import os

import torch
import torch.distributed as dist


def setup_cpu_distributed(cfg) -> bool:
    """Run ``--launcher pytorch`` on a machine without CUDA, with ``gloo``.

    mmengine 0.10.7's ``init_dist('pytorch')`` calls
    ``torch.cuda.set_device``, which fails on a CPU-only torch, and its
    default DDP wrapper passes ``device_ids``, which DDP refuses for a CPU
    module. The Runner skips its own ``init_dist`` when a process group
    exists, so this initialises ``gloo`` from torchrun's environment first
    and selects :class:`CPUDistributedDataParallel`. With CUDA present it
    does nothing: the stock nccl path stays as it is.

    Args:
        cfg (mmengine.Config): the config, modified in place.

    Returns:
        bool: whether the CPU path was set up.
    """
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return False
    missing = [
        k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
        if k not in os.environ
    ]
    if missing:
        raise RuntimeError(
            f'--launcher pytorch needs the torchrun environment; '
            f'{missing} not set (start with tools/dist_train.sh)')
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    if wrapper.get('type',
                   'MMDistributedDataParallel') == 'MMDistributedDataParallel':
        wrapper['type'] = 'CPUDistributedDataParallel'
    # what Runner.wrap_model passes when model_wrapper_cfg is unset
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters',
                       cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper
    return True

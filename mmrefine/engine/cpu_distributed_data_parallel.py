from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that also wraps a module on the CPU.

    mmengine's ``Runner.wrap_model`` always passes
    ``device_ids=[LOCAL_RANK]``, which ``DistributedDataParallel`` refuses
    for a CPU module. This wrapper drops ``device_ids`` when the module's
    parameters live on the CPU (the ``gloo`` backend) and keeps them
    otherwise, so a config that names it still runs unchanged on GPUs.
    """

    def __init__(self, module, device_ids=None, **kwargs):
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        super().__init__(
            module=module, device_ids=None if on_cpu else device_ids, **kwargs)

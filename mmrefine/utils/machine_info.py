"""What a measurement ran on, recorded beside its numbers."""
import os
import os.path as osp
import platform


def machine_info() -> dict:
    """The machine and the library versions of this process.

    Returns:
        dict: ``kind`` (CPU model, cores and GPU: what a results table
        groups by, since numbers measured on one kind of machine do not
        carry to another), ``hostname``, ``cpu``, ``cores``, ``gpu``,
        ``system`` and the versions of python, torch, mmcv, mmdet and
        mmengine.
    """
    import mmcv
    import mmdet
    import mmengine
    import torch
    cpu = platform.processor() or platform.machine()
    if osp.isfile('/proc/cpuinfo'):
        with open('/proc/cpuinfo') as f:
            names = [
                line.split(':', 1)[1].strip() for line in f
                if line.startswith('model name')
            ]
        cpu = names[0] if names else cpu
    cores = os.cpu_count()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return dict(
        kind=f"{cpu}, {cores} cores, {gpu or 'no GPU'}",
        hostname=platform.node(),
        cpu=cpu,
        cores=cores,
        gpu=gpu,
        system=platform.platform(),
        python=platform.python_version(),
        torch=torch.__version__,
        mmcv=mmcv.__version__,
        mmdet=mmdet.__version__,
        mmengine=mmengine.__version__)

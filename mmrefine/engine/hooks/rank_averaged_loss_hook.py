import torch
from mmdet.registry import HOOKS
from mmengine.dist import get_world_size
from mmengine.hooks import Hook


@HOOKS.register_module()
class RankAveragedLossHook(Hook):
    """Log the training losses averaged over all ranks.

    mmengine's ``BaseModel.parse_losses`` returns each rank's own losses and
    only rank 0 logs, so a distributed run showed rank 0's loss. This hook
    replaces every value of a training step's outputs with its mean over
    the ranks (one ``all_reduce`` a step) before
    :class:`~mmengine.hooks.RuntimeInfoHook` records them, hence the
    highest priority. With one process it does nothing.
    """
    priority = 'HIGHEST'

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        world_size = get_world_size()
        if world_size == 1 or not outputs:
            return
        keys = [k for k, v in outputs.items() if isinstance(v, torch.Tensor)]
        values = torch.stack(
            [outputs[k].detach().float().reshape(()) for k in keys])
        torch.distributed.all_reduce(values)
        values /= world_size
        for key, value in zip(keys, values):
            outputs[key] = value

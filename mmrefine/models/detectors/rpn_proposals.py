"""The RPN step of mmdet's ``TwoStagePanopticSegmentor``, for the detectors
that override its ``loss`` / ``predict`` (REFINE, BANet, OH-PanopticFPN)."""
import copy
from typing import Tuple

import torch
from mmdet.models.detectors import TwoStagePanopticSegmentor
from mmdet.structures import SampleList
from mmdet.utils import InstanceList
from torch import Tensor


def rpn_proposals(detector: TwoStagePanopticSegmentor, x: Tuple[Tensor],
                  batch_data_samples: SampleList) -> InstanceList:
    """Inference: the proposals given in the data samples, else the RPN's."""
    if batch_data_samples[0].get('proposals', None) is not None:
        return [data_sample.proposals for data_sample in batch_data_samples]
    return detector.rpn_head.predict(x, batch_data_samples, rescale=False)


def rpn_loss_and_proposals(detector: TwoStagePanopticSegmentor,
                           x: Tuple[Tensor], batch_data_samples: SampleList
                           ) -> Tuple[dict, InstanceList]:
    """Training: the RPN losses (class-agnostic targets, keys prefixed
    ``rpn_``) and the proposals for the RoI head."""
    proposal_cfg = detector.train_cfg.get('rpn_proposal',
                                          detector.test_cfg.rpn)
    rpn_data_samples = copy.deepcopy(batch_data_samples)
    for data_sample in rpn_data_samples:
        data_sample.gt_instances.labels = torch.zeros_like(
            data_sample.gt_instances.labels)
    rpn_losses, rpn_results_list = detector.rpn_head.loss_and_predict(
        x, rpn_data_samples, proposal_cfg=proposal_cfg)
    for key in list(rpn_losses):
        if 'loss' in key and 'rpn' not in key:
            rpn_losses[f'rpn_{key}'] = rpn_losses.pop(key)
    return rpn_losses, rpn_results_list

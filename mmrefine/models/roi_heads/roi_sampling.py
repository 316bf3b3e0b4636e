"""The RoI sampling step of mmdet's ``StandardRoIHead.loss``, for the RoI
heads that override ``loss`` to pass semantic features (IBPP, BANet)."""
from typing import List, Tuple

from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.models.utils import unpack_gt_instances
from mmdet.structures import SampleList
from mmdet.utils import InstanceList
from torch import Tensor


def sample_rois(
    roi_head: StandardRoIHead, x: Tuple[Tensor],
    rpn_results_list: InstanceList, batch_data_samples: SampleList
) -> Tuple[List[SamplingResult], InstanceList]:
    """Assign the proposals to the ground truth and sample them per image,
    as ``StandardRoIHead.loss`` does.

    Returns:
        tuple: The per-image ``SamplingResult`` and ground-truth instances.
    """
    batch_gt_instances, batch_gt_instances_ignore, _ = \
        unpack_gt_instances(batch_data_samples)
    sampling_results = []
    for i, rpn_results in enumerate(rpn_results_list):
        rpn_results.priors = rpn_results.pop('bboxes')
        assign_result = roi_head.bbox_assigner.assign(
            rpn_results, batch_gt_instances[i], batch_gt_instances_ignore[i])
        sampling_results.append(
            roi_head.bbox_sampler.sample(
                assign_result,
                rpn_results,
                batch_gt_instances[i],
                feats=[lvl_feat[i][None] for lvl_feat in x]))
    return sampling_results, batch_gt_instances

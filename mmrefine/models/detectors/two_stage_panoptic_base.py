"""The base of mmrefine's panoptic detectors: mmdet's two-stage panoptic
segmentor with its RPN step and the input colours as methods."""
import copy
from typing import List, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.detectors import TwoStagePanopticSegmentor
from mmdet.structures import SampleList
from mmdet.utils import InstanceList
from torch import Tensor, nn


class TwoStagePanopticBase(TwoStagePanopticSegmentor):
    """:class:`TwoStagePanopticSegmentor` for detectors whose heads pass
    features to each other (REFINE, BANet) or whose fusion head needs the
    image colours (BANet's occlusion handling).

    Such detectors override ``loss``, ``predict`` and ``_forward``; the RPN
    step they share is here, as mmdet's segmentor runs it:
    :meth:`rpn_loss_and_proposals` (training), :meth:`rpn_proposals`
    (inference) and :meth:`rpn_forward` (tensor mode).
    :meth:`restore_images` gives a fusion head the input colours, read from
    the ``data_preprocessor`` config (its ``mean``, ``std``, ``bgr_to_rgb``
    and ``rgb_to_bgr``) rather than from the built preprocessor's private
    fields. The state dict is :class:`TwoStagePanopticSegmentor`'s.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cfg = kwargs.get('data_preprocessor') or {}
        self._colour_cfg = None
        if not isinstance(cfg, nn.Module):
            self._colour_cfg = dict(
                mean=cfg.get('mean'),
                std=cfg.get('std'),
                to_rgb=bool(cfg.get('bgr_to_rgb') or cfg.get('rgb_to_bgr')))

    def rpn_proposals(self, x: Tuple[Tensor],
                      batch_data_samples: SampleList) -> InstanceList:
        """Inference: the proposals given in the data samples, else the
        RPN's."""
        if batch_data_samples[0].get('proposals', None) is not None:
            return [sample.proposals for sample in batch_data_samples]
        return self.rpn_head.predict(x, batch_data_samples, rescale=False)

    def rpn_loss_and_proposals(
            self, x: Tuple[Tensor],
            batch_data_samples: SampleList) -> Tuple[dict, InstanceList]:
        """Training: the RPN losses (class-agnostic targets, keys prefixed
        ``rpn_``) and the proposals for the RoI head."""
        proposal_cfg = self.train_cfg.get('rpn_proposal', self.test_cfg.rpn)
        rpn_data_samples = copy.deepcopy(batch_data_samples)
        for data_sample in rpn_data_samples:
            data_sample.gt_instances.labels = torch.zeros_like(
                data_sample.gt_instances.labels)
        rpn_losses, rpn_results_list = self.rpn_head.loss_and_predict(
            x, rpn_data_samples, proposal_cfg=proposal_cfg)
        for key in list(rpn_losses):
            if 'loss' in key and 'rpn' not in key:
                rpn_losses[f'rpn_{key}'] = rpn_losses.pop(key)
        return rpn_losses, rpn_results_list

    def rpn_forward(
            self, x: Tuple[Tensor],
            batch_data_samples: SampleList) -> Tuple[tuple, InstanceList]:
        """Tensor mode: the RPN's raw outputs and the proposals (those given
        in the data samples, else decoded from the outputs)."""
        rpn_outs = self.rpn_head.forward(x)
        if batch_data_samples[0].get('proposals', None) is not None:
            return rpn_outs, [s.proposals for s in batch_data_samples]
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        return rpn_outs, self.rpn_head.predict_by_feat(
            *rpn_outs, batch_img_metas=batch_img_metas, rescale=False)

    def restore_images(self,
                       batch_inputs: Tensor,
                       batch_img_metas: List[dict],
                       rescale: bool = True) -> List[Tensor]:
        """The input images' RGB colours, the data preprocessor undone.

        Args:
            batch_inputs (Tensor): (B, 3, H, W) preprocessed (normalised,
                padded) batch.
            batch_img_metas (list[dict]): With ``img_shape`` and
                ``ori_shape``.
            rescale (bool): Resize to ``ori_shape`` (where ``rescale=True``
                predictions live), else keep ``img_shape``. Defaults to True.

        Returns:
            list[Tensor]: Per image (3, h, w) float RGB, 0 .. 255.
        """
        if self._colour_cfg is None:
            raise ValueError(
                f'{self.__class__.__name__}: the fusion head needs the input '
                'colours, read from the data_preprocessor config; give '
                'data_preprocessor as a config dict, not a built module')
        imgs = batch_inputs.float()
        mean, std = self._colour_cfg['mean'], self._colour_cfg['std']
        if mean is not None:
            imgs = imgs * imgs.new_tensor(std).view(-1, 1, 1) + \
                imgs.new_tensor(mean).view(-1, 1, 1)
        if imgs.size(1) == 3 and not self._colour_cfg['to_rgb']:
            imgs = imgs.flip(1)  # mmcv loads BGR and nothing converted it
        results = []
        for img, img_meta in zip(imgs, batch_img_metas):
            h, w = img_meta['img_shape'][:2]
            img = img[:, :h, :w]
            ori_shape = tuple(img_meta['ori_shape'][:2])
            if rescale and ori_shape != (h, w):
                img = F.interpolate(
                    img[None],
                    size=ori_shape,
                    mode='bilinear',
                    align_corners=False)[0]
            results.append(img)
        return results

"""REFINE (Ren et al., AAAI 2021): the panoptic detector."""
from typing import List, Optional, Sequence

from mmdet.registry import MODELS
from mmdet.structures import SampleList
from torch import Tensor

from .two_stage_panoptic_base import TwoStagePanopticBase


@MODELS.register_module()
class REFINE(TwoStagePanopticBase):
    """Panoptic FPN with IBPP, Soft Occlusion Estimation and Unknown Erasing.

    The semantic head (:class:`REFINESemanticHead`) gives ``F_sem`` and the
    all-class ``P_sem^(0)``; the RoI head (:class:`IBPPRoIHead`) refines
    masks and semantics ``T`` times and scores occluding pairs; the fusion
    head (``REFINEFusionHead``) pastes instances in SOE order over the
    UE-erased semantic map.

    Args:
        trainable_modules: dotted names of submodules to train (e.g.
            ``['roi_head.occlusion_head']``); every other parameter is frozen
            and its BN layers stay in eval mode. REFINE feeds SOE the outputs
            of a trained model: set this with ``load_from`` to train the
            occlusion head on a frozen model. None trains everything (joint
            training).
        **kwargs: as :class:`TwoStagePanopticSegmentor`.
    """

    def __init__(self,
                 *args,
                 trainable_modules: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._check_occlusion_pairs()
        self.trainable_modules = None
        if trainable_modules is not None:
            names = dict(self.named_modules())
            missing = [n for n in trainable_modules if n not in names]
            if missing:
                raise ValueError(
                    f'REFINE: trainable_modules {missing} are not submodules;'
                    f' expected names such as roi_head.occlusion_head')
            self.trainable_modules = [names[n] for n in trainable_modules]
            for p in self.parameters():
                p.requires_grad_(False)
            for module in self.trainable_modules:
                for p in module.parameters():
                    p.requires_grad_(True)

    def _check_occlusion_pairs(self) -> None:
        """The occlusion head must score every pair SOE decides."""
        fusion = self.panoptic_fusion_head
        if getattr(self.roi_head, 'occlusion_head', None) is None or \
                getattr(fusion, 'occlusion', 'score') == 'score':
            return
        scored = self.roi_head.test_occlusion['overlap_thr']
        if scored > fusion.overlap_thr:
            raise ValueError(
                f'REFINE: test_cfg.rcnn.occlusion.overlap_thr ({scored}) '
                'must not exceed panoptic_fusion_head.overlap_thr '
                f'({fusion.overlap_thr}): the occlusion head would leave '
                'pairs that SOE decides unscored')

    def train(self, mode: bool = True) -> 'REFINE':
        if self.trainable_modules is None or not mode:
            return super().train(mode)
        super().train(False)
        for module in self.trainable_modules:
            module.train(True)
        return self

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> dict:
        x = self.extract_feat(batch_inputs)
        losses, rpn_results_list = self.rpn_loss_and_proposals(
            x, batch_data_samples)
        sem = self.semantic_head(x)
        losses.update(
            self.semantic_head.loss_by_feat(sem['seg_preds'],
                                            batch_data_samples))
        losses.update(
            self.roi_head.loss(
                x,
                rpn_results_list,
                batch_data_samples,
                semantic_feat=sem['seg_feats'],
                semantic_pred=sem['seg_preds']))
        return losses

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Panoptic results in ``pred_panoptic_seg`` (mmdet's format)."""
        batch_img_metas: List[dict] = [s.metainfo for s in batch_data_samples]
        x = self.extract_feat(batch_inputs)
        rpn_results_list = self.rpn_proposals(x, batch_data_samples)
        sem = self.semantic_head(x)
        results_list, sem_pred = self.roi_head.predict_with_semantics(
            x,
            rpn_results_list,
            batch_data_samples,
            rescale=rescale,
            semantic_feat=sem['seg_feats'],
            semantic_pred=sem['seg_preds'])
        seg_preds = self.semantic_head.predict_by_feat(sem_pred,
                                                       batch_img_metas,
                                                       rescale)
        results_list = self.panoptic_fusion_head.predict(
            results_list, seg_preds)
        return self.add_pred_to_datasample(batch_data_samples, results_list)

    def _forward(self, batch_inputs: Tensor,
                 batch_data_samples: SampleList) -> tuple:
        """RPN outputs, the RoI head's raw outputs and ``P_sem^(0)``."""
        x = self.extract_feat(batch_inputs)
        rpn_outs, rpn_results_list = self.rpn_forward(x, batch_data_samples)
        sem = self.semantic_head(x)
        roi_outs = self.roi_head(
            x,
            rpn_results_list,
            batch_data_samples,
            semantic_feat=sem['seg_feats'],
            semantic_pred=sem['seg_preds'])
        return (*rpn_outs, *roi_outs, sem['seg_preds'])

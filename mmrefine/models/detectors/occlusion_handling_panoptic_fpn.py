"""mmdet's PanopticFPN whose fusion head sees the image colours."""
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from torch import Tensor

from ..seg_heads.panoptic_fusion_heads import OcclusionHandlingFusionHead
from .two_stage_panoptic_base import TwoStagePanopticBase


@MODELS.register_module()
class OcclusionHandlingPanopticFPN(TwoStagePanopticBase):
    """mmdet's :class:`PanopticFPN` with BANet's occlusion handling.

    Identical to :class:`PanopticFPN` (same components, same state dict, so
    a stock mmdet PanopticFPN checkpoint loads as it is) except that
    :meth:`predict` also hands the input images' RGB colours to the fusion
    head, which :class:`OcclusionHandlingFusionHead` needs: stock
    TwoStagePanopticSegmentor passes only instances and semantic logits.
    The semantic head keeps mmdet's stuff + one thing channel layout, which
    the fusion head reads as such. This is how the paper's OH is evaluated on
    a stock PanopticFPN checkpoint without retraining.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not isinstance(self.panoptic_fusion_head,
                          OcclusionHandlingFusionHead):
            raise ValueError(
                f'{self.__class__.__name__}: panoptic_fusion_head must be an '
                'OcclusionHandlingFusionHead, got '
                f'{type(self.panoptic_fusion_head).__name__}')

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """TwoStagePanopticSegmentor's, with ``batch_imgs`` for the fusion
        head (:meth:`restore_images`)."""
        batch_img_metas = [
            data_samples.metainfo for data_samples in batch_data_samples
        ]
        x = self.extract_feat(batch_inputs)
        rpn_results_list = self.rpn_proposals(x, batch_data_samples)
        results_list = self.roi_head.predict(
            x, rpn_results_list, batch_data_samples, rescale=rescale)
        seg_preds = self.semantic_head.predict(x, batch_img_metas, rescale)
        imgs = self.restore_images(batch_inputs, batch_img_metas, rescale)
        results_list = self.panoptic_fusion_head.predict(
            results_list, seg_preds, batch_imgs=imgs)
        return self.add_pred_to_datasample(batch_data_samples, results_list)

from .roi_inlay import RoIInlay, roi_inlay, roi_inlay_pytorch

__all__ = ['RoIInlay', 'roi_inlay', 'roi_inlay_pytorch']

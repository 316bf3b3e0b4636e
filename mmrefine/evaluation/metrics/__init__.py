from .occlusion_accuracy_metric import OcclusionAccuracyMetric

__all__ = ['OcclusionAccuracyMetric']

"""mmrefine: REFINE and BANet panoptic segmentation for MMDetection 3.x.

Importing the package (``custom_imports=dict(imports=['mmrefine'])`` in a
config does it) checks the OpenMMLab versions, registers every component in
mmdet's registries and makes mmengine checkpoints loadable under torch >= 2.6.
"""
import mmcv
import mmdet
import mmengine
from mmengine.utils import digit_version

from .version import __version__

MMCV_RANGE = ('2.0.0', '2.2.0')
MMENGINE_RANGE = ('0.10.0', '1.0.0')
MMDET_RANGE = ('3.3.0', '3.4.0')


def _check_version(name, installed, supported):
    low, high = supported
    if not digit_version(low) <= digit_version(installed) < digit_version(
            high):
        raise ImportError(
            f'mmrefine {__version__} needs {name}>={low},<{high}, but '
            f'{name}=={installed} is installed. Run tools/setup_env.sh (or '
            f'`pip install -c requirements/constraints.txt {name}`).')


_check_version('mmcv', mmcv.__version__, MMCV_RANGE)
_check_version('mmengine', mmengine.__version__, MMENGINE_RANGE)
_check_version('mmdet', mmdet.__version__, MMDET_RANGE)

from .utils import register_checkpoint_safe_globals  # noqa: E402

register_checkpoint_safe_globals()

from . import datasets, engine, evaluation, models, ops  # noqa: E402,F401

__all__ = ['__version__', 'register_checkpoint_safe_globals']

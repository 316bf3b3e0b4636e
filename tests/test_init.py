import pytest
from mmdet.registry import DATASETS
from mmengine.registry import MODEL_WRAPPERS

import mmrefine


def test_components_registered():
    assert DATASETS.get(
        'ShapesPanopticDataset') is mmrefine.datasets.ShapesPanopticDataset
    assert MODEL_WRAPPERS.get('CPUDistributedDataParallel') is \
        mmrefine.engine.CPUDistributedDataParallel


@pytest.mark.parametrize('installed', ['3.2.0', '3.4.0', '4.0.0rc1'])
def test_unsupported_version_is_named(installed):
    with pytest.raises(ImportError) as err:
        mmrefine._check_version('mmdet', installed, mmrefine.MMDET_RANGE)
    assert f'mmdet=={installed}' in str(err.value)
    assert 'mmdet>=3.3.0,<3.4.0' in str(err.value)


def test_installed_versions_are_in_the_supported_ranges():
    import mmcv
    import mmdet
    import mmengine
    from mmengine.utils import digit_version
    for module, (low, high) in ((mmcv, mmrefine.MMCV_RANGE),
                                (mmengine, mmrefine.MMENGINE_RANGE),
                                (mmdet, mmrefine.MMDET_RANGE)):
        installed = digit_version(module.__version__)
        assert digit_version(low) <= installed < digit_version(high)
    # the lower bound is included, the upper one excluded
    mmrefine._check_version('mmdet', '3.3.0', mmrefine.MMDET_RANGE)
    with pytest.raises(ImportError):
        mmrefine._check_version('mmdet', '3.4.0', mmrefine.MMDET_RANGE)


def test_version_in_one_place():
    from importlib.metadata import version
    assert mmrefine.__version__ == version('mmrefine')

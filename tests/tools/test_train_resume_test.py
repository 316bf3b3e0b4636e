"""End to end: train the baseline a few steps on a tiny generated set, save,
resume, and evaluate PQ with mmdet's metric through our test.py, mmdet's own
test.py and mim. Every PQ is checked against another computation of it: the
validation at the end of training (same weights) and panopticapi on the
dumped predictions."""
import os.path as osp
import re
import shutil
import sys

import mmdet
import pytest
from conftest import check_panoptic_dump, panopticapi_pq

PYTHON = sys.executable

pytestmark = pytest.mark.slow
PQ_LINE = re.compile(r'coco_panoptic/PQ: (\d+\.\d+)')


@pytest.fixture(scope='module')
def trained(tiny_config, run_cmd, tmp_path_factory):
    """(config, work_dir, log) after 4 steps, then a resume to 6."""
    work_dir = str(tmp_path_factory.mktemp('train') / 'work')
    out = run_cmd(
        [PYTHON, 'tools/train.py',
         tiny_config(4), '--work-dir', work_dir])
    assert osp.exists(osp.join(work_dir, 'iter_4.pth')), out[-3000:]
    cfg6 = tiny_config(6)
    out = run_cmd(
        [PYTHON, 'tools/train.py', cfg6, '--work-dir', work_dir, '--resume'])
    return cfg6, work_dir, out


def test_resume_continues_from_the_checkpoint(trained):
    _, work_dir, out = trained
    assert 'resumed epoch: 0, iter: 4' in out
    assert osp.exists(osp.join(work_dir, 'iter_6.pth'))
    # the resumed run logged iterations 5 and 6 only
    assert re.search(r'Iter\(train\) \[5/6\]',
                     out) and not re.search(r'Iter\(train\) \[1/6\]', out)
    assert PQ_LINE.findall(out), out[-3000:]


def last_pq(out):
    """The last PQ a run printed, with PQ_th and PQ_st beside it."""
    pq = PQ_LINE.findall(out)
    assert pq and 'PQ_th' in out and 'PQ_st' in out, out[-3000:]
    return float(pq[-1])


def test_our_test_py(trained, run_cmd, tiny_shapes, tmp_path):
    """test.py on iter_6 gives the PQ of the validation that ended the
    training on the same weights, and the PQ that panopticapi computes from
    its dumped predictions."""
    cfg, work_dir, train_out = trained
    dump = str(tmp_path / 'pred.pkl')
    out = run_cmd([
        PYTHON, 'tools/test.py', cfg,
        osp.join(work_dir, 'iter_6.pth'), '--work-dir',
        str(tmp_path), '--out', dump
    ])
    assert last_pq(out) == last_pq(train_out)
    check_panoptic_dump(dump, tiny_shapes, num_classes=7)
    assert panopticapi_pq(dump, tiny_shapes, str(tmp_path)) == \
        pytest.approx(last_pq(out), abs=1e-4)


def test_mmdet_test_py(trained, run_cmd, tmp_path):
    """mmdet's own test.py, shipped in its wheel, with our config."""
    cfg, work_dir, train_out = trained
    mmdet_test = osp.join(
        osp.dirname(mmdet.__file__), '.mim', 'tools', 'test.py')
    out = run_cmd([
        PYTHON, mmdet_test, cfg,
        osp.join(work_dir, 'iter_6.pth'), '--work-dir',
        str(tmp_path)
    ],
                  cwd=str(tmp_path))
    assert last_pq(out) == last_pq(train_out)


def test_mim_train_and_test(tiny_config, run_cmd, tmp_path):
    mim = shutil.which('mim', path=osp.dirname(PYTHON))
    assert mim, 'openmim is part of the environment (requirements/runtime.txt)'
    cfg = tiny_config(2)
    work_dir = str(tmp_path / 'work')
    train_out = run_cmd(
        [mim, 'train', 'mmrefine', cfg, '--work-dir', work_dir],
        cwd=str(tmp_path))
    out = run_cmd([
        mim, 'test', 'mmrefine', cfg, '--checkpoint',
        osp.join(work_dir, 'iter_2.pth'), '--work-dir', work_dir
    ],
                  cwd=str(tmp_path))
    assert last_pq(out) == last_pq(train_out)

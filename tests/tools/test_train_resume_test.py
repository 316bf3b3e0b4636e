"""End to end: train the baseline a few steps on a tiny generated set, save,
resume, and evaluate PQ with mmdet's metric through our test.py, mmdet's own
test.py and mim."""
import os.path as osp
import re
import shutil
import sys

import mmdet
import pytest

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
    pq = PQ_LINE.findall(out)
    assert pq and 0.0 <= float(pq[-1]) <= 100.0


def check_pq(out):
    pq = PQ_LINE.findall(out)
    assert pq, out[-3000:]
    assert 0.0 <= float(pq[-1]) <= 100.0
    assert 'PQ_th' in out and 'PQ_st' in out


def test_our_test_py(trained, run_cmd, tmp_path):
    cfg, work_dir, _ = trained
    check_pq(
        run_cmd([
            PYTHON, 'tools/test.py', cfg,
            osp.join(work_dir, 'iter_6.pth'), '--work-dir',
            str(tmp_path)
        ]))


def test_mmdet_test_py(trained, run_cmd, tmp_path):
    """mmdet's own test.py, shipped in its wheel, with our config."""
    cfg, work_dir, _ = trained
    mmdet_test = osp.join(
        osp.dirname(mmdet.__file__), '.mim', 'tools', 'test.py')
    check_pq(
        run_cmd([
            PYTHON, mmdet_test, cfg,
            osp.join(work_dir, 'iter_6.pth'), '--work-dir',
            str(tmp_path)
        ],
                cwd=str(tmp_path)))


def test_mim_train_and_test(tiny_config, run_cmd, tmp_path):
    mim = shutil.which('mim', path=osp.dirname(PYTHON))
    assert mim, 'openmim is part of the environment (requirements/runtime.txt)'
    cfg = tiny_config(2)
    work_dir = str(tmp_path / 'work')
    run_cmd([mim, 'train', 'mmrefine', cfg, '--work-dir', work_dir],
            cwd=str(tmp_path))
    check_pq(
        run_cmd([
            mim, 'test', 'mmrefine', cfg, '--checkpoint',
            osp.join(work_dir, 'iter_2.pth'), '--work-dir', work_dir
        ],
                cwd=str(tmp_path)))

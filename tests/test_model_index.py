"""model-index.yml lists every metafile, whose results are labelled as the
papers', and ``mim search mmrefine`` finds every model (mim reads the
installed package's ``.mim/model-index.yml``, which setup.py links or
copies there)."""
import glob
import os.path as osp
import shutil
import sys

import pytest
import yaml

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
METAFILES = sorted(
    osp.relpath(p, REPO)
    for p in glob.glob(osp.join(REPO, 'configs', '*', 'metafile.yml')))


def load(path):
    with open(osp.join(REPO, path)) as f:
        return yaml.safe_load(f)


def test_model_index_imports_every_metafile():
    assert sorted(load('model-index.yml')['Import']) == METAFILES


@pytest.mark.parametrize('metafile', METAFILES)
def test_results_are_labelled_as_the_papers(metafile):
    for collection in load(metafile)['Collections']:
        assert collection['Metadata']['Results From'] == 'paper'
    for model in load(metafile)['Models']:
        # the only weights: mmdet's own PanopticFPN checkpoint, evaluated
        # with a learning-free fusion
        assert 'Weights' not in model or model['Results'] == [], model['Name']


@pytest.mark.slow
def test_mim_search_lists_every_model(run_cmd):
    mim = shutil.which('mim', path=osp.dirname(sys.executable))
    assert mim, 'openmim is part of the environment (requirements/runtime.txt)'
    out = run_cmd([mim, 'search', 'mmrefine'])
    names = [m['Name'] for f in METAFILES for m in load(f)['Models']]
    missing = [n for n in names if f'config id: {n}\n' not in out]
    assert not missing, f'mim search mmrefine does not list {missing}'
    assert out.count('config id: ') == len(names)
    assert 'results_from' in out

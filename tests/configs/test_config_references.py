"""Every config that a README, a metafile, a doc, the Makefile or a tool
names exists, so a rename cannot leave a dead name behind (gpu_check.sh once
defaulted to a renamed config and would have failed on the GPU)."""
import glob
import os.path as osp
import re

import pytest
import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
READMES = sorted([osp.join(REPO, 'README.md')] +
                 glob.glob(osp.join(REPO, 'configs', '*', 'README.md')))
# other files that name configs: docs, the Makefile, tools (their examples
# and defaults)
SOURCES = sorted(
    glob.glob(osp.join(REPO, 'docs', '**', '*.md'), recursive=True) +
    glob.glob(osp.join(REPO, 'tools', '**', '*.py'), recursive=True) +
    glob.glob(osp.join(REPO, 'tools', '**', '*.sh'), recursive=True) +
    [osp.join(REPO, 'Makefile')])
METAFILES = sorted(glob.glob(osp.join(REPO, 'configs', '*', 'metafile.yml')))
# a config file name: ends in _coco.py or _shapes.py; {a,b} alternatives;
# not a glob (*_shapes.py)
CONFIG_NAME = re.compile(r'(?<![*\w./{},-])[\w./{},-]+_(?:coco|shapes)\.py')


def expand(name):
    """``a_{x,y}_b.py`` -> ``a_x_b.py``, ``a_y_b.py``."""
    match = re.search(r'\{([^{}]*)\}', name)
    if not match:
        return [name]
    return [
        n for alt in match.group(1).split(',')
        for n in expand(name[:match.start()] + alt + name[match.end():])
    ]


def resolve(readme, name):
    """The file a config name in ``readme`` points at."""
    if name.startswith(('./', '../')):  # a link relative to the README
        return osp.normpath(osp.join(osp.dirname(readme), name))
    if '/' in name:  # configs/x/y.py or x/y.py under configs/
        rel = name if name.startswith('configs/') else f'configs/{name}'
        return osp.join(REPO, rel)
    # a bare file name: anywhere under configs/
    found = glob.glob(osp.join(REPO, 'configs', '**', name), recursive=True)
    return found[0] if found else name


def config_names(path):
    """Every config name in the file ``path``, alternatives expanded."""
    with open(path) as f:
        text = f.read()
    return {n for m in CONFIG_NAME.findall(text) for n in expand(m)}


@pytest.mark.parametrize('readme', READMES, ids=lambda p: osp.relpath(p, REPO))
def test_readme_names_existing_configs(readme):
    names = config_names(readme)
    assert names, f'{readme}: names no config'
    missing = sorted(n for n in names if not osp.isfile(resolve(readme, n)))
    assert not missing, f'{osp.relpath(readme, REPO)} names {missing}'


@pytest.mark.parametrize('path', SOURCES, ids=lambda p: osp.relpath(p, REPO))
def test_sources_name_existing_configs(path):
    names = config_names(path)
    # only names under configs/: a doc may name an old config by its
    # history (docs/shapes_v1_history.md) without the configs/ prefix
    missing = sorted(
        n for n in names
        if n.startswith('configs/') and not osp.isfile(resolve(path, n)))
    assert not missing, f'{osp.relpath(path, REPO)} names {missing}'


@pytest.mark.parametrize(
    'metafile', METAFILES, ids=lambda p: osp.relpath(p, REPO))
def test_metafile_names_existing_configs(metafile):
    with open(metafile) as f:
        models = yaml.safe_load(f)['Models']
    assert models
    for model in models:
        assert osp.isfile(osp.join(REPO, model['Config'])), model['Config']
        assert osp.basename(model['Config']) == model['Name'] + '.py'

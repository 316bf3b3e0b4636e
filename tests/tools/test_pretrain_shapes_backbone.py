"""tools/misc/pretrain_shapes_backbone.py: which backbones it trains."""
import importlib.util
import os.path as osp

import pytest

from mmrefine.utils.shapes_pretrained_backbone import RECIPES

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'misc', 'pretrain_shapes_backbone.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('pretrain', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_names(capsys):
    tool = load_tool()
    # no name: every published one (argparse refused this before 3.12)
    assert tool.parse_args([]).names == sorted(RECIPES) == ['resnet18']
    assert tool.parse_args(['resnet18']).names == ['resnet18']
    with pytest.raises(SystemExit):
        tool.parse_args(['resnet19'])
    assert "unknown backbone 'resnet19': expected one of resnet18" in (
        capsys.readouterr().err)

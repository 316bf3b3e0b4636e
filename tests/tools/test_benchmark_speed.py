"""tools/analysis_tools/benchmark_speed.py: model specs, and a run of two
configs (one with a checkpoint) on the tiny data set."""
import importlib.util
import json
import os
import os.path as osp
import sys
from types import SimpleNamespace

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASELINE_CONFIG = osp.join(REPO, 'configs', 'panoptic_fpn',
                           'panoptic-fpn_r18_fpn_shapes.py')
SCRIPT = osp.join(REPO, 'tools', 'analysis_tools', 'benchmark_speed.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('benchmark_speed', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parse_spec(tmp_path):
    tool = load_tool()
    ckpt = tmp_path / 'a.pth'
    ckpt.write_bytes(b'')
    assert tool.parse_spec(BASELINE_CONFIG) == (BASELINE_CONFIG, None)
    assert tool.parse_spec(f'{BASELINE_CONFIG}:{ckpt}') == (BASELINE_CONFIG,
                                                            str(ckpt))
    url = 'https://download.openmmlab.com/x.pth'
    assert tool.parse_spec(f'mmdet::panoptic_fpn/a.py:{url}') == (
        'mmdet::panoptic_fpn/a.py', url)
    with pytest.raises(ValueError, match='expected CONFIG.py'):
        tool.parse_spec('model.pth')
    with pytest.raises(ValueError, match='missing.py'):
        tool.parse_spec('missing.py')
    with pytest.raises(ValueError, match='nothing.pth'):
        tool.parse_spec(f'{BASELINE_CONFIG}:{tmp_path}/nothing.pth')


def test_count_detections():
    tool = load_tool()
    instances = [[1, 2, 3], [4]]  # two images' instances
    model = torch.nn.Module()
    model.panoptic_fusion_head = SimpleNamespace(
        predict=lambda results, seg_preds, **k: (results, seg_preds, k))
    counter = tool.count_detections(model)
    # the wrapped predict passes everything on and returns what it returned
    assert model.panoptic_fusion_head.predict(
        instances, 'segs',
        batch_imgs='x') == (instances, 'segs', dict(batch_imgs='x'))
    model.panoptic_fusion_head.predict(instances, 'segs')
    assert counter == [8]
    assert tool.count_detections(torch.nn.Module()) == [0]


@pytest.mark.slow
def test_two_models_in_one_run(tiny_config, run_cmd, tmp_path):
    # the baseline and full REFINE, whose RoI head returns its instances by
    # another method than mmdet's: both must count their detections
    first = tiny_config(2)
    second = tiny_config(
        2,
        base=osp.join(REPO, 'configs', 'refine', 'refine_r18_fpn_shapes.py'))
    # a checkpoint of the second model, as mmengine saves one
    model = MODELS.build(Config.fromfile(second).model)
    ckpt = str(tmp_path / 'second.pth')
    torch.save(dict(meta={}, state_dict=model.state_dict()), ckpt)
    max_per_img = Config.fromfile(first).model.test_cfg.rcnn.max_per_img
    work_dir = str(tmp_path / 'bench')
    # random weights score low: keep every detection (max_per_img)
    keep_all = ['--cfg-options', 'model.test_cfg.rcnn.score_thr=0']
    out = run_cmd([
        sys.executable, SCRIPT, first, f'{second}:{ckpt}', '--num-images', '2',
        '--warmup', '1', '--train', '--train-iters', '2', '--train-warmup',
        '1', '--work-dir', work_dir, *keep_all
    ])
    lines = out[out.index('images per second'):].splitlines()
    assert lines[1].split() == [
        'config', 'weights', 'infer', 'img/s', 'ratio', 'train', 'img/s',
        'ratio', 'dets/img'
    ]
    rows = [line.split() for line in lines[2:4]]
    assert [row[:2] for row in rows] == [['tiny', 'random'],
                                         ['tiny', 'second.pth']]
    assert rows[0][3] == rows[0][5] == '1.00'
    with open(osp.join(work_dir, 'benchmark_speed.json')) as f:
        record = json.load(f)
    # what the numbers were measured with and on
    assert record['cfg_options'] == {'model.test_cfg.rcnn.score_thr': 0}
    assert record['machine']['cores'] == os.cpu_count()
    assert record['machine']['kind'].endswith('cores, no GPU') == (
        not torch.cuda.is_available())
    results = record['models']
    assert [r['checkpoint'] for r in results] == [None, ckpt]
    for res, row in zip(results, rows):
        assert res['infer_images'] == 2
        assert res['train_images'] == 2 * 2  # 2 steps of the config's 2 images
        assert res['infer_img_per_s'] > 0 and res['train_img_per_s'] > 0
        # 3 images (1 warm-up, 2 timed) of at most max_per_img detections
        total = res['detections_per_img'] * 3
        assert total == pytest.approx(round(total))
        assert 0 < res['detections_per_img'] <= max_per_img
        assert float(row[-1]) == pytest.approx(
            res['detections_per_img'], abs=0.06)
        assert float(row[3]) == pytest.approx(
            res['infer_img_per_s'] / results[0]['infer_img_per_s'], abs=0.006)

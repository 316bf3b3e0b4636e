"""One training step and one prediction of each shapes model on CUDA
(``pytest -m cuda``): the PanopticFPN baseline, full REFINE and full BANet,
built by mmengine's Runner (which puts them on the GPU) and fed by the real
data pipeline of the tiny shapes set."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

pytestmark = pytest.mark.cuda
REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIGS = [
    'configs/panoptic_fpn/panoptic-fpn_r18_fpn_shapes.py',
    'configs/refine/refine_r18_fpn_shapes.py',
    'configs/banet/banet_r18_fpn_shapes.py',
]


@pytest.mark.parametrize('config', CONFIGS)
def test_train_and_predict_step(config, tiny_config, tmp_path):
    cfg = Config.fromfile(tiny_config(1, base=osp.join(REPO, config)))
    cfg.work_dir = str(tmp_path)
    # random weights detect nothing above 0.6: keep the boxes so that the mask
    # head, RoIInlay and the fusion also run at inference
    cfg.model.test_cfg.rcnn.score_thr = 0.0
    cfg.model.test_cfg.rcnn.max_per_img = 8
    if 'score_thr' in cfg.model.test_cfg.get('panoptic', {}):
        cfg.model.test_cfg.panoptic.score_thr = 0.0
    runner = Runner.from_cfg(cfg)
    model = runner.model
    assert next(model.parameters()).is_cuda

    optim_wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    model.train()
    log_vars = model.train_step(
        next(iter(runner.train_dataloader)), optim_wrapper)
    assert math.isfinite(float(log_vars['loss']))

    model.eval()
    with torch.no_grad():
        results = model.test_step(next(iter(runner.test_dataloader)))
    for sample in results:
        panoptic = sample.pred_panoptic_seg.sem_seg
        assert panoptic.is_cuda
        assert tuple(panoptic.shape[-2:]) == tuple(sample.ori_shape)

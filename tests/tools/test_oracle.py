"""tools/analysis_tools/oracle.py: box matching and cutting by depth on
hand-made cases; then each oracle through the test loop on tiny shapes sets,
where its effect is known: the ground-truth stuff map gives PQ_st 100 when
no instance covers it; with the ground-truth full shapes as masks,
ground-truth boxes and order give PQ_th 100, and all three oracles PQ 100."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from conftest import BASELINE_CONFIG, REPO, write_tiny_config
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmdet.registry import MODELS
from mmengine.config import Config

from mmrefine.datasets import ShapesPanopticDataset

SCRIPT = osp.join(REPO, 'tools', 'analysis_tools', 'oracle.py')
META = ShapesPanopticDataset.METAINFO
NO_DETECTIONS = {
    'model.test_cfg.rcnn.score_thr': 1.01,
    'model.test_cfg.panoptic.stuff_area_limit': 0
}


def load_tool():
    spec = importlib.util.spec_from_file_location('oracle', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parse_run():
    tool = load_tool()
    assert tool.parse_run('none') == frozenset()
    assert tool.parse_run('boxes+order') == {'boxes', 'order'}
    with pytest.raises(ValueError, match=r"unknown \['masks'\]"):
        tool.parse_run('boxes+masks')


def test_match_boxes_one_to_one_best_first():
    tool = load_tool()
    gt = torch.tensor([[0., 0., 10., 10.], [20., 0., 30., 10.]])
    pred = torch.tensor([
        [0., 0., 10., 9.],  # gt 0, IoU 0.9
        [0., 0., 10., 8.],  # gt 0 too, but lower: none
        [21., 0., 30., 10.],  # gt 1
        [50., 50., 60., 60.]
    ])  # nothing
    assert tool.match_boxes(pred, gt) == {0: 0, 2: 1}
    assert tool.match_boxes(pred[:0], gt) == {}


def test_cut_behind():
    tool = load_tool()
    masks = torch.zeros(3, 1, 6, dtype=torch.bool)
    masks[0, 0, 0:4] = True
    masks[1, 0, 2:6] = True
    masks[2, 0, 3:5] = True
    # 1 in front of 0; 2 unmatched keeps its mask and loses nothing
    cut = tool.cut_behind(masks, {0: 0, 1: 5})
    assert cut[0, 0].tolist() == [True, True, False, False, False, False]
    assert torch.equal(cut[1:], masks[1:])


@pytest.fixture(scope='module')
def occluded_set(tmp_path_factory):
    from mmrefine.datasets import generate_shapes_panoptic
    root = str(tmp_path_factory.mktemp('oracle_shapes'))
    generate_shapes_panoptic(
        root,
        num_train=1,
        num_val=12,
        img_size=(96, 96),
        min_instances=3,
        max_instances=5,
        occlusion_rate=0.8,
        size_range=(0.15, 0.3),
        seed=7)
    return root


def random_checkpoint(config, path):
    """A randomly initialised model's checkpoint."""
    model = MODELS.build(Config.fromfile(config).model)
    torch.save(dict(meta={}, state_dict=model.state_dict()), path)
    return str(path)


@pytest.fixture
def ground_truth_masks(monkeypatch):
    """Every mask head (mmdet's FCNMaskHead and ours) predicts the
    ground-truth full shapes of the ground-truth boxes the ``boxes`` oracle
    gives it (in its order), so that the other stages are exact too.
    Call the fixture with the data set's ann_file and seg_prefix."""
    tool = load_tool()
    ground_truths = {}

    def predict_by_feat(self,
                        mask_preds,
                        results_list,
                        batch_img_metas,
                        rcnn_test_cfg,
                        rescale=False,
                        **kwargs):
        for meta, results in zip(batch_img_metas, results_list):
            things = ground_truths[meta['img_id']].things(meta['img_id'])
            assert len(things) == len(results)
            masks = [
                mask_utils.decode(s['amodal_segmentation']) for s in things
            ]
            results.masks = torch.from_numpy(
                np.stack(masks) if masks else np.zeros((
                    0, *meta['ori_shape']))).bool()
            if rescale:
                results.bboxes /= results.bboxes.new_tensor(
                    meta['scale_factor']).repeat(2)
        return results_list

    def register(root):
        gt = tool.GroundTruth(
            osp.join(root, 'annotations', 'panoptic_val2017.json'),
            osp.join(root, 'annotations', 'panoptic_val2017/'),
            list(META['classes']))
        ground_truths.update({img_id: gt for img_id in gt.annotations})

    monkeypatch.setattr(FCNMaskHead, 'predict_by_feat', predict_by_feat)
    return register


def run(config, checkpoint, runs, tmp_path, options=NO_DETECTIONS):
    tool = load_tool()
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    cfg.work_dir = str(tmp_path / 'work')
    results = tool.run_oracles(cfg, checkpoint, runs)
    print(tool.format_table(results))
    return {
        run: metrics and {
            k.split('/')[-1]: v
            for k, v in metrics.items()
        }
        for run, metrics in results.items()
    }


@pytest.mark.slow
def test_oracles_on_panoptic_fpn(occluded_set, ground_truth_masks, tmp_path):
    """A stock PanopticFPN that detects nothing by itself and predicts the
    ground-truth full shape of any ground-truth box: the stuff oracle
    makes every stuff segment exact; GT boxes give every thing, in a wrong
    order (the scores tie); the GT order makes the things exact; all three
    the whole panoptic map."""
    ground_truth_masks(occluded_set)
    config = write_tiny_config(tmp_path / 'tiny.py', BASELINE_CONFIG,
                               occluded_set)
    checkpoint = random_checkpoint(config, tmp_path / 'random.pth')
    m = run(config, checkpoint,
            ['none', 'stuff', 'boxes', 'boxes+order', 'boxes+order+stuff'],
            tmp_path)
    assert m['none']['PQ_th'] == 0 and m['none']['PQ_st'] < 100
    assert m['stuff']['PQ_st'] == 100.0 and m['stuff']['PQ_th'] == 0
    assert 0 < m['boxes']['PQ_th'] < 100
    assert m['boxes']['occ_acc'] < 50
    assert m['boxes+order']['PQ_th'] == 100.0
    assert m['boxes+order']['occ_acc'] == m['boxes+order'][
        'occ_coverage'] == 100.0
    assert m['boxes+order']['occ_pairs'] >= 10
    assert m['boxes+order+stuff']['PQ'] == 100.0


@pytest.mark.slow
@pytest.mark.parametrize('config', [
    'configs/refine/refine_r18_fpn_shapes.py',
    'configs/banet/banet_r18_fpn_shapes.py',
    'configs/banet/panoptic-fpn_r18_fpn_oh_shapes.py'
])
def test_oracles_on_every_detector(config, tiny_shapes, ground_truth_masks,
                                   tmp_path):
    """REFINE (all-class logits, SOE, UE), BANet and OH-PanopticFPN (colour
    fusion), masks as above: the stuff oracle gives PQ_st 100 without
    detections, and all three oracles the whole panoptic map."""
    ground_truth_masks(tiny_shapes)
    config = write_tiny_config(tmp_path / 'tiny.py', osp.join(REPO, config),
                               tiny_shapes)
    checkpoint = random_checkpoint(config, tmp_path / 'random.pth')
    m = run(config, checkpoint, ['stuff', 'boxes+order+stuff'], tmp_path)
    assert m['stuff']['PQ_st'] == 100.0
    assert m['boxes+order+stuff']['PQ'] == 100.0


def test_order_oracle_needs_depth_order(tiny_shapes, tmp_path, capsys):
    """COCO has no depth order: the order run is refused, with the reason,
    and the others still run."""
    ann_file = osp.join(tiny_shapes, 'annotations', 'panoptic_val2017.json')
    with open(ann_file) as f:
        data = json.load(f)
    for ann in data['annotations']:
        del ann['depth_order']
    root = tmp_path / 'no_depth'
    (root / 'annotations').mkdir(parents=True)
    stripped = root / 'annotations' / 'panoptic_val2017.json'
    stripped.write_text(json.dumps(data))
    config = write_tiny_config(tmp_path / 'tiny.py', BASELINE_CONFIG,
                               tiny_shapes)
    checkpoint = random_checkpoint(config, tmp_path / 'random.pth')
    options = dict(NO_DETECTIONS)
    options['test_evaluator'] = [
        dict(
            type='CocoPanopticMetric',
            ann_file=str(stripped),
            nproc=1,
            seg_prefix=osp.join(tiny_shapes, 'annotations',
                                'panoptic_val2017/'))
    ]
    options['test_dataloader.dataset.ann_file'] = str(stripped)
    m = run(config, checkpoint, ['order', 'stuff'], tmp_path, options)
    assert m['order'] is None
    assert "has no 'depth_order'" in capsys.readouterr().out
    assert m['stuff']['PQ_st'] == 100.0

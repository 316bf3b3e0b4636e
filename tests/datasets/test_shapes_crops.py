import numpy as np

from mmrefine.datasets import generate_shapes_crops


def test_crops_cover_every_class_and_are_deterministic():
    crops, labels = generate_shapes_crops(12, crop_size=32, seed=3)
    assert crops.shape == (len(labels), 32, 32, 3)
    assert crops.dtype == np.uint8 and labels.dtype == np.int64
    # 4 thing classes, then the 3 stuff textures
    assert set(labels.tolist()) == set(range(7))
    again, again_labels = generate_shapes_crops(12, crop_size=32, seed=3)
    np.testing.assert_array_equal(crops, again)
    np.testing.assert_array_equal(labels, again_labels)
    other, _ = generate_shapes_crops(12, crop_size=32, seed=4)
    assert not np.array_equal(crops[:len(other)], other[:len(crops)])


def test_crops_follow_the_class_subset():
    _, labels = generate_shapes_crops(
        6, crop_size=16, thing_classes=('star', ), stuff_classes=('checker', ))
    assert set(labels.tolist()) <= {0, 1} and 1 in labels and 0 in labels

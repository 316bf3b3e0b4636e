"""Claim verdicts: the Wilson interval and the paired-seed rule."""
import pytest

from mmrefine.utils import gain_verdict, pooled_accuracy, wilson_interval


def test_wilson_interval_known_values():
    # 50 of 100: the textbook 95 % interval [40.4, 59.6]
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(40.383, abs=1e-3)
    assert high == pytest.approx(59.617, abs=1e-3)
    # no successes: the lower bound is 0, the upper z^2 / (n + z^2)
    low, high = wilson_interval(0, 10)
    assert low == pytest.approx(0.0, abs=1e-9)
    assert high == pytest.approx(100 * 1.96**2 / (10 + 1.96**2))
    with pytest.raises(ValueError, match='11 of 10'):
        wilson_interval(11, 10)


@pytest.mark.parametrize('diffs,verdict', [
    ([1.0, 1.2, 0.8], 'shown'),
    ([-1.0, -1.2, -0.8], 'refuted (the opposite is shown)'),
    ([2.0, -0.5, 0.9], 'not shown (|mean| <= 2 sd)'),
    ([3.0, 3.0], 'not judged (n = 2, needs 3)'),
    ([], 'not judged (n = 0, needs 3)'),
])
def test_gain_verdict(diffs, verdict):
    assert gain_verdict(diffs) == verdict


def test_gain_verdict_boundary_and_target():
    # mean 1.0, sd 0.5: 2 sd equals the mean, which is not more than it
    assert gain_verdict([0.5, 1.0, 1.5]).startswith('not shown')
    assert gain_verdict([3.1, 3.3, 3.2], target=3) == 'shown; target +3 met'
    assert gain_verdict([1.1, 1.3, 1.2],
                        target=3) == 'shown; target +3 not met'


def test_pooled_accuracy_counts_pairs():
    results = [
        dict(metrics={
            'occlusion/occ_acc': 75.0,
            'occlusion/occ_pairs': 4
        }),
        dict(metrics={
            'occlusion/occ_acc': 50.0,
            'occlusion/occ_pairs': 2
        })
    ]
    assert pooled_accuracy(results) == (4, 6)

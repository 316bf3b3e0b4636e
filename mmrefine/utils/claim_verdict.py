"""Verdicts on the papers' claims from a grid's result files.

A claim compares a row with its baseline row on one metric, seed by seed:
the difference ``row - baseline`` at every seed both rows have. It is
*shown* when the mean difference is positive and more than twice the sample
standard deviation of the differences, *refuted* when it is negative by the
same margin, and *not shown* otherwise; with fewer seeds than the claim
needs, it is *not judged*. A claim on occlusion accuracy also needs enough
judged pairs in each row (pooled over the seeds) and reports each row's
pooled accuracy with its 95 % Wilson interval.
"""
import math
import statistics
from typing import List, Optional, Tuple

OCC_ACC = 'occ_acc'


def wilson_interval(successes: int,
                    total: int,
                    z: float = 1.96) -> Tuple[float, float]:
    """The Wilson score interval of a proportion, in percent.

    .. math::

        \\frac{\\hat p + \\frac{z^2}{2n} \\pm z \\sqrt{\\frac{\\hat p (1 -
        \\hat p)}{n} + \\frac{z^2}{4 n^2}}}{1 + \\frac{z^2}{n}}

    Args:
        successes (int): the number of successes, ``0 <= successes <=
            total``.
        total (int): the number of trials, ``> 0``.
        z (float): the normal quantile. Defaults to 1.96 (95 %).

    Returns:
        tuple[float, float]: the lower and upper bound, in percent.
    """
    if total <= 0 or not 0 <= successes <= total:
        raise ValueError(f'wilson_interval: expected 0 <= successes <= '
                         f'total and total > 0, got {successes} of {total}')
    p = successes / total
    centre = p + z * z / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    scale = 1 + z * z / total
    return 100 * (centre - margin) / scale, 100 * (centre + margin) / scale


def gain_verdict(differences: List[float],
                 min_seeds: int = 3,
                 target: Optional[float] = None) -> str:
    """The verdict on ``row - baseline`` differences, one per seed.

    Args:
        differences (list[float]): the paired differences.
        min_seeds (int): the seeds a verdict needs. Defaults to 3.
        target (float, optional): a gain the mean is compared with, when
            the gain is shown. Defaults to None.

    Returns:
        str: ``'shown'``, ``'refuted'``, ``'not shown'`` or ``'not
        judged'``, with the reason.
    """
    n = len(differences)
    if n < min_seeds or n < 2:
        return f'not judged (n = {n}, needs {max(min_seeds, 2)})'
    mean = statistics.fmean(differences)
    bound = 2 * statistics.stdev(differences)
    if mean > 0 and mean > bound:
        verdict = 'shown'
        if target is not None:
            met = 'met' if mean >= target else 'not met'
            verdict += f'; target +{target:g} {met}'
        return verdict
    if mean < 0 and -mean > bound:
        return 'refuted (the opposite is shown)'
    return 'not shown (|mean| <= 2 sd)'


def pooled_accuracy(results: List[dict]) -> Tuple[int, int]:
    """(correct, judged) occluding pairs over result files."""
    correct = judged = 0
    for result in results:
        metrics = result['metrics']
        pairs = int(metrics['occlusion/occ_pairs'])
        judged += pairs
        correct += round(metrics['occlusion/occ_acc'] * pairs / 100)
    return correct, judged

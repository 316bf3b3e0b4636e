"""Checks of the dict options and numbers the package reads from configs,
run when a model is built so that a typo fails before a long run starts."""
import numbers
from typing import Mapping, Optional


def merge_options(owner: str, name: str, given: Optional[Mapping],
                  defaults: Mapping) -> dict:
    """``defaults`` updated by ``given``; an unknown key is an error.

    Args:
        owner (str): Who reads the option, for the message.
        name (str): The option's name in the config, e.g.
            ``'train_cfg.rcnn.occlusion'``.
        given (Mapping, optional): The option as configured; None: the
            defaults.
        defaults (Mapping): Every known key with its default.

    Returns:
        dict: The merged option.
    """
    if given is None:
        return dict(defaults)
    if not isinstance(given, Mapping):
        raise TypeError(f'{owner}: {name} must be a dict, got '
                        f'{type(given).__name__} {given!r}')
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(f'{owner}: unknown key(s) {unknown} in {name}; '
                         f'known keys: {sorted(defaults)}')
    return {**defaults, **given}


def check_number(owner: str,
                 name: str,
                 value,
                 low: Optional[float] = None,
                 high: Optional[float] = None,
                 integer: bool = False,
                 low_open: bool = False):
    """Return ``value`` if it is a number (an int with ``integer``) in
    ``[low, high]`` (``(low, high]`` with ``low_open``); raise naming
    ``name`` otherwise."""
    kind = numbers.Integral if integer else numbers.Real
    valid = isinstance(value, kind) and not isinstance(value, bool)
    if valid and low is not None:
        valid = value > low if low_open else value >= low
    if valid and high is not None:
        valid = value <= high
    if not valid:
        what = 'an int' if integer else 'a number'
        bounds = ''
        if low is not None:
            bounds += f' {">" if low_open else ">="} {low}'
        if high is not None:
            bounds += (' and' if bounds else '') + f' <= {high}'
        raise ValueError(f'{owner}: {name} must be {what}{bounds}, got '
                         f'{value!r}')
    return value

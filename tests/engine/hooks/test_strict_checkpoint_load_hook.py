"""A checkpoint that does not fit the model is refused, listing why."""
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from mmrefine.engine import StrictCheckpointLoadHook


def runner():
    return SimpleNamespace(
        model=nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1)))


def checkpoint(**changes):
    state = {
        '0.weight': torch.zeros(3, 2),
        '0.bias': torch.zeros(3),
        '1.weight': torch.zeros(1, 3),
        '1.bias': torch.zeros(1)
    }
    state.update(changes)
    return {'state_dict': {k: v for k, v in state.items() if v is not None}}


def test_a_fitting_checkpoint_passes():
    StrictCheckpointLoadHook().after_load_checkpoint(runner(), checkpoint())
    # mmengine drops DDP's `module.` prefix when it loads: so do we
    ddp = {
        'state_dict': {
            'module.' + k: v
            for k, v in checkpoint()['state_dict'].items()
        }
    }
    StrictCheckpointLoadHook().after_load_checkpoint(runner(), ddp)


def test_missing_unexpected_and_mismatched_are_listed():
    bad = checkpoint(
        **{
            '1.bias': None,
            'head.weight': torch.zeros(2),
            '0.weight': torch.zeros(4, 2)
        })
    pattern = (r'does not fit the model: 1 missing keys \[1\.bias\]; '
               r'1 unexpected keys \[head\.weight\]; 1 shape mismatches '
               r'\[0\.weight: checkpoint \(4, 2\), model \(3, 2\)\]\. .* '
               r'pass --partial-load')
    with pytest.raises(RuntimeError, match=pattern):
        StrictCheckpointLoadHook().after_load_checkpoint(runner(), bad)


def test_partial_load_accepted_when_asked(caplog):
    bad = checkpoint(**{'1.bias': None})
    StrictCheckpointLoadHook(allow_partial=True).after_load_checkpoint(
        runner(), bad)


def test_long_lists_are_counted():
    state = {f'extra.{i}': torch.zeros(1) for i in range(25)}
    state.update(checkpoint()['state_dict'])
    with pytest.raises(
            RuntimeError, match=r'25 unexpected keys \[.*\(5 more\)\]'):
        StrictCheckpointLoadHook().after_load_checkpoint(
            runner(), {'state_dict': state})


def test_allowed_missing_accepts_only_that_part():
    """A config that starts a new head from another model's checkpoint."""
    hook = StrictCheckpointLoadHook(allowed_missing=['1.'])
    hook.after_load_checkpoint(
        runner(), checkpoint(**{
            '1.weight': None,
            '1.bias': None
        }))
    with pytest.raises(RuntimeError, match=r'1 missing keys \[0\.bias\]'):
        hook.after_load_checkpoint(
            runner(), checkpoint(**{
                '0.bias': None,
                '1.bias': None
            }))

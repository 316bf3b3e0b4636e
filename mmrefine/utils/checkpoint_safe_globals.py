"""Make mmengine checkpoints loadable under torch >= 2.6.

torch 2.6 made ``torch.load(weights_only=True)`` the default. mmengine 0.10.7
does not pass ``weights_only``, and every checkpoint its Runner saves holds
the ``message_hub`` state (``HistoryBuffer`` objects wrapping numpy arrays)
and numpy scalars, so ``resume``, ``load_from`` and ``test.py --checkpoint``
fail with ``UnpicklingError: Weights only load failed``.

Rather than turning ``weights_only`` off, the few globals mmengine's own
checkpoints contain are allow-listed; any other pickled object is still
refused by the weights-only unpickler.
"""
import pickle

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
# numpy < 2 (required by mmcv 2.1) pickles arrays and scalars with these
from numpy.core.multiarray import _reconstruct, scalar

_BUILTIN_STATISTICS = {'min', 'max', 'current', 'mean'}


def _history_buffer_attribute(owner, name):
    """Stands in for ``builtins.getattr`` while unpickling.

    A ``HistoryBuffer`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``. Allowing ``getattr`` itself would let
    a crafted checkpoint reach any attribute of any allowed object (e.g.
    ``ndarray.tofile``), so only that one lookup is allowed.
    """
    # the built-in methods, and any registered with register_statistics
    # (that registry is filled lazily, by the first HistoryBuffer made)
    if owner is HistoryBuffer and name in _BUILTIN_STATISTICS | set(
            owner._statistics_methods):
        return getattr(owner, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({owner!r}, {name!r}); only statistics '
        f'methods of HistoryBuffer are allowed')


def _empty_bytes(*args):
    """Stands in for ``builtins.bytes`` while unpickling.

    Pickle protocol 2 (``torch.save``'s) writes an empty bytes object as the
    call ``bytes()``; numpy writes a zero-size array's data (an empty
    ``HistoryBuffer``, any empty array) that way. Only that call is allowed:
    ``bytes(n)`` would let a crafted checkpoint allocate any amount.
    """
    if args:
        raise pickle.UnpicklingError(
            f'checkpoint asks for bytes(*{args!r}); only bytes() is allowed')
    return b''


def register_checkpoint_safe_globals():
    """Allow-list the globals of mmengine checkpoints for ``torch.load``.

    Idempotent; does nothing on torch versions without
    ``torch.serialization.add_safe_globals`` (< 2.4), which do not default
    to ``weights_only=True`` either.
    """
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return
    # concrete dtype classes (numpy.dtypes.Float64DType, ...) appear in
    # pickles of dtypes made by numpy >= 1.25
    dtype_classes = {
        type(np.dtype(c))
        for c in np.typecodes['All'] if c != 'O'
    }
    torch.serialization.add_safe_globals([
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        _reconstruct,
        scalar,
        *sorted(dtype_classes, key=lambda t: t.__name__),
        (_history_buffer_attribute, 'builtins.getattr'),
        (_empty_bytes, 'builtins.bytes'),
    ])

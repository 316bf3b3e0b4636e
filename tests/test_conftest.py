"""The shared test helpers of conftest.py."""
import pytest
import torch
from conftest import leaf_copy


def test_to_returns_its_input_when_nothing_changes():
    # The trap leaf_copy avoids (the CUDA parity test once fell into it).
    x = torch.randn(3)
    assert x.to('cpu', torch.float32) is x


@pytest.mark.parametrize('source_requires_grad', [False, True])
@pytest.mark.parametrize('dtype', [None, torch.float32, torch.float64])
def test_leaf_copy_is_a_fresh_leaf(source_requires_grad, dtype):
    x = torch.randn(3, requires_grad=source_requires_grad)
    y = leaf_copy(x, 'cpu', dtype)
    assert y is not x and y.data_ptr() != x.data_ptr()
    assert y.is_leaf and y.requires_grad
    assert y.dtype == (dtype or x.dtype)
    assert x.requires_grad == source_requires_grad
    (2 * y).sum().backward()
    torch.testing.assert_close(y.grad, torch.full_like(y, 2))
    assert x.grad is None
    torch.testing.assert_close(y.detach(), x.detach().to(y.dtype))


@pytest.mark.cuda
def test_leaf_copy_to_cuda():
    x = torch.randn(3, requires_grad=True)
    y = leaf_copy(x, 'cuda')
    assert y.is_cuda and y.is_leaf
    y.sum().backward()
    assert y.grad is not None and x.grad is None

"""On a machine with an NVIDIA GPU: the CUDA backend against the real torch.cuda (skipped elsewhere)."""

from __future__ import annotations

import pytest
import torch

pytestmark = pytest.mark.gpu


@pytest.fixture()
def cuda_acc():  # type: ignore[no-untyped-def]
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    from isthmus.accel.cuda import CudaAccelerator

    return CudaAccelerator()


def test_cuda_backend_on_real_hardware(cuda_acc) -> None:  # type: ignore[no-untyped-def]
    x = torch.ones(1024, 1024, device=cuda_acc.device())
    start, end = cuda_acc.Event(enable_timing=True), cuda_acc.Event(enable_timing=True)
    start.record()
    y = x @ x
    end.record()
    cuda_acc.synchronize()
    assert start.elapsed_time(end) > 0 and y.is_cuda
    assert cuda_acc.memory_allocated() > 0 and cuda_acc.max_memory_allocated() >= cuda_acc.memory_allocated()
    free, total = cuda_acc.mem_get_info()
    assert 0 < free <= total
    with cuda_acc.autocast():
        z = torch.nn.functional.linear(x, x)
    assert z.dtype == cuda_acc.autocast_dtype()
    assert isinstance(cuda_acc.supports_fp8(), bool)

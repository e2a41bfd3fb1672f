"""Hand-curated facts the yaml registries do not carry, each with its source.

- LOWERINGS: CompositeImplicit operators whose C++ implementation picks a device-specific kernel at run time
  (so tracing them on the host would show the host's choice, e.g. `_scaled_dot_product_flash_attention_for_cpu`).
  The inventory records them at this level and these tables say what each device type runs instead.
- HOST_KERNELS: CPU-only kernels that the CPU's implementation of a device-neutral operator calls through the
  dispatcher (so an emulation on the host sees them): judged as the operator the program called.
- SLOW: known slow paths (Ascend AICPU) keyed by operator base name and input dtypes.
- SUGGESTIONS: a portable replacement for operators that fail or fall back.
"""

from __future__ import annotations

from dataclasses import dataclass

_RNN_CUDNN = "aten/src/ATen/native/RNN.cpp: _cudnn_rnn via the lstm/gru/rnn cudnn dispatch stubs on CUDA tensors"
# op key -> device type -> (kernels the composite dispatches to on that device, source)
LOWERINGS: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "scaled_dot_product_attention": {
        "cuda": (
            ("_scaled_dot_product_flash_attention", "_scaled_dot_product_efficient_attention",
             "_scaled_dot_product_cudnn_attention"),
            "aten/src/ATen/native/transformers/attention.cpp: scaled_dot_product_attention() switches on "
            "_fused_sdp_choice (flash, mem-efficient, cuDNN, math)",
        ),
        "cpu": (
            ("_scaled_dot_product_flash_attention_for_cpu",),
            "aten/src/ATen/native/transformers/attention.cpp: the CPU choice is the flash kernel for CPU",
        ),
    },
    "dropout": {
        "cuda": (("native_dropout",), "aten/src/ATen/native/Dropout.cpp: is_fused_kernel_acceptable (CUDA)"),
        "npu": (("native_dropout",), "aten/src/ATen/native/Dropout.cpp: is_fused_kernel_acceptable (PrivateUse1)"),
    },
    "rms_norm": {
        "cuda": (("_fused_rms_norm",), "aten/src/ATen/native/layer_norm.cpp: rms_norm_symint uses the fused "
                 "kernel on CUDA"),
    },
    "lstm.input": {"cuda": (("_cudnn_rnn",), _RNN_CUDNN)},
    "lstm.data": {"cuda": (("_cudnn_rnn",), _RNN_CUDNN)},
    "gru.input": {"cuda": (("_cudnn_rnn",), _RNN_CUDNN)},
    "gru.data": {"cuda": (("_cudnn_rnn",), _RNN_CUDNN)},
    "rnn_tanh.input": {"cuda": (("_cudnn_rnn",), _RNN_CUDNN)},
    "rnn_relu.input": {"cuda": (("_cudnn_rnn",), _RNN_CUDNN)},
}  # fmt: skip

_MKLDNN_RNN = (
    "aten/src/ATen/native/RNN.cpp: lstm() calls mkldnn_rnn_layer on CPU tensors when use_mkldnn() holds "
    "(aten/src/ATen/native/mkldnn/RNN.cpp); its backward is mkldnn_rnn_layer_backward"
)
# host kernel packet -> (op key the program called, source)
HOST_KERNELS: dict[str, tuple[str, str]] = {
    "mkldnn_rnn_layer": ("lstm.input", _MKLDNN_RNN),
    "mkldnn_rnn_layer_backward": ("lstm.input", _MKLDNN_RNN),
}

DTYPE_NAMES = (
    "float64", "float32", "float16", "bfloat16", "float8_e4m3fn", "float8_e5m2", "complex128", "complex64",
    "int64", "int32", "int16", "int8", "uint8", "bool",
)  # fmt: skip


@dataclass(frozen=True)
class SlowPath:
    """An operator that runs far slower than expected on a device type for some input dtypes."""

    dtypes: frozenset[str]  # empty: every dtype
    note: str


_ARGSORT = SlowPath(
    frozenset({"int32", "int64"}),
    "runs on AICPU for int32/int64 (torch_npu warning 'kernel [ArgSort] can not support dtype int32 or int64 "
    "on AiCore, Now this kernel is running on AiCpu')",
)
# device type -> operator base name -> slow path
SLOW: dict[str, dict[str, SlowPath]] = {"npu": {"sort": _ARGSORT, "argsort": _ARGSORT}}

# operator base name -> portable replacement
SUGGESTIONS: dict[str, str] = {
    "_int_mm": "use a float16/bfloat16 matmul, or torch_npu.npu_quant_matmul on Ascend behind a device check",
    "_weight_int4pack_mm": "use torch_npu.npu_weight_quant_batchmatmul on Ascend behind a device check",
    "_fused_rms_norm": "use the unfused x * rsqrt(mean(x^2) + eps), or torch_npu.npu_rms_norm on Ascend",
    "_flash_attention_forward": "call F.scaled_dot_product_attention: every target has a fused kernel for it",
    "_efficient_attention_forward": "call F.scaled_dot_product_attention: every target has a fused kernel for it",
    "view_as_complex": "write rotary embeddings with real cos/sin tensors instead of complex numbers",
    "polar": "write rotary embeddings with real cos/sin tensors instead of complex numbers",
    "cholesky": "solve on the CPU explicitly (x.cpu()) outside the hot loop",
    "linalg_cholesky_ex": "solve on the CPU explicitly (x.cpu()) outside the hot loop",
    "_linalg_eigh": "compute on the CPU explicitly (x.cpu()) outside the hot loop",
    "lgamma": "precompute on the CPU, or use torch.special functions with an NPU kernel",
    "digamma": "precompute on the CPU, or use torch.special functions with an NPU kernel",
    "logcumsumexp": "use cumsum on exp(x - max) with an explicit max shift",
    "cummax": "use a loop-free formulation (e.g. torch.maximum over shifted views) or compute on the CPU",
    "_cudnn_rnn": "use nn.LSTM/nn.GRU (they dispatch to each device's own RNN kernels)",
}
DTYPE_SUGGESTIONS: dict[str, str] = {
    "float64": "use float32 (compute in float64 once on the CPU if precision demands it)",
    "complex128": "use complex64, or real-valued cos/sin formulations",
    "bfloat16": "use float16 with a GradScaler on Ascend 910A",
    "float8_e4m3fn": "keep bf16/fp16 on this target; FP8 needs Hopper or newer",
    "float8_e5m2": "keep bf16/fp16 on this target; FP8 needs Hopper or newer",
}


def suggestion_for(op_key: str) -> str | None:
    """The replacement suggested for an operator key (`_int_mm`, `view_as_complex`...), if any."""
    return SUGGESTIONS.get(op_key.split(".", 1)[0])

"""Emulate a model (`isthmus emulate MODEL`): build it on the host, run forward (and backward + optimizer step with
`train`) on the emulated target, and return the report even when the factory or the model crashes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from isthmus.ops.emulate import TargetLike, emulation, record_crash, resolve_target
from isthmus.ops.emulate_report import EmulationReport

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class EmulationOutcome:
    """The report and, when the run ended early, the exception that ended it (already recorded as the last entry)."""

    report: EmulationReport
    error: BaseException | None = None


def emulate_model(
    spec: str,
    target: str | TargetLike,
    *,
    strict: bool = False,
    numerics: bool = False,
    compute_dtype: torch.dtype | None = None,
    train: bool = False,
    steps: int = 1,
    input_shape: tuple[int, ...] | None = None,
    seed: int = 0,
    torch_npu_version: str | None = None,
) -> EmulationOutcome:
    """Run the model `spec` names (see `isthmus.models.load_model`) under `emulation(target)`.

    Model construction and input generation run on the host, outside the emulation, as they would before a
    `.to(device)`. With `train`, each step runs forward, a mean-of-outputs loss, backward and an AdamW step.
    """
    import torch

    from isthmus.models import load_model, make_inputs

    profile = resolve_target(target, torch_npu_version)
    try:
        loaded = load_model(spec, device="cpu", seed=seed)
        inputs = make_inputs(loaded, input_shape, seed=seed)
    except Exception as e:
        report = EmulationReport(
            target=profile.name, strict=strict, numerics=numerics, registry_source=str(profile.registry_source)
        )
        record_crash(report, e)
        report.finish()
        return EmulationOutcome(report, e)
    module = loaded.module
    module.train(train)
    optimizer = torch.optim.AdamW([p for p in module.parameters() if p.requires_grad], lr=1e-4) if train else None
    try:
        with emulation(profile, strict=strict, numerics=numerics, compute_dtype=compute_dtype, root=module) as report:
            for _ in range(max(1, steps)):
                _step(module, inputs, optimizer)
    except Exception as e:
        return EmulationOutcome(report, e)
    return EmulationOutcome(report)


def _step(module: Any, inputs: tuple[Any, ...], optimizer: Any) -> None:
    import torch

    if optimizer is None:
        with torch.no_grad():
            module(*inputs)
        return
    out = module(*inputs)
    loss = _loss(out)
    if loss is not None:
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)


def _loss(out: Any) -> Any:
    """A scalar to differentiate: the mean of the first floating output that requires grad (or None)."""
    import torch

    if isinstance(out, Mapping):  # dicts and Hugging Face ModelOutput
        candidates = list(out.values())
    elif isinstance(out, (tuple, list)):
        candidates = list(out)
    else:
        candidates = [out]
    for t in candidates:
        if isinstance(t, torch.Tensor) and t.is_floating_point() and t.requires_grad:
            return t.float().mean()
    return None

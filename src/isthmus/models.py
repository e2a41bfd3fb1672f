"""Load a user's model from a spec string, the same way for `ops`, `emulate`, `parity` and `assess`.

Specs:
- `path/to/file.py:factory` or `package.module:factory`: a callable returning an `nn.Module`, or
  `(module, example_inputs)` where example_inputs is a tensor or a tuple of arguments;
- a Hugging Face model directory containing `config.json`: built from the config with random weights (no weights
  are read), needs `transformers`;
- a `torch.export` archive (`.pt2`), loaded with `torch.export.load`.

Trust: every one of these runs code from the user. A factory is Python that is imported and called; a `.pt2`
archive is no safer: `torch.export.load` unpickles parts of it (torch's export serde falls back to
`weights_only=False`), so loading one can run arbitrary code, like a `.py` factory. Only load models you trust.
isthmus's own files (parity records, reports) are JSON and safetensors and are never loaded through this module.

`device="meta"` builds the module without allocating weights (for operator inventories of very large models).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from isthmus.errors import InputError, NotInstalledError
from isthmus.extras import install_command

if TYPE_CHECKING:
    import torch
    from torch import nn

ModelKind = Literal["factory", "hf", "export"]
MAX_REAL_INPUT_BYTES = 4 * 2**30  # generated inputs for a real (CPU) run; meta inputs have no limit


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to run: the module, the inputs its factory suggested (or None), and where it came from."""

    module: nn.Module
    example_inputs: tuple[Any, ...] | None
    spec: str
    kind: ModelKind
    name: str


def load_model(spec: str, *, device: str = "cpu", seed: int = 0) -> LoadedModel:
    """Build the model that `spec` names on `device` (seeded, so random weights are reproducible).

    This runs the user's code (the factory, or the pickled parts of a `.pt2`): pass only specs you trust.
    """
    import torch

    kind = check_spec(spec)
    torch.manual_seed(seed)
    if kind == "export":
        return _load_export(Path(spec), spec)
    if kind == "hf":
        return _load_hf(Path(spec), spec, device)
    return _load_factory(spec, device)


def check_spec(spec: str) -> ModelKind:
    """The kind of model `spec` names, after checking that what it points at exists, without running any code.

    Catches typos (a missing file, a directory without config.json, a spec without `:factory`) before a model is
    built; importing the module and calling the factory are left to `load_model`.
    """
    path = Path(spec)
    if path.suffix == ".pt2":
        if not path.is_file():
            raise InputError(f"{path} does not exist", hint="pass a file written by torch.export.save")
        return "export"
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise InputError(
                f"{path} is a directory without config.json",
                hint="pass a Hugging Face model directory or file.py:factory",
            )
        return "hf"
    target, _ = _split_spec(spec)
    if _is_file_target(target) and not Path(target).expanduser().is_file():
        raise InputError(f"model file {target} does not exist", hint="check the path before the ':'")
    return "factory"


def _is_file_target(target: str) -> bool:
    return target.endswith(".py") or "/" in target or "\\" in target


def _split_spec(spec: str) -> tuple[str, str]:
    target, sep, attr = spec.rpartition(":")
    if not sep or not target or not attr or not attr.isidentifier():
        raise InputError(
            f"cannot understand model spec {spec!r}",
            hint="use path/file.py:factory, package.module:factory, a Hugging Face directory or a .pt2 file",
        )
    return target, attr


@contextlib.contextmanager
def _on_path(directory: Path) -> Iterator[None]:
    """Let a model file import its sibling modules (`from model import ...`) while it loads."""
    entry = str(directory)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)


def _import_target(target: str) -> Any:
    if _is_file_target(target):
        file = Path(target).expanduser().resolve()
        if not file.is_file():
            raise InputError(f"model file {target} does not exist", hint="check the path before the ':'")
        name = f"_isthmus_model_{abs(hash(str(file)))}"
        module_spec = importlib.util.spec_from_file_location(name, file)
        if module_spec is None or module_spec.loader is None:
            raise InputError(f"cannot import {file}", hint="the model file must be a Python source file")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        with _on_path(file.parent):
            try:
                module_spec.loader.exec_module(module)
            except Exception as e:
                sys.modules.pop(name, None)
                raise InputError(f"importing {file} failed: {type(e).__name__}: {e}") from e
        return module
    try:
        return importlib.import_module(target)
    except ImportError as e:
        raise InputError(
            f"cannot import module {target!r}: {e}", hint="is the package installed or on PYTHONPATH?"
        ) from e


def _as_inputs(value: Any) -> tuple[Any, ...]:
    return value if isinstance(value, tuple) else tuple(value) if isinstance(value, list) else (value,)


def _load_factory(spec: str, device: str) -> LoadedModel:
    import torch
    from torch import nn

    target, attr = _split_spec(spec)
    module = _import_target(target)
    factory = getattr(module, attr, None)
    if factory is None or not callable(factory):
        names = sorted(n for n in dir(module) if callable(getattr(module, n)) and not n.startswith("_"))
        raise InputError(f"{target} has no callable {attr!r}", hint=f"callables there: {', '.join(names[:12])}")
    directory = Path(target).resolve().parent if target.endswith(".py") else Path.cwd()
    try:
        with _on_path(directory), torch.device(device):
            result = factory()
    except Exception as e:
        raise InputError(f"model factory {spec} raised {type(e).__name__}: {e}") from e
    inputs: tuple[Any, ...] | None = None
    pair: Any = result
    if isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], nn.Module):
        result, inputs = pair[0], _as_inputs(pair[1])
    if not isinstance(result, nn.Module):
        raise InputError(
            f"model factory {spec} returned {type(result).__name__}, not an nn.Module",
            hint="return a module, or (module, example_inputs)",
        )
    if inputs is not None:
        inputs = tuple(t.to(device) if isinstance(t, torch.Tensor) else t for t in inputs)
    return LoadedModel(result.to(device) if device != "meta" else result, inputs, spec, "factory", attr)


_SIZE_KEY = re.compile(r"^(num_|n_)|(_size|_dim|_layers|_heads|_experts|_positions)$|^(vocab|hidden|d_model|d_ff)")


def _check_sizes(config: dict[str, Any], where: Path) -> None:
    """Sizes and counts (hidden_size, num_hidden_layers, n_head...) must be positive: transformers builds some
    impossible configs without complaint and fails only in the forward pass, far from the cause."""
    for key, value in config.items():
        if isinstance(value, dict):
            _check_sizes(value, where)  # nested text_config / vision_config
        elif isinstance(value, int) and not isinstance(value, bool) and _SIZE_KEY.search(key) and value < 0:
            raise InputError(f"{where}: {key} = {value}", hint="sizes and counts in config.json must be >= 0")


def _load_hf(path: Path, spec: str, device: str) -> LoadedModel:
    import torch

    config_file = path / "config.json"
    try:
        raw = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{config_file}: not valid JSON: {e}") from e
    if not isinstance(raw, dict):
        raise InputError(f"{config_file}: not a JSON object", hint="a Hugging Face config.json is one object")
    _check_sizes(raw, config_file)
    if importlib.util.find_spec("transformers") is None:
        raise NotInstalledError("transformers (needed for Hugging Face configs)", install_command("hf"))
    import transformers

    try:
        config = transformers.AutoConfig.from_pretrained(str(path), local_files_only=True)
        causal_lm: Any = transformers.AutoModelForCausalLM  # untyped in some transformers releases
        base: Any = transformers.AutoModel
        with torch.device(device):
            try:
                module = causal_lm.from_config(config)
            except ValueError:
                module = base.from_config(config)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:
        # a config with impossible sizes (negative, zero heads) fails while the modules are built
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InputError(
            f"{config_file}: cannot build a model from this config: {first}",
            hint="check the sizes in config.json (vocab_size, hidden_size, heads, layers must be positive)",
        ) from e
    return LoadedModel(module.eval(), None, spec, "hf", getattr(config, "model_type", path.name))


def _load_export(path: Path, spec: str) -> LoadedModel:
    import logging
    import zipfile

    import torch

    if not zipfile.is_zipfile(path):  # torch.export.load would log a traceback before raising
        raise InputError(f"{path}: not a torch.export archive (not a zip file)", hint="pass a file written by "
                         "torch.export.save")  # fmt: skip
    log = logging.getLogger("torch.export")
    level = log.level
    log.setLevel(logging.CRITICAL)  # its own tracebacks for unreadable archives: our one-line error says it
    try:  # trusted input only: torch.export.load can unpickle (see the module docstring)
        program = torch.export.load(str(path))
    except Exception as e:
        first = str(e).splitlines()[0] if str(e) else ""
        raise InputError(f"{path}: not a readable torch.export archive: {type(e).__name__}: {first}") from e
    finally:
        log.setLevel(level)
    args, kwargs = program.example_inputs or ((), {})
    inputs = tuple(args) if not kwargs else None
    return LoadedModel(program.module(), inputs, spec, "export", path.stem)


def make_inputs(
    loaded: LoadedModel,
    input_shape: tuple[int, ...] | None = None,
    dtype: torch.dtype | None = None,
    seed: int = 0,
    device: str = "cpu",
) -> tuple[Any, ...]:
    """Inputs for `loaded`: its own example inputs unless a shape is given; token ids for language models.

    A language model is recognised by an input embedding (`get_input_embeddings()` or a first `nn.Embedding`);
    its inputs are int64 token ids below the vocabulary size. Anything else gets standard-normal floats.
    Same seed and shape, same inputs, on every machine (generated on the CPU, then moved).
    """
    import torch
    from torch import nn

    if input_shape is None and loaded.example_inputs is not None:
        return loaded.example_inputs
    vocab = _vocab_size(loaded.module)
    shape = input_shape or (1, 16)
    first = next((m for m in loaded.module.modules() if isinstance(m, nn.Linear)), None)
    if not vocab and input_shape is None and first is not None:
        shape = (1, first.in_features)
    dt = torch.long if vocab else dtype or torch.float32
    if device == "meta":  # no values: nothing is allocated, whatever the shape
        return (torch.empty(shape, dtype=dt, device="meta"),)
    size = math.prod(shape) * dt.itemsize
    if size > MAX_REAL_INPUT_BYTES:
        raise InputError(
            f"input shape {','.join(map(str, shape))} needs {size / 2**30:,.1f} GiB of real memory",
            hint=f"use a smaller --input-shape (at most {MAX_REAL_INPUT_BYTES // 2**30} GiB of inputs for a real run); "
            "isthmus ops captures on meta tensors, where any shape costs nothing",
        )
    gen = torch.Generator().manual_seed(seed)
    if vocab:
        ids = torch.randint(0, vocab, shape, generator=gen, dtype=torch.long)
        return (ids.to(device),)
    return (torch.randn(shape, generator=gen, dtype=dt).to(device),)


def _vocab_size(module: nn.Module) -> int | None:
    from torch import nn

    get = getattr(module, "get_input_embeddings", None)
    emb = get() if callable(get) else None
    if not isinstance(emb, nn.Embedding):
        emb = next((m for m in module.modules() if isinstance(m, nn.Embedding)), None)
    return int(emb.num_embeddings) if isinstance(emb, nn.Embedding) else None

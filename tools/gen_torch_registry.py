"""Generate src/isthmus/ops/data/torch_registry.json from the installed torch's native_functions.yaml.

Every torch wheel ships `torchgen/packaged/ATen/native/native_functions.yaml`, the source of truth for which
backends have a kernel for each aten operator. This script reduces it to what the support logic needs:

- per operator (`name.overload`, `name` for the default overload) a string of flags:
  C: CPU kernel, G: CUDA kernel, I: CompositeImplicitAutograd (decomposed before any backend sees it),
  E: CompositeExplicitAutograd(NonFunctional) (one implementation made of other ops, used by every backend),
  V: view (returns an alias of its input, no device kernel), P: a Python decomposition exists in torch._decomp;
- the structured delegate (`add.Tensor` -> `add.out`) whose kernels the functional op uses.

Run it again after upgrading torch: `.venv/bin/python tools/gen_torch_registry.py`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import torch
import torchgen
import yaml

OUT = Path(__file__).resolve().parents[1] / "src" / "isthmus" / "ops" / "data" / "torch_registry.json"
YAML_REL = "torchgen/packaged/ATen/native/native_functions.yaml"
_FLAG_OF_KEY = {
    "CPU": "C",
    "CUDA": "G",
    "CompositeImplicitAutograd": "I",
    "CompositeExplicitAutograd": "E",
    "CompositeExplicitAutogradNonFunctional": "E",
}
_VIEW_RET = re.compile(r"->\s*\(?Tensor\([a-z]\)")  # "-> Tensor(a)": aliases an input, not written


def op_key(func: str) -> str:
    """`add.Tensor(Tensor self, ...) -> Tensor` -> `add.Tensor`; `addmm(...)` -> `addmm`."""
    return func.split("(", 1)[0].strip()


def dispatch_flags(entry: dict[str, Any]) -> set[str]:
    """The flags of one yaml entry from its dispatch table (no table and no delegate means CompositeImplicit)."""
    flags: set[str] = set()
    dispatch = entry.get("dispatch") or {}
    for keys in dispatch:
        for key in str(keys).split(","):
            flag = _FLAG_OF_KEY.get(key.strip())
            if flag:
                flags.add(flag)
    if "ufunc_inner_loop" in entry:  # torchgen generates the CPU and CUDA kernels from the ufunc loops
        flags |= {"C", "G"}
    if not dispatch and "structured_delegate" not in entry and "ufunc_inner_loop" not in entry:
        flags.add("I")
    if _VIEW_RET.search(entry["func"]) and "!" not in entry["func"].split("->", 1)[1]:
        flags.add("V")
    return flags


def python_decompositions() -> set[str]:
    """Operators with a Python decomposition in torch._decomp (used by torch.compile / export, not eager)."""
    from torch._decomp import decomposition_table

    names = set()
    for op in decomposition_table:
        schema = getattr(op, "_schema", None)
        if schema is not None and schema.name.startswith("aten::"):
            name = schema.name.removeprefix("aten::")
            names.add(f"{name}.{schema.overload_name}" if schema.overload_name else name)
    return names


def build(yaml_path: Path) -> dict[str, Any]:
    """Parse native_functions.yaml into the compact registry document."""
    raw = yaml_path.read_bytes()
    entries = yaml.safe_load(raw)
    flags: dict[str, set[str]] = {}
    delegates: dict[str, str] = {}
    for entry in entries:
        if "func" not in entry:
            continue
        key = op_key(entry["func"])
        flags[key] = dispatch_flags(entry)
        if "structured_delegate" in entry:
            delegates[key] = entry["structured_delegate"]
        for auto in entry.get("autogen", "").split(",") if entry.get("autogen") else []:
            flags.setdefault(auto.strip(), {"E"})
    # a structured functional/inplace op runs the backend kernels of its out= delegate
    for key, delegate in delegates.items():
        flags[key] |= flags.get(delegate, set()) - {"V"}
    for name in python_decompositions():
        if name in flags:
            flags[name].add("P")
    ops: dict[str, Any] = {}
    for key in sorted(flags):
        code = "".join(sorted(flags[key]))
        ops[key] = [code, delegates[key]] if key in delegates else code
    return {
        "format": "isthmus-torch-registry/1",
        "source": {
            "package": "torch",
            "version": torch.__version__,
            "file": YAML_REL,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "generated": dt.date.today().isoformat(),
            "flags": "C=CPU kernel, G=CUDA kernel, I=CompositeImplicitAutograd, E=CompositeExplicitAutograd, "
            "V=view, P=Python decomposition in torch._decomp",
        },
        "ops": ops,
    }


def compact_json(doc: dict[str, Any]) -> str:
    """JSON with one operator per line: small, and diffs between torch versions stay readable."""
    head = {k: v for k, v in doc.items() if k != "ops"}
    lines = [json.dumps(k) + ":" + json.dumps(v, separators=(",", ":")) for k, v in doc["ops"].items()]
    return json.dumps(head, indent=1)[:-2] + ',\n "ops": {\n' + ",\n".join(lines) + "\n}}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--yaml", type=Path, default=Path(torchgen.__file__).parent / YAML_REL.split("/", 1)[1])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    doc = build(args.yaml)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = compact_json(doc)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(args.out)
    print(f"wrote {args.out} ({len(doc['ops'])} operators, torch {torch.__version__})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

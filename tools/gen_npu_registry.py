"""Generate an Ascend operator registry from a torch_npu wheel published on PyPI.

The torch_npu wheel ships the vendor's own list of the aten operators it registers NPU kernels for:
`torch_npu/csrc/aten/npu_native_functions.yaml` (base operators: views, copies, factories) and
`torch_npu/csrc/aten/npu_native_functions_by_codegen.yaml` (sections `supported`, `symint`, `autograd`,
`quant`: aten operators; `custom`: the `npu_*` operators), and the C++ declarations that its code generator
(`torchnpugen`'s `gen_backend_stubs`) wrote from them under `torch_npu/include/torch_npu/csrc/aten/`
(`NPUNativeFunctions.h`, `NPUOpApiNativeFunctions.h`). This script downloads a named version with
`pip download --no-deps`, reads those files from the wheel (without installing it) and writes
`src/isthmus/ops/data/npu_registry_<version>.json` with the wheel's name, sha256 and the date, and per operator
where it is listed (`evidence`, codes in `source.evidence_codes`):

- `b`/`c`: listed in `npu_native_functions.yaml` / `npu_native_functions_by_codegen.yaml`, followed by the
  section letter (`s` supported, `y` symint, `a` autograd, `q` quant);
- `H`/`O`: its C++ kernel name (`gelu.out` -> `gelu_out`) is declared in `NPUNativeFunctions.h` /
  `NPUOpApiNativeFunctions.h`;
- `S`: marked `structured: true` or `structured_delegate` (torchnpugen then builds the functional and inplace
  kernels from the out kernel; without it, torchnpugen registers only the listed overloads).

Usage: .venv/bin/python tools/gen_npu_registry.py 2.14.0 [--wheel path/to/torch_npu.whl]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parents[1] / "src" / "isthmus" / "ops" / "data"
YAML_FILES = (
    "torch_npu/csrc/aten/npu_native_functions.yaml",
    "torch_npu/csrc/aten/npu_native_functions_by_codegen.yaml",
)
ATEN_SECTIONS = ("supported", "symint", "autograd", "quant")
HEADERS = {
    "torch_npu/include/torch_npu/csrc/aten/NPUNativeFunctions.h": "H",
    "torch_npu/include/torch_npu/csrc/aten/NPUOpApiNativeFunctions.h": "O",
}
_FILE_CODE = {YAML_FILES[0]: "b", YAML_FILES[1]: "c"}
_SECTION_CODE = {"supported": "s", "symint": "y", "autograd": "a", "quant": "q"}
EVIDENCE_CODES = (
    "b=npu_native_functions.yaml, c=npu_native_functions_by_codegen.yaml, then the section (s=supported, "
    "y=symint, a=autograd, q=quant); H=kernel declared in NPUNativeFunctions.h, O=in NPUOpApiNativeFunctions.h; "
    "S=structured in the yaml (torchnpugen builds the functional/inplace kernels from the out kernel)"
)
_DECL = re.compile(r"^\s*static\s[^(]*?\b([A-Za-z_]\w*)\s*\(", re.M)
_OUT_ARG = re.compile(r"\*.*Tensor\([a-z]!\)")


def download(version: str, dest: Path) -> Path:
    """`pip download` one torch-npu wheel (Linux x86_64, CPython 3.11: the op list is the same on every platform)."""
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.11",
        "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64",
        "--platform", "manylinux_2_28_x86_64", "-d", str(dest), f"torch-npu=={version}",
    ]  # fmt: skip
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    wheels = sorted(dest.glob("torch_npu-*.whl"))
    if not wheels:
        raise SystemExit(f"pip did not produce a torch_npu wheel for {version}")
    return wheels[0]


def entry_name(entry: Any) -> str:
    """A yaml entry is `name.overload`, or a mapping whose `func` is that or a full schema."""
    func = entry["func"] if isinstance(entry, dict) else entry
    return str(func).split("(", 1)[0].strip()


def cpp_name(entry: Any) -> str:
    """The C++ kernel name torchgen gives a yaml entry: the base name, `_out` appended for out= overloads."""
    func = str(entry["func"] if isinstance(entry, dict) else entry)
    base = func.split("(", 1)[0].split(".", 1)[0].strip()
    is_out = "(" in func and _OUT_ARG.search(func.split("->", 1)[0]) is not None and not base.endswith("_")
    return base + "_out" if is_out else base


def parse(
    texts: dict[str, bytes], headers: dict[str, bytes] | None = None
) -> tuple[set[str], set[str], dict[str, str]]:
    """(aten operators with an NPU kernel, custom npu operators, evidence codes per aten operator)."""
    aten: set[str] = set()
    custom: set[str] = set()
    codes: dict[str, set[str]] = {}
    declared = {code: set(_DECL.findall(raw.decode("utf-8", "replace"))) for name, raw in (headers or {}).items()
                if (code := HEADERS.get(name))}  # fmt: skip
    for file, raw in texts.items():
        doc = yaml.safe_load(raw) or {}
        for section in ATEN_SECTIONS:
            for entry in doc.get(section) or []:
                name = entry_name(entry)
                if name.startswith(("npu_", "_npu_")):
                    custom.add(name)
                    continue
                aten.add(name)
                mine = codes.setdefault(name, set())
                mine.add(_FILE_CODE.get(file, "?") + _SECTION_CODE[section])
                mine |= {code for code, names in declared.items() if cpp_name(entry) in names}
                if isinstance(entry, dict) and (entry.get("structured") or entry.get("structured_delegate")):
                    mine.add("S")
        for entry in doc.get("custom") or []:
            custom.add(entry_name(entry))
    return aten, custom, {k: ",".join(sorted(v)) for k, v in sorted(codes.items())}


def requires_torch(whl: zipfile.ZipFile) -> str | None:
    """The `Requires-Dist: torch ...` line of the wheel's metadata, if any."""
    for name in whl.namelist():
        if name.endswith(".dist-info/METADATA"):
            for line in whl.read(name).decode("utf-8", "replace").splitlines():
                if line.startswith("Requires-Dist: torch") and "torch-" not in line:
                    return line.split(":", 1)[1].strip()
    return None


def build(version: str, wheel: Path) -> dict[str, Any]:
    """Read the yaml files out of the wheel and return the registry document."""
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        texts = {name: whl.read(name) for name in YAML_FILES if name in names}
        headers = {name: whl.read(name) for name in HEADERS if name in names}
        torch_req = requires_torch(whl)
    if not texts:
        raise SystemExit(f"{wheel.name} contains none of {YAML_FILES}")
    aten, custom, evidence = parse(texts, headers)
    return {
        "format": "isthmus-npu-registry/1",
        "source": {
            "package": "torch-npu",
            "version": version,
            "wheel": wheel.name,
            "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
            "url": f"https://pypi.org/project/torch-npu/{version}/",
            "files": {name: hashlib.sha256(data).hexdigest() for name, data in (texts | headers).items()},
            "evidence_codes": EVIDENCE_CODES,
            "requires": torch_req,
            "generated": dt.date.today().isoformat(),
        },
        "ops": sorted(aten),
        "custom": sorted(custom),
        "evidence": evidence,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="a torch-npu release on PyPI, e.g. 2.14.0 or 2.5.1.post1")
    parser.add_argument("--wheel", type=Path, help="use this wheel instead of downloading it")
    parser.add_argument("--out-dir", type=Path, default=DATA)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download(args.version, Path(tmp))
        doc = build(args.version, wheel)
    out = args.out_dir / f"npu_registry_{args.version}.json"
    head = {k: v for k, v in doc.items() if k not in ("ops", "custom", "evidence")}
    text = json.dumps(head, indent=1)[:-2] + ",\n"
    text += ' "ops": [\n' + ",\n".join(json.dumps(o) for o in doc["ops"]) + "],\n"
    text += ' "custom": [\n' + ",\n".join(json.dumps(o) for o in doc["custom"]) + "],\n"
    text += ' "evidence": {\n' + ",\n".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in doc["evidence"].items())
    text += "}\n}\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_suffix(".tmp")
    tmp_out.write_text(text, encoding="utf-8")
    tmp_out.replace(out)
    print(f"wrote {out}: {len(doc['ops'])} aten operators, {len(doc['custom'])} custom", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`isthmus ops` end to end: JSON and text output, exit codes, bad input; and the registry generators."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_json_output_for_tinygpt(run_cli, tinygpt_dir: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_cli("ops", f"{tinygpt_dir}/model.py:tiny", "-t", "ascend-910b", "--format", "json")
    doc = json.loads(out)
    assert code == 0
    ops = {o["op"]: o for o in doc["ops"]}
    assert ops["aten::scaled_dot_product_attention.default"]["support"]["ascend-910b"]["status"] == "native"
    assert doc["targets"]["ascend-910b"]["registry"].startswith("torch-npu 2.14.0")


def test_text_output_and_findings_exit_code(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "m.py").write_text(
        "import torch\n\nclass M(torch.nn.Module):\n    def forward(self, x):\n        return x.double().sum()\n\n"
        "def build():\n    return M(), (torch.ones(4),)\n"
    )
    code, out, _ = run_cli("ops", f"{tmp_path}/m.py:build", "-t", "ascend-910c", "--torch-npu-version", "2.5.1.post1")
    assert code == 1
    assert "DTYPE float64 downcast to float32" in out and "ascend-910c:" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("examples/tinygpt/model.py:tiny", "-t", "ascend910b"), "did you mean ascend-910b"),
        (("examples/tinygpt/model.py:nope",), "no callable 'nope'"),
        (("examples/tinygpt/model.py:tiny", "--input-shape", "1,x"), "--input-shape"),
        (("examples/tinygpt/model.py:tiny", "--torch-npu-version", "9.9"), "no operator registry"),
        ((), "missing MODEL"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run_cli, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_cli("ops", *args)
    assert code == 2 and message in err and out == ""
    assert len(err.strip().splitlines()) == 1


def test_list_targets(run_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_cli("ops", "--list-targets", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["ascend-910a"]["device_type"] == "npu" and "2.14.0" in doc["torch_npu_versions"]


def _tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_npu_generator_reads_a_wheel(tmp_path: Path) -> None:
    gen = _tool("gen_npu_registry")
    wheel = tmp_path / "torch_npu-9.0.0-cp311-cp311-manylinux_2_28_x86_64.whl"
    codegen = (
        "backend: NPU\nsupported:\n- add.Tensor\n- func: mm\n  op_api: true\n"
        "- func: addmm(Tensor self, Tensor mat1, Tensor mat2) -> Tensor\n"
        "- func: gelu.out(Tensor self, *, str approximate='none', Tensor(a!) out) -> Tensor(a!)\n"
        "- func: cat.out(Tensor[] tensors, int dim=0, *, Tensor(a!) out) -> Tensor(a!)\n  structured: true\n"
        "symint:\n- as_strided_\n"
        "custom:\n- func: npu_rms_norm(Tensor self, Tensor gamma, float epsilon=1e-06) -> (Tensor, Tensor)\n"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(gen.YAML_FILES[1], codegen)
        z.writestr(gen.YAML_FILES[0], "backend: NPU\nsupported:\n  - view\n")
        z.writestr("torch_npu-9.0.0.dist-info/METADATA", "Name: torch-npu\nRequires-Dist: torch==9.0.0.*\n")
        header = (
            "struct NPUNativeFunctions {\nstatic at::Tensor & gelu_out(const at::Tensor & self, at::Tensor & out);\n"
        )
        z.writestr(next(iter(gen.HEADERS)), header + "static at::Tensor addmm(const at::Tensor & self);\n};\n")
    wheel.write_bytes(buf.getvalue())
    assert gen.main(["9.0.0", "--wheel", str(wheel), "--out-dir", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / "npu_registry_9.0.0.json").read_text())
    assert doc["ops"] == ["add.Tensor", "addmm", "as_strided_", "cat.out", "gelu.out", "mm", "view"]
    assert doc["custom"] == ["npu_rms_norm"]
    ev = doc["evidence"]  # yaml file + section, kernel declared in the generated header, structured
    assert ev["gelu.out"] == "H,cs" and ev["addmm"] == "H,cs" and ev["view"] == "bs" and ev["as_strided_"] == "cy"
    assert ev["cat.out"] == "S,cs" and ev["mm"] == "cs"
    assert doc["source"]["requires"] == "torch==9.0.0.*" and len(doc["source"]["sha256"]) == 64


def test_torch_generator_flags(tmp_path: Path) -> None:
    gen = _tool("gen_torch_registry")
    yaml_text = (
        "- func: foo(Tensor self) -> Tensor\n  dispatch:\n    CPU, CUDA: foo\n"
        "- func: bar(Tensor self) -> Tensor\n"
        "- func: baz.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)\n  structured: True\n"
        "  ufunc_inner_loop:\n    Generic: baz (AllAndComplex)\n"
        "- func: baz(Tensor self) -> Tensor\n  structured_delegate: baz.out\n"
        "- func: qux(Tensor(a) self) -> Tensor(a)\n  dispatch:\n    CompositeExplicitAutograd: qux\n"
    )
    src = tmp_path / "native_functions.yaml"
    src.write_text(yaml_text)
    out = tmp_path / "reg.json"
    assert gen.main(["--yaml", str(src), "--out", str(out)]) == 0
    ops = json.loads(out.read_text())["ops"]
    assert ops["foo"] == "CG" and ops["bar"] == "I" and ops["baz"] == ["CG", "baz.out"] and ops["qux"] == "EV"

"""Reading pins out of requirements files, pyproject.toml and Dockerfiles."""

from __future__ import annotations

from isthmus.compat.pins import from_pyproject, from_requirements, from_shell, stack_of


def test_requirements_exact_pins_and_cuda_local_version() -> None:
    pins = from_requirements("torch==2.4.1+cu121  # cuda\ntorch_npu>=2.1\nnumpy==1.26\n")
    assert stack_of(pins) == {"torch": "2.4.1+cu121", "cuda": "12.1"}
    assert [p.line for p in pins if p.component == "torch_npu" and p.version is None] == [2]


def test_pyproject_dependencies_and_extras() -> None:
    text = (
        '[project]\ndependencies = ["torch==2.1.0"]\n'
        '[project.optional-dependencies]\nnpu = ["torch-npu==2.1.0.post12"]\n'
    )
    assert stack_of(from_pyproject(text)) == {"torch": "2.1.0", "torch_npu": "2.1.0.post12"}
    assert from_pyproject("not toml [") == []


def test_dockerfile_images_and_continued_pip_lines() -> None:
    text = (
        "# base\nFROM ascendai/cann:8.0.rc2-910b-ubuntu22.04-py3.10 AS base\n"
        "RUN apt-get update && pip install --no-cache-dir \\\n    torch==2.3.1 'torch-npu==2.3.1' numpy\n"
    )
    pins = from_shell(text)
    assert stack_of(pins) == {"cann": "8.0.RC2", "python": "3.10", "torch": "2.3.1", "torch_npu": "2.3.1"}
    assert {p.component: p.line for p in pins}["torch_npu"] == 3


def test_cuda_images() -> None:
    assert stack_of(from_shell("FROM pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime\n")) == {
        "torch": "2.4.0",
        "cuda": "12.1",
    }
    assert stack_of(from_shell("FROM nvcr.io/nvidia/cuda:12.8.1-devel-ubuntu24.04\n")) == {"cuda_toolkit": "12.8"}

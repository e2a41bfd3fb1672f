"""Discovery order: env override > one active plugin > built-in > CPU with a warning; the dummy plugin is real."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from isthmus import accel
from isthmus.accel import discovery
from isthmus.accel.cpu import CpuAccelerator
from isthmus.errors import InputError, NotInstalledError


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("ISTHMUS_ACCELERATOR", raising=False)
    monkeypatch.delenv("ISTHMUS_DUMMY_ACCEL", raising=False)
    accel.set_accelerator(None)
    yield
    accel.set_accelerator(None)


def test_dummy_plugin_is_discovered_through_its_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "dummy" in discovery.plugin_probes()  # installed package, real entry point
    monkeypatch.setenv("ISTHMUS_DUMMY_ACCEL", "1")
    acc = accel.current()
    assert acc.name == "dummy" and type(acc).__module__ == "isthmus_dummy_accel"


def test_inactive_plugin_is_ignored_and_cpu_fallback_warns() -> None:
    with pytest.warns(RuntimeWarning, match="using the CPU"):
        acc = accel.current()
    assert isinstance(acc, CpuAccelerator) and acc.name == "cpu"
    assert accel.current() is acc  # cached


def test_env_override_wins_over_an_active_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISTHMUS_DUMMY_ACCEL", "1")
    monkeypatch.setenv("ISTHMUS_ACCELERATOR", "cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert accel.current().name == "cpu"


def test_two_active_plugins_are_an_error_listing_them(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = {"alpha": lambda: CpuAccelerator, "beta": lambda: CpuAccelerator, "off": lambda: None}
    monkeypatch.setattr(discovery, "plugin_probes", lambda: fake)
    with pytest.raises(InputError, match="alpha, beta"):
        accel.current()


def test_unknown_and_missing_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="did you mean npu"):
        accel.get_accelerator("nup")
    monkeypatch.setenv("ISTHMUS_ACCELERATOR", "npu")
    import importlib.util

    if importlib.util.find_spec("torch_npu") is None:
        with pytest.raises(NotInstalledError, match="torch-npu"):
            accel.current()


def test_set_accelerator_and_no_import_side_effects() -> None:
    import subprocess
    import sys

    code = (
        "import sys, isthmus.accel; import torch; "
        "print('torch.npu' in sys.modules, hasattr(torch.cuda, '__wrapped__'), isthmus.accel._current)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "None"]
    mine = CpuAccelerator()
    accel.set_accelerator(mine)
    assert accel.current() is mine and accel.get_accelerator("auto") is mine


def test_a_plugin_that_fails_to_load_is_named_with_its_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    broken = EntryPoint("broken", "isthmus_no_such_plugin_module:probe", discovery.ENTRY_POINT_GROUP)
    dist = type("Dist", (), {"name": "isthmus-broken-accel"})()
    monkeypatch.setattr(discovery, "entry_points", lambda group: [broken._for(dist)])  # type: ignore[attr-defined]
    with pytest.raises(InputError, match=r"plugin 'broken' \(isthmus_no_such_plugin_module:probe, from isthm") as e:
        accel.current()
    assert "uninstall isthmus-broken-accel" in (e.value.hint or "")
    assert isinstance(e.value.__cause__, ModuleNotFoundError)

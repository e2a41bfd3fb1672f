"""The scanner runs on isthmus itself: nothing outside the modules that name CUDA on purpose."""

from __future__ import annotations

from pathlib import Path

from isthmus.scan import ScanOptions, load_config, scan

REPO = Path(__file__).resolve().parents[2]
# The per-file ignores of [tool.isthmus.scan] in pyproject.toml (kept in step with docs/scan.md).
EXPECTED_IGNORES = {
    "src/isthmus/accel/*": ("ALL",),  # the backends: they call torch.cuda by design
    "src/isthmus/doctor.py": ("ALL",),  # reports what CUDA this machine has
    "src/isthmus/ops/*": ("IST105",),  # target profiles compare device types
    "src/isthmus/parity/*": ("IST105", "IST110", "IST601", "IST602"),  # fp64 statistics on the CPU
}


def test_isthmus_scans_clean_with_its_own_config() -> None:
    cfg = load_config(REPO)
    ignores = dict(cfg.per_file_ignores) or EXPECTED_IGNORES  # the table may not be in pyproject.toml yet
    options = ScanOptions(per_file_ignores=tuple(ignores.items()), root=str(REPO))
    result = scan([str(REPO / "src" / "isthmus")], options)
    assert not result.errors
    assert [f"{f.path}:{f.line} {f.code}" for f in result.findings] == []


def test_scan_package_is_clean_without_any_ignores() -> None:
    result = scan([str(REPO / "src" / "isthmus" / "scan")], ScanOptions(root=str(REPO)))
    assert result.findings == () and len(result.files) > 10

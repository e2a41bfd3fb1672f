"""Ascend telemetry from `npu-smi` output, mapped onto the schema.

`run(args) -> stdout` is injected: the CLI passes a subprocess runner, tests pass recorded outputs.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from isthmus.monitor.model import DeviceReading
from isthmus.monitor.npu_smi import HEALTH_LEVELS, ChipRow, NpuSmiFormatError, number, parse_info, parse_kv
from isthmus.monitor.readings import ReadingBuilder, failed_device

Runner = Callable[[Sequence[str]], str]
TIMEOUT_S = 15.0


class ToolError(RuntimeError):
    """npu-smi could not be run or exited non-zero."""


def subprocess_runner(exe: str = "npu-smi") -> Runner:
    """Run `exe ARGS` with a timeout; a failure raises ToolError with the tool's own message."""

    def run(args: Sequence[str]) -> str:
        try:
            out = subprocess.run([exe, *args], capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise ToolError(f"{exe} {' '.join(args)}: {e}") from e
        if out.returncode != 0:
            msg = (out.stderr or out.stdout).strip().splitlines()
            raise ToolError(f"{exe} {' '.join(args)}: exit {out.returncode}: {msg[-1] if msg else 'no output'}")
        return out.stdout

    return run


def npu_smi_path() -> str | None:
    return shutil.which("npu-smi")


def _index(row: ChipRow, multi: bool) -> str:
    return f"{row.npu}.{row.chip}" if multi else str(row.npu)


def _extras(run: Runner, npu: int, chips: list[ChipRow]) -> tuple[str, list[str | None], str]:
    """(serial, per-chip Aicore curFreq text, why the frequency is absent) from the board and common pages of one
    NPU. A page the tool refuses leaves the serial empty / the frequency missing with the tool's message."""
    serial, error = "", "not in npu-smi info -t common"
    try:
        board = parse_kv(run(["info", "-t", "board", "-i", str(npu)]))
        serial = next((b["Serial Number"] for b in board if b.get("Serial Number") not in (None, "NA")), "")
    except ToolError:
        pass  # the uuid label stays empty: the serial is identity, not telemetry
    freqs: list[str | None] = [None] * len(chips)
    try:
        blocks = [b for b in parse_kv(run(["info", "-t", "common", "-i", str(npu)])) if "Aicore curFreq(MHZ)" in b]
        if len(blocks) == 1:
            freqs = [blocks[0]["Aicore curFreq(MHZ)"]] * len(chips)
        elif len(blocks) == len(chips):
            freqs = [b["Aicore curFreq(MHZ)"] for b in blocks]
    except ToolError as e:
        error = str(e)
    return serial, freqs, error


def _reading(row: ChipRow, multi: bool, node: str, serial: str, freq: str | None, freq_reason: str) -> DeviceReading:
    b = ReadingBuilder("huawei")
    b.put("isthmus_accel_utilization_ratio", row.aicore_pct)
    b.put("isthmus_accel_memory_used_bytes", row.mem_used_mb)
    b.put("isthmus_accel_memory_total_bytes", row.mem_total_mb)
    b.put(
        "isthmus_accel_power_watts",
        row.power_w,
        reason="npu-smi printed '-' or 'NA' (Atlas A3 reports module power on the first chip only)",
    )
    b.put("isthmus_accel_temperature_celsius", row.temp_c)
    b.put("isthmus_accel_health_status", float(HEALTH_LEVELS[row.health]))
    error = ""
    try:
        b.put(
            "isthmus_accel_core_clock_hertz",
            None if freq is None else number(freq, "Aicore curFreq(MHZ)"),
            reason=freq_reason,
        )
    except NpuSmiFormatError as e:
        error = f"npu-smi info -t common -i {row.npu}: {e}"
    uuid = f"{serial}/{row.chip}" if serial and multi else serial
    reading = b.build(model=row.name, index=_index(row, multi), uuid=uuid, node=node, backend="npu-smi")
    return dataclasses.replace(reading, error=error) if error else reading


def read_npu_smi(run: Runner, node: str) -> tuple[list[DeviceReading], list[str]]:
    """Read every chip `npu-smi info` lists; a block that does not parse is that device's error."""
    try:
        table = parse_info(run(["info"]))
    except (ToolError, NpuSmiFormatError) as e:
        return [failed_device("huawei", "?", node, "npu-smi", str(e))], []
    by_npu: dict[int, list[ChipRow]] = defaultdict(list)
    blocks: Counter[str] = Counter(e.npu for e in table.errors)  # chips per NPU, readable or not
    for row in table.chips:
        by_npu[row.npu].append(row)
        blocks[str(row.npu)] += 1
    readings: list[DeviceReading] = []
    for npu, chips in by_npu.items():
        multi = blocks[str(npu)] > 1
        serial, freqs, freq_reason = _extras(run, npu, chips)
        readings += [_reading(r, multi, node, serial, f, freq_reason) for r, f in zip(chips, freqs, strict=True)]
    for err in table.errors:
        where = f"{err.npu}.{err.chip}" if blocks[err.npu] > 1 else err.npu
        readings.append(failed_device("huawei", where, node, "npu-smi", f"npu-smi info, NPU {where}: {err.message}"))
    return readings, []

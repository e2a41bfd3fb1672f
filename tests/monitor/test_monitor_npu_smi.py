"""Parsing recorded `npu-smi` outputs (910B / Atlas A2 and 910C / Atlas A3 layouts) and their failure modes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from monitor_stubs import recorded

from isthmus.monitor.npu_smi import NpuSmiFormatError, parse_info, parse_kv


def test_910b_table() -> None:
    t = parse_info(recorded("npu_smi_info_910b.txt"))
    assert t.version == "24.1.rc2" and t.has_hbm and not t.errors
    first, second = t.chips
    assert (first.npu, first.chip, first.name, first.health) == (0, 0, "910B3", "OK")
    assert (first.power_w, first.temp_c, first.aicore_pct) == (187.5, 47.0, 87.0)
    # "59356/ 65536": the HBM pair, not the DDR "0 / 0" pair before it
    assert (first.mem_used_mb, first.mem_total_mb, first.bus_id) == (59356.0, 65536.0, "0000:C1:00.0")
    assert (second.npu, second.health, second.mem_used_mb) == (1, "Warning", 3371.0)


def test_a3_table_two_chips_per_npu() -> None:
    t = parse_info(recorded("npu_smi_info_a3.txt"))
    assert [(c.npu, c.chip) for c in t.chips] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [c.power_w for c in t.chips] == [171.3, None, 160.4, None]  # "-" on the second chip: no value
    assert t.chips[1].mem_used_mb == 46582.0 and t.chips[3].bus_id == "0000:9B:00.0"


def test_truncated_output_is_an_error_for_the_last_device_only() -> None:
    text = recorded("npu_smi_info_910b.txt")
    cut = text[: text.index("| 0                         | 0000:C2")]  # NPU 1 lost its second row
    t = parse_info(cut)
    assert [c.npu for c in t.chips] == [0]
    assert len(t.errors) == 1 and t.errors[0].npu == "1" and "truncated" in t.errors[0].message


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("187.5       47", "18x.5       47", "Power(W)"),
        ("0          59356/ 65536", "0          59356       ", "used/total"),
        ("| OK            | 187.5", "| UNKNOWN       | 187.5", "UNKNOWN"),
        ("| 87          0    / 0", "|                      ", "used/total"),
        ("| 87          0    / 0          59356/ 65536", "|", "AICore"),
    ],
)
def test_malformed_block_is_a_per_device_error(old: str, new: str, fragment: str) -> None:
    text = recorded("npu_smi_info_910b.txt")
    assert old in text
    t = parse_info(text.replace(old, new, 1))
    assert [c.npu for c in t.chips] == [1]  # the other NPU still reads
    assert len(t.errors) == 1 and t.errors[0].npu == "0" and fragment in t.errors[0].message


@pytest.mark.parametrize("text", ["", "npu-smi: command failed\n", "| NPU   Name | Health |\n"])
def test_no_table_raises(text: str) -> None:
    with pytest.raises(NpuSmiFormatError, match="no device table"):
        parse_info(text)


def test_kv_pages() -> None:
    (common,) = parse_kv(recorded("npu_smi_common_910b.txt"))
    assert common["Aicore curFreq(MHZ)"] == "1650" and common["NPU Real-time Power(W)"] == "187.5"
    (board,) = parse_kv(recorded("npu_smi_board_910b.txt"))
    assert board["Serial Number"] == "102400000TEST0001"
    blocks = parse_kv("Chip ID : 0\nAicore curFreq(MHZ) : 1650\nChip ID : 1\nAicore curFreq(MHZ) : 1500\n")
    assert [b["Aicore curFreq(MHZ)"] for b in blocks] == ["1650", "1500"]

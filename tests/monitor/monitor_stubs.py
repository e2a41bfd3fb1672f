"""Small stand-ins for the vendor interfaces: a fake pynvml module, a DCMI stub and a recorded npu-smi runner."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

DATA = Path(__file__).parent / "data"


def recorded(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


class FakeNVMLError(Exception):
    def __init__(self, code: int, text: str = "Not Supported") -> None:
        super().__init__(text)
        self.value = code


@dataclass
class FakeGpu:
    name: str = "NVIDIA H200"
    uuid: str = "GPU-00000000-1111-2222-3333-444444444444"
    util_pct: int = 87
    mem_used: int = 60 * 2**30
    mem_total: int = 141 * 10**9
    power_mw: int = 412_345
    temp_c: int = 51
    sm_mhz: int = 1980
    mem_mhz: int = 3201
    ecc: tuple[int, int] | None = (3, 0)  # (corrected, uncorrected); None = ECC not supported
    nvlinks: dict[int, int] = field(default_factory=lambda: {0: 2, 1: 0, 5: 1})  # active link -> CRC flit errors
    unsupported: frozenset[str] = frozenset()  # NVML function names that raise NOT_SUPPORTED


def fake_nvml(
    gpus: list[FakeGpu], *, init_error: str | None = None, broken_handles: frozenset[int] = frozenset()
) -> Any:
    """A module-like object with the pynvml functions and constants the reader uses."""
    ns = SimpleNamespace(
        NVMLError=FakeNVMLError,
        NVML_TEMPERATURE_GPU=0,
        NVML_CLOCK_SM=1,
        NVML_CLOCK_MEM=2,
        NVML_MEMORY_ERROR_TYPE_CORRECTED=0,
        NVML_MEMORY_ERROR_TYPE_UNCORRECTED=1,
        NVML_VOLATILE_ECC=0,
        NVML_NVLINK_MAX_LINKS=18,
        NVML_NVLINK_ERROR_DL_CRC_FLIT=2,
        calls=[],
    )

    def guard(fn_name: str, gpu: FakeGpu) -> None:
        ns.calls.append(fn_name)
        if fn_name in gpu.unsupported:
            raise FakeNVMLError(3)

    def init() -> None:
        if init_error:
            raise FakeNVMLError(12, init_error)

    def handle(i: int) -> FakeGpu:
        if i in broken_handles:
            raise FakeNVMLError(15, "GPU is lost")
        return gpus[i]

    def util(g: FakeGpu) -> Any:
        guard("nvmlDeviceGetUtilizationRates", g)
        return SimpleNamespace(gpu=g.util_pct, memory=10)

    def mem(g: FakeGpu) -> Any:
        guard("nvmlDeviceGetMemoryInfo", g)
        return SimpleNamespace(used=g.mem_used, total=g.mem_total, free=g.mem_total - g.mem_used)

    def power(g: FakeGpu) -> int:
        guard("nvmlDeviceGetPowerUsage", g)
        return g.power_mw

    def temp(g: FakeGpu, sensor: int) -> int:
        guard("nvmlDeviceGetTemperature", g)
        assert sensor == 0
        return g.temp_c

    def clock(g: FakeGpu, kind: int) -> int:
        guard("nvmlDeviceGetClockInfo", g)
        return {1: g.sm_mhz, 2: g.mem_mhz}[kind]

    def ecc(g: FakeGpu, err_type: int, counter: int) -> int:
        guard("nvmlDeviceGetTotalEccErrors", g)
        if g.ecc is None:
            raise FakeNVMLError(3)
        return g.ecc[err_type]

    def link_state(g: FakeGpu, link: int) -> int:
        if link not in g.nvlinks:
            raise FakeNVMLError(2, "Invalid Argument")
        return 1

    def link_errors(g: FakeGpu, link: int, counter: int) -> int:
        assert counter == 2
        return g.nvlinks[link]

    ns.nvmlInit = init
    ns.nvmlShutdown = lambda: None
    ns.nvmlDeviceGetCount = lambda: len(gpus)
    ns.nvmlDeviceGetHandleByIndex = handle
    ns.nvmlDeviceGetName = lambda g: g.name
    ns.nvmlDeviceGetUUID = lambda g: g.uuid.encode()  # older pynvml returns bytes
    ns.nvmlDeviceGetUtilizationRates = util
    ns.nvmlDeviceGetMemoryInfo = mem
    ns.nvmlDeviceGetPowerUsage = power
    ns.nvmlDeviceGetTemperature = temp
    ns.nvmlDeviceGetClockInfo = clock
    ns.nvmlDeviceGetTotalEccErrors = ecc
    ns.nvmlDeviceGetNvLinkState = link_state
    ns.nvmlDeviceGetNvLinkErrorCounter = link_errors
    return ns


def npu_smi_runner(pages: dict[tuple[str, ...], str]) -> Any:
    """An npu-smi runner answering from recorded pages; an unknown command fails like the real tool."""
    from isthmus.monitor.ascend import ToolError

    def run(args: Sequence[str]) -> str:
        key = tuple(args)
        if key not in pages:
            raise ToolError(f"npu-smi {' '.join(args)}: exit 255: unsupported in this recording")
        return pages[key]

    return run


@dataclass
class StubDcmi:
    """DcmiApi answering from a table: {(card, dev): {...}}."""

    chips: dict[tuple[int, int], dict[str, Any]]

    def cards(self) -> list[int]:
        return sorted({c for c, _ in self.chips})

    def devices(self, card: int) -> int:
        return sum(1 for c, _ in self.chips if c == card)

    def _get(self, card: int, dev: int, key: str) -> Any:
        value = self.chips[(card, dev)][key]
        if isinstance(value, Exception):
            raise value
        return value

    def chip_name(self, card: int, dev: int) -> str:
        return str(self._get(card, dev, "name"))

    def utilization(self, card: int, dev: int, kind: int) -> int:
        assert kind == 2  # AI Core
        return int(self._get(card, dev, "aicore"))

    def temperature(self, card: int, dev: int) -> int:
        return int(self._get(card, dev, "temp"))

    def power_decawatts(self, card: int, dev: int) -> int:
        return int(self._get(card, dev, "power_dw"))

    def health(self, card: int, dev: int) -> int:
        return int(self._get(card, dev, "health"))

    def hbm_mb(self, card: int, dev: int) -> tuple[int, int]:
        used, total = self._get(card, dev, "hbm")
        return int(used), int(total)

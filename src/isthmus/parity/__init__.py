"""isthmus.parity: record a model's per-module activations on one platform, compare them on another.

    from isthmus.parity import InputSpec, RecordOptions, record_model, save_record, load_record, compare
    a = record_model("model.py:factory", InputSpec(shape=(1, 512)), RecordOptions(device="cpu"))
    save_record(a, Path("runs/cpu"))                       # manifest.json + tensors.safetensors, never pickle
    result = compare(load_record("runs/cpu"), load_record("runs/npu"))
    result.first                                           # the first module outside tolerance, with its chain

Tolerances live in one table keyed by dtype (`isthmus.parity.tolerances.TOLERANCES`).
"""

from __future__ import annotations

from isthmus.parity.compare import Comparison, Divergence, EntryResult, compare
from isthmus.parity.format import Record, is_record_dir, load_record, save_record, written_line, written_summary
from isthmus.parity.inputs import InputSpec
from isthmus.parity.metrics import Metrics, compare_arrays
from isthmus.parity.record import RecordOptions, record_against, record_loaded, record_model
from isthmus.parity.report import error_profile, summary_line, text_lines, to_json
from isthmus.parity.tolerances import TOLERANCES, Tolerance, tolerance_for

__all__ = [
    "TOLERANCES",
    "Comparison",
    "Divergence",
    "EntryResult",
    "InputSpec",
    "Metrics",
    "Record",
    "RecordOptions",
    "Tolerance",
    "compare",
    "compare_arrays",
    "error_profile",
    "is_record_dir",
    "load_record",
    "record_against",
    "record_loaded",
    "record_model",
    "save_record",
    "summary_line",
    "text_lines",
    "to_json",
    "tolerance_for",
    "written_line",
    "written_summary",
]

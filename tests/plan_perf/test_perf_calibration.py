"""Every calibration record within 25 % of the measured value; the table is printed (pytest -s shows it)."""

from __future__ import annotations

from isthmus.plan.perfmodel.calibration import load_cases, table
from isthmus.plan.perfmodel.efficiency import efficiency_data


def test_every_calibration_record_within_25_percent() -> None:
    rows = table()
    print(f"\n{'record':26s} {'stack':5s} {'measured':>10s} {'estimate':>10s} {'error':>7s}  unit")
    for r in rows:
        print(f"{r.id:26s} {r.stack:5s} {r.measured:10.1f} {r.estimate:10.1f} {r.error:+7.1%}  {r.unit}")
    assert len(rows) == len(load_cases()) >= 8
    worst = max(rows, key=lambda r: abs(r.error))
    assert abs(worst.error) <= 0.25, f"{worst.id}: {worst.error:+.1%}"


def test_efficiency_file_records_its_fit() -> None:
    data = efficiency_data()
    fitted = {row["id"] for row in data["fit"]}
    assert fitted == {c.id for c in load_cases()}
    for stack in ("cuda", "cann"):
        fractions = data["stacks"][stack]
        assert all(0.05 <= fractions[k] <= 1.0 for k in ("compute", "compute_8bit", "memory", "network"))

"""The tolerance table's documentation states each row truthfully in units of the dtype's unit roundoff."""

from __future__ import annotations

import re

import pytest

from isthmus.parity import tolerances
from isthmus.parity.tolerances import PRECISION_BITS, TOLERANCES


def _doc() -> str:
    return " ".join((tolerances.__doc__ or "").split())


@pytest.mark.parametrize("dtype", sorted(TOLERANCES))
def test_docstring_multiple_of_u_matches_the_table(dtype: str) -> None:
    u = 2.0 ** -PRECISION_BITS[dtype]
    bound = TOLERANCES[dtype].nrmse_max
    names = {"tf32": "tf32 and float16", "float16": "tf32 and float16"}.get(dtype, dtype)
    match = re.search(rf"{re.escape(names)} u = ([0-9.e-]+), ([0-9.e-]+) = ([0-9.e]+) u", _doc())
    assert match, f"{dtype} is not listed with its unit roundoff"
    stated_u, stated_bound, stated_multiple = (float(g) for g in match.groups())
    assert stated_u == pytest.approx(u, rel=0.05) and stated_bound == bound
    assert stated_multiple == pytest.approx(bound / u, rel=0.1)


def test_no_claim_of_a_fixed_allowance() -> None:
    doc = _doc()
    assert "power of ten" not in doc and "100 u" not in doc
    assert not any(d.startswith(("int", "uint", "bool")) for d in PRECISION_BITS)

"""FLEET.yaml: regions, workloads, hardware offers and planning options, validated with pydantic.

Every error names the field path (``workloads[2].tokens_per_s``) and what to write instead. Names that only the
catalogue or the performance model know (systems, models) are checked when the plan is built, with the same
field-path style (see `build.py`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from isthmus.datafiles import read_yaml
from isthmus.errors import InputError
from isthmus.schema import StrictModel, describe

Licence = Literal["granted", "none"]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO-3166 alpha-2 code, e.g. CN")]
Precision = Literal["bf16", "fp16", "fp8", "int8", "w8a8", "w4a8", "fp4"]
Name = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


class Region(StrictModel):
    """A market where the company runs hardware, and the legal profile of its entity there."""

    country: Country  # where the hardware sits (the export destination)
    actor_hq: Country  # headquarters of the operating entity's ultimate parent (the "headquarters rule")
    state_funded: bool = False  # the site received state funding (China's rule on foreign chips)
    power_cap_kw: float | None = Field(None, gt=0)  # facility power available to the plan (kW)
    electricity_usd_per_kwh: float = Field(0.0, ge=0)  # for owned hardware; rental prices include power
    pue: float = Field(1.3, ge=1.0, le=3.0)  # facility power / IT power, applied to owned hardware's energy
    data_residency: bool = False  # workloads homed here must run here (e.g. China's PIPL)
    avoid_discouraged: bool = False  # exclude hardware the rules mark as discouraged (default: use it, with a warning)


class _WorkloadBase(StrictModel):
    @property
    def precisions(self) -> tuple[str, ...]:
        return (self.precision,) if isinstance(self.precision, str) else tuple(self.precision)

    name: Name
    region: str  # home region (a key of `regions`)
    model: str  # a built-in model name or a path to a Hugging Face config.json
    # acceptable precisions; on each offer the fastest one the hardware supports is used (fp8 on H100, int8 on 910B)
    precision: Precision | list[Precision] = "bf16"
    may_run_in: list[str] | None = None  # regions allowed to run it; default: its home region only


class ServeWorkload(_WorkloadBase):
    """An inference service: sustained demand with latency targets."""

    kind: Literal["serve"]
    tokens_per_s: float | None = Field(None, gt=0)  # output tokens per second at peak
    requests_per_s: float | None = Field(None, gt=0)  # alternative to tokens_per_s (x output_len)
    prompt_len: int = Field(gt=0, le=1_048_576)
    output_len: int = Field(gt=0, le=1_048_576)
    tpot_ms: float | None = Field(None, gt=0)  # time per output token target
    ttft_ms: float | None = Field(None, gt=0)  # time to first token target
    needed_by: dt.date | None = None  # the service must be live by then (checked against lead times)

    @model_validator(mode="after")
    def _one_demand(self) -> ServeWorkload:
        if (self.tokens_per_s is None) == (self.requests_per_s is None):
            raise ValueError("give exactly one of tokens_per_s or requests_per_s")
        return self

    @property
    def output_tokens_per_s(self) -> float:
        if self.tokens_per_s is not None:
            return self.tokens_per_s
        return (self.requests_per_s or 0.0) * self.output_len


class TrainWorkload(_WorkloadBase):
    """A training run: a number of tokens to process before a deadline."""

    kind: Literal["train"]
    tokens: float = Field(gt=0)  # training tokens
    seq_len: int = Field(4096, gt=0, le=1_048_576)
    deadline: dt.date
    start: dt.date | None = None  # earliest start (default: the planning date)


Workload = Annotated[ServeWorkload | TrainWorkload, Field(discriminator="kind")]


class Offer(StrictModel):
    """Hardware on offer in some regions: rented per hour, or bought (capex) and run (opex)."""

    name: Name
    system: str  # catalogue system or chip key (a chip counts as a 1-chip unit)
    regions: list[str] = Field(min_length=1)
    rent_usd_per_hour: float | None = Field(None, gt=0)  # per unit, all-in (power included)
    capex_usd: float | None = Field(None, ge=0)  # per unit, paid once
    opex_usd_per_year: float = Field(0.0, ge=0)  # per unit: support, hosting (energy is added from the region)
    power_kw: float | None = Field(None, gt=0)  # per unit at the wall; default from the catalogue
    lead_time_days: int = Field(0, ge=0, le=3650)  # from order to service
    max_units: int | None = Field(None, ge=0)  # availability limit per region
    note: str = ""  # where the price comes from
    # a licence that verdicts `licence_required` / `case_by_case` ask for is held for this offer: "granted" for
    # every region of the offer, or per region ({cn-east: granted}). A vendor's export licence that covers the
    # sale counts. Never unlocks `presumption_of_denial` or `prohibited`.
    licence: Licence | dict[str, Licence] = "none"

    @model_validator(mode="after")
    def _one_price(self) -> Offer:
        if (self.rent_usd_per_hour is None) == (self.capex_usd is None):
            raise ValueError("give exactly one of rent_usd_per_hour or capex_usd")
        return self

    def licensed_in(self, region: str) -> bool:
        """True when the offer declares the licence as granted for `region`."""
        if isinstance(self.licence, str):
            return self.licence == "granted"
        return self.licence.get(region) == "granted"


class Policy(StrictModel):
    """How often verdicts are re-checked over the horizon.

    Which verdicts are deployable is fixed (see `verdicts.py`): licences are declared per offer
    (`offers[].licence`), and a region may exclude discouraged hardware (`regions.<key>.avoid_discouraged`).
    """

    check_every_months: int = Field(3, ge=1, le=24)  # rules are re-checked at this step over the horizon

    @model_validator(mode="before")
    @classmethod
    def _no_accept(cls, data: Any) -> Any:
        if isinstance(data, dict) and "accept" in data:
            raise ValueError(
                "accept is no longer supported: a planner cannot count on licences nobody holds. Declare a held "
                "licence on the offer (offers[].licence: granted) and set regions.<key>.avoid_discouraged to "
                "exclude discouraged hardware"
            )
        return data


class Solver(StrictModel):
    mip_rel_gap: float = Field(0.01, gt=0, lt=1)  # stop within 1 % of the optimum
    time_limit_s: float = Field(30.0, gt=0, le=3600)


class Fleet(StrictModel):
    """The whole FLEET.yaml."""

    version: Literal[1] = 1
    name: str = "fleet"
    date: dt.date | None = None  # planning date (rules are evaluated from here); --date overrides
    horizon_months: int = Field(36, ge=1, le=120)  # hardware is committed for the whole horizon
    regions: dict[Name, Region] = Field(min_length=1)
    workloads: list[Workload] = Field(min_length=1)
    offers: list[Offer] = Field(min_length=1)
    policy: Policy = Field(default_factory=Policy)
    solver: Solver = Field(default_factory=Solver)

    @model_validator(mode="after")
    def _references(self) -> Fleet:
        _unique("workloads", [w.name for w in self.workloads])
        _unique("offers", [o.name for o in self.offers])
        for i, w in enumerate(self.workloads):
            _known(f"workloads[{i}].region", w.region, self.regions)
            for j, r in enumerate(w.may_run_in or []):
                _known(f"workloads[{i}].may_run_in[{j}]", r, self.regions)
            away = [r for r in (w.may_run_in or []) if r != w.region]
            if away and self.regions[w.region].data_residency:
                raise ValueError(
                    f"workloads[{i}].may_run_in: region {w.region!r} has data_residency, "
                    f"so {w.name!r} cannot run in {', '.join(away)}"
                )
        for i, o in enumerate(self.offers):
            for j, r in enumerate(o.regions):
                _known(f"offers[{i}].regions[{j}]", r, self.regions)
            if isinstance(o.licence, dict):
                for r in o.licence:
                    if r not in o.regions:
                        raise ValueError(
                            f"offers[{i}].licence.{r}: not a region of this offer (regions: {', '.join(o.regions)})"
                        )
        return self


def _unique(what: str, names: list[str]) -> None:
    seen: set[str] = set()
    for i, n in enumerate(names):
        if n in seen:
            raise ValueError(f"{what}[{i}].name: duplicate name {n!r}")
        seen.add(n)


def _known(path: str, name: str, regions: dict[str, Region]) -> None:
    if name not in regions:
        raise ValueError(f"{path}: unknown region {name!r} (regions: {', '.join(regions)})")


def parse_fleet(data: Any, origin: str = "FLEET.yaml") -> Fleet:
    """Validate already-loaded YAML data; errors name the field path."""
    if not isinstance(data, dict):
        raise InputError(f"{origin}: expected a mapping at the top level (regions, workloads, offers)")
    try:
        return Fleet.model_validate(data)
    except ValidationError as e:
        raise InputError(f"{origin}: {describe(e)}", hint="see docs/fleet.md for the file format") from e


def load_fleet(path: Path) -> Fleet:
    """Read and validate a FLEET.yaml file."""
    return parse_fleet(read_yaml(path, what="fleet YAML file"), str(path))

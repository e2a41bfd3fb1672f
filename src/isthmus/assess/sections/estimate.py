"""Assess section "estimate": the project's own model, trained and served on each side's system, side by side.

The model is the project's (isthmus.toml `[assess] model`): a Hugging Face config.json is read as is; a factory's
module is measured (parameters, the repeated block list, the embedding, the MLP width) into a perfmodel
`ModelSpec`. With no model the section says so and estimates nothing. Each target maps to catalogue systems in the
target registry (data/targets.yaml: `cuda` -> DGX H100, `ascend-910b` -> Atlas 800T A2, ...); for an Ascend target
whose system has no price or power in the catalogue, the CloudMatrix 384 (910C, which has both) is added so that cost
and energy can be compared.

Per system: training tokens/s per chip (one 8-chip node, bf16, the model's context) and serving output tokens/s
per chip (bf16, prompt and answer of half the context each, TPOT <= 50 ms), then USD per million tokens and tokens
per kWh from the catalogue's rent, price and power.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from isthmus.assess.model import AssessContext, SectionResult, SectionStatus
from isthmus.blocks import BarChart, Block, Row, bold, number, para, table
from isthmus.targets import side_of, systems_of

if TYPE_CHECKING:
    from torch import nn

    from isthmus.plan.perfmodel import ModelSpec

KEY, TITLE = "estimate", "Performance estimate"
TRAIN_CHIPS = 8  # one node: the smallest unit both sides sell
SERVE_CHIPS = (1, 2, 4, 8)  # the fewest chips whose memory holds the model serve it
TPOT_MS = 50.0  # output-token latency target of the serving estimate
MAX_CONTEXT = 8192  # longest context estimated (a model's max_seq above this is cut to it)
# Owned hardware (a catalogue price, no rent): the price over AMORTISE_YEARS plus power at ELECTRICITY_USD_KWH
# with PUE; stated assumptions, shown in the report (rental prices include power).
AMORTISE_YEARS = 3
ELECTRICITY_USD_KWH = 0.10
PUE = 1.3
HOURS_PER_YEAR = 8766


@dataclass(frozen=True)
class Costs:
    """Per chip-hour: USD (None when the catalogue has no price or rent) and kW (None when no power figure)."""

    usd_per_chip_hour: float | None
    kw_per_chip: float | None
    basis: str


def costs(system: str) -> Costs:
    """Catalogue rent per chip-hour, else price amortised plus power; power per chip from the system or chip."""
    from isthmus.plan import load_catalog

    cat = load_catalog()
    sys_ = cat.system(system)
    chip = cat.chip(sys_.chip)
    kw = sys_.power_kw / sys_.chips if sys_.power_kw else (chip.tdp_w / 1000 if chip.tdp_w else None)
    if sys_.rent_usd_per_hour:
        return Costs(sys_.rent_usd_per_hour / sys_.chips, kw, "catalogue rent (power included)")
    if chip.rent_usd_per_hour:
        return Costs(chip.rent_usd_per_hour, kw, "catalogue rent per chip (power included)")
    price = sys_.price_usd / sys_.chips if sys_.price_usd else chip.price_usd
    if price is None:
        return Costs(None, kw, "no price or rent in the catalogue")
    power_usd = (kw or 0.0) * PUE * ELECTRICITY_USD_KWH
    basis = f"price over {AMORTISE_YEARS} years + power at ${ELECTRICITY_USD_KWH}/kWh, PUE {PUE} (assumption)"
    return Costs(price / (AMORTISE_YEARS * HOURS_PER_YEAR) + power_usd, kw, basis)


def _attr(module: nn.Module, *names: str) -> int | None:
    """The first positive int attribute of that name on a submodule or on its `config` / `cfg` object."""
    for sub in module.modules():
        for owner in (sub, getattr(sub, "config", None), getattr(sub, "cfg", None)):
            for n in names:
                v = getattr(owner, n, None) if owner is not None else None
                if isinstance(v, int) and not isinstance(v, bool) and v > 0:
                    return v
    return None


def spec_from_module(module: nn.Module, name: str, max_seq: int | None = None) -> ModelSpec:
    """A perfmodel ModelSpec measured from a built module: the largest embedding gives vocab and hidden, the
    longest ModuleList the layers, the widest Linear fed by `hidden` in one layer the MLP width (gated when two
    such matrices exist), head counts from the usual attribute names (else hidden / 64)."""
    from torch import nn

    from isthmus.errors import InputError
    from isthmus.plan.perfmodel import ModelSpec

    embeddings = [m for m in module.modules() if isinstance(m, nn.Embedding)]
    lists = [m for m in module.modules() if isinstance(m, nn.ModuleList) and len(m) > 0]
    if not embeddings or not lists:
        raise InputError(f"{name}: not a transformer language model (no token embedding or no layer list)")
    emb = max(embeddings, key=lambda m: m.num_embeddings)
    blocks = max(lists, key=len)
    hidden = emb.embedding_dim
    widths = [m.out_features for m in blocks[0].modules() if isinstance(m, nn.Linear) and m.in_features == hidden]
    ffn = max(widths, default=4 * hidden)
    heads = _attr(blocks[0], "n_head", "num_heads", "n_heads", "num_attention_heads") or max(1, hidden // 64)
    kv = _attr(blocks[0], "n_kv_head", "num_key_value_heads", "n_kv_heads", "num_kv_heads") or heads
    tied = any(isinstance(m, nn.Linear) and m.weight is emb.weight for m in module.modules())
    return ModelSpec(
        name=name,
        layers=len(blocks),
        hidden=hidden,
        heads=heads,
        kv_heads=kv,
        ffn=ffn,
        vocab=emb.num_embeddings,
        gated=widths.count(ffn) >= 2,
        tied=tied,
        max_seq=max_seq or _attr(module, "block_size", "max_position_embeddings", "max_seq_len") or 2048,
        source="measured from the project's model factory",
    )


def project_model(ctx: AssessContext) -> tuple[ModelSpec | None, str]:
    """The project's model as a ModelSpec, and where it came from (or why there is none)."""
    spec = ctx.project.config.model
    if not spec:
        return None, "no model in isthmus.toml ([assess] model): nothing to estimate"
    file, sep, factory = spec.rpartition(":")
    path = ctx.project.root / (file if sep else spec)
    if (path / "config.json").is_file() or path.name == "config.json":
        from isthmus.plan.perfmodel import get_model

        return get_model(str(path)), f"Hugging Face config {ctx.project.rel(path)}"
    if not (sep and file.endswith(".py")):
        return None, f"model {spec} is neither a factory nor a Hugging Face config: nothing to estimate"
    from isthmus.models import load_model

    loaded = load_model(f"{path}:{factory}", device="meta")
    measured = spec_from_module(loaded.module, factory)
    counted = sum(p.numel() for p in loaded.module.parameters())
    return (
        measured,
        f"measured from {spec} ({number(counted)} parameters counted, {number(measured.total_params)} in the formula)",
    )


def _serve(spec: ModelSpec, system: str) -> Any:
    from isthmus.plan.perfmodel import estimate_serve

    ctx_len = min(spec.max_seq, MAX_CONTEXT)
    last = None
    for chips in SERVE_CHIPS:
        last = estimate_serve(
            spec, system, chips, precision="bf16", prompt_len=ctx_len // 2, output_len=ctx_len // 2, tpot_ms=TPOT_MS
        )
        if last.feasible:
            return chips, last
    return SERVE_CHIPS[-1], last


def _row(
    side: str, system: str, task: str, chips: int, tokens_per_s: float, feasible: bool, c: Costs
) -> dict[str, Any]:
    per_chip = tokens_per_s / chips if feasible else 0.0
    usd = c.usd_per_chip_hour / (per_chip * 3600) * 1e6 if c.usd_per_chip_hour and per_chip > 0 else None
    kwh = per_chip * 3600 / c.kw_per_chip if c.kw_per_chip and per_chip > 0 else None
    return {
        "side": side,
        "system": system,
        "task": task,
        "chips": chips,
        "feasible": feasible,
        "tokens_per_s_per_chip": per_chip,
        "usd_per_chip_hour": c.usd_per_chip_hour,
        "usd_per_m_tokens": usd,
        "tokens_per_kwh": kwh,
        "cost_basis": c.basis,
    }


def rows(spec: ModelSpec, targets: tuple[str, ...]) -> list[dict[str, Any]]:
    from isthmus.plan.perfmodel import estimate_train

    systems = {s: side for t in targets if (side := side_of(t)) for s in systems_of(t)}
    seq = min(spec.max_seq, MAX_CONTEXT)
    out = []
    for system, side in systems.items():
        c = costs(system)
        tr = estimate_train(spec, system, TRAIN_CHIPS, seq_len=seq)
        out.append(_row(side, system, f"train bf16, seq {seq}", TRAIN_CHIPS, tr.tokens_per_s, tr.feasible, c))
        chips, sv = _serve(spec, system)
        out.append(_row(side, system, f"serve bf16, {chips} chip(s)", chips, sv.tokens_per_s, sv.feasible, c))
    return out


def charts(rs: list[dict[str, Any]]) -> list[Block]:
    """One question per row of charts (faster? cheaper? less energy?), training and serving side by side."""
    parts: list[Block] = []
    for field, question, lower_better in (
        ("tokens_per_s_per_chip", "Which is faster? tokens/s per chip", False),
        ("usd_per_m_tokens", "Which is cheaper? USD per million tokens (shorter is better)", True),
        ("tokens_per_kwh", "Which uses less energy? tokens per kWh", False),
    ):
        row: list[Block] = []
        for task in ("train", "serve"):
            mine = [r for r in rs if r["task"].startswith(task)]
            items = [(str(r["system"]), float(r[field])) for r in mine if r[field]]
            missing = sorted({r["system"] for r in mine if not r[field]})
            best = (min if lower_better else max)(items, key=lambda kv: kv[1])[0] if items else None
            note = f"no catalogue figure for {', '.join(missing)}" if missing else ""
            money = field == "usd_per_m_tokens"
            row.append(
                BarChart(
                    tuple(items),
                    "" if money else (" tok/s" if field.startswith("tokens_per_s") else " tok"),
                    width=460,
                    title=f"{'Training' if task == 'train' else 'Serving'}: {question}",
                    note=note,
                    highlight=best,
                    value_format="usd" if money else "number",
                )
            )
        parts.append(Row(tuple(row)))
    return parts


def section(ctx: AssessContext) -> SectionResult:
    """Estimate the project's model on each side's system."""
    spec, origin = project_model(ctx)
    if spec is None:
        return SectionResult(KEY, TITLE, "skipped", origin, {"model": None, "origin": origin})
    rs = rows(spec, ctx.targets)
    if not rs:
        return SectionResult(KEY, TITLE, "skipped", "no target maps to a catalogue system", {"model": spec.summary()})
    status: SectionStatus = "pass" if all(r["feasible"] for r in rs) else "warn"
    ratios = []
    for task in ("train", "serve"):
        per = {r["side"]: r["tokens_per_s_per_chip"] for r in rs if r["task"].startswith(task) and r["feasible"]}
        if per.get("cuda") and per.get("ascend"):
            ratios.append(f"{task}: Ascend/CUDA per chip {per['ascend'] / per['cuda']:.2f}x")
    size = (
        f"{number(spec.total_params)} parameters"
        if spec.total_params < 1e9
        else (f"{spec.total_params / 1e9:.1f} B parameters")
    )
    summary = f"{spec.name} ({size}, {spec.layers} layers, hidden {spec.hidden}): " + ("; ".join(ratios) or "estimated")
    blocks = (
        para(
            "Model: ",
            bold(spec.name),
            f", {origin}; {spec.layers} layers, hidden {spec.hidden}, {spec.heads} heads "
            f"({spec.kv_heads} KV), MLP {spec.ffn}, vocabulary {number(spec.vocab)}.",
        ),
        *charts(rs),
        table(
            ["system", "task", "tokens/s per chip", "USD per M tokens", "tokens per kWh", "cost basis"],
            [
                (
                    r["system"],
                    r["task"] + ("" if r["feasible"] else " (does not fit)"),
                    number(r["tokens_per_s_per_chip"]),
                    "-" if r["usd_per_m_tokens"] is None else number(r["usd_per_m_tokens"]),
                    "-" if r["tokens_per_kwh"] is None else number(r["tokens_per_kwh"]),
                    r["cost_basis"],
                )
                for r in rs
            ],
            numeric=(2, 3, 4),
        ),
        para(
            "Estimates from isthmus.plan.perfmodel with efficiencies fitted on published measurements "
            "(docs/perfmodel.md); not measured on this machine. A very small model is dominated by overheads the "
            "model does not capture: read its figures as a ranking, not a forecast.",
            muted=True,
        ),
    )
    data = {"model": spec.summary(), "origin": origin, "rows": rs}
    return SectionResult(KEY, TITLE, status, summary, data, blocks)


__all__ = ["costs", "project_model", "rows", "section", "spec_from_module"]

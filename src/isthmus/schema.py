"""The one pydantic base for every validated file isthmus reads, and the one way to word a validation error.

Files (hardware catalogue, rules, compatibility matrix, fleets, scenarios, sweeps, parity manifests, `isthmus.toml`,
`[tool.isthmus.scan]`) are described by `StrictModel` subclasses. A model that needs a stricter variant subclasses
`StrictModel` and overrides only that key. `describe` turns a `ValidationError` into the one-line text every
message uses: `workloads[2].tokens_per_s: Input should be greater than 0 (and 1 more)`.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Unknown keys are refused (a typo fails loudly), instances are immutable, and inf/nan are never a number
    ("1e400" must not become an infinite demand or price)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def location(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as people write a field path: `workloads[2].tokens_per_s`.

    A string right after a list index that pydantic adds for a tagged union (`workloads[0].serve.name`) is a
    discriminator tag, not a field the user wrote: it is left out.
    """
    out = ""
    prev: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(prev, int) and part in _TAGS:
            pass
        else:
            out += f".{part}" if out else str(part)
        prev = part
    return out


# discriminator tags of the tagged unions in our files (fleet workloads: serve | train)
_TAGS = frozenset({"serve", "train"})


def describe(e: ValidationError) -> str:
    """The first error of `e` on one line: `path.to[0].field: message`, plus `(and N more)` when there are more.

    The message is pydantic's, without its "Value error, " prefix (our validators' messages say what to fix);
    a key the model does not know is an "unknown key".
    An error of the whole document (no location) is just the message.
    """
    err = e.errors()[0]
    where = location(tuple(err["loc"]))
    msg = "unknown key" if err["type"] == "extra_forbidden" else str(err["msg"]).removeprefix("Value error, ")
    msg = " ".join(msg.split())  # one line, whatever a validator wrote
    more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
    return f"{where}: {msg}{more}" if where else f"{msg}{more}"


def validate_packaged(model: type[M], text: str, what: str) -> M:
    """Parse and validate a YAML data file shipped inside isthmus. A failure is a packaging bug (RuntimeError,
    reported as an internal error), never the user's input."""
    import yaml  # only the packaged data needs it, not every importer of the base

    try:
        return model.model_validate(yaml.safe_load(text))
    except ValidationError as e:
        raise RuntimeError(f"isthmus {what} is invalid: {describe(e)}") from e
    except yaml.YAMLError as e:
        raise RuntimeError(f"isthmus {what} is invalid: {' '.join(str(e).split())}") from e

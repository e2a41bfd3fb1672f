"""Generate docs/rules.md (the rule catalogue) from the rule classes.

.venv/bin/python tools/gen_rules_doc.py          # write docs/rules.md
.venv/bin/python tools/gen_rules_doc.py --check  # exit 1 if docs/rules.md is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from isthmus.files import atomic_write_text
from isthmus.scan import all_rules

DOC = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


def render() -> str:
    rules = all_rules()
    out = [
        "# Scan rules",
        "",
        "Generated from the rule classes by `tools/gen_rules_doc.py`; do not edit by hand.",
        "Severity: **error** fails on the target; **warning** is silently wrong or slow there; **info** is not",
        "portable style. *Fix*: `--fix` applies it (safe: cannot change behaviour on CUDA); *unsafe*: needs",
        "`--unsafe-fixes`. `isthmus scan --explain CODE` prints one entry.",
        "",
        "| Code | Name | Category | Severity | Fix | Flags |",
        "|---|---|---|---|---|---|",
    ]
    for r in rules:
        out.append(
            f"| [{r.code}](#{r.code.lower()}) | {r.name} | {r.category} | {r.severity} | "
            f"{'yes' if r.fixable() else ''} | {r.summary().replace('|', '/')} |"
        )
    out.append("")
    for r in rules:
        out += [
            f"## {r.code}",
            "",
            f"`{r.name}` · {r.category} · {r.severity}{' · fixable' if r.fixable() else ''}",
            "",
            r.explain(),
            "",
            f"Message: {r.message}.",
            "",
        ]
        for c in r.cases(valid=False)[:2]:
            lang = "python" if c.path.endswith(".py") else ""
            out += [f"Flagged ({c.path}):", "", f"```{lang}", c.code.rstrip("\n"), "```", ""]
            if c.fixed is not None:
                out += ["After `--fix`:", "", f"```{lang}", c.fixed.rstrip("\n"), "```", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC} is out of date: run .venv/bin/python tools/gen_rules_doc.py", file=sys.stderr)
            return 1
        return 0
    atomic_write_text(DOC, text)
    print(f"wrote {DOC} ({len(all_rules())} rules)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

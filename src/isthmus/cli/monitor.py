"""`isthmus monitor snapshot|serve|schema`: accelerator telemetry in one schema for NVIDIA and Ascend."""

from __future__ import annotations

import time

import click

from isthmus.cli._common import echo_json, format_option, stdout_console
from isthmus.errors import ExitCode, InputError

_backend_option = click.option(
    "--backend",
    type=click.Choice(["auto", "nvidia", "ascend"]),
    default="auto",
    show_default=True,
    help="Which vendor interfaces to read (auto: every one present).",
)
_node_option = click.option("--node", default=None, help="Value of the `node` label (default: the host name).")


@click.group(epilog="Example: isthmus monitor snapshot --format json")
def command() -> None:
    """Read accelerator telemetry (NVML; Ascend DCMI or npu-smi) in one schema; serve it to Prometheus."""


@command.command("snapshot", epilog="Example: isthmus monitor snapshot --backend ascend")
@_backend_option
@_node_option
@format_option
def snapshot(backend: str, node: str | None, fmt: str) -> int:
    """Print one telemetry snapshot. Exit 1 when a device could not be read."""
    from isthmus.monitor import detect, take_snapshot
    from isthmus.monitor.render import header, rows

    snap = take_snapshot(detect(backend), node)  # type: ignore[arg-type]
    if fmt == "json":
        echo_json(snap.to_json())
    else:
        from rich.table import Table

        tbl = Table(title=f"Accelerators on {snap.node} at {snap.taken}")
        for col in header():
            tbl.add_column(col)
        for r in rows(snap):
            tbl.add_row(*r)
        console = stdout_console()
        console.print(tbl if snap.devices else "No accelerators found.")
        for d in snap.errors:
            console.print(f"error: {d.vendor} {d.index}: {d.error}", markup=False)
        for note in snap.notes:
            console.print(f"note: {note}", markup=False)
    return int(ExitCode.FINDINGS) if snap.errors else 0


@command.command("serve", epilog="Example: isthmus monitor serve --port 9400")
@click.option("--port", type=int, default=9400, show_default=True, help="TCP port for /metrics.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (0.0.0.0 exposes it).")
@_backend_option
@_node_option
def serve(port: int, host: str, backend: str, node: str | None) -> int:
    """Expose /metrics for Prometheus; every scrape reads fresh telemetry. Ctrl-C stops it."""
    from isthmus.monitor import detect, start_server, take_snapshot
    from isthmus.monitor.prom import load_prometheus_client

    load_prometheus_client()  # the install hint before anything else
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port}: use a TCP port between 0 and 65535")
    sources = detect(backend)  # type: ignore[arg-type]
    try:
        server, _ = start_server(lambda: take_snapshot(sources, node), port, host)
    except OSError as e:
        raise InputError(f"cannot listen on {host}:{port}: {e.strerror or e}", hint="choose another --port") from e
    click.echo(f"serving http://{host}:{server.server_port}/metrics (Ctrl-C to stop)", err=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        server.shutdown()


@command.command("schema", epilog="Example: isthmus monitor schema --format json")
@format_option
def schema(fmt: str) -> int:
    """Show the metric schema, each vendor's source field, and the dcgm-exporter / npu-exporter migration."""
    from rich.table import Table

    from isthmus.monitor import load_schema
    from isthmus.monitor.render import MIGRATION_COLUMNS, SCHEMA_COLUMNS, migration_rows, schema_rows, schema_title

    s = load_schema()
    if fmt == "json":
        echo_json(s.to_json())
        return 0
    tbl = Table(title=schema_title(s))
    for col in SCHEMA_COLUMNS:
        tbl.add_column(col)
    for row in schema_rows(s):
        tbl.add_row(*row)
    mig = Table(title="Migration (their value = ours x factor)")
    for col in MIGRATION_COLUMNS:
        mig.add_column(col)
    for row in migration_rows(s):
        mig.add_row(*row)
    console = stdout_console()
    console.print(tbl)
    console.print(mig)
    return 0

"""Collective communication times. Pure functions; bytes and bytes/s in, seconds out.

Ring/bandwidth-optimal algorithms (Patarasuk & Yuan 2009; Thakur et al. 2005): all-reduce moves 2(n-1)/n of the
buffer per rank, all-gather and reduce-scatter (n-1)/n, all-to-all (n-1)/n of what each rank sends. Each call
pays a fixed latency `lat` (launch + synchronisation), a per-stack prior.
"""

from __future__ import annotations


def all_reduce_s(nbytes: float, n: int, bw: float, lat: float) -> float:
    """All-reduce of an `nbytes` buffer over `n` ranks at `bw` bytes/s per rank and direction."""
    if n <= 1 or nbytes <= 0:
        return 0.0
    return lat + 2.0 * (n - 1) / n * nbytes / bw


def all_gather_s(nbytes: float, n: int, bw: float, lat: float) -> float:
    """All-gather (or reduce-scatter) producing an `nbytes` buffer on each of `n` ranks."""
    if n <= 1 or nbytes <= 0:
        return 0.0
    return lat + (n - 1) / n * nbytes / bw


def all_to_all_s(
    send_bytes: float, n: int, bw_in: float, bw_out: float | None, domain: int, lat: float, fanout: int = 0
) -> float:
    """All-to-all where each rank sends `send_bytes` spread evenly over `n` ranks.

    When the group spans several scale-up domains of `domain` ranks, traffic for other domains crosses the
    scale-out network at `bw_out` while the rest uses `bw_in`, concurrently (the slower decides). With `fanout`
    > 0 the send is `fanout` copies of one token (MoE dispatch to top-k experts) and is deduplicated per remote
    domain, then forwarded inside it (DeepSeek-V3 sec. 3.2.2, DeepEP): a token crosses the network once per
    remote domain it touches, (D-1)·(1-(1-1/D)^k) times on average under uniform routing over D domains.
    """
    if n <= 1 or send_bytes <= 0:
        return 0.0
    remote = send_bytes * (n - 1) / n
    if n <= domain or bw_out is None:
        return lat + remote / bw_in
    outside = send_bytes * (n - domain) / n
    if fanout > 0:
        d = n / domain
        outside = send_bytes / fanout * (d - 1) * (1 - (1 - 1 / d) ** fanout)
    inside = remote
    return lat + max(inside / bw_in, outside / bw_out)


def p2p_s(nbytes: float, bw: float, lat: float) -> float:
    """One point-to-point send (pipeline stage boundary)."""
    return 0.0 if nbytes <= 0 else lat + nbytes / bw

#!/usr/bin/env python3
"""Two release binaries side by side on kept-alive ranged reads: both
servers run at once with the same 64 MiB file, and each round asks both
(their order alternating) for the same random ranges — 1 MiB and 1 byte,
HTTP/1.1 and HTTP/2, on one connection per batch — so that the machine's
noise falls on both alike. Prints, per binary, the p50 of the first
response byte (curl's time_starttransfer: the head), the p50 / p90 of the
first body byte, the p50 of the whole response and the server's CPU per
request (its threads' run time over a batch, divided: steadier than the
times on a noisy VM, and what the requests cost); then, from a batch
of 1 MiB and 1-byte ranges mixed on one connection, the first body byte by
the size of the request before it (a large answer slows the next one).

    scripts/bench-ab-range.py BINARY_A BINARY_B [ROUNDS]

Build the two binaries into different target directories (a worktree
built into the main one replaces its artefacts). Defaults: 8 rounds of
150 requests per binary, protocol and size.
"""
import os
import random
import statistics
import sys
import tempfile

from benchlib import cpu_ns, free_port, ranged_reads, start_server, stop_and_remove, upload, wait_idle

N = 150
HEAD = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"
SIZE = 64 << 20


def batch(server, version, spans):
    """`spans` of the original on one connection: (first response byte ms,
    first body byte ms, whole ms) per request, and the server's CPU per
    request (ms). The CPU figure covers the whole batch, the connection's
    TLS handshake and the first requests included (the caller leaves the
    first ten out of the times only)."""
    s, base, auth, asset = server
    before = cpu_ns(s.pid)
    got = ranged_reads(version, f"{base}/api/v1/assets/{asset}/original", [auth[1]], spans)
    cpu = (cpu_ns(s.pid) - before) / 1e6 / len(spans)
    return [(head * 1000, body * 1000, whole * 1000) for head, body, whole, _ in got], cpu


def main():
    bins = sys.argv[1:3]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    work = tempfile.mkdtemp(prefix="bench-ab-")
    servers = []
    try:
        src = os.path.join(work, "clip.mp4")
        with open(src, "wb") as f:
            f.write(HEAD)
            f.write(os.urandom(SIZE))
        for i, b in enumerate(bins):
            s, base, token = start_server(b, os.path.join(work, f"d{i}"), free_port(), os.path.join(work, f"o{i}.txt"))
            auth = ["-H", f"authorization: Bearer {token}"]
            servers.append((s, base, auth, upload(base, auth, src, "clip.mp4")))
        for s, *_ in servers:
            wait_idle(s.pid)  # the uploads' backup copies and media jobs
        res, mixed, cpus = {}, {}, {}
        for rnd in range(rounds):
            order = [0, 1] if rnd % 2 == 0 else [1, 0]
            for version in ("--http1.1", "--http2"):
                for size in (1 << 20, 1):
                    starts = [random.randrange(0, SIZE - size) for _ in range(N)]
                    for i in order:
                        got, cpu = batch(servers[i], version, [(st, st + size - 1) for st in starts])
                        res.setdefault((i, version, size), []).extend(got[10:])
                        cpus.setdefault((i, version, size), []).append(cpu)
                # 1 MiB and 1-byte ranges mixed on one connection: each
                # request's first body byte by the size of the one before
                sizes = [random.choice((1, 1 << 20)) for _ in range(N)]
                spans = [(st, st + n - 1) for st, n in ((random.randrange(0, SIZE - n), n) for n in sizes)]
                for i in order:
                    got, _ = batch(servers[i], version, spans)
                    for k in range(10, N):
                        mixed.setdefault((i, version, sizes[k - 1], sizes[k]), []).append(got[k][1])
        print("| kept-alive range | binary | first response byte p50 (ms) | first body byte p50 / p90 (ms) | whole p50 (ms) | server CPU per request, median of batches (ms) |")
        print("|---|---|---|---|---|---|")
        for version in ("--http1.1", "--http2"):
            for size in (1 << 20, 1):
                for i in (0, 1):
                    vals = res[(i, version, size)]
                    head = statistics.median(v[0] for v in vals)
                    body = sorted(v[1] for v in vals)
                    whole = statistics.median(v[2] for v in vals)
                    label = f"{version[2:]}, {'1 MiB' if size > 1 else '1 byte'}"
                    cpu = statistics.median(cpus[(i, version, size)])
                    print(f"| {label} | {bins[i]} | {head:.3f} | {statistics.median(body):.3f} / {body[int(len(body) * 0.9)]:.3f} | {whole:.3f} | {cpu:.3f} |")
        print()
        print("| mixed sizes, first body byte p50 (ms) | binary | 1 B after 1 B | 1 MiB after 1 B | 1 B after 1 MiB | 1 MiB after 1 MiB |")
        print("|---|---|---|---|---|---|")
        for version in ("--http1.1", "--http2"):
            for i in (0, 1):
                cells = [statistics.median(mixed.get((i, version, a, b)) or [float("nan")])
                         for a, b in ((1, 1), (1, 1 << 20), (1 << 20, 1), (1 << 20, 1 << 20))]
                print(f"| {version[2:]} | {bins[i]} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    finally:
        stop_and_remove([s for s, *_ in servers], [work])


if __name__ == "__main__":
    main()

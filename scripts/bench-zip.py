#!/usr/bin/env python3
"""ZIP download of a selection, end to end on the real binary, beside its
baseline: the same files downloaded one by one as originals through the same
server (same decryption, same TLS, one curl on one connection), so the ratio is what the ZIP framing and
CRC-32 cost. Also the server's peak RSS growth during the ZIP (VmHWM, reset
through /proc/PID/clear_refs), which must not follow the archive's size.

Then the whole-library export (issue 17) on the same files: the time to
prepare it (every original read once for its CRC-32), the download of the
archive beside the same baseline, its peak RSS growth, and random 1 MiB
`Range` reads into the archive beside the same reads of the originals.

    scripts/bench-zip.py [BINARY] [FILES] [MIB] [RUNS]

Defaults: target/release/pixelunion, 32 files of 16 MiB (512 MiB), 5 runs;
prints medians and a Markdown row for docs/benchmarks.md. Files are MP4
signatures with random bytes (their media jobs fail fast).
"""
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchlib import hwm_kib, reset_hwm, start_server

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "target", "release", "pixelunion")
FILES = int(sys.argv[2]) if len(sys.argv) > 2 else 32
MIB = int(sys.argv[3]) if len(sys.argv) > 3 else 16
RUNS = int(sys.argv[4]) if len(sys.argv) > 4 else 5
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def get(base, token, paths):
    """Downloads `paths` with one curl (one connection, one after another),
    discarding the bytes; returns how many came."""
    out = subprocess.run(["curl", "-sk", "--fail", "-H", f"authorization: Bearer {token}", "-w", "%{size_download}\\n",
                          *[x for p in paths for x in (base + p, "-o", "/dev/null")]],
                         capture_output=True, text=True, check=True).stdout
    return sum(int(x) for x in out.split())


def main():
    with tempfile.TemporaryDirectory() as tmp:
        port = 18000 + os.getpid() % 1000
        p, base, token = start_server(BIN, os.path.join(tmp, "data"), port, os.path.join(tmp, "out.txt"))
        try:
            ids = []
            for i in range(FILES):
                body = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom" + os.urandom(MIB << 20)
                req = urllib.request.Request(base + "/api/v1/assets", data=body, method="POST")
                req.add_header("authorization", "Bearer " + token)
                req.add_header("x-file-name", f"clip-{i}.mp4")
                with urllib.request.urlopen(req, context=CTX, timeout=600) as r:
                    import json
                    ids.append(json.loads(r.read())["asset"]["id"])
            total = FILES * ((MIB << 20) + 24)
            singles, zips, growth = [], [], []
            for _ in range(RUNS):
                t = time.perf_counter()
                n = get(base, token, [f"/api/v1/assets/{i}/original" for i in ids])
                singles.append(time.perf_counter() - t)
                assert n == total, (n, total)
                reset_hwm(p.pid)
                before = hwm_kib(p.pid)
                t = time.perf_counter()
                n = get(base, token, ["/api/v1/assets/zip?ids=" + ",".join(ids)])
                zips.append(time.perf_counter() - t)
                growth.append(hwm_kib(p.pid) - before)
                assert n > total, (n, total)
            exp = export(base, token, p.pid, total, ids)
        finally:
            p.terminate()
            p.wait()
    s, z = statistics.median(singles), statistics.median(zips)
    mib = total / (1 << 20)
    print(f"{FILES} files × {MIB} MiB, medians of {RUNS}:")
    print(f"  originals one by one: {s:.2f} s ({mib / s:.0f} MiB/s)")
    print(f"  one ZIP:              {z:.2f} s ({mib / z:.0f} MiB/s), server peak RSS +{statistics.median(growth) / 1024:.1f} MiB")
    print(f"| ZIP of {FILES} × {MIB} MiB | {z:.2f} s ({mib / z:.0f} MiB/s) | originals one by one {s:.2f} s ({mib / s:.0f} MiB/s) | {z / s:.2f}× | +{statistics.median(growth) / 1024:.1f} MiB RSS |")
    prep, dl, eg, er, orr = exp
    print(f"  export: prepared in {prep:.2f} s ({mib / prep:.0f} MiB/s); download {dl:.2f} s ({mib / dl:.0f} MiB/s), server peak RSS +{eg / 1024:.1f} MiB")
    print(f"  random 1 MiB Range, p50 / p90 of {len(er)}: export {pct(er, 50) * 1000:.1f} / {pct(er, 90) * 1000:.1f} ms, originals {pct(orr, 50) * 1000:.1f} / {pct(orr, 90) * 1000:.1f} ms")
    print(f"| export of {FILES} × {MIB} MiB, download | {dl:.2f} s ({mib / dl:.0f} MiB/s) | originals one by one {s:.2f} s | {dl / s:.2f}× | +{eg / 1024:.1f} MiB RSS |")
    print(f"| export, preparing (reads every original once) | {prep:.2f} s ({mib / prep:.0f} MiB/s) | originals one by one {s:.2f} s | {prep / s:.2f}× | |")
    print(f"| random 1 MiB Range of the export, p50 | {pct(er, 50) * 1000:.1f} ms | the same of the originals {pct(orr, 50) * 1000:.1f} ms | {pct(er, 50) / pct(orr, 50):.2f}× | |")


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q / 100))]


def ranges(base, token, paths_and_sizes, n=60):
    """`n` random 1 MiB ranges, one curl each (a new connection each time, as
    a resuming client would), returning their times."""
    import random
    rnd = random.Random(7)
    out = []
    for _ in range(n):
        path, size = rnd.choice(paths_and_sizes)
        start = rnd.randrange(0, max(1, size - (1 << 20)))
        t = time.perf_counter()
        got = subprocess.run(["curl", "-sk", "--fail", "-H", f"authorization: Bearer {token}", "-r", f"{start}-{start + (1 << 20) - 1}",
                              "-o", "/dev/null", "-w", "%{size_download}", base + path], capture_output=True, text=True, check=True).stdout
        out.append(time.perf_counter() - t)
        assert int(got) == min(1 << 20, size - start), got
    return out


def export(base, token, pid, total, ids):
    """The library export: (prepare s, median download s, median RSS growth KiB,
    Range times of the export, Range times of the originals)."""
    import json
    req = urllib.request.Request(base + "/api/v1/exports", data=b"", method="POST")
    req.add_header("authorization", "Bearer " + token)
    t = time.perf_counter()
    with urllib.request.urlopen(req, context=CTX, timeout=60) as r:
        v = json.loads(r.read())
    while v["state"] == "preparing":
        time.sleep(0.05)
        req = urllib.request.Request(base + f"/api/v1/exports/{v['id']}")
        req.add_header("authorization", "Bearer " + token)
        with urllib.request.urlopen(req, context=CTX, timeout=60) as r:
            v = json.loads(r.read())
    prep = time.perf_counter() - t
    assert v["state"] == "ready", v
    dls, growth = [], []
    for _ in range(RUNS):
        reset_hwm(pid)
        before = hwm_kib(pid)
        t = time.perf_counter()
        n = get(base, token, [v["download"]])
        dls.append(time.perf_counter() - t)
        growth.append(hwm_kib(pid) - before)
        assert n == v["archive_bytes"] and n > total, (n, v)
    er = ranges(base, token, [(v["download"], v["archive_bytes"])])
    orr = ranges(base, token, [(f"/api/v1/assets/{i}/original", (MIB << 20) + 24) for i in ids])
    return prep, statistics.median(dls), statistics.median(growth), er, orr


if __name__ == "__main__":
    main()

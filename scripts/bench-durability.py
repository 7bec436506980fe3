#!/usr/bin/env python3
"""What durable writes cost: upload throughput of the real binary (local
stores, SQLite) as shipped — every blob's file and directories synced
before the answer — beside the same binary under `eatmydata` (Debian's
libeatmydata, an LD_PRELOAD that turns fsync/fdatasync into no-ops: what the
server did before it synced). Small photos (256 KiB) and large files
(16 MiB), uploaded one after the other; medians of per-upload times and the
total rate.

    scripts/bench-durability.py [BINARY] [SMALL_COUNT] [LARGE_COUNT]

Defaults: target/release/pixelunion, 200 small, 20 large. Prints a Markdown
table (docs/benchmarks.md). The disk under the temporary directory decides
the figures; quote the ratio.
"""
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchlib import start_server

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "target", "release", "pixelunion")
SMALL = int(sys.argv[2]) if len(sys.argv) > 2 else 200
LARGE = int(sys.argv[3]) if len(sys.argv) > 3 else 20
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def need_eatmydata():
    if shutil.which("eatmydata"):
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "eatmydata"], check=True)


def body(size, i):
    head = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"
    return head + os.urandom(size - len(head) - 4) + i.to_bytes(4, "big")


def run(prefix, port):
    work = tempfile.mkdtemp(prefix="pu-bench-durable-")
    server, base, token = start_server(BIN, os.path.join(work, "data"), port, os.path.join(work, "out"), prefix)
    try:
        result = {}
        for label, size, count in (("small", 256 * 1024, SMALL), ("large", 16 * 1048576, LARGE)):
            times = []
            bodies = [body(size, i) for i in range(count)]
            t0 = time.monotonic()
            for i, b in enumerate(bodies):
                req = urllib.request.Request(base + "/api/v1/assets", data=b, method="POST")
                req.add_header("authorization", "Bearer " + token)
                req.add_header("x-file-name", f"{label}-{i}.mp4")
                t = time.monotonic()
                with urllib.request.urlopen(req, context=CTX, timeout=120) as r:
                    assert r.status == 201
                times.append(time.monotonic() - t)
            total = time.monotonic() - t0
            result[label] = (statistics.median(times), count / total, count * size / 1048576 / total)
        return result
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


def main():
    need_eatmydata()
    synced = run([], 18643)
    unsynced = run(["eatmydata"], 18644)
    print("| uploads | synced (as shipped) | without fsync (`eatmydata`) | cost |")
    print("|---|---|---|---|")
    for label, size in (("small", "256 KiB"), ("large", "16 MiB")):
        (m1, r1, b1), (m2, r2, b2) = synced[label], unsynced[label]
        print(f"| {size} × {SMALL if label == 'small' else LARGE}, one at a time | median {m1 * 1000:.1f} ms, {r1:.1f}/s, {b1:.0f} MiB/s "
              f"| median {m2 * 1000:.1f} ms, {r2:.1f}/s, {b2:.0f} MiB/s | {b2 / b1:.2f}× throughput, +{(m1 - m2) * 1000:.1f} ms per upload |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Where a kept-alive request's first byte goes, stage by stage, on the
release binary: the same connection asks N times for each of

- `/healthz` (no authentication, no catalog),
- `/api/v1/sys/status` (no authentication, the key state),
- `/api/v1/assets/{id}` (API token and its user, the owner-scoped asset row,
  a JSON answer),
- one byte of the original (the above, the object opened, one segment read
  and decrypted),
- 1 MiB of the original (the ranged read bench-range.py times),

over HTTP/1.1 and HTTP/2, and prints the p50 of curl's time_starttransfer
(the first byte of the answer, its head, which leaves with the first body
bytes since the ninth pass; the first 20 requests of each left out). The
differences between rows are what each stage adds; run it beside
scripts/bench-first-byte.py (nginx's first byte on the same machine).

    scripts/bench-stages.py [BINARY] [REQUESTS] [ROUNDS]

Defaults: target/release/pixelunion, 300 requests, three rounds.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from benchlib import free_port, start_server, upload

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "target", "release", "pixelunion")
N = int(sys.argv[2]) if len(sys.argv) > 2 else 300
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
HEAD = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"


def first_byte_p50(base, auth, version, path, extra):
    """p50 first byte (ms) of N kept-alive requests for `path`."""
    cmd = ["curl", "-sk", version, *auth, *extra, "-w", "%{time_starttransfer}\\n"]
    for _ in range(N):
        cmd += ["-o", "/dev/null", base + path]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    times = [float(line) * 1000 for line in out.split("\n") if line.strip()]
    return statistics.median(times[20:])


def main():
    os.makedirs(os.path.join(HERE, "..", "target"), exist_ok=True)
    work = tempfile.mkdtemp(dir=os.path.join(HERE, "..", "target"), prefix="bench-stages-")
    server = None
    try:
        src = os.path.join(work, "clip.mp4")
        with open(src, "wb") as f:
            f.write(HEAD)
            f.write(os.urandom(8 << 20))
        server, base, token = start_server(BIN, os.path.join(work, "data"), free_port(), os.path.join(work, "out.txt"))
        auth = ["-H", f"authorization: Bearer {token}"]
        asset = upload(base, auth, src, "clip.mp4")
        original = f"/api/v1/assets/{asset}/original"
        stages = [
            ("healthz", "/healthz", (), False),
            ("sys/status", "/api/v1/sys/status", (), False),
            ("asset JSON", f"/api/v1/assets/{asset}", (), True),
            ("1 byte of the original", original, ("-H", "range: bytes=5000000-5000000"), True),
            ("1 MiB of the original", original, ("-H", "range: bytes=5000000-6048575"), True),
        ]
        results = {}
        for _ in range(ROUNDS):
            for version in ("--http1.1", "--http2"):
                for name, path, extra, authed in stages:
                    p50 = first_byte_p50(base, auth if authed else [], version, path, extra)
                    results.setdefault((version, name), []).append(p50)
        print(f"| first byte, p50 of {N} kept-alive requests (ms), median of {ROUNDS} rounds | HTTP/1.1 | HTTP/2 |")
        print("|---|---|---|")
        for name, *_ in stages:
            h1 = statistics.median(results[("--http1.1", name)])
            h2 = statistics.median(results[("--http2", name)])
            print(f"| {name} | {h1:.3f} | {h2:.3f} |")
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

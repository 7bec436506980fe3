#!/usr/bin/env python3
"""Where an upload's memory goes: starts BINARY on a fresh data directory
and sends it ROUNDS resumable (tus) uploads of SIZE MiB in PIECE MiB
PATCHes over HTTP/1.1 (new bytes each time), each once the server is idle.
While an upload runs, a thread samples the server's resident memory
(`VmRSS`, and its anonymous part `RssAnon`) every millisecond or two.
Prints, per upload: the peak growth of `VmHWM` (what bench-range.py
reports), the resident memory before, and the peak growth during each
PATCH (the last one also assembles the asset) — so a growth can be told
apart from memory the allocator kept from before.

    scripts/probe-upload-memory.py BINARY [ROUNDS] [SIZE_MIB] [PIECE_MIB]

With `PU_PROBE_PERF=PREFIX`, `perf record -e page-faults --call-graph dwarf` watches every
upload after the first (PREFIX.2, PREFIX.3, …: where new memory is first
touched); with `PU_PROBE_TRACE=PREFIX`, each upload's samples go to
PREFIX.N (seconds, PATCH, MiB over before).

Defaults: 4 rounds of 256 MiB in 64 MiB pieces. The data directory is
under `target/` (or `$PU_BENCH_WORK`); the client's files in /dev/shm.
"""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import free_port, hwm_kib, reset_hwm, split, start_server, stop_and_remove, tus_upload, wait_idle, write_noise_video

MIB = 1 << 20
HEAD = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"
HERE = os.path.dirname(os.path.abspath(__file__))


def rss_kib(pid):
    """(VmRSS, RssAnon) of `pid` in KiB."""
    got = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "RssAnon:")):
                got[line.split(":")[0]] = int(line.split()[1])
    return got.get("VmRSS", 0), got.get("RssAnon", 0)


class Sampler(threading.Thread):
    """Samples `rss_kib(pid)` with a time stamp until stopped."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stop = pid, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.samples.append((time.perf_counter(), *rss_kib(self.pid)))
            time.sleep(0.001)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    size = int(sys.argv[3]) * MIB if len(sys.argv) > 3 else 256 * MIB
    piece = int(sys.argv[4]) * MIB if len(sys.argv) > 4 else 64 * MIB
    shm = tempfile.mkdtemp(dir="/dev/shm", prefix="pu-mem-")
    under = os.environ.get("PU_BENCH_WORK") or os.path.join(HERE, "..", "target")
    os.makedirs(under, exist_ok=True)
    work = tempfile.mkdtemp(dir=under, prefix="probe-mem-")
    server = None
    try:
        server, base, token = start_server(binary, os.path.join(work, "d"), free_port(), os.path.join(work, "o.txt"))
        auth = ["-H", f"authorization: Bearer {token}"]
        src = os.path.join(shm, "clip.mp4")
        write_noise_video(src, HEAD, size)
        print(f"{size // MIB} MiB in {piece // MIB} MiB PATCHes; MiB over the resident memory before the upload")
        print("| upload | RSS before | VmHWM growth | peak growth per PATCH (RSS / anonymous) |")
        print("|---|---|---|---|")
        for r in range(rounds):
            with open(src, "r+b") as f:
                f.seek(len(HEAD))
                f.write(os.urandom(64))
            pieces = split(src, piece, shm)
            wait_idle(server.pid)
            reset_hwm(server.pid)
            before_rss, before_anon = rss_kib(server.pid)
            hwm_before = hwm_kib(server.pid)
            sampler = Sampler(server.pid)
            perf = None
            if os.environ.get("PU_PROBE_PERF") and r > 0:
                # where the new memory is first touched: page faults with their call stacks
                perf = subprocess.Popen(["perf", "record", "-q", "-e", "page-faults", "-c", "1", "--call-graph", "dwarf,16384", "-p", str(server.pid),
                                         "-o", os.environ["PU_PROBE_PERF"] + f".{r + 1}"], stderr=subprocess.DEVNULL)
                time.sleep(1)
            sampler.start()
            took = tus_upload(base, auth, pieces)
            end = time.perf_counter()
            sampler.stop.set()
            sampler.join()
            if perf is not None:
                perf.send_signal(signal.SIGINT)
                perf.wait()
            hwm_growth = (hwm_kib(server.pid) - hwm_before) / 1024
            # each PATCH's span, counted back from the end
            spans, t = [], end
            for d in reversed(took):
                spans.append((t - d, t))
                t -= d
            spans.reverse()
            per = []
            for a, b in spans:
                inside = [(rss, anon) for (ts, rss, anon) in sampler.samples if a <= ts <= b]
                if inside:
                    per.append(f"{(max(s[0] for s in inside) - before_rss) / 1024:.1f}"
                               f" / {(max(s[1] for s in inside) - before_anon) / 1024:.1f}")
            if os.environ.get("PU_PROBE_SMAPS"):
                with open(f"/proc/{server.pid}/smaps_rollup") as f:
                    print("".join(l for l in f if "Huge" in l or l.startswith(("Rss", "Anonymous"))), end="")
            print(f"| {r + 1} | {before_rss / 1024:.1f} | {hwm_growth:.1f} | {', '.join(per)} |", flush=True)
            if os.environ.get("PU_PROBE_TRACE"):
                with open(os.environ["PU_PROBE_TRACE"] + f".{r + 1}", "w") as f:
                    for ts, rss, anon in sampler.samples:
                        i = next((k for k, (a, b) in enumerate(spans) if a <= ts <= b), -1)
                        f.write(f"{ts - spans[0][0]:.4f} {i} {(rss - before_rss) / 1024:.1f}\n")
            for p in pieces:
                os.remove(p)
    finally:
        stop_and_remove([server], [work, shm])


if __name__ == "__main__":
    main()

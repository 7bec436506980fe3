#!/usr/bin/env python3
"""Two release binaries side by side on resumable (tus) uploads sent in
pieces: both servers run at once, and each round sends each of them (their
order alternating) a new file of SIZE MiB in PIECE MiB PATCHes over
HTTP/1.1, each piece straight from a file cut before the clock starts (as
`bench-range.py` does), new bytes every time (no duplicate). Each upload
waits until both servers are idle (the last uploads' backup copies and
media jobs done). Prints, per binary, the median and spread of the whole upload,
of the last PATCH (which also assembles the asset) and of the other
PATCHes, and the server's CPU per upload (its user and system time,
threads that ended included).

    scripts/bench-ab-tus.py BINARY_A BINARY_B [ROUNDS] [SIZE_MIB] [PIECE_MIB]

Defaults: 5 rounds of 512 MiB in 64 MiB pieces. The data directories are
under `target/` (the disk under test), or under `$PU_BENCH_WORK` when set
(`/dev/shm` leaves the disk out: the CPU alone); the client's files are
in /dev/shm.
"""
import os
import statistics
import sys
import tempfile

from benchlib import free_port, process_cpu_s, split, start_server, stop_and_remove, tus_upload, wait_idle, write_noise_video

MIB = 1 << 20
HEAD = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    bins = sys.argv[1:3]
    if len(bins) != 2:
        sys.exit(__doc__)
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    size = int(sys.argv[4]) * MIB if len(sys.argv) > 4 else 512 * MIB
    piece = int(sys.argv[5]) * MIB if len(sys.argv) > 5 else 64 * MIB
    shm = tempfile.mkdtemp(dir="/dev/shm", prefix="pu-ab-tus-")
    under = os.environ.get("PU_BENCH_WORK") or os.path.join(HERE, "..", "target")
    os.makedirs(under, exist_ok=True)
    work = tempfile.mkdtemp(dir=under, prefix="bench-ab-tus-")
    servers = []
    try:
        for i, b in enumerate(bins):
            p, base, token = start_server(b, os.path.join(work, f"d{i}"), free_port(), os.path.join(work, f"o{i}.txt"))
            servers.append((p, base, ["-H", f"authorization: Bearer {token}"]))
        src = os.path.join(shm, "clip.mp4")
        write_noise_video(src, HEAD, size)
        got = {i: {"whole": [], "last": [], "others": [], "cpu": []} for i in range(2)}
        for r in range(rounds):
            for i in ((0, 1) if r % 2 == 0 else (1, 0)):
                p, base, auth = servers[i]
                with open(src, "r+b") as f:
                    f.seek(len(HEAD))
                    f.write(os.urandom(64))
                pieces = split(src, piece, shm)
                for other, *_ in servers:  # both: the other's backup copy would run beside this upload
                    wait_idle(other.pid)
                c0 = process_cpu_s(p.pid)
                took = tus_upload(base, auth, pieces)
                got[i]["cpu"].append(process_cpu_s(p.pid) - c0)
                for q in pieces:
                    os.remove(q)
                got[i]["whole"].append(sum(took))
                got[i]["last"].append(took[-1])
                got[i]["others"].extend(took[:-1])
        print(f"{size // MIB} MiB in {piece // MIB} MiB PATCHes over HTTP/1.1, {rounds} rounds per binary; seconds, median (min–max)")
        print("| | whole upload | last PATCH (assembles) | each other PATCH | server CPU per upload |")
        print("|---|---|---|---|---|")
        for i, b in enumerate(bins):
            cells = [f"{statistics.median(v):.3f} ({min(v):.3f}–{max(v):.3f})" if v else "–"
                     for v in (got[i][k] for k in ("whole", "last", "others", "cpu"))]
            print(f"| {'AB'[i]}: {b} | " + " | ".join(cells) + " |")
    finally:
        stop_and_remove([p for p, *_ in servers], [shm, work])


if __name__ == "__main__":
    main()

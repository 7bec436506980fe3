#!/usr/bin/env python3
"""Uploads, Range reads and whole downloads of one large encrypted file, end
to end on the release binary, each beside its baseline in the same run:

- upload of SIZE MiB (one request, `curl -T`, HTTP/1.1 and HTTP/2), and four
  uploads of SIZE/4 at once, beside `dd bs=8M conv=fdatasync` of the same
  bytes onto the same disk, with the server's peak RSS growth;
- random 1 MiB `Range` reads of the encrypted file (keep-alive, and a new
  connection each; HTTP/1.1 and HTTP/2): p50 / p99 of the first body byte
  and of the whole response, beside nginx over TLS serving the plaintext
  copy with the same certificate, the two asked in alternating batches;
- the same keep-alive reads and a whole download of the file sent with tus
  in 64 MiB pieces (an original kept as its parts), beside nginx;
- the whole file downloaded, beside nginx.

    scripts/bench-range.py [BINARY] [SIZE_MIB] [RANGES]

Defaults: target/release/pixelunion, 1024 MiB, 200 ranges. Needs curl,
nginx (Debian's nginx-light; installed when missing) and a curl with HTTP/2.
The source bytes live in /dev/shm (never on the disk under test).
"""
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import hwm_kib, ranged_reads, reset_hwm, split, start_server, stop_and_remove, tus_upload, upload, wait_idle, write_noise_video

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "target", "release", "pixelunion")
SIZE = (int(sys.argv[2]) if len(sys.argv) > 2 else 1024) << 20
RANGES = int(sys.argv[3]) if len(sys.argv) > 3 else 200
MIB = 1 << 20
HEAD = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"


def need(tool, package):
    if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}"):
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q / 100))]


def curl_times(args):
    """Runs curl and returns [(first byte s, total s, bytes)] per transfer."""
    out = subprocess.run(["curl", "-sk", "--fail", *args], capture_output=True, text=True, check=True).stdout
    return [(float(a), float(b), int(c)) for a, b, c in (line.split() for line in out.split("\n") if line.strip())]


W = "%{time_starttransfer} %{time_total} %{size_download}\\n"


def ranges(url, auth, version, keepalive, starts):
    """Times of 1 MiB ranges at `starts` on one reused connection, or a new
    connection each: (first body byte s, whole s) lists."""
    got = ranged_reads(version, url, auth[1:], [(s, s + MIB - 1) for s in starts], keepalive)
    assert all(n == MIB for *_, n in got), got[:3]
    return [body for _, body, _, _ in got], [whole for _, _, whole, _ in got]


def paired(ours, theirs, auth, version, keepalive, starts, batches=6):
    """`ranges` of both servers in alternating batches (the order switching
    each batch), so that the machine's drift falls on both alike. On a
    reused connection each batch first sends one range that is not timed
    (its TLS handshake). Returns (ours first, ours whole, theirs first,
    theirs whole)."""
    res = [[], [], [], []]
    for b in range(batches):
        part = starts[b::batches]
        if keepalive:
            part = part[:1] + part
        pair = [(0, ours, auth), (2, theirs, [])]
        for at, url, a in pair if b % 2 == 0 else pair[::-1]:
            first, whole = ranges(url, a, version, keepalive, part)
            skip = 1 if keepalive else 0
            res[at] += first[skip:]
            res[at + 1] += whole[skip:]
    return res


def main():
    need("nginx", "nginx-light")
    shm = tempfile.mkdtemp(dir="/dev/shm", prefix="pu-bench-")
    # on the disk under test (the repository's), not in /tmp (often memory)
    os.makedirs(os.path.join(HERE, "..", "target"), exist_ok=True)
    work = tempfile.mkdtemp(dir=os.path.join(HERE, "..", "target"), prefix="bench-range-")
    server = nginx = None
    try:
        src = os.path.join(shm, "clip.mp4")
        write_noise_video(src, HEAD, SIZE)
        # Baseline for uploads: the same bytes onto the same disk, durable,
        # three times here and once right before each upload (this disk's
        # speed moves by 3× within minutes: each upload is divided by the dd
        # run next to it).
        def dd_once():
            t = time.perf_counter()
            subprocess.run(["dd", f"if={src}", f"of={work}/dd.out", "bs=8M", "conv=fdatasync"], check=True, capture_output=True)
            took = time.perf_counter() - t
            os.remove(f"{work}/dd.out")
            return took

        dd = [dd_once() for _ in range(3)]

        def measured(send):
            """Runs `send()` once the server is idle, after a dd of its own:
            (seconds, server peak RSS growth MiB, that dd's seconds)."""
            wait_idle(server.pid)  # the last upload's backup copy and media job
            dd.append(dd_once())
            reset_hwm(server.pid)
            before = hwm_kib(server.pid)
            t = time.perf_counter()
            send()
            return time.perf_counter() - t, (hwm_kib(server.pid) - before) / 1024, dd[-1]

        port = 19000 + os.getpid() % 500
        server, base, token = start_server(BIN, os.path.join(work, "data"), port, os.path.join(work, "out.txt"))
        data = os.path.join(work, "data")
        auth = ["-H", f"authorization: Bearer {token}"]

        uploads = {}
        ids = []  # the asset the Range reads ask for: the last one uploaded
        for version in ("--http1.1", "--http2"):
            uploads[version] = measured(lambda: ids.append(upload(base, auth, src, "clip.mp4", (version,))))
        asset = ids[-1]

        # tus: creation, then the bytes in one PATCH, and in 64 MiB PATCHes
        # (a client with a chunk size); new bytes each time (no duplicate).
        kept = []  # the asset sent in pieces: an original kept as its parts
        for chunk, label in ((SIZE, "tus, one PATCH"), (64 * MIB, "tus, 64 MiB PATCHes")):
            with open(src, "r+b") as f:
                f.seek(len(HEAD))
                f.write(os.urandom(64))
            pieces = [src] if chunk >= SIZE else split(src, chunk, shm)
            uploads[f"--http1.1 {label}"] = measured(lambda: tus_upload(base, auth, pieces, kept))
            if chunk < SIZE:
                for piece in pieces:
                    os.remove(piece)

        # Four uploads at once, a quarter of the size each (distinct bytes).
        parts = []
        for i in range(4):
            part = os.path.join(shm, f"part-{i}.mp4")
            with open(part, "wb") as f:
                f.write(HEAD + os.urandom(SIZE // 4 - len(HEAD)))
            parts.append(part)

        def four_at_once(version):
            procs = [subprocess.Popen(["curl", "-sk", "--fail", version, *auth, "-H", f"x-file-name: part-{i}-{version}.mp4",
                                       "-H", "content-type: application/octet-stream", "-T", part, "-X", "POST", base + "/api/v1/assets"],
                                      stdout=subprocess.DEVNULL) for i, part in enumerate(parts)]
            assert all(p.wait() == 0 for p in procs)

        for version in ("--http1.1", "--http2"):
            uploads[f"{version} ×4"] = measured(lambda: four_at_once(version))
            # the same bytes again would be duplicates: new ones for the next round
            for part in parts:
                with open(part, "r+b") as f:
                    f.seek(len(HEAD))
                    f.write(os.urandom(64))

        # nginx over TLS with the server's certificate, on the plaintext copy.
        tls = os.path.join(data, "tls")
        ngx = os.path.join(work, "nginx")
        os.makedirs(os.path.join(ngx, "www"))
        shutil.copy(src, os.path.join(ngx, "www", "clip.mp4"))
        nport = port + 1
        with open(os.path.join(ngx, "nginx.conf"), "w") as f:
            f.write(f"""user root; worker_processes 2; pid {ngx}/nginx.pid; error_log {ngx}/error.log; daemon off;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; keepalive_requests 100000;
  server {{ listen 127.0.0.1:{nport} ssl http2; ssl_certificate {tls}/cert.pem; ssl_certificate_key {tls}/key.pem;
    root {ngx}/www; }} }}
""")
        nginx = subprocess.Popen(["/usr/sbin/nginx", "-c", f"{ngx}/nginx.conf", "-p", ngx])
        time.sleep(0.5)
        # the uploads' backup copies and media jobs run first
        wait_idle(server.pid)
        ours = f"{base}/api/v1/assets/{asset}/original"
        theirs = f"https://127.0.0.1:{nport}/clip.mp4"
        rnd = random.Random(11)
        starts = [rnd.randrange(0, SIZE - MIB) for _ in range(RANGES)]
        # warm both: the whole files once (page cache), then connections
        curl_times(["--http1.1", *auth, "-o", "/dev/null", "-w", W, ours])
        curl_times(["--http1.1", "-o", "/dev/null", "-w", W, theirs])
        ranges(ours, auth, "--http1.1", True, starts[:20])
        ranges(theirs, [], "--http1.1", True, starts[:20])
        rows = []
        for version in ("--http1.1", "--http2"):
            for keep in (True, False):
                n = starts if keep else starts[: max(20, RANGES // 4)]
                of, ot, nf, nt = paired(ours, theirs, auth, version, keep, n)
                rows.append((version[2:], "keep-alive" if keep else "new connection", len(n), of, ot, nf, nt))
        # The same over the original kept as its 64 MiB parts (reads that
        # cross from one part to the next included).
        in_parts = f"{base}/api/v1/assets/{kept[-1]}/original"
        curl_times(["--http1.1", *auth, "-o", "/dev/null", "-w", W, in_parts])
        of, ot, nf, nt = paired(in_parts, theirs, auth, "--http1.1", True, starts)
        rows.append(("http1.1", "keep-alive, an original kept as 64 MiB parts", len(starts), of, ot, nf, nt))
        whole = {}
        for version, url in (("--http1.1", ours), ("--http2", ours), ("--http1.1 kept as 64 MiB parts", in_parts)):
            o = statistics.median([curl_times([version.split()[0], *auth, "-o", "/dev/null", "-w", W, url])[0][1] for _ in range(3)])
            n = statistics.median([curl_times([version.split()[0], "-o", "/dev/null", "-w", W, theirs])[0][1] for _ in range(3)])
            whole[version] = (o, n)
    finally:
        stop_and_remove([nginx, server], [shm, work])

    mib = SIZE / MIB
    dd_s = statistics.median(dd)
    print(f"### {mib:.0f} MiB file, {time.strftime('%Y-%m-%d')}; dd conv=fdatasync: median {dd_s:.2f} s ({mib / dd_s:.0f} MiB/s), from {min(dd):.2f} to {max(dd):.2f} s in {len(dd)} runs")
    print("| upload (one request, durable) | PixelUnion | dd conv=fdatasync, run just before | ratio (≥ 0.8 wanted) | server peak RSS growth |")
    print("|---|---|---|---|---|")
    for v, (s, g, d) in uploads.items():
        note = " (4 at once, 1/4 each; RSS for all)" if "×4" in v else ""
        print(f"| {v[2:]}{note} | {s:.2f} s ({mib / s:.0f} MiB/s) | {d:.2f} s | {d / s:.2f}× | +{g:.1f} MiB |")
    print()
    print("| random 1 MiB Range | n | first body byte p50 / p99 (ms) | nginx | whole response p50 / p99 (ms) | nginx | ratio p50 first / whole |")
    print("|---|---|---|---|---|---|---|")
    for v, k, n, of, ot, nf, nt in rows:
        ms = lambda xs, q: pct(xs, q) * 1000
        print(f"| {v}, {k} | {n} | {ms(of, 50):.2f} / {ms(of, 99):.2f} | {ms(nf, 50):.2f} / {ms(nf, 99):.2f} | {ms(ot, 50):.2f} / {ms(ot, 99):.2f} | {ms(nt, 50):.2f} / {ms(nt, 99):.2f} | {pct(of, 50) / pct(nf, 50):.1f}× / {pct(ot, 50) / pct(nt, 50):.1f}× |")
    print()
    print("| whole download, warm cache | PixelUnion | nginx | ratio (≥ 0.8 wanted) |")
    print("|---|---|---|---|")
    for v, (o, n) in whole.items():
        print(f"| {v[2:]} | {o:.2f} s ({mib / o:.0f} MiB/s) | {n:.2f} s ({mib / n:.0f} MiB/s) | {n / o:.2f}× |")


if __name__ == "__main__":
    main()

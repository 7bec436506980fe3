#!/usr/bin/env python3
"""End-to-end backup benchmark on the real binary (local stores, SQLite):

1. replication lag under a steady upload stream: ITEMS_STEADY uploads of
   MIB MiB at RATE per second; each upload's lag is the time from its 201
   to the moment the backup store holds as many blobs as uploads answered
   so far (a poller lists the backup directory every 50 ms) — p50 and p99;
2. the library is filled to ITEMS items (as fast as the server takes them),
   replicated, snapshotted (`pixelunion backup run`), the server stopped;
3. the primary site is deleted and `pixelunion backup restore` rebuilds it
   from the backup directory and the share: its time is the RTO, with
   blobs/s and MiB/s — beside `cp -r` of the same backup directory followed
   by `sync` (the raw disk copy) as the baseline.

    scripts/bench-backup.py [BINARY] [ITEMS] [MIB] [ITEMS_STEADY] [RATE]

Defaults: target/release/pixelunion, 1000 items of 2 MiB (2 GiB), 300 of
them at 5/s. Prints a Markdown table (docs/benchmarks.md). Uploads are MP4
signatures with random bytes (the media job fails quickly; only originals
replicate), so the figures are about bytes, not the media pipeline.
"""
import json
import os
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "target", "release", "pixelunion")
ITEMS = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
MIB = int(sys.argv[3]) if len(sys.argv) > 3 else 2
STEADY = int(sys.argv[4]) if len(sys.argv) > 4 else 300
RATE = float(sys.argv[5]) if len(sys.argv) > 5 else 5.0
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE
BLOB = re.compile(r"^[0-9a-f]{32}$")


def blobs_in(root):
    n = 0
    for _, _, files in os.walk(root):
        n += sum(1 for f in files if BLOB.match(f))
    return n


def start(data, port):
    out = open(os.path.join(data, "..", os.path.basename(data) + ".out"), "w+")
    p = subprocess.Popen([BIN, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}"],
                         stdout=out, stderr=subprocess.DEVNULL, env={**os.environ, "PIXELUNION_LOG": "warn", "PIXELUNION_LIMITS__ENABLED": "false"})
    for _ in range(200):
        out.seek(0)
        text = out.read()
        if "pixelunion unseal" in text:
            return p, text
        time.sleep(0.05)
    raise SystemExit("server did not start")


def upload(base, token, name, body):
    req = urllib.request.Request(base + "/api/v1/assets", data=body, method="POST")
    req.add_header("authorization", "Bearer " + token)
    req.add_header("x-file-name", name)
    with urllib.request.urlopen(req, context=CTX, timeout=120) as r:
        assert r.status == 201, r.status


def cli(*args, stdin=""):
    r = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True,
                       env={**os.environ, "PIXELUNION_LOG": "warn"})
    if r.returncode != 0:
        raise SystemExit(f"{args}: {r.stderr}")
    return r.stdout


def body(i):
    head = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"
    return head + os.urandom(MIB * 1048576 - len(head)) + i.to_bytes(4, "big")


def main():
    work = tempfile.mkdtemp(prefix="pu-bench-backup-")
    site1, site2, backup = (os.path.join(work, d) for d in ("site1", "site2", "backup"))
    for site in (site1, site2):
        os.makedirs(site)
        with open(os.path.join(site, "pixelunion.toml"), "w") as f:
            f.write(f'[primary]\nkind = "local"\npath = "{site}/primary"\n'
                    f'[backup]\nkind = "local"\npath = "{backup}"\n')
    port = 18543
    base = f"https://127.0.0.1:{port}"
    server, printed = start(site1, port)
    share = re.search(r"^\s*(pu-\S+)", printed, re.M).group(1)
    otp = re.search(r"password:\s*(\S+)", printed).group(1)
    email = re.search(r"e-mail:\s*(\S+)", printed).group(1)
    user = json.loads(subprocess.check_output([sys.executable, os.path.join(HERE, "api-user.py"), base, email, otp, "--json"]))
    token = user["token"]
    client = ["--data-dir", site1, "--addr", base]

    # 1. Replication lag under a steady stream.
    answered = []
    seen = []
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            seen.append((time.monotonic(), blobs_in(backup)))
            time.sleep(0.05)

    poller = threading.Thread(target=poll)
    poller.start()
    t0 = time.monotonic()
    for i in range(STEADY):
        due = t0 + i / RATE
        time.sleep(max(0.0, due - time.monotonic()))
        upload(base, token, f"steady-{i}.mp4", body(i))
        answered.append(time.monotonic())
    while blobs_in(backup) < STEADY and time.monotonic() - answered[-1] < 300:
        time.sleep(0.1)
    time.sleep(0.2)
    stop.set()
    poller.join()
    lags = []
    for i, t in enumerate(answered):
        at = next((ts for ts, n in seen if n >= i + 1 and ts >= t), None)
        if at is not None:
            lags.append(at - t)
    lags.sort()
    p50 = statistics.median(lags)
    p99 = lags[min(len(lags) - 1, int(round(0.99 * (len(lags) - 1))))]

    # 2. Fill to ITEMS, replicate, snapshot.
    for i in range(STEADY, ITEMS):
        upload(base, token, f"fill-{i}.mp4", body(i))
    deadline = time.monotonic() + 900
    while json.loads(cli("backup", "status", "--json", *client))["replication_queued"] > 0:
        if time.monotonic() > deadline:
            raise SystemExit("replication did not drain")
        time.sleep(0.5)
    t = time.monotonic()
    taken = json.loads(cli("backup", "run", "--json", *client))
    snap_s = time.monotonic() - t
    server.terminate()
    server.wait(timeout=60)
    stored = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(backup) for f in fs if BLOB.match(f))

    # 3. The primary site burns down; restore from the backup and the share.
    subprocess.run(["rm", "-rf", site1], check=True)
    t = time.monotonic()
    restored = json.loads(cli("backup", "restore", "--json", "--data-dir", site2, stdin=share + "\n"))
    rto = time.monotonic() - t
    copy = os.path.join(work, "copy")
    subprocess.run(["sync"], check=True)
    t = time.monotonic()
    subprocess.run(["cp", "-r", backup, copy], check=True)
    subprocess.run(["sync"], check=True)
    cp_s = time.monotonic() - t
    assert restored["missing"] == 0 and restored["blobs"] == ITEMS, restored

    gib = stored / 2**30
    print("| measure | PixelUnion | baseline |")
    print("|---|---|---|")
    print(f"| replication lag, {STEADY} uploads of {MIB} MiB at {RATE:g}/s | p50 {p50:.2f} s, p99 {p99:.2f} s (max {lags[-1]:.2f} s) | — |")
    print(f"| snapshot (`backup run`, {ITEMS} items) | {snap_s:.2f} s, {taken['bytes'] / 1024:.0f} KiB | — |")
    print(f"| restore (RTO), {ITEMS} items / {gib:.2f} GiB of ciphertext | {rto:.1f} s ({restored['blobs'] / rto:.0f} blobs/s, {stored / 1048576 / rto:.0f} MiB/s) | `cp -r` + `sync` of the backup directory: {cp_s:.1f} s ({stored / 1048576 / cp_s:.0f} MiB/s) |")
    subprocess.run(["rm", "-rf", work], check=True)


if __name__ == "__main__":
    main()

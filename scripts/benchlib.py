"""What the end-to-end bench scripts share: starting the release binary on a
fresh data directory with rate limits off, signing in as the first admin,
uploading a file, timing ranged reads (the first body byte, not only the
head), and reading a process's peak resident memory."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    """A TCP port on loopback that nothing listens on (at this moment)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server(binary, data, port, out_path, prefix=()):
    """Starts `binary serve` on 127.0.0.1:`port` with its data in `data`
    (behind the command `prefix`, e.g. `eatmydata`); returns (process, base
    URL, API token of the first admin)."""
    out = open(out_path, "w+")
    p = subprocess.Popen([*prefix, binary, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}"], stdout=out, stderr=subprocess.DEVNULL,
                         env={**os.environ, "PIXELUNION_LOG": "warn", "PIXELUNION_LIMITS__ENABLED": "false"})
    text = ""
    for _ in range(600):
        out.seek(0)
        text = out.read()
        if "pixelunion unseal" in text:
            break
        time.sleep(0.05)
    password = next(l.split("password:", 1)[1].strip() for l in text.splitlines() if "password:" in l)
    base = f"https://127.0.0.1:{port}"
    token = subprocess.run([sys.executable, os.path.join(HERE, "api-user.py"), base, "admin@localhost", password],
                           capture_output=True, text=True, check=True).stdout.strip()
    return p, base, token


def stop_and_remove(procs, dirs):
    """Stops each process of `procs` (`None` skipped) and waits for it, then
    removes each directory of `dirs`: a benchmark's clean-up."""
    for p in procs:
        if p is not None:
            p.terminate()
            p.wait()
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


def hwm_kib(pid):
    """Peak resident memory of `pid` (KiB) since the last reset."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def reset_hwm(pid):
    """Resets the peak to the current resident memory."""
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def cpu_ns(pid):
    """CPU time `pid`'s live threads have run so far (ns), from each
    thread's schedstat: exact where /proc/PID/stat counts 10 ms ticks, so a
    batch of sub-millisecond requests can be divided by its length. (A
    thread that ends within the batch takes its time with it.)"""
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def process_cpu_s(pid):
    """CPU seconds `pid` has used, user and system, threads that ended
    included (the kernel's clock ticks: 10 ms steps)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(pid, limit_s=120, busy=0.05):
    """Waits until `pid` uses less than `busy` of a core over a second (its
    background jobs — backup copies, media — done), at most `limit_s`."""
    # (the process's ticks, not `cpu_ns`: they keep the time of threads
    # that ended, such as the blocking pool's, so a second never looks idle
    # because a busy thread went away)
    end = time.time() + limit_s
    while time.time() < end:
        before = process_cpu_s(pid)
        time.sleep(1)
        if process_cpu_s(pid) - before < busy:
            return


def upload(base, auth, path, name, version=()):
    """Uploads `path` as one request (`curl -T`); returns the asset id."""
    r = subprocess.run(["curl", "-sk", "--fail", *version, *auth, "-H", f"x-file-name: {name}",
                        "-H", "content-type: application/octet-stream", "-T", path, "-X", "POST",
                        base + "/api/v1/assets"], capture_output=True, text=True, check=True)
    return json.loads(r.stdout)["asset"]["id"]


def ranged_reads(version, url, headers, ranges, keep=True):
    """Asks for each of `ranges` ((start, end) inclusive) of `url`, on one
    reused connection (`keep`) or a new one each (no TLS session reused),
    with pycurl (installed when missing), HTTP/1.1 or HTTP/2 (`version` as
    curl's option); returns [(first response byte s, first body byte s,
    whole s, bytes)] per request. curl's own `time_starttransfer` is the
    first byte of the answer, its head: a server that sends the head
    before the body looks quicker by it than it is, so the first body byte
    is timed here, as it arrives."""
    try:
        import pycurl
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pycurl"], check=True)
        import pycurl
    c = pycurl.Curl()
    c.setopt(pycurl.SSL_VERIFYPEER, 0)
    c.setopt(pycurl.SSL_VERIFYHOST, 0)
    c.setopt(pycurl.HTTP_VERSION, pycurl.CURL_HTTP_VERSION_2TLS if version == "--http2" else pycurl.CURL_HTTP_VERSION_1_1)
    c.setopt(pycurl.URL, url)
    if not keep:
        c.setopt(pycurl.FRESH_CONNECT, 1)
        c.setopt(pycurl.FORBID_REUSE, 1)
        c.setopt(pycurl.SSL_SESSIONID_CACHE, 0)
    out = []
    for start, end in ranges:
        got = {"body": None, "n": 0}

        def write(b, got=got):
            if got["body"] is None:
                got["body"] = time.perf_counter()
            got["n"] += len(b)

        c.setopt(pycurl.WRITEFUNCTION, write)
        c.setopt(pycurl.HTTPHEADER, [*headers, f"range: bytes={start}-{end}"])
        t = time.perf_counter()
        c.perform()
        whole = time.perf_counter() - t
        if c.getinfo(pycurl.RESPONSE_CODE) not in (200, 206):
            raise RuntimeError(f"{url}: status {c.getinfo(pycurl.RESPONSE_CODE)}")
        body = (got["body"] or t + whole) - t
        out.append((c.getinfo(pycurl.STARTTRANSFER_TIME), body, whole, got["n"]))
    c.close()
    return out


def write_noise_video(path, head, size):
    """Writes `size` bytes to `path`: `head` (a video's first bytes, so the
    server takes it), then random bytes (no two files alike)."""
    with open(path, "wb") as f:
        f.write(head)
        left = size - len(head)
        while left > 0:
            f.write(os.urandom(min(left, 64 << 20)))
            left -= 64 << 20


def split(path, chunk, into):
    """`path` cut into files of `chunk` bytes in directory `into` (a
    client's pieces: tus clients read each from the file at its offset,
    which curl cannot, so they are cut before the clock starts)."""
    pieces = []
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                return pieces
            pieces.append(os.path.join(into, f"piece-{len(pieces)}"))
            with open(pieces[-1], "wb") as out:
                out.write(b)


def tus_upload(base, auth, pieces, ids=None):
    """A tus upload over HTTP/1.1: creation, then one PATCH per file of
    `pieces` (in order), each straight from its file. Returns each PATCH's
    seconds (the last one also makes the asset); appends the asset's id to
    `ids` when given."""
    tus = ["-H", "tus-resumable: 1.0.0"]
    size = sum(os.path.getsize(p) for p in pieces)
    r = subprocess.run(["curl", "-sk", "--fail", "--http1.1", *auth, *tus, "-H", f"upload-length: {size}",
                        "-H", "upload-metadata: filename Y2xpcC5tcDQ=", "-X", "POST", "-D", "-", "-o", "/dev/null",
                        base + "/api/v1/uploads"], capture_output=True, text=True, check=True).stdout
    loc = next(l.split(":", 1)[1].strip() for l in r.splitlines() if l.lower().startswith("location:"))
    at, took = 0, []
    for piece in pieces:
        t = time.perf_counter()
        head = subprocess.run(["curl", "-sk", "--fail", "--http1.1", *auth, *tus, "-H", "content-type: application/offset+octet-stream",
                               "-H", f"upload-offset: {at}", "-X", "PATCH", "-T", piece, "-D", "-", "-o", "/dev/null", base + loc],
                              check=True, capture_output=True, text=True).stdout
        took.append(time.perf_counter() - t)
        at += os.path.getsize(piece)
    if ids is not None:
        ids.append(next(l.split(":", 1)[1].strip() for l in head.splitlines() if l.lower().startswith("pixelunion-asset-id:")))
    return took

#!/usr/bin/env python3
"""Import benchmark: 1,000 mixed photos from the import test's generator
(JPEG with EXIF/XMP and every orientation, PNG, GIF, WebP, TIFF, DNG, HEIC;
`import::write_bench_corpus`) uploaded four at a time to the release build
and fully processed (thumbnail and preview of each), beside `vipsthumbnail`
making the same two renditions of the same files, two processes at a time
(the server's media jobs use both cores too). Prints Markdown for
docs/benchmarks.md and, with --ratios FILE, appends its ratio line there
(scripts/bench.sh).

    scripts/bench-import.py target/release/pixelunion [COUNT] [--ratios FILE]
"""
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def call(base, method, path, token, body=None, headers=None):
    req = urllib.request.Request(base + path, data=body, method=method)
    req.add_header("authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    with urllib.request.urlopen(req, context=CTX, timeout=120) as r:
        return json.loads(r.read() or b"null")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    ratios = sys.argv[sys.argv.index("--ratios") + 1] if "--ratios" in sys.argv else None
    if ratios:
        args = [a for a in args if a != ratios]
    binary = os.path.abspath(args[0])
    count = int(args[1]) if len(args) > 1 else 1000
    for tool in ["vipsthumbnail", "heif-enc"]:
        if not shutil.which(tool):
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "libvips-tools", "libheif-examples"], check=True)
    tmp = tempfile.mkdtemp(prefix="pu-import-bench-")
    try:
        corpus = os.path.join(tmp, "corpus")
        env = {**os.environ, "PIXELUNION_BENCH_IMPORT_DIR": corpus, "PIXELUNION_BENCH_IMPORT_COUNT": str(count)}
        subprocess.run(["cargo", "test", "-q", "--release", "-p", "pixelunion", "--test", "it", "import::write_bench_corpus",
                        "--", "--ignored", "--exact"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        files = sorted(os.listdir(corpus))
        total_mb = sum(os.path.getsize(os.path.join(corpus, f)) for f in files) / 1e6

        # PixelUnion: upload four at a time, then wait until every media job has run.
        server, base, token = benchlib.start_server(binary, os.path.join(tmp, "data"), 20000 + os.getpid() % 20000,
                                                    os.path.join(tmp, "out"))
        try:
            def up(name):
                with open(os.path.join(corpus, name), "rb") as f:
                    body = f.read()
                return call(base, "POST", "/api/v1/assets", token, body, {"x-file-name": name})["asset"]["id"]

            started = time.time()
            with ThreadPoolExecutor(4) as pool:
                ids = list(pool.map(up, files))
            uploaded = time.time() - started
            pending = set(ids)
            states = {}
            while pending and time.time() - started < 1800:
                for i in list(pending):
                    st = call(base, "GET", f"/api/v1/assets/{i}", token)["media"]["state"]
                    if st != "pending":
                        states[st] = states.get(st, 0) + 1
                        pending.discard(i)
                if pending:
                    time.sleep(0.5)
            ours = time.time() - started
        finally:
            server.terminate()
            server.wait()

        # vipsthumbnail: both renditions of every file, two processes at a time.
        out = os.path.join(tmp, "vips")
        os.makedirs(out)
        cmds = []
        for i, f in enumerate(files):
            src = os.path.join(corpus, f)
            for size in ("250", "1440"):
                cmds.append(["vipsthumbnail", src, "--size", size, "-o", os.path.join(out, f"{i}-{size}.jpg[Q=82]")])
        started = time.time()
        with ThreadPoolExecutor(2) as pool:
            codes = list(pool.map(lambda c: subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode, cmds))
        vips = time.time() - started
        vips_failed = sum(1 for c in codes if c != 0)

        date = time.strftime("%Y-%m-%d")
        print(f"### Import of {len(files)} photos ({total_mb:.0f} MB), {date}")
        print("| what | time | photos/s | ratio to vipsthumbnail |")
        print("|---|---|---|---|")
        print(f"| PixelUnion: uploaded (4 at a time) | {uploaded:.1f} s | {len(files) / uploaded:.0f} | |")
        print(f"| PixelUnion: uploaded and processed (both renditions, EXIF) — {states} | {ours:.1f} s | {len(files) / ours:.0f} | {vips / ours:.2f}× |")
        print(f"| vipsthumbnail 250 px + 1440 px, 2 at a time ({vips_failed} of {len(cmds)} runs failed) | {vips:.1f} s | {len(files) / vips:.0f} | 1.00× |")
        if ratios:
            with open(ratios, "a") as f:
                f.write(f"import of {len(files)} photos, processed (photos/s; higher is better)|{len(files) / ours:.0f}/s|{len(files) / vips:.0f}/s vipsthumbnail|{vips / ours:.2f}×|none set (for reference)\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

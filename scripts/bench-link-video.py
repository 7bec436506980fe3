#!/usr/bin/env python3
"""Seeking in a video through a public link, end to end on the release
binary: random 64 KiB ranges of an MP4 (its `moov` box at the end, as
cameras and ffmpeg write it) through a link that strips the metadata, beside
the same ranges through a link that keeps it (which edits nothing), in one
run. The first range of the stripping link works out the edits (reads the
top-level boxes and the whole `moov`); later ones reuse them.

    scripts/bench-link-video.py [BINARY] [MINUTES] [RANGES]

Defaults: target/release/pixelunion, 10 minutes of 640x360 video, 200
ranges. Needs ffmpeg, curl and pycurl (installed when missing).
"""
import http.cookiejar
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile

from benchlib import ranged_reads, start_server, stop_and_remove, wait_idle

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "target", "release", "pixelunion")
MINUTES = int(sys.argv[2]) if len(sys.argv) > 2 else 10
RANGES = int(sys.argv[3]) if len(sys.argv) > 3 else 200
SPAN = 64 << 10


def curl(args):
    return subprocess.run(["curl", "-sk", "--fail", *args], capture_output=True, text=True, check=True).stdout


def cookie_header(jar):
    """The `cookie:` header of the cookies in curl's jar file (Netscape
    format, which the standard library reads, HttpOnly lines included)."""
    cookies = http.cookiejar.MozillaCookieJar(jar)
    cookies.load(ignore_discard=True, ignore_expires=True)
    return f"cookie: {'; '.join(f'{c.name}={c.value}' for c in cookies)}"


def times(url, jar, starts):
    """(first body byte, whole) in ms of each range, on one kept-alive
    HTTP/1.1 connection (benchlib.ranged_reads: the first byte of the body
    as it arrives, not curl's time_starttransfer, which is the head's)."""
    got = ranged_reads("--http1.1", url, [cookie_header(jar)], [(s, s + SPAN - 1) for s in starts])
    assert all(n == SPAN for _, _, _, n in got), got[:3]
    return [body * 1000 for _, body, _, _ in got], [whole * 1000 for _, _, whole, _ in got]


def main():
    work = tempfile.mkdtemp(prefix="bench-link-video-")
    server = None
    try:
        videos = []
        for i in range(3):
            video = os.path.join(work, f"v{i}.mp4")
            subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30",
                            "-f", "lavfi", "-i", "sine=frequency=440", "-t", str(MINUTES * 60 + i),
                            "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "200k", "-c:a", "aac",
                            "-metadata", "title=bench", "-metadata", "location=+48.85+002.35/", video], check=True)
            videos.append(video)
        size = os.path.getsize(videos[0])
        server, base, token = start_server(BIN, os.path.join(work, "data"), 18473, os.path.join(work, "out.txt"))
        auth = ["-H", f"authorization: Bearer {token}"]

        def link_to(asset, keep):
            body = json.dumps({"asset_ids": [asset], "allow_download": True, "keep_metadata": keep})
            link = json.loads(curl([*auth, "-H", "content-type: application/json", "-d", body, f"{base}/api/v1/links"]))
            jar = os.path.join(work, f"jar-{link['id']}")
            curl(["-c", jar, "-H", "content-type: application/json", "-d", json.dumps({"token": link["token"]}),
                  f"{base}/api/v1/public/open"])
            return f"{base}/api/v1/public/{link['id']}/assets/{asset}/original", jar

        assets = [json.loads(curl([*auth, "-F", f"file=@{v};type=video/mp4", f"{base}/api/v1/assets"]))["asset"]["id"]
                  for v in videos]
        wait_idle(server.pid)
        rnd = random.Random(7)
        starts = [rnd.randrange(0, size - SPAN) for _ in range(RANGES)]
        # the first range of a stripping link to each video: the edits are worked out
        firsts = [times(*link_to(a, False), starts[:1]) for a in assets]
        first_f = statistics.median(f[0] for f, _ in firsts)
        first_t = statistics.median(t[0] for _, t in firsts)
        rows = []
        for name, keep in (("stripping link, edits kept", False), ("link keeping metadata (no edits)", True)):
            url, jar = link_to(assets[0], keep)
            times(url, jar, starts[:20])
            f, t = times(url, jar, starts)
            rows.append((name, statistics.median(f), statistics.median(t)))
        print(f"video: {MINUTES} min, {size / 1e6:.1f} MB; {RANGES} random {SPAN >> 10} KiB ranges, HTTP/1.1 keep-alive")
        print("| ranges | p50 first body byte (ms) | p50 whole (ms) |")
        print("|---|---|---|")
        print(f"| first range of a stripping link, median of 3 videos (works out the edits) | {first_f:.2f} | {first_t:.2f} |")
        for name, f, t in rows:
            print(f"| {name} | {f:.2f} | {t:.2f} |")
    finally:
        stop_and_remove([server], [work])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""One table of ratios from the parts scripts/bench.sh ran (their Markdown
outputs in DIR): each comparison, PixelUnion's figure, the baseline's, the
ratio as the part computed it, and which way is better with the issue's
target. A part that did not run (or changed its format) shows as missing
rather than as a made-up figure.

    scripts/bench-summary.py target/bench
"""
import os
import re
import sys
import time

DIR = sys.argv[1]


def read(name):
    p = os.path.join(DIR, f"{name}.md")
    return open(p).read() if os.path.exists(p) else ""


def rows(text):
    """Table rows as lists of cells (header and rule rows skipped)."""
    out = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            out.append([c.strip() for c in line.strip().strip("|").split("|")])
    return out


def find(text, first):
    return [r for r in rows(text) if r and r[0].startswith(first)]


table = []


def add(what, ours, base, ratio, want):
    table.append((what, ours, base, ratio, want))


# Vault: throughput ratio to openssl (higher is better).
vault = read("vault")
m = re.search(r"ratio to openssl 64 KiB \(([\d.]+) GB/s\)", vault)
for op in ("stream-encrypt", "stream-decrypt"):
    r = find(vault, f"blob {op}, 65536-byte")
    if r and m:
        add(f"vault: blob {op[7:]}, 64 KiB segments (GB/s)", r[0][1], f"{m.group(1)} openssl speed", r[0][2], "higher is better; ≥ 1×")
# Timeline: p99 ratio to the sqlite3 CLI (lower is better).
for r in find(read("timeline"), "first page") + find(read("timeline"), "month summary"):
    add(f"timeline: {r[0]}, p99 ms", r[2], f"{r[4]} sqlite3 CLI", r[5], "lower is better; ≤ 2×")
# Media: time and memory ratio to two vipsthumbnail runs.
media = read("media")
for r in rows(media):
    if len(r) == 6 and r[0] and not r[0].startswith("file"):
        want = {"JPEG": "≤ 0.5×", "HEIC": "≤ 0.6×"}.get(r[0].split()[-1], "")
        add(f"renditions: {r[0]}, both sizes, s / peak MiB", r[1], f"{r[2]} + {r[3]} vipsthumbnail", f"{r[4]} time, {r[5]} memory",
            f"lower is better; time {want or 'none set'}" + ("; memory ≤ 1.5×" if "PNG" in r[0] else ""))
m = re.search(r"EXIF: PixelUnion ([\d.]+) µs per file in-process; exiftool (\d+) ms per file \((\d+)×\)", media)
if m:
    add("EXIF of a 12 MP JPEG", f"{m.group(1)} µs", f"{m.group(2)} ms exiftool", f"{m.group(3)}× faster", "higher is better; ≥ 50×")
# Web: thumbnail requests/s vs a static file.
web = read("web")
t, s = find(web, "thumbnail"), find(web, "static")
if t and s:
    ratio = float(t[0][1]) / float(s[0][1])
    add("thumbnail serving (requests/s)", f"{float(t[0][1]):,.0f}", f"{float(s[0][1]):,.0f} static file", f"{ratio:.2f}×", "higher is better; ≥ 0.5×")
# Range bench: uploads vs dd, Range reads and downloads vs nginx.
rng = read("range")
for r in rows(rng):
    if len(r) == 5 and r[2].endswith(" s") and "×" in r[3]:
        add(f"upload: {r[0]}", r[1], f"{r[2]} dd conv=fdatasync", r[3], "higher is better; ≥ 0.8×")
    elif len(r) == 7 and r[1].isdigit():
        add(f"1 MiB Range: {r[0]}, p50 first body byte / whole", f"{r[2]} / {r[4]} ms (p50 / p99)", f"{r[3]} / {r[5]} nginx", r[6], "lower is better; ≤ 1.5×")
    elif len(r) == 4 and "MiB/s" in r[1] and "MiB/s" in r[2]:
        add(f"whole download: {r[0]}", r[1], f"{r[2]} nginx", r[3], "higher is better; ≥ 0.8×")
# Import.
p = os.path.join(DIR, "import.ratios")
if os.path.exists(p):
    for line in open(p):
        add(*line.rstrip("\n").split("|"))

print(f"### All comparisons, {time.strftime('%Y-%m-%d')} (scripts/bench.sh)")
print("| comparison | PixelUnion | baseline, same run | ratio | better / target |")
print("|---|---|---|---|---|")
for row in table:
    print("| " + " | ".join(row) + " |")
for part in ("vault", "timeline", "media", "web", "range", "import"):
    if not read(part):
        print(f"| {part}: did not run | | | | |")

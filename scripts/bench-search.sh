#!/usr/bin/env bash
# Baseline for the search benchmark (crates/server/benches/search.rs): the
# same 100,000 lines of searchable text (file name, caption, camera, year)
# as the benchmark's index, searched with `grep -ci` (one process per search,
# as a command-line user would) — median of 21 runs per query. Run beside
#   cargo bench -p pixelunion-server --bench search
# on the same machine. Nothing here is user content: the text is generated.
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir/index.txt" <<'PY'
import sys, datetime
cams = [("Canon", "Canon EOS R5"), ("NIKON CORPORATION", "NIKON D700"), ("Apple", "iPhone 15 Pro"), ("SONY", "ILCE-7M3")]
words = ["beach", "mountain", "birthday", "city", "snow", "garden", "concert", "harbour"]
with open(sys.argv[1], "w") as f:
    for i in range(100_000):
        make, model = cams[i % 4]
        cam = model if model.lower().startswith(make.lower()) else f"{make} {model}"
        taken = 1_262_304_000 + i * 4_000
        year = datetime.datetime.fromtimestamp(taken, datetime.timezone.utc).year
        cap = f"a {words[i % 8]} day with friends " if i % 5 == 0 else ""
        f.write(f"img_{i:05}.jpg {cap}{cam.lower()} {year}\n")
PY
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for q in beach zanzibar; do
  for _ in $(seq 21); do
    s=$(date +%s%N); grep -ci "$q" "$dir/index.txt" >/dev/null || true; e=$(date +%s%N)
    echo $(( (e - s) / 1000 ))
  done | median | awk -v q="$q" '{printf "grep -ci %-9s %7.2f ms (median of 21)\n", q, $1/1000}'
done
# two words, as the index does (both must be on the line)
for _ in $(seq 21); do
  s=$(date +%s%N); grep -i beach "$dir/index.txt" | grep -ci 2014 >/dev/null || true; e=$(date +%s%N)
  echo $(( (e - s) / 1000 ))
done | median | awk '{printf "grep beach | grep 2014 %7.2f ms (median of 21)\n", $1/1000}'

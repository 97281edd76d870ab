#!/usr/bin/env bash
# Scale benchmark (issue 14, "a million cells in seconds, memory flat in the grid size"): the
# commit before the change against the current tree, side by side, each workload a whole CLI run
# from loading the data to the files written:
#
#   sweep-100k   blocksale sweep --sizes 100:100000:1000 --durations 1h:30d:100
#                100,000 requested cells x 6 models on the built-in Cango scenario (no --data)
#                target: >= 10x faster than the base (<= 0.3 s), peak RSS < 150 MB
#   sweep-1m     blocksale sweep --sizes 100:100000:1000 --durations 1h:30d:1000
#                1,000,000 requested cells x 6 models; target <= 3 s, peak RSS < 150 MB
#   replay-day   blocksale --data DATA replay --scenario HIST --from 2017-08-17 --to 2025-11-30 --every day
#   replay-hour  the same --every hour (72,648 starts); target <= 5 s, peak RSS flat in the
#                number of starts (rows streamed to replay.csv and replay.json); side by side with
#                a base that has --every hour (from e60a37c on), new only with an older base
#   HIST is data/scenarios/cango-2026-02.toml with its replay source (binance-spot-1h) pointed at
#   the long history binance/spot/history/BTCUSDT-1h-derived-from-1m.csv.gz (2017-08 .. 2025-11),
#   written to the scratch folder.
#
# For each workload: hyperfine medians (each run writes into an emptied folder: --prepare), peak
# RSS from /usr/bin/time -v, the ratio base/new; then byte identity of sweep.csv and replay.csv
# between the base and the new binary (the README's grids through scripts/same-outputs.sh, and
# the workloads above), and between RAYON_NUM_THREADS=1 and 2; and, for the new sweeps, the time
# the writing thread spent in write(2) (BLOCKSALE_TIMING=1).
#
#   scripts/bench-scale.sh [BASE]        BASE: a commit (default: git merge-base HEAD main)
#
# Env: BLOCKSALE_DATA (default ../shared/data beside the repository), OLD_BIN (a base binary
# already built: skips the worktree and its build), RUNS (default 5), RUNS_SLOW (runs of the base's
# 1M-cell sweep, default 2), SCRATCH (default a temp folder; outputs of up to ~1 GB go there).
# The base is built in a git worktree in the scratch folder with its own CARGO_TARGET_DIR (a cold
# build: several minutes on 2 cores); the current tree with $CARGO_TARGET_DIR (default target/).
# Needs hyperfine, /usr/bin/time, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
data=${BLOCKSALE_DATA:-$root/../shared/data}
runs=${RUNS:-5}
runs_slow=${RUNS_SLOW:-2}
base=${1:-$(git -C "$root" merge-base HEAD main)}
scratch=${SCRATCH:-$(mktemp -d)}
mkdir -p "$scratch"
command -v hyperfine >/dev/null || { echo "error: hyperfine missing (apt-get install -y hyperfine)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time missing (apt-get install -y time)" >&2; exit 2; }
hist_file=binance/spot/history/BTCUSDT-1h-derived-from-1m.csv.gz
[ -f "$data/$hist_file" ] || { echo "error: $data/$hist_file not found (set BLOCKSALE_DATA)" >&2; exit 2; }

# The binaries.
if [ -n "${OLD_BIN:-}" ]; then
  old=$OLD_BIN
else
  wt="$scratch/base-src"
  [ -d "$wt" ] || git -C "$root" worktree add --detach "$wt" "$base" >/dev/null
  echo "building the base $base in $wt ..." >&2
  (cd "$wt" && CARGO_TARGET_DIR="$scratch/base-target" cargo build --release -q -p blocksale)
  old="$scratch/base-target/release/blocksale"
fi
echo "building the current tree ..." >&2
(cd "$root" && cargo build --release -q -p blocksale)
new=${CARGO_TARGET_DIR:-$root/target}/release/blocksale
for b in "$old" "$new"; do [ -x "$b" ] || { echo "error: $b missing" >&2; exit 2; }; done

# The long-history scenario.
hist="$scratch/cango-history.toml"
sed -e "s#files = \[\"binance/spot/1h/\"\]#files = [\"$hist_file\"]#" \
  -e 's#^description = "Binance spot BTCUSDT 1h"#description = "Binance spot BTCUSDT 1h, 2017-08 .. 2025-11 (derived from 1m)"#' \
  "$root/data/scenarios/cango-2026-02.toml" >"$hist"
grep -q "$hist_file" "$hist" || { echo "error: could not point the replay source at $hist_file" >&2; exit 2; }

echo "base $base: $("$old" --version); new $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo '+dirty'): $("$new" --version)"
echo "nproc $(nproc); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

sweep100k="sweep --sizes 100:100000:1000 --durations 1h:30d:100"
sweep1m="sweep --sizes 100:100000:1000 --durations 1h:30d:1000"
rday="--data $data replay --scenario $hist --from 2017-08-17 --to 2025-11-30 --every day"
rhour="--data $data replay --scenario $hist --from 2017-08-17 --to 2025-11-30 --every hour"

# bench NAME ARGS RUNS_OLD: hyperfine (base, new) and peak RSS; "-" as RUNS_OLD: new only.
results="$scratch/results.tsv"
: >"$results"
bench() {
  local name=$1 args=$2 runs_old=$3
  local o="$scratch/out-$name"
  local cmds=()
  if [ "$runs_old" != "-" ]; then
    hyperfine --style basic --warmup 1 --runs "$runs_old" --prepare "rm -rf $o-old" \
      --export-json "$scratch/$name-old.json" -n "base $name" "env -u BLOCKSALE_DATA $old -q $args --out $o-old" >&2
  fi
  hyperfine --style basic --warmup 1 --runs "$runs" --prepare "rm -rf $o-new" \
    --export-json "$scratch/$name-new.json" -n "new $name" "env -u BLOCKSALE_DATA $new -q $args --out $o-new" >&2
  local rss_old=- rss_new
  if [ "$runs_old" != "-" ]; then
    rm -rf "$o-old"
    rss_old=$(env -u BLOCKSALE_DATA /usr/bin/time -v "$old" -q $args --out "$o-old" 2>&1 >/dev/null | awk '/Maximum resident/ {print $6}')
  fi
  rm -rf "$o-new"
  rss_new=$(env -u BLOCKSALE_DATA /usr/bin/time -v "$new" -q $args --out "$o-new" 2>&1 >/dev/null | awk '/Maximum resident/ {print $6}')
  printf '%s\t%s\t%s\n' "$name" "$rss_old" "$rss_new" >>"$results"
}

bench sweep-100k "$sweep100k" "$runs"
bench sweep-1m "$sweep1m" "$runs_slow"
bench replay-day "$rday" "$runs"
# The base has --every hour when its help lists it.
if "$old" replay --help | grep -q 'hour'; then
  bench replay-hour "$rhour" "$runs"
else
  bench replay-hour "$rhour" -
fi

python3 - "$scratch" "$results" <<'EOF'
import json, os, sys
scratch, results = sys.argv[1], sys.argv[2]
def med(path):
    try:
        return json.load(open(path))["results"][0]["median"]
    except (OSError, KeyError, IndexError):
        return None
print(f"{'workload':<13}{'base median':>13}{'new median':>12}{'speed-up':>10}{'base peak RSS':>15}{'new peak RSS':>14}")
for line in open(results):
    name, rss_old, rss_new = line.split()
    a, b = med(f"{scratch}/{name}-old.json"), med(f"{scratch}/{name}-new.json")
    mb = lambda k: "-" if k == "-" else f"{int(k) / 1024:.0f} MB"
    ratio = f"{a / b:.1f}x" if a and b else "-"
    print(f"{name:<13}{(f'{a:.3f} s' if a else '-'):>13}{f'{b:.3f} s':>12}{ratio:>10}{mb(rss_old):>15}{mb(rss_new):>14}")
for name in ["sweep-100k", "sweep-1m"]:
    csv = f"{scratch}/out-{name}-new/sweep.csv"
    if os.path.exists(csv):
        rows = sum(1 for _ in open(csv, "rb")) - 1
        b = med(f"{scratch}/{name}-new.json")
        print(f"{name}: {rows:,} rows in sweep.csv, {b / rows * 1e9:.0f} ns per row (cell x model), {os.path.getsize(csv) / 1e6:.0f} MB")
EOF

echo
echo "time split of the new sweeps and hourly replay (BLOCKSALE_TIMING=1; the computation runs on other threads while this one writes):"
for w in "sweep-100k|$sweep100k" "sweep-1m|$sweep1m" "replay-hour|$rhour"; do
  name=${w%%|*} args=${w#*|}
  rm -rf "$scratch/timing"
  echo "  $name: $(env -u BLOCKSALE_DATA BLOCKSALE_TIMING=1 "$new" -q $args --out "$scratch/timing" 2>&1 >/dev/null | grep '^timing:')"
done

echo
echo "byte identity:"
same() { cmp -s "$1" "$2" && echo "identical" || echo "DIFFERENT"; }
for name in sweep-100k sweep-1m; do
  if [ -f "$scratch/out-$name-old/sweep.csv" ]; then
    python3 - "$scratch/out-$name-old/sweep.csv" "$scratch/out-$name-new/sweep.csv" "$name" <<'EOF'
import sys
from collections import Counter
a, b, name = sys.argv[1:]
diff, worst, n, lines = Counter(), {}, 0, 0
with open(a) as fa, open(b) as fb:
    head = fa.readline().strip().split(",")
    fb.readline()
    for la, lb in zip(fa, fb):
        lines += 1
        if la == lb:
            continue
        ra, rb = la.strip().split(","), lb.strip().split(",")
        for i, (x, y) in enumerate(zip(ra, rb)):
            if x != y:
                n += 1
                diff[ra[3]] += 1
                r = abs(float(x) - float(y)) / max(abs(float(x)), 1e-300)
                worst[ra[3]] = max(worst.get(ra[3], 0.0), r)
print(f"  {name} sweep.csv base vs new: {lines:,} rows, {n:,} fields differ" + "".join(f"; {m}: {c:,} (max rel {worst[m]:.1e})" for m, c in diff.items()))
EOF
  fi
done
for name in replay-day replay-hour; do
  for file in replay.csv replay.json; do
    if [ -f "$scratch/out-$name-old/$file" ]; then
      echo "  $name $file base vs new: $(same "$scratch/out-$name-old/$file" "$scratch/out-$name-new/$file")"
    fi
  done
done
for w in "sweep-100k|$sweep100k|sweep.csv" "replay-hour|$rhour|replay.csv replay.json"; do
  IFS='|' read -r name args files <<<"$w"
  for t in 1 2; do
    rm -rf "$scratch/threads-$t"
    env -u BLOCKSALE_DATA RAYON_NUM_THREADS=$t "$new" -q $args --out "$scratch/threads-$t" >/dev/null
  done
  for file in $files; do
    echo "  $name $file RAYON_NUM_THREADS=1 vs 2: $(same "$scratch/threads-1/$file" "$scratch/threads-2/$file")"
  done
done
echo "  the README's grids (scripts/same-outputs.sh, both scenarios, every file):"
BLOCKSALE_DATA="$data" "$here/same-outputs.sh" "$old" "$new" | sed 's/^/    /' || true

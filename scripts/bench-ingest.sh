#!/usr/bin/env bash
# Ingest benchmark (issue 3): the 35 monthly Binance 1-minute files (1,533,520 rows, gzip)
# -> one validated BarSeries and the `inspect` summary, against a pandas and a python-polars
# reference doing the same work (read, parse times, concatenate, sort, drop duplicates).
#
# Measures, side by side in one hyperfine run: wall time (median of RUNS, default 5, after one
# warm-up), then peak RSS of each command with /usr/bin/time -v (median of 3).
#
# Needs: hyperfine (apt-get install -y hyperfine), python3 with pandas and polars
# (pip install pandas polars), a release build (cargo build --release -p blocksale).
#
#   BLOCKSALE_DATA=../shared/data scripts/bench-ingest.sh
#
# Env: BLOCKSALE_DATA (data dir), BLOCKSALE_BIN (binary; default $CARGO_TARGET_DIR/release/blocksale),
# RUNS (default 5), OUT (results folder; default target/bench-ingest).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
data=${BLOCKSALE_DATA:-$root/../shared/data}
dir="$data/binance/spot/1m"
target=${CARGO_TARGET_DIR:-$root/target}
bin=${BLOCKSALE_BIN:-$target/release/blocksale}
runs=${RUNS:-5}
out=${OUT:-$root/target/bench-ingest}
mkdir -p "$out"
[ -d "$dir" ] || { echo "error: $dir not found (set BLOCKSALE_DATA)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "error: hyperfine missing (apt-get install -y hyperfine)" >&2; exit 2; }
python3 -c 'import pandas, polars' 2>/dev/null || { echo "error: pip install pandas polars" >&2; exit 2; }

if "$bin" inspect --help >/dev/null 2>&1; then
  rust_cmd="$bin inspect $dir"
else
  # The CLI without `inspect` wired: time the library through the crate's example instead.
  (cd "$root" && cargo build --release -q -p blocksale-ingest --example load)
  rust_cmd="$target/release/examples/load $dir"
fi
pandas_cmd="python3 $here/ingest_reference_pandas.py $dir"
polars_cmd="python3 $here/ingest_reference_polars.py $dir"

echo "nproc $(nproc); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --warmup 1 --runs "$runs" --export-json "$out/hyperfine.json" \
  -n blocksale "$rust_cmd" -n pandas "$pandas_cmd" -n python-polars "$polars_cmd"

peak() { # median peak RSS in MiB of 3 runs
  for _ in 1 2 3; do
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident/ {print $6}'
  done | sort -n | sed -n 2p | awk '{printf "%.0f", $1/1024}'
}
rss_rust=$(peak $rust_cmd); rss_pandas=$(peak $pandas_cmd); rss_polars=$(peak $polars_cmd)

python3 - "$out/hyperfine.json" "$rss_rust" "$rss_pandas" "$rss_polars" <<'PY' | tee "$out/summary.txt"
import json, statistics, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
med = {k: statistics.median(v["times"]) for k, v in res.items()}
rss = dict(zip(["blocksale", "pandas", "python-polars"], sys.argv[2:5]))
for k in ["blocksale", "pandas", "python-polars"]:
    print(f"{k:14s} median {med[k]:.3f} s  (runs {len(res[k]['times'])})  peak RSS {rss[k]} MiB")
print(f"speed-up vs pandas {med['pandas'] / med['blocksale']:.1f}x, vs python-polars {med['python-polars'] / med['blocksale']:.1f}x")
t = med["blocksale"]
print(f"targets: wall <= 0.6 s: {'met' if t <= 0.6 else 'NOT met'}; >= 5x pandas: {'met' if med['pandas'] / t >= 5 else 'NOT met'}; "
      f">= 2.5x python-polars: {'met' if med['python-polars'] / t >= 2.5 else 'NOT met'}; RSS <= 300 MiB: {'met' if int(rss['blocksale']) <= 300 else 'NOT met'}")
PY

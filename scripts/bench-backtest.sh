#!/usr/bin/env bash
# Backtest, sweep and replay benchmark (issue 5, "Speed"). Each command is the whole CLI run on
# the Cango scenario (data/scenarios/cango-2026-02.toml), from reading the CSVs to writing the
# output files, warm (the OS file cache holds the data after the warm-up runs):
#
#   backtest  ingest of the three sources, 90-day calibration (seeded bootstrap), all six models
#             with bands, event study, footprint, result.json + paths.csv + event.png
#             target <= 1.5 s
#   sweep     --sizes 250:20000:40 --durations 1h:7d:12: 40 x 12 x 6 cells (+ calibration)
#             target <= 0.5 s
#   replay    --from 2024-01-01 --to 2026-01-01 --every weekend: 104 Saturdays on the 1-hour spot
#             bars, market state measured at each start
#             target <= 3 s
#
# Needs hyperfine (apt-get install -y hyperfine) and a release build
# (CARGO_TARGET_DIR=/work/target cargo build --release -p blocksale).
#
#   BLOCKSALE_DATA=../shared/data scripts/bench-backtest.sh
#
# Env: BLOCKSALE_DATA (data dir; default ../shared/data beside the repository), BLOCKSALE_BIN
# (binary; default $CARGO_TARGET_DIR/release/blocksale), RUNS (default 10), WARMUP (default 2),
# OUT (results folder; default target/bench-backtest). Prints hyperfine's table and writes
# $OUT/bench-backtest.{json,md}; the medians are in the JSON (results[].median, seconds).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
data=${BLOCKSALE_DATA:-$root/../shared/data}
target=${CARGO_TARGET_DIR:-$root/target}
bin=${BLOCKSALE_BIN:-$target/release/blocksale}
runs=${RUNS:-10}
warmup=${WARMUP:-2}
out=${OUT:-$root/target/bench-backtest}
[ -f "$data/binance/spot/15m/BTCUSDT_15m.csv" ] || { echo "error: Cango data not found in $data (set BLOCKSALE_DATA)" >&2; exit 2; }
[ -x "$bin" ] || { echo "error: $bin missing (cargo build --release -p blocksale)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "error: hyperfine missing (apt-get install -y hyperfine)" >&2; exit 2; }
mkdir -p "$out"
export BLOCKSALE_DATA="$data"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "$("$bin" --version); nproc $(nproc); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --warmup "$warmup" --runs "$runs" --style basic \
  --export-json "$out/bench-backtest.json" --export-markdown "$out/bench-backtest.md" \
  -n backtest "$bin -q backtest --out $scratch/backtest" \
  -n sweep "$bin -q sweep --sizes 250:20000:40 --durations 1h:7d:12 --out $scratch/sweep" \
  -n replay "$bin -q replay --from 2024-01-01 --to 2026-01-01 --every weekend --out $scratch/replay"

python3 - "$out/bench-backtest.json" <<'EOF' || true
import json, sys
targets = {"backtest": 1.5, "sweep": 0.5, "replay": 3.0}
for r in json.load(open(sys.argv[1]))["results"]:
    name = r["command"]
    print(f"{name:10s} median {r['median']*1000:8.1f} ms   target {targets.get(name, float('nan'))*1000:6.0f} ms")
EOF

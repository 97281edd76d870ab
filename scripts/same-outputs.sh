#!/usr/bin/env bash
# Same outputs before and after a change: runs backtest, sweep, replay and report for both shipped
# scenarios with two blocksale binaries and compares every file they write byte for byte
# (result.json, paths.csv, sweep.csv, replay.csv, memo.md, every CSV and PNG of the report).
# manifest.json is left out of the comparison: it records the tool version, the command line and
# the output folder, which differ between two binaries and two folders by design.
#
#   scripts/same-outputs.sh OLD_BIN NEW_BIN
#
# Build OLD_BIN from the commit before a change, e.g.
#   git worktree add /tmp/old HEAD~1 && (cd /tmp/old && cargo build --release -p blocksale)
# Env: BLOCKSALE_DATA (default ../shared/data beside the repository; the committed extract in
# data/ when that is missing), KEEP=1 keeps the output folders. Exit 0 when every file is
# identical, 1 otherwise (the differing files are listed).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OLD_BIN NEW_BIN" >&2; exit 2; }
old=$1 new=$2
for b in "$old" "$new"; do [ -x "$b" ] || { echo "error: $b is not an executable" >&2; exit 2; }; done
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${BLOCKSALE_DATA:-}" ] && [ -d "$root/../shared/data" ]; then
  export BLOCKSALE_DATA="$root/../shared/data"
fi
scratch=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] && echo "outputs kept in $scratch" || trap 'rm -rf "$scratch"' EXIT

run_all() { # BIN OUTDIR
  local bin=$1 out=$2
  for sc in cango-2026-02 saxony-2024-06; do
    local f="$root/data/scenarios/$sc.toml"
    "$bin" -q backtest --scenario "$f" --out "$out/$sc/backtest" >/dev/null
    "$bin" -q sweep --scenario "$f" --sizes 250:20000:40 --durations 1h:7d:12 --max-cost-bps 50 \
      --out "$out/$sc/sweep" >/dev/null
    "$bin" -q replay --scenario "$f" --from 2024-01-01 --to 2026-01-01 --every weekend \
      --out "$out/$sc/replay" >/dev/null
    "$bin" -q report --scenario "$f" --out "$out/$sc/report" >/dev/null
  done
}

run_all "$old" "$scratch/old"
run_all "$new" "$scratch/new"

n=0 bad=0
while IFS= read -r rel; do
  case "$rel" in */manifest.json|*/.blocksale-outputs) continue ;; esac
  n=$((n + 1))
  if [ ! -f "$scratch/new/$rel" ]; then
    echo "missing in new: $rel"; bad=$((bad + 1))
  elif ! cmp -s "$scratch/old/$rel" "$scratch/new/$rel"; then
    echo "differs: $rel"; bad=$((bad + 1))
  fi
done < <(cd "$scratch/old" && find . -type f | sed 's|^\./||' | sort)
extra=$(comm -13 <(cd "$scratch/old" && find . -type f | sort) <(cd "$scratch/new" && find . -type f | sort) || true)
[ -z "$extra" ] || { echo "only in new:"; echo "$extra"; bad=$((bad + 1)); }
echo "$n files compared, $bad differ"
[ "$bad" -eq 0 ]

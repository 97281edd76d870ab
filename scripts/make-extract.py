#!/usr/bin/env python3
"""Rebuild the committed data extract (data/binance/...) from a full data folder.

The extract holds the bars the built-in Cango scenario (data/scenarios/cango-2026-02.toml) reads, and
nothing more, so that `cargo run --release -- backtest` runs on a fresh clone with no other data:

  * Binance spot 15m, 2025-11-05 .. 2026-02-12 (UTC days, inclusive): the 30-day market calibration,
    the 30-day event-study estimation window, the 4 baseline weeks and 3 context days each side of the
    sale, over the longest look-back any part of the scenario has (the 90-day impact calibration
    + 3 context days + 1 spare day), so every venue covers the same days (`blocksale backtest --fetch`
    downloads the same range).
  * Binance USD-M 15m with taker-buy volume over the same days: the 90-day impact calibration
    (Kyle lambda, aggregate-impact curve) and the signed flow of the footprint.
  * Binance spot 1h, 2024-01-01 .. 2026-02-12: the replay of the 2024-2025 weekends (each start needs
    its 30 calibration days before it) and the Cango event itself, which the replay ranks.

Rows are copied byte for byte (header kept); each file is gzipped with a zero timestamp and no name,
so two runs give byte-identical files. Usage (from the repository root):

    python3 scripts/make-extract.py ../shared/data data

then `sha256sum data/binance/*/*/*.csv.gz` for data/README.md.
"""
import gzip
import os
import sys
from datetime import datetime, timezone

DAYS = ("2025-11-05", "2026-02-13")  # [from, to): UTC days
REPLAY = ("2024-01-01", "2026-02-13")

# (source path in the full folder, extract path, [from, to), how the open time is written)
FILES = [
    ("binance/spot/15m/BTCUSDT_15m.csv", "binance/spot/15m/BTCUSDT_15m.extract.csv.gz", DAYS, "text"),
    ("binance/usdm/15m/BTCUSDT_USDM_15m.csv", "binance/usdm/15m/BTCUSDT_USDM_15m.extract.csv.gz", DAYS, "ms"),
    ("binance/spot/1h/BTCUSDT_1h.csv", "binance/spot/1h/BTCUSDT_1h.extract.csv.gz", REPLAY, "text"),
]


def ms(day):
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp() * 1000)


def open_ms(field, kind):
    if kind == "ms":
        return int(field)
    # "2026-02-07 00:00:00" or "2024-01-01 00:00:00+0000": the first 19 characters, UTC
    return int(datetime.strptime(field[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp() * 1000)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make-extract.py FULL_DATA_DIR OUT_DIR")
    src_root, out_root = sys.argv[1], sys.argv[2]
    for src, dst, (lo, hi), kind in FILES:
        lo_ms, hi_ms = ms(lo), ms(hi)
        with open(os.path.join(src_root, src), "rb") as f:
            lines = f.read().split(b"\n")
        header, rows = lines[0], [l for l in lines[1:] if l.strip()]
        kept = [r for r in rows if lo_ms <= open_ms(r.split(b",")[0].decode(), kind) < hi_ms]
        out = os.path.join(out_root, dst)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        tmp = out + ".tmp"
        with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(b"\n".join([header] + kept) + b"\n")
        os.replace(tmp, out)
        print(f"{dst}: {len(kept)} rows, {kept[0].split(b',')[0].decode()} .. {kept[-1].split(b',')[0].decode()}, "
              f"{os.path.getsize(out)} bytes")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""python-polars reference for the ingest benchmark (scripts/bench-ingest.sh).

Same work as `blocksale inspect DIR` on the Binance 1-minute archive files: read every
.csv/.csv.gz file (no header, 12 kline columns), parse open_time (ms or us, decided per file by
magnitude), concatenate, sort by time, drop duplicate rows, print rows / first / last / bar size / gaps.

    pip install polars
    python3 scripts/ingest_reference_polars.py ../shared/data/binance/spot/1m
"""
import pathlib
import sys

import polars as pl

COLS = ["open_time", "open", "high", "low", "close", "volume", "close_time",
        "quote_volume", "count", "taker_buy_volume", "taker_buy_quote_volume", "ignore"]


def read(path):
    df = pl.read_csv(path, has_header=False, new_columns=COLS)
    unit = "us" if df["open_time"][0] > 1e14 else "ms"
    return df.with_columns(pl.from_epoch("open_time", time_unit=unit).dt.replace_time_zone("UTC"))


def main(root):
    files = sorted(p for p in pathlib.Path(root).rglob("*") if p.name.endswith((".csv", ".csv.gz")))
    df = pl.concat([read(p) for p in files]).sort("open_time", maintain_order=True).unique(maintain_order=True)
    d = df["open_time"].diff().drop_nulls()
    step = d.mode()[0]
    gaps = int((d > step).sum())
    print(f"files {len(files)} rows {df.height} first {df['open_time'][0]} "
          f"last {df['open_time'][-1]} bar {step} gaps {gaps}")


if __name__ == "__main__":
    main(sys.argv[1])

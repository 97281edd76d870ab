#!/usr/bin/env python3
"""pandas reference for the ingest benchmark (scripts/bench-ingest.sh).

Same work as `blocksale inspect DIR` on the Binance 1-minute archive files: read every
.csv/.csv.gz file (no header, 12 kline columns), parse open_time (ms or us, decided per file by
magnitude), concatenate, sort by time, drop duplicate rows, print rows / first / last / bar size / gaps.

    pip install pandas
    python3 scripts/ingest_reference_pandas.py ../shared/data/binance/spot/1m
"""
import pathlib
import sys

import pandas as pd

COLS = ["open_time", "open", "high", "low", "close", "volume", "close_time",
        "quote_volume", "count", "taker_buy_volume", "taker_buy_quote_volume", "ignore"]


def read(path):
    df = pd.read_csv(path, header=None, names=COLS)
    unit = "us" if df["open_time"].iloc[0] > 1e14 else "ms"
    df["open_time"] = pd.to_datetime(df["open_time"], unit=unit, utc=True)
    return df


def main(root):
    files = sorted(p for p in pathlib.Path(root).rglob("*") if p.name.endswith((".csv", ".csv.gz")))
    df = pd.concat([read(p) for p in files], ignore_index=True)
    df = df.sort_values("open_time", kind="stable").drop_duplicates()
    step = df["open_time"].diff().mode().iloc[0]
    gaps = int((df["open_time"].diff() > step).sum())
    print(f"files {len(files)} rows {len(df)} first {df['open_time'].iloc[0]} "
          f"last {df['open_time'].iloc[-1]} bar {step} gaps {gaps}")


if __name__ == "__main__":
    main(sys.argv[1])

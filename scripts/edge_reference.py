#!/usr/bin/env python3
"""Reference values for EDGE with missing prices (crates/impact/src/estimators/edge.rs).

`edge_reference` below is a numpy port, line for line, of `edge()` in the authors' package:

    repository  eguidotti/bidask (MIT, Copyright (c) Emanuele Guidotti)
    path        python/bidask/edge.py
    version     bidask 2.1.0 as published on PyPI (2024-12); the same text is the repository's
                python/bidask/edge.py after the commit that added pseudocode/ohlc-miss.csv
                (d0c736fb839d359f64dc768f8554f5dee32f825c); the missing-value test file itself is
                pinned there to 0.01013284969780197. The R package (r/R/edge.R) has the same
                semantics: `tau <- ifelse(is.na(h) | is.na(l) | is.na(c1), NA, h != l | l != c1)`.

Semantics with missing values (NaN), which the Rust code must follow exactly:

- each indicator is missing when any of its inputs is missing: `tau` when h, l or the previous
  close is; `po1 = tau * [o != h]` when tau, o or h is (so also when tau = 0 and o is missing);
- every mean is over the periods where that quantity is present (`np.nanmean`), each on its own;
- missing (NaN) when fewer than two periods have tau = 1 (`nansum(tau) < 2`) or po or pc is 0;
- `s2 = (v2 e1 + v1 e2) / (v1 + v2)` when `v1 + v2 > 0`, else `(e1 + e2) / 2`; spread `sqrt(|s2|)`.

It returns the intermediates as well. With the package importable (`pip install bidask==2.1.0`,
or the wheel unpacked on PYTHONPATH) every value is also checked against `bidask.edge` itself.

The blanking pattern (data row i, 0-based, after the header) is the one the Rust tests apply:

    open  missing when i %  7 == 3        high  missing when i % 11 == 5
    low   missing when i % 13 == 6        close missing when i % 17 == 8
    every field missing when i % 101 == 50   (a whole bar lost, as in an exchange outage)

Run (shared data folder as BLOCKSALE_DATA, default ../shared/data from the repository root):

    python3 scripts/edge_reference.py

The tests in crates/impact/tests/it/edge_t3.rs hard-code the printed numbers.
"""
import math
import os
import sys
import warnings

import numpy as np


def edge_reference(open_, high, low, close):
    """EDGE as bidask 2.1.0 `edge()`, returning a dict of the spread and its intermediates."""
    nobs = len(open_)
    assert len(high) == nobs and len(low) == nobs and len(close) == nobs
    nan = float("nan")
    out = dict(spread=nan, s2=nan, pt=nan, po=nan, pc=nan, e1=nan, e2=nan, v1=nan, v2=nan)
    if nobs < 3:
        return out

    o = np.log(np.asarray(open_, dtype=float))
    h = np.log(np.asarray(high, dtype=float))
    l = np.log(np.asarray(low, dtype=float))
    c = np.log(np.asarray(close, dtype=float))
    m = (h + l) / 2.0

    h1, l1, c1, m1 = h[:-1], l[:-1], c[:-1], m[:-1]
    o, h, l, c, m = o[1:], h[1:], l[1:], c[1:], m[1:]

    r1 = m - o
    r2 = o - m1
    r3 = m - c1
    r4 = c1 - m1
    r5 = o - c1

    tau = np.where(np.isnan(h) | np.isnan(l) | np.isnan(c1), np.nan, (h != l) | (l != c1))
    po1 = tau * np.where(np.isnan(o) | np.isnan(h), np.nan, o != h)
    po2 = tau * np.where(np.isnan(o) | np.isnan(l), np.nan, o != l)
    pc1 = tau * np.where(np.isnan(c1) | np.isnan(h1), np.nan, c1 != h1)
    pc2 = tau * np.where(np.isnan(c1) | np.isnan(l1), np.nan, c1 != l1)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pt = np.nanmean(tau)
        po = np.nanmean(po1) + np.nanmean(po2)
        pc = np.nanmean(pc1) + np.nanmean(pc2)
        out.update(pt=float(pt), po=float(po), pc=float(pc))
        if np.nansum(tau) < 2 or po == 0 or pc == 0:
            return out

        d1 = r1 - np.nanmean(r1) / pt * tau
        d3 = r3 - np.nanmean(r3) / pt * tau
        d5 = r5 - np.nanmean(r5) / pt * tau

        x1 = -4.0 / po * d1 * r2 + -4.0 / pc * d3 * r4
        x2 = -4.0 / po * d1 * r5 + -4.0 / pc * d5 * r4

        e1 = np.nanmean(x1)
        e2 = np.nanmean(x2)
        v1 = np.nanmean(x1**2) - e1**2
        v2 = np.nanmean(x2**2) - e2**2

    vt = v1 + v2
    s2 = (v2 * e1 + v1 * e2) / vt if vt > 0 else (e1 + e2) / 2.0
    out.update(spread=float(np.sqrt(np.abs(s2))), s2=float(s2), e1=float(e1), e2=float(e2),
               v1=float(v1), v2=float(v2))
    return out


def blank(cols):
    """The deterministic blanking pattern of the module docs, on copies of the four columns."""
    o, h, l, c = (np.array(x, dtype=float) for x in cols)
    i = np.arange(len(o))
    o[i % 7 == 3] = np.nan
    h[i % 11 == 5] = np.nan
    l[i % 13 == 6] = np.nan
    c[i % 17 == 8] = np.nan
    whole = i % 101 == 50
    for x in (o, h, l, c):
        x[whole] = np.nan
    return o, h, l, c


def read_cols(path, first, rows=None):
    """Columns first..first+3 of a CSV with a header line; empty cells are NaN."""
    cols = [[], [], [], []]
    with open(path) as f:
        next(f)
        for k, line in enumerate(f):
            if rows is not None and k >= rows:
                break
            cells = line.strip().split(",")[first:first + 4]
            for col, cell in zip(cols, cells):
                cell = cell.strip().strip('"')
                col.append(float(cell) if cell not in ("", "NA") else math.nan)
    return cols


def package_edge():
    try:
        from bidask import edge  # noqa: PLC0415
        return edge
    except ImportError:
        return None


def report(name, cols, pkg):
    d = edge_reference(*cols)
    missing = sum(int(np.isnan(np.asarray(x)).sum()) for x in cols)
    print(f"{name}: {len(cols[0])} rows, {missing} missing cells")
    for k, v in d.items():
        print(f"    {k:6} = {v!r}")
    if pkg is not None:
        s = pkg(*cols)
        ok = (math.isnan(s) and math.isnan(d["spread"])) or s == d["spread"]
        print(f"    bidask.edge = {s!r} ({'identical' if ok else 'DIFFERS'})")
        if not ok:
            sys.exit(f"{name}: the port differs from bidask.edge")
    return d


def main():
    data = os.environ.get("BLOCKSALE_DATA") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
    pkg = package_edge()
    print("bidask package:", "found, every value checked against it" if pkg else "not importable")

    ohlc = read_cols(os.path.join(data, "reference/bidask/ohlc.csv"), 0)
    d = report("ohlc.csv (T3, no missing)", ohlc, pkg)
    assert abs(d["spread"] / 0.0101849034905478 - 1) < 1e-12, "T3 not reproduced"
    report("ohlc.csv first 10 rows (bidask test: signed -0.016889917516422)",
           [x[:10] for x in ohlc], pkg)
    report("ohlc.csv blanked", blank(ohlc), pkg)

    # The authors' own file with missing cells, committed in the repository (data/README.md).
    miss_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                             "data/reference/bidask/ohlc-miss.csv")
    d = report("ohlc-miss.csv (published 0.01013284969780197)", read_cols(miss_path, 0), pkg)
    assert abs(d["spread"] / 0.01013284969780197 - 1) < 1e-12, "ohlc-miss.csv not reproduced"

    btc = read_cols(os.path.join(data, "binance/spot/1h/BTCUSDT_1h.csv"), 1, rows=2000)
    report("BTCUSDT_1h.csv first 2000 rows", btc, pkg)
    report("BTCUSDT_1h.csv first 2000 rows blanked", blank(btc), pkg)

    # Small cases for the branches: bidask's flat-price test (NaN); a missing open on a bar with
    # tau = 0 (po1 missing there, not 0); too few tau = 1 periods.
    report("flat (bidask test)", [[18.21, 17.61, 17.61], [18.21, 17.61, 17.61],
                                  [17.61, 17.61, 17.61], [17.61, 17.61, 17.61]], pkg)


if __name__ == "__main__":
    main()

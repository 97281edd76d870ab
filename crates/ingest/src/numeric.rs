//! Fast path for files whose rows are plain numbers: integer epoch times and decimal values, no
//! quotes (Binance klines, Kraken OHLCVT, Bitstamp and most exchange dumps).
//!
//! One pass over the bytes: each needed field is parsed where it stands, the others are stepped over.
//! A decimal with at most 19 digits whose digits form an integer `m <= 2^53` is `m / 10^k` with
//! `k <= 22`: both operands are exact doubles and IEEE division rounds once, so the result is the
//! correctly rounded value (Clinger's fast path), bit for bit what `str::parse::<f64>` returns.
//! Longer or unusual numbers (exponents, more digits) go through `str::parse::<f64>` itself.
//!
//! Anything else (a blank line, a sign on a time, a wrong field count, a byte that is not ASCII, a
//! value breaking a rule) returns `None`, and the line-by-line reader takes over: it is the one that
//! names the bad row. So this path only ever accepts what that reader accepts, with the same values.

use crate::detect::Layout;
use blocksale_core::BarColumns;

/// What a field is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Skip,
    Time,
    Open,
    High,
    Low,
    Close,
    Volume,
    Quote,
    Trades,
    Taker,
}

/// Exact powers of ten as doubles.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Largest integer below which every integer is an exact double.
const EXACT_INT: u64 = 1 << 53;

/// Parse the rows in `data` (the text after the header) into `cols` (emptied first; its allocations
/// are reused), or `None` when any row needs a closer look.
pub(crate) fn parse(data: &[u8], lay: &Layout, cols: BarColumns) -> Option<BarColumns> {
    // Each needed column at its own index; a layout mapping two roles to one column is refused
    // rather than guessed (the line-by-line reader reads each role from its index).
    let mut roles = vec![Role::Skip; lay.n_fields];
    let wanted = [
        (Some(lay.time), Role::Time),
        (Some(lay.open), Role::Open),
        (Some(lay.high), Role::High),
        (Some(lay.low), Role::Low),
        (Some(lay.close), Role::Close),
        (lay.volume, Role::Volume),
        (lay.quote_volume, Role::Quote),
        (lay.trades, Role::Trades),
        (lay.taker_buy, Role::Taker),
    ];
    for (i, r) in wanted {
        if let Some(i) = i {
            if roles.get(i) != Some(&Role::Skip) {
                return None;
            }
            roles[i] = r;
        }
    }
    lay.volume?;
    let sep = lay.sep;
    if sep.is_ascii_digit() || sep == b'.' || sep == b'\n' || sep >= 0x80 {
        return None;
    }
    let first_line = memchr::memchr(b'\n', data).map_or(data.len(), |p| p + 1);
    let cap = data.len() / first_line.max(1) + 16;
    let mut cols = lay.columns(cap, cols);
    let unit = lay.unit;
    let last = lay.n_fields - 1;
    let mut i = 0usize;
    let n = data.len();
    while i < n {
        if data[i] == b'\n' {
            // Blank lines at the very end are harmless. One inside the file would shift the line
            // numbers of the rows after it (they are counted, not stored): the line reader takes it.
            if data[i..].iter().all(u8::is_ascii_whitespace) {
                break;
            }
            return None;
        }
        let (mut t, mut o, mut h, mut l, mut c, mut v) = (0i64, 0.0, 0.0, 0.0, 0.0, 0.0);
        let (mut qv, mut tb, mut tr) = (0.0, 0.0, 0u64);
        for (k, &role) in roles.iter().enumerate() {
            match role {
                Role::Skip => i = skip(data, i, sep)?,
                Role::Time => {
                    let (x, j) = int(data, i)?;
                    t = unit.int_to_ms(x);
                    i = j;
                }
                _ => {
                    let (x, j) = decimal(data, i, sep)?;
                    i = j;
                    match role {
                        Role::Open => o = x,
                        Role::High => h = x,
                        Role::Low => l = x,
                        Role::Close => c = x,
                        Role::Volume => v = x,
                        Role::Quote => qv = x,
                        Role::Taker => tb = x,
                        _ => tr = trade_count(x)?,
                    }
                }
            }
            // `i` is at the byte after the field: a separator between fields, a line end (or the
            // end of the data) after the last one.
            let end = data.get(i).copied();
            if k < last {
                if end != Some(sep) {
                    return None;
                }
            } else if !matches!(end, None | Some(b'\n')) {
                return None;
            }
            i += 1;
        }
        cols.open_time_ms.push(t);
        cols.open.push(o);
        cols.high.push(h);
        cols.low.push(l);
        cols.close.push(c);
        cols.volume.push(v);
        if let Some(x) = cols.quote_volume.as_mut() {
            x.push(qv);
        }
        if let Some(x) = cols.taker_buy_volume.as_mut() {
            x.push(tb);
        }
        if let Some(x) = cols.trades.as_mut() {
            x.push(tr);
        }
    }
    Some(cols)
}

/// A parsed trade-count field as a count: an integer >= 0 that fits a `u64`, else `None`.
pub(crate) fn trade_count(x: f64) -> Option<u64> {
    (x >= 0.0 && x.fract() == 0.0 && x < 1.8e19).then_some(x as u64)
}

/// Step over a field that is not needed: up to the next separator or line end. Bytes that are not
/// ASCII send the file to the line-by-line reader (which reports lines that are not UTF-8).
#[inline(always)]
fn skip(data: &[u8], mut i: usize, sep: u8) -> Option<usize> {
    // Eight bytes at a time while none is the separator, a line end or above ASCII (SWAR: a byte
    // equal to `c` is a zero byte of `x ^ c`, found by the borrow trick).
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    while let Some(chunk) = data.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().ok()?);
        if zero(x ^ (ONES * u64::from(sep))) | zero(x ^ (ONES * u64::from(b'\n'))) | (x & HIGH) != 0
        {
            break;
        }
        i += 8;
    }
    while let Some(&b) = data.get(i) {
        if b == sep || b == b'\n' {
            return Some(i);
        }
        if b >= 0x80 {
            return None;
        }
        i += 1;
    }
    Some(i)
}

/// The value of the 8 ASCII digits at `i`, or `None` when fewer than 8 bytes are left or one of them
/// is not a digit (SWAR: all eight bytes checked and combined in a few integer operations).
#[inline(always)]
fn eight_digits(data: &[u8], i: usize) -> Option<u64> {
    let chunk: [u8; 8] = data.get(i..i + 8)?.try_into().ok()?;
    let x = u64::from_le_bytes(chunk);
    const HI: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    // Each byte is 0x30..=0x39: its high nibble is 3, and adding 6 does not carry into it.
    if (x & HI) | ((x.wrapping_add(0x0606_0606_0606_0606) & HI) >> 4) != 0x3333_3333_3333_3333 {
        return None;
    }
    let x = x.wrapping_sub(0x3030_3030_3030_3030);
    // Pairs, then quadruples, then the 8-digit value (the first byte is the most significant digit).
    let x = x.wrapping_mul(10).wrapping_add(x >> 8);
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    Some(
        ((x & MASK)
            .wrapping_mul(MUL1)
            .wrapping_add(((x >> 16) & MASK).wrapping_mul(MUL2)))
            >> 32,
    )
}

/// Accumulate the run of ASCII digits at `i` into `m` (eight at a time where it can); returns the
/// new `m` and the index after the run. Wraps on overflow: callers bound the number of digits.
#[inline(always)]
fn digits(data: &[u8], mut i: usize, mut m: u64) -> (u64, usize) {
    while let Some(d) = eight_digits(data, i) {
        m = m.wrapping_mul(100_000_000).wrapping_add(d);
        i += 8;
    }
    while let Some(&b) = data.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    (m, i)
}

/// An unsigned integer of 1 to 18 digits starting at `start`; returns it and the index after it.
#[inline(always)]
fn int(data: &[u8], start: usize) -> Option<(i64, usize)> {
    let (m, i) = digits(data, start, 0);
    // 18 digits never reach i64::MAX, so the cast is exact.
    (1..=18).contains(&(i - start)).then_some((m as i64, i))
}

/// A decimal number starting at `start`: returns it and the index of the byte after it.
#[inline(always)]
fn decimal(data: &[u8], start: usize, sep: u8) -> Option<(f64, usize)> {
    let (mut m, mut i) = digits(data, start, 0);
    let int_digits = i - start;
    let mut frac = 0usize;
    if data.get(i) == Some(&b'.') {
        let (m2, j) = digits(data, i + 1, m);
        frac = j - (i + 1);
        (m, i) = (m2, j);
    }
    let n_digits = int_digits + frac;
    let at_end = match data.get(i) {
        None => true,
        Some(&b) => b == sep || b == b'\n',
    };
    if at_end && n_digits > 0 && n_digits <= 19 && m <= EXACT_INT && frac < POW10.len() {
        return Some((m as f64 / POW10[frac], i));
    }
    // Anything longer or unusual (`1e-8`, 20 digits): the standard library's correctly rounded parser
    // on the whole field.
    let end = skip(data, start, sep)?;
    let s = std::str::from_utf8(&data[start..end]).ok()?;
    s.parse::<f64>().ok().map(|x| (x, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Option<f64> {
        let b = format!("{s},");
        decimal(b.as_bytes(), 0, b',').map(|(x, j)| {
            assert_eq!(j, s.len(), "{s}");
            x
        })
    }

    #[test]
    fn decimals_round_like_the_standard_parser() {
        let cases = [
            "16541.77000000",
            "0.00100000",
            "1375295.78407230",
            "686613.12338960",
            "0",
            "0.0",
            "5.",
            ".5",
            "9007199254740993",
            "90071992547409.93",
            "123456789012345678901234",
            "1e-8",
            "2.5E3",
            "0.1",
            "0.30000000000000004",
            "1797693134862315700000000000000000000000000000",
            "4.9406564584124654e-324",
        ];
        for s in cases {
            let want: f64 = s.parse().unwrap();
            let got = dec(s).unwrap_or_else(|| panic!("{s} rejected"));
            assert_eq!(got.to_bits(), want.to_bits(), "{s}");
        }
        // A seeded sweep of prices and volumes with 0 to 10 decimals.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = (x % 17) as usize + 1;
            let m = x % 10u64.pow(digits as u32);
            let frac = ((x >> 40) % 11) as usize;
            let mut s = format!("{m:0digits$}");
            if frac > 0 && frac < s.len() {
                s.insert(s.len() - frac, '.');
            }
            let want: f64 = s.parse().unwrap();
            assert_eq!(dec(&s).unwrap().to_bits(), want.to_bits(), "{s}");
        }
    }

    #[test]
    fn skip_stops_at_separator_line_end_or_non_ascii() {
        let cases: [(&[u8], Option<usize>); 7] = [
            (b"1672531259999,x", Some(13)),
            (b"1672531259999\nx", Some(13)),
            (b"abcdefghijklmnopq", Some(17)),
            (b"abcdefghij;klmnop", Some(10)),
            (b"abcdefghijk\xc3\xa9,", None),
            (b"", Some(0)),
            (b",", Some(0)),
        ];
        for (text, want) in cases {
            let sep = if text.contains(&b';') { b';' } else { b',' };
            assert_eq!(
                skip(text, 0, sep),
                want,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        // A separator in every position of a 16-byte window.
        for k in 0..16 {
            let mut t = vec![b'7'; 16];
            t[k] = b',';
            assert_eq!(skip(&t, 0, b','), Some(k));
        }
    }

    #[test]
    fn eight_digits_at_once() {
        for s in ["00000000", "12345678", "99999999", "10000001", "77000000"] {
            assert_eq!(eight_digits(s.as_bytes(), 0), s.parse().ok(), "{s}");
        }
        for s in [
            &b"1234567"[..],
            b"1234567.",
            b"/2345678",
            b"1234567:",
            b"12345 78",
            b"1234\xff678",
            b"\x8012345678",
        ] {
            assert_eq!(eight_digits(s, 0), None, "{s:?}");
        }
        assert_eq!(eight_digits(b"x12345678", 1), Some(12_345_678));
    }

    /// Differential check: Binance rows with random bytes replaced, inserted or deleted. Whenever
    /// the numeric parser accepts the text (and the rules hold), the line-by-line reader must accept
    /// it too, with the same bits; whenever it refuses, nothing is lost (the other reader decides).
    #[test]
    fn accepts_only_what_the_line_reader_accepts_with_the_same_bits() {
        use crate::detect::detect;
        use crate::options::ReadOptions;
        use crate::parse::{columns_ok, slow};
        let base = "1672531200000,16541.77000000,16544.76000000,16538.45000000,16543.67000000,83.08143000,1672531259999,1375295.78407230,2687,41.50453000,686613.12338960,0\n\
                    1672531260000,16543.04000000,16544.41000000,16538.48000000,16539.31000000,75.38007000,1672531319999,1247313.10880020,2545,31.98347000,529193.22626260,0\n\
                    1672531320000,16539.31000000,16541.17000000,16537.98000000,16540.04000000,73.34850000,1672531379999,1213250.86011190,2358,36.17452000,598384.40880410,0\n";
        let path = std::path::Path::new("mutated.csv");
        let opts = ReadOptions::default();
        let lay = detect(path, base, &opts).unwrap();
        let alphabet = b"0123456789.,\n-+eE \"x\r\x80;";
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |m: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % m as u64) as usize
        };
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..20_000 {
            let mut b = base.as_bytes().to_vec();
            for _ in 0..1 + next(3) {
                let at = next(b.len());
                match next(3) {
                    0 => b[at] = alphabet[next(alphabet.len())],
                    1 => b.insert(at, alphabet[next(alphabet.len())]),
                    _ => {
                        b.remove(at);
                    }
                }
            }
            match parse(&b, &lay, BarColumns::default()).filter(columns_ok) {
                Some(fast) => {
                    accepted += 1;
                    let (lines, _, _) = slow(path, &b, &lay, false).unwrap_or_else(|e| {
                        panic!(
                            "{:?}: numeric accepted, line reader: {e}",
                            String::from_utf8_lossy(&b)
                        )
                    });
                    let bits = |c: &BarColumns| {
                        let f = |v: &Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                        (
                            c.open_time_ms.clone(),
                            [&c.open, &c.high, &c.low, &c.close, &c.volume].map(f),
                            c.quote_volume.as_ref().map(f),
                            c.taker_buy_volume.as_ref().map(f),
                            c.trades.clone(),
                        )
                    };
                    assert_eq!(
                        bits(&fast),
                        bits(&lines),
                        "{:?}",
                        String::from_utf8_lossy(&b)
                    );
                }
                None => refused += 1,
            }
        }
        // Both outcomes are exercised.
        assert!(
            accepted > 1_000 && refused > 1_000,
            "{accepted} accepted, {refused} refused"
        );
    }

    /// The same check on the fuzz inputs (the selector byte stripped) whose layout is numeric: the
    /// committed seeds (`fuzz/seeds/ingest_bytes`) always, and the grown corpus
    /// (`fuzz/corpus/ingest_bytes`, local only, not in git) where a fuzzing run left one.
    #[test]
    fn agrees_with_the_line_reader_on_the_fuzz_inputs() {
        use crate::detect::{detect, TimeKind};
        use crate::options::ReadOptions;
        use crate::parse::{columns_ok, slow};
        let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
        let list = |dir: std::path::PathBuf| -> Vec<std::path::PathBuf> {
            std::fs::read_dir(&dir)
                .map(|rd| rd.map(|e| e.unwrap().path()).collect())
                .unwrap_or_default()
        };
        let seeds = list(fuzz.join("seeds/ingest_bytes"));
        assert!(seeds.len() >= 10, "{} seeds", seeds.len());
        let mut files = seeds.clone();
        files.extend(list(fuzz.join("corpus/ingest_bytes")));
        files.sort();
        let path = std::path::Path::new("corpus.csv");
        let (mut numeric, mut accepted) = (0, 0);
        for f in &files {
            let raw = std::fs::read(f).unwrap();
            let text = raw.get(1..).unwrap_or_default();
            let head = &text[..text.len().min(64 * 1024)];
            let prefix = match std::str::from_utf8(head) {
                Ok(s) => s,
                Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap(),
            };
            let Ok(lay) = detect(path, prefix, &ReadOptions::default()) else {
                continue;
            };
            if lay.time_kind != TimeKind::Int || lay.quoted {
                continue;
            }
            numeric += 1;
            let data = &text[lay.data_offset..];
            if let Some(fast) = parse(data, &lay, BarColumns::default()).filter(columns_ok) {
                accepted += 1;
                let (lines, _, _) = slow(path, data, &lay, false).unwrap_or_else(|e| {
                    panic!("{}: numeric accepted, line reader: {e}", f.display())
                });
                assert_eq!(fast.open_time_ms, lines.open_time_ms, "{}", f.display());
                for (a, b) in [
                    (&fast.open, &lines.open),
                    (&fast.close, &lines.close),
                    (&fast.volume, &lines.volume),
                ] {
                    let bits = |v: &Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(a), bits(b), "{}", f.display());
                }
                assert_eq!(fast.len(), lines.len(), "{}", f.display());
            }
        }
        eprintln!(
            "fuzz inputs: {} files ({} seeds), {numeric} numeric, {accepted} accepted",
            files.len(),
            seeds.len()
        );
        // The seeds alone hold numeric Binance, Bitstamp and Kraken files the parser accepts.
        assert!(
            numeric >= 4 && accepted >= 4,
            "{numeric} numeric, {accepted} accepted"
        );
    }

    #[test]
    fn trailing_blank_lines_are_read_inner_ones_left_to_the_line_reader() {
        let row = "1672531200000,2.5,3,2,2.5,10\n1672531260000,2.5,3,2,2.5,11\n";
        let lay = crate::detect::detect(
            std::path::Path::new("x.csv"),
            row,
            &crate::options::ReadOptions::default(),
        )
        .unwrap();
        let c = parse(
            format!("{row}\n\n \n").as_bytes(),
            &lay,
            BarColumns::default(),
        )
        .unwrap();
        assert_eq!(c.volume, [10.0, 11.0]);
        let inner = row.replacen('\n', "\n\n", 1);
        assert!(parse(inner.as_bytes(), &lay, BarColumns::default()).is_none());
    }

    #[test]
    fn refuses_what_is_not_a_plain_number() {
        for s in ["", ".", "-", "abc", "1,5", "1 ", " 1", "\"1\"", "1..2"] {
            let b = format!("{s}\n");
            let r = decimal(b.as_bytes(), 0, b';');
            assert!(r.is_none(), "{s:?} gave {r:?}");
        }
        assert!(int(b"-5,", 0).is_none());
        assert!(int(b"1234567890123456789,", 0).is_none());
        assert_eq!(int(b"1672531200000,", 0), Some((1_672_531_200_000, 13)));
    }
}

//! Numbers for the CSV exports, fast: [`push_f64`] appends exactly what `format!("{x}")` prints
//! (Rust's shortest round-trip digits, plain decimal notation, no exponent, no trailing `.0`)
//! about three times faster, from the same shortest digits computed by Ryu. The sweep and replay
//! stream millions of numbers, and their CSV bytes must not change with the formatter: the test
//! `same_bytes_as_display` checks it on random and edge-case values.
//!
//! ```
//! let mut s = Vec::new();
//! for x in [100.0, 0.000123, 1.5e16, -2.5e-7, 18.25651316185786] {
//!     blocksale_backtest::csvfmt::push_f64(&mut s, x);
//!     s.push(b',');
//! }
//! assert_eq!(s, b"100,0.000123,15000000000000000,-0.00000025,18.25651316185786,");
//! ```

use std::io::Write as _;

/// Append `x` as `{}` prints it.
pub fn push_f64(out: &mut Vec<u8>, x: f64) {
    if !x.is_finite() || x == 0.0 {
        // NaN, inf, -inf, 0, -0: rare, the standard formatter.
        let _ = write!(out, "{x}");
        return;
    }
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(x).as_bytes();
    let (m, e) = odd_mantissa(x);
    // Fast path, the common case: Ryu prints plain decimals for 1e-5 <= |x| < 1e16 (the digits
    // `{}` prints, and no exponent), and no tie is possible (see below) when e < -22 there: the
    // exact value has at least 23 - 4 = 19 significant digits, shortest ones at most 17.
    if e < -22 && !text.contains(&b'e') {
        out.extend_from_slice(text);
        return;
    }
    // Ryu prints `-?D+(.D+)?(e-?D+)?`: collect the digits, where the point falls, the exponent.
    let mut digits = [0u8; 32];
    let (mut n, mut int_len, mut exp, mut exp_neg) = (0usize, None, 0i32, false);
    let mut in_exp = false;
    for &b in text {
        match b {
            b'-' if in_exp => exp_neg = true,
            b'-' => {}
            b'.' => int_len = Some(n),
            b'e' => {
                int_len.get_or_insert(n);
                in_exp = true;
            }
            _ if in_exp => exp = exp * 10 + i32::from(b - b'0'),
            _ => {
                digits[n] = b;
                n += 1;
            }
        }
    }
    if exp_neg {
        exp = -exp;
    }
    // value = 0.DIGITS x 10^point, DIGITS without leading or trailing zeros.
    let mut point = int_len.unwrap_or(n) as i32 + exp;
    let lead = digits[..n].iter().take_while(|&&b| b == b'0').count();
    point -= lead as i32;
    let mut d = &digits[lead..n];
    while let [rest @ .., b'0'] = d {
        d = rest;
    }
    // On an exact tie between two shortest digit strings Ryu rounds half to even, Rust's
    // formatter half up. A tie needs the exact binary value to end one decimal digit after the
    // shortest digits: x = m 2^e (m odd) has exactly -e decimals, so `point - e` significant
    // digits when e < 0; an integer (e >= 0) printed with fewer digits than it has was rounded.
    // Those (rare) values take the standard formatter.
    let len = d.len() as i32;
    if m != 0 && ((e < 0 && point - e == len + 1) || (e >= 0 && point > len)) {
        let _ = write!(out, "{x}");
        return;
    }
    if x < 0.0 {
        out.push(b'-');
    }
    if point <= 0 {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-point) as usize, b'0');
        out.extend_from_slice(d);
    } else if point >= len {
        out.extend_from_slice(d);
        out.resize(out.len() + (point - len) as usize, b'0');
    } else {
        let (a, b) = d.split_at(point as usize);
        out.extend_from_slice(a);
        out.push(b'.');
        out.extend_from_slice(b);
    }
}

/// `x = m 2^e` with `m` odd (`x` finite, non-zero).
fn odd_mantissa(x: f64) -> (u64, i32) {
    let bits = x.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (m, e) = if exp_bits == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), exp_bits - 1075)
    };
    if m == 0 {
        return (0, 0);
    }
    let tz = m.trailing_zeros();
    (m >> tz, e + tz as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(x: f64) -> Result<(), TestCaseError> {
        let mut s = Vec::new();
        push_f64(&mut s, x);
        prop_assert_eq!(String::from_utf8(s).unwrap(), format!("{x}"), "{:e}", x);
        Ok(())
    }

    #[test]
    fn edge_cases() {
        for x in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            100.0,
            1e15,
            1e16,
            1e17,
            1.5e16,
            123456789012345680.0,
            1e-5,
            1e-6,
            1e-7,
            2.5e-300,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            f64::MIN,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            18.25651316185786,
            0.18587109885820047,
            4451.0,
            69289.01,
            // 607206762877791.25: a tie, Ryu says ...2, `{}` says ...3.
            f64::from_bits(4_828_212_855_016_823_546),
            0.125,
            2.5,
            1e23,
            2f64.powi(53) + 2.0,
        ] {
            check(x).unwrap();
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200_000))]
        #[test]
        fn same_bytes_as_display(bits in any::<u64>(), mag in -12i32..20, frac in 0.0f64..1.0) {
            check(f64::from_bits(bits))?;
            check(frac * 10f64.powi(mag))?;
            check(-frac * 10f64.powi(mag))?;
        }

        /// Short exact binary fractions and large integers: where ties between two shortest
        /// digit strings live.
        #[test]
        fn same_bytes_on_ties(n in any::<u64>(), shift in 0u32..64, j in 0i32..70) {
            let x = (n >> shift) as f64 / 2f64.powi(j);
            check(x)?;
            check(x * 1e6)?;
        }
    }
}

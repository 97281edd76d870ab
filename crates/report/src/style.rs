//! Shared chart style: bundled font, greyscale-safe palette, dash patterns, number and date formatting.

use blocksale_core::{Timestamp, MS_PER_DAY};
use plotters::style::{FontStyle, RGBColor};
use std::sync::Once;

/// Family name under which the bundled font is registered.
pub(crate) const FONT: &str = "sans-serif";

static FONT_INIT: Once = Once::new();

/// Register the embedded DejaVu Sans (regular and bold) with plotters, once per process.
pub(crate) fn ensure_font() {
    FONT_INIT.call_once(|| {
        // The bytes are a valid TrueType font shipped by the `dejavu` crate; failure is impossible
        // short of a corrupted build, and drawing then fails with a clear font error.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Size and format of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartOptions {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Write SVG instead of PNG.
    pub svg: bool,
    /// Draw the observed price of `event.png` as candles (grouped so that at most about 200 are
    /// drawn) instead of a close line over the high-low range.
    pub candles: bool,
}

impl Default for ChartOptions {
    fn default() -> Self {
        Self {
            width: 1600,
            height: 900,
            svg: false,
            candles: false,
        }
    }
}

impl ChartOptions {
    /// Font scale relative to the 1600x900 design size. Text shrinks more slowly than the canvas
    /// (power 0.6) so that an 800 px memo copy keeps readable labels.
    pub(crate) fn scale(&self) -> f64 {
        (f64::from(self.width) / 1600.0)
            .min(f64::from(self.height) / 900.0)
            .max(0.25)
            .powf(0.6)
    }
    /// A font size or length scaled to the chart (design pixels at 1600x900).
    pub(crate) fn font(&self, px: f64) -> f64 {
        (px * self.scale()).round().max(1.0)
    }
    /// A length in whole pixels.
    pub(crate) fn px(&self, px: f64) -> u32 {
        self.font(px) as u32
    }
    /// File extension of the chosen format.
    pub fn ext(&self) -> &'static str {
        if self.svg {
            "svg"
        } else {
            "png"
        }
    }
}

/// Design font sizes (pixels at 1600x900).
pub(crate) mod size {
    pub const TITLE: f64 = 31.0;
    pub const SUBTITLE: f64 = 20.0;
    pub const AXIS: f64 = 20.0;
    pub const TICK: f64 = 18.0;
    pub const LEGEND: f64 = 18.0;
    pub const NOTE: f64 = 17.0;
    pub const FOOTER: f64 = 15.0;
}

/// Palette chosen to stay distinguishable in greyscale (different luminance) and for colour-blind
/// readers (Okabe-Ito hues), paired with distinct dash patterns.
pub(crate) const OBSERVED: RGBColor = RGBColor(20, 20, 20);
pub(crate) const MODEL_COLOURS: [RGBColor; 6] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
];
/// Dash patterns (dash, gap) in design pixels per model; `None` is solid.
pub(crate) const MODEL_DASHES: [Option<(f64, f64)>; 6] = [
    None,
    Some((14.0, 7.0)),
    Some((4.0, 5.0)),
    Some((22.0, 6.0)),
    Some((9.0, 9.0)),
    Some((2.0, 9.0)),
];
pub(crate) const WINDOW_FILL: RGBColor = RGBColor(228, 228, 228);
pub(crate) const REFERENCE: RGBColor = RGBColor(150, 30, 30);
pub(crate) const IMPLIED: RGBColor = RGBColor(120, 40, 140);
pub(crate) const GRID: RGBColor = RGBColor(218, 218, 218);
pub(crate) const MUTED: RGBColor = RGBColor(85, 85, 85);
pub(crate) const ANNOTATION: RGBColor = RGBColor(60, 60, 60);

/// Colour of model `k` (cycled).
pub(crate) fn model_colour(k: usize) -> RGBColor {
    MODEL_COLOURS[k % MODEL_COLOURS.len()]
}

/// Dash pattern of model `k` (cycled).
pub(crate) fn model_dash(k: usize) -> Option<(f64, f64)> {
    MODEL_DASHES[k % MODEL_DASHES.len()]
}

/// A parameter for reading: four significant figures (trailing zeros dropped), in scientific
/// notation below 0.001 or from 1e6 on (Kyle's lambda `4.372e-6` per BTC, not `0.000004`; `Y`
/// `11.09`, `sigma_c` `0.02709`, `V_c` `161441`).
pub fn significant(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() || a == 0.0 {
        return format!("{x}");
    }
    if !(1e-3..1e6).contains(&a) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `1234567.8` -> `1,234,568` (thousands separators, rounded to `decimals`).
pub fn thousands(x: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(a, b)| (a, Some(b)));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    if x < 0.0 && s.chars().any(|c| c != '0' && c != '.') {
        out.insert(0, '-');
    }
    out
}

/// Tick label for a log axis: thousands separators, with as many decimals as a value below 10 needs.
pub(crate) fn log_tick(v: f64) -> String {
    if v >= 10.0 {
        thousands(v, 0)
    } else if v >= 1.0 {
        let s = format!("{v:.1}");
        s.trim_end_matches(".0").to_string()
    } else {
        let d = (-v.log10()).ceil().max(0.0) as usize + 1;
        let s = format!("{v:.d$}");
        let s = s.trim_end_matches('0');
        s.trim_end_matches('.').to_string()
    }
}

/// Days since the epoch (the x unit of time axes).
pub(crate) fn day(t: Timestamp) -> f64 {
    t.as_millis() as f64 / MS_PER_DAY as f64
}

/// `Sat 07 Feb` at midnight, `Sat 07 Feb 12:00` otherwise.
pub(crate) fn day_label(d: f64) -> String {
    let ms = (d * MS_PER_DAY as f64).round() as i64;
    let dt = Timestamp::from_millis(ms).to_datetime();
    if ms % MS_PER_DAY == 0 {
        dt.format("%a %d %b").to_string()
    } else {
        dt.format("%a %d %b %H:%M").to_string()
    }
}

/// `2026-02-07 00:00` (UTC).
pub(crate) fn short_time(t: Timestamp) -> String {
    t.to_short()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_keep_four_significant_figures() {
        assert_eq!(significant(4.372e-6), "4.372e-6");
        assert_eq!(significant(1e-11), "1.000e-11");
        assert_eq!(significant(19_900_000.0), "1.990e7");
        assert_eq!(significant(0.9), "0.9");
        assert_eq!(significant(70_000.0), "70000");
        assert_eq!(significant(0.0), "0");
        assert_eq!(significant(11.091_058), "11.09");
        assert_eq!(significant(0.027_088), "0.02709");
        assert_eq!(significant(161_441.07), "161441");
        assert_eq!(significant(-0.5), "-0.5");
        assert_eq!(significant(900.0), "900");
    }

    #[test]
    fn separators() {
        assert_eq!(thousands(60_000.0, 0), "60,000");
        assert_eq!(thousands(68_524.4, 0), "68,524");
        assert_eq!(thousands(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(thousands(-305e6, 0), "-305,000,000");
        assert_eq!(thousands(999.0, 0), "999");
        assert_eq!(thousands(-0.0001, 2), "0.00");
    }

    #[test]
    fn log_ticks() {
        assert_eq!(log_tick(20_000.0), "20,000");
        assert_eq!(log_tick(2.0), "2");
        assert_eq!(log_tick(2.5), "2.5");
        assert_eq!(log_tick(0.001), "0.001");
        assert_eq!(log_tick(0.0002), "0.0002");
    }

    #[test]
    fn memo_size_fonts_stay_readable() {
        let o = ChartOptions {
            width: 800,
            height: 450,
            ..ChartOptions::default()
        };
        // 18 px design ticks stay at 12 px or more in an 800 px copy.
        assert!(o.font(size::TICK) >= 11.0, "{}", o.font(size::TICK));
        assert_eq!(ChartOptions::default().font(size::TICK), 18.0);
    }

    #[test]
    fn day_labels() {
        let t = Timestamp::parse_rfc3339("2026-02-07T00:00:00Z").unwrap();
        assert_eq!(day_label(day(t)), "Sat 07 Feb");
    }
}

/// Midnight ticks (days since the epoch) from `xa` to `xb`, every 1, 2, 7, 14 or 28 days: the
/// smallest step whose labels fit in `plot_px` pixels at `tick_px` font size. Returns the ticks and
/// the step in days.
pub(crate) fn day_ticks(xa: f64, xb: f64, plot_px: f64, tick_px: f64) -> (Vec<f64>, i64) {
    let label_px = tick_px * 0.62 * 11.0 + tick_px;
    let span = (xb - xa).max(1e-9);
    let step = [1i64, 2, 7, 14, 28, 56]
        .into_iter()
        .find(|&k| span / k as f64 * label_px <= plot_px)
        .unwrap_or(56);
    let mut t = xa.ceil() as i64;
    if step == 7 || step == 14 || step == 28 || step == 56 {
        // Mondays (1970-01-01 was a Thursday: day 4 is a Monday).
        while (t - 4).rem_euclid(7) != 0 {
            t += 1;
        }
    }
    let mut v = Vec::new();
    while (t as f64) <= xb + 1e-9 {
        v.push(t as f64);
        t += step;
    }
    (v, step)
}

/// Tick label for [`day_ticks`]: `Sat 07 Feb` for daily ticks, `07 Feb` for wider steps.
pub(crate) fn tick_label(d: f64, step: i64) -> String {
    let ms = (d * MS_PER_DAY as f64).round() as i64;
    if step == 1 || ms % MS_PER_DAY != 0 {
        day_label(d)
    } else {
        Timestamp::from_millis(ms)
            .to_datetime()
            .format("%d %b")
            .to_string()
    }
}

/// Split a line into the runs of points inside `[lo, hi]` (values outside are not drawn).
pub(crate) fn clip_runs(pts: &[(f64, f64)], lo: f64, hi: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for &(x, y) in pts {
        if y >= lo && y <= hi && y.is_finite() {
            cur.push((x, y));
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tick_tests {
    use super::*;

    #[test]
    fn ticks_thin_out_for_long_ranges() {
        // 8 days on 1,400 px: daily ticks.
        let (t, k) = day_ticks(20_488.0, 20_496.0, 1400.0, 18.0);
        assert_eq!((t.len(), k), (9, 1));
        // 30 days on 1,400 px: weekly ticks on Mondays.
        let (t, k) = day_ticks(19_890.0, 19_920.0, 1400.0, 18.0);
        assert_eq!(k, 7);
        assert!(t.iter().all(|d| ((*d as i64) - 4).rem_euclid(7) == 0));
        assert_eq!(tick_label(t[0], k).len(), 6);
    }

    #[test]
    fn clipping_splits_runs() {
        let r = clip_runs(&[(0.0, 1.0), (1.0, 5.0), (2.0, 2.0), (3.0, 2.5)], 0.0, 3.0);
        assert_eq!(r, vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 2.5)]]);
    }
}

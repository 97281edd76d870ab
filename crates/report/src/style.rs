//! Shared chart style: bundled font, greyscale-safe palette, number formatting.

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
}

impl Default for ChartOptions {
    fn default() -> Self {
        Self {
            width: 1600,
            height: 900,
            svg: false,
        }
    }
}

impl ChartOptions {
    /// Font scale relative to the 1600x900 design size.
    pub(crate) fn scale(&self) -> f64 {
        (f64::from(self.width) / 1600.0)
            .min(f64::from(self.height) / 900.0)
            .max(0.4)
    }
    /// A font size scaled to the chart.
    pub(crate) fn font(&self, px: f64) -> f64 {
        (px * self.scale()).round()
    }
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
pub(crate) const WINDOW_FILL: RGBColor = RGBColor(225, 225, 225);
pub(crate) const REFERENCE: RGBColor = RGBColor(150, 30, 30);
pub(crate) const IMPLIED: RGBColor = RGBColor(120, 40, 140);

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

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn separators() {
        assert_eq!(thousands(60_000.0, 0), "60,000");
        assert_eq!(thousands(68_524.4, 0), "68,524");
        assert_eq!(thousands(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(thousands(-305e6, 0), "-305,000,000");
        assert_eq!(thousands(999.0, 0), "999");
        assert_eq!(thousands(-0.0001, 2), "0.00");
    }
}

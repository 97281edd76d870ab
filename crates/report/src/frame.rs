//! The page every chart shares: a wrapped title and subtitle on top, the plot, a legend in its own
//! band below the plot (so it never covers data), and a footer with the scenario and data source.

use crate::style::{self, size, ChartOptions, FONT};
use crate::ReportError;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// A chart that can draw itself on any plotters backend.
pub(crate) trait Chart {
    /// Draw on `root` (already the full canvas).
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        o: &ChartOptions,
    ) -> Result<(), String>
    where
        DB::ErrorType: 'static;
}

/// Render `chart` to `path` as PNG, or SVG when `o.svg`.
pub(crate) fn render(chart: &impl Chart, path: &Path, o: &ChartOptions) -> Result<(), ReportError> {
    style::ensure_font();
    let err = |message: String| ReportError::Draw {
        path: path.display().to_string(),
        message,
    };
    if o.width < 200 || o.height < 150 {
        return Err(err(format!(
            "a {}x{} chart is too small to be readable: expected at least 200x150",
            o.width, o.height
        )));
    }
    if o.svg {
        let root = SVGBackend::new(path, (o.width, o.height)).into_drawing_area();
        chart.draw(&root, o).map_err(err)?;
        root.present().map_err(|e| err(e.to_string()))
    } else {
        let root = BitMapBackend::new(path, (o.width, o.height)).into_drawing_area();
        chart.draw(&root, o).map_err(err)?;
        root.present().map_err(|e| err(e.to_string()))
    }
}

/// Convert a drawing error to a message.
pub(crate) fn de<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> String {
    e.to_string()
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mark {
    /// A line (width in design pixels, optional dash pattern).
    Line(RGBAColor, f64, Option<(f64, f64)>),
    /// A filled box.
    Fill(RGBAColor),
    /// A line over a light band of the same colour.
    LineBand(RGBColor, f64, Option<(f64, f64)>, f64),
    /// A filled dot.
    Dot(RGBAColor),
    /// A hollow dot (a ring).
    Ring(RGBAColor),
    /// A dot with a vertical whisker.
    Whisker(RGBColor),
    /// A white line with a dark casing (contours).
    Cased,
    /// A box of the colour hatched with white lines (a region marked on a map).
    Hatch(RGBColor),
}

/// One legend entry.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub mark: Mark,
    pub label: String,
}

impl Entry {
    pub(crate) fn new(mark: Mark, label: impl Into<String>) -> Self {
        Self {
            mark,
            label: label.into(),
        }
    }
}

/// The text of a page around the plot.
#[derive(Debug, Clone, Default)]
pub(crate) struct Page {
    pub title: String,
    pub subtitle: Vec<String>,
    pub legend: Vec<Entry>,
    pub footer: Vec<String>,
}

fn font<'a>(o: &ChartOptions, px: f64) -> TextStyle<'a> {
    (FONT, o.font(px)).into_font().into()
}

fn bold<'a>(o: &ChartOptions, px: f64) -> TextStyle<'a> {
    (FONT, o.font(px)).into_font().style(FontStyle::Bold).into()
}

/// White 45-degree lines over the pixel rectangle `[a, b]` of `area` (coordinates relative to it),
/// at a spacing fixed in the area, so that the hatches of adjacent rectangles join up.
pub(crate) fn hatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    o: &ChartOptions,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let gap = o.px(9.0).max(4) as i32;
    let st = WHITE.mix(0.8).stroke_width(o.px(1.6).max(1));
    // The lines x + y = c rise to the right on the screen.
    let mut c = (x0 + y0).div_euclid(gap) * gap;
    while c <= x1 + y1 {
        let (xa, xb) = (x0.max(c - y1), x1.min(c - y0));
        if xa < xb {
            area.draw(&PathElement::new(vec![(xa, c - xa), (xb, c - xb)], st))
                .map_err(de)?;
        }
        c += gap;
    }
    Ok(())
}

/// Text width in pixels as the backend will draw it.
pub(crate) fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    st: &TextStyle,
) -> Result<u32, String> {
    area.estimate_text_size(text, st)
        .map(|(w, _)| w)
        .map_err(|e| e.to_string())
}

/// Greedy word wrap to `max_w` pixels.
pub(crate) fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    st: &TextStyle,
    max_w: u32,
) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let cand = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if !cur.is_empty() && text_width(area, &cand, st)? > max_w {
            lines.push(std::mem::take(&mut cur));
            cur = word.to_string();
        } else {
            cur = cand;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    Ok(lines)
}

/// Draw the legend swatch of `m` with its left edge at `x`, centred on `y`.
fn swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Mark,
    x: i32,
    y: i32,
    w: i32,
    o: &ChartOptions,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let h = o.font(8.0) as i32;
    let line = |c: ShapeStyle, dash: Option<(f64, f64)>| -> Result<(), String> {
        match dash {
            None => area
                .draw(&PathElement::new(vec![(x, y), (x + w, y)], c))
                .map_err(de),
            Some((on, off)) => {
                let (on, off) = (o.font(on).max(2.0) as i32, o.font(off).max(2.0) as i32);
                let mut a = x;
                while a < x + w {
                    let b = (a + on).min(x + w);
                    area.draw(&PathElement::new(vec![(a, y), (b, y)], c))
                        .map_err(de)?;
                    a = b + off;
                }
                Ok(())
            }
        }
    };
    match m {
        Mark::Line(c, width, dash) => line(c.stroke_width(o.px(width).max(1)), dash),
        Mark::Fill(c) => area
            .draw(&Rectangle::new([(x, y - h), (x + w, y + h)], c.filled()))
            .map_err(de),
        Mark::LineBand(c, width, dash, alpha) => {
            area.draw(&Rectangle::new(
                [(x, y - h), (x + w, y + h)],
                c.mix(alpha).filled(),
            ))
            .map_err(de)?;
            line(c.stroke_width(o.px(width).max(1)), dash)
        }
        Mark::Dot(c) => area
            .draw(&Circle::new((x + w / 2, y), o.font(6.0) as i32, c.filled()))
            .map_err(de),
        Mark::Ring(c) => area
            .draw(&Circle::new(
                (x + w / 2, y),
                o.font(6.0) as i32,
                c.stroke_width(o.px(1.8).max(1)),
            ))
            .map_err(de),
        Mark::Cased => {
            line(RGBColor(30, 30, 30).stroke_width(o.px(4.5).max(2)), None)?;
            line(WHITE.stroke_width(o.px(2.0).max(1)), None)
        }
        Mark::Hatch(c) => {
            area.draw(&Rectangle::new([(x, y - h), (x + w, y + h)], c.filled()))
                .map_err(de)?;
            hatch(area, (x, y - h), (x + w, y + h), o)
        }
        Mark::Whisker(c) => {
            area.draw(&PathElement::new(
                vec![(x + w / 2, y - h - 2), (x + w / 2, y + h + 2)],
                c.stroke_width(o.px(2.0).max(1)),
            ))
            .map_err(de)?;
            area.draw(&Circle::new((x + w / 2, y), o.font(6.0) as i32, c.filled()))
                .map_err(de)
        }
    }
}

/// Lay out and draw the page; returns the area left for the plot.
pub(crate) fn page<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    o: &ChartOptions,
    p: &Page,
) -> Result<DrawingArea<DB, Shift>, String>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(de)?;
    let (w, h) = root.dim_in_pixel();
    let margin = o.font(22.0) as i32;
    let inner = w.saturating_sub(2 * margin as u32);
    let (ts, ss, ls, fs) = (
        bold(o, size::TITLE),
        font(o, size::SUBTITLE),
        font(o, size::LEGEND),
        font(o, size::FOOTER).color(&style::MUTED),
    );
    let title = wrap(root, &p.title, &ts, inner)?;
    let mut paragraphs = Vec::new();
    for l in &p.subtitle {
        paragraphs.push(wrap(root, l, &ss, inner)?);
    }
    let mut foot = Vec::new();
    for l in &p.footer {
        foot.extend(wrap(root, l, &fs, inner)?);
    }
    let (lh_t, lh_s, lh_l, lh_f) = (
        o.font(size::TITLE * 1.25) as i32,
        o.font(size::SUBTITLE * 1.3) as i32,
        o.font(size::LEGEND * 1.45) as i32,
        o.font(size::FOOTER * 1.35) as i32,
    );

    // Legend: columns of equal width, as many as fit.
    let sw = o.font(40.0) as i32;
    let gap = o.font(10.0) as i32;
    let mut widths = Vec::with_capacity(p.legend.len());
    for e in &p.legend {
        widths.push(sw + gap + text_width(root, &e.label, &ls)? as i32);
    }
    // As many columns as fit, each as wide as its widest entry (row-major order).
    let col_gap = o.font(28.0) as i32;
    let col_widths = |ncols: usize| -> Vec<i32> {
        (0..ncols)
            .map(|c| {
                widths
                    .iter()
                    .skip(c)
                    .step_by(ncols)
                    .copied()
                    .max()
                    .unwrap_or(0)
                    + col_gap
            })
            .collect()
    };
    let ncols = (1..=p.legend.len().max(1))
        .rev()
        .find(|&n| col_widths(n).iter().sum::<i32>() - col_gap <= inner as i32)
        .unwrap_or(1);
    let cws = col_widths(ncols);
    let nrows = p.legend.len().div_ceil(ncols) as i32;
    let legend_h = if p.legend.is_empty() {
        0
    } else {
        nrows * lh_l + margin / 3
    };
    let footer_h = foot.len() as i32 * lh_f + margin / 2;
    // Small canvases (a memo copy) keep the title and drop subtitle paragraphs from the last one
    // until the plot has at least half the height: the memo carries those details in its text.
    let header = |paragraphs: &[Vec<String>]| {
        margin / 2
            + title.len() as i32 * lh_t
            + paragraphs.iter().map(Vec::len).sum::<usize>() as i32 * lh_s
            + margin / 3
    };
    while !paragraphs.is_empty()
        && h as i32 - header(&paragraphs) - legend_h - footer_h < h as i32 / 2
    {
        paragraphs.pop();
    }
    let sub: Vec<String> = paragraphs.concat();
    let header_h = header(&paragraphs);
    let plot_h = h as i32 - header_h - legend_h - footer_h;
    if plot_h < h as i32 / 4 {
        return Err(format!(
            "the {w}x{h} canvas leaves no room for the plot under its title and legend"
        ));
    }

    let mut y = margin / 2;
    for l in &title {
        root.draw(&Text::new(l.clone(), (margin, y), ts.clone()))
            .map_err(de)?;
        y += lh_t;
    }
    for l in &sub {
        root.draw(&Text::new(l.clone(), (margin, y), ss.clone()))
            .map_err(de)?;
        y += lh_s;
    }
    let legend_top = header_h + plot_h;
    // Spare width is shared between the columns so the legend spans the page like a table.
    let spare = if ncols > 1 {
        (inner as i32 - (cws.iter().sum::<i32>() - col_gap)) / ncols as i32
    } else {
        0
    };
    for (i, e) in p.legend.iter().enumerate() {
        let (r, c) = ((i / ncols) as i32, i % ncols);
        let x = margin + cws[..c].iter().map(|w| w + spare).sum::<i32>();
        let yc = legend_top + r * lh_l + lh_l / 2;
        swatch(root, e.mark, x, yc, sw, o)?;
        root.draw(&Text::new(
            e.label.clone(),
            (x + sw + gap, yc),
            ls.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(de)?;
    }
    let mut y = legend_top + legend_h + margin / 6;
    for l in &foot {
        root.draw(&Text::new(l.clone(), (margin, y), fs.clone()))
            .map_err(de)?;
        y += lh_f;
    }
    Ok(root
        .clone()
        .shrink((0, header_h as u32), (w, plot_h.max(1) as u32)))
}

/// Places text labels on rows so that none overlaps another on the same row (widths in pixels).
#[derive(Debug, Default)]
pub(crate) struct RowPlacer {
    rows: Vec<Vec<(i32, i32)>>,
}

impl RowPlacer {
    /// The first row where `[x0, x1)` is free (a new row if none is); reserves it.
    pub(crate) fn place(&mut self, x0: i32, x1: i32) -> usize {
        for (i, r) in self.rows.iter_mut().enumerate() {
            if r.iter().all(|&(a, b)| x1 <= a || x0 >= b) {
                r.push((x0, x1));
                return i;
            }
        }
        self.rows.push(vec![(x0, x1)]);
        self.rows.len() - 1
    }
}

/// A line series, solid or dashed (dash pattern in design pixels).
pub(crate) fn draw_line<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    pts: Vec<(X::ValueType, Y::ValueType)>,
    st: ShapeStyle,
    dash: Option<(f64, f64)>,
    o: &ChartOptions,
) -> Result<(), String>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged,
    Y: Ranged,
    X::ValueType: Clone + 'static,
    Y::ValueType: Clone + 'static,
{
    match dash {
        None => chart
            .draw_series(LineSeries::new(pts, st))
            .map(|_| ())
            .map_err(de),
        Some((on, off)) => chart
            .draw_series(DashedLineSeries::new(
                pts,
                o.font(on).max(2.0) as u32,
                o.font(off).max(2.0) as u32,
                st,
            ))
            .map(|_| ())
            .map_err(de),
    }
}

/// [`draw_line`] for `f64` axes, drawing only the runs of points inside `[lo, hi]`.
pub(crate) fn draw_clipped<DB, X>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, RangedCoordf64>>,
    pts: &[(f64, f64)],
    (lo, hi): (f64, f64),
    st: ShapeStyle,
    dash: Option<(f64, f64)>,
    o: &ChartOptions,
) -> Result<(), String>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
{
    for run in crate::style::clip_runs(pts, lo, hi) {
        draw_line(chart, run, st, dash, o)?;
    }
    Ok(())
}

/// `text` on a light box (so lines under it do not cross the letters), at `pos` in pixels relative
/// to `area`, anchored by `h` and `v`.
pub(crate) fn boxed_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    pos: (i32, i32),
    st: &TextStyle,
    (h, v): (HPos, VPos),
    o: &ChartOptions,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let (w, ht) = area
        .estimate_text_size(text, st)
        .map_err(|e| e.to_string())?;
    let (w, ht) = (w as i32, ht as i32);
    let x0 = match h {
        HPos::Left => pos.0,
        HPos::Right => pos.0 - w,
        HPos::Center => pos.0 - w / 2,
    };
    let y0 = match v {
        VPos::Top => pos.1,
        VPos::Bottom => pos.1 - ht,
        VPos::Center => pos.1 - ht / 2,
    };
    let pad = o.font(3.0) as i32;
    area.draw(&Rectangle::new(
        [(x0 - pad, y0 - pad), (x0 + w + pad, y0 + ht + pad)],
        WHITE.mix(0.85).filled(),
    ))
    .map_err(de)?;
    area.draw(&Text::new(
        text.to_string(),
        pos,
        st.clone().pos(Pos::new(h, v)),
    ))
    .map_err(de)
}

/// The standard footer: scenario name and the data source line.
pub(crate) fn footer(scenario: &str, source: &str) -> Vec<String> {
    vec![format!("Scenario {scenario}. {source}")]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_placer_never_overlaps() {
        let mut p = RowPlacer::default();
        assert_eq!(p.place(0, 100), 0);
        assert_eq!(p.place(50, 150), 1);
        assert_eq!(p.place(100, 200), 0);
        assert_eq!(p.place(60, 70), 2);
    }

    #[test]
    fn wrap_fits_the_width() {
        crate::style::ensure_font();
        let root = SVGBackend::new("/dev/null", (400, 300)).into_drawing_area();
        let st: TextStyle = (FONT, 16.0).into_font().into();
        let text = "a long subtitle that cannot fit on one line of a narrow chart at all";
        let lines = wrap(&root, text, &st, 200).unwrap();
        assert!(lines.len() > 1);
        assert_eq!(lines.join(" "), text);
        for l in &lines {
            assert!(
                text_width(&root, l, &st).unwrap() <= 200 || !l.contains(' '),
                "{l}"
            );
        }
    }

    #[test]
    fn model_styles_differ_in_greyscale_or_dash() {
        for a in 0..6 {
            for b in a + 1..6 {
                assert_ne!(crate::style::model_dash(a), crate::style::model_dash(b));
            }
        }
    }
}

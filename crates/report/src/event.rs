//! `event.png`: the observed path around the sale against each model's counterfactual.

use crate::export::model_column_names;
use crate::style::{self, thousands, ChartOptions, FONT};
use crate::ReportError;
use blocksale_backtest::BacktestResult;
use blocksale_core::{Timestamp, MS_PER_DAY};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor;
use std::path::Path;

/// Draw the event chart to `path` (PNG, or SVG when `opts.svg`).
///
/// Contents: the observed close with the bar high-low range as a light band, the sale window shaded,
/// reference levels (dashed, labelled), one counterfactual close per model (`close * exp(+I)` for a
/// sale), the disclosure's implied average price across the window, the lowest low of the path
/// marked, a two-line title with the key numbers, axis labels with units, a legend and `source` as
/// the footer.
///
/// # Errors
/// [`ReportError::Draw`] when the backend fails, [`ReportError::Empty`] when there is no path.
pub fn event_chart(
    result: &BacktestResult,
    source: &str,
    path: &Path,
    opts: &ChartOptions,
) -> Result<(), ReportError> {
    if result.paths.is_empty() {
        return Err(ReportError::Empty(
            "the backtest has no observed path to draw".into(),
        ));
    }
    style::ensure_font();
    let err = |e: String| ReportError::Draw {
        path: path.display().to_string(),
        message: e,
    };
    if opts.svg {
        let root = SVGBackend::new(path, (opts.width, opts.height)).into_drawing_area();
        draw(&root, result, source, opts).map_err(err)?;
        root.present().map_err(|e| err(e.to_string()))
    } else {
        let root = BitMapBackend::new(path, (opts.width, opts.height)).into_drawing_area();
        draw(&root, result, source, opts).map_err(err)?;
        root.present().map_err(|e| err(e.to_string()))
    }
}

fn day(t: Timestamp) -> f64 {
    t.as_millis() as f64 / MS_PER_DAY as f64
}

fn day_label(d: f64) -> String {
    let ms = (d * MS_PER_DAY as f64).round() as i64;
    let dt = Timestamp::from_millis(ms).to_datetime();
    if ms % MS_PER_DAY == 0 {
        dt.format("%a %d %b").to_string()
    } else {
        dt.format("%a %d %b %H:%M").to_string()
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &BacktestResult,
    source: &str,
    o: &ChartOptions,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let h = o.height;
    let title_h = (o.font(34.0) + o.font(27.0) * 3.0 + o.font(30.0)) as u32;
    let footer_h = (o.font(18.0) * 2.0 + o.font(14.0)) as u32;
    let (header, rest) = root.split_vertically(title_h);
    let (main, footer) = rest.split_vertically(h - title_h - footer_h);

    // Title and subtitle with the key numbers.
    let s = &r.scenario;
    let title = format!(
        "{}: {} {} BTC, {} to {} UTC",
        if s.description.is_empty() {
            &s.name
        } else {
            &s.description
        },
        if s.side == blocksale_core::Side::Sell {
            "sold"
        } else {
            "bought"
        },
        thousands(s.size_btc, 0),
        s.start.to_datetime().format("%a %d %b %Y %H:%M"),
        s.end.to_datetime().format("%a %d %b %H:%M")
    );
    let models: Vec<String> = r
        .models
        .iter()
        .map(|m| {
            format!(
                "{} {:.0} bp peak, {:.0} bp avg cost (${}M)",
                m.name,
                m.peak_impact_bps,
                m.avg_cost_bps,
                thousands(m.drag_usd / 1e6, 1)
            )
        })
        .collect();
    let line2 = format!("Predicted drag: {}", models.join("; "));
    let when = if r.observed.min_price_time < s.start {
        "before the window"
    } else if r.observed.min_price_time < s.end {
        "inside the window"
    } else {
        "after the window"
    };
    let line3 = format!(
        "Observed in the window: {:+.2} % (open {} to close {}); lowest low in view {} at {} UTC, {when}",
        r.observed.return_window * 100.0,
        thousands(r.observed.price_start_usd, 0),
        thousands(r.observed.price_end_usd, 0),
        thousands(r.observed.min_price_usd, 0),
        r.observed.min_price_time.to_short()
    );
    let line4 = r.implied.as_ref().map(|i| {
        format!(
            "Disclosure implies an average sale price of {} USD: {:.0} bp below the arrival price {}, {:.0} bp below the window VWAP",
            thousands(i.avg_price_usd, 0),
            i.shortfall_vs_arrival_bps,
            thousands(r.observed.price_start_usd, 0),
            i.shortfall_vs_vwap_bps
        )
    });
    let x0 = (o.font(24.0)) as i32;
    header
        .draw(&Text::new(
            title,
            (x0, o.font(14.0) as i32),
            (FONT, o.font(34.0)).into_font().style(FontStyle::Bold),
        ))
        .map_err(e)?;
    let mut y = (o.font(14.0) + o.font(34.0) + o.font(10.0)) as i32;
    for l in std::iter::once(line2)
        .chain(std::iter::once(line3))
        .chain(line4)
    {
        header
            .draw(&Text::new(l, (x0, y), (FONT, o.font(21.0))))
            .map_err(e)?;
        y += (o.font(21.0) + o.font(6.0)) as i32;
    }

    // Ranges.
    let p = &r.paths;
    let bar_days = r.market.bar_seconds as f64 / 86_400.0;
    let xs: Vec<f64> = p.iter().map(|row| day(row.open_time)).collect();
    let (xa, xb) = (xs[0], xs[xs.len() - 1] + bar_days);
    let mut lo = p.iter().map(|row| row.low).fold(f64::MAX, f64::min);
    let mut hi = p.iter().map(|row| row.high).fold(f64::MIN, f64::max);
    for row in p {
        for &c in &row.counterfactual_close_usd {
            lo = lo.min(c);
            hi = hi.max(c);
        }
    }
    for lvl in &r.reference_levels {
        lo = lo.min(lvl.price_usd);
        hi = hi.max(lvl.price_usd);
    }
    if let Some(i) = &r.implied {
        lo = lo.min(i.avg_price_usd);
    }
    let pad = (hi - lo) * 0.06;
    let (ya, yb) = (lo - pad, hi + pad);

    let mut chart = ChartBuilder::on(&main)
        .margin_left(o.font(16.0) as u32)
        .margin_right(o.font(64.0) as u32)
        .margin_top(o.font(8.0) as u32)
        .x_label_area_size(o.font(56.0) as u32)
        .y_label_area_size(o.font(110.0) as u32)
        .build_cartesian_2d(xa..xb, ya..yb)
        .map_err(e)?;
    let n_days = (xb - xa).round().max(1.0) as usize;
    chart
        .configure_mesh()
        .x_labels(n_days + 1)
        .y_labels(10)
        .x_label_formatter(&|d| day_label(*d))
        .y_label_formatter(&|v| thousands(*v, 0))
        .x_desc("Time (UTC; ticks at 00:00)")
        .y_desc("BTC price (USD per BTC)")
        .label_style((FONT, o.font(18.0)))
        .axis_desc_style((FONT, o.font(20.0)))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(e)?;

    // Sale window.
    let (ws, we) = (day(s.start), day(s.end));
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(ws, ya), (we, yb)],
            style::WINDOW_FILL.filled(),
        )))
        .map_err(e)?
        .label("sale window")
        .legend(|(x, y)| {
            Rectangle::new([(x, y - 7), (x + 24, y + 7)], style::WINDOW_FILL.filled())
        });

    // High-low band and observed close.
    let mut band: Vec<(f64, f64)> = p
        .iter()
        .zip(&xs)
        .map(|(row, &x)| (x + bar_days / 2.0, row.high))
        .collect();
    band.extend(
        p.iter()
            .zip(&xs)
            .rev()
            .map(|(row, &x)| (x + bar_days / 2.0, row.low)),
    );
    let band_style = RGBColor(160, 160, 160).mix(0.55).filled();
    chart
        .draw_series(std::iter::once(Polygon::new(band, band_style)))
        .map_err(e)?
        .label("observed high-low range")
        .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 24, y + 7)], band_style));
    let close_pts: Vec<(f64, f64)> = p
        .iter()
        .zip(&xs)
        .map(|(row, &x)| (x + bar_days, row.close))
        .collect();
    chart
        .draw_series(LineSeries::new(close_pts, style::OBSERVED.stroke_width(2)))
        .map_err(e)?
        .label("observed close (Binance)")
        .legend(|(x, y)| {
            PathElement::new(vec![(x, y), (x + 24, y)], style::OBSERVED.stroke_width(3))
        });

    // Counterfactual closes per model, from the window start on.
    let names = model_column_names(r);
    for (k, name) in names.iter().enumerate() {
        let c = style::MODEL_COLOURS[k % style::MODEL_COLOURS.len()];
        let pts: Vec<(f64, f64)> = p
            .iter()
            .zip(&xs)
            .filter(|(row, _)| row.open_time >= s.start)
            .map(|(row, &x)| (x + bar_days, row.counterfactual_close_usd[k]))
            .collect();
        let m = &r.models[k];
        let st = c.stroke_width(3);
        chart
            .draw_series(DashedLineSeries::new(
                pts,
                o.font(12.0) as u32,
                o.font(6.0) as u32 + k as u32 * 3,
                st,
            ))
            .map_err(e)?
            .label(format!(
                "without the sale, {name} model ({:.0} bp at window end)",
                m.permanent_impact_bps
            ))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], st));
    }

    // Reference levels.
    for lvl in &r.reference_levels {
        let st = style::REFERENCE.stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(xa, lvl.price_usd), (xb, lvl.price_usd)],
                10,
                8,
                st,
            ))
            .map_err(e)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{} {}", lvl.label, thousands(lvl.price_usd, 0)),
                (xa + (xb - xa) * 0.01, lvl.price_usd + (yb - ya) * 0.012),
                (FONT, o.font(18.0))
                    .into_font()
                    .color(&style::REFERENCE)
                    .pos(text_anchor::Pos::new(
                        text_anchor::HPos::Left,
                        text_anchor::VPos::Bottom,
                    )),
            )))
            .map_err(e)?;
    }

    // Implied average price across the window.
    if let Some(i) = &r.implied {
        let st = style::IMPLIED.stroke_width(4);
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(ws, i.avg_price_usd), (we, i.avg_price_usd)],
                st,
            )))
            .map_err(e)?
            .label(format!(
                "implied average sale price {} (disclosed proceeds / size)",
                thousands(i.avg_price_usd, 0)
            ))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], st));
        chart
            .draw_series(std::iter::once(Text::new(
                format!("implied avg {}", thousands(i.avg_price_usd, 0)),
                (we - (we - ws) * 0.02, i.avg_price_usd - (yb - ya) * 0.012),
                (FONT, o.font(18.0))
                    .into_font()
                    .color(&style::IMPLIED)
                    .pos(text_anchor::Pos::new(
                        text_anchor::HPos::Right,
                        text_anchor::VPos::Top,
                    )),
            )))
            .map_err(e)?;
    }

    // Lowest low of the path.
    let lx = day(r.observed.min_price_time) + bar_days / 2.0;
    let ly = r.observed.min_price_usd;
    chart
        .draw_series(std::iter::once(Circle::new(
            (lx, ly),
            o.font(7.0) as i32,
            style::REFERENCE.filled(),
        )))
        .map_err(e)?;
    chart
        .draw_series(std::iter::once(Text::new(
            format!(
                "low {} at {} UTC",
                thousands(ly, 2),
                r.observed.min_price_time.to_short()
            ),
            (lx + (xb - xa) * 0.008, ly + (yb - ya) * 0.012),
            (FONT, o.font(18.0))
                .into_font()
                .color(&style::REFERENCE)
                .pos(text_anchor::Pos::new(
                    text_anchor::HPos::Left,
                    text_anchor::VPos::Bottom,
                )),
        )))
        .map_err(e)?;

    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .margin(o.font(12.0) as i32)
        .legend_area_size(o.font(34.0) as i32)
        .background_style(WHITE.mix(0.92))
        .border_style(RGBColor(120, 120, 120))
        .label_font((FONT, o.font(17.0)))
        .draw()
        .map_err(e)?;

    footer
        .draw(&Text::new(
            source.to_string(),
            (x0, o.font(8.0) as i32),
            (FONT, o.font(16.0))
                .into_font()
                .color(&RGBColor(80, 80, 80)),
        ))
        .map_err(e)?;
    Ok(())
}

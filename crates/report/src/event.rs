//! `event.png`: the observed path around the sale against each model's counterfactual.

use crate::charts::ChartDef;
use crate::export::model_column_names;
use crate::frame::{self, de, draw_line, Chart, Entry, Mark, Page, RowPlacer};
use crate::series::{candles, event_table};
use crate::style::{self, day, size, thousands, tick_label, ChartOptions, FONT};
use crate::table::Table;
use crate::text::{headline_models, model_range, sold_word, window_words};
use crate::ReportError;
use crate::{Report, ReportInput};
use blocksale_backtest::BacktestResult;
use blocksale_core::MS_PER_DAY;
use plotters::coord::CoordTranslate;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use std::path::Path;

/// Draw the event chart to `path` (PNG, or SVG when `opts.svg`).
///
/// Contents: the observed close over the bar high-low range (or candles with `opts.candles`), the
/// sale window shaded, reference levels (dashed, labelled), the scenario's dated annotations
/// (dotted verticals, labels on rows above the data so none overlaps another), one counterfactual
/// close per model (`close * exp(+I)` for a sale) with the 95 % parameter band shaded for up to
/// three headline models (the first model, and the models with the lowest and highest average
/// cost among those with a band), the disclosure's implied average price across the window, a
/// title with the key numbers, axis labels with units, a legend below the plot and `source` with
/// the scenario name as the footer.
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
    let chart = EventChart {
        r: result,
        t: event_table(result),
        source,
    };
    frame::render(&chart, path, opts)
}

struct EventChart<'a> {
    r: &'a BacktestResult,
    t: Table,
    source: &'a str,
}

impl Chart for EventChart<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        o: &ChartOptions,
    ) -> Result<(), String>
    where
        DB::ErrorType: 'static,
    {
        let r = self.r;
        let s = &r.scenario;
        let names = model_column_names(r);
        let heads = headline_models(r);
        let (title, mut subtitle) = self.headings();

        let bar_ms = r.market.bar_seconds * 1000;
        let bar_days = bar_ms as f64 / MS_PER_DAY as f64;
        let p = &r.paths;
        let xs: Vec<f64> = p.iter().map(|row| day(row.open_time)).collect();
        let (xa, xb) = (xs[0], xs[xs.len() - 1] + bar_days);

        // Observed range, and the models whose counterfactual leaves it by more than 60 % of its
        // span: those are drawn clipped and marked "off scale" so one extreme model does not
        // flatten the observed path.
        let (mut lo, mut hi) = self.observed_range();
        let (cap_lo, cap_hi) = (lo - 0.6 * (hi - lo), hi + 0.6 * (hi - lo));
        let off_scale = self.off_scale(&names, cap_lo, cap_hi);

        let legend = self.legend(o, &names, &heads, &off_scale);
        subtitle.push(
            "Dashed and dotted lines: the price without the sale per model, close x exp(impact); the bp figure is the predicted impact at the window end.".to_string(),
        );
        let page = Page {
            title: crate::text::what_if_title(r, title),
            subtitle: crate::text::what_if_subtitle(r, subtitle),
            legend,
            footer: frame::footer(&s.name, self.source),
        };
        let main = frame::page(root, o, &page)?;

        // Value range: the observed path and the models on scale.
        for (k, n) in names.iter().enumerate() {
            if off_scale[k] {
                continue;
            }
            let band = heads.contains(&k);
            for (j, suffix) in ["", "_low", "_high"].iter().enumerate() {
                if j > 0 && !band {
                    continue;
                }
                if let Some(v) = self
                    .t
                    .get_num(&format!("counterfactual_close_{n}{suffix}_usd"))
                {
                    for (row, &x) in p.iter().zip(v) {
                        if row.open_time >= s.start {
                            lo = lo.min(x.max(cap_lo));
                            hi = hi.max(x.min(cap_hi));
                        }
                    }
                }
            }
        }
        let pad = (hi - lo) * 0.04;

        // Annotation labels on rows above the data: a first pass with the approximate x mapping
        // decides how many rows to reserve.
        let (mw, mh) = main.dim_in_pixel();
        let y_area = o.font(105.0) as i32;
        let x_area = o.font(62.0) as u32;
        let (ml, mr) = (o.font(10.0) as i32, o.font(60.0) as i32);
        let plot_w = mw as i32 - y_area - ml - mr;
        let plot_h = mh as i32 - x_area as i32 - o.font(8.0) as i32;
        let note_style: TextStyle = (FONT, o.font(size::NOTE)).into_font().into();
        let labels = self.labels();
        let approx_x = |d: f64| y_area + ml + ((d - xa) / (xb - xa) * plot_w as f64) as i32;
        let place = |px: &dyn Fn(f64) -> i32| -> Result<Vec<(usize, bool)>, String> {
            let mut rp = RowPlacer::default();
            let mut out = Vec::new();
            for (d, text) in &labels {
                let w = frame::text_width(&main, text, &note_style)? as i32;
                let x = px(*d);
                let gap = o.font(6.0) as i32;
                let right_edge = y_area + ml + plot_w;
                let left = x + gap + w <= right_edge;
                let (x0, x1) = if left {
                    (x, x + gap + w)
                } else {
                    (x - gap - w, x)
                };
                out.push((rp.place(x0, x1 + gap * 2), left));
            }
            Ok(out)
        };
        let (ticks, step) = style::day_ticks(xa, xb, f64::from(plot_w), o.font(size::TICK));
        let rows0 = place(&approx_x)?;
        let nrows = rows0.iter().map(|r| r.0 + 1).max().unwrap_or(0);
        let row_px = o.font(size::NOTE * 1.45);
        let frac = (nrows as f64 * row_px + o.font(6.0)) / plot_h.max(1) as f64;
        let span = (hi - lo + 2.0 * pad) / (1.0 - frac.min(0.5));
        let (ya, yb) = (lo - pad, lo - pad + span);

        let mut chart = ChartBuilder::on(&main)
            .margin_left(ml as u32)
            .margin_right(mr as u32)
            .margin_top(o.px(8.0))
            .x_label_area_size(x_area)
            .y_label_area_size(y_area as u32)
            .build_cartesian_2d(xa..xb, ya..yb)
            .map_err(de)?;
        chart
            .configure_mesh()
            .x_labels(ticks.len())
            .y_labels(10)
            .x_label_formatter(&|d| tick_label(*d, step))
            .y_label_formatter(&|v| thousands(*v, 0))
            .x_desc("Time (UTC; ticks at 00:00)")
            .y_desc("BTC price (USD per BTC)")
            .label_style((FONT, o.font(size::TICK)))
            .axis_desc_style((FONT, o.font(size::AXIS)))
            .light_line_style(TRANSPARENT)
            .bold_line_style(style::GRID)
            .draw()
            .map_err(de)?;

        // Sale window.
        let (ws, we) = (day(s.start), day(s.end));
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(ws, ya), (we, yb)],
                style::WINDOW_FILL.filled(),
            )))
            .map_err(de)?;

        // Model bands (headline models), under everything else.
        for &k in heads.iter().filter(|&&k| !off_scale[k]) {
            let n = &names[k];
            let (Some(l), Some(h)) = (
                self.t.get_num(&format!("counterfactual_close_{n}_low_usd")),
                self.t
                    .get_num(&format!("counterfactual_close_{n}_high_usd")),
            ) else {
                continue;
            };
            let idx: Vec<usize> = (0..p.len())
                .filter(|&i| p[i].open_time >= s.start)
                .collect();
            let cl = |v: f64| v.clamp(ya, yb);
            let mut poly: Vec<(f64, f64)> =
                idx.iter().map(|&i| (xs[i] + bar_days, cl(h[i]))).collect();
            poly.extend(idx.iter().rev().map(|&i| (xs[i] + bar_days, cl(l[i]))));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    poly,
                    style::model_colour(k).mix(0.16).filled(),
                )))
                .map_err(de)?;
        }

        // Observed.
        if o.candles {
            let (cms, cs) = candles(r, 200);
            let cd = cms as f64 / MS_PER_DAY as f64;
            for (t0, [op, h, l, c]) in cs {
                let x = t0 as f64 / MS_PER_DAY as f64;
                let (xl, xr, xm) = (x + cd * 0.15, x + cd * 0.85, x + cd * 0.5);
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(xm, l), (xm, h)],
                        style::OBSERVED.stroke_width(1),
                    )))
                    .map_err(de)?;
                let (b0, b1) = (op.min(c), op.max(c));
                let body = if c >= op {
                    [
                        Rectangle::new([(xl, b0), (xr, b1)], WHITE.filled()),
                        Rectangle::new([(xl, b0), (xr, b1)], style::OBSERVED.stroke_width(1)),
                    ]
                } else {
                    [
                        Rectangle::new([(xl, b0), (xr, b1)], style::OBSERVED.filled()),
                        Rectangle::new([(xl, b0), (xr, b1)], style::OBSERVED.stroke_width(1)),
                    ]
                };
                chart.draw_series(body).map_err(de)?;
            }
        } else {
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
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band,
                    RGBColor(175, 175, 175).filled(),
                )))
                .map_err(de)?;
            let close_pts: Vec<(f64, f64)> = p
                .iter()
                .zip(&xs)
                .map(|(row, &x)| (x + bar_days, row.close))
                .collect();
            chart
                .draw_series(LineSeries::new(
                    close_pts,
                    style::OBSERVED.stroke_width(o.px(2.0).max(1)),
                ))
                .map_err(de)?;
        }

        // Counterfactual closes per model, from the window start on.
        for (k, n) in names.iter().enumerate() {
            let Some(v) = self.t.get_num(&format!("counterfactual_close_{n}_usd")) else {
                continue;
            };
            let pts: Vec<(f64, f64)> = (0..p.len())
                .filter(|&i| p[i].open_time >= s.start)
                .map(|i| (xs[i] + bar_days, v[i]))
                .collect();
            let w = if heads.contains(&k) { 2.5 } else { 1.8 };
            frame::draw_clipped(
                &mut chart,
                &pts,
                (ya, yb),
                style::model_colour(k).stroke_width(o.px(w).max(1)),
                style::model_dash(k),
                o,
            )?;
        }

        let base = main.get_base_pixel();
        let spec = chart.as_coord_spec().clone();
        let to_px = |x: f64, y: f64| {
            let (a, b) = spec.translate(&(x, y));
            (a - base.0, b - base.1)
        };

        // Reference levels, labelled on the line at the left.
        for lvl in &r.reference_levels {
            draw_line(
                &mut chart,
                vec![(xa, lvl.price_usd), (xb, lvl.price_usd)],
                style::REFERENCE.stroke_width(o.px(2.0).max(1)),
                Some((10.0, 8.0)),
                o,
            )?;
            frame::boxed_text(
                &main,
                &format!("{} {}", lvl.label, thousands(lvl.price_usd, 0)),
                to_px(xa + (xb - xa) * 0.005, lvl.price_usd + (yb - ya) * 0.008),
                &(FONT, o.font(size::NOTE))
                    .into_font()
                    .color(&style::REFERENCE),
                (HPos::Left, VPos::Bottom),
                o,
            )?;
        }

        // Implied average price across the window.
        if let Some(i) = &r.implied {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(ws, i.avg_price_usd), (we, i.avg_price_usd)],
                    style::IMPLIED.stroke_width(o.px(4.0).max(1)),
                )))
                .map_err(de)?;
            frame::boxed_text(
                &main,
                &format!("implied avg {}", thousands(i.avg_price_usd, 0)),
                to_px(we - (we - ws) * 0.02, i.avg_price_usd - (yb - ya) * 0.012),
                &(FONT, o.font(size::NOTE))
                    .into_font()
                    .color(&style::IMPLIED),
                (HPos::Right, VPos::Top),
                o,
            )?;
        }

        // The lowest low, marked.
        let lx = day(r.observed.min_price_time) + bar_days / 2.0;
        chart
            .draw_series(std::iter::once(Circle::new(
                (lx, r.observed.min_price_usd),
                o.font(6.0) as i32,
                style::REFERENCE.filled(),
            )))
            .map_err(de)?;

        // Dated annotations and the window label: verticals and labels on the reserved rows.
        let px = |d: f64| chart.backend_coord(&(d, ya)).0 - main.get_base_pixel().0;
        let rows = place(&px)?;
        let top_px = chart.backend_coord(&(xa, yb)).1 - main.get_base_pixel().1;
        let bot_px = chart.backend_coord(&(xa, ya)).1 - main.get_base_pixel().1;
        for ((d, text), (row, left)) in labels.iter().zip(rows) {
            let y_px = top_px + o.font(4.0) as i32 + row as i32 * row_px as i32;
            let y_val =
                yb - f64::from(y_px - top_px) / f64::from((bot_px - top_px).max(1)) * (yb - ya);
            let is_window = *d == ws;
            if !is_window {
                draw_line(
                    &mut chart,
                    vec![(*d, ya), (*d, y_val)],
                    style::ANNOTATION.stroke_width(o.px(1.5).max(1)),
                    Some((3.0, 5.0)),
                    o,
                )?;
            }
            let gap = (xb - xa) * 0.003;
            frame::boxed_text(
                &main,
                text,
                to_px(if left { *d + gap } else { *d - gap }, y_val),
                &(FONT, o.font(size::NOTE))
                    .into_font()
                    .color(&style::ANNOTATION),
                (if left { HPos::Left } else { HPos::Right }, VPos::Top),
                o,
            )?;
        }
        Ok(())
    }
}

impl EventChart<'_> {
    /// The title (sale, window, model range, implied shortfall) and the subtitle lines.
    fn headings(&self) -> (String, Vec<String>) {
        let r = self.r;
        let s = &r.scenario;
        let (c_lo, c_hi) = model_range(r, |m| m.avg_cost_bps);
        let name = if s.description.is_empty() {
            &s.name
        } else {
            &s.description
        };
        let mut title = format!(
            "{name}: {} BTC {} {}. Models predict {:.0} to {:.0} bp average cost",
            thousands(s.size_btc, 0),
            sold_word(r),
            window_words(r),
            c_lo,
            c_hi
        );
        if let Some(i) = &r.implied {
            title.push_str(&format!(
                "; the disclosure implies {:.0} bp below arrival",
                i.shortfall_vs_arrival_bps
            ));
        }
        let mut subtitle = vec![format!(
            "Observed in the window: {:+.2} % (open {} to close {} USD); abnormal return (CAR) {:+.2} %, J = {:.2}, p = {:.2}; lowest low in view {} at {} UTC.",
            r.observed.return_window * 100.0,
            thousands(r.observed.price_start_usd, 0),
            thousands(r.observed.price_end_usd, 0),
            r.attribution.event_study.car * 100.0,
            r.attribution.event_study.j_stat,
            r.attribution.event_study.p_value,
            thousands(r.observed.min_price_usd, 0),
            style::short_time(r.observed.min_price_time)
        )];
        let es = &r.attribution.event_study;
        if es.models_disagree() {
            subtitle.push(format!(
                "With the {} instead: CAR {:+.2} %, J = {:.2}, p = {:.2}; the expected-return models disagree.",
                es.other_model.expected_return_model.label(),
                es.other_model.car * 100.0,
                es.other_model.j_stat,
                es.other_model.p_value
            ));
        }
        if let Some(i) = &r.implied {
            subtitle.push(format!(
                "Disclosed proceeds imply an average price of {} USD: {:.0} bp below the arrival price {}, {:.0} bp below the window VWAP {}.",
                thousands(i.avg_price_usd, 0),
                i.shortfall_vs_arrival_bps,
                thousands(r.observed.price_start_usd, 0),
                i.shortfall_vs_vwap_bps,
                thousands(r.observed.window_vwap_usd, 0)
            ));
        }
        (title, subtitle)
    }

    /// The price range of the observed path, the reference levels and the implied price.
    fn observed_range(&self) -> (f64, f64) {
        let (r, p) = (self.r, &self.r.paths);
        let mut lo = p.iter().map(|row| row.low).fold(f64::MAX, f64::min);
        let mut hi = p.iter().map(|row| row.high).fold(f64::MIN, f64::max);
        for lvl in &r.reference_levels {
            lo = lo.min(lvl.price_usd);
            hi = hi.max(lvl.price_usd);
        }
        if let Some(i) = &r.implied {
            lo = lo.min(i.avg_price_usd);
            hi = hi.max(i.avg_price_usd);
        }
        (lo, hi)
    }

    /// Per model: does its counterfactual leave `[cap_lo, cap_hi]` after the window starts?
    fn off_scale(&self, names: &[String], cap_lo: f64, cap_hi: f64) -> Vec<bool> {
        let (s, p) = (&self.r.scenario, &self.r.paths);
        names
            .iter()
            .map(|n| {
                self.t
                    .get_num(&format!("counterfactual_close_{n}_usd"))
                    .is_some_and(|v| {
                        p.iter().zip(v).any(|(row, &x)| {
                            row.open_time >= s.start && !(cap_lo..=cap_hi).contains(&x)
                        })
                    })
            })
            .collect()
    }

    /// The legend: window, observed, every model (band and off-scale marks), implied price,
    /// reference levels, dated events.
    fn legend(
        &self,
        o: &ChartOptions,
        names: &[String],
        heads: &[usize],
        off_scale: &[bool],
    ) -> Vec<Entry> {
        let (r, s) = (self.r, &self.r.scenario);
        let mut legend = vec![Entry::new(
            Mark::Fill(style::WINDOW_FILL.to_rgba()),
            "sale window",
        )];
        if o.candles {
            let (cms, _) = candles(r, 200);
            legend.push(Entry::new(
                Mark::Fill(style::OBSERVED.to_rgba()),
                format!(
                    "observed, {} candles (hollow: up, filled: down)",
                    blocksale_core::duration_label(cms / 1000)
                ),
            ));
        } else {
            legend.push(Entry::new(
                Mark::Fill(RGBColor(175, 175, 175).to_rgba()),
                "observed high-low range",
            ));
            legend.push(Entry::new(
                Mark::Line(style::OBSERVED.to_rgba(), 2.5, None),
                "observed close",
            ));
        }
        for (k, n) in names.iter().enumerate() {
            let c = style::model_colour(k);
            let m = &r.models[k];
            let label = format!(
                "no sale, {n}: {:.0} bp{}{}{}",
                m.impact_at_window_end_bps,
                if heads.contains(&k) {
                    " (95 % band)"
                } else {
                    ""
                },
                if off_scale[k] { ", off scale" } else { "" },
                crate::text::range_suffix(m)
            );
            legend.push(Entry::new(
                if heads.contains(&k) {
                    Mark::LineBand(c, 2.5, style::model_dash(k), 0.22)
                } else {
                    Mark::Line(c.to_rgba(), 2.5, style::model_dash(k))
                },
                label,
            ));
        }
        if let Some(i) = &r.implied {
            legend.push(Entry::new(
                Mark::Line(style::IMPLIED.to_rgba(), 4.0, None),
                format!("implied average price {}", thousands(i.avg_price_usd, 0)),
            ));
        }
        if !r.reference_levels.is_empty() {
            legend.push(Entry::new(
                Mark::Line(style::REFERENCE.to_rgba(), 2.0, Some((10.0, 8.0))),
                "reference level",
            ));
        }
        if !s.annotations.is_empty() {
            legend.push(Entry::new(
                Mark::Line(style::ANNOTATION.to_rgba(), 1.5, Some((3.0, 5.0))),
                "dated event",
            ));
        }
        legend
    }

    /// Labels drawn above the data: the window, then the annotations in time order.
    fn labels(&self) -> Vec<(f64, String)> {
        let r = self.r;
        let s = &r.scenario;
        let mut v = vec![(
            day(s.start),
            format!(
                "sale window: {} BTC, {}",
                thousands(s.size_btc, 0),
                s.schedule
            ),
        )];
        let mut ann: Vec<_> = s.annotations.iter().collect();
        ann.sort_by_key(|a| a.time);
        for a in ann {
            v.push((day(a.time), a.label.clone()));
        }
        v
    }
}

/// This chart in the registry ([`crate::charts::CHARTS`]).
pub(crate) struct EventDef;

impl ChartDef for EventDef {
    fn name(&self) -> &'static str {
        "event"
    }

    fn tables(&self, input: &ReportInput<'_>) -> Result<Vec<(&'static str, Table)>, ReportError> {
        Ok(vec![("event", crate::series::event_table(input.result))])
    }

    fn draw(
        &self,
        report: &Report<'_>,
        _tables: &[&Table],
        path: &Path,
        o: &ChartOptions,
    ) -> Result<(), ReportError> {
        event_chart(report.input().result, &report.lines().price, path, o)
    }
}

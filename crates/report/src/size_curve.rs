//! `size_curve.png`: average cost and peak impact against sale size, per model, log-log.

use crate::charts::ChartDef;
use crate::export::model_column_names;
use crate::frame::{self, de, Chart, Entry, Mark, Page};
use crate::style::{self, log_tick, size, thousands, ChartOptions, FONT};
use crate::table::{Column, Table};
use crate::text::headline_models;
use crate::ReportError;
use crate::{Report, ReportInput};
use blocksale_backtest::BacktestResult;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Draw `size_curve.png` from `table` ([`crate::series::size_curve_table`]): two log-log panels,
/// average execution cost (left) and peak impact (right) against sale size, one line per model, the
/// 95 % parameter band for the headline models, the real size marked, and on the cost panel the
/// disclosure's implied shortfall against arrival as a point whose whisker spans the shortfall
/// against the other benchmarks (window VWAP, TWAP, close).
///
/// # Errors
/// [`ReportError::Empty`] for an empty table, [`ReportError::Draw`] on a backend failure.
pub fn size_curve_chart(
    result: &BacktestResult,
    table: &Table,
    source: &str,
    path: &Path,
    opts: &ChartOptions,
) -> Result<(), ReportError> {
    if table.rows() == 0 {
        return Err(ReportError::Empty("no size curve to draw".into()));
    }
    frame::render(
        &SizeChart {
            r: result,
            t: table,
            source,
        },
        path,
        opts,
    )
}

struct SizeChart<'a> {
    r: &'a BacktestResult,
    t: &'a Table,
    source: &'a str,
}

/// Per model: sizes and the six value columns, from the long table.
type Curves = Vec<(Vec<f64>, [Vec<f64>; 6])>;

fn curves(r: &BacktestResult, t: &Table) -> Result<Curves, String> {
    let models = t
        .columns
        .iter()
        .find_map(|(n, c)| match c {
            Column::Text(v) if n == "model" => Some(v),
            _ => None,
        })
        .ok_or("missing column model")?;
    let num = |n: &str| t.get_num(n).ok_or_else(|| format!("missing column {n}"));
    let sz = num("size_btc")?;
    let cols = [
        num("avg_cost_bps")?,
        num("avg_cost_low_bps")?,
        num("avg_cost_high_bps")?,
        num("peak_impact_bps")?,
        num("peak_impact_low_bps")?,
        num("peak_impact_high_bps")?,
    ];
    Ok(model_column_names(r)
        .iter()
        .map(|name| {
            let idx: Vec<usize> = (0..models.len()).filter(|&i| &models[i] == name).collect();
            (
                idx.iter().map(|&i| sz[i]).collect(),
                std::array::from_fn(|j| idx.iter().map(|&i| cols[j][i]).collect()),
            )
        })
        .collect())
}

impl Chart for SizeChart<'_> {
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
        let cv = curves(r, self.t)?;
        let (lo_c, hi_c) = crate::text::model_range(r, |m| m.avg_cost_bps);
        let dur = if (s.duration_days * 24.0).fract().abs() < 1e-9 && s.duration_days < 3.0 {
            format!("{:.0} hours", s.duration_days * 24.0)
        } else {
            format!("{:.1} days", s.duration_days)
        };
        // Cost growth over a doubling of size, read off the first model's curve at the real size.
        let growth = cv.first().and_then(|(sz, c)| {
            let i = sz
                .iter()
                .position(|&x| (x - s.size_btc).abs() < 1e-9 * s.size_btc)?;
            (i > 0 && c[0][i] > 0.0 && c[0][i - 1] > 0.0)
                .then(|| (c[0][i] / c[0][i - 1]).ln() / (sz[i] / sz[i - 1]).ln())
        });
        let mut title = format!(
            "{} BTC over {dur}: models predict {lo_c:.0} to {hi_c:.0} bp average cost",
            thousands(s.size_btc, 0)
        );
        if let Some(i) = &r.implied {
            title.push_str(&format!(
                ", the disclosure implies {:.0} bp",
                i.shortfall_vs_arrival_bps
            ));
        }
        let mut subtitle = vec![format!(
            "Each size reruns the whole backtest with the same window, {} schedule, market state (V = {} BTC/day, sigma = {:.2} %/day) and decay.{}",
            s.schedule,
            thousands(r.market.state.model_volume_btc, 0),
            r.market.state.sigma_daily * 100.0,
            growth.map_or(String::new(), |g| format!(" Around the marked size the {} cost grows as size^{g:.2}.", names[0]))
        )];
        if let Some(i) = &r.implied {
            let others = [
                i.shortfall_vs_vwap_bps,
                i.shortfall_vs_twap_bps,
                i.shortfall_vs_close_bps,
            ];
            subtitle.push(format!(
                "Implied shortfall: {:.0} bp against arrival; {:.0} (VWAP), {:.0} (TWAP), {:.0} bp (window close). Market noise over the window, 1 sd: {:.0} bp.",
                i.shortfall_vs_arrival_bps,
                others[0],
                others[1],
                others[2],
                r.market.state.sigma_daily * s.duration_days.sqrt() * 1e4
            ));
        }
        let mut legend = Vec::new();
        for (k, n) in names.iter().enumerate() {
            legend.push(Entry::new(
                if heads.contains(&k) {
                    Mark::LineBand(style::model_colour(k), 2.5, style::model_dash(k), 0.22)
                } else {
                    Mark::Line(style::model_colour(k).to_rgba(), 2.5, style::model_dash(k))
                },
                if heads.contains(&k) {
                    format!("{n} (95 % band)")
                } else {
                    n.clone()
                },
            ));
        }
        legend.push(Entry::new(
            Mark::Line(style::ANNOTATION.to_rgba(), 1.5, Some((3.0, 5.0))),
            format!(
                "{}, {} BTC",
                crate::text::sale_name(r),
                thousands(s.size_btc, 0)
            ),
        ));
        if r.implied.is_some() {
            legend.push(Entry::new(
                Mark::Whisker(style::IMPLIED),
                "implied shortfall vs arrival; whisker: other benchmarks",
            ));
        }
        let main = frame::page(
            root,
            o,
            &Page {
                title: crate::text::what_if_title(r, title),
                subtitle: crate::text::what_if_subtitle(r, subtitle),
                legend,
                footer: frame::footer(&s.name, self.source),
            },
        )?;
        let panels = main.split_evenly((1, 2));
        let all_sz: Vec<f64> = cv.iter().flat_map(|c| c.0.iter().copied()).collect();
        let (xa, xb) = (
            all_sz.iter().copied().fold(f64::MAX, f64::min),
            all_sz.iter().copied().fold(f64::MIN, f64::max),
        );
        for (pi, panel) in panels.iter().enumerate() {
            let base = pi * 3;
            let mut ys: Vec<f64> = Vec::new();
            for (k, (_, c)) in cv.iter().enumerate() {
                ys.extend(c[base].iter().copied());
                if heads.contains(&k) {
                    ys.extend(c[base + 1].iter().copied());
                    ys.extend(c[base + 2].iter().copied());
                }
            }
            if pi == 0 {
                if let Some(i) = &r.implied {
                    ys.extend([
                        i.shortfall_vs_arrival_bps,
                        i.shortfall_vs_vwap_bps,
                        i.shortfall_vs_twap_bps,
                        i.shortfall_vs_close_bps,
                    ]);
                }
            }
            ys.retain(|v| *v > 0.0 && v.is_finite());
            let (ya, yb) = (
                ys.iter().copied().fold(f64::MAX, f64::min) / 1.3,
                ys.iter().copied().fold(f64::MIN, f64::max) * 1.3,
            );
            let mut chart = ChartBuilder::on(panel)
                .margin_left(o.px(10.0))
                .margin_right(o.px(24.0))
                .margin_top(o.px(34.0))
                .x_label_area_size(o.px(62.0))
                .y_label_area_size(o.px(80.0))
                .caption(
                    if pi == 0 {
                        "Average execution cost against arrival"
                    } else {
                        "Peak impact"
                    },
                    (FONT, o.font(size::AXIS))
                        .into_font()
                        .style(FontStyle::Bold),
                )
                .build_cartesian_2d((xa..xb).log_scale(), (ya..yb).log_scale())
                .map_err(de)?;
            chart
                .configure_mesh()
                .x_label_formatter(&|v| log_tick(*v))
                .y_label_formatter(&|v| log_tick(*v))
                .x_desc("Sale size (BTC, log scale)")
                .y_desc("bp (log scale)")
                .label_style((FONT, o.font(size::TICK)))
                .axis_desc_style((FONT, o.font(size::AXIS)))
                .light_line_style(TRANSPARENT)
                .bold_line_style(style::GRID)
                .draw()
                .map_err(de)?;
            let clamp = |v: f64| v.clamp(ya, yb);
            for (k, (sz, c)) in cv.iter().enumerate() {
                if !heads.contains(&k) {
                    continue;
                }
                let mut poly: Vec<(f64, f64)> = sz
                    .iter()
                    .zip(&c[base + 2])
                    .map(|(&x, &y)| (x, clamp(y)))
                    .collect();
                poly.extend(
                    sz.iter()
                        .zip(&c[base + 1])
                        .rev()
                        .map(|(&x, &y)| (x, clamp(y))),
                );
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        poly,
                        style::model_colour(k).mix(0.16).filled(),
                    )))
                    .map_err(de)?;
            }
            for (k, (sz, c)) in cv.iter().enumerate() {
                let pts: Vec<(f64, f64)> = sz
                    .iter()
                    .zip(&c[base])
                    .filter(|(_, y)| **y >= ya && **y <= yb)
                    .map(|(&x, &y)| (x, y))
                    .collect();
                frame::draw_line(
                    &mut chart,
                    pts,
                    style::model_colour(k).stroke_width(o.px(2.5).max(1)),
                    style::model_dash(k),
                    o,
                )?;
            }
            frame::draw_line(
                &mut chart,
                vec![(s.size_btc, ya), (s.size_btc, yb)],
                style::ANNOTATION.stroke_width(o.px(1.5).max(1)),
                Some((3.0, 5.0)),
                o,
            )?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!(" {} BTC", thousands(s.size_btc, 0)),
                    (s.size_btc, yb / 1.05),
                    (FONT, o.font(size::NOTE))
                        .into_font()
                        .color(&style::ANNOTATION)
                        .pos(Pos::new(HPos::Left, VPos::Top)),
                )))
                .map_err(de)?;
            if let (0, Some(i)) = (pi, &r.implied) {
                let all = [
                    i.shortfall_vs_arrival_bps,
                    i.shortfall_vs_vwap_bps,
                    i.shortfall_vs_twap_bps,
                    i.shortfall_vs_close_bps,
                ];
                let lo = all.iter().copied().fold(f64::MAX, f64::min);
                let hi = all.iter().copied().fold(f64::MIN, f64::max);
                let y = i.shortfall_vs_arrival_bps;
                if lo > 0.0 {
                    let w = (xb / xa).powf(0.012);
                    let st = style::IMPLIED.stroke_width(o.px(3.0).max(1));
                    chart
                        .draw_series([
                            PathElement::new(vec![(s.size_btc, lo), (s.size_btc, hi)], st),
                            PathElement::new(vec![(s.size_btc / w, lo), (s.size_btc * w, lo)], st),
                            PathElement::new(vec![(s.size_btc / w, hi), (s.size_btc * w, hi)], st),
                        ])
                        .map_err(de)?;
                }
                if y > 0.0 {
                    chart
                        .draw_series(std::iter::once(Circle::new(
                            (s.size_btc, y),
                            o.font(8.0) as i32,
                            style::IMPLIED.filled(),
                        )))
                        .map_err(de)?;
                    chart
                        .draw_series(std::iter::once(Text::new(
                            format!("implied {y:.0} bp "),
                            (s.size_btc, y),
                            (FONT, o.font(size::NOTE))
                                .into_font()
                                .color(&style::IMPLIED)
                                .pos(Pos::new(HPos::Right, VPos::Center)),
                        )))
                        .map_err(de)?;
                }
            }
        }
        Ok(())
    }
}

/// This chart in the registry ([`crate::charts::CHARTS`]).
pub(crate) struct SizeCurveDef;

impl ChartDef for SizeCurveDef {
    fn name(&self) -> &'static str {
        "size_curve"
    }

    fn tables(&self, input: &ReportInput<'_>) -> Result<Vec<(&'static str, Table)>, ReportError> {
        let sizes = if input.sizes_btc.is_empty() {
            crate::series::default_sizes(input.result.scenario.size_btc)
        } else {
            input.sizes_btc.clone()
        };
        Ok(vec![(
            "size_curve",
            crate::series::size_curve_table(&input.backtest, &sizes)?,
        )])
    }

    fn draw(
        &self,
        report: &Report<'_>,
        tables: &[&Table],
        path: &Path,
        o: &ChartOptions,
    ) -> Result<(), ReportError> {
        size_curve_chart(
            report.input().result,
            tables[0],
            &report.lines().price,
            path,
            o,
        )
    }
}

//! Several what-ifs side by side (`blocksale backtest --vary KEY=LIST`): the comparison table the
//! CLI prints, `compare.csv` and `compare.png` (average cost against the varied value, one line per
//! model, the 95 % parameter bands shaded).

use crate::export::model_column_names;
use crate::frame::{self, de, Chart, Entry, Mark, Page};
use crate::style::{self, log_tick, size, thousands, ChartOptions, FONT};
use crate::table::Table;
use crate::ReportError;
use blocksale_backtest::{BacktestResult, ModelResult};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// One run of a comparison: the varied key's value as given and its result.
#[derive(Debug, Clone, Copy)]
pub struct CompareRun<'a> {
    /// The value, as the user wrote it.
    pub value: &'a str,
    /// The run's result.
    pub result: &'a BacktestResult,
}

/// The values as numbers when every one is a finite number.
fn numeric(runs: &[CompareRun<'_>]) -> Option<Vec<f64>> {
    runs.iter()
        .map(|r| r.value.parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect()
}

/// `compare.csv`: one row per value and model, in the order given and the scenario's model order.
///
/// Columns: `varied_key, value, model, peak_impact_bps, peak_impact_low_bps, peak_impact_high_bps,
/// avg_cost_bps, avg_cost_low_bps, avg_cost_high_bps, drag_usd, detectability_z` (costs positive
/// for buys and sells alike; bands 95 %, parameter band only).
pub fn compare_table(key: &str, runs: &[CompareRun<'_>]) -> Table {
    let mut cols: [Vec<f64>; 8] = Default::default();
    let (mut keys, mut values, mut models) = (Vec::new(), Vec::new(), Vec::new());
    for run in runs {
        let names = model_column_names(run.result);
        for (m, n) in run.result.models.iter().zip(names) {
            keys.push(key.to_string());
            values.push(run.value.to_string());
            models.push(n);
            for (c, v) in cols.iter_mut().zip([
                m.peak_impact_bps,
                m.peak_band_bps.low,
                m.peak_band_bps.high,
                m.avg_cost_bps,
                m.avg_cost_band_bps.low,
                m.avg_cost_band_bps.high,
                m.drag_usd,
                m.detectability_z,
            ]) {
                c.push(v);
            }
        }
    }
    let mut t = Table::default();
    t.text("varied_key", keys)
        .text("value", values)
        .text("model", models);
    let names = [
        "peak_impact_bps",
        "peak_impact_low_bps",
        "peak_impact_high_bps",
        "avg_cost_bps",
        "avg_cost_low_bps",
        "avg_cost_high_bps",
        "drag_usd",
        "detectability_z",
    ];
    for (n, c) in names.iter().zip(cols) {
        t.num(*n, c);
    }
    t
}

/// The comparison table for the terminal: per value and model, the peak, the average cost (with
/// their 95 % bands), the drag in USD and z.
pub fn compare_text(key: &str, runs: &[CompareRun<'_>]) -> String {
    let mut o = format!(
        "{:<14} {:<16} {:>18} {:>20} {:>14} {:>7}\n",
        key, "model", "peak bp [95 %]", "avg cost bp [95 %]", "drag USD", "z"
    );
    for run in runs {
        let names = model_column_names(run.result);
        for (m, n) in run.result.models.iter().zip(names) {
            o.push_str(&format!(
                "{:<14} {:<16} {:>18} {:>20} {:>14} {:>7.2}\n",
                run.value,
                n,
                format!(
                    "{:.0} [{:.0}, {:.0}]",
                    m.peak_impact_bps, m.peak_band_bps.low, m.peak_band_bps.high
                ),
                format!(
                    "{:.0} [{:.0}, {:.0}]",
                    m.avg_cost_bps, m.avg_cost_band_bps.low, m.avg_cost_band_bps.high
                ),
                thousands(m.drag_usd, 0),
                m.detectability_z
            ));
        }
    }
    o
}

/// Draw `compare.png`: the average execution cost of every model against the varied value (log
/// axes when every value is a positive number, categories otherwise), the 95 % parameter band
/// shaded.
///
/// # Errors
/// [`ReportError::Empty`] with no run, [`ReportError::Draw`] on a backend failure.
pub fn compare_chart(
    key: &str,
    runs: &[CompareRun<'_>],
    source: &str,
    path: &Path,
    opts: &ChartOptions,
) -> Result<(), ReportError> {
    if runs.is_empty() {
        return Err(ReportError::Empty("no run to compare".into()));
    }
    frame::render(&CompareChart { key, runs, source }, path, opts)
}

struct CompareChart<'a> {
    key: &'a str,
    runs: &'a [CompareRun<'a>],
    source: &'a str,
}

impl Chart for CompareChart<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        o: &ChartOptions,
    ) -> Result<(), String>
    where
        DB::ErrorType: 'static,
    {
        let first = self.runs[0].result;
        let s = &first.scenario;
        let names = model_column_names(first);
        let nums = numeric(self.runs).filter(|v| v.iter().all(|x| *x > 0.0));
        let xs: Vec<f64> = nums.clone().unwrap_or_else(|| {
            (0..self.runs.len())
                .map(|i| 10f64.powi(i as i32 + 1))
                .collect()
        });
        let base = first
            .what_if
            .as_ref()
            .map_or(s.name.clone(), |w| w.base_scenario.clone());
        let cost = |k: usize, f: fn(&ModelResult) -> f64| -> Vec<f64> {
            self.runs
                .iter()
                .map(|r| r.result.models.get(k).map_or(f64::NAN, f))
                .collect()
        };
        let (lo_all, hi_all) = self
            .runs
            .iter()
            .flat_map(|r| r.result.models.iter().map(|m| m.avg_cost_bps))
            .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
        let title = format!(
            "What if {} were {}? Models predict {:.0} to {:.0} bp average cost",
            self.key,
            self.runs
                .iter()
                .map(|r| r.value)
                .collect::<Vec<_>>()
                .join(", "),
            lo_all,
            hi_all
        );
        let subtitle = vec![
            format!(
                "What-ifs from the real event {base} ({}): each value reruns the whole backtest with every other key as in the scenario{}.",
                s.description,
                first
                    .what_if
                    .as_ref()
                    .map(|w| {
                        let other: Vec<String> = w
                            .overrides
                            .iter()
                            .filter(|o| o.key != self.key)
                            .map(|o| format!("{} = {}", o.key, o.run_value))
                            .collect();
                        if other.is_empty() {
                            String::new()
                        } else {
                            format!(" and {}", other.join(", "))
                        }
                    })
                    .unwrap_or_default()
            ),
            "Lines: each model's average execution cost against arrival; shading: its 95 % parameter band (no timing risk).".to_string(),
        ];
        let has_band = |k: usize| {
            self.runs.iter().any(|r| {
                r.result
                    .models
                    .get(k)
                    .is_some_and(|m| m.avg_cost_band_bps.high > m.avg_cost_band_bps.low)
            })
        };
        let mut legend = Vec::new();
        for (k, n) in names.iter().enumerate() {
            legend.push(if has_band(k) {
                Entry::new(
                    Mark::LineBand(style::model_colour(k), 2.5, style::model_dash(k), 0.22),
                    format!("{n} (95 % band)"),
                )
            } else {
                Entry::new(
                    Mark::Line(style::model_colour(k).to_rgba(), 2.5, style::model_dash(k)),
                    n.clone(),
                )
            });
        }
        legend.push(Entry::new(
            Mark::Line(style::ANNOTATION.to_rgba(), 1.5, Some((3.0, 5.0))),
            format!("the values of {}", self.key),
        ));
        let main = frame::page(
            root,
            o,
            &Page {
                title,
                subtitle,
                legend,
                footer: frame::footer(&base, self.source),
            },
        )?;
        let mut ys: Vec<f64> = Vec::new();
        for k in 0..names.len() {
            ys.extend(cost(k, |m| m.avg_cost_band_bps.low));
            ys.extend(cost(k, |m| m.avg_cost_band_bps.high));
            ys.extend(cost(k, |m| m.avg_cost_bps));
        }
        ys.retain(|v| *v > 0.0 && v.is_finite());
        if ys.is_empty() {
            return Err("no positive cost to draw".into());
        }
        let (ya, yb) = (
            ys.iter().copied().fold(f64::MAX, f64::min) / 1.6,
            ys.iter().copied().fold(f64::MIN, f64::max) * 1.3,
        );
        let (xa, xb) = (
            xs.iter().copied().fold(f64::MAX, f64::min),
            xs.iter().copied().fold(f64::MIN, f64::max),
        );
        // Categories sit at 10, 100, 1000, ...: evenly spaced on the log axis.
        let (xa, xb) = if nums.is_some() {
            (xa / 1.15, xb * 1.15)
        } else {
            (xa / 3.0, xb * 3.0)
        };
        let labels: Vec<String> = self.runs.iter().map(|r| r.value.to_string()).collect();
        let categorical = nums.is_none();
        let x_desc = if categorical {
            self.key.to_string()
        } else if self.key == "size_btc" {
            "Sale size (BTC, log scale)".to_string()
        } else {
            format!("{} (log scale)", self.key)
        };
        let mut chart = ChartBuilder::on(&main)
            .margin_left(o.px(10.0))
            .margin_right(o.px(24.0))
            .margin_top(o.px(10.0))
            .x_label_area_size(o.px(62.0))
            .y_label_area_size(o.px(80.0))
            .build_cartesian_2d((xa..xb).log_scale(), (ya..yb).log_scale())
            .map_err(de)?;
        // The x axis is labelled at the values themselves (drawn below), not at decades.
        chart
            .configure_mesh()
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|v| log_tick(*v))
            .x_desc(x_desc)
            .y_desc("Average execution cost (bp, log scale)")
            .label_style((FONT, o.font(size::TICK)))
            .axis_desc_style((FONT, o.font(size::AXIS)))
            .light_line_style(TRANSPARENT)
            .bold_line_style(style::GRID)
            .draw()
            .map_err(de)?;
        for (&x, label) in xs.iter().zip(&labels) {
            frame::draw_line(
                &mut chart,
                vec![(x, ya), (x, yb)],
                style::ANNOTATION.stroke_width(o.px(1.0).max(1)),
                Some((3.0, 5.0)),
                o,
            )?;
            let text = match label.parse::<f64>() {
                Ok(v) if !categorical && v.abs() >= 1000.0 => thousands(v, 0),
                _ => label.clone(),
            };
            chart
                .draw_series(std::iter::once(Text::new(
                    text,
                    (x, ya),
                    (FONT, o.font(size::TICK))
                        .into_font()
                        .color(&style::ANNOTATION)
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                )))
                .map_err(de)?;
        }
        let clamp = |v: f64| v.clamp(ya, yb);
        for k in (0..names.len()).filter(|&k| has_band(k)) {
            let (lo, hi) = (
                cost(k, |m| m.avg_cost_band_bps.low),
                cost(k, |m| m.avg_cost_band_bps.high),
            );
            let mut poly: Vec<(f64, f64)> =
                xs.iter().zip(&hi).map(|(&x, &y)| (x, clamp(y))).collect();
            poly.extend(xs.iter().zip(&lo).rev().map(|(&x, &y)| (x, clamp(y))));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    poly,
                    style::model_colour(k).mix(0.12).filled(),
                )))
                .map_err(de)?;
        }
        for k in 0..names.len() {
            let c = cost(k, |m| m.avg_cost_bps);
            let pts: Vec<(f64, f64)> = xs
                .iter()
                .zip(&c)
                .filter(|(_, y)| **y >= ya && **y <= yb)
                .map(|(&x, &y)| (x, y))
                .collect();
            chart
                .draw_series(
                    pts.iter().map(|&p| {
                        Circle::new(p, o.font(4.0) as i32, style::model_colour(k).filled())
                    }),
                )
                .map_err(de)?;
            frame::draw_line(
                &mut chart,
                pts,
                style::model_colour(k).stroke_width(o.px(2.5).max(1)),
                style::model_dash(k),
                o,
            )?;
        }
        Ok(())
    }
}

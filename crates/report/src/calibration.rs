//! `calibration.png`: the binned aggregate-impact curve with the power-law and linear fits.

use crate::charts::ChartDef;
use crate::frame::{self, de, Chart, Entry, Mark, Page};
use crate::style::{self, log_tick, size, ChartOptions, FONT};
use crate::table::{Column, Table};
use crate::ReportError;
use crate::{Report, ReportInput};
use blocksale_backtest::BacktestResult;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

const POWER: RGBColor = RGBColor(0, 114, 178);
const LINEAR: RGBColor = RGBColor(213, 94, 0);
const SQRT: RGBColor = RGBColor(90, 90, 90);

/// Draw `calibration.png` from the bins and fit tables ([`crate::series::calibration_bins_table`],
/// [`crate::series::calibration_fit_table`]), log-log: the bin means as dots sized by nothing (equal
/// counts), the fitted power law with its band, the linear (Kyle lambda) fit with its band, and the
/// literature square root `0.9 sigma x^0.5` for reference.
///
/// # Errors
/// [`ReportError::Empty`] when the result has no calibration, [`ReportError::Draw`] on a backend
/// failure.
pub fn calibration_chart(
    result: &BacktestResult,
    bins: &Table,
    fit: &Table,
    venue: &str,
    source: &str,
    path: &Path,
    opts: &ChartOptions,
) -> Result<(), ReportError> {
    if result.market.calibration.is_none() || bins.rows() == 0 || fit.rows() == 0 {
        return Err(ReportError::Empty(
            "the scenario has no [calibration]: nothing to draw in calibration.png".into(),
        ));
    }
    frame::render(
        &CalChart {
            r: result,
            bins,
            fit,
            venue,
            source,
        },
        path,
        opts,
    )
}

struct CalChart<'a> {
    r: &'a BacktestResult,
    bins: &'a Table,
    fit: &'a Table,
    venue: &'a str,
    source: &'a str,
}

impl Chart for CalChart<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        o: &ChartOptions,
    ) -> Result<(), String>
    where
        DB::ErrorType: 'static,
    {
        let r = self.r;
        let c = r
            .market
            .calibration
            .as_ref()
            .ok_or("no calibration in the result")?;
        fn num<'t>(t: &'t Table, n: &str) -> Result<&'t [f64], String> {
            t.get_num(n).ok_or_else(|| format!("missing column {n}"))
        }
        let (bx, by) = (num(self.bins, "x_pct_adv")?, num(self.bins, "y_bps")?);
        let in_fit: Vec<bool> = self
            .bins
            .columns
            .iter()
            .find_map(|(n, c)| match c {
                Column::Bool(v) if n == "in_fit" => Some(v.clone()),
                _ => None,
            })
            .ok_or("missing column in_fit")?;
        let fx = num(self.fit, "x_pct_adv")?;
        let cols: Vec<&[f64]> = [
            "power_bps",
            "power_low_bps",
            "power_high_bps",
            "linear_bps",
            "linear_low_bps",
            "linear_high_bps",
        ]
        .iter()
        .map(|n| num(self.fit, n))
        .collect::<Result<_, _>>()?;
        let (d, y) = (c.curve.exponent, c.curve.prefactor_y);
        let shape = if d.ci95_low > 0.5 {
            "steeper than the square root (closer to linear)"
        } else if d.ci95_high < 0.5 {
            "flatter than the square root"
        } else {
            "consistent with the square root"
        };
        let bar = if c.bar_seconds % 3600 == 0 {
            format!("{}-hour", c.bar_seconds / 3600)
        } else {
            format!("{}-minute", c.bar_seconds / 60)
        };
        let title = format!(
            "Aggregate impact of net taker flow on {bar} bars: exponent {:.2} (95 % CI {:.2} to {:.2}), {shape}",
            d.estimate, d.ci95_low, d.ci95_high
        );
        let dropped = by.iter().filter(|v| **v <= 0.0).count();
        let subtitle = vec![
            format!(
                "{}. Power law I = Y sigma x^delta with Y = {:.2} (95 % CI {:.2} to {:.2}), sigma = {:.2} %/day, log-fit R2 = {:.2}; linear Kyle lambda = {:.3e} per BTC (Newey-West 95 % CI {:.3e} to {:.3e}). {} bars in {} equal-count bins{}.",
                self.venue,
                y.estimate, y.ci95_low, y.ci95_high,
                c.sigma_daily * 100.0,
                c.curve.log_fit_r_squared,
                c.kyle.lambda_per_btc, c.kyle.ci95_low, c.kyle.ci95_high,
                style::thousands(c.bars_used as f64, 0),
                c.curve.bins.len(),
                if dropped > 0 { format!("; {dropped} bins with a mean <= 0 are not shown on the log scale") } else { String::new() }
            ),
            "Aggregate flow, not metaorders: every trader's net flow within a bar, including informed flow and reactions to the move; a check of scale, not the impact law of one block sale.".to_string(),
        ];
        let legend = vec![
            Entry::new(
                Mark::Dot(style::OBSERVED.to_rgba()),
                "bin mean (equal-count bins)",
            ),
            Entry::new(
                Mark::LineBand(POWER, 3.0, None, 0.2),
                format!(
                    "power-law fit, delta = {:.2}; band: exponent 95 % CI",
                    d.estimate
                ),
            ),
            Entry::new(
                Mark::LineBand(LINEAR, 3.0, Some((14.0, 7.0)), 0.2),
                "linear fit (Kyle lambda); band: 95 % CI",
            ),
            Entry::new(
                Mark::Line(SQRT.to_rgba(), 2.0, Some((4.0, 5.0))),
                "square root, Y = 0.9 (literature, for reference)",
            ),
        ];
        let main = frame::page(
            root,
            o,
            &Page {
                title: crate::text::what_if_title(r, title),
                subtitle: crate::text::what_if_subtitle(r, subtitle),
                legend,
                footer: frame::footer(&r.scenario.name, self.source),
            },
        )?;
        let sqrt: Vec<f64> = fx
            .iter()
            .map(|x| 0.9 * c.sigma_daily * (x / 100.0).sqrt() * 1e4)
            .collect();
        let (xa, xb) = (fx[0], fx[fx.len() - 1]);
        let pos = |v: &f64| *v > 0.0 && v.is_finite();
        let mut ys: Vec<f64> = by.iter().copied().filter(pos).collect();
        ys.extend(cols[0].iter().copied().filter(pos));
        ys.extend(cols[3].iter().copied().filter(pos));
        let (ya, yb) = (
            ys.iter().copied().fold(f64::MAX, f64::min) / 1.5,
            ys.iter().copied().fold(f64::MIN, f64::max) * 1.5,
        );
        let mut chart = ChartBuilder::on(&main)
            .margin_left(o.px(10.0))
            .margin_right(o.px(30.0))
            .margin_top(o.px(10.0))
            .x_label_area_size(o.px(62.0))
            .y_label_area_size(o.px(95.0))
            .build_cartesian_2d((xa..xb).log_scale(), (ya..yb).log_scale())
            .map_err(de)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|v| log_tick(*v))
            .y_label_formatter(&|v| log_tick(*v))
            .x_desc("Net taker flow in the bar (% of average daily volume, log scale)")
            .y_desc(if o.height < 700 {
                "Return, bp (log)"
            } else {
                "Return with the flow (bp, log scale)"
            })
            .label_style((FONT, o.font(size::TICK)))
            .axis_desc_style((FONT, o.font(size::AXIS)))
            .light_line_style(TRANSPARENT)
            .bold_line_style(style::GRID)
            .draw()
            .map_err(de)?;
        let clamp = |v: f64| v.clamp(ya, yb);
        for (lo, hi, colour) in [(cols[1], cols[2], POWER), (cols[4], cols[5], LINEAR)] {
            let mut poly: Vec<(f64, f64)> =
                fx.iter().zip(hi).map(|(&x, &v)| (x, clamp(v))).collect();
            poly.extend(fx.iter().zip(lo).rev().map(|(&x, &v)| (x, clamp(v))));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    poly,
                    colour.mix(0.2).filled(),
                )))
                .map_err(de)?;
        }
        let inside = |x: f64, v: f64| (v >= ya && v <= yb).then_some((x, v));
        let line = |v: &[f64]| -> Vec<(f64, f64)> {
            fx.iter()
                .zip(v)
                .filter_map(|(&x, &y)| inside(x, y))
                .collect()
        };
        frame::draw_line(
            &mut chart,
            line(&sqrt),
            SQRT.stroke_width(o.px(2.0).max(1)),
            Some((4.0, 5.0)),
            o,
        )?;
        frame::draw_line(
            &mut chart,
            line(cols[3]),
            LINEAR.stroke_width(o.px(3.0).max(1)),
            Some((14.0, 7.0)),
            o,
        )?;
        frame::draw_line(
            &mut chart,
            line(cols[0]),
            POWER.stroke_width(o.px(3.0).max(1)),
            None,
            o,
        )?;
        chart
            .draw_series(
                bx.iter()
                    .zip(by)
                    .zip(&in_fit)
                    .filter(|((_, y), _)| pos(y))
                    .map(|((&x, &y), &f)| {
                        let st = if f {
                            style::OBSERVED.filled()
                        } else {
                            style::OBSERVED.stroke_width(2)
                        };
                        Circle::new((x, y), o.font(6.0) as i32, st)
                    }),
            )
            .map_err(de)?;
        Ok(())
    }
}

/// This chart in the registry ([`crate::charts::CHARTS`]).
pub(crate) struct CalibrationDef;

impl ChartDef for CalibrationDef {
    fn name(&self) -> &'static str {
        "calibration"
    }

    fn tables(&self, input: &ReportInput<'_>) -> Result<Vec<(&'static str, Table)>, ReportError> {
        let r = input.result;
        if r.market.calibration.is_none() {
            return Ok(vec![]);
        }
        Ok(vec![
            ("calibration_bins", crate::series::calibration_bins_table(r)),
            ("calibration_fit", crate::series::calibration_fit_table(r)),
        ])
    }

    fn draw(
        &self,
        report: &Report<'_>,
        tables: &[&Table],
        path: &Path,
        o: &ChartOptions,
    ) -> Result<(), ReportError> {
        let lines = report.lines();
        calibration_chart(
            report.input().result,
            tables[0],
            tables[1],
            &calibration_venue(report.input()),
            lines.calibration.as_deref().unwrap_or(&lines.price),
            path,
            o,
        )
    }
}

/// "Bars: Binance USD-M ... 15m, the 90 days before the sale" for the calibration chart.
fn calibration_venue(input: &ReportInput<'_>) -> String {
    let s = input.backtest.scenario;
    s.calibration.as_ref().map_or(String::new(), |c| {
        format!(
            "Bars: {}, the {} days before the sale",
            s.source(&c.venue)
                .map_or(c.venue.as_str(), |x| x.description.as_str()),
            c.days
        )
    })
}

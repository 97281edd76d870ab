//! `volume.png`: hourly volume around the event against the hour-of-week baseline.

use crate::charts::ChartDef;
use crate::frame::{self, de, Chart, Entry, Mark, Page};
use crate::style::{self, size, thousands, tick_label, ChartOptions, FONT};
use crate::table::{Column, Table};
use crate::ReportError;
use crate::{Report, ReportInput};
use blocksale_backtest::BacktestResult;
use blocksale_core::{Timestamp, MS_PER_DAY, MS_PER_HOUR};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

const EXCESS: RGBColor = RGBColor(213, 94, 0);
const HOUR_BAR: RGBColor = RGBColor(150, 150, 150);
const BASE: RGBColor = RGBColor(0, 90, 160);

/// Draw `volume.png` from `table` ([`crate::series::volume_table`]): hourly volume bars (the hours
/// the footprint lists as excess, z > 2, in vermillion), the baseline mean as a line and its
/// mean -/+ 2 sd as a band, the sale window shaded.
///
/// # Errors
/// [`ReportError::Draw`] when the backend fails, [`ReportError::Empty`] without hours.
pub fn volume_chart(
    result: &BacktestResult,
    table: &Table,
    venue: &str,
    source: &str,
    path: &Path,
    opts: &ChartOptions,
) -> Result<(), ReportError> {
    if table.rows() == 0 {
        return Err(ReportError::Empty("no hourly volume to draw".into()));
    }
    frame::render(
        &VolumeChart {
            r: result,
            t: table,
            venue,
            source,
        },
        path,
        opts,
    )
}

struct VolumeChart<'a> {
    r: &'a BacktestResult,
    t: &'a Table,
    venue: &'a str,
    source: &'a str,
}

fn bools<'t>(t: &'t Table, name: &str) -> Result<&'t [bool], String> {
    t.columns
        .iter()
        .find_map(|(n, c)| match c {
            Column::Bool(v) if n == name => Some(v.as_slice()),
            _ => None,
        })
        .ok_or_else(|| format!("missing column {name}"))
}

fn texts<'t>(t: &'t Table, name: &str) -> Result<&'t [String], String> {
    t.columns
        .iter()
        .find_map(|(n, c)| match c {
            Column::Text(v) if n == name => Some(v.as_slice()),
            _ => None,
        })
        .ok_or_else(|| format!("missing column {name}"))
}

impl Chart for VolumeChart<'_> {
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
        let t = self.t;
        let fp = &r.attribution.footprint;
        let num = |n: &str| t.get_num(n).ok_or_else(|| format!("missing column {n}"));
        let (v, m, lo, hi) = (
            num("volume_btc")?,
            num("baseline_mean_btc")?,
            num("baseline_low_btc")?,
            num("baseline_high_btc")?,
        );
        let exc = bools(t, "excess")?;
        let times: Vec<f64> = texts(t, "hour_start")?
            .iter()
            .map(|x| {
                Timestamp::parse_rfc3339(x)
                    .map(|t| t.as_millis() as f64 / MS_PER_DAY as f64)
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        let hour_d = MS_PER_HOUR as f64 / MS_PER_DAY as f64;
        let title = format!(
            "{} of the {} window hours traded above the hour-of-week baseline (z > 2); window volume {} BTC against {} BTC expected",
            fp.excess_hours.len(),
            (s.duration_days * 24.0).round(),
            thousands(fp.window_baseline_volume_btc + fp.window_excess_volume_btc, 0),
            thousands(fp.window_baseline_volume_btc, 0),
        );
        let mut subtitle = vec![format!(
            "{} hourly volume. Baseline: the same hour of the week in the {} weeks before. The sale of {} BTC would be {:.1} % of the window's volume on this venue; excess volume is not proof of the sale (the market moved on other news too).",
            self.venue,
            fp.baseline_weeks,
            thousands(s.size_btc, 0),
            r.observed.participation * 100.0
        )];
        if let Some(f) = &fp.signed_flow {
            subtitle.push(format!(
                "Signed taker flow on {} in the window: {} BTC against {} +/- {} BTC in the baseline weeks (z = {:.2}).",
                f.venue,
                thousands(f.window_btc, 0),
                thousands(f.baseline_mean_btc, 0),
                thousands(f.baseline_sd_btc, 0),
                f.z
            ));
        }
        let legend = vec![
            Entry::new(Mark::Fill(style::WINDOW_FILL.to_rgba()), "sale window"),
            Entry::new(Mark::Fill(HOUR_BAR.to_rgba()), "hourly volume"),
            Entry::new(
                Mark::Fill(EXCESS.to_rgba()),
                "window hour with excess volume (z > 2)",
            ),
            Entry::new(
                Mark::LineBand(BASE, 2.5, Some((10.0, 6.0)), 0.18),
                "baseline mean, band mean -/+ 2 sd",
            ),
        ];
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
        let xa = times[0];
        let xb = times[times.len() - 1] + hour_d;
        let ymax = v
            .iter()
            .chain(hi.iter())
            .copied()
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max)
            * 1.06;
        let (ticks, step) = style::day_ticks(
            xa,
            xb,
            f64::from(main.dim_in_pixel().0) - o.font(185.0),
            o.font(size::TICK),
        );
        let mut chart = ChartBuilder::on(&main)
            .margin_left(o.px(10.0))
            .margin_right(o.px(60.0))
            .margin_top(o.px(10.0))
            .x_label_area_size(o.px(62.0))
            .y_label_area_size(o.px(95.0))
            .build_cartesian_2d(xa..xb, 0.0..ymax)
            .map_err(de)?;
        chart
            .configure_mesh()
            .x_labels(ticks.len())
            .y_labels(8)
            .x_label_formatter(&|d| tick_label(*d, step))
            .y_label_formatter(&|y| thousands(*y, 0))
            .x_desc("Hour (UTC; ticks at 00:00)")
            .y_desc("Volume per hour (BTC)")
            .label_style((FONT, o.font(size::TICK)))
            .axis_desc_style((FONT, o.font(size::AXIS)))
            .light_line_style(TRANSPARENT)
            .bold_line_style(style::GRID)
            .draw()
            .map_err(de)?;
        let (ws, we) = (
            s.start.as_millis() as f64 / MS_PER_DAY as f64,
            s.end.as_millis() as f64 / MS_PER_DAY as f64,
        );
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(ws, 0.0), (we, ymax)],
                style::WINDOW_FILL.filled(),
            )))
            .map_err(de)?;
        // Baseline band (only where a baseline exists).
        let ok: Vec<usize> = (0..times.len()).filter(|&i| m[i].is_finite()).collect();
        let mut poly: Vec<(f64, f64)> = ok
            .iter()
            .map(|&i| (times[i] + hour_d / 2.0, hi[i]))
            .collect();
        poly.extend(ok.iter().rev().map(|&i| (times[i] + hour_d / 2.0, lo[i])));
        chart
            .draw_series(std::iter::once(Polygon::new(poly, BASE.mix(0.18).filled())))
            .map_err(de)?;
        chart
            .draw_series(times.iter().zip(v).zip(exc).map(|((&x, &y), &e)| {
                Rectangle::new(
                    [(x + hour_d * 0.1, 0.0), (x + hour_d * 0.9, y)],
                    if e {
                        EXCESS.filled()
                    } else {
                        HOUR_BAR.filled()
                    },
                )
            }))
            .map_err(de)?;
        let pts: Vec<(f64, f64)> = ok
            .iter()
            .map(|&i| (times[i] + hour_d / 2.0, m[i]))
            .collect();
        frame::draw_line(
            &mut chart,
            pts,
            BASE.stroke_width(o.px(2.5).max(1)),
            Some((10.0, 6.0)),
            o,
        )?;
        Ok(())
    }
}

/// This chart in the registry ([`crate::charts::CHARTS`]).
pub(crate) struct VolumeDef;

impl ChartDef for VolumeDef {
    fn name(&self) -> &'static str {
        "volume"
    }

    fn tables(&self, input: &ReportInput<'_>) -> Result<Vec<(&'static str, Table)>, ReportError> {
        let bars = blocksale_backtest::source(
            input.backtest.sources,
            &input.backtest.scenario.data.price,
        )?;
        Ok(vec![(
            "volume",
            crate::series::volume_table(input.result, bars),
        )])
    }

    fn draw(
        &self,
        report: &Report<'_>,
        tables: &[&Table],
        path: &Path,
        o: &ChartOptions,
    ) -> Result<(), ReportError> {
        volume_chart(
            report.input().result,
            tables[0],
            &report.input().backtest.scenario.data.price,
            &report.lines().price,
            path,
            o,
        )
    }
}

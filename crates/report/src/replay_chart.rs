//! `replay.png`: the distribution of replayed window returns with the real event marked.

use crate::charts::ChartDef;
use crate::frame::{self, de, Chart, Entry, Mark, Page};
use crate::style::{self, size, thousands, ChartOptions, FONT};
use crate::table::Table;
use crate::ReportError;
use crate::{Report, ReportInput};
use blocksale_backtest::replay::ReplayResult;
use blocksale_backtest::BacktestResult;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// `replay.csv` of the report: one row per replayed start: `start, observed_return_bps`, and per
/// model `<m>_impact_at_end_bps`.
pub fn replay_table(rp: &ReplayResult) -> Table {
    let mut t = Table::default();
    t.text(
        "start",
        rp.rows.iter().map(|r| r.start.to_rfc3339()).collect(),
    )
    .num(
        "observed_return_bps",
        rp.rows.iter().map(|r| r.observed_return_bps).collect(),
    );
    for (k, m) in rp.models.iter().enumerate() {
        t.num(
            format!("{}_impact_at_end_bps", m.name),
            rp.rows
                .iter()
                .map(|r| r.predicted.get(k).map_or(f64::NAN, |p| p.impact_at_end_bps))
                .collect(),
        );
    }
    t
}

/// Histogram bins: `(edges, counts)` with about `sqrt(n)` bins of a round width.
pub(crate) fn histogram(x: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let lo = x.iter().copied().fold(f64::MAX, f64::min);
    let hi = x.iter().copied().fold(f64::MIN, f64::max);
    let n_target = (2.0 * (x.len() as f64).sqrt()).clamp(8.0, 40.0);
    let raw = ((hi - lo) / n_target).max(1e-9);
    let mag = 10f64.powf(raw.log10().floor());
    let w = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|w| *w >= raw)
        .unwrap_or(10.0 * mag);
    let start = (lo / w).floor() * w;
    let nb = (((hi - start) / w).floor() as usize + 1).max(1);
    let mut counts = vec![0usize; nb];
    for v in x {
        let i = (((v - start) / w).floor() as usize).min(nb - 1);
        counts[i] += 1;
    }
    let edges = (0..=nb).map(|i| start + w * i as f64).collect();
    (edges, counts)
}

/// Draw `replay.png`: a histogram of the observed window returns of every replayed start (bps), the
/// real event's return as a vertical line with its percentile rank, and the span of the models'
/// predicted impact at the window end drawn as the return the sale alone would cause.
///
/// # Errors
/// [`ReportError::Empty`] without replayed starts, [`ReportError::Draw`] on a backend failure.
pub fn replay_chart(
    result: &BacktestResult,
    rp: &ReplayResult,
    table: &Table,
    source: &str,
    path: &Path,
    opts: &ChartOptions,
) -> Result<(), ReportError> {
    if table.rows() < 2 {
        return Err(ReportError::Empty(
            "the replay has fewer than 2 starts: no distribution to draw".into(),
        ));
    }
    frame::render(
        &ReplayChart {
            r: result,
            rp,
            t: table,
            source,
        },
        path,
        opts,
    )
}

struct ReplayChart<'a> {
    r: &'a BacktestResult,
    rp: &'a ReplayResult,
    t: &'a Table,
    source: &'a str,
}

impl Chart for ReplayChart<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        o: &ChartOptions,
    ) -> Result<(), String>
    where
        DB::ErrorType: 'static,
    {
        let r = self.r;
        let rp = self.rp;
        let s = &r.scenario;
        let x = self
            .t
            .get_num("observed_return_bps")
            .ok_or("missing column observed_return_bps")?;
        let (edges, counts) = histogram(x);
        let sign = s.side.sign();
        let every = if rp.every.as_str() == "weekend" {
            "weekend (Saturday-start)"
        } else {
            "daily"
        };
        let ev = rp.event.as_ref();
        let title = match ev {
            Some(e) => format!(
                "The event's window return ({:+.0} bp) ranks at the {:.0}th percentile of {} {every} windows; {:.0} % of them moved at least as much against a {}",
                e.row.observed_return_bps,
                e.observed_return_percentile,
                e.reference_starts,
                e.adverse_move_exceedance_pct,
                if sign < 0.0 { "seller" } else { "buyer" }
            ),
            None => format!(
                "Window returns of {} {every} windows (the event itself is not covered: {})",
                rp.rows.len(),
                rp.event_skipped.clone().unwrap_or_default()
            ),
        };
        let (imp_lo, imp_hi) = rp
            .event
            .as_ref()
            .map(|e| {
                let v: Vec<f64> = e
                    .row
                    .predicted
                    .iter()
                    .map(|p| p.impact_at_end_bps)
                    .collect();
                (
                    v.iter().copied().fold(f64::MAX, f64::min),
                    v.iter().copied().fold(f64::MIN, f64::max),
                )
            })
            .unwrap_or((f64::NAN, f64::NAN));
        let subtitle = vec![format!(
            "The same {} BTC {} sale ({}) placed at every start from {} to {} on {}; observed return ln(close/open) of each window. {} starts used, {} skipped for coverage.{}",
            thousands(rp.size_btc, 0),
            rp.schedule,
            blocksale_core::duration_label(rp.window_seconds),
            rp.from.to_datetime().format("%d %b %Y"),
            rp.to.to_datetime().format("%d %b %Y"),
            rp.venue,
            rp.starts_used,
            rp.skipped.values().sum::<usize>(),
            if imp_lo.is_finite() {
                format!(" Shaded: the move the sale alone would cause by the window end, {:.0} to {:.0} bp across models.", sign * imp_hi, sign * imp_lo)
            } else {
                String::new()
            }
        )];
        let legend = vec![
            Entry::new(
                Mark::Fill(RGBColor(150, 150, 150).to_rgba()),
                "replayed windows (count)",
            ),
            Entry::new(
                Mark::Line(style::REFERENCE.to_rgba(), 3.5, None),
                "the real event",
            ),
            Entry::new(
                Mark::Fill(style::MODEL_COLOURS[0].mix(0.25)),
                "predicted move from the sale alone (range across models)",
            ),
        ];
        let main = frame::page(
            root,
            o,
            &Page {
                title,
                subtitle,
                legend,
                footer: frame::footer(&s.name, self.source),
            },
        )?;
        let mut xa = edges[0];
        let mut xb = edges[edges.len() - 1];
        if let Some(e) = ev {
            xa = xa.min(e.row.observed_return_bps);
            xb = xb.max(e.row.observed_return_bps);
        }
        if imp_lo.is_finite() {
            xa = xa.min(sign * imp_hi).min(sign * imp_lo);
            xb = xb.max(sign * imp_hi).max(sign * imp_lo);
        }
        let pad = (xb - xa) * 0.03;
        let ymax = *counts.iter().max().unwrap_or(&1) as f64 * 1.18;
        let mut chart = ChartBuilder::on(&main)
            .margin_left(o.px(10.0))
            .margin_right(o.px(30.0))
            .margin_top(o.px(10.0))
            .x_label_area_size(o.px(62.0))
            .y_label_area_size(o.px(80.0))
            .build_cartesian_2d((xa - pad)..(xb + pad), 0.0..ymax)
            .map_err(de)?;
        chart
            .configure_mesh()
            .x_labels(12)
            .y_labels(8)
            .x_label_formatter(&|v| thousands(*v, 0))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_desc("Observed window return (bp)")
            .y_desc("Windows (count)")
            .label_style((FONT, o.font(size::TICK)))
            .axis_desc_style((FONT, o.font(size::AXIS)))
            .light_line_style(TRANSPARENT)
            .bold_line_style(style::GRID)
            .draw()
            .map_err(de)?;
        if imp_lo.is_finite() {
            let (a, b) = (
                (sign * imp_hi).min(sign * imp_lo),
                (sign * imp_hi).max(sign * imp_lo),
            );
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a, 0.0), (b, ymax)],
                    style::MODEL_COLOURS[0].mix(0.25).filled(),
                )))
                .map_err(de)?;
        }
        chart
            .draw_series(counts.iter().enumerate().map(|(i, &c)| {
                Rectangle::new(
                    [(edges[i], 0.0), (edges[i + 1], c as f64)],
                    RGBColor(150, 150, 150).filled(),
                )
            }))
            .map_err(de)?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, &c)| {
                Rectangle::new(
                    [(edges[i], 0.0), (edges[i + 1], c as f64)],
                    WHITE.stroke_width(1),
                )
            }))
            .map_err(de)?;
        if let Some(e) = ev {
            let v = e.row.observed_return_bps;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(v, 0.0), (v, ymax)],
                    style::REFERENCE.stroke_width(o.px(3.5).max(1)),
                )))
                .map_err(de)?;
            let right = v < (xa + xb) / 2.0;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!(
                        " {} {}: {:+.0} bp, {:.0}th percentile ",
                        s.description,
                        e.row.start.to_datetime().format("%d %b %Y"),
                        v,
                        e.observed_return_percentile
                    ),
                    (v, ymax * 0.97),
                    (FONT, o.font(size::NOTE))
                        .into_font()
                        .color(&style::REFERENCE)
                        .pos(Pos::new(
                            if right { HPos::Left } else { HPos::Right },
                            VPos::Top,
                        )),
                )))
                .map_err(de)?;
        }
        Ok(())
    }
}

/// This chart in the registry ([`crate::charts::CHARTS`]).
pub(crate) struct ReplayDef;

impl ChartDef for ReplayDef {
    fn name(&self) -> &'static str {
        "replay"
    }

    fn tables(&self, input: &ReportInput<'_>) -> Result<Vec<(&'static str, Table)>, ReportError> {
        Ok(input
            .replay
            .map(|rp| vec![("replay", replay_table(rp))])
            .unwrap_or_default())
    }

    fn draw(
        &self,
        report: &Report<'_>,
        tables: &[&Table],
        path: &Path,
        o: &ChartOptions,
    ) -> Result<(), ReportError> {
        let rp = report
            .input()
            .replay
            .ok_or_else(|| ReportError::Empty("no replay for replay.png".into()))?;
        let lines = report.lines();
        let line = lines.replay.as_deref().unwrap_or(&lines.price);
        replay_chart(report.input().result, rp, tables[0], line, path, o)
    }
}

#[cfg(test)]
mod tests {
    use super::histogram;

    #[test]
    fn histogram_counts_every_value_on_round_edges() {
        let x: Vec<f64> = (0..100).map(|i| f64::from(i) * 7.3 - 300.0).collect();
        let (edges, counts) = histogram(&x);
        assert_eq!(counts.iter().sum::<usize>(), 100);
        assert_eq!(edges.len(), counts.len() + 1);
        let w = edges[1] - edges[0];
        assert!([10.0, 20.0, 25.0, 50.0, 100.0].contains(&w), "{w}");
        assert!(edges[0] <= -300.0 && *edges.last().unwrap() > 422.7);
    }
}

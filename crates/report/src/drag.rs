//! `drag.png`: predicted impact over time per model against the observed abnormal drag.

use crate::charts::ChartDef;
use crate::export::model_column_names;
use crate::frame::{self, de, draw_line, Chart, Entry, Mark, Page};
use crate::series::drag_table;
use crate::style::{self, size, tick_label, ChartOptions, FONT};
use crate::table::Table;
use crate::text::decay_words;
use crate::text::{headline_models, model_range, sale_timing_words};
use crate::ReportError;
use crate::{Report, ReportInput};
use blocksale_backtest::BacktestResult;
use blocksale_core::{Timestamp, MS_PER_DAY};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Draw `drag.png`: each model's predicted impact in bps from the window start to the end of the
/// path (build-up during the sale, decay after), the 95 % parameter band of the headline models, the
/// observed drag (sign-adjusted CAR: positive when the price fell against its pre-event trend for a
/// sale) and the 95 % range such a CAR reaches without any event.
///
/// # Errors
/// [`ReportError::Draw`] when the backend fails, [`ReportError::Empty`] without a path.
pub fn drag_chart(
    result: &BacktestResult,
    source: &str,
    path: &Path,
    opts: &ChartOptions,
) -> Result<(), ReportError> {
    let t = drag_table(result);
    if t.rows() == 0 {
        return Err(ReportError::Empty(
            "the path has no bar after the window start".into(),
        ));
    }
    frame::render(
        &DragChart {
            r: result,
            t,
            source,
        },
        path,
        opts,
    )
}

struct DragChart<'a> {
    r: &'a BacktestResult,
    t: Table,
    source: &'a str,
}

fn col<'t>(t: &'t Table, name: &str) -> Result<&'t [f64], String> {
    t.get_num(name)
        .ok_or_else(|| format!("missing column {name}"))
}

impl Chart for DragChart<'_> {
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
        let t = &self.t;
        let names = model_column_names(r);
        let heads = headline_models(r);
        let es = &r.attribution.event_study;
        let sign = s.side.sign();
        let (lo_e, hi_e) = model_range(r, |m| m.impact_at_window_end_bps);
        let hours = col(t, "hours_since_start")?;
        let obs = col(t, "observed_drag_bps")?;
        let noise = col(t, "noise95_bps")?;
        let k_end = hours
            .iter()
            .rposition(|&h| h <= s.duration_days * 24.0 + 1e-9)
            .unwrap_or(0);
        let drag_end = sign * es.car * 1e4;
        let verdict = if drag_end.abs() <= noise[k_end] {
            "inside the noise"
        } else if drag_end > 0.0 {
            "a significant drag"
        } else {
            "significantly the other way"
        };
        let title = format!(
            "Models predict {lo_e:.0} to {hi_e:.0} bp of drag by the window end; the observed abnormal drag is {drag_end:+.0} bp, {verdict}"
        );
        let subtitle = vec![
            format!(
                "{} and then {}. Observed drag = {}CAR of the {} event study (estimation {} to {}), positive when the price fell against its expected return.",
                sale_timing_words(r),
                decay_words(&s.decay),
                if sign < 0.0 { "-" } else { "+" },
                es.expected_return_model.label(),
                es.estimation_start.to_datetime().format("%d %b"),
                es.estimation_end.to_datetime().format("%d %b %Y"),
            ),
            format!(
                "Event study over the window: CAR {:+.2} %, J = {:.2}, p = {:.2}; without any event the CAR stays inside the dotted lines 95 % of the time ({:.0} bp at the window end).",
                es.car * 100.0,
                es.j_stat,
                es.p_value,
                noise[k_end]
            ),
        ];
        // Models far above the rest (peak over 3 times the median and over 1.5 times the largest
        // observed move) are drawn clipped and marked "off scale".
        let mut peaks: Vec<f64> = r.models.iter().map(|m| m.peak_impact_bps).collect();
        peaks.sort_by(f64::total_cmp);
        let median = peaks.get(peaks.len() / 2).copied().unwrap_or(0.0);
        let obs_max = obs.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let off_scale: Vec<bool> = r
            .models
            .iter()
            .map(|m| m.peak_impact_bps > 3.0 * median && m.peak_impact_bps > 1.5 * obs_max)
            .collect();
        let mut legend = vec![
            Entry::new(Mark::Fill(style::WINDOW_FILL.to_rgba()), "sale window"),
            Entry::new(
                Mark::Line(style::MUTED.to_rgba(), 1.5, Some((3.0, 4.0))),
                "95 % range of the CAR without any event",
            ),
            Entry::new(
                Mark::Line(style::OBSERVED.to_rgba(), 3.0, None),
                "observed drag (sign-adjusted CAR)",
            ),
        ];
        for (k, n) in names.iter().enumerate() {
            let label = format!(
                "{n}: peak {:.0} bp{}{}{}",
                r.models[k].peak_impact_bps,
                if off_scale[k] { ", off scale" } else { "" },
                if heads.contains(&k) {
                    ", 95 % band"
                } else {
                    ""
                },
                crate::text::range_suffix(&r.models[k])
            );
            legend.push(Entry::new(
                if heads.contains(&k) {
                    Mark::LineBand(style::model_colour(k), 2.5, style::model_dash(k), 0.22)
                } else {
                    Mark::Line(style::model_colour(k).to_rgba(), 2.5, style::model_dash(k))
                },
                label,
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

        let start_ms = s.start.as_millis();
        let x_of = |h: f64| (start_ms as f64 + h * 3_600_000.0) / MS_PER_DAY as f64;
        let xs: Vec<f64> = hours.iter().map(|&h| x_of(h)).collect();
        let xa = start_ms as f64 / MS_PER_DAY as f64;
        let xb = xs[xs.len() - 1];
        let mut lo = 0.0f64;
        let mut hi = 0.0f64;
        for v in obs {
            lo = lo.min(*v);
            hi = hi.max(*v);
        }
        for (k, n) in names.iter().enumerate() {
            if off_scale[k] {
                continue;
            }
            let mut cols = vec![format!("impact_{n}_bps")];
            if heads.contains(&k) {
                cols.push(format!("impact_{n}_high_bps"));
                cols.push(format!("impact_{n}_low_bps"));
            }
            for c in cols {
                for v in col(t, &c)? {
                    lo = lo.min(*v);
                    hi = hi.max(*v);
                }
            }
        }
        let pad = (hi - lo) * 0.05;
        let (ya, yb) = (lo - pad, hi + pad);
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
            .build_cartesian_2d(xa..xb, ya..yb)
            .map_err(de)?;
        chart
            .configure_mesh()
            .x_labels(ticks.len())
            .y_labels(10)
            .x_label_formatter(&|d| tick_label(*d, step))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_desc("Time (UTC; ticks at 00:00)")
            .y_desc(match (sign < 0.0, o.height < 700) {
                (_, true) => "Drag, bp",
                (true, false) => "Drag (bp, + = price pushed down)",
                (false, false) => "Drag (bp, + = price pushed up)",
            })
            .label_style((FONT, o.font(size::TICK)))
            .axis_desc_style((FONT, o.font(size::AXIS)))
            .light_line_style(TRANSPARENT)
            .bold_line_style(style::GRID)
            .draw()
            .map_err(de)?;
        let we = s.end.as_millis() as f64 / MS_PER_DAY as f64;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(xa, ya), (we, yb)],
                style::WINDOW_FILL.filled(),
            )))
            .map_err(de)?;
        // Noise range around zero (dotted, clipped to the plot).
        for sgn in [1.0, -1.0] {
            let mut pts = vec![(xa, 0.0)];
            pts.extend(
                xs.iter()
                    .zip(noise)
                    .map(|(&x, &n)| (x, sgn * n))
                    .take_while(|&(_, y)| y >= ya && y <= yb),
            );
            draw_line(
                &mut chart,
                pts,
                style::MUTED.stroke_width(o.px(1.5).max(1)),
                Some((3.0, 4.0)),
                o,
            )?;
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(xa, 0.0), (xb, 0.0)],
                RGBColor(120, 120, 120).stroke_width(1),
            )))
            .map_err(de)?;
        for &k in heads.iter().filter(|&&k| !off_scale[k]) {
            let n = &names[k];
            let (l, h) = (
                col(t, &format!("impact_{n}_low_bps"))?,
                col(t, &format!("impact_{n}_high_bps"))?,
            );
            let mut poly: Vec<(f64, f64)> = vec![(xa, 0.0)];
            let cl = |v: f64| v.clamp(ya, yb);
            poly.extend(xs.iter().zip(h).map(|(&x, &v)| (x, cl(v))));
            poly.extend(xs.iter().zip(l).rev().map(|(&x, &v)| (x, cl(v))));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    poly,
                    style::model_colour(k).mix(0.16).filled(),
                )))
                .map_err(de)?;
        }
        for (k, n) in names.iter().enumerate() {
            let v = col(t, &format!("impact_{n}_bps"))?;
            let mut pts = vec![(xa, 0.0)];
            pts.extend(xs.iter().zip(v).map(|(&x, &y)| (x, y)));
            frame::draw_clipped(
                &mut chart,
                &pts,
                (ya, yb),
                style::model_colour(k).stroke_width(o.px(2.5).max(1)),
                style::model_dash(k),
                o,
            )?;
        }
        let mut pts = vec![(xa, 0.0)];
        pts.extend(xs.iter().zip(obs).map(|(&x, &y)| (x, y)));
        chart
            .draw_series(LineSeries::new(
                pts,
                style::OBSERVED.stroke_width(o.px(2.5).max(1)),
            ))
            .map_err(de)?;
        // Window end marker label.
        chart
            .draw_series(std::iter::once(Text::new(
                format!(
                    "window end {}",
                    Timestamp::from_millis(s.end.as_millis())
                        .to_datetime()
                        .format("%a %H:%M")
                ),
                (we, yb - (yb - ya) * 0.01),
                (FONT, o.font(size::NOTE))
                    .into_font()
                    .color(&style::ANNOTATION)
                    .pos(plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Left,
                        plotters::style::text_anchor::VPos::Top,
                    )),
            )))
            .map_err(de)?;
        Ok(())
    }
}

/// This chart in the registry ([`crate::charts::CHARTS`]).
pub(crate) struct DragDef;

impl ChartDef for DragDef {
    fn name(&self) -> &'static str {
        "drag"
    }

    fn tables(&self, input: &ReportInput<'_>) -> Result<Vec<(&'static str, Table)>, ReportError> {
        Ok(vec![("drag", crate::series::drag_table(input.result))])
    }

    fn draw(
        &self,
        report: &Report<'_>,
        _tables: &[&Table],
        path: &Path,
        o: &ChartOptions,
    ) -> Result<(), ReportError> {
        drag_chart(report.input().result, &report.lines().price, path, o)
    }
}

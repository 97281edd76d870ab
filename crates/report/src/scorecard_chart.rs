//! The scorecard's outputs: `scorecard.csv`, `scorecard.md` and `scorecard.png` (implied against
//! predicted cost per event and model, symmetric-log axes, noise as error bars, the 1:1 line and
//! the worst misses labelled).

use crate::frame::{self, de, Chart, Entry, Mark, Page};
use crate::style::{self, size, ChartOptions, FONT};
use crate::table::Table;
use crate::ReportError;
use blocksale_backtest::scorecard::Scorecard;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// `scorecard.csv`: one row per event and model.
///
/// Columns: `event, side, size_btc, duration_days, q_over_v, participation, sigma_daily,
/// implied_vs_arrival_bps, noise_vs_arrival_bps, implied_vs_vwap_bps, noise_vs_vwap_bps, model,
/// predicted_avg_cost_bps, predicted_low_bps, predicted_high_bps, z, covered,
/// outside_declared_range` (costs positive for
/// buys and sells alike; z = (implied - predicted) / noise against arrival).
pub fn scorecard_table(c: &Scorecard) -> Table {
    let mut text: [Vec<String>; 3] = Default::default();
    let mut num: [Vec<f64>; 13] = Default::default();
    let (mut covered, mut outside) = (Vec::new(), Vec::new());
    for e in &c.events {
        for m in &e.models {
            text[0].push(e.event.clone());
            text[1].push(e.side.clone());
            text[2].push(m.model.clone());
            for (v, x) in num.iter_mut().zip([
                e.size_btc,
                e.duration_days,
                e.q_over_v,
                e.participation,
                e.sigma_daily,
                e.implied_vs_arrival_bps,
                e.noise_vs_arrival_bps,
                e.implied_vs_vwap_bps,
                e.noise_vs_vwap_bps,
                m.predicted_bps,
                m.predicted_low_bps,
                m.predicted_high_bps,
                m.z,
            ]) {
                v.push(x);
            }
            covered.push(m.covered);
            outside.push(m.outside_declared_range);
        }
    }
    let [events, sides, models] = text;
    let names = [
        "size_btc",
        "duration_days",
        "q_over_v",
        "participation",
        "sigma_daily",
        "implied_vs_arrival_bps",
        "noise_vs_arrival_bps",
        "implied_vs_vwap_bps",
        "noise_vs_vwap_bps",
        "predicted_avg_cost_bps",
        "predicted_low_bps",
        "predicted_high_bps",
        "z",
    ];
    let mut t = Table::default();
    t.text("event", events).text("side", sides);
    let mut num = num.into_iter();
    for n in &names[..9] {
        t.num(*n, num.next().expect("column"));
    }
    t.text("model", models);
    for n in &names[9..] {
        t.num(*n, num.next().expect("column"));
    }
    t.bool("covered", covered);
    t.bool("outside_declared_range", outside);
    t
}

/// `scorecard.md`: the verdict, the per-model table, the pooled fit and the per-event table.
pub fn scorecard_markdown(c: &Scorecard) -> String {
    let mut o = String::from("## Model scorecard on disclosed block trades\n\n");
    o.push_str(&format!("{}\n\n", c.verdict));
    o.push_str("| model | events | bias (z) | RMSE (z) | chi-square p | 95 % coverage | Spearman | log-likelihood | outside declared range |\n|---|---|---|---|---|---|---|---|---|\n");
    for m in &c.models {
        o.push_str(&format!(
            "| {} | {} | {:+.2} | {:.2} | {:.3} | {:.0} % | {:.2} | {:.1} | {} |\n",
            m.model,
            m.n,
            m.bias_z,
            m.rmse_z,
            m.chi2_p,
            m.coverage_95 * 100.0,
            m.spearman,
            m.log_likelihood,
            m.outside_declared_range
        ));
    }
    let (s, p) = (&c.pooled_sqrt, &c.pooled_power);
    o.push_str(&format!(
        "\nPooled fit over the events: square root (delta = 1/2) Y = {:.3} (95 % {:.3} to {:.3}, chi-square {:.1}); delta free: delta = {:.2} (95 % {:.2} to {:.2}), Y = {:.3} (95 % {:.3} to {:.3}).\n\n",
        s.y, s.y_ci95.0, s.y_ci95.1, s.chi2, p.delta, p.delta_ci95.0, p.delta_ci95.1, p.y, p.y_ci95.0, p.y_ci95.1
    ));
    o.push_str("| event | side | BTC | days | Q/V | implied vs arrival bp (noise) | implied vs VWAP bp (noise) |\n|---|---|---|---|---|---|---|\n");
    for e in &c.events {
        o.push_str(&format!(
            "| {} | {} | {} | {:.2} | {:.3} | {:+.0} ({:.0}) | {:+.0} ({:.0}) |\n",
            e.event,
            e.side,
            crate::style::thousands(e.size_btc, 2),
            e.duration_days,
            e.q_over_v,
            e.implied_vs_arrival_bps,
            e.noise_vs_arrival_bps,
            e.implied_vs_vwap_bps,
            e.noise_vs_vwap_bps
        ));
    }
    o.push('\n');
    for n in &c.notes {
        o.push_str(&format!("- {n}\n"));
    }
    o
}

/// Symmetric log: `sign(x) log10(1 + |x| / 10)` (linear within about 10 bp of zero).
fn symlog(x: f64) -> f64 {
    x.signum() * (1.0 + x.abs() / 10.0).log10()
}

/// Draw `scorecard.png`.
///
/// # Errors
/// [`ReportError::Empty`] with no event, [`ReportError::Draw`] on a backend failure.
pub fn scorecard_chart(
    c: &Scorecard,
    source: &str,
    path: &Path,
    opts: &ChartOptions,
) -> Result<(), ReportError> {
    if c.events.is_empty() {
        return Err(ReportError::Empty("no event to score".into()));
    }
    frame::render(&CardChart { c, source }, path, opts)
}

struct CardChart<'a> {
    c: &'a Scorecard,
    source: &'a str,
}

impl Chart for CardChart<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        o: &ChartOptions,
    ) -> Result<(), String>
    where
        DB::ErrorType: 'static,
    {
        let c = self.c;
        let names: Vec<String> = c.models.iter().map(|m| m.model.clone()).collect();
        let title = format!(
            "Model scorecard: predicted against implied cost on {} disclosed BTC block trades",
            c.events.len()
        );
        let subtitle = vec![
            c.verdict.clone(),
            "Each point: one event and model; vertical bars: the implied cost -/+ 1 sd of its noise (sigma sqrt(T)); the diagonal: prediction = implied. Both axes symmetric-log (linear within 10 bp of 0), bp. Labelled: the three largest |z|.".to_string(),
        ];
        let mut legend: Vec<Entry> = names
            .iter()
            .enumerate()
            .map(|(k, n)| Entry::new(Mark::Dot(style::model_colour(k).to_rgba()), n.clone()))
            .collect();
        legend.push(Entry::new(
            Mark::Line(style::ANNOTATION.to_rgba(), 1.5, Some((3.0, 5.0))),
            "prediction = implied",
        ));
        if c.events
            .iter()
            .any(|e| e.models.iter().any(|m| m.outside_declared_range))
        {
            legend.push(Entry::new(
                Mark::Ring(style::MUTED.to_rgba()),
                "hollow: the event lies outside the model's declared range (docs/methods.md §31)",
            ));
        }
        let main = frame::page(
            root,
            o,
            &Page {
                title,
                subtitle,
                legend,
                footer: vec![self.source.to_string()],
            },
        )?;
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for e in &c.events {
            ys.push(symlog(e.implied_vs_arrival_bps - e.noise_vs_arrival_bps));
            ys.push(symlog(e.implied_vs_arrival_bps + e.noise_vs_arrival_bps));
            for m in &e.models {
                xs.push(symlog(m.predicted_bps));
            }
        }
        let (xlo, xhi) = (
            xs.iter().copied().fold(0.0, f64::min) - 0.1,
            xs.iter().copied().fold(f64::MIN, f64::max) + 0.1,
        );
        let (ylo, yhi) = (
            ys.iter().copied().fold(f64::MAX, f64::min) - 0.1,
            ys.iter().copied().fold(f64::MIN, f64::max) + 0.1,
        );
        let (lo, hi) = (xlo.max(ylo), xhi.min(yhi));
        let mut chart = ChartBuilder::on(&main)
            .margin_left(o.px(10.0))
            .margin_right(o.px(24.0))
            .margin_top(o.px(10.0))
            .x_label_area_size(o.px(62.0))
            .y_label_area_size(o.px(30.0))
            .build_cartesian_2d(xlo..xhi, ylo..yhi)
            .map_err(de)?;
        // Ticks at round values (drawn by hand: the axes are symmetric-log).
        chart
            .configure_mesh()
            .disable_mesh()
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|_| String::new())
            .x_desc("Predicted average cost against arrival (bp, symmetric log)")
            .y_desc("Implied cost against arrival (bp, symmetric log)")
            .axis_desc_style((FONT, o.font(size::AXIS)))
            .draw()
            .map_err(de)?;
        let nice = [
            -10_000.0, -3_000.0, -1_000.0, -300.0, -100.0, -30.0, 0.0, 30.0, 100.0, 300.0, 1_000.0,
            3_000.0, 10_000.0, 30_000.0,
        ];
        let label = |v: f64| crate::style::thousands(v, 0);
        for v in nice {
            let t = symlog(v);
            if (xlo..=xhi).contains(&t) {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(t, ylo), (t, yhi)],
                        style::GRID,
                    )))
                    .map_err(de)?;
                chart
                    .draw_series(std::iter::once(Text::new(
                        label(v),
                        (t, ylo),
                        (FONT, o.font(size::TICK))
                            .into_font()
                            .color(&BLACK)
                            .pos(Pos::new(HPos::Center, VPos::Bottom)),
                    )))
                    .map_err(de)?;
            }
            if (ylo..=yhi).contains(&t) {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(xlo, t), (xhi, t)],
                        style::GRID,
                    )))
                    .map_err(de)?;
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!(" {}", label(v)),
                        (xlo, t),
                        (FONT, o.font(size::TICK))
                            .into_font()
                            .color(&BLACK)
                            .pos(Pos::new(HPos::Left, VPos::Center)),
                    )))
                    .map_err(de)?;
            }
        }
        frame::draw_line(
            &mut chart,
            vec![(lo, lo), (hi, hi)],
            style::ANNOTATION.stroke_width(o.px(1.5).max(1)),
            Some((3.0, 5.0)),
            o,
        )?;
        let k_of = |n: &str| names.iter().position(|x| x == n).unwrap_or(0);
        for e in &c.events {
            for m in &e.models {
                let k = k_of(&m.model);
                let x = symlog(m.predicted_bps);
                let col = style::model_colour(k);
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![
                            (x, symlog(e.implied_vs_arrival_bps - e.noise_vs_arrival_bps)),
                            (x, symlog(e.implied_vs_arrival_bps + e.noise_vs_arrival_bps)),
                        ],
                        col.mix(0.35).stroke_width(o.px(1.2).max(1)),
                    )))
                    .map_err(de)?;
                // Hollow where the event lies outside the model's declared range.
                let dot = if m.outside_declared_range {
                    col.stroke_width(o.px(1.8).max(1))
                } else {
                    col.filled()
                };
                chart
                    .draw_series(std::iter::once(Circle::new(
                        (x, symlog(e.implied_vs_arrival_bps)),
                        o.font(4.5) as i32,
                        dot,
                    )))
                    .map_err(de)?;
            }
        }
        // The three worst misses (largest |z|), labelled with the event and model.
        let mut misses: Vec<(f64, &str, &str, f64, f64)> = c
            .events
            .iter()
            .flat_map(|e| {
                e.models.iter().map(move |m| {
                    (
                        m.z.abs(),
                        e.event.as_str(),
                        m.model.as_str(),
                        m.predicted_bps,
                        e.implied_vs_arrival_bps,
                    )
                })
            })
            .collect();
        misses.sort_by(|a, b| b.0.total_cmp(&a.0));
        misses.truncate(3);
        // Top to bottom, each label at least a text line below the one above it.
        misses.sort_by(|a, b| b.4.total_cmp(&a.4));
        let line = (yhi - ylo) * 0.045;
        let mut last = f64::INFINITY;
        for (z, ev, model, p, i) in misses {
            let y = symlog(i).min(last - line);
            last = y;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{ev}, {model} (z = {z:.1}) "),
                    (symlog(p), y),
                    (FONT, o.font(size::NOTE))
                        .into_font()
                        .color(&style::ANNOTATION)
                        .pos(Pos::new(HPos::Right, VPos::Bottom)),
                )))
                .map_err(de)?;
        }
        Ok(())
    }
}

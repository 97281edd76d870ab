//! `sweep.png`: size x duration heatmap of the expected cost of one model, with labelled contours.

use crate::charts::ChartDef;
use crate::frame::{self, de, Chart, Entry, Mark, Page};
use crate::style::{self, log_tick, size, thousands, ChartOptions, FONT};
use crate::table::Table;
use crate::ReportError;
use crate::{Report, ReportInput};
use blocksale_backtest::sweep::{RangeRow, SweepResult};
use blocksale_backtest::BacktestResult;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Contour levels, bps.
pub const CONTOUR_BPS: [f64; 4] = [25.0, 50.0, 100.0, 200.0];

/// The model the heatmap shows: the scenario's first model, the sweep's headline.
pub const HEATMAP_MODEL: usize = 0;

/// The heatmap model's declared range per duration (`sweep.json` `declared_range`), which the
/// chart hatches and `charts.json` exports; empty when the model declares none.
pub fn heatmap_ranges(sw: &SweepResult) -> impl Iterator<Item = &RangeRow> {
    let model = sw.models.get(HEATMAP_MODEL).map(|m| m.name.as_str());
    sw.declared_range
        .iter()
        .filter(move |x| Some(x.model.as_str()) == model)
}

/// True when the heatmap model's average cost at the size nearest `size_btc` is independent of
/// the duration (changes by 5 % or less across the durations: its map is vertical bands).
pub fn heatmap_flat(sw: &SweepResult, size_btc: f64) -> bool {
    let si = (0..sw.sizes_btc.len())
        .min_by(|&a, &b| {
            (sw.sizes_btc[a].ln() - size_btc.ln())
                .abs()
                .total_cmp(&(sw.sizes_btc[b].ln() - size_btc.ln()).abs())
        })
        .unwrap_or(0);
    let c: Vec<f64> = (0..sw.durations.len())
        .map(|d| sw.cell(si, d, HEATMAP_MODEL).avg_cost_bps)
        .collect();
    let lo = c.iter().copied().fold(f64::MAX, f64::min);
    let hi = c.iter().copied().fold(f64::MIN, f64::max);
    !(lo > 0.0 && hi / lo > 1.05)
}

/// `sweep.csv` of the report: the heatmap's model only ([`HEATMAP_MODEL`]), one row per
/// size x duration: `model, size_btc, duration_hours, duration, avg_cost_bps, avg_cost_low_bps,
/// avg_cost_high_bps, peak_impact_bps`.
pub fn sweep_table(sw: &SweepResult) -> Table {
    let model = sw
        .models
        .get(HEATMAP_MODEL)
        .map(|m| m.name.clone())
        .unwrap_or_default();
    let rows: Vec<_> = sw.rows.iter().filter(|r| r.model == model).collect();
    let mut t = Table::default();
    t.text("model", rows.iter().map(|r| r.model.clone()).collect())
        .num("size_btc", rows.iter().map(|r| r.size_btc).collect())
        .num(
            "duration_hours",
            rows.iter()
                .map(|r| r.duration_seconds as f64 / 3600.0)
                .collect(),
        )
        .text(
            "duration",
            rows.iter().map(|r| r.duration.clone()).collect(),
        )
        .num(
            "avg_cost_bps",
            rows.iter().map(|r| r.avg_cost_bps).collect(),
        )
        .num(
            "avg_cost_low_bps",
            rows.iter().map(|r| r.avg_cost_low_bps).collect(),
        )
        .num(
            "avg_cost_high_bps",
            rows.iter().map(|r| r.avg_cost_high_bps).collect(),
        )
        .num(
            "peak_impact_bps",
            rows.iter().map(|r| r.peak_impact_bps).collect(),
        );
    t
}

/// Draw `sweep.png`: cells coloured by the log of the average cost (a perceptually uniform
/// sequential scale, dark = cheap, light = dear, readable in greyscale), contours at
/// [`CONTOUR_BPS`] labelled, the run's sale marked, a colour bar on the right.
///
/// # Errors
/// [`ReportError::Empty`] when the sweep has fewer than 2 sizes or durations, [`ReportError::Draw`]
/// on a backend failure.
pub fn sweep_chart(
    result: &BacktestResult,
    sw: &SweepResult,
    table: &Table,
    source: &str,
    path: &Path,
    opts: &ChartOptions,
) -> Result<(), ReportError> {
    let grid = Grid::from_table(table).map_err(ReportError::Empty)?;
    if grid.sizes.len() < 2 || grid.hours.len() < 2 {
        return Err(ReportError::Empty(
            "the heatmap needs at least 2 sizes and 2 durations".into(),
        ));
    }
    frame::render(
        &SweepChart {
            r: result,
            sw,
            g: grid,
            source,
        },
        path,
        opts,
    )
}

/// The cost grid: `cost[d][s]`.
struct Grid {
    sizes: Vec<f64>,
    hours: Vec<f64>,
    cost: Vec<Vec<f64>>,
}

impl Grid {
    fn from_table(t: &Table) -> Result<Self, String> {
        let num = |n: &str| t.get_num(n).ok_or_else(|| format!("missing column {n}"));
        let (s, h, c) = (
            num("size_btc")?,
            num("duration_hours")?,
            num("avg_cost_bps")?,
        );
        let mut sizes: Vec<f64> = s.to_vec();
        sizes.sort_by(f64::total_cmp);
        sizes.dedup();
        let mut hours: Vec<f64> = h.to_vec();
        hours.sort_by(f64::total_cmp);
        hours.dedup();
        let mut cost = vec![vec![f64::NAN; sizes.len()]; hours.len()];
        for i in 0..s.len() {
            let si = sizes.partition_point(|&x| x < s[i]);
            let hi = hours.partition_point(|&x| x < h[i]);
            cost[hi][si] = c[i];
        }
        Ok(Self { sizes, hours, cost })
    }
}

/// Viridis, sampled at 6 points and interpolated linearly: `u` in [0, 1].
pub(crate) fn viridis(u: f64) -> RGBColor {
    const P: [(f64, f64, f64); 6] = [
        (68.0, 1.0, 84.0),
        (65.0, 68.0, 135.0),
        (42.0, 120.0, 142.0),
        (34.0, 168.0, 132.0),
        (122.0, 209.0, 81.0),
        (253.0, 231.0, 37.0),
    ];
    let u = u.clamp(0.0, 1.0) * 5.0;
    let i = (u.floor() as usize).min(4);
    let f = u - i as f64;
    let (a, b) = (P[i], P[i + 1]);
    let m = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

/// Contour segments of `level` on the grid (marching squares, linear interpolation in log cost,
/// coordinates in log10 size and log10 hours).
fn contour(g: &Grid, level: f64) -> Vec<[(f64, f64); 2]> {
    let lx: Vec<f64> = g.sizes.iter().map(|v| v.log10()).collect();
    let ly: Vec<f64> = g.hours.iter().map(|v| v.log10()).collect();
    let lv = level.ln();
    let val = |d: usize, s: usize| g.cost[d][s].max(1e-12).ln();
    let mut segs = Vec::new();
    for d in 0..ly.len() - 1 {
        for s in 0..lx.len() - 1 {
            let corners = [(d, s), (d, s + 1), (d + 1, s + 1), (d + 1, s)];
            if corners.iter().any(|&(a, b)| !g.cost[a][b].is_finite()) {
                continue;
            }
            let mut pts = Vec::new();
            for e in 0..4 {
                let (a, b) = (corners[e], corners[(e + 1) % 4]);
                let (va, vb) = (val(a.0, a.1), val(b.0, b.1));
                if (va < lv) != (vb < lv) {
                    let f = (lv - va) / (vb - va);
                    let x = lx[a.1] + (lx[b.1] - lx[a.1]) * f;
                    let y = ly[a.0] + (ly[b.0] - ly[a.0]) * f;
                    pts.push((x, y));
                }
            }
            if pts.len() == 2 {
                segs.push([pts[0], pts[1]]);
            } else if pts.len() == 4 {
                segs.push([pts[0], pts[1]]);
                segs.push([pts[2], pts[3]]);
            }
        }
    }
    segs
}

struct SweepChart<'a> {
    r: &'a BacktestResult,
    sw: &'a SweepResult,
    g: Grid,
    source: &'a str,
}

impl Chart for SweepChart<'_> {
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
        let g = &self.g;
        let flat = heatmap_flat(self.sw, s.size_btc);
        let model = self
            .sw
            .models
            .get(HEATMAP_MODEL)
            .map_or("?", |m| m.name.as_str());
        let real_h = s.duration_days * 24.0;
        // Largest size within each contour at the real duration (interpolated along the size axis).
        let di = (0..g.hours.len())
            .min_by(|&a, &b| {
                (g.hours[a].ln() - real_h.ln())
                    .abs()
                    .total_cmp(&(g.hours[b].ln() - real_h.ln()).abs())
            })
            .unwrap_or(0);
        let at_real: Vec<String> = CONTOUR_BPS
            .iter()
            .filter_map(|&lvl| {
                let row = &g.cost[di];
                (0..row.len() - 1).find_map(|k| {
                    (row[k] <= lvl && row[k + 1] > lvl).then(|| {
                        let f = (lvl.ln() - row[k].ln()) / (row[k + 1].ln() - row[k].ln());
                        let x =
                            (g.sizes[k].ln() + (g.sizes[k + 1].ln() - g.sizes[k].ln()) * f).exp();
                        format!("{lvl:.0} bp: {} BTC", thousands(x, 0))
                    })
                })
            })
            .collect();
        let title = format!(
            "Expected cost of a sale by size and duration ({model} model): over {}, {}",
            blocksale_core::duration_label(g.hours[di].round() as i64 * 3600),
            if at_real.is_empty() {
                "no contour is crossed in the size range".to_string()
            } else {
                format!("the largest size within {}", at_real.join(", "))
            }
        );
        let mut subtitle = vec![format!(
            "Average execution cost against arrival, {} schedule, market state at {} (V = {} BTC/day, sigma = {:.2} %/day); a forecast from the models, not an observation. {}: {} BTC over {}.",
            self.sw.schedule,
            self.sw.start.to_short(),
            thousands(self.sw.market.model_volume_btc, 0),
            self.sw.market.sigma_daily * 100.0,
            crate::text::upper_first(crate::text::sale_name(r)),
            thousands(s.size_btc, 0),
            blocksale_core::duration_label((real_h * 3600.0).round() as i64),
        )];
        if flat {
            subtitle.push(format!(
                "The {model} model's average cost does not depend on the duration (it depends on the cumulative quantity only), so its map is vertical bands; `blocksale sweep --models` draws another model."
            ));
        }
        // The cells outside the model's declared range, per duration row (docs/methods.md §31).
        let ranges: Vec<_> = heatmap_ranges(self.sw).collect();
        let outside: Vec<Vec<bool>> = g
            .hours
            .iter()
            .map(|&h| {
                let row = ranges
                    .iter()
                    .find(|x| x.duration_seconds as f64 / 3600.0 == h);
                g.sizes
                    .iter()
                    .map(|&q| row.is_some_and(|x| !x.inside_btc.is_some_and(|i| i.contains(q))))
                    .collect()
            })
            .collect();
        let mut legend = vec![
            Entry::new(Mark::Cased, "contour of equal cost (labelled, bp)"),
            Entry::new(
                Mark::Dot(style::OBSERVED.to_rgba()),
                crate::text::sale_name(r),
            ),
        ];
        if let Some(basis) = ranges
            .first()
            .filter(|_| outside.iter().flatten().any(|&o| o))
            .map(|x| x.basis.as_str())
        {
            legend.push(Entry::new(
                Mark::Hatch(RGBColor(120, 120, 120)),
                format!("outside the {model} model's declared range ({basis}, docs/methods.md §31): the formula extrapolated"),
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
        let (mw, _) = main.dim_in_pixel();
        let bar_w = o.font(150.0) as u32;
        let (plot, bar) = main.split_horizontally(mw.saturating_sub(bar_w));
        // Cell edges at geometric midpoints.
        let edges = |v: &[f64]| -> Vec<f64> {
            let mut e = vec![v[0] * (v[0] / v[1]).sqrt()];
            e.extend(v.windows(2).map(|w| (w[0] * w[1]).sqrt()));
            let n = v.len();
            e.push(v[n - 1] * (v[n - 1] / v[n - 2]).sqrt());
            e
        };
        let (xe, ye) = (edges(&g.sizes), edges(&g.hours));
        let vals: Vec<f64> = g
            .cost
            .iter()
            .flatten()
            .copied()
            .filter(|v| *v > 0.0)
            .collect();
        let (vmin, vmax) = (
            vals.iter().copied().fold(f64::MAX, f64::min).log10(),
            vals.iter().copied().fold(f64::MIN, f64::max).log10(),
        );
        let u = |v: f64| (v.log10() - vmin) / (vmax - vmin).max(1e-12);
        let mut chart = ChartBuilder::on(&plot)
            .margin_left(o.px(10.0))
            .margin_right(o.px(20.0))
            .margin_top(o.px(10.0))
            .x_label_area_size(o.px(62.0))
            .y_label_area_size(o.px(95.0))
            .build_cartesian_2d(
                (xe[0]..xe[xe.len() - 1]).log_scale(),
                (ye[0]..ye[ye.len() - 1]).log_scale().with_key_points(
                    [
                        1.0, 3.0, 6.0, 12.0, 24.0, 48.0, 96.0, 168.0, 336.0, 720.0, 1440.0,
                    ]
                    .into_iter()
                    .filter(|h| *h >= ye[0] && *h <= ye[ye.len() - 1])
                    .collect::<Vec<f64>>(),
                ),
            )
            .map_err(de)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_label_formatter(&|v| log_tick(*v))
            .y_label_formatter(&|h| blocksale_core::duration_label((h * 3600.0).round() as i64))
            .x_desc("Sale size (BTC, log scale)")
            .y_desc("Duration of the sale (log scale)")
            .label_style((FONT, o.font(size::TICK)))
            .axis_desc_style((FONT, o.font(size::AXIS)))
            .draw()
            .map_err(de)?;
        let mut cells = Vec::new();
        for (d, row) in g.cost.iter().enumerate() {
            for (k, &c) in row.iter().enumerate() {
                let col = if c > 0.0 {
                    viridis(u(c))
                } else {
                    RGBColor(200, 200, 200)
                };
                cells.push(Rectangle::new(
                    [(xe[k], ye[d]), (xe[k + 1], ye[d + 1])],
                    col.filled(),
                ));
            }
        }
        chart.draw_series(cells).map_err(de)?;
        // Hatch each row's runs of cells outside the declared range.
        let base = plot.get_base_pixel();
        for (d, row) in outside.iter().enumerate() {
            let mut k0 = 0;
            for run in row.chunk_by(|a, b| a == b) {
                let k1 = k0 + run.len();
                if run[0] {
                    let (ax, ay) = chart.backend_coord(&(xe[k0], ye[d + 1]));
                    let (bx, by) = chart.backend_coord(&(xe[k1], ye[d]));
                    frame::hatch(
                        &plot,
                        (ax - base.0, ay - base.1),
                        (bx - base.0, by - base.1),
                        o,
                    )?;
                }
                k0 = k1;
            }
        }
        // Contours: white with a dark casing so they read on every cell colour.
        let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
        for &lvl in &CONTOUR_BPS {
            let segs = contour(g, lvl);
            if segs.is_empty() {
                continue;
            }
            let to_lin = |p: (f64, f64)| (10f64.powf(p.0), 10f64.powf(p.1));
            for casing in [true, false] {
                let st = if casing {
                    RGBColor(30, 30, 30).stroke_width(o.px(4.5).max(2))
                } else {
                    WHITE.stroke_width(o.px(2.0).max(1))
                };
                chart
                    .draw_series(
                        segs.iter()
                            .map(|sg| PathElement::new(vec![to_lin(sg[0]), to_lin(sg[1])], st)),
                    )
                    .map_err(de)?;
            }
            // Label at the segment nearest the middle of the duration axis, not on another label.
            let ymid = (g.hours[0].log10() + g.hours[g.hours.len() - 1].log10()) / 2.0;
            let mut order: Vec<&[(f64, f64); 2]> = segs.iter().collect();
            order.sort_by(|a, b| {
                let da = ((a[0].1 + a[1].1) / 2.0 - ymid).abs();
                let db = ((b[0].1 + b[1].1) / 2.0 - ymid).abs();
                da.total_cmp(&db)
            });
            let label = format!("{lvl:.0} bp");
            let st: TextStyle = (FONT, o.font(size::NOTE))
                .into_font()
                .style(FontStyle::Bold)
                .into();
            let w = frame::text_width(&plot, &label, &st)? as i32;
            for sg in order {
                let mid = to_lin(((sg[0].0 + sg[1].0) / 2.0, (sg[0].1 + sg[1].1) / 2.0));
                let (px, py) = chart.backend_coord(&mid);
                let hh = o.font(size::NOTE) as i32;
                let rect = (px - w / 2 - 6, py - hh, px + w / 2 + 6, py + hh);
                if placed.iter().any(|q: &(i32, i32, i32, i32)| {
                    rect.0 < q.2 && q.0 < rect.2 && rect.1 < q.3 && q.1 < rect.3
                }) {
                    continue;
                }
                placed.push(rect);
                let pad = o.font(4.0) as i32;
                let h = o.font(size::NOTE) as i32;
                plot.draw(&Rectangle::new(
                    [
                        (
                            px - w / 2 - pad - plot.get_base_pixel().0,
                            py - h / 2 - pad - plot.get_base_pixel().1,
                        ),
                        (
                            px + w / 2 + pad - plot.get_base_pixel().0,
                            py + h / 2 + pad - plot.get_base_pixel().1,
                        ),
                    ],
                    WHITE.filled(),
                ))
                .map_err(de)?;
                plot.draw(&Text::new(
                    label.clone(),
                    (px - plot.get_base_pixel().0, py - plot.get_base_pixel().1),
                    st.clone()
                        .color(&style::OBSERVED)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                ))
                .map_err(de)?;
                break;
            }
        }
        // The real (or what-if) sale.
        let pt = (s.size_btc, real_h);
        chart
            .draw_series([
                Circle::new(pt, o.font(11.0) as i32, WHITE.filled()),
                Circle::new(pt, o.font(8.0) as i32, style::OBSERVED.filled()),
            ])
            .map_err(de)?;
        let (ppx, ppy) = chart.backend_coord(&pt);
        let lab = format!("{} BTC", thousands(s.size_btc, 0));
        let st: TextStyle = (FONT, o.font(size::NOTE))
            .into_font()
            .style(FontStyle::Bold)
            .into();
        let w = frame::text_width(&plot, &lab, &st)? as i32;
        let (bx, by) = (
            ppx + o.font(16.0) as i32 - plot.get_base_pixel().0,
            ppy - plot.get_base_pixel().1,
        );
        let h = o.font(size::NOTE) as i32;
        let pad = o.font(4.0) as i32;
        plot.draw(&Rectangle::new(
            [
                (bx - pad, by - h / 2 - pad),
                (bx + w + pad, by + h / 2 + pad),
            ],
            WHITE.filled(),
        ))
        .map_err(de)?;
        plot.draw(&Text::new(
            lab,
            (bx, by),
            st.color(&style::OBSERVED)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(de)?;

        // Colour bar.
        let (bw, bh) = bar.dim_in_pixel();
        let top = o.font(10.0) as i32;
        let bottom = bh as i32 - o.font(62.0) as i32;
        let x0 = o.font(20.0) as i32;
        let x1 = x0 + o.font(26.0) as i32;
        let n = 100;
        for i in 0..n {
            let f0 = i as f64 / n as f64;
            let f1 = (i + 1) as f64 / n as f64;
            let y0 = bottom - ((bottom - top) as f64 * f1) as i32;
            let y1 = bottom - ((bottom - top) as f64 * f0) as i32;
            bar.draw(&Rectangle::new(
                [(x0, y0), (x1, y1)],
                viridis((f0 + f1) / 2.0).filled(),
            ))
            .map_err(de)?;
        }
        let ts: TextStyle = (FONT, o.font(size::TICK)).into_font().into();
        let mut ticks: Vec<f64> = vec![];
        let mut t = 10f64.powf(vmin.floor());
        while t <= 10f64.powf(vmax) * 1.0001 {
            for m in [1.0, 2.0, 5.0] {
                let v = t * m;
                if v.log10() >= vmin - 1e-9 && v.log10() <= vmax + 1e-9 {
                    ticks.push(v);
                }
            }
            t *= 10.0;
        }
        for v in ticks {
            let y = bottom - ((bottom - top) as f64 * u(v)) as i32;
            bar.draw(&PathElement::new(
                vec![(x1, y), (x1 + 6, y)],
                style::OBSERVED.stroke_width(1),
            ))
            .map_err(de)?;
            bar.draw(&Text::new(
                log_tick(v),
                (x1 + 9, y),
                ts.clone().pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(de)?;
        }
        let _ = bw;
        bar.draw(&Text::new(
            "cost, bp",
            (x0, bottom + o.font(12.0) as i32),
            (FONT, o.font(size::AXIS))
                .into_font()
                .into_text_style(&bar)
                .pos(Pos::new(HPos::Left, VPos::Top)),
        ))
        .map_err(de)?;
        Ok(())
    }
}

/// This chart in the registry ([`crate::charts::CHARTS`]).
pub(crate) struct SweepDef;

impl ChartDef for SweepDef {
    fn name(&self) -> &'static str {
        "sweep"
    }

    fn tables(&self, input: &ReportInput<'_>) -> Result<Vec<(&'static str, Table)>, ReportError> {
        Ok(input
            .sweep
            .map(|sw| vec![("sweep", sweep_table(sw))])
            .unwrap_or_default())
    }

    fn draw(
        &self,
        report: &Report<'_>,
        tables: &[&Table],
        path: &Path,
        o: &ChartOptions,
    ) -> Result<(), ReportError> {
        let sw = report
            .input()
            .sweep
            .ok_or_else(|| ReportError::Empty("no sweep for sweep.png".into()))?;
        sweep_chart(
            report.input().result,
            sw,
            tables[0],
            &report.lines().price,
            path,
            o,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lum(c: RGBColor) -> f64 {
        0.299 * f64::from(c.0) + 0.587 * f64::from(c.1) + 0.114 * f64::from(c.2)
    }

    #[test]
    fn colour_scale_is_monotone_in_greyscale() {
        let l: Vec<f64> = (0..=50)
            .map(|i| lum(viridis(f64::from(i) / 50.0)))
            .collect();
        assert!(l.windows(2).all(|w| w[1] > w[0]), "{l:?}");
        assert!(l[50] - l[0] > 150.0);
    }

    #[test]
    fn contour_of_a_known_grid() {
        // cost = size / 10 at every duration: the 100 bp contour is the vertical line size = 1000.
        let sizes = vec![100.0, 300.0, 1000.0, 3000.0, 10_000.0];
        let hours = vec![1.0, 10.0, 100.0];
        let cost = hours
            .iter()
            .map(|_| sizes.iter().map(|s| s / 10.0).collect())
            .collect();
        let g = Grid { sizes, hours, cost };
        let segs = contour(&g, 100.0);
        assert_eq!(segs.len(), 2, "one segment per row of cells");
        for s in segs {
            for p in s {
                assert!((p.0 - 3.0).abs() < 1e-12, "{p:?}");
            }
        }
        // A level outside the range has no contour.
        assert!(contour(&g, 5_000.0).is_empty());
    }
}

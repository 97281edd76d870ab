//! The one progress-bar factory: draws to stderr, hidden under `--quiet` or when stderr is not a
//! terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A bar of `len` steps labelled `what`, or a hidden one.
pub fn bar(len: u64, what: &str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
    }
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// A progress callback for the library crates (`done` of `total` steps) drawing on `pb`.
pub fn ticker(pb: &ProgressBar) -> impl Fn(usize, usize) + Sync + '_ {
    move |done: usize, total: usize| {
        pb.set_length(total as u64);
        pb.set_position(done as u64);
    }
}

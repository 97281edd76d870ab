//! `blocksale`: estimate the price impact of a BTC block sale and set it against what the market did.
//!
//! `main` parses the flags, runs one subcommand and maps errors to exit codes: 0 success, 1 internal
//! error, 2 user error (bad input, missing data, invalid flag or scenario value).
#![forbid(unsafe_code)]

mod builtin;
mod cli;
mod cmd;
mod data;
mod error;
mod fetch;
mod hash;
mod manifest;
mod output;
mod progress;
mod read;
mod scenario;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let json_errors = args.wants_json();
    match cmd::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = error::exit_code(&err);
            eprintln!("error: {err:#}");
            if json_errors {
                let doc = serde_json::json!({
                    "error": format!("{err:#}"),
                    "kind": if code == 2 { "user" } else { "internal" },
                });
                // A closed stdout is not worth a second error.
                let _ = output::print_stdout(&format!("{doc}\n"));
            }
            ExitCode::from(code)
        }
    }
}

//! blocksale-report (being built).
#![forbid(unsafe_code)]

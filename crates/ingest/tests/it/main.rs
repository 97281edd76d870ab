//! Integration tests of blocksale-ingest (one test binary).
//!
//! Real data is located through `BLOCKSALE_DATA`, else `../../../shared/data` relative to the crate.
//! When it is missing: with `CI` set the tests panic; otherwise they run on small files they write
//! themselves and say so on stderr.

mod corpus;
mod data;
mod errors;
mod formats;
mod fuzz_regressions;
mod real;
mod resample;

//! blocksale-ingest (being built).
#![forbid(unsafe_code)]

//! Integration tests of blocksale-impact: the EDGE vector T3 on the bidask reference file, property
//! tests over every model and schedule invariant.

mod edge_t3;
mod properties;

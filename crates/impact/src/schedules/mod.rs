//! Execution schedules: how a block is split over the bars of the sale window.
//! Every schedule returns quantities per bar that sum exactly to the block.

mod twap;

pub use twap::twap;

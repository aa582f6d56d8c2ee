//! layout-sim's library: policies on the userspace twin, file populations,
//! the simulation and its reports (docs/layouts.md).

pub mod host;
pub mod policy;
pub mod population;
pub mod report;
pub mod sim;

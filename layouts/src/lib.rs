//! layout-sim's library: policies on the userspace twin, file populations,
//! the simulation and its reports, the policy checker (docs/layouts.md).

pub mod check;
pub mod host;
pub mod policy;
pub mod population;
pub mod report;
pub mod sim;

//! Time as the control plane sees it: berth-aws's injected clock.

pub use berth_aws::clock::{Clock, FixedClock, SystemClock};

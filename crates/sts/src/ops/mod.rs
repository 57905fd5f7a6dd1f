//! The operations, one module per concern.

mod identity;

//! Storage built for log volume: events never enter the record table. Each log group has a
//! directory of append-only segment files; a PutLogEvents batch is one chunk appended to
//! its group's active segment and made durable (group fsync across concurrent calls)
//! before the call answers. Memory holds one index entry per chunk ([`index`]), so it stays
//! small whatever the volume; reads fetch chunk bodies from the files. Retention and
//! deletion drop chunks from the index and delete a segment once none of its chunks is live.
//! At start the segments are scanned (headers only) and a torn tail is cut off.

mod chunk;
mod index;
mod scan;
mod store;
mod sync;

pub use chunk::Event;
pub use scan::{Direction, Position, Window};
pub use store::{EventStore, StreamStats};

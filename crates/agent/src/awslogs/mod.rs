//! The `awslogs` log driver, done by the agent: a container whose logConfiguration names
//! awslogs keeps Docker's json-file driver (so it never waits for Berth, and the file on disk
//! is the buffer), and the agent follows its output through the Engine and ships it to the
//! CloudWatch Logs service on Berth's endpoint with PutLogEvents.
//!
//! - [`options`]: the driver's options, validated, and the stream name (pure);
//! - [`datetime`]: `awslogs-datetime-format` as a pattern (pure);
//! - [`assemble`]: lines → events by the multiline rules (pure);
//! - [`batch`]: events → PutLogEvents batches within the service's limits (pure);
//! - [`cursor`]: the last acknowledged line per container, on disk;
//! - [`sink`]: the [`LogSink`] trait and the real CloudWatch Logs client; [`fake`]: a
//!   recording one for tests;
//! - [`ship`]: before the container starts, [`prepare`] (group, stream); after, one
//!   [`Shipper`] per container.

pub mod assemble;
pub mod batch;
pub mod cursor;
pub mod datetime;
pub mod fake;
pub mod options;
pub mod ship;
pub mod sink;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use berth_ecs_model::shapes::ContainerDefinition;

pub use cursor::CursorFile;
pub use options::{Options, OptionsError};
pub use ship::{prepare, Prepared, ShipSettings, Shipper, ShipperTask, Target};
pub use sink::{CloudWatchLogs, LogEvent, LogSink, SinkError};

/// The log driver name in a container definition.
pub const DRIVER: &str = "awslogs";

/// What the agent's shippers share.
pub struct Shipping {
    pub sink: Arc<dyn LogSink>,
    pub settings: ShipSettings,
    /// Cursor files: `<data dir>/awslogs/`.
    pub cursor_dir: PathBuf,
}

impl Shipping {
    pub fn new(sink: Arc<dyn LogSink>, data_dir: &Path) -> Self {
        Shipping {
            sink,
            settings: ShipSettings::default(),
            cursor_dir: data_dir.join("awslogs"),
        }
    }

    pub fn cursor(&self, container_id: &str) -> CursorFile {
        CursorFile::new(&self.cursor_dir, container_id)
    }
}

/// The container's awslogs options: `None` when it does not log with awslogs.
pub fn options_of(def: &ContainerDefinition) -> Option<Result<Options, OptionsError>> {
    let log = def.log_configuration.as_ref()?;
    if log.log_driver.as_ref().map(|d| d.as_str()) != Some(DRIVER) {
        return None;
    }
    let options: HashMap<String, String> = log
        .options
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Some(Options::parse(&options))
}

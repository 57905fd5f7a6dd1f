//! `berth sealing-key rotate`: a new current key in the ring that seals secret values at
//! rest. The server reads the ring when it starts; after a restart it seals new values with
//! the new key and re-seals the stored ones in the background.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

/// The key ring's file name in a data directory.
pub const DEFAULT_FILE: &str = "sealing.keys";

#[derive(Args)]
pub struct SealingKeyArgs {
    #[command(subcommand)]
    command: SealingKeyCommand,
}

#[derive(Subcommand)]
enum SealingKeyCommand {
    /// Adds a new current key; restart the server to use it.
    Rotate(RingArgs),
    /// Lists the ring's key ids (never the keys), the current one last.
    List(RingArgs),
}

#[derive(Args)]
struct RingArgs {
    /// The key ring file (default: sealing.keys in the data directory).
    #[arg(long, env = "BERTH_SEALING_KEY_FILE")]
    file: Option<PathBuf>,
    /// The data directory whose key ring it is.
    #[arg(long, env = "BERTH_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

impl RingArgs {
    fn path(&self) -> Result<PathBuf> {
        match (&self.file, &self.data_dir) {
            (Some(f), _) => Ok(f.clone()),
            (None, Some(d)) => Ok(d.join(DEFAULT_FILE)),
            (None, None) => anyhow::bail!("name the key ring with --file or --data-dir"),
        }
    }
}

pub fn run(args: SealingKeyArgs) -> Result<()> {
    match args.command {
        SealingKeyCommand::Rotate(r) => {
            let path = r.path()?;
            let id = berth_sealing::KeyRing::rotate(&path)
                .with_context(|| format!("rotating the key ring {}", path.display()))?;
            println!("{id}");
            eprintln!(
                "key {id} added to {}; restart the server to seal with it",
                path.display()
            );
        }
        SealingKeyCommand::List(r) => {
            let path = r.path()?;
            let ring = berth_sealing::KeyRing::load(&path)
                .with_context(|| format!("reading the key ring {}", path.display()))?;
            for id in ring.ids() {
                println!("{id}");
            }
        }
    }
    Ok(())
}

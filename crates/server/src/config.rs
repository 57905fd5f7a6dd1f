//! What a server needs to start: where to listen, where to keep state, who may call it.

use std::net::SocketAddr;
use std::path::PathBuf;

/// An access key the server accepts, and the account its requests act in.
#[derive(Clone, Debug)]
pub struct Credential {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account_id: String,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub region: String,
    pub credentials: Vec<Credential>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Seconds without a poll after which an agent counts as disconnected.
    pub agent_timeout_secs: f64,
    /// Seconds a STOPPED task stays describable.
    pub task_retention_secs: f64,
}

impl Config {
    /// The single-node defaults: key `test` / secret `test`, account 000000000000, us-east-1.
    pub fn dev(listen: SocketAddr, data_dir: PathBuf) -> Self {
        Config {
            listen,
            data_dir,
            region: "us-east-1".into(),
            credentials: vec![Credential {
                access_key_id: "test".into(),
                secret_access_key: "test".into(),
                account_id: "000000000000".into(),
            }],
            max_body_bytes: 1024 * 1024,
            agent_timeout_secs: 60.0,
            task_retention_secs: 3600.0,
        }
    }
}

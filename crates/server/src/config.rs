//! What a server needs to start: where to listen, which region it is, who may call it.

use std::net::SocketAddr;

/// An access key the server accepts, and the account its requests act in.
#[derive(Clone, Debug)]
pub struct Credential {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account_id: String,
}

/// The account of a caller whose key names none (`berth dev`'s open mode).
pub const DEFAULT_ACCOUNT: &str = "000000000000";

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub region: String,
    pub credentials: Vec<Credential>,
    /// Accept any access key (as local AWS emulators do): a 12-digit key id acts in that
    /// account, any other in [`DEFAULT_ACCOUNT`]; a configured key's signature is still
    /// checked. Off (`berth server`, `berth dev --strict-auth`): unknown keys are refused.
    pub open_auth: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Config {
    /// The single-node defaults: any key accepted (and `test`/`test` configured, account
    /// 000000000000), us-east-1.
    pub fn dev(listen: SocketAddr) -> Self {
        Config {
            listen,
            region: "us-east-1".into(),
            credentials: vec![Credential {
                access_key_id: "test".into(),
                secret_access_key: "test".into(),
                account_id: DEFAULT_ACCOUNT.into(),
            }],
            open_auth: true,
            max_body_bytes: 1024 * 1024,
        }
    }

    /// A server's defaults: only the given keys.
    pub fn strict(listen: SocketAddr, credentials: Vec<Credential>) -> Self {
        Config {
            credentials,
            open_auth: false,
            ..Config::dev(listen)
        }
    }
}

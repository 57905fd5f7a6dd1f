//! Which service and operation a request is for, and in which protocol it came.
//!
//! In order: OCI registry paths (`/v2/…`, reserved for the registry); `X-Amz-Target`
//! (AWS JSON 1.0/1.1) by its prefix; `/service/<Service>/operation/<Op>` with
//! `smithy-protocol: rpc-v2-cbor`; a form body with `Action=` (AWS Query) by the credential
//! scope's service. Each service declares its prefixes and signing name; a request for
//! nothing served gets an error in the protocol it spoke.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::HeaderMap;
use berth_aws::protocol::{query, Protocol};
use berth_aws::service::{Exec, Service};
use berth_aws::AwsError;

/// The protocol a request arrived in, as far as the error for it must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    Json,
    Cbor,
    Query,
    Registry,
}

/// A routed request.
pub struct Routed {
    pub service: Arc<dyn Service>,
    pub prefix: String,
    pub op: String,
    pub exec: Exec,
}

/// The services a server hosts, by target prefix.
pub struct ServiceTable {
    services: Vec<Arc<dyn Service>>,
    by_prefix: HashMap<&'static str, usize>,
    /// Services that speak AWS Query, by signing name.
    by_signing_name: HashMap<&'static str, usize>,
}

impl ServiceTable {
    pub fn new(services: Vec<Arc<dyn Service>>) -> Self {
        let mut by_prefix = HashMap::new();
        let mut by_signing_name = HashMap::new();
        for (i, s) in services.iter().enumerate() {
            for p in s.info().target_prefixes {
                by_prefix.insert(*p, i);
            }
            if s.info().protocol == Protocol::Query {
                by_signing_name.insert(s.info().signing_name, i);
            }
        }
        ServiceTable {
            services,
            by_prefix,
            by_signing_name,
        }
    }

    pub fn services(&self) -> &[Arc<dyn Service>] {
        &self.services
    }

    /// The protocol of a request, before it is routed (its errors are rendered in it).
    pub fn wire_of(path: &str, headers: &HeaderMap) -> Wire {
        if path == "/v2" || path.starts_with("/v2/") {
            Wire::Registry
        } else if headers.contains_key("x-amz-target") {
            Wire::Json
        } else if header(headers, "smithy-protocol") == Some("rpc-v2-cbor") {
            Wire::Cbor
        } else if header(headers, "content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        {
            Wire::Query
        } else {
            Wire::Json
        }
    }

    /// Routes a request that arrived as `wire`.
    pub fn route(&self, wire: Wire, path: &str, headers: &HeaderMap) -> Result<Routed, AwsError> {
        match wire {
            Wire::Json => {
                let Some(target) = header(headers, "x-amz-target") else {
                    return Err(AwsError::unknown_operation(
                        "(the request has no X-Amz-Target header naming an operation)",
                    ));
                };
                let (prefix, op) = target
                    .split_once('.')
                    .ok_or_else(|| AwsError::unknown_operation(target))?;
                let service = self
                    .by_prefix
                    .get(prefix)
                    .and_then(|i| self.services.get(*i))
                    .ok_or_else(|| AwsError::unknown_operation(target))?;
                let exec = service
                    .exec(prefix, op)
                    .ok_or_else(|| AwsError::unknown_operation(target))?;
                Ok(Routed {
                    service: service.clone(),
                    prefix: prefix.to_owned(),
                    op: op.to_owned(),
                    exec,
                })
            }
            Wire::Cbor => {
                let unknown = || AwsError::unknown_operation(path);
                let (prefix, op) = path
                    .strip_prefix("/service/")
                    .and_then(|rest| rest.split_once("/operation/"))
                    .filter(|(p, o)| !p.is_empty() && !o.is_empty() && !o.contains('/'))
                    .ok_or_else(unknown)?;
                let service = self
                    .by_prefix
                    .get(prefix)
                    .and_then(|i| self.services.get(*i))
                    .filter(|s| s.schema().is_some())
                    .ok_or_else(unknown)?;
                let exec = service.exec(prefix, op).ok_or_else(unknown)?;
                Ok(Routed {
                    service: service.clone(),
                    prefix: prefix.to_owned(),
                    op: op.to_owned(),
                    exec,
                })
            }
            // Routed once the body is read and the caller authenticated
            // ([`ServiceTable::route_query`]): the service is the credential scope's, the
            // operation the body's `Action`.
            Wire::Query => Err(AwsError::new(
                400,
                "InvalidAction",
                "An AWS Query request is routed by its credential scope.",
            )),
            Wire::Registry => Err(AwsError::new(
                404,
                "UNSUPPORTED",
                "The image registry is not served on this endpoint yet.",
            )),
        }
    }
}

impl ServiceTable {
    /// The region the clients of the service signing as `signing_name` sign with, if it is
    /// not the endpoint's.
    pub fn signing_region(&self, signing_name: &str) -> Option<&'static str> {
        self.services
            .iter()
            .find(|s| s.info().signing_name == signing_name)
            .and_then(|s| s.info().signing_region)
    }

    /// Routes an AWS Query request signed for `signing_name`: its service, and the operation
    /// and input document its form body names (the body the service is handed is that
    /// document's JSON).
    pub fn route_query(
        &self,
        signing_name: &str,
        body: &[u8],
    ) -> Result<(Routed, Vec<u8>), AwsError> {
        let service = self
            .by_signing_name
            .get(signing_name)
            .and_then(|i| self.services.get(*i))
            .ok_or_else(|| {
                AwsError::new(
                    400,
                    "InvalidAction",
                    format!("No service on this endpoint answers AWS Query requests for '{signing_name}'."),
                )
            })?;
        let schema = service
            .schema()
            .ok_or_else(|| AwsError::server("the service has no schema for AWS Query"))?;
        let (action, doc) = query::parse_request(body, schema)?;
        let exec = service.exec("", &action).ok_or_else(|| {
            AwsError::new(
                400,
                "InvalidAction",
                format!("The action {action} is not valid for this web service."),
            )
        })?;
        let json = serde_json::to_vec(&doc)
            .map_err(|e| AwsError::server(format!("encoding the request document: {e}")))?;
        Ok((
            Routed {
                service: service.clone(),
                prefix: String::new(),
                op: action,
                exec,
            },
            json,
        ))
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

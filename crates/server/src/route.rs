//! Which service and operation a request is for, and in which protocol it came.
//!
//! In order: OCI registry paths (`/v2/…`, reserved for the registry); `X-Amz-Target`
//! (AWS JSON 1.0/1.1) by its prefix; `/service/<Service>/operation/<Op>` with
//! `smithy-protocol: rpc-v2-cbor`; a form body with `Action=` (AWS Query, or AWS's `ec2`
//! protocol when the credential scope names a service that speaks it) by the credential
//! scope's service. Each service declares its prefixes and signing name; a request for
//! nothing served gets an error in the protocol it spoke.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{HeaderMap, Uri};
use berth_aws::protocol::{ec2, query, Protocol};
use berth_aws::service::{Exec, Service};
use berth_aws::AwsError;

/// The protocol a request arrived in, as far as the error for it must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    Json,
    Cbor,
    Query,
    /// A form body signed for a service that speaks AWS's `ec2` protocol.
    Ec2,
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
    /// Services that speak AWS Query or `ec2`, by signing name.
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
            if matches!(s.info().protocol, Protocol::Query | Protocol::Ec2) {
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

    /// The protocol of a request, before it is routed (its errors are rendered in it). A
    /// form body is AWS Query's unless its credential scope (read, not verified) names a
    /// service that speaks `ec2`.
    pub fn wire_of(&self, method: &str, uri: &Uri, headers: &HeaderMap) -> Wire {
        let path = uri.path();
        if path == "/v2" || path.starts_with("/v2/") {
            Wire::Registry
        } else if headers.contains_key("x-amz-target") {
            Wire::Json
        } else if header(headers, "smithy-protocol") == Some("rpc-v2-cbor") {
            Wire::Cbor
        } else if header(headers, "content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        {
            let req = berth_sigv4::Request {
                method,
                path,
                query: uri.query(),
                headers,
                body: &[],
            };
            let scope = berth_sigv4::credential_scope(&req);
            match scope.and_then(|s| self.query_service(&s.service)) {
                Some(s) if s.info().protocol == Protocol::Ec2 => Wire::Ec2,
                _ => Wire::Query,
            }
        } else {
            Wire::Json
        }
    }

    /// The service answering AWS Query (or `ec2`) requests signed for `signing_name`.
    fn query_service(&self, signing_name: &str) -> Option<&Arc<dyn Service>> {
        self.by_signing_name
            .get(signing_name)
            .and_then(|i| self.services.get(*i))
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
            Wire::Query | Wire::Ec2 => Err(AwsError::new(
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

    /// Routes an AWS Query (or `ec2`) request signed for `signing_name`: its service, and the
    /// operation and input document its form body names, read in the service's protocol (the
    /// body the service is handed is that document's JSON).
    pub fn route_query(
        &self,
        signing_name: &str,
        body: &[u8],
    ) -> Result<(Routed, Vec<u8>), AwsError> {
        let service = self.query_service(signing_name).ok_or_else(|| {
            AwsError::new(
                400,
                "InvalidAction",
                format!(
                    "No service on this endpoint answers AWS Query requests for '{signing_name}'."
                ),
            )
        })?;
        let schema = service
            .schema()
            .ok_or_else(|| AwsError::server("the service has no schema for AWS Query"))?;
        let (action, doc) = match service.info().protocol {
            Protocol::Ec2 => ec2::parse_request(body, schema)?,
            _ => query::parse_request(body, schema)?,
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use berth_aws::service::{Call, ServiceInfo};
    use berth_commit::{Lock, Staged};

    struct Fake(ServiceInfo);

    impl Service for Fake {
        fn info(&self) -> &ServiceInfo {
            &self.0
        }
        fn exec(&self, _prefix: &str, _op: &str) -> Option<Exec> {
            Some(Exec::Blocking)
        }
        fn call(&self, _call: &Call, _lock: Lock) -> Result<Staged<Vec<u8>>, AwsError> {
            Ok(Staged::settled(Vec::new()))
        }
    }

    fn service(signing_name: &'static str, protocol: Protocol) -> Arc<dyn Service> {
        Arc::new(Fake(ServiceInfo {
            name: signing_name,
            signing_name,
            protocol,
            target_prefixes: &[],
            query_compatible: false,
            max_body_bytes: None,
            signing_region: None,
        }))
    }

    fn form_signed_for(service: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .expect("header"),
        );
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/{service}/aws4_request, \
             SignedHeaders=host, Signature=00"
        );
        h.insert("authorization", auth.parse().expect("header"));
        h
    }

    #[test]
    fn a_form_is_ec2s_when_its_scope_names_a_service_speaking_ec2() {
        let table = ServiceTable::new(vec![
            service("sts", Protocol::Query),
            service("ec2", Protocol::Ec2),
        ]);
        let uri: Uri = "/".parse().expect("uri");
        let wire = |h: &HeaderMap| table.wire_of("POST", &uri, h);
        assert_eq!(wire(&form_signed_for("ec2")), Wire::Ec2);
        assert_eq!(wire(&form_signed_for("sts")), Wire::Query);
        assert_eq!(wire(&form_signed_for("nothing")), Wire::Query);
        let mut unsigned = form_signed_for("ec2");
        unsigned.remove("authorization");
        assert_eq!(wire(&unsigned), Wire::Query);
        // A service without a schema cannot be transcoded to: a server fault, not a panic.
        let e = table.route_query("ec2", b"Action=Anything").err();
        assert_eq!(e.map(|e| e.status), Some(500));
        let e = table.route_query("nothing", b"Action=Anything").err();
        assert_eq!(e.map(|e| e.code), Some("InvalidAction".into()));
    }
}

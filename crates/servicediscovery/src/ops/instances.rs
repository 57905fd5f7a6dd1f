//! RegisterInstance, DeregisterInstance, GetInstance, ListInstances,
//! GetInstancesHealthStatus, UpdateInstanceCustomHealthStatus.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use berth_aws::RequestContext;
use berth_servicediscovery_model::shapes::*;

use super::{find_service, page, page_size, record_operation, Empty};
use crate::error::{CloudMapError, Result};
use crate::records::{instance_key, InstanceRec, ServiceRec};
use crate::CloudMap;

/// Instances a service may have.
const MAX_INSTANCES: usize = 1000;
/// Attributes an instance may have.
const MAX_ATTRIBUTES: usize = 30;

use super::instance_attrs::{CNAME, IPV4, IPV6, PORT};
const ALIAS: &str = "AWS_ALIAS_DNS_NAME";
const INIT_HEALTH: &str = "AWS_INIT_HEALTH_STATUS";

fn instance_not_found(id: &str, service: &str) -> CloudMapError {
    CloudMapError::InstanceNotFound(format!("Instance {id} not found in service {service}."))
}

/// An instance id: 1 to 64 of letters, digits and `_/:.@-`.
fn check_instance_id(id: &str) -> Result<()> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "_/:.@-".contains(c);
    if id.is_empty() || id.len() > 64 || !id.chars().all(ok) {
        return Err(CloudMapError::invalid(format!(
            "InstanceId '{id}' is not valid: 1 to 64 letters, digits and _/:.@-."
        )));
    }
    Ok(())
}

/// The attributes the service's records need, each well formed; answers the initial health.
fn check_attributes(s: &ServiceRec, attrs: &BTreeMap<String, String>) -> Result<Option<String>> {
    if attrs.len() > MAX_ATTRIBUTES {
        return Err(CloudMapError::invalid(format!(
            "An instance can have at most {MAX_ATTRIBUTES} attributes."
        )));
    }
    for (k, v) in attrs {
        let printable = |c: char| ('!'..='~').contains(&c);
        if k.is_empty() || k.len() > 255 || !k.chars().all(printable) {
            return Err(CloudMapError::invalid(format!(
                "Attribute key '{k}' is not valid."
            )));
        }
        if v.len() > 1024 || v.starts_with([' ', '\t']) || v.ends_with([' ', '\t']) {
            return Err(CloudMapError::invalid(format!(
                "The value of attribute {k} is not valid."
            )));
        }
    }
    if let Some(v) = attrs.get(IPV4) {
        if v.parse::<Ipv4Addr>().is_err() {
            return Err(CloudMapError::invalid(format!(
                "{IPV4} '{v}' is not an IPv4 address."
            )));
        }
    }
    if let Some(v) = attrs.get(IPV6) {
        if v.parse::<Ipv6Addr>().is_err() {
            return Err(CloudMapError::invalid(format!(
                "{IPV6} '{v}' is not an IPv6 address."
            )));
        }
    }
    if let Some(v) = attrs.get(PORT) {
        if !v.parse::<u16>().is_ok_and(|p| p > 0) {
            return Err(CloudMapError::invalid(format!(
                "{PORT} '{v}' is not a port (1 to 65535)."
            )));
        }
    }
    let has = |k: &str| attrs.contains_key(k);
    for r in &s.dns_records {
        let missing = match r.kind.as_str() {
            "A" => !has(IPV4) && !has(ALIAS),
            "AAAA" => !has(IPV6) && !has(ALIAS),
            "SRV" => !has(PORT) || (!has(IPV4) && !has(IPV6)),
            "CNAME" => !has(CNAME),
            _ => false,
        };
        if missing {
            let needs = match r.kind.as_str() {
                "A" => IPV4.to_owned(),
                "AAAA" => IPV6.to_owned(),
                "SRV" => format!("{PORT} and {IPV4} or {IPV6}"),
                _ => CNAME.to_owned(),
            };
            return Err(CloudMapError::invalid(format!(
                "Service {} has {} records: the instance needs {needs}.",
                s.id, r.kind
            )));
        }
    }
    match attrs.get(INIT_HEALTH).map(String::as_str) {
        None => Ok(None),
        Some(_) if s.custom_health.is_none() => Err(CloudMapError::invalid(format!(
            "{INIT_HEALTH} is only valid for a service with HealthCheckCustomConfig."
        ))),
        Some(h @ ("HEALTHY" | "UNHEALTHY")) => Ok(Some(h.to_owned())),
        Some(h) => Err(CloudMapError::invalid(format!(
            "{INIT_HEALTH} must be HEALTHY or UNHEALTHY, not '{h}'."
        ))),
    }
}

/// The health an instance starts with: custom checks start as asked (HEALTHY unless told),
/// Route 53 checks are taken as passing (Berth does not probe), no check is UNKNOWN.
fn initial_health(s: &ServiceRec, asked: Option<String>) -> String {
    match (s.custom_health.is_some(), s.health_check.is_some()) {
        (true, _) => asked.unwrap_or_else(|| "HEALTHY".into()),
        (false, true) => "HEALTHY".into(),
        (false, false) => "UNKNOWN".into(),
    }
}

impl CloudMap {
    pub(crate) fn register_instance(
        &self,
        ctx: &RequestContext,
        req: RegisterInstanceRequest,
    ) -> Result<RegisterInstanceResponse> {
        let text = req.service_id.clone().unwrap_or_default();
        let id = req.instance_id.clone().unwrap_or_default();
        check_instance_id(&id)?;
        let attrs = req.attributes.clone().unwrap_or_default();
        let token = req.creator_request_id.clone();
        let now = self.now();
        let op = self.db.write(|tx| {
            let s = find_service(tx.state, ctx, &text)?;
            let asked = check_attributes(&s, &attrs)?;
            let k = instance_key(&ctx.account, &s.id, &id);
            let old = tx.state.instances.get(&k).cloned();
            if let Some(old) = &old {
                // A retried call changes nothing and answers its operation again.
                if token.is_some() && old.creator_request_id == token && old.attributes == attrs {
                    return Ok(old.operation.clone());
                }
            } else if tx.state.instances_of(&ctx.account, &s.id).count() >= MAX_INSTANCES {
                return Err(CloudMapError::ResourceLimitExceeded(format!(
                    "A service can have at most {MAX_INSTANCES} instances."
                )));
            }
            let health = match (&old, &asked) {
                (Some(o), None) if s.custom_health.is_some() => o.health.clone(),
                _ => initial_health(&s, asked),
            };
            let op = record_operation(
                tx,
                ctx,
                "REGISTER_INSTANCE",
                &[("SERVICE", &s.id), ("INSTANCE", &id)],
                token.as_deref(),
                now,
            )?;
            tx.put(InstanceRec {
                account: ctx.account.clone(),
                service_id: s.id.clone(),
                id: id.clone(),
                attributes: attrs.clone(),
                creator_request_id: token.clone(),
                health,
                registered: old.as_ref().map_or(now, |o| o.registered),
                operation: op.clone(),
            })?;
            let mut changed = (*s).clone();
            changed.revision += 1;
            changed.instance_count += i64::from(old.is_none());
            tx.put(changed)?;
            Ok(op)
        })?;
        Ok(RegisterInstanceResponse {
            operation_id: Some(op),
        })
    }

    pub(crate) fn deregister_instance(
        &self,
        ctx: &RequestContext,
        req: DeregisterInstanceRequest,
    ) -> Result<DeregisterInstanceResponse> {
        let text = req.service_id.unwrap_or_default();
        let id = req.instance_id.unwrap_or_default();
        let now = self.now();
        let op = self.db.write(|tx| {
            let s = find_service(tx.state, ctx, &text)?;
            let k = instance_key(&ctx.account, &s.id, &id);
            if !tx.state.instances.contains_key(&k) {
                return Err(instance_not_found(&id, &s.id));
            }
            tx.delete::<InstanceRec>(&k);
            let mut changed = (*s).clone();
            changed.revision += 1;
            changed.instance_count = (changed.instance_count - 1).max(0);
            tx.put(changed)?;
            record_operation(
                tx,
                ctx,
                "DEREGISTER_INSTANCE",
                &[("SERVICE", &s.id), ("INSTANCE", &id)],
                None,
                now,
            )
        })?;
        Ok(DeregisterInstanceResponse {
            operation_id: Some(op),
        })
    }

    pub(crate) fn get_instance(
        &self,
        ctx: &RequestContext,
        req: GetInstanceRequest,
    ) -> Result<GetInstanceResponse> {
        let state = self.db.snapshot();
        let s = find_service(&state, ctx, req.service_id.as_deref().unwrap_or_default())?;
        let id = req.instance_id.unwrap_or_default();
        let i = state
            .instances
            .get(&instance_key(&ctx.account, &s.id, &id))
            .ok_or_else(|| instance_not_found(&id, &s.id))?;
        Ok(GetInstanceResponse {
            resource_owner: Some(s.account.clone()),
            instance: Some(Instance {
                id: Some(i.id.clone()),
                creator_request_id: i.creator_request_id.clone(),
                attributes: Some(i.attributes.clone()),
                created_by_account: Some(i.account.clone()),
            }),
        })
    }

    pub(crate) fn list_instances(
        &self,
        ctx: &RequestContext,
        req: ListInstancesRequest,
    ) -> Result<ListInstancesResponse> {
        let size = page_size(req.max_results)?;
        let state = self.db.snapshot();
        let s = find_service(&state, ctx, req.service_id.as_deref().unwrap_or_default())?;
        let page = page(
            state
                .instances_of(&ctx.account, &s.id)
                .map(|i| (i.id.clone(), i)),
            req.next_token.as_deref(),
            size,
        )?;
        Ok(ListInstancesResponse {
            resource_owner: Some(s.account.clone()),
            instances: Some(
                page.items
                    .iter()
                    .map(|i| InstanceSummary {
                        id: Some(i.id.clone()),
                        attributes: Some(i.attributes.clone()),
                        created_by_account: Some(i.account.clone()),
                    })
                    .collect(),
            ),
            next_token: page.next_token,
        })
    }

    pub(crate) fn get_instances_health_status(
        &self,
        ctx: &RequestContext,
        req: GetInstancesHealthStatusRequest,
    ) -> Result<GetInstancesHealthStatusResponse> {
        let size = page_size(req.max_results)?;
        let state = self.db.snapshot();
        let s = find_service(&state, ctx, req.service_id.as_deref().unwrap_or_default())?;
        let mut chosen = Vec::new();
        match &req.instances {
            Some(ids) => {
                for id in ids {
                    let i = state
                        .instances
                        .get(&instance_key(&ctx.account, &s.id, id))
                        .ok_or_else(|| instance_not_found(id, &s.id))?;
                    chosen.push(i.clone());
                }
                chosen.sort_by(|a, b| a.id.cmp(&b.id));
                chosen.dedup_by(|a, b| a.id == b.id);
            }
            None => chosen.extend(state.instances_of(&ctx.account, &s.id).cloned()),
        }
        let page = page(
            chosen.into_iter().map(|i| (i.id.clone(), i)),
            req.next_token.as_deref(),
            size,
        )?;
        Ok(GetInstancesHealthStatusResponse {
            status: Some(
                page.items
                    .iter()
                    .map(|i| (i.id.clone(), HealthStatus::parse(&i.health)))
                    .collect(),
            ),
            next_token: page.next_token,
        })
    }

    pub(crate) fn update_instance_custom_health_status(
        &self,
        ctx: &RequestContext,
        req: UpdateInstanceCustomHealthStatusRequest,
    ) -> Result<Empty> {
        let text = req.service_id.unwrap_or_default();
        let id = req.instance_id.unwrap_or_default();
        let status = req
            .status
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        self.db.write(|tx| {
            let s = find_service(tx.state, ctx, &text)?;
            let k = instance_key(&ctx.account, &s.id, &id);
            let i = tx
                .state
                .instances
                .get(&k)
                .cloned()
                .ok_or_else(|| instance_not_found(&id, &s.id))?;
            if s.custom_health.is_none() {
                return Err(CloudMapError::CustomHealthNotFound(format!(
                    "Service {} has no custom health check (HealthCheckCustomConfig).",
                    s.id
                )));
            }
            if i.health == status {
                return Ok(());
            }
            let mut changed = (*i).clone();
            changed.health = status.clone();
            tx.put(changed)?;
            let mut svc = (*s).clone();
            svc.revision += 1;
            tx.put(svc)?;
            Ok(())
        })?;
        Ok(Empty {})
    }
}

impl CloudMap {
    /// The instances of service `service` (id or ARN) with their attributes, for callers in
    /// the process (ECS's service registries).
    pub fn instance_attributes(
        &self,
        ctx: &RequestContext,
        service: &str,
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
        let state = self.db.snapshot();
        let s = find_service(&state, ctx, service)?;
        Ok(state
            .instances_of(&ctx.account, &s.id)
            .map(|i| (i.id.clone(), i.attributes.clone()))
            .collect())
    }
}

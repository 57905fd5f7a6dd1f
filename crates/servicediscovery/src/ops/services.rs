//! CreateService, GetService, ListServices, UpdateService, DeleteService and the service
//! attributes.

use std::collections::BTreeMap;

use berth_aws::RequestContext;
use berth_servicediscovery_model::shapes::*;

use super::filters::check;
use super::tags::check_tags;
use super::{
    arn_of, check_ttl, dns_label, find_namespace, find_service, new_id, page, page_size,
    record_operation, Empty,
};
use crate::error::{CloudMapError, Result};
use crate::records::{key, DnsRecordRec, HealthCheckRec, ServiceRec};
use crate::CloudMap;

/// Services a namespace may have.
const MAX_SERVICES: usize = 10_000;
/// Attributes a service may have.
const MAX_SERVICE_ATTRIBUTES: usize = 30;

/// A service's name: DNS labels (letters, digits, `-`, `_`), at most 127 characters.
fn check_service_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 127 || !name.split('.').all(dns_label) {
        return Err(CloudMapError::invalid(format!(
            "Service name '{name}' is not valid: DNS labels of letters, digits, hyphens and underscores, at most 127 characters."
        )));
    }
    Ok(())
}

/// A DnsConfig's records: each type once; CNAME alone and only with WEIGHTED routing.
fn check_records(records: &[DnsRecord], routing: &str) -> Result<Vec<DnsRecordRec>> {
    if records.is_empty() {
        return Err(CloudMapError::invalid(
            "DnsRecords must name at least one record.",
        ));
    }
    let mut out: Vec<DnsRecordRec> = Vec::new();
    for r in records {
        let kind = r.r#type.as_ref().map(|t| t.as_str()).unwrap_or_default();
        if out.iter().any(|o| o.kind == kind) {
            return Err(CloudMapError::invalid(format!(
                "DnsRecords names type {kind} twice."
            )));
        }
        out.push(DnsRecordRec {
            kind: kind.to_owned(),
            ttl: check_ttl(r.ttl, &format!("Record {kind}"))?,
        });
    }
    if out.iter().any(|r| r.kind == "CNAME") {
        if out.len() > 1 {
            return Err(CloudMapError::invalid(
                "A CNAME record can't be combined with other record types.",
            ));
        }
        if routing != "WEIGHTED" {
            return Err(CloudMapError::invalid(
                "A CNAME record is only valid with the WEIGHTED routing policy.",
            ));
        }
    }
    Ok(out)
}

fn health_check(c: &HealthCheckConfig) -> Result<HealthCheckRec> {
    let kind = c.r#type.as_ref().map(|t| t.as_str()).unwrap_or("HTTP");
    if kind == "TCP" && c.resource_path.is_some() {
        return Err(CloudMapError::invalid(
            "ResourcePath is only valid for HTTP and HTTPS health checks.",
        ));
    }
    if let Some(t) = c.failure_threshold {
        if !(1..=10).contains(&t) {
            return Err(CloudMapError::invalid(
                "FailureThreshold must be between 1 and 10.",
            ));
        }
    }
    Ok(HealthCheckRec {
        kind: kind.to_owned(),
        resource_path: c.resource_path.clone(),
        failure_threshold: c.failure_threshold,
    })
}

pub(crate) fn service_view(s: &ServiceRec) -> Service {
    Service {
        id: Some(s.id.clone()),
        arn: Some(s.arn.clone()),
        resource_owner: Some(s.account.clone()),
        name: Some(s.name.clone()),
        namespace_id: Some(s.namespace_id.clone()),
        description: s.description.clone(),
        instance_count: Some(i32::try_from(s.instance_count).unwrap_or(i32::MAX)),
        dns_config: dns_config(s),
        r#type: Some(ServiceType::parse(&s.kind)),
        health_check_config: s.health_check.as_ref().map(|h| HealthCheckConfig {
            r#type: Some(HealthCheckType::parse(&h.kind)),
            resource_path: h.resource_path.clone(),
            failure_threshold: h.failure_threshold,
        }),
        health_check_custom_config: s.custom_health.map(|t| HealthCheckCustomConfig {
            failure_threshold: t,
        }),
        create_date: Some(s.created),
        creator_request_id: s.creator_request_id.clone(),
        created_by_account: Some(s.account.clone()),
    }
}

fn dns_config(s: &ServiceRec) -> Option<DnsConfig> {
    let routing = s.routing_policy.as_ref()?;
    Some(DnsConfig {
        namespace_id: Some(s.namespace_id.clone()),
        routing_policy: Some(RoutingPolicy::parse(routing)),
        dns_records: Some(
            s.dns_records
                .iter()
                .map(|r| DnsRecord {
                    r#type: Some(RecordType::parse(&r.kind)),
                    ttl: Some(r.ttl),
                })
                .collect(),
        ),
    })
}

impl CloudMap {
    pub(crate) fn create_service(
        &self,
        ctx: &RequestContext,
        req: CreateServiceRequest,
    ) -> Result<CreateServiceResponse> {
        let name = req.name.clone().unwrap_or_default();
        check_service_name(&name)?;
        let tags = check_tags(req.tags.as_deref().unwrap_or_default())?;
        let ns_text = req
            .namespace_id
            .clone()
            .or_else(|| req.dns_config.as_ref().and_then(|d| d.namespace_id.clone()))
            .ok_or_else(|| CloudMapError::invalid("NamespaceId is required."))?;
        if req.health_check_config.is_some() && req.health_check_custom_config.is_some() {
            return Err(CloudMapError::invalid(
                "A service can have HealthCheckConfig or HealthCheckCustomConfig, not both.",
            ));
        }
        let health = req
            .health_check_config
            .as_ref()
            .map(health_check)
            .transpose()?;
        if let Some(t) = req
            .health_check_custom_config
            .as_ref()
            .and_then(|c| c.failure_threshold)
        {
            if !(1..=10).contains(&t) {
                return Err(CloudMapError::invalid(
                    "FailureThreshold must be between 1 and 10.",
                ));
            }
        }
        let http_only = req.r#type.as_ref().is_some_and(|t| t.as_str() == "HTTP");
        let now = self.now();
        let service = self.db.write(|tx| {
            let ns = find_namespace(tx.state, ctx, &ns_text)?;
            let token = req.creator_request_id.as_deref();
            if let Some(existing) = tx
                .state
                .services_in(&ctx.account, &ns.id)
                .find(|s| s.name.eq_ignore_ascii_case(&name))
            {
                if token.is_some() && existing.creator_request_id.as_deref() == token {
                    return Ok((**existing).clone());
                }
                return Err(CloudMapError::ServiceAlreadyExists(format!(
                    "Service {name} already exists in namespace {} (ServiceId {}, ServiceArn {}).",
                    ns.id, existing.id, existing.arn
                )));
            }
            let (kind, routing, records) =
                match (&req.dns_config, ns.kind.is_dns(), http_only) {
                    (Some(_), false, _) => {
                        return Err(CloudMapError::invalid(
                            "DnsConfig can't be given for a service in an HTTP namespace.",
                        ))
                    }
                    (Some(_), true, true) => {
                        return Err(CloudMapError::invalid(
                            "DnsConfig can't be given for a service of Type HTTP.",
                        ))
                    }
                    (Some(d), true, false) => {
                        let routing = d
                            .routing_policy
                            .as_ref()
                            .map_or("MULTIVALUE", |r| r.as_str())
                            .to_owned();
                        let records =
                            check_records(d.dns_records.as_deref().unwrap_or_default(), &routing)?;
                        ("DNS_HTTP", Some(routing), records)
                    }
                    (None, true, false) => return Err(CloudMapError::invalid(
                        "A service in a DNS namespace needs a DnsConfig unless its Type is HTTP.",
                    )),
                    (None, _, _) => ("HTTP", None, Vec::new()),
                };
            if tx.state.services_in(&ctx.account, &ns.id).count() >= MAX_SERVICES {
                return Err(CloudMapError::ResourceLimitExceeded(format!(
                    "A namespace can have at most {MAX_SERVICES} services."
                )));
            }
            let id = new_id("srv-");
            let rec = ServiceRec {
                account: ctx.account.clone(),
                arn: arn_of(ctx, "service", &id),
                id,
                name: name.clone(),
                namespace_id: ns.id.clone(),
                description: req.description.clone(),
                kind: kind.into(),
                routing_policy: routing,
                dns_records: records,
                health_check: health.clone(),
                custom_health: req
                    .health_check_custom_config
                    .as_ref()
                    .map(|c| c.failure_threshold),
                attributes: BTreeMap::new(),
                created: now,
                creator_request_id: token.map(str::to_owned),
                revision: 1,
                instance_count: 0,
                tags: tags.map.clone(),
                tag_order: tags.order.clone(),
            };
            tx.put(rec.clone())?;
            Ok(rec)
        })?;
        Ok(CreateServiceResponse {
            service: Some(service_view(&service)),
        })
    }

    pub(crate) fn get_service(
        &self,
        ctx: &RequestContext,
        req: GetServiceRequest,
    ) -> Result<GetServiceResponse> {
        let state = self.db.snapshot();
        let s = find_service(&state, ctx, req.id.as_deref().unwrap_or_default())?;
        Ok(GetServiceResponse {
            service: Some(service_view(&s)),
        })
    }

    pub(crate) fn list_services(
        &self,
        ctx: &RequestContext,
        req: ListServicesRequest,
    ) -> Result<ListServicesResponse> {
        let size = page_size(req.max_results)?;
        let filters = check(
            req.filters.as_deref(),
            &[("NAMESPACE_ID", &["EQ", "IN"]), ("RESOURCE_OWNER", &["EQ"])],
        )?;
        let state = self.db.snapshot();
        let matching = state.services_of(&ctx.account).filter(|s| {
            filters.iter().all(|f| match f.name.as_str() {
                "NAMESPACE_ID" => f.matches(&s.namespace_id),
                _ => f.matches("SELF"),
            })
        });
        let page = page(
            matching.map(|s| (s.id.clone(), s)),
            req.next_token.as_deref(),
            size,
        )?;
        Ok(ListServicesResponse {
            services: Some(
                page.items
                    .iter()
                    .map(|s| {
                        let v = service_view(s);
                        ServiceSummary {
                            id: v.id,
                            arn: v.arn,
                            resource_owner: v.resource_owner,
                            name: v.name,
                            r#type: v.r#type,
                            description: v.description,
                            instance_count: v.instance_count,
                            dns_config: v.dns_config,
                            health_check_config: v.health_check_config,
                            health_check_custom_config: v.health_check_custom_config,
                            create_date: v.create_date,
                            created_by_account: v.created_by_account,
                        }
                    })
                    .collect(),
            ),
            next_token: page.next_token,
        })
    }

    pub(crate) fn update_service(
        &self,
        ctx: &RequestContext,
        req: UpdateServiceRequest,
    ) -> Result<UpdateServiceResponse> {
        let text = req.id.clone().unwrap_or_default();
        let change = req.service.unwrap_or_default();
        let health = change
            .health_check_config
            .as_ref()
            .map(health_check)
            .transpose()?;
        let now = self.now();
        let op = self.db.write(|tx| {
            let s = find_service(tx.state, ctx, &text)?;
            let mut changed = (*s).clone();
            if let Some(d) = change.description.clone() {
                changed.description = Some(d);
            }
            if let Some(d) = &change.dns_config {
                let Some(routing) = s.routing_policy.as_deref() else {
                    return Err(CloudMapError::invalid(format!(
                        "Service {} is not discoverable by DNS: it has no DnsConfig to change.",
                        s.id
                    )));
                };
                let records = check_records(d.dns_records.as_deref().unwrap_or_default(), routing)?;
                let mut old: Vec<&str> = s.dns_records.iter().map(|r| r.kind.as_str()).collect();
                let mut new: Vec<&str> = records.iter().map(|r| r.kind.as_str()).collect();
                old.sort_unstable();
                new.sort_unstable();
                if old != new {
                    return Err(CloudMapError::invalid(
                        "UpdateService changes the TTLs of a service's records, not their types.",
                    ));
                }
                changed.dns_records = records;
            }
            if let Some(h) = health.clone() {
                if s.custom_health.is_some() {
                    return Err(CloudMapError::invalid(
                        "The service has a custom health check: HealthCheckConfig can't be added.",
                    ));
                }
                changed.health_check = Some(h);
            }
            tx.put(changed)?;
            record_operation(tx, ctx, "UPDATE_SERVICE", &[("SERVICE", &s.id)], None, now)
        })?;
        Ok(UpdateServiceResponse {
            operation_id: Some(op),
        })
    }

    pub(crate) fn delete_service(
        &self,
        ctx: &RequestContext,
        req: DeleteServiceRequest,
    ) -> Result<DeleteServiceResponse> {
        let text = req.id.unwrap_or_default();
        self.db.write(|tx| {
            let s = find_service(tx.state, ctx, &text)?;
            if tx.state.instances_of(&ctx.account, &s.id).next().is_some() {
                return Err(CloudMapError::ResourceInUse(format!(
                    "Service {} has registered instances: deregister them first.",
                    s.id
                )));
            }
            tx.delete::<ServiceRec>(&key(&ctx.account, &s.id));
            Ok(())
        })?;
        Ok(DeleteServiceResponse {})
    }

    pub(crate) fn get_service_attributes(
        &self,
        ctx: &RequestContext,
        req: GetServiceAttributesRequest,
    ) -> Result<GetServiceAttributesResponse> {
        let state = self.db.snapshot();
        let s = find_service(&state, ctx, req.service_id.as_deref().unwrap_or_default())?;
        Ok(GetServiceAttributesResponse {
            service_attributes: Some(ServiceAttributes {
                service_arn: Some(s.arn.clone()),
                resource_owner: Some(s.account.clone()),
                attributes: Some(s.attributes.clone()),
            }),
        })
    }

    pub(crate) fn update_service_attributes(
        &self,
        ctx: &RequestContext,
        req: UpdateServiceAttributesRequest,
    ) -> Result<Empty> {
        let text = req.service_id.unwrap_or_default();
        let attrs = req.attributes.unwrap_or_default();
        if attrs.is_empty() {
            return Err(CloudMapError::invalid(
                "Attributes must name at least one attribute.",
            ));
        }
        self.db.write(|tx| {
            let s = find_service(tx.state, ctx, &text)?;
            let mut changed = (*s).clone();
            changed.attributes.extend(attrs.clone());
            if changed.attributes.len() > MAX_SERVICE_ATTRIBUTES {
                return Err(CloudMapError::ServiceAttributesLimitExceeded(format!(
                    "A service can have at most {MAX_SERVICE_ATTRIBUTES} attributes."
                )));
            }
            tx.put(changed)?;
            Ok(())
        })?;
        Ok(Empty {})
    }

    pub(crate) fn delete_service_attributes(
        &self,
        ctx: &RequestContext,
        req: DeleteServiceAttributesRequest,
    ) -> Result<Empty> {
        let text = req.service_id.unwrap_or_default();
        let keys = req.attributes.unwrap_or_default();
        self.db.write(|tx| {
            let s = find_service(tx.state, ctx, &text)?;
            let mut changed = (*s).clone();
            for k in &keys {
                changed.attributes.remove(k);
            }
            tx.put(changed)?;
            Ok(())
        })?;
        Ok(Empty {})
    }
}

//! CreatePrivateDnsNamespace, CreatePublicDnsNamespace, CreateHttpNamespace, GetNamespace,
//! ListNamespaces, Update…Namespace, DeleteNamespace.

use berth_aws::RequestContext;
use berth_servicediscovery_model::shapes::*;

use super::filters::check;
use super::tags::check_tags;
use super::{
    arn_of, check_ttl, dns_label, find_namespace, new_hosted_zone_id, new_id, page, page_size,
    record_operation, retried,
};
use crate::error::{CloudMapError, Result};
use crate::records::{key, NamespaceKind, NamespaceRec};
use crate::state::State;
use crate::CloudMap;

/// The SOA TTL of a DNS namespace created without one (Route 53's default for new zones).
const DEFAULT_SOA_TTL: i64 = 15;
/// Namespaces an account may have.
const MAX_NAMESPACES: usize = 50;

/// A DNS name: labels of letters, digits, `-` and `_`, 1 to 63 characters each, at most 253
/// in all; a trailing dot is dropped.
pub(crate) fn check_dns_name(name: &str) -> Result<String> {
    let bare = name.strip_suffix('.').unwrap_or(name);
    if bare.is_empty() || bare.len() > 253 || !bare.split('.').all(dns_label) {
        return Err(CloudMapError::invalid(format!(
            "Namespace name '{name}' is not a valid DNS name: labels of 1 to 63 letters, digits, hyphens or underscores, at most 253 characters."
        )));
    }
    Ok(bare.to_owned())
}

fn check_http_name(name: &str) -> Result<String> {
    let ok = !name.is_empty()
        && name.len() <= 1024
        && !name.starts_with("arn:")
        && name.chars().all(|c| ('!'..='~').contains(&c));
    if !ok {
        return Err(CloudMapError::invalid(format!(
            "Namespace name '{name}' is not valid: 1 to 1024 printable characters without spaces, not an ARN."
        )));
    }
    Ok(name.to_owned())
}

fn soa_ttl(props: Option<i64>) -> Result<i64> {
    match props {
        None => Ok(DEFAULT_SOA_TTL),
        t => check_ttl(t, "SOA"),
    }
}

/// What a create asks for, whatever its kind.
struct NewNamespace<'a> {
    kind: NamespaceKind,
    name: String,
    description: Option<String>,
    vpc: Option<String>,
    soa_ttl: Option<i64>,
    creator_request_id: Option<&'a str>,
    tags: &'a [Tag],
}

pub(crate) fn namespace_view(n: &NamespaceRec, service_count: i32) -> Namespace {
    Namespace {
        id: Some(n.id.clone()),
        arn: Some(n.arn.clone()),
        resource_owner: Some(n.account.clone()),
        name: Some(n.name.clone()),
        r#type: Some(NamespaceType::parse(n.kind.as_str())),
        description: n.description.clone(),
        service_count: Some(service_count),
        properties: Some(properties(n)),
        create_date: Some(n.created),
        creator_request_id: n.creator_request_id.clone(),
    }
}

fn properties(n: &NamespaceRec) -> NamespaceProperties {
    NamespaceProperties {
        dns_properties: n.kind.is_dns().then(|| DnsProperties {
            hosted_zone_id: n.hosted_zone_id.clone(),
            soa: n.soa_ttl.map(|ttl| SOA { ttl: Some(ttl) }),
        }),
        http_properties: Some(HttpProperties {
            http_name: Some(n.name.clone()),
        }),
    }
}

fn service_count(state: &State, n: &NamespaceRec) -> i32 {
    i32::try_from(state.services_in(&n.account, &n.id).count()).unwrap_or(i32::MAX)
}

impl CloudMap {
    fn create_namespace(&self, ctx: &RequestContext, new: NewNamespace<'_>) -> Result<String> {
        let tags = check_tags(new.tags)?;
        let now = self.now();
        self.db.write(|tx| {
            let existing = tx
                .state
                .namespaces_of(&ctx.account)
                .find(|n| n.name.eq_ignore_ascii_case(&new.name))
                .cloned();
            if let Some(n) = existing {
                // A retry of the create that made it answers the same operation.
                if new.creator_request_id.is_some()
                    && n.creator_request_id.as_deref() == new.creator_request_id
                    && n.kind == new.kind
                {
                    return Ok(n.create_operation.clone());
                }
                return Err(CloudMapError::NamespaceAlreadyExists(format!(
                    "Namespace {} already exists (NamespaceId {}, CreatorRequestId {}).",
                    new.name,
                    n.id,
                    n.creator_request_id.as_deref().unwrap_or("")
                )));
            }
            if let Some(token) = new.creator_request_id {
                if let Some(op) = tx.state.operations_of(&ctx.account).find(|o| {
                    o.request_token.as_deref() == Some(token) && o.kind == "CREATE_NAMESPACE"
                }) {
                    return Err(CloudMapError::DuplicateRequest(format!(
                        "CreatorRequestId {token} was used by operation {} for another namespace.",
                        op.id
                    )));
                }
            }
            if tx.state.namespaces_of(&ctx.account).count() >= MAX_NAMESPACES {
                return Err(CloudMapError::ResourceLimitExceeded(format!(
                    "An account can have at most {MAX_NAMESPACES} namespaces."
                )));
            }
            let id = new_id("ns-");
            let op = record_operation(
                tx,
                ctx,
                "CREATE_NAMESPACE",
                &[("NAMESPACE", &id)],
                new.creator_request_id,
                now,
            )?;
            tx.put(NamespaceRec {
                account: ctx.account.clone(),
                arn: arn_of(ctx, "namespace", &id),
                id,
                name: new.name.clone(),
                kind: new.kind,
                description: new.description.clone(),
                vpc: new.vpc.clone(),
                hosted_zone_id: new.kind.is_dns().then(new_hosted_zone_id),
                soa_ttl: if new.kind.is_dns() {
                    Some(soa_ttl(new.soa_ttl)?)
                } else {
                    None
                },
                created: now,
                creator_request_id: new.creator_request_id.map(str::to_owned),
                create_operation: op.clone(),
                tags: tags.map.clone(),
                tag_order: tags.order.clone(),
            })?;
            Ok(op)
        })
    }

    pub(crate) fn create_private_dns_namespace(
        &self,
        ctx: &RequestContext,
        req: CreatePrivateDnsNamespaceRequest,
    ) -> Result<CreatePrivateDnsNamespaceResponse> {
        let name = check_dns_name(req.name.as_deref().unwrap_or_default())?;
        let soa = req.properties.and_then(|p| p.dns_properties?.soa?.ttl);
        let op = self.create_namespace(
            ctx,
            NewNamespace {
                kind: NamespaceKind::DnsPrivate,
                name,
                description: req.description,
                vpc: req.vpc,
                soa_ttl: soa,
                creator_request_id: req.creator_request_id.as_deref(),
                tags: req.tags.as_deref().unwrap_or_default(),
            },
        )?;
        Ok(CreatePrivateDnsNamespaceResponse {
            operation_id: Some(op),
        })
    }

    pub(crate) fn create_public_dns_namespace(
        &self,
        ctx: &RequestContext,
        req: CreatePublicDnsNamespaceRequest,
    ) -> Result<CreatePublicDnsNamespaceResponse> {
        let name = check_dns_name(req.name.as_deref().unwrap_or_default())?;
        if name.contains('_') {
            return Err(CloudMapError::invalid(format!(
                "Public namespace name '{name}' must be a host name (no underscores)."
            )));
        }
        let soa = req.properties.and_then(|p| p.dns_properties?.soa?.ttl);
        let op = self.create_namespace(
            ctx,
            NewNamespace {
                kind: NamespaceKind::DnsPublic,
                name,
                description: req.description,
                vpc: None,
                soa_ttl: soa,
                creator_request_id: req.creator_request_id.as_deref(),
                tags: req.tags.as_deref().unwrap_or_default(),
            },
        )?;
        Ok(CreatePublicDnsNamespaceResponse {
            operation_id: Some(op),
        })
    }

    pub(crate) fn create_http_namespace(
        &self,
        ctx: &RequestContext,
        req: CreateHttpNamespaceRequest,
    ) -> Result<CreateHttpNamespaceResponse> {
        let name = check_http_name(req.name.as_deref().unwrap_or_default())?;
        let op = self.create_namespace(
            ctx,
            NewNamespace {
                kind: NamespaceKind::Http,
                name,
                description: req.description,
                vpc: None,
                soa_ttl: None,
                creator_request_id: req.creator_request_id.as_deref(),
                tags: req.tags.as_deref().unwrap_or_default(),
            },
        )?;
        Ok(CreateHttpNamespaceResponse {
            operation_id: Some(op),
        })
    }

    pub(crate) fn get_namespace(
        &self,
        ctx: &RequestContext,
        req: GetNamespaceRequest,
    ) -> Result<GetNamespaceResponse> {
        let state = self.db.snapshot();
        let n = find_namespace(&state, ctx, req.id.as_deref().unwrap_or_default())?;
        Ok(GetNamespaceResponse {
            namespace: Some(namespace_view(&n, service_count(&state, &n))),
        })
    }

    pub(crate) fn list_namespaces(
        &self,
        ctx: &RequestContext,
        req: ListNamespacesRequest,
    ) -> Result<ListNamespacesResponse> {
        let size = page_size(req.max_results)?;
        let filters = check(
            req.filters.as_deref(),
            &[
                ("TYPE", &["EQ", "IN"]),
                ("NAME", &["EQ", "BEGINS_WITH"]),
                ("HTTP_NAME", &["EQ", "BEGINS_WITH"]),
                ("RESOURCE_OWNER", &["EQ"]),
            ],
        )?;
        let state = self.db.snapshot();
        let matching = state.namespaces_of(&ctx.account).filter(|n| {
            filters.iter().all(|f| match f.name.as_str() {
                "TYPE" => f.matches(n.kind.as_str()),
                "NAME" | "HTTP_NAME" => f.matches(&n.name),
                // Every namespace Berth lists is the caller's own.
                _ => f.matches("SELF"),
            })
        });
        let page = page(
            matching.map(|n| (n.id.clone(), n)),
            req.next_token.as_deref(),
            size,
        )?;
        Ok(ListNamespacesResponse {
            namespaces: Some(
                page.items
                    .iter()
                    .map(|n| {
                        let v = namespace_view(n, service_count(&state, n));
                        NamespaceSummary {
                            id: v.id,
                            arn: v.arn,
                            resource_owner: v.resource_owner,
                            name: v.name,
                            r#type: v.r#type,
                            description: v.description,
                            service_count: v.service_count,
                            properties: v.properties,
                            create_date: v.create_date,
                        }
                    })
                    .collect(),
            ),
            next_token: page.next_token,
        })
    }

    pub(crate) fn delete_namespace(
        &self,
        ctx: &RequestContext,
        req: DeleteNamespaceRequest,
    ) -> Result<DeleteNamespaceResponse> {
        let text = req.id.unwrap_or_default();
        let now = self.now();
        let op = self.db.write(|tx| {
            let n = find_namespace(tx.state, ctx, &text)?;
            if tx.state.services_in(&ctx.account, &n.id).next().is_some() {
                return Err(CloudMapError::ResourceInUse(format!(
                    "Namespace {} has services: delete them first.",
                    n.id
                )));
            }
            tx.delete::<NamespaceRec>(&key(&ctx.account, &n.id));
            record_operation(
                tx,
                ctx,
                "DELETE_NAMESPACE",
                &[("NAMESPACE", &n.id)],
                None,
                now,
            )
        })?;
        Ok(DeleteNamespaceResponse {
            operation_id: Some(op),
        })
    }

    /// The Update…Namespace operations: a description and, for DNS, the SOA TTL.
    fn update_namespace(
        &self,
        ctx: &RequestContext,
        text: &str,
        kind: NamespaceKind,
        token: Option<&str>,
        description: Option<String>,
        soa: Option<Option<i64>>,
    ) -> Result<String> {
        if let Some(ttl) = soa {
            check_ttl(ttl, "SOA")?;
        }
        let now = self.now();
        self.db.write(|tx| {
            let n = find_namespace(tx.state, ctx, text)?;
            if n.kind != kind {
                return Err(CloudMapError::invalid(format!(
                    "Namespace {} is a {} namespace.",
                    n.id,
                    n.kind.as_str()
                )));
            }
            if let Some(op) = retried(
                tx.state,
                ctx,
                token,
                "UPDATE_NAMESPACE",
                ("NAMESPACE", &n.id),
            ) {
                return Ok(op);
            }
            let mut changed = (*n).clone();
            if let Some(d) = description {
                changed.description = Some(d);
            }
            if let Some(ttl) = soa {
                changed.soa_ttl = ttl;
            }
            tx.put(changed)?;
            record_operation(
                tx,
                ctx,
                "UPDATE_NAMESPACE",
                &[("NAMESPACE", &n.id)],
                token,
                now,
            )
        })
    }

    pub(crate) fn update_private_dns_namespace(
        &self,
        ctx: &RequestContext,
        req: UpdatePrivateDnsNamespaceRequest,
    ) -> Result<UpdatePrivateDnsNamespaceResponse> {
        let change = req.namespace.unwrap_or_default();
        let soa = change
            .properties
            .and_then(|p| p.dns_properties)
            .and_then(|d| d.soa)
            .map(|s| s.ttl);
        let op = self.update_namespace(
            ctx,
            req.id.as_deref().unwrap_or_default(),
            NamespaceKind::DnsPrivate,
            req.updater_request_id.as_deref(),
            change.description,
            soa,
        )?;
        Ok(UpdatePrivateDnsNamespaceResponse {
            operation_id: Some(op),
        })
    }

    pub(crate) fn update_public_dns_namespace(
        &self,
        ctx: &RequestContext,
        req: UpdatePublicDnsNamespaceRequest,
    ) -> Result<UpdatePublicDnsNamespaceResponse> {
        let change = req.namespace.unwrap_or_default();
        let soa = change
            .properties
            .and_then(|p| p.dns_properties)
            .and_then(|d| d.soa)
            .map(|s| s.ttl);
        let op = self.update_namespace(
            ctx,
            req.id.as_deref().unwrap_or_default(),
            NamespaceKind::DnsPublic,
            req.updater_request_id.as_deref(),
            change.description,
            soa,
        )?;
        Ok(UpdatePublicDnsNamespaceResponse {
            operation_id: Some(op),
        })
    }

    pub(crate) fn update_http_namespace(
        &self,
        ctx: &RequestContext,
        req: UpdateHttpNamespaceRequest,
    ) -> Result<UpdateHttpNamespaceResponse> {
        let change = req.namespace.unwrap_or_default();
        let op = self.update_namespace(
            ctx,
            req.id.as_deref().unwrap_or_default(),
            NamespaceKind::Http,
            req.updater_request_id.as_deref(),
            change.description,
            None,
        )?;
        Ok(UpdateHttpNamespaceResponse {
            operation_id: Some(op),
        })
    }
}

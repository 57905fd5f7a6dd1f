//! CreateListener, DescribeListeners, ModifyListener, DeleteListener, the listener
//! certificate calls and listener attributes.

use std::collections::BTreeMap;
use std::sync::Arc;

use berth_aws::RequestContext;
use berth_elbv2_model::shapes::*;

use super::actions::{self, Scope};
use super::attributes::{self, Rule, Table};
use super::{
    arn_of, check_tags, find_lb, find_listener, kind_part, new_id, page, page_size, required, Empty,
};
use crate::error::{ElbError, Result};
use crate::records::{listener_key, rule_key, ListenerRec, LoadBalancerRec, RuleRec, Tags};
use crate::state::State;
use crate::Elb;

/// The most listeners a load balancer has (ELB's default quota).
const MAX_LISTENERS: usize = 50;
/// The most certificates a listener has, its default one included.
const MAX_CERTIFICATES: usize = 25;

/// The security policies Berth knows (the first is the default of a new HTTPS listener).
pub(crate) const SSL_POLICIES: &[&str] = &[
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-2016-08",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
];

const APPLICATION_ATTRIBUTES: Table = &[
    ("routing.http.response.server.enabled", "true", Rule::Bool),
    (
        "routing.http.response.strict_transport_security.header_value",
        "",
        Rule::Text(1024),
    ),
    (
        "routing.http.response.x_content_type_options.header_value",
        "",
        Rule::Text(1024),
    ),
    (
        "routing.http.response.x_frame_options.header_value",
        "",
        Rule::Text(1024),
    ),
];
const NETWORK_ATTRIBUTES: Table = &[("tcp.idle_timeout.seconds", "350", Rule::Int(60, 6000))];

fn attribute_table(protocol: &str) -> Table {
    if protocol == "HTTP" || protocol == "HTTPS" {
        APPLICATION_ATTRIBUTES
    } else {
        NETWORK_ATTRIBUTES
    }
}

pub(crate) fn view(l: &ListenerRec) -> Listener {
    Listener {
        listener_arn: Some(l.arn.clone()),
        load_balancer_arn: Some(l.load_balancer_arn.clone()),
        port: Some(i32::from(l.port)),
        protocol: Some(ProtocolEnum::parse(&l.protocol)),
        certificates: (!l.certificates.is_empty()).then(|| {
            l.certificates
                .iter()
                .take(1)
                .map(|c| Certificate {
                    certificate_arn: c.certificate_arn.clone(),
                    is_default: None,
                })
                .collect()
        }),
        ssl_policy: l.ssl_policy.clone(),
        default_actions: Some(l.default_actions.clone()),
        alpn_policy: (!l.alpn_policy.is_empty()).then(|| l.alpn_policy.clone()),
        ..Default::default()
    }
}

/// What a listener's protocol, port, policy and certificates are once checked.
struct Settings {
    protocol: String,
    port: u16,
    ssl_policy: Option<String>,
    certificates: Vec<Certificate>,
}

fn check_port(p: i32) -> Result<u16> {
    u16::try_from(p)
        .ok()
        .filter(|p| *p >= 1)
        .ok_or_else(|| ElbError::validation(format!("Port {p} must be from 1 to 65535")))
}

fn settings(
    elb: &Elb,
    ctx: &RequestContext,
    lb: &LoadBalancerRec,
    protocol: &str,
    port: u16,
    ssl_policy: Option<&String>,
    certificates: Option<&[Certificate]>,
) -> Result<Settings> {
    let allowed: &[&str] = if lb.kind == "application" {
        &["HTTP", "HTTPS"]
    } else {
        &["TCP", "TLS", "UDP", "TCP_UDP"]
    };
    if !allowed.contains(&protocol) {
        return Err(ElbError::exception(
            "UnsupportedProtocolException",
            format!(
                "Protocol '{protocol}' is not supported by {} load balancers",
                lb.kind
            ),
        ));
    }
    let secure = protocol == "HTTPS" || protocol == "TLS";
    let certificates: Vec<Certificate> = certificates.unwrap_or_default().to_vec();
    if secure {
        let policy = ssl_policy
            .cloned()
            .unwrap_or_else(|| SSL_POLICIES[0].to_owned());
        if !SSL_POLICIES.contains(&policy.as_str()) {
            return Err(ElbError::exception(
                "SSLPolicyNotFoundException",
                format!("SSL policy '{policy}' not found"),
            ));
        }
        if certificates.len() != 1 {
            return Err(ElbError::validation(format!(
                "A {protocol} listener needs exactly one default certificate"
            )));
        }
        for c in &certificates {
            let arn = required(&c.certificate_arn, "CertificateArn")?;
            if elb
                .certificates()
                .is_none_or(|s| s.certificate(&ctx.account, arn).is_none())
            {
                return Err(ElbError::exception(
                    "CertificateNotFoundException",
                    format!("Certificate '{arn}' not found"),
                ));
            }
        }
        Ok(Settings {
            protocol: protocol.into(),
            port,
            ssl_policy: Some(policy),
            certificates,
        })
    } else {
        if !certificates.is_empty() || ssl_policy.is_some() {
            return Err(ElbError::validation(format!(
                "Certificates and SSL policies cannot be set on {protocol} listeners"
            )));
        }
        Ok(Settings {
            protocol: protocol.into(),
            port,
            ssl_policy: None,
            certificates,
        })
    }
}

/// A load balancer's listener on `port`, if it has one.
fn on_port(state: &State, lb: &LoadBalancerRec, port: u16) -> Option<Arc<ListenerRec>> {
    state
        .listeners_of(&lb.account, &lb.id)
        .find(|l| l.port == port)
        .cloned()
}

impl Elb {
    pub(crate) fn create_listener(
        &self,
        ctx: &RequestContext,
        r: CreateListenerInput,
    ) -> Result<CreateListenerOutput> {
        let lb_arn = required(&r.load_balancer_arn, "LoadBalancerArn")?;
        let defaults = required(&r.default_actions, "DefaultActions")?;
        let lb = find_lb(&self.db.snapshot(), ctx, lb_arn)?;
        let protocol = required(&r.protocol, "Protocol")?.as_str().to_owned();
        let port = check_port(*required(&r.port, "Port")?)?;
        if r.alpn_policy.is_some() && protocol != "TLS" {
            return Err(ElbError::exception(
                "ALPNPolicyNotSupportedException",
                "ALPN policies are supported by TLS listeners only",
            ));
        }
        if r.mutual_authentication
            .as_ref()
            .and_then(|m| m.mode.as_deref())
            .is_some_and(|m| m != "off")
        {
            return Err(ElbError::invalid_config(
                "Mutual TLS authentication is not supported by Berth yet",
            ));
        }
        let s = settings(
            self,
            ctx,
            &lb,
            &protocol,
            port,
            r.ssl_policy.as_ref(),
            r.certificates.as_deref(),
        )?;
        let tags = check_tags(r.tags.as_deref())?;
        self.db.write(|tx| {
            let lb = find_lb(tx.state, ctx, lb_arn)?;
            let checked = actions::check(
                &Scope {
                    ctx,
                    state: tx.state,
                    lb: &lb,
                    protocol: &s.protocol,
                },
                defaults,
            )?;
            if let Some(old) = on_port(tx.state, &lb, port) {
                if old.protocol == s.protocol
                    && old.default_actions == checked
                    && old.certificates == s.certificates
                {
                    return Ok(CreateListenerOutput {
                        listeners: Some(vec![view(&old)]),
                    });
                }
                return Err(ElbError::exception(
                    "DuplicateListenerException",
                    format!("A listener already exists on port {port} of load balancer '{lb_arn}'"),
                ));
            }
            if tx.state.listeners_of(&ctx.account, &lb.id).count() >= MAX_LISTENERS {
                return Err(ElbError::exception(
                    "TooManyListenersException",
                    format!("A load balancer can have at most {MAX_LISTENERS} listeners"),
                ));
            }
            let id = new_id();
            let l = ListenerRec {
                account: ctx.account.clone(),
                arn: arn_of(
                    ctx,
                    &format!(
                        "listener/{}/{}/{}/{id}",
                        kind_part(&lb.kind),
                        lb.name,
                        lb.id
                    ),
                ),
                id,
                load_balancer_arn: lb.arn.clone(),
                load_balancer_id: lb.id.clone(),
                load_balancer_name: lb.name.clone(),
                port,
                protocol: s.protocol.clone(),
                ssl_policy: s.ssl_policy.clone(),
                certificates: s.certificates.clone(),
                alpn_policy: r.alpn_policy.clone().unwrap_or_default(),
                default_actions: checked,
                default_rule_id: new_id(),
                attributes: BTreeMap::new(),
                tags: tags.clone(),
                default_rule_tags: Tags::default(),
            };
            let out = view(&l);
            tx.put(l)?;
            Ok(CreateListenerOutput {
                listeners: Some(vec![out]),
            })
        })
    }

    pub(crate) fn describe_listeners(
        &self,
        ctx: &RequestContext,
        r: DescribeListenersInput,
    ) -> Result<DescribeListenersOutput> {
        let size = page_size(r.page_size)?;
        let state = self.db.snapshot();
        let arns = r.listener_arns.unwrap_or_default();
        let chosen: Vec<Arc<ListenerRec>> =
            match (&r.load_balancer_arn, arns.is_empty()) {
                (Some(_), false) => return Err(ElbError::validation(
                    "Listener ARNs and a load balancer ARN cannot be specified at the same time",
                )),
                (Some(lb), true) => {
                    let lb = find_lb(&state, ctx, lb)?;
                    state.listeners_of(&ctx.account, &lb.id).cloned().collect()
                }
                (None, false) => arns
                    .iter()
                    .map(|a| find_listener(&state, ctx, a))
                    .collect::<Result<_>>()?,
                (None, true) => {
                    return Err(ElbError::validation(
                        "You must specify either listener ARNs or a load balancer ARN",
                    ))
                }
            };
        let mut keyed: Vec<(String, Arc<ListenerRec>)> =
            chosen.into_iter().map(|l| (l.arn.clone(), l)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.dedup_by(|a, b| a.0 == b.0);
        let p = page(keyed, r.marker.as_deref(), size)?;
        Ok(DescribeListenersOutput {
            listeners: Some(p.items.iter().map(|l| view(l)).collect()),
            next_marker: p.next_token,
        })
    }

    pub(crate) fn modify_listener(
        &self,
        ctx: &RequestContext,
        r: ModifyListenerInput,
    ) -> Result<ModifyListenerOutput> {
        let arn = required(&r.listener_arn, "ListenerArn")?;
        let state = self.db.snapshot();
        let l = find_listener(&state, ctx, arn)?;
        let lb = state
            .load_balancers
            .get(&crate::records::named_key(
                &ctx.account,
                &l.load_balancer_name,
            ))
            .cloned()
            .ok_or_else(super::listener_not_found)?;
        let protocol = r
            .protocol
            .as_ref()
            .map_or(l.protocol.clone(), |p| p.as_str().to_owned());
        let port = match r.port {
            Some(p) => check_port(p)?,
            None => l.port,
        };
        let leaving_tls = (protocol == "HTTP" || protocol == "TCP") && l.protocol != protocol;
        let policy = r.ssl_policy.clone().or_else(|| {
            if leaving_tls {
                None
            } else {
                l.ssl_policy.clone()
            }
        });
        let certs = r.certificates.clone().or_else(|| {
            if leaving_tls {
                None
            } else {
                Some(l.certificates.iter().take(1).cloned().collect())
            }
        });
        let s = settings(
            self,
            ctx,
            &lb,
            &protocol,
            port,
            policy.as_ref(),
            certs.as_deref(),
        )?;
        self.db.write(|tx| {
            let mut l = (*find_listener(tx.state, ctx, arn)?).clone();
            if let Some(other) = on_port(tx.state, &lb, port) {
                if other.id != l.id {
                    return Err(ElbError::exception(
                        "DuplicateListenerException",
                        format!(
                            "A listener already exists on port {port} of load balancer '{}'",
                            lb.arn
                        ),
                    ));
                }
            }
            if let Some(d) = &r.default_actions {
                l.default_actions = actions::check(
                    &Scope {
                        ctx,
                        state: tx.state,
                        lb: &lb,
                        protocol: &s.protocol,
                    },
                    d,
                )?;
            }
            let extra: Vec<Certificate> = l.certificates.iter().skip(1).cloned().collect();
            l.protocol = s.protocol.clone();
            l.port = s.port;
            l.ssl_policy = s.ssl_policy.clone();
            l.certificates = s
                .certificates
                .iter()
                .cloned()
                .chain(if s.certificates.is_empty() {
                    Vec::new()
                } else {
                    extra
                })
                .collect();
            if let Some(a) = &r.alpn_policy {
                l.alpn_policy = a.clone();
            }
            let out = view(&l);
            tx.put(l)?;
            Ok(ModifyListenerOutput {
                listeners: Some(vec![out]),
            })
        })
    }

    pub(crate) fn delete_listener(
        &self,
        ctx: &RequestContext,
        r: DeleteListenerInput,
    ) -> Result<Empty> {
        let arn = required(&r.listener_arn, "ListenerArn")?;
        self.db.write(|tx| {
            let l = find_listener(tx.state, ctx, arn)?;
            let rules: Vec<String> = tx
                .state
                .rules_of(&ctx.account, &l.id)
                .map(|r| rule_key(&ctx.account, &l.id, &r.id))
                .collect();
            for k in rules {
                tx.delete::<RuleRec>(&k);
            }
            tx.delete::<ListenerRec>(&listener_key(&ctx.account, &l.load_balancer_id, &l.id));
            Ok(Empty {})
        })
    }

    pub(crate) fn add_listener_certificates(
        &self,
        ctx: &RequestContext,
        r: AddListenerCertificatesInput,
    ) -> Result<AddListenerCertificatesOutput> {
        let arn = required(&r.listener_arn, "ListenerArn")?;
        let certs = required(&r.certificates, "Certificates")?;
        for c in certs {
            let c_arn = required(&c.certificate_arn, "CertificateArn")?;
            if self
                .certificates()
                .is_none_or(|s| s.certificate(&ctx.account, c_arn).is_none())
            {
                return Err(ElbError::exception(
                    "CertificateNotFoundException",
                    format!("Certificate '{c_arn}' not found"),
                ));
            }
        }
        self.db.write(|tx| {
            let mut l = (*find_listener(tx.state, ctx, arn)?).clone();
            if l.protocol != "HTTPS" && l.protocol != "TLS" {
                return Err(ElbError::invalid_config(
                    "Certificates can be added to HTTPS and TLS listeners only",
                ));
            }
            for c in certs {
                if !l
                    .certificates
                    .iter()
                    .any(|o| o.certificate_arn == c.certificate_arn)
                {
                    l.certificates.push(Certificate {
                        certificate_arn: c.certificate_arn.clone(),
                        is_default: None,
                    });
                }
            }
            if l.certificates.len() > MAX_CERTIFICATES {
                return Err(ElbError::exception(
                    "TooManyCertificatesException",
                    format!("A listener can have at most {MAX_CERTIFICATES} certificates"),
                ));
            }
            let added: Vec<Certificate> = l
                .certificates
                .iter()
                .skip(1)
                .map(|c| Certificate {
                    certificate_arn: c.certificate_arn.clone(),
                    is_default: Some(false),
                })
                .collect();
            tx.put(l)?;
            Ok(AddListenerCertificatesOutput {
                certificates: Some(added),
            })
        })
    }

    pub(crate) fn remove_listener_certificates(
        &self,
        ctx: &RequestContext,
        r: RemoveListenerCertificatesInput,
    ) -> Result<Empty> {
        let arn = required(&r.listener_arn, "ListenerArn")?;
        let certs = required(&r.certificates, "Certificates")?;
        self.db.write(|tx| {
            let mut l = (*find_listener(tx.state, ctx, arn)?).clone();
            if let Some(first) = l.certificates.first() {
                if certs.iter().any(|c| c.certificate_arn == first.certificate_arn) {
                    return Err(ElbError::exception("OperationNotPermittedException", "The default certificate of a listener cannot be removed; change it with ModifyListener"));
                }
            }
            let first = l.certificates.first().cloned();
            l.certificates.retain(|o| Some(o) == first.as_ref() || !certs.iter().any(|c| c.certificate_arn == o.certificate_arn));
            tx.put(l)?;
            Ok(Empty {})
        })
    }

    pub(crate) fn describe_listener_certificates(
        &self,
        ctx: &RequestContext,
        r: DescribeListenerCertificatesInput,
    ) -> Result<DescribeListenerCertificatesOutput> {
        let arn = required(&r.listener_arn, "ListenerArn")?;
        let size = page_size(r.page_size)?;
        let l = find_listener(&self.db.snapshot(), ctx, arn)?;
        let items = l.certificates.iter().enumerate().map(|(i, c)| {
            (
                format!("{i:04}"),
                Certificate {
                    certificate_arn: c.certificate_arn.clone(),
                    is_default: Some(i == 0),
                },
            )
        });
        let p = page(items, r.marker.as_deref(), size)?;
        Ok(DescribeListenerCertificatesOutput {
            certificates: Some(p.items),
            next_marker: p.next_token,
        })
    }

    pub(crate) fn describe_listener_attributes(
        &self,
        ctx: &RequestContext,
        r: DescribeListenerAttributesInput,
    ) -> Result<DescribeListenerAttributesOutput> {
        let arn = required(&r.listener_arn, "ListenerArn")?;
        let l = find_listener(&self.db.snapshot(), ctx, arn)?;
        Ok(DescribeListenerAttributesOutput {
            attributes: Some(listener_attributes(&l)),
        })
    }

    pub(crate) fn modify_listener_attributes(
        &self,
        ctx: &RequestContext,
        r: ModifyListenerAttributesInput,
    ) -> Result<ModifyListenerAttributesOutput> {
        let arn = required(&r.listener_arn, "ListenerArn")?;
        let attrs = required(&r.attributes, "Attributes")?;
        self.db.write(|tx| {
            let mut l = (*find_listener(tx.state, ctx, arn)?).clone();
            let pairs = attrs.iter().map(|a| {
                (
                    a.key.as_deref().unwrap_or_default(),
                    a.value.as_deref().unwrap_or_default(),
                )
            });
            attributes::apply(
                attribute_table(&l.protocol),
                &mut l.attributes,
                pairs,
                "Listener",
            )?;
            let out = listener_attributes(&l);
            tx.put(l)?;
            Ok(ModifyListenerAttributesOutput {
                attributes: Some(out),
            })
        })
    }
}

fn listener_attributes(l: &ListenerRec) -> Vec<ListenerAttribute> {
    attributes::listed(attribute_table(&l.protocol), &l.attributes)
        .into_iter()
        .map(|(k, v)| ListenerAttribute {
            key: Some(k),
            value: Some(v),
        })
        .collect()
}

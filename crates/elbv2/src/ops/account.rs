//! DescribeAccountLimits and DescribeSSLPolicies: fixed tables.

use berth_aws::RequestContext;
use berth_elbv2_model::shapes::*;

use super::listeners::SSL_POLICIES;
use super::{page, page_size};
use crate::error::{ElbError, Result};
use crate::Elb;

/// The quotas Berth keeps to (ELB's defaults).
const LIMITS: &[(&str, &str)] = &[
    ("application-load-balancers", "50"),
    ("condition-values-per-alb-rule", "5"),
    ("condition-wildcards-per-alb-rule", "5"),
    ("listeners-per-application-load-balancer", "50"),
    ("listeners-per-network-load-balancer", "50"),
    ("network-load-balancers", "50"),
    ("rules-per-application-load-balancer", "1000"),
    ("target-groups", "3000"),
    ("target-groups-per-action-on-application-load-balancer", "5"),
    ("targets-per-application-load-balancer", "1000"),
    ("certificates-per-application-load-balancer", "25"),
];

fn protocols(policy: &str) -> Vec<String> {
    let list: &[&str] = if policy.contains("TLS13-1-3") {
        &["TLSv1.3"]
    } else if policy.contains("TLS13") || policy.contains("TLS-1-2") || policy.contains("FS-1-2") {
        &["TLSv1.2", "TLSv1.3"]
    } else {
        &["TLSv1", "TLSv1.1", "TLSv1.2"]
    };
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn ciphers(policy: &str) -> Vec<Cipher> {
    let mut names: Vec<&str> = Vec::new();
    if policy.contains("TLS13") {
        names.extend([
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
        ]);
    }
    if !policy.contains("TLS13-1-3") {
        names.extend([
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "ECDHE-RSA-AES256-GCM-SHA384",
        ]);
    }
    names
        .iter()
        .enumerate()
        .map(|(i, n)| Cipher {
            name: Some((*n).into()),
            priority: Some(i as i32 + 1),
        })
        .collect()
}

impl Elb {
    pub(crate) fn describe_account_limits(
        &self,
        _ctx: &RequestContext,
        r: DescribeAccountLimitsInput,
    ) -> Result<DescribeAccountLimitsOutput> {
        let size = page_size(r.page_size)?;
        let items = LIMITS.iter().map(|(n, m)| {
            (
                (*n).to_owned(),
                Limit {
                    name: Some((*n).into()),
                    max: Some((*m).into()),
                },
            )
        });
        let mut sorted: Vec<(String, Limit)> = items.collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let p = page(sorted, r.marker.as_deref(), size)?;
        Ok(DescribeAccountLimitsOutput {
            limits: Some(p.items),
            next_marker: p.next_token,
        })
    }

    pub(crate) fn describe_ssl_policies(
        &self,
        _ctx: &RequestContext,
        r: DescribeSSLPoliciesInput,
    ) -> Result<DescribeSSLPoliciesOutput> {
        let size = page_size(r.page_size)?;
        let names = r.names.unwrap_or_default();
        if let Some(missing) = names.iter().find(|n| !SSL_POLICIES.contains(&n.as_str())) {
            return Err(ElbError::exception(
                "SSLPolicyNotFoundException",
                format!("SSL policy '{missing}' not found"),
            ));
        }
        let items: Vec<(String, SslPolicy)> = SSL_POLICIES
            .iter()
            .filter(|p| names.is_empty() || names.iter().any(|n| n == *p))
            .enumerate()
            .map(|(i, p)| {
                (
                    format!("{i:03}"),
                    SslPolicy {
                        ssl_protocols: Some(protocols(p)),
                        ciphers: Some(ciphers(p)),
                        name: Some((*p).into()),
                        supported_load_balancer_types: Some(vec![
                            "application".into(),
                            "network".into(),
                        ]),
                    },
                )
            })
            .collect();
        let p = page(items, r.marker.as_deref(), size)?;
        Ok(DescribeSSLPoliciesOutput {
            ssl_policies: Some(p.items),
            next_marker: p.next_token,
        })
    }
}

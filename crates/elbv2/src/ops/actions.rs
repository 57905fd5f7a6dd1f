//! The checks of a listener's or rule's actions, the defaults ELB fills in, and what the
//! actions forward to.

use berth_elbv2_model::shapes::*;

use super::{find_tg, required};
use crate::error::{ElbError, Result};
use crate::records::LoadBalancerRec;
use crate::state::State;
use berth_aws::RequestContext;

/// Where actions are checked: the load balancer and the listener protocol they serve.
pub(crate) struct Scope<'a> {
    pub ctx: &'a RequestContext,
    pub state: &'a State,
    pub lb: &'a LoadBalancerRec,
    pub protocol: &'a str,
}

const CONTENT_TYPES: &[&str] = &[
    "text/plain",
    "text/css",
    "text/html",
    "application/javascript",
    "application/json",
];

/// The target groups and weights an action forwards to.
pub(crate) fn forward_targets(a: &Action) -> Vec<(String, i32)> {
    if a.r#type.as_ref().map(|t| t.as_str()) != Some("forward") {
        return Vec::new();
    }
    match a
        .forward_config
        .as_ref()
        .and_then(|f| f.target_groups.as_ref())
    {
        Some(groups) if !groups.is_empty() => groups
            .iter()
            .filter_map(|g| Some((g.target_group_arn.clone()?, g.weight.unwrap_or(1))))
            .collect(),
        _ => a.target_group_arn.iter().map(|t| (t.clone(), 1)).collect(),
    }
}

/// Whether any of `actions` forwards to target group `tg_arn`.
pub(crate) fn forwards_to(actions: &[Action], tg_arn: &str) -> bool {
    actions
        .iter()
        .any(|a| forward_targets(a).iter().any(|(t, _)| t == tg_arn))
}

fn invalid_action(m: impl Into<String>) -> ElbError {
    ElbError::exception("InvalidLoadBalancerActionException", m)
}

/// Checks `actions` and answers them ordered, with ELB's defaults filled in.
pub(crate) fn check(scope: &Scope<'_>, actions: &[Action]) -> Result<Vec<Action>> {
    if actions.is_empty() {
        return Err(ElbError::validation(
            "At least one action must be specified",
        ));
    }
    if actions.len() > 5 {
        return Err(ElbError::exception(
            "TooManyActionsException",
            "A rule or listener can have at most 5 actions",
        ));
    }
    let mut out: Vec<Action> = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        let kind = required(&a.r#type, "Action Type")?.as_str().to_owned();
        let mut a = a.clone();
        if let Some(o) = a.order {
            if !(1..=50000).contains(&o) {
                return Err(ElbError::validation(format!(
                    "Action order {o} must be from 1 to 50000"
                )));
            }
        }
        match kind.as_str() {
            "forward" => a = forward(scope, a)?,
            "redirect" => a = redirect(a)?,
            "fixed-response" => a = fixed_response(a)?,
            "authenticate-oidc" | "authenticate-cognito" | "jwt-validation" => {
                return Err(ElbError::invalid_config(format!(
                    "'{kind}' actions are not supported by Berth yet"
                )));
            }
            other => {
                return Err(ElbError::validation(format!(
                    "Action type '{other}' is not valid"
                )))
            }
        }
        if a.order.is_none() {
            a.order = Some(i as i32 + 1);
        }
        out.push(a);
    }
    out.sort_by_key(|a| a.order);
    if out.windows(2).any(|w| w[0].order == w[1].order) {
        return Err(ElbError::validation("Action orders must be unique"));
    }
    let terminal = out.iter().filter(|a| {
        matches!(
            a.r#type.as_ref().map(|t| t.as_str()),
            Some("forward" | "redirect" | "fixed-response")
        )
    });
    if terminal.count() != 1 {
        return Err(invalid_action("Exactly one forward, redirect or fixed-response action must be specified, and it must be the last"));
    }
    Ok(out)
}

fn forward(scope: &Scope<'_>, mut a: Action) -> Result<Action> {
    let mut groups: Vec<TargetGroupTuple> = a
        .forward_config
        .as_ref()
        .and_then(|f| f.target_groups.clone())
        .unwrap_or_default();
    match (&a.target_group_arn, groups.len()) {
        (None, 0) => return Err(invalid_action("A forward action needs a target group")),
        (Some(arn), 0) => groups.push(TargetGroupTuple {
            target_group_arn: Some(arn.clone()),
            weight: Some(1),
        }),
        (Some(arn), 1) if groups[0].target_group_arn.as_deref() == Some(arn.as_str()) => {}
        (Some(_), _) => {
            return Err(invalid_action(
                "TargetGroupArn and ForwardConfig name different target groups",
            ))
        }
        (None, n) if n > 5 => {
            return Err(ElbError::exception(
                "TooManyTargetGroupsException",
                "A forward action can have at most 5 target groups",
            ))
        }
        (None, _) => {}
    }
    for g in &mut groups {
        let arn = required(&g.target_group_arn, "TargetGroupArn")?;
        let w = g.weight.unwrap_or(1);
        if !(0..=999).contains(&w) {
            return Err(ElbError::validation(format!(
                "Target group weight {w} must be from 0 to 999"
            )));
        }
        g.weight = Some(w);
        let tg = find_tg(scope.state, scope.ctx, arn)?;
        let compatible = match tg.protocol.as_deref() {
            None => scope.lb.kind == "application",
            Some(p) if scope.lb.kind == "application" => p == "HTTP" || p == "HTTPS",
            Some(p) => matches!(
                (scope.protocol, p),
                ("TCP", "TCP") | ("TLS", "TLS" | "TCP") | ("UDP", "UDP") | ("TCP_UDP", "TCP_UDP")
            ),
        };
        if !compatible {
            return Err(ElbError::exception(
                "IncompatibleProtocolsException",
                format!("The target group protocol '{}' is not compatible with the listener protocol '{}'", tg.protocol.as_deref().unwrap_or("none"), scope.protocol),
            ));
        }
        if let Some(vpc) = &tg.vpc_id {
            if *vpc != scope.lb.vpc_id {
                return Err(ElbError::invalid_config(format!(
                    "The target group '{arn}' is not in the load balancer's VPC '{}'",
                    scope.lb.vpc_id
                )));
            }
        }
        let others: Vec<String> = scope
            .state
            .load_balancers_using(&scope.ctx.account, &tg.arn)
            .into_iter()
            .filter(|l| *l != scope.lb.arn)
            .collect();
        if !others.is_empty() {
            return Err(ElbError::exception(
                "TargetGroupAssociationLimitException",
                format!("The following target groups cannot be associated with more than one load balancer: {arn}"),
            ));
        }
    }
    if groups.iter().all(|g| g.weight == Some(0)) {
        return Err(invalid_action(
            "At least one target group of a forward action must have a weight above 0",
        ));
    }
    let mut config = a.forward_config.take().unwrap_or_default();
    let sticky = config
        .target_group_stickiness_config
        .take()
        .unwrap_or_default();
    let enabled = sticky.enabled.unwrap_or(false);
    if let Some(d) = sticky.duration_seconds {
        if !(1..=604800).contains(&d) {
            return Err(ElbError::validation(format!(
                "Target group stickiness duration {d} must be from 1 to 604800 seconds"
            )));
        }
    }
    if enabled && sticky.duration_seconds.is_none() {
        return Err(ElbError::validation(
            "Target group stickiness needs DurationSeconds when enabled",
        ));
    }
    config.target_group_stickiness_config = Some(TargetGroupStickinessConfig {
        enabled: Some(enabled),
        duration_seconds: sticky.duration_seconds,
    });
    if groups.len() == 1 && a.target_group_arn.is_none() {
        a.target_group_arn = groups[0].target_group_arn.clone();
    }
    config.target_groups = Some(groups);
    a.forward_config = Some(config);
    Ok(a)
}

fn redirect(mut a: Action) -> Result<Action> {
    let mut c = a
        .redirect_config
        .take()
        .ok_or_else(|| invalid_action("A redirect action needs RedirectConfig"))?;
    let status = required(&c.status_code, "StatusCode")?.as_str().to_owned();
    if status != "HTTP_301" && status != "HTTP_302" {
        return Err(ElbError::validation(format!(
            "Redirect status code '{status}' must be HTTP_301 or HTTP_302"
        )));
    }
    let protocol = c
        .protocol
        .get_or_insert_with(|| "#{protocol}".into())
        .clone();
    if !["HTTP", "HTTPS", "#{protocol}"].contains(&protocol.as_str()) {
        return Err(ElbError::validation(format!(
            "Redirect protocol '{protocol}' must be HTTP, HTTPS or #{{protocol}}"
        )));
    }
    let port = c.port.get_or_insert_with(|| "#{port}".into()).clone();
    if port != "#{port}" && !port.parse::<u16>().is_ok_and(|p| p >= 1) {
        return Err(ElbError::validation(format!(
            "Redirect port '{port}' must be #{{port}} or from 1 to 65535"
        )));
    }
    let host = c.host.get_or_insert_with(|| "#{host}".into()).clone();
    let path = c.path.get_or_insert_with(|| "/#{path}".into()).clone();
    if !path.starts_with('/') {
        return Err(ElbError::validation(format!(
            "Redirect path '{path}' must start with '/'"
        )));
    }
    let query = c.query.get_or_insert_with(|| "#{query}".into()).clone();
    if host.len() > 128 || path.len() > 128 || query.len() > 128 {
        return Err(ElbError::validation(
            "Redirect host, path and query are at most 128 characters each",
        ));
    }
    if protocol == "#{protocol}"
        && port == "#{port}"
        && host == "#{host}"
        && path == "/#{path}"
        && query == "#{query}"
    {
        return Err(invalid_action("A redirect must change at least one of protocol, port, host, path or query, so that it does not redirect to itself"));
    }
    a.redirect_config = Some(c);
    Ok(a)
}

fn fixed_response(mut a: Action) -> Result<Action> {
    let c = a
        .fixed_response_config
        .as_mut()
        .ok_or_else(|| invalid_action("A fixed-response action needs FixedResponseConfig"))?;
    let status = required(&c.status_code, "StatusCode")?;
    let ok = status.len() == 3
        && status.chars().all(|ch| ch.is_ascii_digit())
        && matches!(status.as_bytes()[0], b'2' | b'4' | b'5');
    if !ok {
        return Err(ElbError::validation(format!(
            "Fixed response status code '{status}' must be a 2XX, 4XX or 5XX code"
        )));
    }
    if let Some(t) = &c.content_type {
        if !CONTENT_TYPES.contains(&t.as_str()) {
            return Err(ElbError::validation(format!(
                "Fixed response content type '{t}' must be one of {}",
                CONTENT_TYPES.join(", ")
            )));
        }
    }
    if c.message_body.as_ref().is_some_and(|b| b.len() > 1024) {
        return Err(ElbError::validation(
            "A fixed response message body is at most 1024 characters",
        ));
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(json: &str) -> Action {
        serde_json::from_str(json).expect("action")
    }

    #[test]
    fn redirects_fill_defaults_and_refuse_loops() {
        let a = redirect(action(r#"{"Type":"redirect","RedirectConfig":{"Protocol":"HTTPS","Port":"443","StatusCode":"HTTP_301"}}"#)).expect("valid");
        let c = a.redirect_config.expect("config");
        assert_eq!(c.host.as_deref(), Some("#{host}"));
        assert_eq!(c.path.as_deref(), Some("/#{path}"));
        assert!(redirect(action(
            r#"{"Type":"redirect","RedirectConfig":{"StatusCode":"HTTP_302"}}"#
        ))
        .is_err());
        assert!(redirect(action(
            r#"{"Type":"redirect","RedirectConfig":{"Path":"x","StatusCode":"HTTP_302"}}"#
        ))
        .is_err());
    }

    #[test]
    fn fixed_responses_take_2xx_4xx_5xx() {
        assert!(fixed_response(action(r#"{"Type":"fixed-response","FixedResponseConfig":{"StatusCode":"404","ContentType":"text/plain"}}"#)).is_ok());
        assert!(fixed_response(action(
            r#"{"Type":"fixed-response","FixedResponseConfig":{"StatusCode":"302"}}"#
        ))
        .is_err());
        assert!(fixed_response(action(r#"{"Type":"fixed-response","FixedResponseConfig":{"StatusCode":"200","ContentType":"image/png"}}"#)).is_err());
    }

    #[test]
    fn forward_targets_read_either_form() {
        let a = action(r#"{"Type":"forward","TargetGroupArn":"t1"}"#);
        assert_eq!(forward_targets(&a), vec![("t1".to_owned(), 1)]);
        let a = action(
            r#"{"Type":"forward","ForwardConfig":{"TargetGroups":[{"TargetGroupArn":"a","Weight":3},{"TargetGroupArn":"b"}]}}"#,
        );
        assert_eq!(
            forward_targets(&a),
            vec![("a".to_owned(), 3), ("b".to_owned(), 1)]
        );
        assert!(forwards_to(&[a], "b"));
    }
}

//! A listener's compiled routing: its rule table with actions that point
//! straight at the target groups' current views, so a request finds its
//! rule and its targets through a single `ArcSwap` load.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::HeaderValue;
use http::{HeaderMap, StatusCode};

use crate::balance;
use crate::conditions::Matcher;
use crate::config::{Action, ListenerConfig};
use crate::redirect::Redirect;
use crate::rules::{RuleInput, RuleTable};
use crate::sticky;
use crate::target::GroupView;

/// What a matched rule does.
#[derive(Debug)]
pub(crate) enum RouteAction {
    Forward(Forward),
    Fixed {
        status: StatusCode,
        content_type: Option<HeaderValue>,
        body: Bytes,
    },
    Redirect(Redirect),
    /// A rule that could not be compiled answers 503 rather than letting
    /// its requests fall through to a rule meant to come later.
    Broken,
}

/// A forward action's groups with their weights.
#[derive(Debug)]
pub(crate) struct Forward {
    pub groups: Box<[Arc<GroupView>]>,
    pub weights: Box<[u32]>,
    /// Target-group stickiness (`AWSALBTG`).
    pub stickiness: Option<Duration>,
}

impl Forward {
    /// The group for a request: the one its `AWSALBTG` cookie names (while
    /// its weight is not 0), else one drawn by weight.
    pub(crate) fn choose(&self, headers: &HeaderMap) -> Option<&Arc<GroupView>> {
        if self.groups.len() == 1 {
            return (self.weights[0] > 0).then(|| &self.groups[0]);
        }
        if self.stickiness.is_some() {
            if let Some(token) =
                sticky::find_token(headers, sticky::GROUP_COOKIE, sticky::GROUP_COOKIE_CORS)
            {
                let named = self
                    .groups
                    .iter()
                    .zip(self.weights.iter())
                    .find(|(g, w)| g.shared.token == token && **w > 0);
                if let Some((group, _)) = named {
                    return Some(group);
                }
            }
        }
        balance::choose_weighted(&self.weights, fastrand::u64(..)).map(|at| &self.groups[at])
    }
}

/// One apply's routing for a listener.
#[derive(Debug)]
pub(crate) struct ListenerRuntime {
    pub rules: RuleTable<RouteAction>,
    pub idle_timeout: Duration,
    pub drop_invalid_header_fields: bool,
}

/// Compiles a listener's rules against the groups' views; problems are
/// pushed as (listener or rule id, message).
pub(crate) fn compile_listener(
    config: &ListenerConfig,
    groups: &HashMap<String, Arc<GroupView>>,
    problems: &mut Vec<(String, String)>,
) -> ListenerRuntime {
    let mut inputs = Vec::with_capacity(config.rules.len());
    for rule in &config.rules {
        let mut broken = false;
        let mut conditions = Vec::with_capacity(rule.conditions.len());
        for condition in &rule.conditions {
            match Matcher::compile(condition) {
                Ok(m) => conditions.push(m),
                Err(e) => {
                    problems.push((rule.id.clone(), e));
                    broken = true;
                }
            }
        }
        let action = match compile_action(&rule.action, groups) {
            Ok(action) => action,
            Err(e) => {
                problems.push((rule.id.clone(), e));
                RouteAction::Broken
            }
        };
        inputs.push(RuleInput {
            priority: rule.priority,
            conditions,
            action: if broken { RouteAction::Broken } else { action },
            id: rule.id.clone(),
        });
    }
    let (rules, table_problems) = RuleTable::build(inputs, || RouteAction::Broken);
    problems.extend(table_problems.into_iter().map(|p| (config.id.clone(), p)));
    ListenerRuntime {
        rules,
        idle_timeout: config.idle_timeout,
        drop_invalid_header_fields: config.drop_invalid_header_fields,
    }
}

fn compile_action(
    action: &Action,
    groups: &HashMap<String, Arc<GroupView>>,
) -> Result<RouteAction, String> {
    Ok(match action {
        Action::Forward {
            target_groups,
            stickiness,
        } => {
            if target_groups.is_empty() {
                return Err("forward action without target groups".to_owned());
            }
            let mut views = Vec::with_capacity(target_groups.len());
            let mut weights = Vec::with_capacity(target_groups.len());
            for (id, weight) in target_groups {
                let view = groups
                    .get(id)
                    .ok_or_else(|| format!("unknown target group {id}"))?;
                if *weight > 999 {
                    return Err(format!("weight {weight} of {id} is over 999"));
                }
                views.push(Arc::clone(view));
                weights.push(*weight);
            }
            RouteAction::Forward(Forward {
                groups: views.into(),
                weights: weights.into(),
                stickiness: *stickiness,
            })
        }
        Action::FixedResponse {
            status,
            content_type,
            body,
        } => {
            let status = StatusCode::from_u16(*status)
                .ok()
                .filter(|s| (200..600).contains(&s.as_u16()))
                .ok_or_else(|| format!("fixed-response status {status} is not 2XX, 4XX or 5XX"))?;
            let content_type = content_type
                .as_deref()
                .map(HeaderValue::from_str)
                .transpose()
                .map_err(|_| {
                    "fixed-response content type is not a valid header value".to_owned()
                })?;
            RouteAction::Fixed {
                status,
                content_type,
                body: Bytes::from(body.clone()),
            }
        }
        Action::Redirect {
            protocol,
            host,
            port,
            path,
            query,
            status,
        } => RouteAction::Redirect(Redirect::compile(
            protocol, host, port, path, query, *status,
        )?),
    })
}

/// The groups a listener's rules forward to.
pub(crate) fn referenced_groups(config: &ListenerConfig) -> impl Iterator<Item = &str> {
    config.rules.iter().flat_map(|rule| match &rule.action {
        Action::Forward { target_groups, .. } => {
            target_groups.iter().map(|(id, _)| id.as_str()).collect()
        }
        _ => Vec::new(),
    })
}

//! CreateRule, DescribeRules, ModifyRule, DeleteRule, SetRulePriorities. A listener's
//! default rule is its default actions: DescribeRules shows it last, ModifyRule changes its
//! actions, and it cannot be deleted or moved.

use std::sync::Arc;

use berth_aws::RequestContext;
use berth_elbv2_model::shapes::*;

use super::actions::{self, Scope};
use super::{
    check_tags, conditions, find_listener, find_rule, new_id, page, page_size, required, rule_arn,
    Empty, RuleRef,
};
use crate::error::{ElbError, Result};
use crate::records::{named_key, rule_key, ListenerRec, LoadBalancerRec, RuleRec};
use crate::state::{State, Tx};
use crate::Elb;

/// The most rules a listener has besides its default one (ELB's default quota is 100 per
/// load balancer, raised on request; Berth takes 1,000 per listener).
const MAX_RULES: usize = 1000;

fn check_priority(p: i32) -> Result<u32> {
    u32::try_from(p)
        .ok()
        .filter(|p| (1..=50000).contains(p))
        .ok_or_else(|| ElbError::validation(format!("Priority {p} must be from 1 to 50000")))
}

fn priority_in_use(p: u32) -> ElbError {
    ElbError::exception(
        "PriorityInUseException",
        format!("Priority '{p}' is currently in use"),
    )
}

pub(crate) fn view(ctx: &RequestContext, listener: &ListenerRec, rule: Option<&RuleRec>) -> Rule {
    match rule {
        Some(r) => Rule {
            rule_arn: Some(r.arn.clone()),
            priority: Some(r.priority.to_string()),
            conditions: Some(r.conditions.clone()),
            actions: Some(r.actions.clone()),
            is_default: Some(false),
            ..Default::default()
        },
        None => Rule {
            rule_arn: Some(rule_arn(ctx, listener, &listener.default_rule_id)),
            priority: Some("default".into()),
            conditions: Some(Vec::new()),
            actions: Some(listener.default_actions.clone()),
            is_default: Some(true),
            ..Default::default()
        },
    }
}

fn lb_of(state: &State, l: &ListenerRec) -> Result<Arc<LoadBalancerRec>> {
    state
        .load_balancers
        .get(&named_key(&l.account, &l.load_balancer_name))
        .cloned()
        .ok_or_else(super::listener_not_found)
}

/// A listener's rules by priority, its default rule last.
fn ordered(ctx: &RequestContext, state: &State, l: &ListenerRec) -> Vec<Rule> {
    let mut rules: Vec<Arc<RuleRec>> = state.rules_of(&ctx.account, &l.id).cloned().collect();
    rules.sort_by_key(|r| r.priority);
    let mut out: Vec<Rule> = rules.iter().map(|r| view(ctx, l, Some(r))).collect();
    out.push(view(ctx, l, None));
    out
}

impl Elb {
    pub(crate) fn create_rule(
        &self,
        ctx: &RequestContext,
        r: CreateRuleInput,
    ) -> Result<CreateRuleOutput> {
        let arn = required(&r.listener_arn, "ListenerArn")?;
        let priority = check_priority(*required(&r.priority, "Priority")?)?;
        let conds = conditions::check(required(&r.conditions, "Conditions")?)?;
        let given = required(&r.actions, "Actions")?;
        if r.transforms.as_ref().is_some_and(|t| !t.is_empty()) {
            return Err(ElbError::invalid_config(
                "Rule transforms are not supported by Berth yet",
            ));
        }
        let tags = check_tags(r.tags.as_deref())?;
        self.db.write(|tx| {
            let l = find_listener(tx.state, ctx, arn)?;
            let lb = lb_of(tx.state, &l)?;
            if l.protocol != "HTTP" && l.protocol != "HTTPS" {
                return Err(ElbError::invalid_config(
                    "Rules can be added to HTTP and HTTPS listeners only",
                ));
            }
            let acts = actions::check(
                &Scope {
                    ctx,
                    state: tx.state,
                    lb: &lb,
                    protocol: &l.protocol,
                },
                given,
            )?;
            if tx
                .state
                .rules_of(&ctx.account, &l.id)
                .any(|o| o.priority == priority)
            {
                return Err(priority_in_use(priority));
            }
            if tx.state.rules_of(&ctx.account, &l.id).count() >= MAX_RULES {
                return Err(ElbError::exception(
                    "TooManyRulesException",
                    format!("A listener can have at most {MAX_RULES} rules"),
                ));
            }
            let id = new_id();
            let rule = RuleRec {
                account: ctx.account.clone(),
                arn: rule_arn(ctx, &l, &id),
                id,
                listener_id: l.id.clone(),
                priority,
                conditions: conds.clone(),
                actions: acts,
                tags: tags.clone(),
            };
            let out = view(ctx, &l, Some(&rule));
            tx.put(rule)?;
            Ok(CreateRuleOutput {
                rules: Some(vec![out]),
            })
        })
    }

    pub(crate) fn describe_rules(
        &self,
        ctx: &RequestContext,
        r: DescribeRulesInput,
    ) -> Result<DescribeRulesOutput> {
        let size = page_size(r.page_size)?;
        let state = self.db.snapshot();
        let arns = r.rule_arns.unwrap_or_default();
        let rules: Vec<Rule> = match (&r.listener_arn, arns.is_empty()) {
            (Some(_), false) => {
                return Err(ElbError::validation(
                    "Rule ARNs and a listener ARN cannot be specified at the same time",
                ))
            }
            (Some(l), true) => ordered(ctx, &state, &*find_listener(&state, ctx, l)?),
            (None, false) => arns
                .iter()
                .map(|a| {
                    Ok(match find_rule(&state, ctx, a)? {
                        RuleRef::Default(l) => view(ctx, &l, None),
                        RuleRef::Other(l, rule) => view(ctx, &l, Some(&rule)),
                    })
                })
                .collect::<Result<_>>()?,
            (None, true) => {
                return Err(ElbError::validation(
                    "You must specify either rule ARNs or a listener ARN",
                ))
            }
        };
        let keyed = rules
            .into_iter()
            .enumerate()
            .map(|(i, r)| (format!("{i:06}"), r));
        let p = page(keyed, r.marker.as_deref(), size)?;
        Ok(DescribeRulesOutput {
            rules: Some(p.items),
            next_marker: p.next_token,
        })
    }

    pub(crate) fn modify_rule(
        &self,
        ctx: &RequestContext,
        r: ModifyRuleInput,
    ) -> Result<ModifyRuleOutput> {
        let arn = required(&r.rule_arn, "RuleArn")?;
        let conds = r.conditions.as_deref().map(conditions::check).transpose()?;
        if r.transforms.as_ref().is_some_and(|t| !t.is_empty()) {
            return Err(ElbError::invalid_config(
                "Rule transforms are not supported by Berth yet",
            ));
        }
        self.db.write(|tx| match find_rule(tx.state, ctx, arn)? {
            RuleRef::Default(l) => {
                if conds.as_ref().is_some_and(|c| !c.is_empty()) {
                    return Err(ElbError::exception(
                        "OperationNotPermittedException",
                        "The conditions of a default rule cannot be modified",
                    ));
                }
                let mut l = (*l).clone();
                if let Some(a) = &r.actions {
                    let lb = lb_of(tx.state, &l)?;
                    l.default_actions = actions::check(
                        &Scope {
                            ctx,
                            state: tx.state,
                            lb: &lb,
                            protocol: &l.protocol,
                        },
                        a,
                    )?;
                }
                let out = view(ctx, &l, None);
                tx.put(l)?;
                Ok(ModifyRuleOutput {
                    rules: Some(vec![out]),
                })
            }
            RuleRef::Other(l, rule) => {
                let mut rule = (*rule).clone();
                if let Some(c) = &conds {
                    rule.conditions = c.clone();
                }
                if let Some(a) = &r.actions {
                    let lb = lb_of(tx.state, &l)?;
                    rule.actions = actions::check(
                        &Scope {
                            ctx,
                            state: tx.state,
                            lb: &lb,
                            protocol: &l.protocol,
                        },
                        a,
                    )?;
                }
                let out = view(ctx, &l, Some(&rule));
                tx.put(rule)?;
                Ok(ModifyRuleOutput {
                    rules: Some(vec![out]),
                })
            }
        })
    }

    pub(crate) fn delete_rule(&self, ctx: &RequestContext, r: DeleteRuleInput) -> Result<Empty> {
        let arn = required(&r.rule_arn, "RuleArn")?;
        self.db.write(|tx| match find_rule(tx.state, ctx, arn)? {
            RuleRef::Default(_) => Err(ElbError::exception(
                "OperationNotPermittedException",
                "A default rule cannot be deleted",
            )),
            RuleRef::Other(l, rule) => {
                tx.delete::<RuleRec>(&rule_key(&ctx.account, &l.id, &rule.id));
                Ok(Empty {})
            }
        })
    }

    pub(crate) fn set_rule_priorities(
        &self,
        ctx: &RequestContext,
        r: SetRulePrioritiesInput,
    ) -> Result<SetRulePrioritiesOutput> {
        let pairs = required(&r.rule_priorities, "RulePriorities")?;
        self.db.write(|tx| {
            let mut changed: Vec<(Arc<ListenerRec>, RuleRec)> = Vec::new();
            for p in pairs {
                let arn = required(&p.rule_arn, "RuleArn")?;
                let priority = check_priority(*required(&p.priority, "Priority")?)?;
                match find_rule(tx.state, ctx, arn)? {
                    RuleRef::Default(_) => {
                        return Err(ElbError::exception(
                            "OperationNotPermittedException",
                            "The priority of a default rule cannot be changed",
                        ))
                    }
                    RuleRef::Other(l, rule) => {
                        if changed.iter().any(|(_, o)| o.id == rule.id) {
                            return Err(ElbError::validation(format!(
                                "Rule '{arn}' is given more than once"
                            )));
                        }
                        let mut rule = (*rule).clone();
                        rule.priority = priority;
                        changed.push((l, rule));
                    }
                }
            }
            apply_priorities(tx, ctx, &changed)?;
            let rules = changed
                .iter()
                .map(|(l, rule)| view(ctx, l, Some(rule)))
                .collect();
            Ok(SetRulePrioritiesOutput { rules: Some(rules) })
        })
    }
}

/// Puts the re-prioritised rules, refusing a priority another rule of the listener keeps.
fn apply_priorities(
    tx: &mut Tx<'_>,
    ctx: &RequestContext,
    changed: &[(Arc<ListenerRec>, RuleRec)],
) -> Result<()> {
    for (l, rule) in changed {
        let clash = tx.state.rules_of(&ctx.account, &l.id).any(|o| {
            o.id != rule.id
                && match changed.iter().find(|(_, c)| c.id == o.id) {
                    Some((_, c)) => c.priority == rule.priority,
                    None => o.priority == rule.priority,
                }
        });
        if clash {
            return Err(priority_in_use(rule.priority));
        }
    }
    for (_, rule) in changed {
        tx.put(rule.clone())?;
    }
    Ok(())
}

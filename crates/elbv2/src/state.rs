//! ELB's tables, over berth-commit's write path, and the key ranges they are read by.

use std::sync::Arc;

use berth_commit::Table;

use crate::error::{ElbError, Result};
use crate::records::*;

#[derive(Default, Clone)]
pub struct State {
    pub load_balancers: Table<LoadBalancerRec>,
    pub target_groups: Table<TargetGroupRec>,
    pub targets: Table<TargetRec>,
    pub listeners: Table<ListenerRec>,
    pub rules: Table<RuleRec>,
}

impl berth_commit::Tables for State {
    type Error = ElbError;
}

pub type Db = berth_commit::Db<State>;
pub type Tx<'a> = berth_commit::Tx<'a, State>;

pub fn open(store: Arc<dyn berth_store::Store>) -> Result<Db> {
    Ok(Db::open(store, |l| {
        l.load::<LoadBalancerRec>()?;
        l.load::<TargetGroupRec>()?;
        l.load::<TargetRec>()?;
        l.load::<ListenerRec>()?;
        l.load::<RuleRec>()
    })?)
}

/// The records whose keys start with `prefix`, in key order.
fn with_prefix<'a, T>(
    table: &'a Table<T>,
    prefix: String,
) -> impl Iterator<Item = &'a Arc<T>> + 'a {
    table
        .range(prefix.clone()..)
        .take_while(move |(k, _)| k.starts_with(&prefix))
        .map(|(_, v)| v)
}

impl State {
    pub fn load_balancers_of<'a>(
        &'a self,
        account: &str,
    ) -> impl Iterator<Item = &'a Arc<LoadBalancerRec>> + 'a {
        with_prefix(&self.load_balancers, format!("{account}:"))
    }

    pub fn target_groups_of<'a>(
        &'a self,
        account: &str,
    ) -> impl Iterator<Item = &'a Arc<TargetGroupRec>> + 'a {
        with_prefix(&self.target_groups, format!("{account}:"))
    }

    /// The targets registered with a target group, by id then port.
    pub fn targets_of<'a>(
        &'a self,
        account: &str,
        tg_id: &str,
    ) -> impl Iterator<Item = &'a Arc<TargetRec>> + 'a {
        with_prefix(&self.targets, format!("{account}:{tg_id}:"))
    }

    /// A load balancer's listeners, by id.
    pub fn listeners_of<'a>(
        &'a self,
        account: &str,
        lb_id: &str,
    ) -> impl Iterator<Item = &'a Arc<ListenerRec>> + 'a {
        with_prefix(&self.listeners, format!("{account}:{lb_id}:"))
    }

    /// Every listener of an account.
    pub fn all_listeners_of<'a>(
        &'a self,
        account: &str,
    ) -> impl Iterator<Item = &'a Arc<ListenerRec>> + 'a {
        with_prefix(&self.listeners, format!("{account}:"))
    }

    /// A listener's rules other than its default one, by id (not by priority).
    pub fn rules_of<'a>(
        &'a self,
        account: &str,
        listener_id: &str,
    ) -> impl Iterator<Item = &'a Arc<RuleRec>> + 'a {
        with_prefix(&self.rules, format!("{account}:{listener_id}:"))
    }

    /// The load balancers whose listeners or rules forward to target group `tg_arn`.
    pub fn load_balancers_using(&self, account: &str, tg_arn: &str) -> Vec<String> {
        let mut ids: Vec<&str> = Vec::new();
        for l in self.all_listeners_of(account) {
            let uses = crate::ops::actions::forwards_to(&l.default_actions, tg_arn)
                || self
                    .rules_of(account, &l.id)
                    .any(|r| crate::ops::actions::forwards_to(&r.actions, tg_arn));
            if uses && !ids.contains(&l.load_balancer_name.as_str()) {
                ids.push(&l.load_balancer_name);
            }
        }
        ids.iter()
            .filter_map(|name| self.load_balancers.get(&named_key(account, name)))
            .map(|lb| lb.arn.clone())
            .collect()
    }
}

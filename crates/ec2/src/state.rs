//! EC2's tables, over berth-commit's write path, and the lookups that put the derived
//! default VPC's `default` security group beside the stored ones.

use std::collections::BTreeMap;
use std::sync::Arc;

use berth_commit::Table;

use crate::error::{Ec2Error, Result};
use crate::network::{default_group_id, default_vpc_id, derived_id};
use crate::records::*;

#[derive(Default, Clone)]
pub struct State {
    pub security_groups: Table<SecurityGroupRec>,
    pub tags: Table<TagsRec>,
}

impl berth_commit::Tables for State {
    type Error = Ec2Error;
}

pub type Db = berth_commit::Db<State>;
pub type Tx<'a> = berth_commit::Tx<'a, State>;

pub fn open(store: Arc<dyn berth_store::Store>) -> Result<Db> {
    Ok(Db::open(store, |l| {
        l.load::<SecurityGroupRec>()?;
        l.load::<TagsRec>()
    })?)
}

/// The default VPC's `default` group as EC2 makes it: traffic in from its own members, all
/// traffic out.
pub fn default_group(account: &str) -> SecurityGroupRec {
    let id = default_group_id(account);
    SecurityGroupRec {
        account: account.to_owned(),
        name: "default".into(),
        description: "default VPC security group".into(),
        vpc_id: default_vpc_id(account),
        ingress: vec![RuleRec {
            id: derived_id("sgr", &format!("{account}:default:ingress")),
            protocol: "-1".into(),
            from_port: None,
            to_port: None,
            peer: Peer::Group {
                group_id: id.clone(),
                user_id: account.to_owned(),
            },
            description: None,
            tags: BTreeMap::new(),
        }],
        egress: vec![RuleRec {
            id: derived_id("sgr", &format!("{account}:default:egress")),
            protocol: "-1".into(),
            from_port: None,
            to_port: None,
            peer: Peer::Cidr4("0.0.0.0/0".into()),
            description: None,
            tags: BTreeMap::new(),
        }],
        tags: BTreeMap::new(),
        id,
    }
}

impl State {
    /// The security group `id` of `account`: stored, or the derived default one.
    pub fn group(&self, account: &str, id: &str) -> Option<Arc<SecurityGroupRec>> {
        if let Some(g) = self.security_groups.get(&key(account, id)) {
            return Some(g.clone());
        }
        (id == default_group_id(account)).then(|| Arc::new(default_group(account)))
    }

    /// Every security group of `account`, by id, the default one among them.
    pub fn groups_of(&self, account: &str) -> Vec<Arc<SecurityGroupRec>> {
        let prefix = format!("{account}:");
        let mut groups: Vec<Arc<SecurityGroupRec>> = self
            .security_groups
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, g)| g.clone())
            .collect();
        let default = default_group_id(account);
        if !groups.iter().any(|g| g.id == default) {
            groups.push(Arc::new(default_group(account)));
            groups.sort_by(|a, b| a.id.cmp(&b.id));
        }
        groups
    }

    /// The group named `name` in VPC `vpc_id` of `account`.
    pub fn group_named(
        &self,
        account: &str,
        vpc_id: &str,
        name: &str,
    ) -> Option<Arc<SecurityGroupRec>> {
        self.groups_of(account)
            .into_iter()
            .find(|g| g.vpc_id == vpc_id && g.name == name)
    }

    /// The group holding rule `rule_id`, and whether the rule is an egress one.
    pub fn group_of_rule(
        &self,
        account: &str,
        rule_id: &str,
    ) -> Option<(Arc<SecurityGroupRec>, bool)> {
        self.groups_of(account).into_iter().find_map(|g| {
            let egress = if g.ingress.iter().any(|r| r.id == rule_id) {
                false
            } else if g.egress.iter().any(|r| r.id == rule_id) {
                true
            } else {
                return None;
            };
            Some((g, egress))
        })
    }

    /// The tags of a resource that is not stored itself (the VPC, a subnet).
    pub fn resource_tags(&self, account: &str, id: &str) -> BTreeMap<String, String> {
        self.tags
            .get(&key(account, id))
            .map(|t| t.tags.clone())
            .unwrap_or_default()
    }

    /// Every stored set of resource tags of `account`.
    pub fn tagged_resources<'a>(
        &'a self,
        account: &str,
    ) -> impl Iterator<Item = &'a Arc<TagsRec>> + 'a {
        let prefix = format!("{account}:");
        self.tags
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(|(_, t)| t)
    }

    /// The groups of `account` with a rule that refers to group `id` (other than its own).
    pub fn groups_referring_to(&self, account: &str, id: &str) -> Vec<String> {
        self.groups_of(account)
            .into_iter()
            .filter(|g| g.id != id)
            .filter(|g| {
                g.ingress
                    .iter()
                    .chain(&g.egress)
                    .any(|r| matches!(&r.peer, Peer::Group { group_id, .. } if group_id == id))
            })
            .map(|g| g.id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_group_is_there_until_stored_and_then_the_stored_one() {
        let mut s = State::default();
        let account = "000000000000";
        let id = default_group_id(account);
        let derived = s.group(account, &id).expect("derived");
        assert_eq!(derived.name, "default");
        assert_eq!(s.groups_of(account).len(), 1);
        let mut changed = (*derived).clone();
        changed.ingress.clear();
        s.security_groups
            .insert(key(account, &id), Arc::new(changed));
        assert!(s.group(account, &id).is_some_and(|g| g.ingress.is_empty()));
        assert_eq!(s.groups_of(account).len(), 1);
        assert!(s.group("111111111111", &id).is_none());
        let rule = derived.egress[0].id.clone();
        assert_eq!(s.group_of_rule(account, &rule).map(|(_, e)| e), Some(true));
    }
}

//! IAM's tables, over berth-commit's write path.

use std::sync::Arc;

use berth_commit::Table;

use crate::error::{IamError, Result};
use crate::records::*;

#[derive(Default, Clone)]
pub struct State {
    pub users: Table<UserRec>,
    pub keys: Table<KeyRec>,
    pub roles: Table<RoleRec>,
    pub policies: Table<PolicyRec>,
    pub groups: Table<GroupRec>,
    pub server_certs: Table<ServerCertRec>,
}

impl berth_commit::Tables for State {
    type Error = IamError;
}

pub type Db = berth_commit::Db<State>;
pub type Tx<'a> = berth_commit::Tx<'a, State>;

pub fn open(store: Arc<dyn berth_store::Store>) -> Result<Db> {
    Ok(Db::open(store, |l| {
        l.load::<UserRec>()?;
        l.load::<KeyRec>()?;
        l.load::<RoleRec>()?;
        l.load::<PolicyRec>()?;
        l.load::<GroupRec>()?;
        l.load::<ServerCertRec>()
    })?)
}

impl State {
    /// An account's users, in name order.
    pub fn users_of<'a>(&'a self, account: &str) -> impl Iterator<Item = &'a Arc<UserRec>> + 'a {
        let prefix = format!("{account}/");
        self.users
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(|(_, u)| u)
    }

    /// An account's server certificates, in name order.
    pub fn server_certs_of<'a>(
        &'a self,
        account: &str,
    ) -> impl Iterator<Item = &'a Arc<ServerCertRec>> + 'a {
        let prefix = format!("{account}/");
        self.server_certs
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(|(_, c)| c)
    }

    /// An account's roles, in name order.
    pub fn roles_of<'a>(&'a self, account: &str) -> impl Iterator<Item = &'a Arc<RoleRec>> + 'a {
        let prefix = format!("{account}/");
        self.roles
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(|(_, r)| r)
    }

    /// An account's customer managed policies, in name order.
    pub fn policies_of<'a>(
        &'a self,
        account: &str,
    ) -> impl Iterator<Item = &'a Arc<PolicyRec>> + 'a {
        let prefix = format!("{account}/");
        self.policies
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(|(_, r)| r)
    }

    /// How many users, groups and roles have the managed policy `arn` attached.
    pub fn attachments(&self, arn: &str) -> usize {
        let users = self
            .users
            .values()
            .filter(|u| u.attached.iter().any(|a| a == arn));
        let roles = self
            .roles
            .values()
            .filter(|r| r.attached.iter().any(|a| a == arn));
        let groups = self
            .groups
            .values()
            .filter(|g| g.attached.iter().any(|a| a == arn));
        users.count() + roles.count() + groups.count()
    }

    /// An account's groups, in name order.
    pub fn groups_of<'a>(&'a self, account: &str) -> impl Iterator<Item = &'a Arc<GroupRec>> + 'a {
        let prefix = format!("{account}/");
        self.groups
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(|(_, g)| g)
    }

    /// A user's access keys.
    pub fn keys_of<'a>(
        &'a self,
        account: &'a str,
        user: &'a str,
    ) -> impl Iterator<Item = &'a Arc<KeyRec>> + 'a {
        self.keys
            .values()
            .filter(move |k| k.account == account && k.user == user)
    }
}

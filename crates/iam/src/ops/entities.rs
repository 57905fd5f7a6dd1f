//! What users and roles share: inline policies and attached managed policies, read and
//! changed the same way whichever of the two a request names.

use std::collections::BTreeMap;

use berth_aws::RequestContext;

use crate::error::{IamError, Result};
use crate::records::user_key;
use crate::Iam;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Entity {
    User,
    Role,
    Group,
}

impl Entity {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Entity::User => "user",
            Entity::Role => "role",
            Entity::Group => "group",
        }
    }

    pub(crate) fn missing(self, name: &str) -> IamError {
        match self {
            Entity::User => IamError::no_user(name),
            Entity::Role => IamError::no_role(name),
            Entity::Group => IamError::no_group(name),
        }
    }
}

/// The policies an entity holds.
pub(crate) struct Holds<'a> {
    /// Inline: name → document.
    pub policies: &'a mut BTreeMap<String, String>,
    /// Managed, by ARN.
    pub attached: &'a mut Vec<String>,
    pub tags: &'a mut BTreeMap<String, String>,
    pub tag_order: &'a mut Vec<String>,
}

impl Iam {
    /// Changes the policies of entity `name` of the caller's account in one write; `f` may
    /// also read the rest of the state (the policies it attaches).
    pub(crate) fn change_holds(
        &self,
        ctx: &RequestContext,
        entity: Entity,
        name: &str,
        f: impl FnOnce(&crate::state::State, Holds<'_>) -> Result<()>,
    ) -> Result<()> {
        let key = user_key(&ctx.account, name);
        self.db.write(|tx| match entity {
            Entity::User => {
                let u = tx
                    .state
                    .users
                    .get(&key)
                    .ok_or_else(|| entity.missing(name))?;
                let mut u = (**u).clone();
                f(
                    tx.state,
                    Holds {
                        policies: &mut u.policies,
                        attached: &mut u.attached,
                        tags: &mut u.tags,
                        tag_order: &mut u.tag_order,
                    },
                )?;
                tx.put(u)
            }
            Entity::Role => {
                let r = tx
                    .state
                    .roles
                    .get(&key)
                    .ok_or_else(|| entity.missing(name))?;
                let mut r = (**r).clone();
                f(
                    tx.state,
                    Holds {
                        policies: &mut r.policies,
                        attached: &mut r.attached,
                        tags: &mut r.tags,
                        tag_order: &mut r.tag_order,
                    },
                )?;
                tx.put(r)
            }
            Entity::Group => {
                let g = tx
                    .state
                    .groups
                    .get(&key)
                    .ok_or_else(|| entity.missing(name))?;
                let mut g = (**g).clone();
                f(
                    tx.state,
                    Holds {
                        policies: &mut g.policies,
                        attached: &mut g.attached,
                        tags: &mut g.tags,
                        tag_order: &mut g.tag_order,
                    },
                )?;
                tx.put(g)
            }
        })
    }

    /// The inline and attached policies of entity `name` of the caller's account.
    pub(crate) fn holds_of(
        &self,
        ctx: &RequestContext,
        entity: Entity,
        name: &str,
    ) -> Result<(BTreeMap<String, String>, Vec<String>)> {
        let key = user_key(&ctx.account, name);
        self.db
            .read(|s| match entity {
                Entity::User => s
                    .users
                    .get(&key)
                    .map(|u| (u.policies.clone(), u.attached.clone())),
                Entity::Role => s
                    .roles
                    .get(&key)
                    .map(|r| (r.policies.clone(), r.attached.clone())),
                Entity::Group => s
                    .groups
                    .get(&key)
                    .map(|g| (g.policies.clone(), g.attached.clone())),
            })
            .ok_or_else(|| entity.missing(name))
    }
}

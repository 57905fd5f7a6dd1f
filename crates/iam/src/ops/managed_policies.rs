//! CreatePolicy, GetPolicy, ListPolicies, DeletePolicy and the versions: CreatePolicyVersion,
//! GetPolicyVersion, ListPolicyVersions, DeletePolicyVersion, SetDefaultPolicyVersion.
//! Customer managed policies are records; AWS managed ones the fixed table.

use berth_aws::RequestContext;
use berth_iam_model::shapes::*;

use super::aws_policies::{self, AwsPolicy, AWS_POLICIES};
use super::inline_policies::{form_encode, parse_identity_policy};
use super::{check_name, check_path, checked_tags, new_id, page, tag_list, Empty};
use crate::error::{IamError, Result};
use crate::records::{user_key, PolicyRec, VersionRec};
use crate::state::State;
use crate::Iam;

/// Characters a managed policy's document may hold (whitespace not counted).
const MAX_CHARS: usize = 6144;
/// Versions a managed policy keeps at most.
const MAX_VERSIONS: usize = 5;

/// A managed policy of either kind, as the operations answer it.
pub(crate) struct Managed {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub description: Option<String>,
    pub created: f64,
    pub updated: f64,
    pub default_version: String,
    /// (id, document, created), oldest first.
    pub versions: Vec<(String, String, f64)>,
    pub tags: Vec<Tag>,
}

impl Managed {
    fn of_aws(p: &AwsPolicy) -> Managed {
        Managed {
            name: p.name.into(),
            path: p.path.into(),
            id: p.id(),
            arn: p.arn(),
            description: Some(p.description.into()),
            created: aws_policies::CREATED,
            updated: aws_policies::CREATED,
            default_version: "v1".into(),
            versions: vec![("v1".into(), p.document.into(), aws_policies::CREATED)],
            tags: Vec::new(),
        }
    }

    fn of_rec(p: &PolicyRec) -> Managed {
        Managed {
            name: p.name.clone(),
            path: p.path.clone(),
            id: p.id.clone(),
            arn: p.arn.clone(),
            description: p.description.clone(),
            created: p.created,
            updated: p.updated,
            default_version: p.default_version.clone(),
            versions: p
                .versions
                .iter()
                .map(|v| (v.id.clone(), v.document.clone(), v.created))
                .collect(),
            tags: tag_list(&p.tag_order, &p.tags),
        }
    }

    fn view(&self, state: &State, account: &str) -> Policy {
        let attached = state
            .users_of(account)
            .filter(|u| u.attached.contains(&self.arn))
            .count()
            + state
                .roles_of(account)
                .filter(|r| r.attached.contains(&self.arn))
                .count()
            + state
                .groups_of(account)
                .filter(|g| g.attached.contains(&self.arn))
                .count();
        Policy {
            policy_name: Some(self.name.clone()),
            policy_id: Some(self.id.clone()),
            arn: Some(self.arn.clone()),
            path: Some(self.path.clone()),
            default_version_id: Some(self.default_version.clone()),
            attachment_count: Some(i32::try_from(attached).unwrap_or(i32::MAX)),
            permissions_boundary_usage_count: Some(0),
            is_attachable: Some(true),
            description: self.description.clone(),
            create_date: Some(self.created),
            update_date: Some(self.updated),
            tags: (!self.tags.is_empty()).then(|| self.tags.clone()),
        }
    }

    fn version(&self, id: &str) -> Option<PolicyVersion> {
        self.versions
            .iter()
            .find(|(v, _, _)| v == id)
            .map(|(v, doc, created)| PolicyVersion {
                document: Some(form_encode(doc)),
                version_id: Some(v.clone()),
                is_default_version: Some(*v == self.default_version),
                create_date: Some(*created),
            })
    }
}

/// The key of the customer managed policy `arn` of `account`, if `arn` names one there.
fn local_key(account: &str, arn: &str) -> Option<String> {
    let rest = arn.strip_prefix(&format!("arn:aws:iam::{account}:policy/"))?;
    let name = rest.rsplit('/').next()?;
    Some(user_key(account, name))
}

pub(crate) fn no_policy(arn: &str) -> IamError {
    IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
}

/// The managed policy `arn` that the caller's account can see: AWS's, or its own.
pub(crate) fn find(state: &State, account: &str, arn: &str) -> Option<Managed> {
    if let Some(p) = aws_policies::aws_policy(arn) {
        return Some(Managed::of_aws(p));
    }
    let key = local_key(account, arn)?;
    state
        .policies
        .get(&key)
        .filter(|p| p.arn == arn)
        .map(|p| Managed::of_rec(p))
}

fn counted(doc: &str) -> usize {
    doc.chars().filter(|c| !c.is_whitespace()).count()
}

fn check_document(doc: &str) -> Result<()> {
    parse_identity_policy(doc)?;
    if counted(doc) > MAX_CHARS {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for PolicySize: {MAX_CHARS}"
        )));
    }
    Ok(())
}

fn aws_read_only(arn: &str) -> IamError {
    IamError::InvalidInput(format!(
        "Policy {arn} is an AWS managed policy and cannot be changed."
    ))
}

impl Iam {
    /// Changes the caller's own managed policy `arn` in one write.
    fn change_policy(
        &self,
        ctx: &RequestContext,
        arn: &str,
        f: impl FnOnce(&State, &mut PolicyRec) -> Result<()>,
    ) -> Result<()> {
        if aws_policies::aws_policy(arn).is_some() {
            return Err(aws_read_only(arn));
        }
        let key = local_key(&ctx.account, arn).ok_or_else(|| no_policy(arn))?;
        let now = self.now();
        self.db.write(|tx| {
            let p = tx
                .state
                .policies
                .get(&key)
                .filter(|p| p.arn == arn)
                .ok_or_else(|| no_policy(arn))?;
            let mut p = (**p).clone();
            f(tx.state, &mut p)?;
            p.updated = now;
            tx.put(p)
        })
    }

    pub(crate) fn create_policy(
        &self,
        ctx: &RequestContext,
        req: CreatePolicyRequest,
    ) -> Result<CreatePolicyResponse> {
        let name = req.policy_name.clone().unwrap_or_default();
        check_name(&name, "policyName", 128)?;
        let path = req.path.clone().unwrap_or_else(|| "/".into());
        check_path(&path)?;
        let doc = req.policy_document.clone().unwrap_or_default();
        check_document(&doc)?;
        let tags = checked_tags(req.tags.as_ref())?;
        let now = self.now();
        let rec = self.db.write(|tx| {
            if tx
                .state
                .policies_of(&ctx.account)
                .any(|p| p.name.eq_ignore_ascii_case(&name))
            {
                return Err(IamError::EntityAlreadyExists(format!(
                    "A policy called {name} already exists. Duplicate names are not allowed."
                )));
            }
            let rec = PolicyRec {
                account: ctx.account.clone(),
                name: name.clone(),
                path: path.clone(),
                id: new_id("ANPA")?,
                arn: format!("arn:aws:iam::{}:policy{path}{name}", ctx.account),
                created: now,
                updated: now,
                description: req.description.clone(),
                default_version: "v1".into(),
                versions: vec![VersionRec {
                    id: "v1".into(),
                    document: doc.clone(),
                    created: now,
                }],
                next_version: 2,
                tags: tags.map.clone(),
                tag_order: tags.order.clone(),
            };
            tx.put(rec.clone())?;
            Ok(rec)
        })?;
        let state = self.db.snapshot();
        Ok(CreatePolicyResponse {
            policy: Some(Managed::of_rec(&rec).view(&state, &ctx.account)),
        })
    }

    pub(crate) fn get_policy(
        &self,
        ctx: &RequestContext,
        req: GetPolicyRequest,
    ) -> Result<GetPolicyResponse> {
        let arn = req.policy_arn.clone().unwrap_or_default();
        let state = self.db.snapshot();
        let p = find(&state, &ctx.account, &arn).ok_or_else(|| no_policy(&arn))?;
        Ok(GetPolicyResponse {
            policy: Some(p.view(&state, &ctx.account)),
        })
    }

    pub(crate) fn list_policies(
        &self,
        ctx: &RequestContext,
        req: ListPoliciesRequest,
    ) -> Result<ListPoliciesResponse> {
        let scope = req
            .scope
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_else(|| "All".into());
        let prefix = req.path_prefix.clone().unwrap_or_else(|| "/".into());
        let state = self.db.snapshot();
        let mut all: Vec<Managed> = Vec::new();
        if scope != "Local" {
            all.extend(AWS_POLICIES.iter().map(Managed::of_aws));
        }
        if scope != "AWS" {
            all.extend(state.policies_of(&ctx.account).map(|p| Managed::of_rec(p)));
        }
        let views = all
            .iter()
            .filter(|m| m.path.starts_with(&prefix))
            .map(|m| m.view(&state, &ctx.account))
            .filter(|v| req.only_attached != Some(true) || v.attachment_count.unwrap_or(0) > 0)
            .map(|v| (v.arn.clone().unwrap_or_default(), v));
        let (policies, marker) = page(views, req.marker.as_deref(), req.max_items)?;
        Ok(ListPoliciesResponse {
            policies: Some(policies),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) fn delete_policy(
        &self,
        ctx: &RequestContext,
        req: DeletePolicyRequest,
    ) -> Result<Empty> {
        let arn = req.policy_arn.clone().unwrap_or_default();
        if aws_policies::aws_policy(&arn).is_some() {
            return Err(aws_read_only(&arn));
        }
        let key = local_key(&ctx.account, &arn).ok_or_else(|| no_policy(&arn))?;
        self.db.write(|tx| {
            let p = tx
                .state
                .policies
                .get(&key)
                .filter(|p| p.arn == arn)
                .ok_or_else(|| no_policy(&arn))?;
            if tx.state.attachments(&arn) > 0 {
                return Err(IamError::DeleteConflict(
                    "Cannot delete a policy attached to entities.".into(),
                ));
            }
            if p.versions.len() > 1 {
                return Err(IamError::DeleteConflict(
                    "This policy has more than one version. Delete its other versions first; the default version goes with the policy.".into(),
                ));
            }
            tx.delete::<PolicyRec>(&key);
            Ok(())
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn create_policy_version(
        &self,
        ctx: &RequestContext,
        req: CreatePolicyVersionRequest,
    ) -> Result<CreatePolicyVersionResponse> {
        let arn = req.policy_arn.clone().unwrap_or_default();
        let doc = req.policy_document.clone().unwrap_or_default();
        check_document(&doc)?;
        let now = self.now();
        let mut made = String::new();
        self.change_policy(ctx, &arn, |_, p| {
            if p.versions.len() >= MAX_VERSIONS {
                return Err(IamError::LimitExceeded(format!(
                    "A managed policy can have up to {MAX_VERSIONS} versions. Delete a version before you create a new one."
                )));
            }
            made = format!("v{}", p.next_version);
            p.next_version += 1;
            p.versions.push(VersionRec {
                id: made.clone(),
                document: doc.clone(),
                created: now,
            });
            if req.set_as_default == Some(true) {
                p.default_version = made.clone();
            }
            Ok(())
        })?;
        Ok(CreatePolicyVersionResponse {
            policy_version: Some(PolicyVersion {
                document: None,
                version_id: Some(made),
                is_default_version: Some(req.set_as_default == Some(true)),
                create_date: Some(now),
            }),
        })
    }

    pub(crate) fn get_policy_version(
        &self,
        ctx: &RequestContext,
        req: GetPolicyVersionRequest,
    ) -> Result<GetPolicyVersionResponse> {
        let arn = req.policy_arn.clone().unwrap_or_default();
        let id = req.version_id.clone().unwrap_or_default();
        let state = self.db.snapshot();
        let p = find(&state, &ctx.account, &arn).ok_or_else(|| no_policy(&arn))?;
        let v = p.version(&id).ok_or_else(|| {
            IamError::NoSuchEntity(format!("Policy {arn} version {id} does not exist."))
        })?;
        Ok(GetPolicyVersionResponse {
            policy_version: Some(v),
        })
    }

    pub(crate) fn list_policy_versions(
        &self,
        ctx: &RequestContext,
        req: ListPolicyVersionsRequest,
    ) -> Result<ListPolicyVersionsResponse> {
        let arn = req.policy_arn.clone().unwrap_or_default();
        let state = self.db.snapshot();
        let p = find(&state, &ctx.account, &arn).ok_or_else(|| no_policy(&arn))?;
        // Newest first, without documents, as IAM lists them.
        let items: Vec<_> = p
            .versions
            .iter()
            .rev()
            .filter_map(|(id, _, _)| p.version(id))
            .map(|v| PolicyVersion {
                document: None,
                ..v
            })
            .enumerate()
            .map(|(i, v)| (format!("{i:05}"), v))
            .collect();
        let (versions, marker) = page(items, req.marker.as_deref(), req.max_items)?;
        Ok(ListPolicyVersionsResponse {
            versions: Some(versions),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) fn delete_policy_version(
        &self,
        ctx: &RequestContext,
        req: DeletePolicyVersionRequest,
    ) -> Result<Empty> {
        let arn = req.policy_arn.clone().unwrap_or_default();
        let id = req.version_id.clone().unwrap_or_default();
        self.change_policy(ctx, &arn, |_, p| {
            if p.default_version == id {
                return Err(IamError::DeleteConflict(
                    "Cannot delete the default version of a policy.".into(),
                ));
            }
            let before = p.versions.len();
            p.versions.retain(|v| v.id != id);
            if p.versions.len() == before {
                return Err(IamError::NoSuchEntity(format!(
                    "Policy {arn} version {id} does not exist."
                )));
            }
            Ok(())
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn set_default_policy_version(
        &self,
        ctx: &RequestContext,
        req: SetDefaultPolicyVersionRequest,
    ) -> Result<Empty> {
        let arn = req.policy_arn.clone().unwrap_or_default();
        let id = req.version_id.clone().unwrap_or_default();
        self.change_policy(ctx, &arn, |_, p| {
            if !p.versions.iter().any(|v| v.id == id) {
                return Err(IamError::NoSuchEntity(format!(
                    "Policy {arn} version {id} does not exist."
                )));
            }
            p.default_version = id.clone();
            Ok(())
        })?;
        Ok(Empty::default())
    }
}

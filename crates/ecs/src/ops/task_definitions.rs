//! RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions,
//! ListTaskDefinitionFamilies, DeregisterTaskDefinition, DeleteTaskDefinitions.

use std::collections::BTreeMap;

use berth_ecs_model::shapes::*;

use super::{failure, list, task_definition_rules, validate_tags};
use crate::error::{EcsError, Result};
use crate::page::{page_size, paginate, paginate_ordered};
use crate::records::{task_definition_key, FamilyRec, TaskDefinitionRec};
use crate::state::State;
use crate::Ecs;

/// ECS's limit on the size of a task definition document.
const MAX_DEFINITION_BYTES: usize = 64 * 1024;

impl Ecs {
    pub(crate) fn register_task_definition(
        &self,
        req: RegisterTaskDefinitionRequest,
    ) -> Result<RegisterTaskDefinitionResponse> {
        let size = serde_json::to_vec(&req).map(|v| v.len()).unwrap_or(0);
        if size > MAX_DEFINITION_BYTES {
            return Err(EcsError::client(format!(
                "The task definition is {size} bytes; the limit is {MAX_DEFINITION_BYTES} bytes."
            )));
        }
        validate_tags(list(&req.tags))?;
        let mut def = task_definition_rules::build(&req)?;
        let family = def.family.clone().unwrap_or_default();
        let tags = req.tags.clone().unwrap_or_default();
        let now = self.now();
        let rec = self.db.write(|tx| {
            let revision = tx
                .state
                .families
                .get(&family)
                .map_or(0, |f| f.last_revision)
                + 1;
            def.revision = revision;
            def.task_definition_arn = Some(self.scope.task_definition_arn(&family, revision));
            def.registered_at = Some(now);
            def.registered_by = Some(self.principal());
            let rec = TaskDefinitionRec {
                definition: def,
                tags: tags.clone(),
            };
            tx.put(FamilyRec {
                family: family.clone(),
                last_revision: revision,
            })?;
            tx.put(rec.clone())?;
            Ok(rec)
        })?;
        Ok(RegisterTaskDefinitionResponse {
            task_definition: Some(rec.definition),
            tags: Some(rec.tags),
        })
    }

    pub(crate) fn describe_task_definition(
        &self,
        req: DescribeTaskDefinitionRequest,
    ) -> Result<DescribeTaskDefinitionResponse> {
        let param = req.task_definition.unwrap_or_default();
        let with_tags = list(&req.include).contains(&TaskDefinitionField::Tags);
        self.db.read(|state| {
            let rec = self
                .find_task_definition(state, &param)
                .ok_or_else(|| EcsError::client("Unable to describe task definition."))?;
            Ok(DescribeTaskDefinitionResponse {
                task_definition: Some(rec.definition.clone()),
                tags: with_tags.then(|| rec.tags.clone()),
            })
        })
    }

    pub(crate) fn list_task_definitions(
        &self,
        req: ListTaskDefinitionsRequest,
    ) -> Result<ListTaskDefinitionsResponse> {
        let size = page_size(req.max_results, 100, 100)?;
        let status = req.status.clone().unwrap_or(TaskDefinitionStatus::Active);
        let desc = req.sort == Some(SortOrder::Desc);
        self.db.read(|state| {
            let mut defs: Vec<(String, String)> = state
                .task_definitions
                .values()
                .filter(|r| r.definition.status.as_ref() == Some(&status))
                .filter(|r| req.family_prefix.as_deref().is_none_or(|f| r.family() == f))
                .map(|r| {
                    let arn = r.definition.task_definition_arn.clone().unwrap_or_default();
                    // NUL sorts below every family character: "a" before "a-b".
                    (
                        format!("{}\0{:010}", r.family(), r.definition.revision),
                        arn,
                    )
                })
                .collect();
            defs.sort();
            if desc {
                defs.reverse();
            }
            let page = paginate_ordered(defs, req.next_token.as_deref(), size, desc)?;
            Ok(ListTaskDefinitionsResponse {
                task_definition_arns: Some(page.items),
                next_token: page.next_token,
            })
        })
    }

    pub(crate) fn list_task_definition_families(
        &self,
        req: ListTaskDefinitionFamiliesRequest,
    ) -> Result<ListTaskDefinitionFamiliesResponse> {
        let size = page_size(req.max_results, 100, 100)?;
        let status = req
            .status
            .clone()
            .unwrap_or(TaskDefinitionFamilyStatus::All);
        self.db.read(|state| {
            let mut active: BTreeMap<&str, bool> = BTreeMap::new();
            for r in state.task_definitions.values() {
                let a = active.entry(r.family()).or_insert(false);
                *a |= r.definition.status == Some(TaskDefinitionStatus::Active);
            }
            let families = active
                .into_iter()
                .filter(|(f, _)| {
                    req.family_prefix
                        .as_deref()
                        .is_none_or(|p| f.starts_with(p))
                })
                .filter(|(_, has_active)| match &status {
                    TaskDefinitionFamilyStatus::Active => *has_active,
                    TaskDefinitionFamilyStatus::Inactive => !*has_active,
                    _ => true,
                })
                .map(|(f, _)| (f.to_owned(), f.to_owned()));
            let page = paginate(families, req.next_token.as_deref(), size)?;
            Ok(ListTaskDefinitionFamiliesResponse {
                families: Some(page.items),
                next_token: page.next_token,
            })
        })
    }

    pub(crate) fn deregister_task_definition(
        &self,
        req: DeregisterTaskDefinitionRequest,
    ) -> Result<DeregisterTaskDefinitionResponse> {
        let param = req.task_definition.unwrap_or_default();
        if !param.contains(':') {
            return Err(EcsError::client(
                "The task definition must be given as family:revision or as a full ARN.",
            ));
        }
        let now = self.now();
        let rec = self.db.write(|tx| {
            let mut rec = self
                .find_task_definition(tx.state, &param)
                .cloned()
                .ok_or_else(|| EcsError::client("The specified task definition does not exist."))?;
            if rec.definition.status == Some(TaskDefinitionStatus::Active) {
                rec.definition.status = Some(TaskDefinitionStatus::Inactive);
                rec.definition.deregistered_at = Some(now);
                tx.put(rec.clone())?;
            }
            Ok(rec)
        })?;
        Ok(DeregisterTaskDefinitionResponse {
            task_definition: Some(rec.definition),
        })
    }

    pub(crate) fn delete_task_definitions(
        &self,
        req: DeleteTaskDefinitionsRequest,
    ) -> Result<DeleteTaskDefinitionsResponse> {
        let params = req.task_definitions.unwrap_or_default();
        if params.is_empty() || params.len() > 10 {
            return Err(EcsError::invalid(
                "DeleteTaskDefinitions takes 1 to 10 task definitions.",
            ));
        }
        let now = self.now();
        self.db.write(|tx| {
            let mut deleted = Vec::new();
            let mut failures = Vec::new();
            for p in &params {
                let Some(rec) = p.contains(':').then(|| self.find_task_definition(tx.state, p)).flatten()
                else {
                    failures.push(failure(p.clone(), "The specified task definition does not exist."));
                    continue;
                };
                let arn = rec.definition.task_definition_arn.clone().unwrap_or_default();
                match rec.definition.status {
                    Some(TaskDefinitionStatus::Active) => failures.push(failure(
                        arn,
                        "The specified task definition is still in ACTIVE status. Please deregister the target and try again.",
                    )),
                    Some(TaskDefinitionStatus::DeleteInProgress) => {
                        deleted.push(rec.definition.clone())
                    }
                    _ => {
                        let mut rec = rec.clone();
                        rec.definition.status = Some(TaskDefinitionStatus::DeleteInProgress);
                        rec.definition.delete_requested_at = Some(now);
                        deleted.push(rec.definition.clone());
                        tx.put(rec)?;
                    }
                }
            }
            Ok(DeleteTaskDefinitionsResponse {
                task_definitions: Some(deleted),
                failures: Some(failures),
            })
        })
    }

    /// Resolves `family`, `family:revision` or a task definition ARN. A bare family means its
    /// latest ACTIVE revision.
    pub(crate) fn find_task_definition<'s>(
        &self,
        state: &'s State,
        param: &str,
    ) -> Option<&'s TaskDefinitionRec> {
        let spec = match self.scope.resource_of(param) {
            Some(res) => res.strip_prefix("task-definition/")?,
            None if param.starts_with("arn:") => return None,
            None => param,
        };
        match spec.rsplit_once(':') {
            Some((family, rev)) => {
                let rev: i32 = rev.parse().ok()?;
                state
                    .task_definitions
                    .get(&task_definition_key(family, rev))
                    .map(|r| &**r)
            }
            None => state
                .task_definitions
                .range(task_definition_key(spec, 0)..=task_definition_key(spec, i32::MAX))
                .rev()
                .map(|(_, r)| &**r)
                .find(|r| {
                    r.family() == spec && r.definition.status == Some(TaskDefinitionStatus::Active)
                }),
        }
    }

    /// The principal that signed requests (Berth has one per account for now).
    pub(crate) fn principal(&self) -> String {
        format!("arn:aws:iam::{}:root", self.scope.account)
    }
}

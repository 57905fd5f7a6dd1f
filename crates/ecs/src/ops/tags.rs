//! TagResource, UntagResource, ListTagsForResource, and the tag rules every create shares.

use berth_ecs_model::shapes::*;

use crate::error::{EcsError, Result};
use crate::records::task_definition_key;
use crate::state::Owned;
use crate::state::Tx;
use crate::Ecs;

const MAX_TAGS: usize = 50;

/// ECS's tag rules: at most 50, unique keys of 1-128 and values of 0-256 characters from the
/// tag alphabet, and no `aws:` prefix (reserved for AWS).
pub(crate) fn validate_tags(tags: &[Tag]) -> Result<()> {
    berth_aws::tags::check(tags.iter().map(|t| {
        (
            t.key.as_deref().unwrap_or_default(),
            t.value.as_deref().unwrap_or_default(),
        )
    }))
    .map_err(|e| EcsError::invalid(e.to_string()))
}

/// A taggable resource named by its ARN.
enum Target {
    Cluster(String),
    TaskDefinition(String),
    ContainerInstance(String),
    CapacityProvider(String),
    /// Keyed `<cluster>/<name>`.
    Service(String),
    /// By id.
    Task(String),
}

impl Ecs {
    fn target(&self, arn: &str) -> Result<Target> {
        let resource = self.scope.resource_of(arn).ok_or_else(|| {
            EcsError::invalid(format!(
                "'{arn}' is not an ECS resource ARN of this account and region."
            ))
        })?;
        let (kind, rest) = resource
            .split_once('/')
            .ok_or_else(|| EcsError::invalid(format!("'{arn}' is not a valid resource ARN.")))?;
        Ok(match kind {
            "cluster" => Target::Cluster(rest.to_owned()),
            "task-definition" => {
                let (family, rev) = rest
                    .rsplit_once(':')
                    .ok_or_else(|| EcsError::invalid(format!("'{arn}' names no revision.")))?;
                let rev: i32 = rev
                    .parse()
                    .map_err(|_| EcsError::invalid(format!("'{arn}' names no revision.")))?;
                Target::TaskDefinition(task_definition_key(family, rev))
            }
            "container-instance" => {
                Target::ContainerInstance(rest.rsplit('/').next().unwrap_or_default().to_owned())
            }
            "capacity-provider" => Target::CapacityProvider(rest.to_owned()),
            // `service/<cluster>/<name>` (the long ARN format ECS uses since 2021).
            "service" if rest.contains('/') => Target::Service(rest.to_owned()),
            "task" => Target::Task(rest.rsplit('/').next().unwrap_or_default().to_owned()),
            _ => {
                return Err(EcsError::invalid(format!(
                    "Resources of type '{kind}' cannot be tagged in Berth yet."
                )))
            }
        })
    }

    /// Applies `f` to the tags of the resource `arn` as one durable write.
    fn edit_tags(&self, arn: &str, f: impl FnOnce(&mut Vec<Tag>) -> Result<()>) -> Result<()> {
        let target = self.target(arn)?;
        let not_found =
            || EcsError::ResourceNotFound("The specified resource could not be found.".into());
        self.db.write(|tx: &mut Tx<'_>| match target {
            Target::Cluster(name) => {
                let mut rec = tx
                    .state
                    .clusters
                    .get(&name)
                    .filter(|c| c.is_active())
                    .owned()
                    .ok_or(EcsError::ClusterNotFound)?;
                f(rec.cluster.tags.get_or_insert_with(Vec::new))?;
                tx.put(rec)
            }
            Target::TaskDefinition(key) => {
                let mut rec = tx
                    .state
                    .task_definitions
                    .get(&key)
                    .owned()
                    .ok_or_else(not_found)?;
                f(&mut rec.tags)?;
                tx.put(rec)
            }
            Target::ContainerInstance(id) => {
                let mut rec = tx
                    .state
                    .container_instances
                    .get(&id)
                    .owned()
                    .ok_or_else(not_found)?;
                f(rec.instance.tags.get_or_insert_with(Vec::new))?;
                tx.put(rec)
            }
            Target::CapacityProvider(name) => {
                let mut rec = tx
                    .state
                    .capacity_providers
                    .get(&name)
                    .owned()
                    .ok_or_else(not_found)?;
                f(rec.provider.tags.get_or_insert_with(Vec::new))?;
                tx.put(rec)
            }
            Target::Service(key) => {
                let mut rec = tx
                    .state
                    .services
                    .get(&key)
                    .filter(|s| s.status() != "INACTIVE")
                    .owned()
                    .ok_or_else(not_found)?;
                f(rec.service.tags.get_or_insert_with(Vec::new))?;
                tx.put(rec)
            }
            Target::Task(id) => {
                let mut rec = tx.state.tasks.get(&id).owned().ok_or_else(not_found)?;
                f(rec.task.tags.get_or_insert_with(Vec::new))?;
                tx.put(rec)
            }
        })
    }

    pub(crate) fn tag_resource(&self, req: TagResourceRequest) -> Result<TagResourceResponse> {
        let new = req.tags.unwrap_or_default();
        validate_tags(&new)?;
        let arn = req.resource_arn.unwrap_or_default();
        self.edit_tags(&arn, |tags| {
            for t in new {
                match tags.iter_mut().find(|e| e.key == t.key) {
                    Some(e) => e.value = t.value,
                    None => tags.push(t),
                }
            }
            if tags.len() > MAX_TAGS {
                return Err(EcsError::invalid(format!(
                    "A resource can have at most {MAX_TAGS} tags."
                )));
            }
            Ok(())
        })?;
        Ok(TagResourceResponse {})
    }

    pub(crate) fn untag_resource(
        &self,
        req: UntagResourceRequest,
    ) -> Result<UntagResourceResponse> {
        let keys = req.tag_keys.unwrap_or_default();
        let arn = req.resource_arn.unwrap_or_default();
        self.edit_tags(&arn, |tags| {
            tags.retain(|t| !keys.iter().any(|k| Some(k) == t.key.as_ref()));
            Ok(())
        })?;
        Ok(UntagResourceResponse {})
    }

    pub(crate) fn list_tags_for_resource(
        &self,
        req: ListTagsForResourceRequest,
    ) -> Result<ListTagsForResourceResponse> {
        let arn = req.resource_arn.unwrap_or_default();
        let target = self.target(&arn)?;
        let not_found =
            || EcsError::ResourceNotFound("The specified resource could not be found.".into());
        let tags = self.db.read(|state| match target {
            Target::Cluster(name) => state
                .clusters
                .get(&name)
                .filter(|c| c.is_active())
                .map(|r| r.cluster.tags.clone().unwrap_or_default())
                .ok_or(EcsError::ClusterNotFound),
            Target::TaskDefinition(key) => state
                .task_definitions
                .get(&key)
                .map(|r| r.tags.clone())
                .ok_or_else(not_found),
            Target::ContainerInstance(id) => state
                .container_instances
                .get(&id)
                .map(|r| r.instance.tags.clone().unwrap_or_default())
                .ok_or_else(not_found),
            Target::CapacityProvider(name) => state
                .capacity_providers
                .get(&name)
                .map(|r| r.provider.tags.clone().unwrap_or_default())
                .ok_or_else(not_found),
            Target::Service(key) => state
                .services
                .get(&key)
                .filter(|s| s.status() != "INACTIVE")
                .map(|r| r.service.tags.clone().unwrap_or_default())
                .ok_or_else(not_found),
            Target::Task(id) => state
                .tasks
                .get(&id)
                .map(|r| r.task.tags.clone().unwrap_or_default())
                .ok_or_else(not_found),
        })?;
        Ok(ListTagsForResourceResponse { tags: Some(tags) })
    }
}

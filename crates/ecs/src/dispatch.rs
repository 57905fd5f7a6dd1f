//! The routing table: one line per implemented operation, from the wire body to a handler.

use berth_ecs_model::{Operation, Validate};
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{EcsError, Result};
use crate::state::{Lock, Staged};
use crate::Ecs;

/// Parses and checks a request body (berth-aws's JSON rules, ECS's error types).
pub(crate) fn parse<Req: DeserializeOwned + Validate>(body: &[u8]) -> Result<Req> {
    berth_aws::protocol::json::parse(body).map_err(|e| match e {
        berth_aws::protocol::json::BodyError::Serialization(m) => EcsError::Serialization(m),
        berth_aws::protocol::json::BodyError::Invalid(m) => EcsError::InvalidParameter(m),
    })
}

fn call<Req, Resp>(body: &[u8], f: impl FnOnce(Req) -> Result<Resp>) -> Result<Vec<u8>>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
{
    let resp = f(parse(body)?)?;
    serde_json::to_vec(&resp).map_err(|e| EcsError::Server(format!("encoding response: {e}")))
}

/// [`call`] for a handler whose answer is a staged write.
fn staged<Req, Resp>(
    body: &[u8],
    f: impl FnOnce(Req) -> Result<Staged<Resp>>,
) -> Result<Staged<Vec<u8>>>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
{
    let resp = f(parse(body)?)?;
    let bytes = serde_json::to_vec(resp.peek())
        .map_err(|e| EcsError::Server(format!("encoding response: {e}")))?;
    Ok(resp.map(|_| bytes))
}

impl Ecs {
    /// The operations whose handlers stage their writes (short, CPU-only calls of a RunTask
    /// storm and of agents' reports): the server runs them on its async workers and settles
    /// their durability on its committer thread.
    pub fn is_hot(op: Operation) -> bool {
        matches!(op, Operation::RunTask | Operation::SubmitTaskStateChange)
    }

    /// Answers one ECS operation with its writes staged: durable once the answer is waited
    /// for. Only [`Ecs::is_hot`] operations stage with `lock`; the others' writes are durable
    /// when this returns.
    pub fn handle_staged(&self, op: Operation, body: &[u8], lock: Lock) -> Result<Staged<Vec<u8>>> {
        match op {
            Operation::RunTask => staged(body, |r| self.run_task_staged(r, lock)),
            Operation::SubmitTaskStateChange => {
                staged(body, |r| self.submit_task_state_change_staged(r, lock))
            }
            other => Ok(Staged::settled(self.handle(other, body)?)),
        }
    }

    /// Answers one ECS operation; `body` is the request's JSON.
    pub fn handle(&self, op: Operation, body: &[u8]) -> Result<Vec<u8>> {
        use Operation as O;
        match op {
            O::CreateCluster => call(body, |r| self.create_cluster(r)),
            O::DescribeClusters => call(body, |r| self.describe_clusters(r)),
            O::ListClusters => call(body, |r| self.list_clusters(r)),
            O::UpdateCluster => call(body, |r| self.update_cluster(r)),
            O::UpdateClusterSettings => call(body, |r| self.update_cluster_settings(r)),
            O::PutClusterCapacityProviders => {
                call(body, |r| self.put_cluster_capacity_providers(r))
            }
            O::DeleteCluster => call(body, |r| self.delete_cluster(r)),
            O::CreateCapacityProvider => call(body, |r| self.create_capacity_provider(r)),
            O::DescribeCapacityProviders => call(body, |r| self.describe_capacity_providers(r)),
            O::UpdateCapacityProvider => call(body, |r| self.update_capacity_provider(r)),
            O::DeleteCapacityProvider => call(body, |r| self.delete_capacity_provider(r)),
            O::RegisterTaskDefinition => call(body, |r| self.register_task_definition(r)),
            O::DescribeTaskDefinition => call(body, |r| self.describe_task_definition(r)),
            O::ListTaskDefinitions => call(body, |r| self.list_task_definitions(r)),
            O::ListTaskDefinitionFamilies => call(body, |r| self.list_task_definition_families(r)),
            O::DeregisterTaskDefinition => call(body, |r| self.deregister_task_definition(r)),
            O::DeleteTaskDefinitions => call(body, |r| self.delete_task_definitions(r)),
            O::RegisterContainerInstance => call(body, |r| self.register_container_instance(r)),
            O::DeregisterContainerInstance => call(body, |r| self.deregister_container_instance(r)),
            O::DescribeContainerInstances => call(body, |r| self.describe_container_instances(r)),
            O::ListContainerInstances => call(body, |r| self.list_container_instances(r)),
            O::UpdateContainerInstancesState => {
                call(body, |r| self.update_container_instances_state(r))
            }
            O::UpdateContainerAgent => call(body, |r| self.update_container_agent(r)),
            O::PutAttributes => call(body, |r| self.put_attributes(r)),
            O::DeleteAttributes => call(body, |r| self.delete_attributes(r)),
            O::ListAttributes => call(body, |r| self.list_attributes(r)),
            O::TagResource => call(body, |r| self.tag_resource(r)),
            O::UntagResource => call(body, |r| self.untag_resource(r)),
            O::ListTagsForResource => call(body, |r| self.list_tags_for_resource(r)),
            O::CreateService => call(body, |r| self.create_service(r)),
            O::UpdateService => call(body, |r| self.update_service(r)),
            O::DeleteService => call(body, |r| self.delete_service(r)),
            O::DescribeServices => call(body, |r| self.describe_services(r)),
            O::ListServices => call(body, |r| self.list_services(r)),
            O::ListServiceDeployments => call(body, |r| self.list_service_deployments(r)),
            O::DescribeServiceDeployments => call(body, |r| self.describe_service_deployments(r)),
            O::DescribeServiceRevisions => call(body, |r| self.describe_service_revisions(r)),
            O::StopServiceDeployment => call(body, |r| self.stop_service_deployment(r)),
            O::UpdateTaskProtection => call(body, |r| self.update_task_protection(r)),
            O::GetTaskProtection => call(body, |r| self.get_task_protection(r)),
            O::RunTask => call(body, |r| self.run_task(r)),
            O::StartTask => call(body, |r| self.start_task(r)),
            O::StopTask => call(body, |r| self.stop_task(r)),
            O::DescribeTasks => call(body, |r| self.describe_tasks(r)),
            O::ListTasks => call(body, |r| self.list_tasks(r)),
            O::DiscoverPollEndpoint => call(body, |r| self.discover_poll_endpoint(r)),
            O::SubmitTaskStateChange => call(body, |r| self.submit_task_state_change(r)),
            O::SubmitContainerStateChange => call(body, |r| self.submit_container_state_change(r)),
            O::SubmitAttachmentStateChanges => {
                call(body, |r| self.submit_attachment_state_changes(r))
            }
            O::PutAccountSetting => call(body, |r| self.put_account_setting(r)),
            O::PutAccountSettingDefault => call(body, |r| self.put_account_setting_default(r)),
            O::ListAccountSettings => call(body, |r| self.list_account_settings(r)),
            O::DeleteAccountSetting => call(body, |r| self.delete_account_setting(r)),
            other => Err(EcsError::UnsupportedFeature(format!(
                "The operation {} is not supported by Berth yet.",
                other.name()
            ))),
        }
    }

    /// Whether Berth answers `op` (the others answer UnsupportedFeatureException).
    pub fn implements(&self, op: Operation) -> bool {
        !matches!(self.handle(op, b"\0"), Err(EcsError::UnsupportedFeature(_)))
    }
}

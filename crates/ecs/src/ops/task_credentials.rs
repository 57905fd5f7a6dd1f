//! `BerthAgentV1.GetTaskCredentials`: the credentials of a task's role (its task role for
//! its containers, its execution role for the agent's pulls and secrets), asked for by the
//! agent the task is placed on, as ECS's control plane hands them to its agent. ECS acts
//! as the service principal `ecs-tasks.amazonaws.com`, so the role's trust policy must name
//! it; [`RoleCredentials`] is how ECS asks STS (the binary wires it).

use serde::{Deserialize, Serialize};

use crate::error::{EcsError, Result};
use crate::Ecs;

/// The service principal ECS assumes task roles as.
pub const TASKS_PRINCIPAL: &str = "ecs-tasks.amazonaws.com";

/// Temporary credentials of a role.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IssuedCredentials {
    pub role_arn: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Epoch seconds.
    pub expiration: u64,
}

/// What ECS needs of STS: credentials for `role_arn` assumed by `principal` (a service),
/// for a session named `session_name`. Err says why not (the trust policy does not name
/// the service, the role does not exist).
pub trait RoleCredentials: Send + Sync + 'static {
    fn issue(
        &self,
        role_arn: &str,
        principal: &str,
        session_name: &str,
    ) -> std::result::Result<IssuedCredentials, String>;
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskCredentialsRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub container_instance: String,
    pub task_arn: String,
    /// `task` (the default) or `execution`.
    #[serde(default)]
    pub role: Option<String>,
}

impl Ecs {
    /// The role of the task (its override, else its definition's) that `req` asks for, if
    /// the task is placed on the asking agent's instance.
    pub fn task_role(&self, req: &TaskCredentialsRequest) -> Result<(String, String)> {
        let instance = self.agent_instance(req.cluster.as_deref(), &req.container_instance)?;
        let execution = match req.role.as_deref().unwrap_or("task") {
            "task" => false,
            "execution" => true,
            other => {
                return Err(EcsError::invalid(format!(
                    "role must be task or execution, not {other}"
                )))
            }
        };
        self.db.read(|state| {
            let cluster = self
                .active_cluster(state, req.cluster.as_deref())?
                .name()
                .to_owned();
            let task = self
                .find_task(state, &cluster, &req.task_arn)
                .filter(|t| t.instance.as_deref() == Some(instance.as_str()))
                .ok_or_else(|| {
                    EcsError::invalid(
                        "The referenced task was not found on this container instance.",
                    )
                })?;
            let overrides = task.task.overrides.as_ref();
            let given = if execution {
                overrides.and_then(|o| o.execution_role_arn.clone())
            } else {
                overrides.and_then(|o| o.task_role_arn.clone())
            };
            let definition = task
                .task
                .task_definition_arn
                .as_deref()
                .and_then(|arn| self.find_task_definition(state, arn));
            let role = given.or_else(|| {
                definition.and_then(|d| {
                    if execution {
                        d.definition.execution_role_arn.clone()
                    } else {
                        d.definition.task_role_arn.clone()
                    }
                })
            });
            let role = role.ok_or_else(|| {
                EcsError::invalid(format!(
                    "The task has no {} role.",
                    if execution { "execution" } else { "task" }
                ))
            })?;
            Ok((role, task.id.clone()))
        })
    }
}

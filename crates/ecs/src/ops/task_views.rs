//! DescribeTasks and ListTasks.

use berth_ecs_model::shapes::*;

use super::{failure, list};
use crate::error::{EcsError, Result};
use crate::page::{page_size, paginate};
use crate::Ecs;

const MAX_DESCRIBE: usize = 100;

impl Ecs {
    pub(crate) fn describe_tasks(
        &self,
        req: DescribeTasksRequest,
    ) -> Result<DescribeTasksResponse> {
        let wanted = req.tasks.unwrap_or_default();
        if wanted.is_empty() || wanted.len() > MAX_DESCRIBE {
            return Err(EcsError::invalid("DescribeTasks takes 1 to 100 tasks."));
        }
        let with_tags = list(&req.include).contains(&TaskField::Tags);
        self.db.read(|state| {
            let cluster = self
                .active_cluster(state, req.cluster.as_deref())?
                .name()
                .to_owned();
            let mut tasks = Vec::with_capacity(wanted.len());
            let mut failures = Vec::new();
            for p in &wanted {
                match self.find_task(state, &cluster, p) {
                    Some(rec) => {
                        let mut t = rec.task.clone();
                        if !with_tags {
                            t.tags = None;
                        }
                        tasks.push(t);
                    }
                    None => {
                        let arn = if p.starts_with("arn:") {
                            p.clone()
                        } else {
                            self.scope.arn(&format!("task/{cluster}/{p}"))
                        };
                        failures.push(failure(arn, "MISSING"));
                    }
                }
            }
            Ok(DescribeTasksResponse {
                tasks: Some(tasks),
                failures: Some(failures),
            })
        })
    }

    pub(crate) fn list_tasks(&self, req: ListTasksRequest) -> Result<ListTasksResponse> {
        let size = page_size(req.max_results, 100, 100)?;
        let desired = req.desired_status.clone().unwrap_or(DesiredStatus::Running);
        self.db.read(|state| {
            let cluster = self
                .active_cluster(state, req.cluster.as_deref())?
                .name()
                .to_owned();
            let instance = match req.container_instance.as_deref() {
                Some(p) => Some(
                    super::container_instances::find(self, state, &cluster, p)
                        .map(|r| r.id.clone())
                        .ok_or_else(|| {
                            EcsError::invalid("The referenced container instance was not found.")
                        })?,
                ),
                None => None,
            };
            if req.daemon_name.is_some() {
                // No managed daemons exist: nothing matches.
                return Ok(ListTasksResponse {
                    task_arns: Some(Vec::new()),
                    next_token: None,
                });
            }
            let service_group = req.service_name.as_deref().map(|s| {
                let name = s.rsplit('/').next().unwrap_or(s);
                format!("service:{name}")
            });
            let family = req.family.as_deref();
            let mut arns: Vec<(String, String)> = state
                .tasks
                .values()
                .filter(|t| t.cluster == cluster)
                .filter(|t| t.desired_status() == desired.as_str())
                .filter(|t| instance.is_none() || t.instance == instance)
                .filter(|t| req.started_by.is_none() || t.task.started_by == req.started_by)
                .filter(|t| service_group.as_deref().is_none_or(|g| t.group() == g))
                .filter(|t| req.launch_type.is_none() || t.task.launch_type == req.launch_type)
                .filter(|t| {
                    family.is_none_or(|f| {
                        t.task
                            .task_definition_arn
                            .as_deref()
                            .and_then(|a| a.rsplit_once('/'))
                            .and_then(|(_, fr)| fr.rsplit_once(':'))
                            .is_some_and(|(fam, _)| fam == f)
                    })
                })
                .map(|t| (t.arn().to_owned(), t.arn().to_owned()))
                .collect();
            arns.sort();
            let page = paginate(arns, req.next_token.as_deref(), size)?;
            Ok(ListTasksResponse {
                task_arns: Some(page.items),
                next_token: page.next_token,
            })
        })
    }
}

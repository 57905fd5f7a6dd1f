//! RunTask, StartTask, StopTask: creating tasks on container instances and asking for them
//! to stop. Placement is berth-placement's; this module validates, charges the chosen
//! instances and writes tasks and instances in one durable batch.

/// How long past its target groups' deregistration delay a DEACTIVATING task waits for
/// its targets to drain before its agent is told to stop it anyway.
const DRAIN_MARGIN_SECS: f64 = 5.0;

use berth_ecs_model::shapes::*;
use berth_placement::{
    validate as validate_policy, ConstraintSpec, Request, StrategySpec, TaskOutcome,
};

use super::accounting::{charge, release};
use super::fargate::{Launch, FARGATE_POOL};
use super::task_build::{check_network, check_overrides, NewTasks};
use super::{failure, list, validate_tags};
use crate::error::{EcsError, Result};
use crate::placing::{demand, reservation, task_size};
use crate::records::{ClientTokenRec, ContainerInstanceRec, TaskDefinitionRec, TaskRec};
use crate::state::Owned;
use crate::state::{Lock, Staged, State, Tx};
use crate::Ecs;

const MAX_COUNT: i32 = 10;

/// The outcome of placing a RunTask request, before anything is written.
/// How a placement plan is made: with an explanation (ExplainRunTask, services' events), and
/// whether a deregistered revision may still run (a service's tasks).
#[derive(Clone, Copy, Default)]
struct PlanMode {
    explain: bool,
    allow_inactive: bool,
}

/// A request that passed RunTask's checks.
struct Checked {
    prepared: Prepared,
    launch: Launch,
    policy: berth_placement::Policy,
}

struct Plan {
    launch: Launch,
    prepared: Prepared,
    demand: berth_placement::Demand,
    /// Instance ids, one per placed task.
    chosen: Vec<String>,
    /// Instance ARNs, one per placed task.
    chosen_arns: Vec<String>,
    failures: Vec<Failure>,
    explanation: Option<String>,
}

/// What both RunTask and StartTask check before placing.
struct Prepared {
    cluster: String,
    definition: TaskDefinitionRec,
    group: String,
}

impl Ecs {
    /// The cluster, task definition and group of a request; a service may keep running tasks
    /// of a revision deregistered since (`allow_inactive`).
    fn prepare_as(
        &self,
        state: &State,
        cluster: Option<&str>,
        task_definition: Option<&str>,
        group: Option<&str>,
        started_by: Option<&str>,
        allow_inactive: bool,
    ) -> Result<Prepared> {
        let cluster = self.active_cluster(state, cluster)?.name().to_owned();
        let param = task_definition.unwrap_or_default();
        let definition = self
            .find_task_definition(state, param)
            .cloned()
            .ok_or_else(|| EcsError::client("Unable to find the task definition."))?;
        if !allow_inactive && definition.definition.status != Some(TaskDefinitionStatus::Active) {
            return Err(EcsError::client("TaskDefinition is inactive"));
        }
        if group.is_some_and(|g| g.is_empty() || g.len() > 255) {
            return Err(EcsError::invalid("group must be 1-255 characters."));
        }
        if started_by.is_some_and(|s| s.len() > 128) {
            return Err(EcsError::invalid(
                "startedBy must be at most 128 characters.",
            ));
        }
        let group = group
            .map(str::to_owned)
            .unwrap_or_else(|| format!("family:{}", definition.family()));
        Ok(Prepared {
            cluster,
            definition,
            group,
        })
    }

    pub(crate) fn run_task(&self, req: RunTaskRequest) -> Result<RunTaskResponse> {
        Ok(self.run_task_staged(req, Lock::Wait)?.wait()?)
    }

    /// RunTask as a staged write: the answer, durable once waited for; the chosen hosts'
    /// agents are woken then.
    pub(crate) fn run_task_staged(
        &self,
        req: RunTaskRequest,
        lock: Lock,
    ) -> Result<Staged<RunTaskResponse>> {
        let count = req.count.unwrap_or(1);
        if !(1..=MAX_COUNT).contains(&count) {
            return Err(EcsError::invalid(format!(
                "count must be between 1 and {MAX_COUNT}."
            )));
        }
        if req.launch_type.is_some()
            && req
                .capacity_provider_strategy
                .as_ref()
                .is_some_and(|s| !s.is_empty())
        {
            return Err(EcsError::invalid(
                "Specifying both a launchType and capacityProviderStrategy is not supported.",
            ));
        }
        if req
            .client_token
            .as_ref()
            .is_some_and(|t| t.is_empty() || t.len() > 64)
        {
            return Err(EcsError::invalid("clientToken must be 1-64 characters."));
        }
        validate_tags(list(&req.tags))?;
        let fingerprint = {
            let mut r = req.clone();
            r.client_token = None;
            serde_json::to_string(&r).unwrap_or_default()
        };
        let now = self.now();
        let seed = (now * 1000.0) as u64 ^ self.seed_counter();
        let staged = self.db.stage(lock, |tx| {
            if let Some(token) = &req.client_token {
                if let Some(prev) = tx.state.client_tokens.get(token) {
                    if prev.request != fingerprint {
                        return Err(EcsError::invalid(
                            "The clientToken was already used with different parameters.",
                        ));
                    }
                    let tasks = prev
                        .task_ids
                        .iter()
                        .filter_map(|id| tx.state.tasks.get(id).map(|t| t.task.clone()))
                        .collect();
                    return Ok((tasks, prev.failures.clone(), Vec::new()));
                }
            }
            let plan = self.plan_run_task(
                tx.state,
                &req,
                count as usize,
                now,
                seed,
                PlanMode::default(),
            )?;
            let (p, d, chosen, failures) = (plan.prepared, plan.demand, plan.chosen, plan.failures);
            let td = &p.definition.definition;
            let mut spec = self.new_tasks_spec(&p, &req, td)?;
            spec.launch = plan.launch;
            let tasks = self.create_tasks(tx, &spec, &d, &chosen, now)?;
            if let Some(token) = &req.client_token {
                tx.put(ClientTokenRec {
                    token: token.clone(),
                    request: fingerprint.clone(),
                    task_ids: tasks.iter().map(|t| t.id.clone()).collect(),
                    failures: failures.clone(),
                    created_at: now,
                })?;
            }
            let hosts: Vec<String> = tasks.iter().filter_map(|t| t.instance.clone()).collect();
            Ok((
                tasks.into_iter().map(|t| t.task).collect::<Vec<Task>>(),
                failures,
                hosts,
            ))
        })?;
        // The hosts come from the write, not the durable state, where the tasks are not yet.
        let wake = self.agents.waker(&staged.peek().2);
        Ok(staged
            .then(wake)
            .map(|(tasks, failures, _)| RunTaskResponse {
                tasks: Some(tasks),
                failures: Some(failures),
            }))
    }

    /// Where RunTask would put each task, and why, against `state`; writes nothing.
    fn plan_run_task(
        &self,
        state: &State,
        req: &RunTaskRequest,
        count: usize,
        now: f64,
        seed: u64,
        mode: PlanMode,
    ) -> Result<Plan> {
        let PlanMode {
            explain,
            allow_inactive,
        } = mode;
        let Checked {
            prepared: p,
            launch,
            policy,
        } = self.check_run(state, req, allow_inactive)?;
        let td = &p.definition.definition;
        let mut d = demand(td, req.overrides.as_ref(), &p.group)?;
        let pool = match launch {
            Launch::Ec2 => p.cluster.as_str(),
            Launch::Fargate { .. } => {
                // Pool hosts are Berth's own agents: they have every capability.
                d.required_attributes.clear();
                FARGATE_POOL
            }
        };
        let mut request = Request::new(d, policy, count);
        if !explain {
            // Failures come from the candidates' verdicts; per-task detail is for explanations.
            request.detail = berth_placement::Detail::Summary;
        }
        let live = self.agents.live_view(now);
        let (chosen, chosen_arns, failures, explanation) = self.candidate_cache.with(
            state,
            pool,
            now,
            &live,
            |cands: &[berth_placement::Candidate], ids: &[String], memo: &mut berth_placement::Memo| {
                let placement = berth_placement::place_with_memo(&request, cands, seed, memo);
                let mut chosen = Vec::new();
                for outcome in placement.outcomes() {
                    if let TaskOutcome::Placed(i) = outcome {
                        chosen.push(ids[*i].clone());
                    }
                }
                let failures: Vec<Failure> = if placement.unplaced() > 0 && pool == FARGATE_POOL {
                    // No managed capacity left: ECS's answer for FARGATE.
                    vec![failure(
                        self.scope.cluster_arn(&p.cluster),
                        "Capacity is unavailable at this time. Please try again later or in a different availability zone",
                    )]
                } else if placement.unplaced() > 0 {
                    placement
                        .ecs_failures()
                        .map_err(|e| EcsError::invalid(e.to_string()))?
                        .into_iter()
                        .map(|f| failure(f.arn, &f.reason))
                        .collect()
                } else {
                    Vec::new()
                };
                let explanation = explain.then(|| placement.explain().to_string());
                let chosen_arns: Vec<String> = placement.chosen().map(|c| c.arn.clone()).collect();
                Ok::<_, EcsError>((chosen, chosen_arns, failures, explanation))
            },
        )?;
        let demand = request.demand.clone();
        Ok(Plan {
            launch,
            prepared: p,
            demand,
            chosen,
            chosen_arns,
            failures,
            explanation,
        })
    }

    /// A dry run of RunTask: where each task would go, and for every candidate instance which
    /// check rejected it. Nothing is created.
    pub fn explain_run_task(&self, body: &[u8]) -> Result<Vec<u8>> {
        let req: RunTaskRequest = crate::dispatch::parse(body)?;
        let count = req.count.unwrap_or(1);
        if !(1..=MAX_COUNT).contains(&count) {
            return Err(EcsError::invalid(format!(
                "count must be between 1 and {MAX_COUNT}."
            )));
        }
        let now = self.now();
        let seed = (now * 1000.0) as u64 ^ self.seed_counter();
        let plan = self.db.read(|state| {
            self.plan_run_task(
                state,
                &req,
                count as usize,
                now,
                seed,
                PlanMode {
                    explain: true,
                    allow_inactive: false,
                },
            )
        })?;
        let out = serde_json::json!({
            "placements": plan.chosen_arns,
            "failures": plan.failures,
            "explanation": plan.explanation.unwrap_or_default(),
        });
        serde_json::to_vec(&out).map_err(|e| EcsError::Server(e.to_string()))
    }

    pub(crate) fn start_task(&self, req: StartTaskRequest) -> Result<StartTaskResponse> {
        let targets = req.container_instances.clone().unwrap_or_default();
        if targets.is_empty() || targets.len() > 10 {
            return Err(EcsError::invalid(
                "StartTask takes 1 to 10 container instances.",
            ));
        }
        validate_tags(list(&req.tags))?;
        let now = self.now();
        let (tasks, failures): (Vec<Task>, Vec<Failure>) = self.db.write(|tx| {
            let (tasks, failures) = self.start_in_tx(tx, &req, &targets, now, false)?;
            Ok((tasks.into_iter().map(|t| t.task).collect(), failures))
        })?;
        self.notify_tasks(&tasks);
        Ok(StartTaskResponse {
            tasks: Some(tasks),
            failures: Some(failures),
        })
    }

    /// StartTask's work inside a write: the tasks placed on `targets` and the refusals.
    pub(crate) fn start_in_tx(
        &self,
        tx: &mut Tx<'_>,
        req: &StartTaskRequest,
        targets: &[String],
        now: f64,
        allow_inactive: bool,
    ) -> Result<(Vec<TaskRec>, Vec<Failure>)> {
        let p = self.prepare_as(
            tx.state,
            req.cluster.as_deref(),
            req.task_definition.as_deref(),
            req.group.as_deref(),
            req.started_by.as_deref(),
            allow_inactive,
        )?;
        let td = &p.definition.definition;
        check_overrides(td, req.overrides.as_ref())?;
        check_network(td, req.network_configuration.as_ref())?;
        let d = demand(td, req.overrides.as_ref(), &p.group)?;
        let policy = self.policy(td, &[], &[])?;
        let mut cands = Vec::new();
        let mut ids = Vec::new();
        let mut failures = Vec::new();
        for t in targets {
            match super::container_instances::find(self, tx.state, &p.cluster, t) {
                Some(rec) => {
                    let connected = self.agents.connected(&rec.id, now);
                    cands.push(crate::placing::candidate(tx.state, rec, connected));
                    ids.push(rec.id.clone());
                }
                None => failures.push(failure(t.clone(), "MISSING")),
            }
        }
        let request = Request::new(d, policy, cands.len());
        let placement = berth_placement::start_on(&request, &cands);
        let mut chosen = Vec::new();
        for outcome in placement.outcomes() {
            match outcome {
                TaskOutcome::Placed(i) => chosen.push(ids[*i].clone()),
                TaskOutcome::Refused { candidate, reason } => {
                    failures.push(failure(cands[*candidate].arn.clone(), reason.ecs_code()))
                }
                TaskOutcome::Unplaced => {}
            }
        }
        let run_like = RunTaskRequest {
            enable_ecs_managed_tags: req.enable_ecs_managed_tags,
            enable_execute_command: req.enable_execute_command,
            network_configuration: req.network_configuration.clone(),
            overrides: req.overrides.clone(),
            propagate_tags: req.propagate_tags.clone(),
            started_by: req.started_by.clone(),
            tags: req.tags.clone(),
            ..Default::default()
        };
        let spec = self.new_tasks_spec(&p, &run_like, td)?;
        let tasks = self.create_tasks(tx, &spec, &request.demand, &chosen, now)?;
        Ok((tasks, failures))
    }

    /// RunTask's work inside a write, for the service scheduler: places and creates up to
    /// `count` tasks; answers them, the placement failures and the explanation.
    pub(crate) fn run_in_tx(
        &self,
        tx: &mut Tx<'_>,
        req: &RunTaskRequest,
        count: usize,
        now: f64,
    ) -> Result<(Vec<TaskRec>, Vec<Failure>, String)> {
        let seed = (now * 1000.0) as u64 ^ self.seed_counter();
        let plan = self.plan_run_task(
            tx.state,
            req,
            count,
            now,
            seed,
            PlanMode {
                explain: true,
                allow_inactive: true,
            },
        )?;
        let td = &plan.prepared.definition.definition;
        let mut spec = self.new_tasks_spec(&plan.prepared, req, td)?;
        spec.launch = plan.launch.clone();
        let tasks = self.create_tasks(tx, &spec, &plan.demand, &plan.chosen, now)?;
        Ok((tasks, plan.failures, plan.explanation.unwrap_or_default()))
    }

    pub(crate) fn stop_task(&self, req: StopTaskRequest) -> Result<StopTaskResponse> {
        let reason = req
            .reason
            .clone()
            .unwrap_or_else(|| "Task stopped by user".into());
        if reason.len() > 1024 {
            return Err(EcsError::invalid("reason must be at most 1024 characters."));
        }
        let now = self.now();
        let task = self.db.write(|tx| {
            let cluster = self
                .active_cluster(tx.state, req.cluster.as_deref())?
                .name()
                .to_owned();
            let rec = self
                .find_task(tx.state, &cluster, req.task.as_deref().unwrap_or_default())
                .cloned()
                .ok_or_else(|| EcsError::invalid("The referenced task was not found."))?;
            if rec.desired_status() == "STOPPED" {
                return Ok(rec.task);
            }
            let rec = self.request_stop(tx, rec, &reason, TaskStopCode::UserInitiated, now)?;
            Ok(rec.task)
        })?;
        self.notify_tasks(std::slice::from_ref(&task));
        Ok(StopTaskResponse { task: Some(task) })
    }

    /// Sets a task's desired status to STOPPED and tells its agent. A task whose instance is
    /// gone (or that has none) stops at once. A RUNNING task with load balancer targets is
    /// DEACTIVATING first: its targets are deregistered and drained, and its agent is told
    /// once they are (see `load_balancers.rs`).
    pub(crate) fn request_stop(
        &self,
        tx: &mut Tx<'_>,
        mut rec: TaskRec,
        reason: &str,
        code: TaskStopCode,
        now: f64,
    ) -> Result<TaskRec> {
        rec.task.desired_status = Some("STOPPED".into());
        rec.task.stopped_reason = Some(reason.to_owned());
        rec.task.stop_code = Some(code);
        // When the stop was asked for (ECS's stoppingAt), not when it ended.
        rec.task.stopping_at.get_or_insert(now);
        rec.task.version += 1;
        let instance_up = rec
            .instance
            .as_ref()
            .and_then(|i| tx.state.container_instances.get(i))
            .is_some_and(|i| i.status() != "INACTIVE");
        let running = rec.last_status() == "RUNNING";
        if let Some(lb) = rec.lb.as_mut().filter(|l| !l.deregistered && !l.held()) {
            if running && instance_up {
                lb.hold_until = Some(now + lb.drain_secs + DRAIN_MARGIN_SECS);
                rec.task.last_status = Some("DEACTIVATING".into());
                rec.task.stopping_at.get_or_insert(now);
                tx.put(rec.clone())?;
                return Ok(rec);
            }
        }
        self.deliver_stop(tx, rec, now)
    }

    /// Tells a task's agent that it is to stop (the task's desired status is STOPPED), or
    /// stops it at once when its instance is gone.
    pub(crate) fn deliver_stop(
        &self,
        tx: &mut Tx<'_>,
        mut rec: TaskRec,
        now: f64,
    ) -> Result<TaskRec> {
        let instance = rec
            .instance
            .as_ref()
            .and_then(|i| tx.state.container_instances.get(i))
            .owned();
        match instance.filter(|i| i.status() != "INACTIVE") {
            Some(mut inst) => {
                inst.seq += 1;
                rec.seq = inst.seq;
                tx.put(inst)?;
            }
            None => self.finish_stopped(tx, &mut rec, now)?,
        }
        tx.put(rec.clone())?;
        Ok(rec)
    }

    /// Marks a task STOPPED and gives its instance back what it held. The caller puts `rec`.
    pub(crate) fn finish_stopped(
        &self,
        tx: &mut Tx<'_>,
        rec: &mut TaskRec,
        now: f64,
    ) -> Result<()> {
        rec.task.last_status = Some("STOPPED".into());
        rec.task.desired_status = Some("STOPPED".into());
        rec.task.stopped_at.get_or_insert(now);
        rec.task.stopping_at.get_or_insert(now);
        rec.task.execution_stopped_at.get_or_insert(now);
        for c in rec.task.containers.get_or_insert_with(Vec::new) {
            if c.last_status.as_deref() != Some("STOPPED") {
                c.last_status = Some("STOPPED".into());
            }
        }
        let held = rec.reservation.take();
        if let Some(mut inst) = rec
            .instance
            .as_ref()
            .and_then(|i| tx.state.container_instances.get(i))
            .owned()
        {
            if let Some(r) = &held {
                release(&mut inst.instance, r);
            }
            inst.instance.version += 1;
            tx.put(inst)?;
        }
        Ok(())
    }

    /// A task of `cluster` by ARN or ID.
    pub(crate) fn find_task<'s>(
        &self,
        state: &'s State,
        cluster: &str,
        param: &str,
    ) -> Option<&'s TaskRec> {
        let id = match self.scope.resource_of(param) {
            Some(res) => res.strip_prefix("task/")?.rsplit('/').next()?,
            None if param.starts_with("arn:") => return None,
            None => param,
        };
        state
            .tasks
            .get(id)
            .map(|t| &**t)
            .filter(|t| t.cluster == cluster)
    }

    /// The launch a RunTask-shaped request gets, with its network, placement and FARGATE
    /// checks (what CreateService/UpdateService verify up front).
    pub(crate) fn launch_for(&self, state: &State, req: &RunTaskRequest) -> Result<Launch> {
        Ok(self.check_run(state, req, true)?.launch)
    }

    /// Everything RunTask checks before placing: cluster, task definition and group, launch
    /// type, overrides, network, and the placement policy (for FARGATE: none may be given;
    /// tasks spread across the pool's zones).
    fn check_run(
        &self,
        state: &State,
        req: &RunTaskRequest,
        allow_inactive: bool,
    ) -> Result<Checked> {
        let prepared = self.prepare_as(
            state,
            req.cluster.as_deref(),
            req.task_definition.as_deref(),
            req.group.as_deref(),
            req.started_by.as_deref(),
            allow_inactive,
        )?;
        let launch = self.launch(
            state,
            &prepared,
            req.launch_type.as_ref(),
            list(&req.capacity_provider_strategy),
        )?;
        let td = &prepared.definition.definition;
        check_overrides(td, req.overrides.as_ref())?;
        check_network(td, req.network_configuration.as_ref())?;
        let constraints = list(&req.placement_constraints);
        let strategies = list(&req.placement_strategy);
        let policy = match launch {
            Launch::Ec2 => self.policy(td, constraints, strategies)?,
            Launch::Fargate { .. } => {
                self.check_fargate(td, constraints, strategies)?;
                let spread = PlacementStrategy {
                    r#type: Some(PlacementStrategyType::Spread),
                    field: Some("attribute:ecs.availability-zone".into()),
                };
                self.policy(&TaskDefinition::default(), &[], &[spread])?
            }
        };
        Ok(Checked {
            prepared,
            launch,
            policy,
        })
    }

    fn launch(
        &self,
        state: &State,
        p: &Prepared,
        launch_type: Option<&LaunchType>,
        strategy: &[CapacityProviderStrategyItem],
    ) -> Result<Launch> {
        self.launch_of(
            state.clusters.get(&p.cluster).map(|c| &**c),
            launch_type,
            strategy,
        )
    }

    fn policy(
        &self,
        td: &TaskDefinition,
        constraints: &[PlacementConstraint],
        strategies: &[PlacementStrategy],
    ) -> Result<berth_placement::Policy> {
        let td_constraints = list(&td.placement_constraints);
        let mut specs: Vec<ConstraintSpec<'_>> = td_constraints
            .iter()
            .map(|c| ConstraintSpec {
                kind: c.r#type.as_ref().map(|t| t.as_str()),
                expression: c.expression.as_deref(),
            })
            .collect();
        specs.extend(constraints.iter().map(|c| ConstraintSpec {
            kind: c.r#type.as_ref().map(|t| t.as_str()),
            expression: c.expression.as_deref(),
        }));
        let strategies: Vec<StrategySpec<'_>> = strategies
            .iter()
            .map(|s| StrategySpec {
                kind: s.r#type.as_ref().map(|t| t.as_str()),
                field: s.field.as_deref(),
            })
            .collect();
        validate_policy(&specs, &strategies).map_err(|e| EcsError::invalid(e.to_string()))
    }

    fn new_tasks_spec<'a>(
        &self,
        p: &'a Prepared,
        req: &'a RunTaskRequest,
        td: &'a TaskDefinition,
    ) -> Result<NewTasks<'a>> {
        let (cpu, memory) = task_size(td, req.overrides.as_ref())?;
        Ok(NewTasks {
            cluster: &p.cluster,
            definition: td,
            definition_tags: &p.definition.tags,
            overrides: req.overrides.as_ref(),
            group: p.group.clone(),
            started_by: req.started_by.clone(),
            tags: req.tags.clone().unwrap_or_default(),
            propagate_tags: req.propagate_tags.clone(),
            managed_tags: req.enable_ecs_managed_tags,
            enable_execute_command: req.enable_execute_command,
            network: req.network_configuration.as_ref(),
            cpu,
            memory,
            launch: Launch::Ec2,
        })
    }

    /// Writes one new task per chosen instance, charging each instance.
    fn create_tasks(
        &self,
        tx: &mut Tx<'_>,
        spec: &NewTasks<'_>,
        d: &berth_placement::Demand,
        chosen: &[String],
        now: f64,
    ) -> Result<Vec<TaskRec>> {
        let held = reservation(d);
        let mut instances: Vec<ContainerInstanceRec> = Vec::new();
        let mut out = Vec::new();
        for instance_id in chosen {
            let pos = match instances.iter().position(|i| &i.id == instance_id) {
                Some(p) => p,
                None => {
                    let rec = tx
                        .state
                        .container_instances
                        .get(instance_id)
                        .owned()
                        .ok_or_else(|| EcsError::Server("placed on an unknown instance".into()))?;
                    instances.push(rec);
                    instances.len() - 1
                }
            };
            let inst = &mut instances[pos];
            let id = uuid::Uuid::new_v4().simple().to_string();
            let task = self.new_task(spec, &id, inst, now);
            charge(&mut inst.instance, &held);
            inst.instance.version += 1;
            inst.seq += 1;
            let rec = TaskRec {
                cluster: spec.cluster.to_owned(),
                id,
                instance: Some(instance_id.clone()),
                reservation: Some(held.clone()),
                seq: inst.seq,
                task,
                protected_until: None,
                lb: None,
            };
            tx.put(rec.clone())?;
            out.push(rec);
        }
        for inst in instances {
            tx.put(inst)?;
        }
        Ok(out)
    }

    /// Wakes the agents of the instances these tasks are on.
    pub(crate) fn notify_tasks(&self, tasks: &[Task]) {
        // By the task's host, which a FARGATE task has without a container instance ARN.
        let ids: Vec<String> = self.db.read(|state| {
            tasks
                .iter()
                .filter_map(|t| t.task_arn.as_deref()?.rsplit('/').next())
                .filter_map(|id| state.tasks.get(id)?.instance.clone())
                .collect()
        });
        self.agents.notify(&ids);
    }

    fn seed_counter(&self) -> u64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
    }
}

//! Builders for the tests, and a small world that carries actions out the way a caller
//! would, so properties can be checked over many steps.

#![allow(dead_code)] // each test file uses a different part

use berth_service_scheduler::*;

pub const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

pub fn spec(desired: u32, min: u32, max: u32) -> ServiceSpec {
    ServiceSpec {
        name: "web".into(),
        scheduling: Scheduling::Replica,
        desired_count: desired,
        minimum_healthy_percent: min,
        maximum_percent: max,
        circuit_breaker: CircuitBreaker::default(),
        health_check_grace_seconds: 0.0,
        settle_seconds: 0.0,
    }
}

pub fn daemon_spec(min: u32, max: u32) -> ServiceSpec {
    ServiceSpec {
        scheduling: Scheduling::Daemon,
        ..spec(0, min, max)
    }
}

pub fn deployment(id: &str, status: DeploymentStatus, rollout: RolloutState) -> Deployment {
    Deployment {
        id: id.into(),
        task_definition: format!("arn:aws:ecs:us-east-1:123456789012:task-definition/{id}"),
        status,
        rollout_state: rollout,
        rollout_state_reason: None,
        created_at: 0.0,
        updated_at: 0.0,
        failed_tasks: 0,
        rollback_of: None,
    }
}

pub fn primary(id: &str) -> Deployment {
    deployment(id, DeploymentStatus::Primary, RolloutState::InProgress)
}

/// A previous deployment that completed and is now being drained.
pub fn active(id: &str, created_at: f64) -> Deployment {
    Deployment {
        created_at,
        ..deployment(id, DeploymentStatus::Active, RolloutState::Completed)
    }
}

/// A RUNNING, healthy task without a health check, started at 0.
pub fn task(id: &str, deployment_id: &str) -> ObservedTask {
    ObservedTask {
        id: id.into(),
        deployment_id: deployment_id.into(),
        phase: TaskPhase::Running,
        health: Health::Unknown,
        has_health_check: false,
        started_at: Some(0.0),
        instance: None,
        availability_zone: None,
        instance_draining: false,
        protected_until: None,
        failed: false,
        ever_healthy: true,
        health_reason: None,
    }
}

pub fn pending(id: &str, deployment_id: &str) -> ObservedTask {
    ObservedTask {
        phase: TaskPhase::Pending,
        started_at: None,
        ever_healthy: false,
        ..task(id, deployment_id)
    }
}

pub fn unhealthy(id: &str, deployment_id: &str) -> ObservedTask {
    ObservedTask {
        has_health_check: true,
        health: Health::Unhealthy,
        ..task(id, deployment_id)
    }
}

/// A task that stopped on its own before ever being healthy.
pub fn failed(id: &str, deployment_id: &str) -> ObservedTask {
    ObservedTask {
        phase: TaskPhase::Stopped,
        started_at: None,
        failed: true,
        ever_healthy: false,
        ..task(id, deployment_id)
    }
}

pub fn on(mut t: ObservedTask, instance: &str) -> ObservedTask {
    t.instance = Some(instance.into());
    t
}

pub fn in_zone(mut t: ObservedTask, zone: &str) -> ObservedTask {
    t.availability_zone = Some(zone.into());
    t
}

pub fn instance(id: &str) -> Instance {
    Instance {
        id: id.into(),
        availability_zone: None,
        draining: false,
        eligible: true,
    }
}

pub fn input<'a>(
    spec: &'a ServiceSpec,
    deployments: &'a [Deployment],
    tasks: &'a [ObservedTask],
    now: f64,
) -> Input<'a> {
    Input {
        spec,
        deployments,
        tasks,
        instances: &[],
        in_flight: &[],
        now,
    }
}

pub fn run(spec: &ServiceSpec, deployments: &[Deployment], tasks: &[ObservedTask]) -> Vec<Action> {
    reconcile(&input(spec, deployments, tasks, 100.0))
}

/// How many tasks the actions start, of any deployment.
pub fn started(actions: &[Action]) -> u32 {
    actions
        .iter()
        .map(|a| match a {
            Action::Start { count, .. } => *count,
            Action::StartOn { .. } => 1,
            _ => 0,
        })
        .sum()
}

/// The ids of the tasks the actions stop, in order.
pub fn stopped(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Stop { task_id, .. } => Some(task_id.as_str()),
            _ => None,
        })
        .collect()
}

pub fn stop_reason<'a>(actions: &'a [Action], task: &str) -> Option<&'a str> {
    actions.iter().find_map(|a| match a {
        Action::Stop { task_id, reason } if task_id == task => Some(reason.as_str()),
        _ => None,
    })
}

pub fn events(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Event(e) => Some(e.as_str()),
            _ => None,
        })
        .collect()
}

pub fn updated<'a>(actions: &'a [Action], id: &str) -> Option<&'a Deployment> {
    actions.iter().find_map(|a| match a {
        Action::UpdateDeployment(d) if d.id == id => Some(d),
        _ => None,
    })
}

pub fn added(actions: &[Action]) -> Vec<&Deployment> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::AddDeployment(d) => Some(d),
            _ => None,
        })
        .collect()
}

/// A reproducible stream of choices (xorshift64*).
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// How tasks behave once started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Every task becomes RUNNING and HEALTHY.
    Healthy,
    /// Tasks of this task definition fail to start; others become healthy.
    FailsOn(&'static str),
    /// Anything goes: failures, health flapping, deaths.
    Chaos,
}

/// A service's world: what a caller stores and observes, advanced step by step.
pub struct World {
    pub spec: ServiceSpec,
    pub deployments: Vec<Deployment>,
    pub tasks: Vec<ObservedTask>,
    pub instances: Vec<Instance>,
    pub now: f64,
    pub next_id: usize,
    pub events: Vec<String>,
    pub behaviour: Behaviour,
}

impl World {
    pub fn new(spec: ServiceSpec, deployments: Vec<Deployment>, tasks: Vec<ObservedTask>) -> Self {
        Self {
            spec,
            deployments,
            tasks,
            instances: Vec::new(),
            now: 1000.0,
            next_id: 0,
            events: Vec::new(),
            behaviour: Behaviour::Healthy,
        }
    }

    pub fn input(&self) -> Input<'_> {
        Input {
            spec: &self.spec,
            deployments: &self.deployments,
            tasks: &self.tasks,
            instances: &self.instances,
            in_flight: &[],
            now: self.now,
        }
    }

    pub fn deployment(&self, id: &str) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.id == id)
    }

    pub fn primary(&self) -> Option<&Deployment> {
        self.deployments
            .iter()
            .find(|d| d.status == DeploymentStatus::Primary)
    }

    /// Carries the actions out as the control plane would.
    pub fn apply(&mut self, actions: &[Action], dice: &mut Dice) {
        for action in actions {
            match action {
                Action::Start {
                    deployment_id,
                    count,
                } => {
                    for _ in 0..*count {
                        let zone = ZONES[dice.below(ZONES.len())];
                        self.launch(deployment_id, None, Some(zone), dice);
                    }
                }
                Action::StartOn {
                    deployment_id,
                    instance,
                } => {
                    let zone = self
                        .instances
                        .iter()
                        .find(|i| &i.id == instance)
                        .and_then(|i| i.availability_zone.clone());
                    let zone = zone.as_deref().map(str::to_owned);
                    self.launch(deployment_id, Some(instance.clone()), zone.as_deref(), dice);
                }
                Action::Stop { task_id, .. } => {
                    if let Some(t) = self.tasks.iter_mut().find(|t| &t.id == task_id) {
                        if is_live(t) {
                            t.phase = TaskPhase::Stopping;
                        }
                    }
                }
                Action::UpdateDeployment(d) => {
                    if let Some(slot) = self.deployments.iter_mut().find(|x| x.id == d.id) {
                        *slot = d.clone();
                    }
                }
                Action::AddDeployment(d) => self.deployments.push(d.clone()),
                Action::Event(e) => self.events.push(e.clone()),
            }
        }
    }

    fn launch(
        &mut self,
        deployment_id: &str,
        instance: Option<String>,
        zone: Option<&str>,
        dice: &mut Dice,
    ) {
        self.next_id += 1;
        let draining = instance
            .as_deref()
            .and_then(|id| self.instances.iter().find(|i| i.id == id))
            .is_some_and(|i| i.draining);
        let mut t = pending(&format!("t{}", self.next_id), deployment_id);
        t.instance = instance;
        t.availability_zone = zone.map(str::to_owned);
        t.instance_draining = draining;
        t.has_health_check = self.behaviour == Behaviour::Chaos && dice.chance(50);
        self.tasks.push(t);
    }

    /// Time passes: tasks start or fail, stopping tasks stop.
    pub fn evolve(&mut self, dice: &mut Dice) {
        self.now += 15.0;
        let now = self.now;
        let behaviour = self.behaviour;
        let definitions: Vec<(String, String)> = self
            .deployments
            .iter()
            .map(|d| (d.id.clone(), d.task_definition.clone()))
            .collect();
        for t in &mut self.tasks {
            let definition = definitions
                .iter()
                .find(|(id, _)| *id == t.deployment_id)
                .map(|(_, td)| td.as_str())
                .unwrap_or_default();
            match t.phase {
                TaskPhase::Pending => {
                    let fails = match behaviour {
                        Behaviour::Healthy => false,
                        Behaviour::FailsOn(bad) => definition == bad,
                        Behaviour::Chaos => dice.chance(25),
                    };
                    if fails {
                        t.phase = TaskPhase::Stopped;
                        t.failed = true;
                    } else if behaviour != Behaviour::Chaos || dice.chance(70) {
                        t.phase = TaskPhase::Running;
                        t.started_at = Some(now);
                        t.health = Health::Healthy;
                        t.ever_healthy = true;
                    }
                }
                TaskPhase::Running if behaviour == Behaviour::Chaos => {
                    if dice.chance(5) {
                        t.phase = TaskPhase::Stopped;
                        t.failed = true;
                    } else if t.has_health_check && dice.chance(20) {
                        t.health = match dice.below(3) {
                            0 => Health::Healthy,
                            1 => Health::Unhealthy,
                            _ => Health::Unknown,
                        };
                        t.ever_healthy |= t.health == Health::Healthy;
                    }
                }
                TaskPhase::Stopping => t.phase = TaskPhase::Stopped,
                TaskPhase::Running | TaskPhase::Stopped => {}
            }
        }
        // The caller forgets stopped tasks that do not count as failures.
        self.tasks
            .retain(|t| t.phase != TaskPhase::Stopped || (t.failed && !t.ever_healthy));
    }
}

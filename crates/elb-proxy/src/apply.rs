//! Reconciling the running proxy with a new [`Config`]: which target
//! groups, targets, checkers and listeners stay, start, drain or stop.
//!
//! Identity decides what carries over: a target group by its ARN, a
//! target by (id, port) and address, a listener by its id and bind
//! address. Whatever carries over keeps its state (health, counters,
//! sockets, connections); whatever changes takes effect at the next
//! request, because requests read the routing through an `ArcSwap` that is
//! replaced whole.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use http::header::HeaderValue;
use tokio::task::JoinHandle;

use crate::checker;
use crate::config::{Config, ListenerConfig, TargetGroupConfig};
use crate::connection::ConnSettings;
use crate::health::drain_finished;
use crate::listener::ListenerHandle;
use crate::routing::{self, ListenerRuntime};
use crate::service::ListenerShared;
use crate::stats::LbStats;
use crate::target::{GroupShared, GroupView, Target};
use crate::tls;
use crate::workers::Workers;

/// A task aborted when its handle is dropped.
pub(crate) struct Task(pub JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The control plane's state, behind the proxy's mutex.
pub(crate) struct Control {
    pub listeners: HashMap<String, ListenerHandle>,
    pub groups: HashMap<String, GroupEntry>,
    pub lbs: HashMap<String, Arc<LbStats>>,
    pub workers: Arc<Workers>,
}

pub(crate) struct GroupEntry {
    pub shared: Arc<GroupShared>,
    pub config: TargetGroupConfig,
    pub in_use: bool,
    pub targets: Vec<Registered>,
    pub draining: Vec<Draining>,
}

pub(crate) struct Registered {
    pub target: Arc<Target>,
    checker: Option<Task>,
}

pub(crate) struct Draining {
    pub target: Arc<Target>,
    since: Instant,
    delay: std::time::Duration,
}

/// A listener to bind once the stopped ones have let go of their ports.
pub(crate) struct ToStart {
    pub config: ListenerConfig,
    pub runtime: ListenerRuntime,
    pub settings: ConnSettings,
}

/// What the caller does outside the lock.
#[derive(Default)]
pub(crate) struct Plan {
    pub to_stop: Vec<ListenerHandle>,
    pub to_start: Vec<ToStart>,
    pub bind_errors: Vec<(String, String)>,
    pub problems: Vec<(String, String)>,
}

impl Control {
    pub(crate) fn new(workers: Arc<Workers>) -> Control {
        Control {
            listeners: HashMap::new(),
            groups: HashMap::new(),
            lbs: HashMap::new(),
            workers,
        }
    }

    /// Brings groups, targets and kept listeners up to `config`; returns
    /// the listeners to stop and to start.
    pub(crate) fn reconcile(&mut self, config: &Config) -> Plan {
        let mut plan = Plan::default();
        let now = Instant::now();
        let used: HashSet<&str> = config
            .listeners
            .iter()
            .flat_map(routing::referenced_groups)
            .collect();

        let slots = self.workers.slots();
        let mut old_groups = std::mem::take(&mut self.groups);
        for group in &config.target_groups {
            if self.groups.contains_key(&group.id) {
                plan.problems.push((
                    group.id.clone(),
                    "duplicate target group; ignored".to_owned(),
                ));
                continue;
            }
            let entry = match old_groups.remove(&group.id) {
                Some(entry) => {
                    update_group(entry, group, used.contains(group.id.as_str()), now, slots)
                }
                None => new_group(group, used.contains(group.id.as_str()), slots),
            };
            self.groups.insert(group.id.clone(), entry);
        }
        // Groups gone from the config take their checkers with them; their
        // requests in flight finish on their own.
        drop(old_groups);

        let views: HashMap<String, Arc<GroupView>> = self
            .groups
            .iter()
            .map(|(id, entry)| (id.clone(), Arc::new(entry.view())))
            .collect();

        let mut lbs = HashMap::new();
        let mut seen = HashSet::new();
        let mut old_listeners = std::mem::take(&mut self.listeners);
        for listener in &config.listeners {
            if !seen.insert(listener.id.as_str()) {
                plan.problems.push((
                    listener.id.clone(),
                    "duplicate listener; ignored".to_owned(),
                ));
                continue;
            }
            let lb: Arc<LbStats> = Arc::clone(
                lbs.entry(listener.load_balancer.clone())
                    .or_insert_with(|| {
                        self.lbs
                            .get(&listener.load_balancer)
                            .cloned()
                            .unwrap_or_default()
                    }),
            );
            let runtime = routing::compile_listener(listener, &views, &mut plan.problems);
            let tls = match listener
                .tls
                .as_ref()
                .map(|t| tls::server_config(t, listener.http2))
                .transpose()
            {
                Ok(tls) => tls,
                Err(e) => {
                    plan.bind_errors.push((listener.id.clone(), e));
                    continue;
                }
            };
            let settings = ConnSettings::new(tls, listener.http2, listener.idle_timeout, lb);
            match old_listeners.remove(&listener.id) {
                Some(handle) if handle.bind == listener.bind => {
                    handle.shared.runtime.store(Arc::new(runtime));
                    handle.settings.store(Arc::new(settings));
                    self.listeners.insert(listener.id.clone(), handle);
                }
                other => {
                    plan.to_stop.extend(other);
                    plan.to_start.push(ToStart {
                        config: listener.clone(),
                        runtime,
                        settings,
                    });
                }
            }
        }
        plan.to_stop.extend(old_listeners.into_values());
        self.lbs = lbs;
        plan
    }

    /// Starts a listener planned by [`reconcile`](Self::reconcile).
    pub(crate) fn start_listener(
        &mut self,
        start: ToStart,
        tracker: &Arc<crate::listener::ConnTracker>,
    ) -> Result<(), String> {
        let ToStart {
            config,
            runtime,
            settings,
        } = start;
        let make_shared = |port: u16| {
            Arc::new(ListenerShared {
                runtime: ArcSwap::from_pointee(runtime),
                port,
                port_value: HeaderValue::from(port),
            })
        };
        let handle = ListenerHandle::start(
            config.bind,
            make_shared,
            settings,
            Arc::clone(tracker),
            Arc::clone(&self.workers),
        )
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
        self.listeners.insert(config.id, handle);
        Ok(())
    }

    /// Removes the draining targets that are done.
    pub(crate) fn reap(&mut self, now: Instant) {
        for entry in self.groups.values_mut() {
            entry
                .draining
                .retain(|d| !drain_finished(d.target.outstanding(), d.since, now, d.delay));
        }
    }
}

fn new_group(config: &TargetGroupConfig, in_use: bool, slots: usize) -> GroupEntry {
    let mut entry = GroupEntry {
        shared: Arc::new(GroupShared::new(&config.id, config.health_check.clone())),
        config: config.clone(),
        in_use,
        targets: Vec::new(),
        draining: Vec::new(),
    };
    for target in unique_targets(config) {
        let target = Arc::new(Target::new(target, slots));
        target.reset_health(config.health_check.enabled);
        entry.targets.push(Registered {
            target,
            checker: None,
        });
    }
    entry.run_checkers();
    entry
}

fn update_group(
    mut entry: GroupEntry,
    config: &TargetGroupConfig,
    in_use: bool,
    now: Instant,
    slots: usize,
) -> GroupEntry {
    let enabled = config.health_check.enabled;
    // Out of use, or checks switched: the history no longer says anything.
    let reset = entry.in_use != in_use || entry.config.health_check.enabled != enabled;
    entry
        .shared
        .health_check
        .store(Arc::new(config.health_check.clone()));
    let mut old: Vec<Registered> = std::mem::take(&mut entry.targets);
    for wanted in unique_targets(config) {
        let same = |t: &Target| t.id == wanted.id && t.port == wanted.port && t.addr == wanted.addr;
        if let Some(at) = old.iter().position(|r| same(&r.target)) {
            entry.targets.push(old.swap_remove(at));
        } else if let Some(at) = entry.draining.iter().position(|d| same(&d.target)) {
            // Registered again while draining: back in service, checked anew.
            let target = entry.draining.swap_remove(at).target;
            target.set_draining(false);
            target.reset_health(enabled);
            entry.targets.push(Registered {
                target,
                checker: None,
            });
        } else {
            let target = Arc::new(Target::new(wanted, slots));
            target.reset_health(enabled);
            entry.targets.push(Registered {
                target,
                checker: None,
            });
        }
    }
    for gone in old {
        gone.target.set_draining(true);
        gone.target.pool.clear();
        entry.draining.push(Draining {
            target: gone.target,
            since: now,
            delay: config.deregistration_delay,
        });
    }
    if reset {
        for registered in &mut entry.targets {
            registered.checker = None;
            registered.target.reset_health(enabled);
        }
    }
    entry.config = config.clone();
    entry.in_use = in_use;
    entry.run_checkers();
    entry
}

/// The targets of a config, first registration of each (id, port) only.
fn unique_targets(
    config: &TargetGroupConfig,
) -> impl Iterator<Item = &crate::config::TargetConfig> {
    let mut seen = HashSet::new();
    config
        .targets
        .iter()
        .filter(move |t| seen.insert((t.id.as_str(), t.port)))
}

impl GroupEntry {
    /// Checkers run for every target of a group in use with checks on.
    fn run_checkers(&mut self) {
        let wanted = self.in_use && self.config.health_check.enabled;
        for registered in &mut self.targets {
            if !wanted {
                registered.checker = None;
            } else if registered.checker.is_none() {
                let handle =
                    checker::spawn(Arc::clone(&registered.target), Arc::clone(&self.shared));
                registered.checker = Some(Task(handle));
            }
        }
    }

    fn view(&self) -> GroupView {
        GroupView {
            shared: Arc::clone(&self.shared),
            targets: self.targets.iter().map(|r| Arc::clone(&r.target)).collect(),
            algorithm: self.config.algorithm,
            slow_start: self.config.slow_start,
            stickiness: self.config.stickiness.clone(),
            tls: self.config.protocol == crate::config::TargetProtocol::Https,
        }
    }
}

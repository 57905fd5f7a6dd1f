//! Micro benchmark: placing 10 tasks over 5,000 candidates.
//!
//! `cargo run --release -p berth-placement --example bench` prints the
//! median and worst time of each scenario. Nothing is asserted: timings
//! depend on the machine.

use std::hint::black_box;
use std::time::{Duration, Instant};

use berth_placement::{
    place, Candidate, Constraint, Demand, Detail, Policy, Request, Resource, SpreadField, Strategy,
};

const CANDIDATES: usize = 5_000;
const RUNS: usize = 200;

fn cluster() -> Vec<Candidate> {
    let zones = ["us-east-1a", "us-east-1b", "us-east-1c"];
    let types = ["t3.large", "m5.xlarge", "c5.2xlarge"];
    (0..CANDIDATES)
        .map(|i| {
            let mut c = Candidate::new(
                format!("arn:aws:ecs:us-east-1:123456789012:container-instance/bench/{i:08x}"),
                i64::try_from(512 + (i * 37) % 3584).unwrap_or(0),
                i64::try_from(1024 + (i * 101) % 15360).unwrap_or(0),
            )
            .with_attribute("ecs.availability-zone", Some(zones[i % 3]))
            .with_attribute("ecs.instance-type", Some(types[(i / 3) % 3]))
            .with_attribute("ecs.os-type", Some("linux"));
            c.ec2_instance_id = Some(format!("i-{i:017x}"));
            c.used_tcp_ports = [22, 2375, 2376, 51678, 51679].into_iter().collect();
            for j in 0..i % 6 {
                c.add_task_group(if j % 2 == 0 {
                    "service:api"
                } else {
                    "family:batch"
                });
            }
            c.running_tasks_count = i64::try_from(i % 6).unwrap_or(0);
            c.agent_connected = i % 97 != 0;
            c
        })
        .collect()
}

fn time(name: &str, req: &Request, cluster: &[Candidate]) {
    let mut samples: Vec<Duration> = (0..RUNS)
        .map(|seed| {
            let start = Instant::now();
            let p = place(black_box(req), black_box(cluster), seed as u64);
            black_box(p.placed());
            start.elapsed()
        })
        .collect();
    samples.sort();
    let p = place(req, cluster, 0);
    println!(
        "{name:<48} median {:>9.1?}  max {:>9.1?}  placed {}/{}",
        samples[RUNS / 2],
        samples[RUNS - 1],
        p.placed(),
        req.count
    );
}

fn main() {
    let cluster = cluster();
    let api = Demand::new(256, 512, "service:api").with_tcp_ports([8080]);
    let member_of =
        Constraint::member_of("attribute:ecs.instance-type =~ m5.* and runningTasksCount < 5")
            .unwrap_or(Constraint::DistinctInstance);
    let scenarios = [
        ("default (random)", Policy::run_task_default()),
        (
            "service default (spread zone, instance)",
            Policy::service_default(),
        ),
        (
            "binpack memory",
            Policy::default().with_strategy(Strategy::Binpack(Resource::Memory)),
        ),
        (
            "spread zone + binpack cpu + memberOf + distinct",
            Policy::default()
                .with_constraint(Constraint::DistinctInstance)
                .with_constraint(member_of)
                .with_strategy(Strategy::Spread(SpreadField::Attribute(
                    "ecs.availability-zone".into(),
                )))
                .with_strategy(Strategy::Binpack(Resource::Cpu)),
        ),
    ];
    println!("{CANDIDATES} candidates, {RUNS} runs each");
    for (name, policy) in scenarios {
        time(name, &Request::new(api.clone(), policy, 10), &cluster);
    }
    let mut big = Request::new(
        Demand::new(64, 128, "service:api"),
        Policy::service_default(),
        1000,
    );
    big.detail = Detail::Summary;
    time(
        "1000 tasks, service default, summary detail",
        &big,
        &cluster,
    );
}

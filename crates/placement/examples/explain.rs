//! Prints the explanation of a small placement: `cargo run -p berth-placement --example explain`.

use berth_placement::{
    place, validate, Candidate, ConstraintSpec, Demand, InstanceStatus, Request, StrategySpec,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let node = |n: &str, az: &str, cpu, mem| {
        Candidate::new(
            format!("arn:aws:ecs:us-east-1:123456789012:container-instance/demo/{n}"),
            cpu,
            mem,
        )
        .with_attribute("ecs.availability-zone", Some(az))
        .with_attribute(
            "ecs.instance-type",
            Some(if n.starts_with('t') {
                "t3.large"
            } else {
                "m5.large"
            }),
        )
    };
    let mut off = node("t-off", "us-east-1a", 2048, 8192);
    off.agent_connected = false;
    let mut draining = node("t-drain", "us-east-1b", 2048, 8192);
    draining.status = InstanceStatus::Draining;
    let cluster = [
        node("t-a1", "us-east-1a", 2048, 4096),
        node("t-b1", "us-east-1b", 2048, 1024),
        node("t-b2", "us-east-1b", 256, 8192),
        node("m-a1", "us-east-1a", 4096, 16384),
        off,
        draining,
    ];
    let policy = validate(
        &[ConstraintSpec {
            kind: Some("memberOf"),
            expression: Some("attribute:ecs.instance-type =~ t3.*"),
        }],
        &[
            StrategySpec {
                kind: Some("spread"),
                field: Some("attribute:ecs.availability-zone"),
            },
            StrategySpec {
                kind: Some("binpack"),
                field: Some("memory"),
            },
        ],
    )?;
    let request = Request::new(
        Demand::new(512, 1024, "family:web").with_tcp_ports([80]),
        policy,
        3,
    );
    let placement = place(&request, &cluster, 7);
    println!("{}", placement.explain());
    match placement.ecs_failures() {
        Ok(failures) => {
            for f in failures {
                println!("failure: {} {}", f.arn, f.reason);
            }
        }
        Err(e) => println!("error: {e}"),
    }
    if let Some((c, r)) = placement.closest_match() {
        println!("closest match: {} ({})", c.arn, r);
    }
    Ok(())
}

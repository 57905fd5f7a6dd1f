//! The example expressions from AWS's cluster query language and task
//! placement constraint pages, each checked on instances it should and
//! shouldn't select.

use crate::instance::{eval, Instance};

fn typed(instance_type: &str, zone: &str) -> Instance {
    Instance::sample()
        .attr("ecs.instance-type", instance_type)
        .attr("ecs.availability-zone", zone)
}

#[test]
fn string_equality() {
    let e = "attribute:ecs.instance-type == t2.small";
    assert!(eval(e, &typed("t2.small", "us-east-1a")));
    assert!(!eval(e, &typed("t2.medium", "us-east-1a")));
    assert!(!eval(e, &typed("t2.smal", "us-east-1a")));
}

#[test]
fn argument_list() {
    let e = "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]";
    assert!(eval(e, &typed("m5.large", "us-east-1a")));
    assert!(eval(e, &typed("m5.large", "us-east-1b")));
    assert!(!eval(e, &typed("m5.large", "us-east-1c")));
}

#[test]
fn compound_expression() {
    let e = "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d";
    assert!(eval(e, &typed("g2.2xlarge", "us-east-1a")));
    assert!(!eval(e, &typed("g2.2xlarge", "us-east-1d")));
    assert!(!eval(e, &typed("t2.micro", "us-east-1a")));
}

#[test]
fn task_affinity() {
    let e = "task:group == service:production";
    assert!(eval(e, &Instance::sample()));
    let mut other = Instance::sample();
    other.groups = vec!["service:staging".into(), "family:web".into()];
    assert!(!eval(e, &other));
    other.groups.push("service:production".into());
    assert!(eval(e, &other));
}

#[test]
fn task_anti_affinity() {
    let e = "not(task:group == database)";
    assert!(eval(e, &Instance::sample()));
    let mut empty = Instance::sample();
    empty.groups.clear();
    assert!(eval(e, &empty));
    let mut db = Instance::sample();
    db.groups.push("database".into());
    assert!(!eval(e, &db));
}

#[test]
fn running_task_count() {
    let e = "runningTasksCount == 1";
    let mut i = Instance::sample();
    assert!(eval(e, &i));
    i.running = 2;
    assert!(!eval(e, &i));
}

#[test]
fn agent_version() {
    let e = "agentVersion < 1.14.5";
    let mut i = Instance::sample();
    assert!(!eval(e, &i));
    i.version = Some("1.9.0".into());
    assert!(eval(e, &i), "1.9.0 < 1.14.5 as versions");
    i.version = Some("1.14.4".into());
    assert!(eval(e, &i));
    i.version = Some("1.20.0".into());
    assert!(!eval(e, &i));
}

#[test]
fn instance_registration_time() {
    let e = "registeredAt < 2018-02-13";
    let mut i = Instance::sample();
    assert!(!eval(e, &i), "registered June 2018");
    i.registered_at = Some(1_518_480_000.0 - 1.0); // 2018-02-12T23:59:59Z
    assert!(eval(e, &i));
    i.registered_at = Some(1_518_480_000.0); // 2018-02-13T00:00:00Z
    assert!(!eval(e, &i));
}

#[test]
fn ec2_instance_id() {
    let e = "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']";
    let mut i = Instance::sample();
    assert!(eval(e, &i));
    i.ec2_id = Some("i-wxyx7890".into());
    assert!(eval(e, &i));
    i.ec2_id = Some("i-00000000".into());
    assert!(!eval(e, &i));
    i.ec2_id = None;
    assert!(!eval(e, &i));
}

#[test]
fn precedence_template() {
    // "(expression1 or expression2) and expression3"
    let e =
        "(attribute:ecs.instance-type == t2.small or attribute:ecs.instance-type == t2.medium) \
             and attribute:ecs.availability-zone == us-east-1a";
    assert!(eval(e, &typed("t2.small", "us-east-1a")));
    assert!(eval(e, &typed("t2.medium", "us-east-1a")));
    assert!(!eval(e, &typed("t2.medium", "us-east-1b")));
    assert!(!eval(e, &typed("t2.large", "us-east-1a")));
}

#[test]
fn filter_built_in_attribute() {
    let e = "attribute:ecs.instance-type == g2.2xlarge";
    assert!(eval(e, &Instance::sample()));
    assert!(!eval(e, &typed("g2.8xlarge", "us-east-1a")));
}

#[test]
fn filter_custom_attribute() {
    let e = "attribute:stack == prod";
    assert!(eval(e, &Instance::sample().attr("stack", "prod")));
    assert!(!eval(e, &Instance::sample().attr("stack", "dev")));
    assert!(!eval(e, &Instance::sample()));
}

#[test]
fn filter_exclude_attribute_value() {
    // "lists the instances with the custom attribute stack unless the
    // attribute value is prod": instances without `stack` are not listed.
    let e = "attribute:stack != prod";
    assert!(eval(e, &Instance::sample().attr("stack", "dev")));
    assert!(!eval(e, &Instance::sample().attr("stack", "prod")));
    assert!(!eval(e, &Instance::sample()));
}

#[test]
fn filter_multiple_attribute_values() {
    let e = "attribute:ecs.instance-type in [t2.small, t2.medium]";
    assert!(eval(e, &typed("t2.small", "us-east-1a")));
    assert!(eval(e, &typed("t2.medium", "us-east-1a")));
    assert!(!eval(e, &typed("t2.large", "us-east-1a")));
}

#[test]
fn filter_multiple_attributes() {
    let e = "attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone == us-east-1a";
    assert!(eval(e, &typed("t2.micro", "us-east-1a")));
    assert!(!eval(e, &typed("t2.micro", "us-east-1b")));
    assert!(!eval(e, &typed("m5.large", "us-east-1a")));
}

#[test]
fn member_of_constraints() {
    assert!(eval(
        "attribute:ecs.instance-type =~ t2.*",
        &typed("t2.nano", "x")
    ));
    assert!(!eval(
        "attribute:ecs.instance-type =~ t2.*",
        &typed("g2.2xlarge", "x")
    ));
    let mut db = Instance::sample();
    db.groups = vec!["databases".into()];
    assert!(eval("task:group == databases", &db));
    assert!(!eval("task:group == databases", &Instance::sample()));
}

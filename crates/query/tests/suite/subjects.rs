//! Each subject: typed comparison, allowed operators, argument checking.

use berth_query::{parse, ErrorKind, Field};

use crate::instance::{eval, Instance};

fn rejects(src: &str, kind: ErrorKind) {
    match parse(src) {
        Ok(e) => panic!("{src:?} parsed as {e}"),
        Err(err) => assert_eq!(err.kind(), kind, "{src:?}: {err}"),
    }
}

#[test]
fn agent_connected() {
    let mut i = Instance::sample();
    assert!(eval("agentConnected == true", &i));
    assert!(eval("agentConnected == TRUE", &i));
    assert!(!eval("agentConnected != true", &i));
    assert!(eval("agentConnected in [true, false]", &i));
    assert!(eval("agentConnected =~ t.*", &i));
    i.connected = false;
    assert!(eval("agentConnected == false", &i));
    assert!(eval("agentConnected not_in [true]", &i));
    assert!(eval("agentConnected !~ t.*", &i));
    rejects("agentConnected == yes", ErrorKind::InvalidArgument);
    rejects("agentConnected > true", ErrorKind::OperatorNotAllowed);
    rejects("agentConnected exists", ErrorKind::OperatorNotAllowed);
}

#[test]
fn agent_version() {
    let mut i = Instance::sample();
    assert!(eval("agentVersion == 1.14.5", &i));
    assert!(eval("agentVersion >= 1.14", &i));
    assert!(eval("agentVersion > 1.9.9", &i));
    assert!(eval("agentVersion <= 1.14.5", &i));
    assert!(eval("agentVersion != 1.14.6", &i));
    i.version = Some("1.14.5-beta".into());
    assert!(eval("agentVersion == 1.14.5", &i));
    i.version = None;
    assert!(!eval("agentVersion < 99", &i));
    assert!(!eval("agentVersion != 1", &i));
    rejects("agentVersion < latest", ErrorKind::InvalidArgument);
    rejects("agentVersion =~ 1.*", ErrorKind::OperatorNotAllowed);
    rejects("agentVersion in [1.0]", ErrorKind::OperatorNotAllowed);
}

#[test]
fn attributes() {
    let i = Instance::sample().attr("stack", "prod").attr("cores", "16");
    assert!(eval("attribute:ecs.os-type == linux", &i));
    assert!(eval("attribute:stack exists", &i));
    assert!(
        eval("attribute:cores > 8", &i),
        "numbers compare as numbers"
    );
    assert!(eval("attribute:cores < 100", &i));
    assert!(eval("attribute:stack > dev", &i), "text compares as text");
    assert!(eval("attribute:a/b\\c_d-e.f !exists", &i));
    let e = parse("attribute:ecs.instance-type == a and attribute:stack exists or attribute:ecs.instance-type == b")
        .expect("parses");
    assert_eq!(e.attributes(), ["ecs.instance-type", "stack"]);
    assert!(!e.mentions_task_group());
}

#[test]
fn ec2_instance_id() {
    let mut i = Instance::sample();
    assert!(eval("ec2InstanceId == i-abcd1234", &i));
    assert!(eval("ec2InstanceId =~ i-abcd.*", &i));
    assert!(eval("ec2InstanceId != i-0", &i));
    i.ec2_id = None;
    assert!(!eval("ec2InstanceId != i-0", &i));
    rejects("ec2InstanceId > i-0", ErrorKind::OperatorNotAllowed);
    rejects("ec2InstanceId exists", ErrorKind::OperatorNotAllowed);
}

#[test]
fn registered_at_formats_and_precision() {
    // Sample registered 2018-06-18T22:28:28Z.
    let i = Instance::sample();
    for src in [
        "registeredAt == 2018-06-18T22:28:28+00:00",
        "registeredAt == 2018-06-18T22:28:28Z",
        "registeredAt == 2018-06-18T22:28:28",
        "registeredAt == 2018-06-18",
        "registeredAt == 2018-06-19T00:28:28+02:00",
        "registeredAt > 2018-06-17",
        "registeredAt >= 2018-06-18",
        "registeredAt <= 2018-06-18",
        "registeredAt < 2018-06-19",
        "registeredAt > 2018-06-18T22:28:27Z",
        "registeredAt != 2018-06-17",
    ] {
        assert!(eval(src, &i), "{src}");
    }
    for src in [
        "registeredAt > 2018-06-18",
        "registeredAt < 2018-06-18",
        "registeredAt == 2018-06-18T22:28:29Z",
    ] {
        assert!(!eval(src, &i), "{src}");
    }
    let mut fraction = Instance::sample();
    fraction.registered_at = Some(1_529_360_908.75);
    assert!(eval("registeredAt == 2018-06-18T22:28:28Z", &fraction));
    rejects("registeredAt < yesterday", ErrorKind::InvalidArgument);
    rejects("registeredAt < 2018-02-30", ErrorKind::InvalidArgument);
    rejects("registeredAt exists", ErrorKind::OperatorNotAllowed);
}

#[test]
fn running_tasks_count() {
    let mut i = Instance::sample();
    i.running = 3;
    assert!(eval("runningTasksCount == 3", &i));
    assert!(eval("runningTasksCount > 2", &i));
    assert!(eval("runningTasksCount >= 3", &i));
    assert!(eval("runningTasksCount < 10", &i), "10 > 3 as numbers");
    assert!(eval("runningTasksCount <= 3", &i));
    assert!(eval("runningTasksCount != 0", &i));
    rejects("runningTasksCount > many", ErrorKind::InvalidArgument);
    rejects("runningTasksCount > 1.5", ErrorKind::InvalidArgument);
    rejects("runningTasksCount in [1]", ErrorKind::OperatorNotAllowed);
}

#[test]
fn task_group() {
    let mut i = Instance::sample();
    i.groups = vec!["family:web".into(), "service:api".into()];
    assert!(eval("task:group == service:api", &i));
    assert!(eval("task:group in [service:db, family:web]", &i));
    assert!(eval("task:group =~ service:.*", &i));
    assert!(eval("task:group exists", &i));
    assert!(
        eval("task:group != service:db", &i),
        "no task of service:db"
    );
    assert!(
        !eval("task:group != service:api", &i),
        "one task is service:api"
    );
    i.groups.clear();
    assert!(eval("task:group !exists", &i));
    assert!(!eval("task:group != service:db", &i), "no tasks at all");
    assert!(eval("not (task:group == service:db)", &i));
    assert!(parse("task:group == x")
        .expect("parses")
        .mentions_task_group());
}

#[test]
fn subject_words() {
    assert_eq!(Field::from_word("task:group"), Some(Field::TaskGroup));
    assert_eq!(
        Field::from_word("attribute:stack"),
        Some(Field::Attribute("stack".into()))
    );
    assert_eq!(Field::from_word("attribute:"), None);
    assert_eq!(Field::from_word("AgentConnected"), None);
    assert_eq!(Field::from_word("ec2InstanceType"), None);
}

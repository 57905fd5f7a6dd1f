use super::*;
use serde_json::json;

fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).expect("valid shape")
}

fn definition() -> TaskDefinition {
    parse(json!({
        "family": "web", "revision": 3, "networkMode": "bridge", "memory": "512", "cpu": "512",
        "volumes": [{"name": "data", "host": {"sourcePath": "/srv/data"}}, {"name": "scratch"}],
        "containerDefinitions": [{
            "name": "app", "image": "demo/httpd:1", "cpu": 128, "memoryReservation": 64,
            "essential": true,
            "command": ["httpd", "-f"], "entryPoint": ["/bin/busybox"],
            "environment": [{"name": "A", "value": "def"}, {"name": "B", "value": "def"}],
            "portMappings": [{"containerPort": 80, "protocol": "tcp"},
                             {"containerPort": 53, "hostPort": 5353, "protocol": "udp"}],
            "dockerLabels": {"team": "x"},
            "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}],
            "linuxParameters": {"initProcessEnabled": true, "sharedMemorySize": 64,
                                "capabilities": {"add": ["NET_ADMIN"], "drop": ["MKNOD"]},
                                "tmpfs": [{"containerPath": "/tmp", "size": 16, "mountOptions": ["noexec"]}]},
            "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": true},
                            {"sourceVolume": "scratch", "containerPath": "/scratch"}],
            "volumesFrom": [{"sourceContainer": "side", "readOnly": true}],
            "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 5, "retries": 2},
            "extraHosts": [{"hostname": "db", "ipAddress": "10.0.0.5"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}},
            "workingDirectory": "/www", "user": "1000", "hostname": "web1"
        }]
    }))
}

fn task() -> Task {
    parse(json!({
        "taskArn": "arn:aws:ecs:us-east-1:000000000000:task/c/abc",
        "clusterArn": "arn:aws:ecs:us-east-1:000000000000:cluster/c",
        "overrides": {"containerOverrides": [
            {"name": "app", "command": ["httpd", "-p", "8080"],
             "environment": [{"name": "B", "value": "override"}, {"name": "C", "value": "new"}],
             "memory": 256}
        ]}
    }))
}

fn build(network: Network) -> ContainerCreateBody {
    build_from(definition(), network)
}

fn build_from(def: TaskDefinition, network: Network) -> ContainerCreateBody {
    let task = task();
    let names: HashMap<String, String> =
        [("side".to_owned(), "ecs-web-3-side-1".to_owned())].into();
    let volumes: HashMap<String, VolumeSource> = [
        (
            "data".to_owned(),
            VolumeSource::HostPath("/srv/data".into()),
        ),
        (
            "scratch".to_owned(),
            VolumeSource::Docker {
                name: "berth-abc-scratch".into(),
                driver: None,
                driver_opts: HashMap::new(),
                labels: HashMap::new(),
            },
        ),
    ]
    .into();
    let ctx = Context {
        task: &task,
        definition: &def,
        owner: "owner-1",
        instance: "arn:aws:ecs:us-east-1:000000000000:container-instance/c/i1",
        network,
        metadata_base: Some("http://172.17.0.1:51679".into()),
        token: "tok",
        docker_names: &names,
        volumes: &volumes,
        file_environment: vec![("A".into(), "file".into()), ("F".into(), "file".into())],
        // A secret outranks the definition and the overrides.
        secret_environment: vec![("B".into(), "secret".into()), ("S".into(), "secret".into())],
        // The agent's defaults yield to the definition; what it forces does not.
        log_secret_options: vec![("splunk-token".into(), "tok-from-secret".into())],
        default_environment: vec![
            ("A".into(), "agent".into()),
            ("AWS_REGION".into(), "r1".into()),
        ],
        agent_environment: vec![("C".into(), "forced".into())],
        launch_type: "EC2",
        region: "us-east-1",
        default_dns: None,
    };
    let containers = def.container_definitions.clone().unwrap_or_default();
    create_body(&containers[0], &ctx)
}

#[test]
fn overrides_and_environment_follow_ecs_precedence() {
    let body = build(Network::Bridge);
    assert_eq!(
        body.cmd,
        Some(vec!["httpd".into(), "-p".into(), "8080".into()])
    );
    assert_eq!(body.entrypoint, Some(vec!["/bin/busybox".into()]));
    let env = body.env.unwrap_or_default();
    for want in [
        "A=def",
        "B=secret",
        "S=secret",
        "C=forced",
        "F=file",
        "AWS_REGION=r1",
        "ECS_CONTAINER_METADATA_URI_V4=http://172.17.0.1:51679/v4/tok",
        "AWS_EXECUTION_ENV=AWS_ECS_EC2",
    ] {
        assert!(
            env.contains(&want.to_owned()),
            "{want} missing from {env:?}"
        );
    }
    let host = body.host_config.unwrap_or_default();
    // The override's memory wins over the task's; reservation and shares from the definition.
    assert_eq!(host.memory, Some(256 << 20));
    assert_eq!(host.memory_reservation, Some(64 << 20));
    assert_eq!(host.cpu_shares, Some(128));
    assert_eq!(host.nano_cpus, Some(500_000_000));
}

#[test]
fn bridge_ports_are_static_or_dynamic() {
    let body = build(Network::Bridge);
    let mut exposed = body.exposed_ports.clone().unwrap_or_default();
    exposed.sort();
    assert_eq!(exposed, vec!["53/udp".to_owned(), "80/tcp".to_owned()]);
    let host = body.host_config.unwrap_or_default();
    let ports = host.port_bindings.unwrap_or_default();
    let tcp = ports["80/tcp"].clone().unwrap_or_default();
    assert_eq!(tcp[0].host_port.as_deref(), Some(""), "dynamic port");
    let udp = ports["53/udp"].clone().unwrap_or_default();
    assert_eq!(udp[0].host_port.as_deref(), Some("5353"));
    assert_eq!(host.network_mode.as_deref(), Some("bridge"));
    assert_eq!(host.extra_hosts, Some(vec!["db:10.0.0.5".to_owned()]));
    assert_eq!(body.hostname.as_deref(), Some("web1"));
}

#[test]
fn awsvpc_containers_share_the_task_namespace() {
    let body = build(Network::Namespace("pause-id".into()));
    let host = body.host_config.clone().unwrap_or_default();
    assert_eq!(host.network_mode.as_deref(), Some("container:pause-id"));
    assert!(host.port_bindings.is_none());
    assert!(
        host.extra_hosts.is_none(),
        "set on the namespace holder, not here"
    );
    assert!(body.hostname.is_none());
    let host_mode = build(Network::Host).host_config.unwrap_or_default();
    assert_eq!(host_mode.network_mode.as_deref(), Some("host"));
    assert!(host_mode.port_bindings.is_none());
}

#[test]
fn linux_parameters_volumes_labels_and_health() {
    let body = build(Network::Bridge);
    let labels = body.labels.clone().unwrap_or_default();
    assert_eq!(
        labels[LABEL_TASK],
        "arn:aws:ecs:us-east-1:000000000000:task/c/abc"
    );
    assert_eq!(labels[LABEL_CONTAINER], "app");
    assert_eq!(labels[LABEL_FAMILY], "web");
    assert_eq!(labels[LABEL_REVISION], "3");
    assert_eq!(labels[LABEL_OWNER], "owner-1");
    assert_eq!(
        labels[LABEL_INSTANCE],
        "arn:aws:ecs:us-east-1:000000000000:container-instance/c/i1"
    );
    assert_eq!(labels["team"], "x");
    let host = body.host_config.clone().unwrap_or_default();
    assert_eq!(host.init, Some(true));
    assert_eq!(host.shm_size, Some(64 << 20));
    assert_eq!(host.cap_add, Some(vec!["NET_ADMIN".to_owned()]));
    assert_eq!(host.cap_drop, Some(vec!["MKNOD".to_owned()]));
    assert_eq!(
        host.tmpfs.clone().unwrap_or_default()["/tmp"],
        "size=16m,noexec"
    );
    let ul = host.ulimits.clone().unwrap_or_default();
    assert_eq!(
        (ul[0].name.as_deref(), ul[0].soft, ul[0].hard),
        (Some("nofile"), Some(1024), Some(2048))
    );
    let mounts = host.mounts.clone().unwrap_or_default();
    assert_eq!(mounts.len(), 2);
    assert_eq!(mounts[0].source.as_deref(), Some("/srv/data"));
    assert_eq!(mounts[0].read_only, Some(true));
    assert_eq!(mounts[1].typ, Some(MountType::VOLUME));
    assert_eq!(
        host.volumes_from,
        Some(vec!["ecs-web-3-side-1:ro".to_owned()])
    );
    assert_eq!(
        host.log_config.and_then(|l| l.typ).as_deref(),
        Some("json-file")
    );
    let hc = body.healthcheck.unwrap_or_default();
    assert_eq!(
        hc.test,
        Some(vec!["CMD-SHELL".to_owned(), "true".to_owned()])
    );
    assert_eq!(hc.interval, Some(5_000_000_000));
    assert_eq!(hc.timeout, Some(5_000_000_000));
    assert_eq!(hc.retries, Some(2));
    assert_eq!(body.working_dir.as_deref(), Some("/www"));
    assert_eq!(body.user.as_deref(), Some("1000"));
}

#[test]
fn env_files_and_names() {
    let parsed = parse_env_file("# comment\nA=1\n\nB = x=y\nnoequals\n");
    assert_eq!(
        parsed,
        vec![
            ("A".to_owned(), "1".to_owned()),
            ("B".to_owned(), " x=y".to_owned())
        ]
    );
    assert_eq!(
        docker_name(&definition(), "app", "a1b2"),
        "ecs-web-3-app-a1b2"
    );
}

#[test]
fn a_docker_log_driver_gets_its_options_and_secret_options() {
    let mut def = definition();
    if let Some(c) = def
        .container_definitions
        .as_mut()
        .and_then(|c| c.first_mut())
    {
        c.log_configuration = Some(parse(json!({
            "logDriver": "splunk", "options": {"splunk-url": "https://splunk:8088"},
            "secretOptions": [{"name": "splunk-token", "valueFrom": "arn:aws:ssm:us-east-1:000000000000:parameter/t"}]
        })));
    }
    let body = build_from(def, Network::Bridge);
    let log = body
        .host_config
        .and_then(|h| h.log_config)
        .expect("log config");
    assert_eq!(log.typ.as_deref(), Some("splunk"));
    let config = log.config.unwrap_or_default();
    assert_eq!(
        config.get("splunk-url").map(String::as_str),
        Some("https://splunk:8088")
    );
    assert_eq!(
        config.get("splunk-token").map(String::as_str),
        Some("tok-from-secret")
    );
}

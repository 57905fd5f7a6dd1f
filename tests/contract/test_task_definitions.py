import copy
import datetime
import threading

import pytest

from ctutil import (
    make_ecs_client,
    ACCOUNT,
    assert_subset,
    container,
    expect_error,
    register_td,
    tags_dict,
    task_definition_arn,
    unique,
)

ROLE = f"arn:aws:iam::{ACCOUNT}:role/app-task"
EXEC_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"

TASK_LEVEL_FIELDS = [
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "runtimePlatform",
    "ephemeralStorage",
]

# Values ECS may fill in for container fields the request left out.
CONTAINER_DEFAULT_VALUES = {
    "cpu": 0,
    "essential": True,
}


def rich_ec2_request(family):
    app = {
        "name": "app",
        "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/app:1.2.3",
        "repositoryCredentials": {
            "credentialsParameter": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:registry-AbCdEf"
        },
        "cpu": 512,
        "memory": 1024,
        "memoryReservation": 512,
        "essential": True,
        "portMappings": [
            {
                "containerPort": 8080,
                "hostPort": 8080,
                "protocol": "tcp",
                "name": "http",
                "appProtocol": "http",
            },
            {"containerPort": 8125, "hostPort": 8125, "protocol": "udp"},
        ],
        "entryPoint": ["/bin/sh", "-c"],
        "command": ["exec /app --port 8080"],
        "workingDirectory": "/srv",
        "user": "1000:1000",
        "environment": [
            {"name": "LOG_LEVEL", "value": "debug"},
            {"name": "GREETING", "value": "hello, world = 1"},
        ],
        "environmentFiles": [{"value": "arn:aws:s3:::config-bucket/app.env", "type": "s3"}],
        "secrets": [
            {
                "name": "DB_PASSWORD",
                "valueFrom": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbCdEf",
            },
            {"name": "API_KEY", "valueFrom": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/api-key"},
        ],
        "mountPoints": [
            {"sourceVolume": "host-data", "containerPath": "/data", "readOnly": False},
            {"sourceVolume": "docker-cache", "containerPath": "/cache", "readOnly": True},
        ],
        "volumesFrom": [{"sourceContainer": "init", "readOnly": True}],
        "healthCheck": {
            "command": ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"],
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 10,
        },
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/ecs/app",
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "app",
            },
            "secretOptions": [
                {
                    "name": "token",
                    "valueFrom": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/log-token",
                }
            ],
        },
        "ulimits": [
            {"name": "nofile", "softLimit": 65536, "hardLimit": 65536},
            {"name": "core", "softLimit": 0, "hardLimit": 0},
        ],
        "linuxParameters": {
            "capabilities": {"add": ["NET_ADMIN"], "drop": ["MKNOD"]},
            "devices": [
                {
                    "hostPath": "/dev/fuse",
                    "containerPath": "/dev/fuse",
                    "permissions": ["read", "write"],
                }
            ],
            "initProcessEnabled": True,
            "sharedMemorySize": 256,
            "tmpfs": [{"containerPath": "/tmp", "size": 64, "mountOptions": ["rw", "noexec"]}],
            "maxSwap": 1024,
            "swappiness": 60,
        },
        "dependsOn": [
            {"containerName": "init", "condition": "SUCCESS"},
            {"containerName": "envoy", "condition": "HEALTHY"},
        ],
        "dockerLabels": {"com.example.team": "platform", "version": "1.2.3"},
        "systemControls": [{"namespace": "net.core.somaxconn", "value": "1024"}],
        "resourceRequirements": [{"type": "GPU", "value": "1"}],
        "dockerSecurityOptions": ["no-new-privileges"],
        "privileged": False,
        "readonlyRootFilesystem": True,
        "interactive": False,
        "pseudoTerminal": False,
        "startTimeout": 120,
        "stopTimeout": 30,
    }
    init = {
        "name": "init",
        "image": "public.ecr.aws/docker/library/busybox:1.36",
        "memory": 64,
        "essential": False,
        "command": ["sh", "-c", "echo ready > /data/ready"],
    }
    envoy = {
        "name": "envoy",
        "image": "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.6.0-prod",
        "memory": 256,
        "essential": True,
        "user": "1337",
        "environment": [
            {
                "name": "APPMESH_RESOURCE_ARN",
                "value": f"arn:aws:appmesh:us-east-1:{ACCOUNT}:mesh/m/virtualNode/app",
            }
        ],
        "healthCheck": {
            "command": ["CMD-SHELL", "curl -s http://localhost:9901/server_info | grep state"],
            "interval": 5,
            "timeout": 2,
            "retries": 3,
            "startPeriod": 10,
        },
    }
    return {
        "family": family,
        "taskRoleArn": ROLE,
        "executionRoleArn": EXEC_ROLE,
        "networkMode": "awsvpc",
        "containerDefinitions": [app, init, envoy],
        "volumes": [
            {"name": "host-data", "host": {"sourcePath": "/mnt/data"}},
            {
                "name": "docker-cache",
                "dockerVolumeConfiguration": {
                    "scope": "shared",
                    "autoprovision": True,
                    "driver": "local",
                    "driverOpts": {"type": "tmpfs", "device": "tmpfs"},
                    "labels": {"purpose": "cache"},
                },
            },
        ],
        "placementConstraints": [
            {"type": "memberOf", "expression": "attribute:ecs.instance-type =~ t3.*"}
        ],
        "requiresCompatibilities": ["EC2"],
        "cpu": "1024",
        "memory": "2048",
        "pidMode": "task",
        "ipcMode": "task",
        "proxyConfiguration": {
            "type": "APPMESH",
            "containerName": "envoy",
            "properties": [
                {"name": "IgnoredUID", "value": "1337"},
                {"name": "ProxyIngressPort", "value": "15000"},
                {"name": "ProxyEgressPort", "value": "15001"},
                {"name": "AppPorts", "value": "8080"},
                {"name": "EgressIgnoredIPs", "value": "169.254.170.2,169.254.169.254"},
            ],
        },
        "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
    }


def rich_fargate_request(family):
    web = {
        "name": "web",
        "image": "public.ecr.aws/nginx/nginx:1.27",
        "cpu": 256,
        "memory": 512,
        "memoryReservation": 256,
        "essential": True,
        "portMappings": [
            {
                "containerPort": 80,
                "hostPort": 80,
                "protocol": "tcp",
                "name": "web-80",
                "appProtocol": "http",
            }
        ],
        "environment": [{"name": "MODE", "value": "fargate"}],
        "secrets": [
            {"name": "TOKEN", "valueFrom": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/token"}
        ],
        "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/scratch", "readOnly": False}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/ecs/web",
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "web",
            },
        },
        "healthCheck": {
            "command": ["CMD", "/healthcheck"],
            "interval": 10,
            "timeout": 3,
            "retries": 2,
            "startPeriod": 0,
        },
        "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}],
        "linuxParameters": {
            "initProcessEnabled": True,
            "capabilities": {"add": ["SYS_PTRACE"], "drop": ["ALL"]},
        },
        "readonlyRootFilesystem": True,
        "stopTimeout": 60,
        "dockerLabels": {"tier": "frontend"},
    }
    return {
        "family": family,
        "taskRoleArn": ROLE,
        "executionRoleArn": EXEC_ROLE,
        "networkMode": "awsvpc",
        "containerDefinitions": [web],
        "volumes": [{"name": "scratch"}],
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "512",
        "memory": "1024",
        "pidMode": "task",
        "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
        "ephemeralStorage": {"sizeInGiB": 30},
    }


def assert_roundtrip(request, td):
    assert_subset(request["containerDefinitions"], td["containerDefinitions"], "$.containerDefinitions")
    for req_c, got_c in zip(request["containerDefinitions"], td["containerDefinitions"]):
        for extra in set(got_c) - set(req_c):
            value = got_c[extra]
            allowed = CONTAINER_DEFAULT_VALUES.get(extra, "__empty__")
            if allowed == "__empty__":
                assert value in ([], {}), (
                    f"container {req_c['name']}: server invented {extra}={value!r}"
                )
            else:
                assert value == allowed, f"container {req_c['name']}: {extra}={value!r}"
    for field in TASK_LEVEL_FIELDS:
        if field in request:
            assert field in td, f"{field} missing from the described task definition"
            assert_subset(request[field], td[field], f"$.{field}")


def describe(ecs, ref, include=None):
    kwargs = {"taskDefinition": ref}
    if include:
        kwargs["include"] = include
    return ecs.describe_task_definition(**kwargs)


# ---------------------------------------------------------------------------
# Registration, revisions, describe
# ---------------------------------------------------------------------------


def test_register_assigns_sequential_revisions(ecs):
    family = unique("td")
    revisions = [register_td(ecs, family) for _ in range(3)]
    assert [td["revision"] for td in revisions] == [1, 2, 3]
    for td in revisions:
        assert td["family"] == family
        assert td["status"] == "ACTIVE"
        assert td["taskDefinitionArn"] == task_definition_arn(family, td["revision"])
        assert isinstance(td["registeredAt"], datetime.datetime)


def test_describe_by_family_returns_latest_revision(ecs):
    family = unique("td")
    for _ in range(3):
        register_td(ecs, family)
    td = describe(ecs, family)["taskDefinition"]
    assert td["revision"] == 3
    assert td["taskDefinitionArn"] == task_definition_arn(family, 3)


def test_describe_by_family_revision_and_arn(ecs):
    family = unique("td")
    first = register_td(ecs, family, [container(memory=128, environment=[{"name": "REV", "value": "1"}])])
    register_td(ecs, family, [container(memory=256, environment=[{"name": "REV", "value": "2"}])])
    by_rev = describe(ecs, f"{family}:1")["taskDefinition"]
    assert by_rev["revision"] == 1
    assert by_rev["containerDefinitions"][0]["memory"] == 128
    by_arn = describe(ecs, first["taskDefinitionArn"])["taskDefinition"]
    assert by_arn == by_rev
    second = describe(ecs, f"{family}:2")["taskDefinition"]
    assert second["containerDefinitions"][0]["environment"] == [{"name": "REV", "value": "2"}]


def test_describe_include_tags(ecs):
    family = unique("td")
    tags = [{"key": "app", "value": "web"}, {"key": "cost-center", "value": "42"}]
    register_td(ecs, family, tags=tags)
    resp = describe(ecs, family, include=["TAGS"])
    assert tags_dict(resp["tags"]) == {"app": "web", "cost-center": "42"}
    assert not describe(ecs, family).get("tags"), "tags only with include=[TAGS]"


def test_describe_unknown_task_definition(ecs):
    with expect_error("ClientException"):
        describe(ecs, unique("nope"))
    family = unique("td")
    register_td(ecs, family)
    with expect_error("ClientException"):
        describe(ecs, f"{family}:99")


def test_rich_ec2_task_definition_round_trips(ecs):
    request = rich_ec2_request(unique("rich"))
    registered = ecs.register_task_definition(**copy.deepcopy(request))["taskDefinition"]
    assert_roundtrip(request, registered)
    described = describe(ecs, request["family"])["taskDefinition"]
    assert_roundtrip(request, described)
    assert described == registered, "describe must return what register returned"
    assert "EC2" in described["compatibilities"]
    assert "FARGATE" not in described["compatibilities"]


def test_rich_fargate_task_definition_round_trips(ecs):
    request = rich_fargate_request(unique("richfg"))
    registered = ecs.register_task_definition(**copy.deepcopy(request))["taskDefinition"]
    assert_roundtrip(request, registered)
    described = describe(ecs, registered["taskDefinitionArn"])["taskDefinition"]
    assert_roundtrip(request, described)
    assert described == registered
    assert "FARGATE" in described["compatibilities"]
    assert described["requiresCompatibilities"] == ["FARGATE"]


def test_rich_task_definition_is_stable_across_revisions(ecs):
    request = rich_ec2_request(unique("rich"))
    one = ecs.register_task_definition(**copy.deepcopy(request))["taskDefinition"]
    two = ecs.register_task_definition(**copy.deepcopy(request))["taskDefinition"]
    assert one["containerDefinitions"] == two["containerDefinitions"]
    assert two["revision"] == one["revision"] + 1


def test_minimal_container_gets_documented_defaults(ecs):
    td = register_td(ecs, unique("td"), [{"name": "web", "image": "nginx", "memory": 128}])
    c = td["containerDefinitions"][0]
    assert c["name"] == "web" and c["image"] == "nginx" and c["memory"] == 128
    assert c["essential"] is True
    assert c["cpu"] == 0
    assert c["portMappings"] == []
    assert c["environment"] == []
    assert c["mountPoints"] == []
    assert c["volumesFrom"] == []
    assert td.get("requiresCompatibilities", []) == []
    assert td["volumes"] == []
    assert td["placementConstraints"] == []


def test_awsvpc_port_mapping_defaults_host_port_and_protocol(ecs):
    td = register_td(
        ecs,
        unique("td"),
        [container(portMappings=[{"containerPort": 8080}, {"containerPort": 53, "protocol": "udp"}])],
        networkMode="awsvpc",
    )
    assert td["containerDefinitions"][0]["portMappings"] == [
        {"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"},
        {"containerPort": 53, "hostPort": 53, "protocol": "udp"},
    ]


def test_host_network_port_mapping_defaults_host_port(ecs):
    td = register_td(
        ecs,
        unique("td"),
        [container(portMappings=[{"containerPort": 9090}])],
        networkMode="host",
    )
    assert td["containerDefinitions"][0]["portMappings"] == [
        {"containerPort": 9090, "hostPort": 9090, "protocol": "tcp"}
    ]


def test_bridge_port_mapping_keeps_dynamic_host_port(ecs):
    td = register_td(
        ecs,
        unique("td"),
        [container(portMappings=[{"containerPort": 80}, {"containerPort": 443, "hostPort": 8443}])],
        networkMode="bridge",
    )
    pm = td["containerDefinitions"][0]["portMappings"]
    assert pm[0]["containerPort"] == 80
    assert pm[0].get("hostPort", 0) == 0
    assert pm[0]["protocol"] == "tcp"
    assert pm[1] == {"containerPort": 443, "hostPort": 8443, "protocol": "tcp"}


def test_cpu_and_memory_units_are_normalised(ecs):
    td = register_td(
        ecs,
        unique("td"),
        [container(memory=None)],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="1 vCPU",
        memory="2 GB",
    )
    assert td["cpu"] == "1024"
    assert td["memory"] == "2048"


def test_requires_attributes_are_derived(ecs):
    td = register_td(
        ecs,
        unique("td"),
        [
            container(
                logConfiguration={
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": "/g", "awslogs-region": "us-east-1"},
                }
            )
        ],
        taskRoleArn=ROLE,
        networkMode="awsvpc",
    )
    names = {a["name"] for a in td["requiresAttributes"]}
    assert "com.amazonaws.ecs.capability.logging-driver.awslogs" in names
    assert "com.amazonaws.ecs.capability.task-iam-role" in names
    assert "ecs.capability.task-eni" in names


def test_register_with_tags_visible_through_list_tags(ecs):
    family = unique("td")
    td = register_td(ecs, family, tags=[{"key": "a", "value": "1"}])
    tags = ecs.list_tags_for_resource(resourceArn=td["taskDefinitionArn"])["tags"]
    assert tags_dict(tags) == {"a": "1"}


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def test_duplicate_container_names_rejected(ecs):
    with expect_error("ClientException"):
        register_td(ecs, unique("bad"), [container("same"), container("same")])


def test_ec2_requires_memory_at_container_or_task_level(ecs):
    with expect_error("ClientException"):
        register_td(ecs, unique("bad"), [container(memory=None)])
    # Either level is enough.
    register_td(ecs, unique("ok"), [container(memory=None)], memory="512")
    register_td(ecs, unique("ok"), [container(memory=None, memoryReservation=128)])


def test_memory_reservation_above_memory_rejected(ecs):
    with expect_error("ClientException"):
        register_td(ecs, unique("bad"), [container(memory=128, memoryReservation=256)])
    register_td(ecs, unique("ok"), [container(memory=256, memoryReservation=256)])


def test_container_memory_reservations_cannot_exceed_task_memory(ecs):
    with expect_error("ClientException"):
        register_td(
            ecs,
            unique("bad"),
            [
                container("a", memory=None, memoryReservation=300),
                container("b", memory=None, memoryReservation=300),
            ],
            memory="512",
        )


@pytest.mark.parametrize(
    "cpu,memory",
    [("256", "512"), ("256", "2048"), ("512", "4096"), ("1024", "8192"), ("2048", "16384"),
     ("4096", "30720"), ("8192", "61440"), ("16384", "122880")],
)
def test_fargate_valid_cpu_memory_pairs_accepted(ecs, cpu, memory):
    td = register_td(
        ecs,
        unique("fg"),
        [container(memory=None)],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu=cpu,
        memory=memory,
    )
    assert (td["cpu"], td["memory"]) == (cpu, memory)
    assert "FARGATE" in td["compatibilities"]


@pytest.mark.parametrize(
    "cpu,memory",
    [("256", "4096"), ("512", "512"), ("1024", "1024"), ("2048", "2048"), ("4096", "31744"),
     ("8192", "18432"), ("300", "1024")],
)
def test_fargate_invalid_cpu_memory_pairs_rejected(ecs, cpu, memory):
    with expect_error("ClientException"):
        register_td(
            ecs,
            unique("fg"),
            [container(memory=None)],
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu=cpu,
            memory=memory,
        )


def test_fargate_requires_task_cpu(ecs):
    with expect_error("ClientException"):
        register_td(
            ecs,
            unique("fg"),
            [container(memory=None)],
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            memory="512",
        )


def test_fargate_requires_awsvpc(ecs):
    with expect_error("ClientException"):
        register_td(
            ecs,
            unique("fg"),
            [container(memory=None)],
            requiresCompatibilities=["FARGATE"],
            networkMode="bridge",
            cpu="256",
            memory="512",
        )


def test_awsvpc_host_port_must_equal_container_port(ecs):
    with expect_error("ClientException"):
        register_td(
            ecs,
            unique("bad"),
            [container(portMappings=[{"containerPort": 80, "hostPort": 8080}])],
            networkMode="awsvpc",
        )


def test_host_network_host_port_must_equal_container_port(ecs):
    with expect_error("ClientException", "InvalidParameterException"):
        register_td(
            ecs,
            unique("bad"),
            [container(portMappings=[{"containerPort": 80, "hostPort": 8080}])],
            networkMode="host",
        )


def test_none_network_mode_rejects_port_mappings(ecs):
    with expect_error("ClientException", "InvalidParameterException"):
        register_td(
            ecs,
            unique("bad"),
            [container(portMappings=[{"containerPort": 80}])],
            networkMode="none",
        )


def test_task_needs_an_essential_container(ecs):
    with expect_error("ClientException"):
        register_td(
            ecs,
            unique("bad"),
            [container("a", essential=False), container("b", essential=False)],
        )
    # Omitted means essential.
    register_td(ecs, unique("ok"), [container("a", essential=False), container("b")])


def test_success_dependency_on_essential_container_rejected(ecs):
    with expect_error("ClientException", "InvalidParameterException"):
        register_td(
            ecs,
            unique("bad"),
            [
                container("app", dependsOn=[{"containerName": "init", "condition": "SUCCESS"}]),
                container("init", essential=True),
            ],
        )


def test_empty_container_list_rejected(ecs):
    with expect_error("ClientException"):
        register_td(ecs, unique("bad"), [])


def test_container_without_image_rejected(ecs):
    with expect_error("ClientException"):
        register_td(ecs, unique("bad"), [{"name": "noimage", "memory": 128}])


def test_container_name_with_invalid_characters_rejected(ecs):
    with expect_error("ClientException"):
        register_td(ecs, unique("bad"), [container("bad name!")])


def test_family_with_invalid_characters_rejected(ecs):
    with expect_error("ClientException", "InvalidParameterException"):
        register_td(ecs, "bad family!")
    with expect_error("ClientException", "InvalidParameterException"):
        register_td(ecs, "f" * 256)


def test_empty_task_cpu_is_invalid_parameter(ecs):
    with expect_error("InvalidParameterException", "ClientException"):
        register_td(ecs, unique("bad"), [container()], cpu="", memory="")


# ---------------------------------------------------------------------------
# Deregister / delete
# ---------------------------------------------------------------------------


def test_deregister_marks_inactive_but_keeps_arn_describable(ecs):
    family = unique("td")
    register_td(ecs, family)
    register_td(ecs, family)
    third = register_td(ecs, family)
    out = ecs.deregister_task_definition(taskDefinition=f"{family}:3")["taskDefinition"]
    assert out["status"] == "INACTIVE"
    assert out["taskDefinitionArn"] == third["taskDefinitionArn"]
    assert isinstance(out.get("deregisteredAt"), datetime.datetime)

    by_arn = describe(ecs, third["taskDefinitionArn"])["taskDefinition"]
    assert by_arn["status"] == "INACTIVE"
    assert by_arn["revision"] == 3
    latest = describe(ecs, family)["taskDefinition"]
    assert latest["revision"] == 2, "family alone resolves to the latest ACTIVE revision"
    assert latest["status"] == "ACTIVE"


def test_deregister_by_arn(ecs):
    td = register_td(ecs, unique("td"))
    out = ecs.deregister_task_definition(taskDefinition=td["taskDefinitionArn"])
    assert out["taskDefinition"]["status"] == "INACTIVE"


def test_deregister_requires_a_revision(ecs):
    family = unique("td")
    register_td(ecs, family)
    with expect_error("ClientException", "InvalidParameterException"):
        ecs.deregister_task_definition(taskDefinition=family)


def test_deregister_unknown(ecs):
    with expect_error("ClientException", "InvalidParameterException"):
        ecs.deregister_task_definition(taskDefinition=f"{unique('nope')}:1")


def test_revisions_keep_counting_after_deregister(ecs):
    family = unique("td")
    register_td(ecs, family)
    register_td(ecs, family)
    ecs.deregister_task_definition(taskDefinition=f"{family}:2")
    assert register_td(ecs, family)["revision"] == 3


def test_describe_family_with_no_active_revision_fails(ecs):
    family = unique("td")
    register_td(ecs, family)
    ecs.deregister_task_definition(taskDefinition=f"{family}:1")
    with expect_error("ClientException"):
        describe(ecs, family)


def test_delete_task_definitions_only_inactive(ecs):
    family = unique("td")
    active = register_td(ecs, family)
    inactive = register_td(ecs, family)
    ecs.deregister_task_definition(taskDefinition=inactive["taskDefinitionArn"])

    resp = ecs.delete_task_definitions(
        taskDefinitions=[active["taskDefinitionArn"], f"{family}:2"]
    )
    deleted = resp["taskDefinitions"]
    assert [td["taskDefinitionArn"] for td in deleted] == [inactive["taskDefinitionArn"]]
    assert deleted[0]["status"] == "DELETE_IN_PROGRESS"
    assert len(resp["failures"]) == 1
    assert resp["failures"][0]["arn"] == active["taskDefinitionArn"]
    assert resp["failures"][0]["reason"]

    assert describe(ecs, active["taskDefinitionArn"])["taskDefinition"]["status"] == "ACTIVE"


def test_revision_numbers_are_not_reused_after_delete(ecs):
    family = unique("td")
    register_td(ecs, family)
    register_td(ecs, family)
    ecs.deregister_task_definition(taskDefinition=f"{family}:2")
    ecs.delete_task_definitions(taskDefinitions=[f"{family}:2"])
    assert register_td(ecs, family)["revision"] == 3


def test_delete_unknown_task_definition_reports_failure(ecs):
    ref = f"{unique('nope')}:1"
    try:
        resp = ecs.delete_task_definitions(taskDefinitions=[ref])
    except Exception as exc:  # ECS may also reject the whole call
        from botocore.exceptions import ClientError

        assert isinstance(exc, ClientError)
        assert exc.response["Error"]["Code"] in ("ClientException", "InvalidParameterException")
        return
    assert resp["taskDefinitions"] == []
    assert len(resp["failures"]) == 1


# ---------------------------------------------------------------------------
# Listing
# ---------------------------------------------------------------------------


def list_all_task_definitions(ecs, **kwargs):
    arns = []
    token = None
    while True:
        call = dict(kwargs)
        if token:
            call["nextToken"] = token
        page = ecs.list_task_definitions(**call)
        arns += page["taskDefinitionArns"]
        token = page.get("nextToken")
        if not token:
            return arns


def test_list_task_definitions_family_prefix_is_the_full_family(ecs):
    family = unique("lst")
    longer = family + "-more"
    for _ in range(2):
        register_td(ecs, family)
    register_td(ecs, longer)
    arns = list_all_task_definitions(ecs, familyPrefix=family)
    assert arns == [task_definition_arn(family, 1), task_definition_arn(family, 2)]


def test_list_task_definitions_sort_desc(ecs):
    family = unique("lst")
    for _ in range(3):
        register_td(ecs, family)
    asc = list_all_task_definitions(ecs, familyPrefix=family)
    desc = list_all_task_definitions(ecs, familyPrefix=family, sort="DESC")
    assert asc == [task_definition_arn(family, r) for r in (1, 2, 3)]
    assert desc == list(reversed(asc))


def test_list_task_definitions_by_status(ecs):
    family = unique("lst")
    for _ in range(3):
        register_td(ecs, family)
    ecs.deregister_task_definition(taskDefinition=f"{family}:1")
    active = list_all_task_definitions(ecs, familyPrefix=family)
    inactive = list_all_task_definitions(ecs, familyPrefix=family, status="INACTIVE")
    assert active == [task_definition_arn(family, 2), task_definition_arn(family, 3)]
    assert inactive == [task_definition_arn(family, 1)]


def test_list_task_definitions_pagination(ecs):
    family = unique("lst")
    for _ in range(5):
        register_td(ecs, family)
    pages = []
    token = None
    while True:
        kwargs = {"familyPrefix": family, "maxResults": 2}
        if token:
            kwargs["nextToken"] = token
        page = ecs.list_task_definitions(**kwargs)
        assert len(page["taskDefinitionArns"]) <= 2
        pages.append(page["taskDefinitionArns"])
        token = page.get("nextToken")
        if not token:
            break
    flat = [a for p in pages for a in p]
    assert flat == [task_definition_arn(family, r) for r in range(1, 6)]
    assert len(pages) >= 3


def test_list_task_definitions_lexicographic_across_families(ecs):
    base = unique("lex")
    fam_b, fam_a = base + "-b", base + "-a"
    register_td(ecs, fam_b)
    register_td(ecs, fam_a)
    register_td(ecs, fam_a)
    arns = [a for a in list_all_task_definitions(ecs) if f"/{base}-" in a]
    assert arns == [
        task_definition_arn(fam_a, 1),
        task_definition_arn(fam_a, 2),
        task_definition_arn(fam_b, 1),
    ]
    arns_desc = [a for a in list_all_task_definitions(ecs, sort="DESC") if f"/{base}-" in a]
    assert arns_desc == list(reversed(arns))


def list_all_families(ecs, **kwargs):
    out = []
    token = None
    while True:
        call = dict(kwargs)
        if token:
            call["nextToken"] = token
        page = ecs.list_task_definition_families(**call)
        out += page["families"]
        token = page.get("nextToken")
        if not token:
            return out


def test_list_task_definition_families_prefix_and_status(ecs):
    base = unique("fam")
    live, dead = base + "-live", base + "-dead"
    register_td(ecs, live)
    register_td(ecs, dead)
    ecs.deregister_task_definition(taskDefinition=f"{dead}:1")

    assert list_all_families(ecs, familyPrefix=base) == sorted([live, dead])
    assert list_all_families(ecs, familyPrefix=base, status="ALL") == sorted([live, dead])
    assert list_all_families(ecs, familyPrefix=base, status="ACTIVE") == [live]
    assert list_all_families(ecs, familyPrefix=base, status="INACTIVE") == [dead]


def test_list_task_definition_families_pagination(ecs):
    base = unique("famp")
    fams = [f"{base}-{i}" for i in range(5)]
    for f in fams:
        register_td(ecs, f)
    seen = []
    token = None
    while True:
        kwargs = {"familyPrefix": base, "maxResults": 2}
        if token:
            kwargs["nextToken"] = token
        page = ecs.list_task_definition_families(**kwargs)
        assert len(page["families"]) <= 2
        seen += page["families"]
        token = page.get("nextToken")
        if not token:
            break
    assert seen == sorted(fams)


# ---------------------------------------------------------------------------
# Concurrency
# ---------------------------------------------------------------------------


def test_concurrent_registrations_get_distinct_revisions(server):
    family = unique("conc")
    n = 20
    barrier = threading.Barrier(n)
    results, errors = [], []
    lock = threading.Lock()

    def worker(i):
        client = make_ecs_client(server.endpoint)
        barrier.wait(timeout=30)
        try:
            td = register_td(
                client,
                family,
                [container(environment=[{"name": "WORKER", "value": str(i)}])],
            )
            with lock:
                results.append((td["revision"], i))
        except Exception as exc:  # noqa: BLE001 - reported below
            with lock:
                errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sorted(r for r, _ in results) == list(range(1, n + 1))

    ecs = make_ecs_client(server.endpoint)
    for revision, worker_id in results:
        td = ecs.describe_task_definition(taskDefinition=f"{family}:{revision}")["taskDefinition"]
        env = td["containerDefinitions"][0]["environment"]
        assert env == [{"name": "WORKER", "value": str(worker_id)}], (
            "each revision must hold the body its own caller sent"
        )


def test_ecs_wording_for_ports_out_of_range_and_unknown_volumes(ecs):
    family = unique("td")
    for port in (0, 70000, -1):
        with expect_error("ClientException") as e:
            ecs.register_task_definition(family=family, containerDefinitions=[
                {"name": "web", "image": "nginx", "memory": 64, "portMappings": [{"containerPort": port}]}])
        assert e.value.response["Error"]["Message"] == "Invalid 'containerPort' setting for container 'web'"
    with expect_error("ClientException") as e:
        ecs.register_task_definition(family=family, containerDefinitions=[
            {"name": "web", "image": "nginx", "memory": 64,
             "portMappings": [{"containerPort": 80, "hostPort": 70000}]}])
    assert e.value.response["Error"]["Message"] == "Invalid 'hostPort' setting for container 'web'"
    with expect_error("ClientException") as e:
        ecs.register_task_definition(family=family, containerDefinitions=[
            {"name": "web", "image": "nginx", "memory": 64,
             "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}]}])
    assert e.value.response["Error"]["Message"] == "Unknown volume 'data'."
    with expect_error("ClientException"):
        ecs.describe_task_definition(taskDefinition=family)
    # The edges are fine: 1 and 65535, host port 0 (dynamic).
    ecs.register_task_definition(family=family, containerDefinitions=[
        {"name": "web", "image": "nginx", "memory": 64,
         "portMappings": [{"containerPort": 1}, {"containerPort": 65535, "hostPort": 0}]}])

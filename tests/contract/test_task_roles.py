"""Task roles on the real Docker Engine: a container running the real AWS SDK for Rust
(crates/task-probe, no configuration at all) gets its task role's credentials from the
credentials endpoint at 169.254.170.2, sees the assumed-role ARN, may make the calls the
role's policies allow and no other, on the bridge and awsvpc networks; a role that does not
trust ECS's tasks gives no credentials; unknown credential ids get nothing. The execution
role is what the agent reads secrets as: without the permission the task fails as ECS
words it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import BERTH_BIN
from ctutil import ACCOUNT, unique
from test_ecr_registry import docker
from test_ecr_tasks import dev, wait_task  # noqa: F401
from test_iam_roles import allow, client, trust
from test_task_secrets import register as register_with_secrets  # noqa: F401

TASKS_TRUST = trust({"Service": "ecs-tasks.amazonaws.com"})


def _probe_binary() -> Path:
    given = os.environ.get("BERTH_TEST_PROBE")
    path = Path(given) if given else Path(BERTH_BIN).parent / "berth-task-probe"
    if not path.exists():
        subprocess.run(["cargo", "build", "--locked", "-p", "berth-task-probe"], check=True,
                       cwd=Path(__file__).resolve().parents[2])
    assert path.exists(), f"no probe at {path}: cargo build -p berth-task-probe"
    return path


def _libraries(binary: Path) -> list[str]:
    """The shared objects `binary` loads (glibc's), to copy into a FROM-scratch image."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
    libs = []
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts and len(parts) >= 3 and parts[2].startswith("/"):
            libs.append(parts[2])
        elif parts and parts[0].startswith("/"):
            libs.append(parts[0])
    return libs


@pytest.fixture(scope="module")
def probe_image() -> str:
    tag = f"berth-test/probe:{unique('p')}"
    binary = _probe_binary()
    with tempfile.TemporaryDirectory() as ctx:
        root = Path(ctx) / "root"
        for lib in _libraries(binary):
            dest = root / lib.lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(lib, dest)
        shutil.copy(binary, root / "probe")
        (Path(ctx) / "Dockerfile").write_text('FROM scratch\nCOPY root /\nENTRYPOINT ["/probe"]\n')
        docker("build", "-q", "-t", tag, ctx)
    return tag


def probe_output(task: dict, timeout: float = 60) -> dict[str, str]:
    docker_id = task["containers"][0]["runtimeId"]
    deadline = time.time() + timeout
    while True:
        out = docker("logs", docker_id).stdout
        if "DONE" in out or time.time() > deadline:
            break
        time.sleep(0.3)
    assert "DONE" in out, out
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def run_probe(dev, image: str, role_arn: str | None, network: str = "bridge") -> tuple[dict, dict]:  # noqa: F811
    ecs = dev.client()
    family = unique("probe")
    kw = {"taskRoleArn": role_arn} if role_arn else {}
    if network == "awsvpc":
        kw["networkMode"] = "awsvpc"
    ecs.register_task_definition(family=family, containerDefinitions=[
        {"name": "probe", "image": image, "essential": True, "memory": 64}], **kw)
    run = {"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}} if network == "awsvpc" else {}
    arn = ecs.run_task(cluster="default", taskDefinition=family, **run)["tasks"][0]["taskArn"]
    task = wait_task(ecs, "default", arn, {"RUNNING", "STOPPED"})
    assert task["lastStatus"] == "RUNNING", task.get("stoppedReason") or task
    out = probe_output(task)
    ecs.stop_task(cluster="default", task=arn)
    return task, out


def describe_only_role(dev) -> tuple[str, str]:  # noqa: F811
    iam = client("iam", dev.endpoint)
    name = unique("taskrole")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TASKS_TRUST)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="describe", PolicyDocument=allow("ecs:Describe*"))
    return name, arn


@pytest.mark.parametrize("network", ["bridge", "awsvpc"])
def test_an_sdk_in_the_container_acts_as_the_task_role(dev, probe_image, network):  # noqa: F811
    name, role_arn = describe_only_role(dev)
    task, out = run_probe(dev, probe_image, role_arn, network)
    task_id = task["taskArn"].rsplit("/", 1)[1]
    assert out["IDENTITY"] == f"ok arn:aws:sts::{ACCOUNT}:assumed-role/{name}/{task_id}", out
    assert out["DESCRIBE"] == "ok", out
    assert out["CREATE"] == "AccessDeniedException", out
    env = json.loads(docker("inspect", task["containers"][0]["runtimeId"]).stdout)[0]["Config"]["Env"]
    uri = next(e for e in env if e.startswith("AWS_CONTAINER_CREDENTIALS_"))
    if "credentials port taken" in dev.log_path.read_text():
        # Another agent on this host has port 80: the URI names the port this one has.
        assert uri.startswith("AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.2:"), env
    else:
        assert uri.startswith("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/"), env
        assert "AWS_ENDPOINT_URL=http://169.254.170.2" in env


def test_credentials_need_the_trust_of_ecs_tasks_and_a_known_id(dev, probe_image):  # noqa: F811
    iam = client("iam", dev.endpoint)
    name = unique("notrust")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(
        {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="all", PolicyDocument=allow("*"))
    task, out = run_probe(dev, probe_image, arn)
    assert not out["IDENTITY"].startswith("ok"), out
    assert out["DESCRIBE"] != "ok", out
    # An id no task has gets nothing.
    port = next(e for e in json.loads(docker("inspect", task["containers"][0]["runtimeId"]).stdout)[0]["Config"]["Env"]
                if e.startswith("AWS_ENDPOINT_URL=")).split("=", 1)[1]
    got = subprocess.run(["curl", "-s", "-w", " %{http_code}", f"{port}/v2/credentials/0123456789abcdef"],
                         capture_output=True, text=True, timeout=10).stdout
    assert got.endswith(" 400") and "InvalidIdInRequest" in got, got


def test_a_task_without_a_role_gets_the_endpoint_but_no_credentials(dev, probe_image):  # noqa: F811
    task, out = run_probe(dev, probe_image, None)
    env = json.loads(docker("inspect", task["containers"][0]["runtimeId"]).stdout)[0]["Config"]["Env"]
    assert not any(e.startswith("AWS_CONTAINER_CREDENTIALS_") for e in env), env
    assert any(e.startswith("AWS_ENDPOINT_URL=http://169.254.170.2") for e in env), env
    assert out["IDENTITY"] != "ok", out


def test_secrets_are_read_as_the_execution_role(dev):  # noqa: F811
    from test_ecr_registry import ecr_client
    from test_ecr_tasks import push_fresh_image
    from test_secretsmanager import sm_client

    ecs = dev.client()
    iam = client("iam", dev.endpoint)
    _, uri, _ = push_fresh_image(ecr_client(dev.endpoint), dev.endpoint.removeprefix("http://"))
    secret = sm_client(dev.endpoint).create_secret(Name=unique("db"), SecretString="pw-exec")["ARN"]
    role = unique("exec")
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=TASKS_TRUST)["Role"]["Arn"]
    iam.attach_role_policy(RoleName=role,
                           PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")

    def run() -> dict:
        family = unique("exec")
        ecs.register_task_definition(family=family, executionRoleArn=role_arn, containerDefinitions=[{
            "name": "app", "image": f"{uri}:v1", "essential": True, "memory": 64,
            "command": ["sh", "-c", "echo DB=$DB; exec sleep 600"],
            "secrets": [{"name": "DB", "valueFrom": secret}]}])
        arn = ecs.run_task(cluster="default", taskDefinition=family)["tasks"][0]["taskArn"]
        return wait_task(ecs, "default", arn, {"RUNNING", "STOPPED"})

    # AmazonECSTaskExecutionRolePolicy does not read secrets: the task fails to start.
    failed = run()
    assert failed["lastStatus"] == "STOPPED", failed
    reason = failed["containers"][0].get("reason", "")
    assert reason.startswith("ResourceInitializationError: unable to pull secrets or registry auth"), reason
    assert "AccessDeniedException" in reason and "secretsmanager:GetSecretValue" in reason, reason
    assert f"assumed-role/{role}/" in reason, reason

    iam.put_role_policy(RoleName=role, PolicyName="secrets", PolicyDocument=allow("secretsmanager:GetSecretValue"))
    task = run()
    assert task["lastStatus"] == "RUNNING", task.get("stoppedReason") or task
    out = docker("logs", task["containers"][0]["runtimeId"]).stdout
    deadline = time.time() + 15
    while "DB=" not in out and time.time() < deadline:
        time.sleep(0.2)
        out = docker("logs", task["containers"][0]["runtimeId"]).stdout
    assert out.strip() == "DB=pw-exec", out
    ecs.stop_task(cluster="default", task=task["taskArn"])


def test_images_are_pulled_as_the_execution_role(dev):  # noqa: F811
    from test_ecr_registry import ecr_client
    from test_ecr_tasks import push_fresh_image

    ecs = dev.client()
    iam = client("iam", dev.endpoint)
    _, uri, _ = push_fresh_image(ecr_client(dev.endpoint), dev.endpoint.removeprefix("http://"))
    role = unique("exec")
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=TASKS_TRUST)["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="logs-only", PolicyDocument=allow("logs:*"))

    def run() -> dict:
        family = unique("pull")
        ecs.register_task_definition(family=family, executionRoleArn=role_arn, containerDefinitions=[{
            "name": "app", "image": f"{uri}:v1", "essential": True, "memory": 64}])
        arn = ecs.run_task(cluster="default", taskDefinition=family)["tasks"][0]["taskArn"]
        return wait_task(ecs, "default", arn, {"RUNNING", "STOPPED"})

    # Without ecr:GetAuthorizationToken the role gets no login: the registry refuses the pull.
    failed = run()
    assert failed["lastStatus"] == "STOPPED", failed
    assert failed["containers"][0].get("reason", "").startswith("CannotPullContainerError"), failed
    iam.attach_role_policy(RoleName=role,
                           PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
    task = run()
    assert task["lastStatus"] == "RUNNING", task.get("stoppedReason") or task
    ecs.stop_task(cluster="default", task=task["taskArn"])

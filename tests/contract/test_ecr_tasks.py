"""ECR end to end with real containers: build an image FROM scratch with busybox-static, push
it with the docker CLI, name it in a task definition, RunTask, and the container runs. The
agent pulls it from Berth's registry with a login it obtains itself (no `docker login` on the
agent's side): on `berth dev`'s own agent and on a second `berth agent` process."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from conftest import BERTH_BIN, BerthServer, _start_or_fail
from ctutil import ACCESS_KEY, REGION, SECRET_KEY, unique
from test_ecr_registry import docker, ecr_client

ACCOUNT = "000000000000"
AWS_HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"


def _busybox() -> str:
    for candidate in (os.environ.get("BERTH_TEST_BUSYBOX"), "/bin/busybox"):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("no static busybox: set BERTH_TEST_BUSYBOX (scripts/test does)")


def build_image(tag: str) -> None:
    """A FROM-scratch image with busybox and a file unique to this build (a new digest)."""
    with tempfile.TemporaryDirectory() as ctx:
        shutil.copy(_busybox(), Path(ctx) / "busybox")
        (Path(ctx) / "build-id").write_text(uuid.uuid4().hex + "\n")
        (Path(ctx) / "Dockerfile").write_text(
            "FROM scratch\n"
            "COPY busybox /bin/busybox\n"
            "COPY build-id /build-id\n"
            'ENV PATH=/bin\n'
            'ENTRYPOINT ["/bin/busybox"]\n'
            'CMD ["sh", "-c", "cat /build-id; exec sleep 600"]\n'
        )
        docker("build", "-q", "-t", tag, ctx)


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    """`berth dev` with its local agent on the Docker Engine."""
    root = tmp_path_factory.mktemp("ecr-dev")
    srv = BerthServer("ecr-dev", root / "data", root, extra_args=[])
    _start_or_fail(srv)
    yield srv
    _remove_containers(root / "data" / "agent")
    srv.stop()


def _remove_containers(agent_dir: Path) -> None:
    try:
        owner = json.loads((agent_dir / "agent-state.json").read_text())["owner"]
    except (OSError, ValueError, KeyError):
        return
    ids = docker("ps", "-aq", "--filter", f"label=berth.owner={owner}", check=False).stdout.split()
    if ids:
        docker("rm", "-f", *ids, check=False)


def push_fresh_image(ecr, registry_host: str) -> tuple[str, str, str]:
    """Creates a repository, pushes a new image to it as :v1; answers (name, uri, digest)."""
    name = f"ct/{unique('run')}"
    uri = ecr.create_repository(repositoryName=name)["repository"]["repositoryUri"]
    auth = ecr.get_authorization_token()["authorizationData"][0]
    password = base64.b64decode(auth["authorizationToken"]).decode().split(":", 1)[1]
    docker("login", "--username", "AWS", "--password-stdin", registry_host, input=password)
    build_image(f"{uri}:v1")
    docker("push", f"{uri}:v1")
    # The agent must pull it: nothing of it stays on the host under the pushed name.
    docker("rmi", "-f", f"{uri}:v1")
    docker("logout", registry_host, check=False)
    digest = ecr.describe_images(repositoryName=name)["imageDetails"][0]["imageDigest"]
    return name, uri, digest


def register(ecs, family: str, image: str) -> None:
    ecs.register_task_definition(
        family=family,
        containerDefinitions=[
            {"name": "app", "image": image, "essential": True, "memory": 64}
        ],
    )


def wait_task(ecs, cluster: str, arn: str, statuses: set[str], timeout: float = 90.0) -> dict:
    deadline = time.time() + timeout
    while True:
        task = ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0]
        if task["lastStatus"] in statuses:
            return task
        if time.time() > deadline:
            pytest.fail(f"task {arn} is {task['lastStatus']}, not {statuses}: {task}")
        time.sleep(0.3)


def container_output(task: dict) -> str:
    """What the container printed first (its build id), once it has printed it."""
    docker_id = task["containers"][0]["runtimeId"]
    deadline = time.time() + 15
    while True:
        out = docker("logs", docker_id).stdout
        if out.strip() or time.time() > deadline:
            return out
        time.sleep(0.2)


def test_a_pushed_image_runs_on_dev_by_its_uri_and_by_its_aws_name(dev):
    ecr = ecr_client(dev.endpoint)
    ecs = dev.client()
    registry_host = dev.endpoint.removeprefix("http://")
    name, uri, digest = push_fresh_image(ecr, registry_host)
    before = time.time()
    for image in (f"{uri}:v1", f"{AWS_HOST}/{name}@{digest}"):
        family = unique("ecr")
        register(ecs, family, image)
        arn = ecs.run_task(cluster="default", taskDefinition=family)["tasks"][0]["taskArn"]
        task = wait_task(ecs, "default", arn, {"RUNNING", "STOPPED"})
        assert task["lastStatus"] == "RUNNING", task.get("stoppedReason") or task
        assert task["containers"][0]["image"] == image
        assert "pullStartedAt" in task and "pullStoppedAt" in task
        build_id = container_output(task).strip()
        cid = task["containers"][0]["runtimeId"]
        assert len(build_id) == 32, docker("inspect", cid).stdout
        ecs.stop_task(cluster="default", task=arn)
        # The next image reference pulls again.
        docker("rmi", "-f", f"{uri}:v1", f"{uri}@{digest}", check=False)
    details = ecr.describe_images(repositoryName=name)["imageDetails"][0]
    assert details["lastRecordedPullTime"].timestamp() >= before - 1


def test_a_missing_image_stops_the_task_with_cannot_pull(dev):
    ecr = ecr_client(dev.endpoint)
    ecs = dev.client()
    name = f"ct/{unique('gone')}"
    ecr.create_repository(repositoryName=name)
    family = unique("ecr")
    register(ecs, family, f"{AWS_HOST}/{name}:nope")
    arn = ecs.run_task(cluster="default", taskDefinition=family)["tasks"][0]["taskArn"]
    task = wait_task(ecs, "default", arn, {"STOPPED"})
    reason = task["containers"][0].get("reason", "")
    assert reason.startswith("CannotPullContainerError: Error response from daemon: "), reason
    assert f"{AWS_HOST}/{name}:nope" in reason, reason
    assert "not found" in reason or "manifest unknown" in reason, reason
    assert task["stopCode"] == "TaskFailedToStart"


def test_a_second_agent_pulls_with_its_own_login(dev, tmp_path):
    ecr = ecr_client(dev.endpoint)
    ecs = dev.client()
    registry_host = dev.endpoint.removeprefix("http://")
    name, uri, _ = push_fresh_image(ecr, registry_host)
    cluster = unique("ecr-second")
    ecs.create_cluster(clusterName=cluster)
    agent_dir = tmp_path / "agent"
    log = open(tmp_path / "agent.log", "wb")
    agent = subprocess.Popen(
        [
            str(BERTH_BIN), "agent", "--endpoint", dev.endpoint, "--cluster", cluster,
            "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY, "--region", REGION,
            "--metadata-port", "0", "--pull-behavior", "always", "--stop-timeout", "1",
            "--data-dir", str(agent_dir),
        ],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "RUST_LOG": "info"},
    )
    try:
        # dev's own host joins every cluster too: the task is started on the second agent's
        # instance by name, as its registration logs it.
        pattern = re.compile(rf"arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/{cluster}/[0-9a-f]+")
        deadline = time.time() + 30
        while not (found := pattern.search((tmp_path / "agent.log").read_text())):
            assert agent.poll() is None, (tmp_path / "agent.log").read_text()
            assert time.time() < deadline, "the second agent never registered"
            time.sleep(0.2)
        instance = found.group(0)
        family = unique("ecr")
        register(ecs, family, f"{AWS_HOST}/{name}:v1")
        started = ecs.start_task(cluster=cluster, taskDefinition=family, containerInstances=[instance])
        arn = started["tasks"][0]["taskArn"]
        assert started["tasks"][0]["containerInstanceArn"] == instance
        task = wait_task(ecs, cluster, arn, {"RUNNING", "STOPPED"})
        assert task["lastStatus"] == "RUNNING", task.get("stoppedReason") or task
        assert len(container_output(task).strip()) == 32
        agent_log = (tmp_path / "agent.log").read_text()
        assert "pulling image" in agent_log and "Pull complete" in agent_log, agent_log
        ecs.stop_task(cluster=cluster, task=arn)
        wait_task(ecs, cluster, arn, {"STOPPED"})
    finally:
        agent.kill()
        agent.wait()
        log.close()
        _remove_containers(agent_dir)
        docker("rmi", "-f", f"{uri}:v1", check=False)

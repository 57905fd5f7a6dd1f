"""A container definition's `secrets` on the real Docker Engine: values from Secrets Manager
(with a JSON key) and from a SecureString parameter reach the container's environment; a
missing one stops the task as ECS words it. `repositoryCredentials` are the pull's login."""

from __future__ import annotations

import base64
import json

from ctutil import unique
from test_ecr_registry import ecr_client
from test_ecr_tasks import container_output, dev, push_fresh_image, wait_task  # noqa: F401
from test_secretsmanager import sm_client
from test_ssm import ssm_client


def register(ecs, family: str, image: str, secrets: list[dict]) -> None:
    ecs.register_task_definition(family=family, containerDefinitions=[{
        "name": "app", "image": image, "essential": True, "memory": 64,
        "command": ["sh", "-c", "echo DB=$DB_PASSWORD TOKEN=$TOKEN; exec sleep 600"],
        "secrets": secrets,
    }])


def test_secrets_reach_the_container_and_missing_ones_stop_the_task(dev):  # noqa: F811
    ecs = dev.client()
    _, uri, _ = push_fresh_image(ecr_client(dev.endpoint), dev.endpoint.removeprefix("http://"))
    image = f"{uri}:v1"
    arn = sm_client(dev.endpoint).create_secret(
        Name=unique("db"), SecretString='{"user":"app","password":"pw-123"}')["ARN"]
    param = f"/{unique('app')}/token"
    ssm_client(dev.endpoint).put_parameter(Name=param, Value="tok-456", Type="SecureString")

    family = unique("sec")
    register(ecs, family, image, [
        {"name": "DB_PASSWORD", "valueFrom": f"{arn}:password::"},
        {"name": "TOKEN", "valueFrom": param},
    ])
    task_arn = ecs.run_task(cluster="default", taskDefinition=family)["tasks"][0]["taskArn"]
    task = wait_task(ecs, "default", task_arn, {"RUNNING", "STOPPED"})
    assert task["lastStatus"] == "RUNNING", task.get("stoppedReason") or task
    assert container_output(task).strip() == "DB=pw-123 TOKEN=tok-456"
    ecs.stop_task(cluster="default", task=task_arn)

    missing = unique("sec")
    register(ecs, missing, image, [{"name": "TOKEN", "valueFrom": f"/{unique('none')}/x"}])
    task_arn = ecs.run_task(cluster="default", taskDefinition=missing)["tasks"][0]["taskArn"]
    task = wait_task(ecs, "default", task_arn, {"STOPPED"})
    reason = task["containers"][0].get("reason", "")
    assert reason.startswith(
        "ResourceInitializationError: unable to pull secrets or registry auth: "
        "execution resource retrieval failed: unable to retrieve secrets from ssm"), reason
    assert task["stopCode"] == "TaskFailedToStart", task


def test_repository_credentials_are_the_login_the_agent_pulls_with(dev):  # noqa: F811
    """Berth's own registry stands in for a private one: a wrong password in the secret
    fails the pull (the agent used it, not its own login); the right one runs the task."""
    ecs = dev.client()
    ecr = ecr_client(dev.endpoint)
    _, uri, _ = push_fresh_image(ecr, dev.endpoint.removeprefix("http://"))
    sm = sm_client(dev.endpoint)
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    password = base64.b64decode(token).decode().split(":", 1)[1]
    wrong = sm.create_secret(Name=unique("reg"), SecretString=json.dumps({"username": "AWS", "password": "nope"}))["ARN"]
    right = sm.create_secret(Name=unique("reg"), SecretString=json.dumps({"username": "AWS", "password": password}))["ARN"]

    def run(secret_arn: str) -> dict:
        family = unique("cred")
        ecs.register_task_definition(family=family, containerDefinitions=[{
            "name": "app", "image": f"{uri}:v1", "essential": True, "memory": 64,
            "repositoryCredentials": {"credentialsParameter": secret_arn},
        }])
        arn = ecs.run_task(cluster="default", taskDefinition=family)["tasks"][0]["taskArn"]
        return wait_task(ecs, "default", arn, {"RUNNING", "STOPPED"})

    failed = run(wrong)
    assert failed["lastStatus"] == "STOPPED", failed
    reason = failed["containers"][0].get("reason", "")
    assert reason.startswith("CannotPullContainerError:"), reason
    ran = run(right)
    assert ran["lastStatus"] == "RUNNING", ran.get("stoppedReason") or ran
    ecs.stop_task(cluster="default", task=ran["taskArn"])


def test_log_driver_secret_options_reach_docker(dev):  # noqa: F811
    """`logConfiguration.secretOptions`: read as the task's secrets are, into the Docker log
    driver's options (json-file's `max-size` from a parameter here)."""
    import subprocess

    ecs = dev.client()
    _, uri, _ = push_fresh_image(ecr_client(dev.endpoint), dev.endpoint.removeprefix("http://"))
    param = f"/{unique('logs')}/max-size"
    ssm_client(dev.endpoint).put_parameter(Name=param, Value="12m", Type="SecureString")
    family = unique("logopt")
    ecs.register_task_definition(family=family, containerDefinitions=[{
        "name": "app", "image": f"{uri}:v1", "essential": True, "memory": 64,
        "logConfiguration": {"logDriver": "json-file", "options": {"max-file": "2"},
                             "secretOptions": [{"name": "max-size", "valueFrom": param}]},
    }])
    arn = ecs.run_task(cluster="default", taskDefinition=family)["tasks"][0]["taskArn"]
    task = wait_task(ecs, "default", arn, {"RUNNING", "STOPPED"})
    assert task["lastStatus"] == "RUNNING", task.get("stoppedReason") or task
    out = subprocess.run(["docker", "inspect", "--format", "{{json .HostConfig.LogConfig}}",
                          task["containers"][0]["runtimeId"]], capture_output=True, text=True, check=True).stdout
    log = json.loads(out)
    assert log["Type"] == "json-file" and log["Config"] == {"max-file": "2", "max-size": "12m"}, log
    ecs.stop_task(cluster="default", task=arn)

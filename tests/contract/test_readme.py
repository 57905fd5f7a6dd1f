"""The README's quickstart, literally: its demo image (scripts/demo-image) and its service
block — create, wait for stable, register revision 2, update, wait, describe, delete — run
by bash with the AWS CLI against `berth dev` and the Docker Engine. The rolling deployment is
timed: the demo image exits on SIGTERM, so old tasks stop at once instead of waiting out the
30 s stop timeout, and the deployment is done within the AWS CLI waiter's first 15 s poll
interval after it."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from ctutil import ACCESS_KEY, REGION, SECRET_KEY
from test_ecr_tasks import dev  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]


def readme_block(first_line: str) -> list[str]:
    """The commands of the README's ```sh block that starts with `first_line`."""
    text = (ROOT / "README.md").read_text()
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        lines = block.strip().splitlines()
        if lines and lines[0].startswith(first_line):
            return lines
    raise AssertionError(f"no README block starts with {first_line!r}")


def bash(endpoint: str, commands: list[str]) -> str:
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID=ACCESS_KEY,
               AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION,
               AWS_PAGER="")
    out = subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(commands)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"{commands}\n{out.stdout}\n{out.stderr}"
    return out.stdout


def test_the_quickstart_service_rolls_out_in_seconds(dev):  # noqa: F811
    # The first block's image and task definition (revision 1), before its one-off task.
    first = readme_block("./scripts/demo-image")
    bash(dev.endpoint, first[:next(i for i, line in enumerate(first) if line.startswith("TASK="))])
    block = readme_block("aws ecs create-service --service-name web")
    at = next(i for i, line in enumerate(block) if line.startswith("aws ecs update-service"))
    # Through `wait services-stable` after the update: the rolling deployment.
    rollout_end = at + 2
    assert block[at + 1].startswith("aws ecs wait services-stable"), block
    bash(dev.endpoint, block[:at])
    started = time.monotonic()
    bash(dev.endpoint, block[at:rollout_end])
    rollout = time.monotonic() - started
    print(f"README rolling deployment of 2 tasks: {rollout:.1f} s")
    events = bash(dev.endpoint, block[rollout_end:rollout_end + 1])
    assert "has reached a steady state" in events, events
    bash(dev.endpoint, block[rollout_end + 1:])
    # One waiter poll (15 s) after the update at most: no task waited out its stop timeout.
    assert rollout < 25, f"the rolling deployment took {rollout:.1f} s"

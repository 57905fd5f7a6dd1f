"""Fixtures for the Berth contract suite.

Every test talks to a real ``berth dev`` process through clients nobody on the
project wrote: boto3 and the AWS CLI.  The binary comes from ``$BERTH_BIN``
(default ``<repo>/target/debug/berth``).
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ctutil import AwsCli, make_ecs_client, make_logs_client

REPO_ROOT = Path(__file__).resolve().parents[2]
BERTH_BIN = Path(os.environ.get("BERTH_BIN", REPO_ROOT / "target" / "debug" / "berth"))
START_TIMEOUT = float(os.environ.get("BERTH_START_TIMEOUT", "30"))
LOG_TAIL_LINES = 200

# Every server process this run started, so that none outlives the run and
# failing tests can show what the server printed.
_LIVE_SERVERS: list["BerthServer"] = []


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerStartError(RuntimeError):
    pass


_ELB_BLOCKS = iter(range(100, 160))


def _next_elb_block() -> str:
    """A /24 of link-local addresses no other server of this session uses."""
    return f"169.254.{next(_ELB_BLOCKS, 160)}.0/24"


def _forget_elb_names() -> None:
    """Takes every Berth block out of /etc/hosts (servers killed with -9 leave theirs)."""
    try:
        lines = Path("/etc/hosts").read_text().splitlines(keepends=True)
    except OSError:
        return
    kept, inside = [], False
    for line in lines:
        if line.startswith("# berth load balancers ") and line.rstrip().endswith(" begin"):
            inside = True
            continue
        if inside:
            inside = not (line.startswith("# berth load balancers ") and line.rstrip().endswith(" end"))
            continue
        kept.append(line)
    if kept != lines:
        try:
            Path("/etc/hosts").write_text("".join(kept))
        except OSError:
            pass


class BerthServer:
    """One ``berth dev`` process bound to 127.0.0.1 with its own data dir."""

    def __init__(self, name: str, data_dir: Path, log_dir: Path, extra_args=None):
        self.name = name
        # The API contract tests run the control plane alone; tests of real containers
        # pass their own arguments (the local agent is on by default in `berth dev`).
        self.extra_args = list(extra_args) if extra_args is not None else ["--no-agent"]
        self.data_dir = Path(data_dir)
        self.log_path = Path(log_dir) / f"berth-{name}.log"
        self.port: int | None = None
        # Berth's DNS for the host: a port of its own, kept across restarts.
        self.dns_port: int | None = None
        # Load balancers' addresses: a block of its own, so that servers running side by
        # side can each listen on port 80 of their first load balancer.
        self.elb_addresses = _next_elb_block()
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    # -- addressing -------------------------------------------------------
    @property
    def endpoint(self) -> str:
        assert self.port is not None, "server was never started"
        return f"http://127.0.0.1:{self.port}"

    def client(self, **config_overrides):
        return make_ecs_client(self.endpoint, **config_overrides)

    def logs_client(self, **kwargs):
        return make_logs_client(self.endpoint, **kwargs)

    # -- lifecycle --------------------------------------------------------
    def start(self, timeout: float = START_TIMEOUT) -> "BerthServer":
        if not BERTH_BIN.exists():
            raise ServerStartError(
                f"Berth binary not found at {BERTH_BIN}. Build it (cargo build) "
                f"or point BERTH_BIN at it."
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.port is None:
            self.port = _free_port()
        if self.dns_port is None:
            self.dns_port = _free_port()
        last_error = None
        # After a kill -9 the old listener is gone, but give the kernel a
        # moment if the same port is briefly unavailable.
        for attempt in range(5):
            try:
                self._spawn_and_wait(timeout)
                self.starts += 1
                if self not in _LIVE_SERVERS:
                    _LIVE_SERVERS.append(self)
                return self
            except ServerStartError as exc:
                last_error = exc
                if self.proc is not None and self.proc.poll() is None:
                    # Alive but never became healthy: that is not a port race.
                    self.kill()
                    break
                time.sleep(0.5 * (attempt + 1))
        raise ServerStartError(f"{last_error}\n--- server log tail ---\n{self.log_tail()}")

    def _spawn_and_wait(self, timeout: float) -> None:
        log = open(self.log_path, "ab")
        log.write(
            f"\n===== start #{self.starts + 1} on 127.0.0.1:{self.port} "
            f"data-dir={self.data_dir} =====\n".encode()
        )
        log.flush()
        cmd = [
            str(BERTH_BIN),
            "dev",
            "--listen",
            f"127.0.0.1:{self.port}",
            "--data-dir",
            str(self.data_dir),
        ] + ([] if "--dns-listen" in self.extra_args else ["--dns-listen", f"127.0.0.1:{self.dns_port}"]) + (
            [] if "--elb-addresses" in self.extra_args else ["--elb-addresses", self.elb_addresses]
        ) + self.extra_args
        env = dict(os.environ)
        env.setdefault("RUST_BACKTRACE", "1")
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerStartError(
                    f"berth exited with status {self.proc.returncode} before becoming healthy"
                )
            if self.healthy(timeout=1.0):
                return
            time.sleep(0.05)
        raise ServerStartError(f"berth did not answer GET /health with 200 within {timeout}s")

    def healthy(self, timeout: float = 2.0) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/health", timeout=timeout) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError, OSError, TimeoutError):
            return False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, no chance to flush anything: what a power cut looks like."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                self.kill()
        if self in _LIVE_SERVERS:
            _LIVE_SERVERS.remove(self)

    def restart(self, timeout: float = START_TIMEOUT) -> "BerthServer":
        """kill -9 the process and start it again on the same port and data dir."""
        self.kill()
        return self.start(timeout=timeout)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log file)"
        return "\n".join(text.splitlines()[-lines:])


def _kill_leftovers() -> None:
    for srv in list(_LIVE_SERVERS):
        srv.kill()


atexit.register(_kill_leftovers)


# ---------------------------------------------------------------------------
# Environment hygiene: never read the developer's own AWS profile.
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _isolated_aws_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("aws-home")
    cfg = home / "config"
    cfg.write_text("[default]\nregion = us-east-1\n")
    creds = home / "credentials"
    creds.write_text("")
    mp = pytest.MonkeyPatch()
    for var in list(os.environ):
        if var.startswith("AWS_"):
            mp.delenv(var, raising=False)
    mp.setenv("AWS_CONFIG_FILE", str(cfg))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
    yield
    mp.undo()


# ---------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------


def _start_or_fail(srv: BerthServer) -> None:
    error = None
    try:
        srv.start()
    except ServerStartError as exc:
        error = str(exc)
    if error is not None:
        pytest.fail(error, pytrace=False)


@pytest.fixture(scope="session")
def server(tmp_path_factory, _isolated_aws_env):
    root = tmp_path_factory.mktemp("berth-session")
    srv = BerthServer("session", root / "data", root)
    _start_or_fail(srv)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def strict_server(tmp_path_factory, _isolated_aws_env):
    """`berth dev --strict-auth`: only the configured key (test/test), as `berth server`."""
    root = tmp_path_factory.mktemp("berth-strict")
    srv = BerthServer("strict", root / "data", root, extra_args=["--no-agent", "--strict-auth"])
    _start_or_fail(srv)
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _session_server_guard(request):
    """If the shared server dies during a test, fail that test and bring it back.

    The restart reuses the same port and data dir, so later tests still run
    instead of all failing with connection errors.
    """
    yield
    if "server" not in request.fixturenames:
        return
    srv = request.getfixturevalue("server")
    if srv.alive():
        return
    code = srv.proc.returncode if srv.proc else None
    restarted = True
    try:
        srv.start()
    except ServerStartError:
        restarted = False
    pytest.fail(
        f"berth (session server) died during this test with exit status {code}; "
        f"{'restarted it for the remaining tests' if restarted else 'it could not be restarted'}",
        pytrace=False,
    )


@pytest.fixture
def fresh_server(tmp_path, _isolated_aws_env):
    """A private server for tests that need an empty world or a restart."""
    srv = BerthServer(f"fresh-{tmp_path.name}", tmp_path / "data", tmp_path)
    _start_or_fail(srv)
    yield srv
    srv.stop()


@pytest.fixture
def restart(fresh_server):
    """kill -9 the fresh server, start it on the same data dir, return a new client."""

    def _restart():
        fresh_server.restart()
        return fresh_server.client()

    return _restart


@pytest.fixture(scope="session")
def ecs(server):
    return server.client()


@pytest.fixture(scope="session")
def logs(server):
    """boto3 CloudWatch Logs client for the shared server (account 000000000000)."""
    return server.logs_client()


@pytest.fixture(scope="session")
def logs_as(server):
    """``logs_as("111111111111")``: a Logs client whose access key id is that string."""

    def _client(access_key: str, secret_key: str = "any-secret"):
        return server.logs_client(access_key=access_key, secret_key=secret_key)

    return _client


@pytest.fixture
def fresh_ecs(fresh_server):
    return fresh_server.client()


@pytest.fixture(scope="session")
def endpoint(server):
    return server.endpoint


# ---------------------------------------------------------------------------
# AWS CLI
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def aws(server):
    return AwsCli(server.endpoint)


# ---------------------------------------------------------------------------
# Show the server's own log next to any failure.
# ---------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        for srv in list(_LIVE_SERVERS):
            report.sections.append(
                (f"berth server log [{srv.name}] (last {LOG_TAIL_LINES} lines, {srv.log_path})",
                 srv.log_tail())
            )
    return report


def pytest_sessionfinish(session, exitstatus):
    _kill_leftovers()
    _forget_elb_names()


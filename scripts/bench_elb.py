"""The measuring half of scripts/bench-elb (see there): prints one JSON line per figure."""

import json
import os
import re
import resource
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import boto3

ROUNDS = int(os.environ.get("ROUNDS", "3"))
DURATION = int(os.environ.get("DURATION", "10"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "64"))
RULES = 1000
IDLE = 10000
REGION = "us-east-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pids):
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def cpu_secs(pids):
    """User + system CPU time of `pids` (all their threads), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def nginx_pids(work, port):
    """nginx's master and its workers (whose command lines do not name the config)."""
    master = int((work / f"proxy{port}.pid").read_text().split()[0])
    workers = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return [master] + [int(p) for p in workers]


def wait_port(host, port, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{host}:{port} never answered")


def nginx(work, name, body):
    conf = work / f"{name}.conf"
    conf.write_text(f"""
daemon off; pid {work}/{name}.pid; error_log {work}/{name}.err warn;
worker_rlimit_nofile 65536;
{body}
""")
    return subprocess.Popen(["nginx", "-c", str(conf), "-p", str(work)], stdout=subprocess.DEVNULL,
                            stderr=open(work / f"{name}.log", "wb"))


def target(work, port, root):
    return nginx(work, f"target{port}", f"""
worker_processes 1;
events {{ worker_connections 4096; }}
http {{ access_log off; server {{ listen 127.0.0.1:{port} backlog=4096; root {root};
  keepalive_requests 1000000; location / {{ }} }} }}
""")


def reverse_proxy(work, port, targets, rules):
    locations = "".join(f"location /r{i}/ {{ return 404; }}\n" for i in range(rules))
    servers = "".join(f"server 127.0.0.1:{t};" for t in targets)
    return nginx(work, f"proxy{port}", f"""
worker_processes auto;
events {{ worker_connections 16384; }}
http {{ access_log off;
  upstream targets {{ {servers} keepalive 128; }}
  server {{ listen 127.0.0.1:{port} backlog=4096; keepalive_requests 1000000;
    {locations}
    location / {{ proxy_pass http://targets; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; }} }} }}
""")


def wrk(url):
    out = subprocess.run(["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{DURATION}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p99, int(errors.group(1)) if errors else 0


def idle_connections(host, port, pids):
    """RSS of `pids` before and after IDLE client connections, each after one request."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (IDLE + 1000, IDLE + 1000))
    before = rss_kib(pids)
    socks = []
    for _ in range(IDLE):
        s = socket.create_connection((host, port))
        s.sendall(f"GET /file HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        socks.append(s)
    for s in socks:
        s.recv(4096)
    time.sleep(2)
    after = rss_kib(pids)
    for s in socks:
        s.close()
    return (after - before) / 1024


def main():
    work = Path(tempfile.mkdtemp())
    work.chmod(0o755)  # nginx's workers (www-data) read the file
    (work / "www").mkdir()
    (work / "www" / "file").write_bytes(b"x" * 1024)
    t1, t2, np_, np_rules, api = free_port(), free_port(), free_port(), free_port(), free_port()
    procs = [target(work, t1, work / "www"), target(work, t2, work / "www"),
             reverse_proxy(work, np_, [t1, t2], 0), reverse_proxy(work, np_rules, [t1, t2], RULES)]
    berth = subprocess.Popen(
        [os.environ["BERTH"], "dev", "--no-agent", "--listen", f"127.0.0.1:{api}",
         "--dns-listen", f"127.0.0.1:{free_port()}", "--data-dir", str(work / "data"),
         "--elb-addresses", "127.0.182.0/24", "--elb-hosts-file", ""],
        stdout=open(work / "berth.log", "wb"), stderr=subprocess.STDOUT)
    procs.append(berth)
    try:
        for p in (t1, t2, np_, np_rules, api):
            wait_port("127.0.0.1", p)
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
        ep = f"http://127.0.0.1:{api}"
        ec2, elb = session.client("ec2", endpoint_url=ep), session.client("elbv2", endpoint_url=ep)
        subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        tg = elb.create_target_group(Name="bench", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                     HealthCheckPath="/file", HealthCheckIntervalSeconds=5,
                                     HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": t1}, {"Id": "127.0.0.1", "Port": t2}])
        addr = {}
        for name, rules in (("plain", 0), ("rules", RULES)):
            lb = elb.create_load_balancer(Name=f"bench-{name}", Subnets=subnets)["LoadBalancers"][0]
            lb_tg = tg if name == "plain" else elb.create_target_group(
                Name="bench-rules", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip", HealthCheckPath="/file",
                HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
            if lb_tg != tg:
                elb.register_targets(TargetGroupArn=lb_tg, Targets=[{"Id": "127.0.0.1", "Port": t1}, {"Id": "127.0.0.1", "Port": t2}])
            listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=8080,
                                           DefaultActions=[{"Type": "forward", "TargetGroupArn": lb_tg}])["Listeners"][0]["ListenerArn"]
            for i in range(rules):
                elb.create_rule(ListenerArn=listener, Priority=i + 1,
                                Conditions=[{"Field": "path-pattern", "Values": [f"/r{i}/*"]}],
                                Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])
            addr[name] = lb_tg
        # The pool hands addresses out in order: the first load balancer has .1, the second .2.
        hosts = {"plain": "127.0.182.1", "rules": "127.0.182.2"}
        for group in addr.values():
            deadline = time.monotonic() + 60
            while True:
                h = elb.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
                if len(h) == 2 and all(x["TargetHealth"]["State"] == "healthy" for x in h):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"targets never healthy: {h}")
                time.sleep(0.5)
        wait_port(hosts["plain"], 8080)
        wait_port(hosts["rules"], 8080)
        results = {}
        runs = (("nginx", f"http://127.0.0.1:{np_}/file", nginx_pids(work, np_)),
                ("berth", f"http://{hosts['plain']}:8080/file", [berth.pid]),
                ("nginx-1000-rules", f"http://127.0.0.1:{np_rules}/file", nginx_pids(work, np_rules)),
                ("berth-1000-rules", f"http://{hosts['rules']}:8080/file", [berth.pid]))
        for r in range(0 if os.environ.get("MEMORY_ONLY") else ROUNDS):
            for name, url, pids in runs:
                cpu = cpu_secs(pids)
                rps, p99, bad = wrk(url)
                # The proxy's CPU time per request: its efficiency, which the machine's noise
                # moves less than requests/s.
                cpu_us = (cpu_secs(pids) - cpu) * 1e6 / max(rps * DURATION, 1)
                results.setdefault(name, []).append((rps, p99, cpu_us))
                print(json.dumps({"round": r + 1, "proxy": name, "requests_per_s": round(rps), "p99_ms": round(p99, 3),
                                  "cpu_us_per_request": round(cpu_us, 1), "non_2xx": bad}), flush=True)
        for name, runs in results.items():
            print(json.dumps({"proxy": name, "median_requests_per_s": round(statistics.median(x[0] for x in runs)),
                              "median_p99_ms": round(statistics.median(x[1] for x in runs), 3),
                              "median_cpu_us_per_request": round(statistics.median(x[2] for x in runs), 1)}), flush=True)
        print(json.dumps({"proxy": "nginx", "idle_connections": IDLE,
                          "rss_mib": round(idle_connections("127.0.0.1", np_, nginx_pids(work, np_)), 1)}), flush=True)
        print(json.dumps({"proxy": "berth", "idle_connections": IDLE,
                          "rss_mib": round(idle_connections(hosts["plain"], 8080, [berth.pid]), 1)}), flush=True)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()

"""The measuring half of scripts/bench-dns (see there): prints one JSON line per figure."""

import json
import os
import random
import re
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

ROUNDS = int(os.environ.get("ROUNDS", "3"))
DURATION = int(os.environ.get("DURATION", "10"))
FIXED_QPS = 20000
SERVICES, INSTANCES = 100, 3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def dnsperf(port, queries, extra=()):
    out = subprocess.run(
        ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", queries, "-l", str(DURATION),
         "-c", "8", "-T", "2", "-q", "200", *extra],
        capture_output=True, text=True, check=True,
    ).stdout
    return out


def throughput(port, queries):
    out = dnsperf(port, queries)
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", out).group(1))
    lost = re.search(r"Queries lost:\s+(\d+)", out).group(1)
    return qps, int(lost)


def latency(port, queries):
    out = dnsperf(port, queries, ("-Q", str(FIXED_QPS), "-v"))
    lat = sorted(float(m) for m in re.findall(r"^> NOERROR \S+ \S+ ([\d.]+)$", out, re.M))
    pick = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
    return pick(0.5), pick(0.99), len(lat)


def dig_short(port, name):
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+short", "+time=1", "+tries=1", name],
                         capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if l and not l.startswith(";")]


def main():
    work = Path(tempfile.mkdtemp())
    api, dns, mport = free_port(), free_port(), free_port()
    berth = subprocess.Popen(
        [os.environ["BERTH"], "dev", "--no-agent", "--listen", f"127.0.0.1:{api}",
         "--dns-listen", f"127.0.0.1:{dns}", "--data-dir", str(work / "data")],
        stdout=open(work / "berth.log", "wb"), stderr=subprocess.STDOUT)
    mask = None
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", api), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        sd = boto3.client("servicediscovery", endpoint_url=f"http://127.0.0.1:{api}", region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test",
                          config=Config(inject_host_prefix=False, retries={"total_max_attempts": 1}))
        op = sd.create_private_dns_namespace(Name="bench.internal", Vpc="vpc-1")["OperationId"]
        ns = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
        hosts = []
        for s in range(SERVICES):
            svc = sd.create_service(Name=f"svc{s}", NamespaceId=ns,
                                    DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 60}]})["Service"]
            for i in range(INSTANCES):
                ip = f"10.{s // 250}.{s % 250}.{i + 1}"
                sd.register_instance(ServiceId=svc["Id"], InstanceId=f"i{i}", Attributes={"AWS_INSTANCE_IPV4": ip})
                hosts.append(f"{ip} svc{s}.bench.internal")
        (work / "hosts").write_text("\n".join(hosts) + "\n")
        mask = subprocess.Popen(
            ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-daemon",
             f"--addn-hosts={work / 'hosts'}", "--listen-address=127.0.0.1", "--bind-interfaces",
             f"--port={mport}", "--local=/bench.internal/", "--cache-size=10000", "--log-facility=-",
             "--user=root", f"--pid-file={work / 'dnsmasq.pid'}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        assert sorted(dig_short(dns, "svc7.bench.internal")) == sorted(dig_short(mport, "svc7.bench.internal")), \
            "both must answer the same records"
        rng = random.Random(7)
        queries = work / "queries"
        queries.write_text("".join(f"svc{rng.randrange(SERVICES)}.bench.internal A\n" for _ in range(100000)))
        results = {"berth": [], "dnsmasq": []}
        for r in range(ROUNDS):
            for who, port in (("berth", dns), ("dnsmasq", mport)) if r % 2 == 0 else (("dnsmasq", mport), ("berth", dns)):
                qps, lost = throughput(port, str(queries))
                p50, p99, n = latency(port, str(queries))
                row = {"round": r + 1, "server": who, "qps": round(qps), "lost": lost,
                       "p50_ms_at_20k": round(p50, 3), "p99_ms_at_20k": round(p99, 3), "samples": n}
                results[who].append(row)
                print(json.dumps(row), flush=True)
        med = {w: {k: statistics.median(x[k] for x in rows) for k in ("qps", "p99_ms_at_20k", "p50_ms_at_20k")}
               for w, rows in results.items()}
        print(json.dumps({"median": med, "qps_ratio": round(med["berth"]["qps"] / med["dnsmasq"]["qps"], 2)}))

        # RegisterInstance → answered in DNS (dig polling: ~5 ms a poll).
        svc = sd.create_service(Name="fresh", NamespaceId=ns, DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 1}]})["Service"]
        waits = []
        for i in range(200):
            ip = f"10.200.{i // 250}.{i % 250 + 1}"
            t0 = time.monotonic()
            sd.register_instance(ServiceId=svc["Id"], InstanceId=f"f{i}", Attributes={"AWS_INSTANCE_IPV4": ip})
            while dig_short(dns, "fresh.bench.internal") != [ip]:
                if time.monotonic() - t0 > 10:
                    raise SystemExit(f"instance f{i} never answered")
            waits.append(time.monotonic() - t0)
            sd.deregister_instance(ServiceId=svc["Id"], InstanceId=f"f{i}")
        waits.sort()
        print(json.dumps({"register_to_dns_ms_p50": round(statistics.median(waits) * 1000, 1),
                          "register_to_dns_ms_p99": round(waits[int(0.99 * len(waits)) - 1] * 1000, 1),
                          "samples": len(waits)}))

        # 1,000 services × 10 instances.
        before = rss_kib(berth.pid)
        op = sd.create_private_dns_namespace(Name="big.internal", Vpc="vpc-1")["OperationId"]
        big = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
        for s in range(1000):
            sid = sd.create_service(Name=f"s{s}", NamespaceId=big,
                                    DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}, {"Type": "SRV", "TTL": 10}]})["Service"]["Id"]
            for i in range(10):
                sd.register_instance(ServiceId=sid, InstanceId=f"task-{s}-{i}",
                                     Attributes={"AWS_INSTANCE_IPV4": f"10.{100 + s // 250}.{s % 250}.{i + 1}",
                                                 "AWS_INSTANCE_PORT": "8080", "ECS_SERVICE_NAME": f"s{s}"})
        right_after = rss_kib(berth.pid)
        # What it holds once the burst's freed pages are returned (jemalloc's background
        # thread purges them within its decay time, 10 s).
        time.sleep(30)
        after = rss_kib(berth.pid)
        assert len(dig_short(dns, "s999.big.internal")) == 8
        print(json.dumps({"services": 1000, "instances": 10000, "rss_before_mib": round(before / 1024, 1),
                          "rss_right_after_mib": round(right_after / 1024, 1),
                          "rss_after_30s_mib": round(after / 1024, 1), "held_mib": round((after - before) / 1024, 1)}))
    finally:
        if mask:
            mask.kill()
        berth.kill()
        berth.wait()


def running_to_dns(tasks=10):
    """A service of `tasks` awsvpc tasks on `berth dev`'s own agent: for each, the time from
    its startedAt (the control plane's clock: the agent reported RUNNING) to the first DNS
    answer of its own name (`<task id>.api.<namespace>`, the SRV target's A record)."""
    work = Path(tempfile.mkdtemp())
    api, dns = free_port(), free_port()
    berth = subprocess.Popen(
        [os.environ["BERTH"], "dev", "--listen", f"127.0.0.1:{api}", "--dns-listen", f"127.0.0.1:{dns}",
         "--data-dir", str(work / "data")],
        stdout=open(work / "berth.log", "wb"), stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", api), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        kw = dict(endpoint_url=f"http://127.0.0.1:{api}", region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
        sd = boto3.client("servicediscovery", config=Config(inject_host_prefix=False), **kw)
        ecs = boto3.client("ecs", **kw)
        op = sd.create_private_dns_namespace(Name="run.internal", Vpc="vpc-1")["OperationId"]
        ns = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
        reg = sd.create_service(Name="api", NamespaceId=ns, DnsConfig={"DnsRecords": [
            {"Type": "A", "TTL": 1}, {"Type": "SRV", "TTL": 1}]})["Service"]["Arn"]
        ecs.register_task_definition(family="api", networkMode="awsvpc", containerDefinitions=[
            {"name": "api", "image": "berth-demo/web:latest", "memory": 32, "portMappings": [{"containerPort": 8080}]}])
        ecs.create_service(cluster="default", serviceName="api", taskDefinition="api", desiredCount=tasks,
                           networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
                           serviceRegistries=[{"registryArn": reg, "containerName": "api", "containerPort": 8080}])
        lags = {}
        deadline = time.monotonic() + 120
        while len(lags) < tasks and time.monotonic() < deadline:
            arns = ecs.list_tasks(cluster="default", serviceName="api")["taskArns"]
            described = ecs.describe_tasks(cluster="default", tasks=arns)["tasks"] if arns else []
            for t in described:
                tid = t["taskArn"].rsplit("/", 1)[1]
                if tid in lags or t["lastStatus"] != "RUNNING" or "startedAt" not in t:
                    continue
                if dig_short(dns, f"{tid}.api.run.internal"):
                    lags[tid] = time.time() - t["startedAt"].timestamp()
            time.sleep(0.01)
        waits = sorted(lags.values())
        print(json.dumps({"tasks": len(waits), "running_to_dns_ms_p50": round(statistics.median(waits) * 1000),
                          "running_to_dns_ms_max": round(waits[-1] * 1000)}), flush=True)
        ecs.update_service(cluster="default", service="api", desiredCount=0)
        for _ in range(600):
            if not ecs.list_tasks(cluster="default", serviceName="api")["taskArns"]:
                break
            time.sleep(0.1)
    finally:
        berth.terminate()
        try:
            berth.wait(timeout=30)
        except subprocess.TimeoutExpired:
            berth.kill()


if __name__ == "__main__":
    main()
    if os.environ.get("CONTAINERS", "1") == "1":
        running_to_dns()

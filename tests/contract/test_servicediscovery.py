"""Cloud Map through boto3 (which speaks rpc-v2-cbor to it), the AWS CLI and raw AWS JSON 1.1:
namespaces, services, instances, operations, discovery, tags and Cloud Map's errors — and
the records Berth's DNS answers for them, asked with dig, surviving kill -9."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ctutil import ACCESS_KEY, REGION, SECRET_KEY, raw_call, unique


def sd_client(endpoint: str):
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )
    # DiscoverInstances is sent to `data-<host>`: a local endpoint has no such name.
    return session.client(
        "servicediscovery",
        endpoint_url=endpoint,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, inject_host_prefix=False),
    )


@pytest.fixture(scope="module")
def sd(server):
    return sd_client(server.endpoint)


def code(e) -> str:
    return e.value.response["Error"]["Code"]


def private_namespace(sd, name=None):
    name = name or f"{unique('ns')}.internal"
    op = sd.create_private_dns_namespace(Name=name, Vpc="vpc-1")["OperationId"]
    got = sd.get_operation(OperationId=op)["Operation"]
    assert got["Status"] == "SUCCESS" and got["Type"] == "CREATE_NAMESPACE"
    return name, got["Targets"]["NAMESPACE"]


def dns_service(sd, ns_id, name="api", records=(("A", 10),), routing="MULTIVALUE", **kw):
    return sd.create_service(
        Name=name,
        NamespaceId=ns_id,
        DnsConfig={"RoutingPolicy": routing, "DnsRecords": [{"Type": t, "TTL": ttl} for t, ttl in records]},
        **kw,
    )["Service"]


def dig(server, name, rtype="A", *extra):
    out = subprocess.run(
        ["dig", "@127.0.0.1", "-p", str(server.dns_port), "+time=2", "+tries=1", *extra, name, rtype],
        capture_output=True,
        text=True,
        timeout=15,
    ).stdout
    return out


def answers(server, name, rtype="A"):
    out = subprocess.run(
        ["dig", "@127.0.0.1", "-p", str(server.dns_port), "+time=2", "+tries=1", "+short", name, rtype],
        capture_output=True,
        text=True,
        timeout=15,
    ).stdout
    return sorted(line for line in out.splitlines() if line and not line.startswith(";"))


def test_boto3_speaks_cbor_to_cloud_map(sd):
    assert sd.meta.service_model.protocol == "smithy-rpc-v2-cbor"
    name, ns_id = private_namespace(sd)
    ns = sd.get_namespace(Id=ns_id)["Namespace"]
    assert ns["Name"] == name and ns["Type"] == "DNS_PRIVATE"
    assert ns["Properties"]["DnsProperties"]["HostedZoneId"].startswith("Z")
    assert ns["Properties"]["DnsProperties"]["SOA"]["TTL"] == 15
    assert ns["Properties"]["HttpProperties"]["HttpName"] == name
    assert ns["Arn"].endswith(f":namespace/{ns_id}")
    assert ns["CreateDate"].year >= 2024


def test_namespaces_are_listed_filtered_updated_and_deleted(sd):
    name, ns_id = private_namespace(sd)
    http = unique("http")
    op = sd.create_http_namespace(Name=http, Description="plain")["OperationId"]
    http_id = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
    listed = {n["Id"]: n for n in sd.list_namespaces()["Namespaces"]}
    assert ns_id in listed and http_id in listed
    only_http = sd.list_namespaces(Filters=[{"Name": "TYPE", "Values": ["HTTP"], "Condition": "EQ"}])["Namespaces"]
    assert all(n["Type"] == "HTTP" for n in only_http) and http_id in {n["Id"] for n in only_http}
    by_prefix = sd.list_namespaces(
        Filters=[{"Name": "NAME", "Values": [name[:6]], "Condition": "BEGINS_WITH"}]
    )["Namespaces"]
    assert [n["Id"] for n in by_prefix] == [ns_id]
    op = sd.update_private_dns_namespace(
        Id=ns_id, Namespace={"Description": "changed", "Properties": {"DnsProperties": {"SOA": {"TTL": 60}}}}
    )["OperationId"]
    assert sd.get_operation(OperationId=op)["Operation"]["Type"] == "UPDATE_NAMESPACE"
    ns = sd.get_namespace(Id=ns_id)["Namespace"]
    assert ns["Description"] == "changed" and ns["Properties"]["DnsProperties"]["SOA"]["TTL"] == 60
    op = sd.delete_namespace(Id=http_id)["OperationId"]
    assert sd.get_operation(OperationId=op)["Operation"]["Type"] == "DELETE_NAMESPACE"
    with pytest.raises(ClientError) as e:
        sd.get_namespace(Id=http_id)
    assert code(e) == "NamespaceNotFound"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_retried_create_answers_the_same_operation_and_a_taken_name_is_refused(sd):
    name = f"{unique('retry')}.internal"
    token = unique("token")
    first = sd.create_private_dns_namespace(Name=name, Vpc="vpc-1", CreatorRequestId=token)["OperationId"]
    again = sd.create_private_dns_namespace(Name=name, Vpc="vpc-1", CreatorRequestId=token)["OperationId"]
    assert first == again
    with pytest.raises(ClientError) as e:
        sd.create_private_dns_namespace(Name=name, Vpc="vpc-1")
    assert code(e) == "NamespaceAlreadyExists"
    named = [n for n in sd.list_namespaces()["Namespaces"] if n["Name"] == name]
    assert len(named) == 1


def test_services_and_their_rules(sd):
    _, ns_id = private_namespace(sd)
    svc = dns_service(sd, ns_id, records=(("A", 10), ("SRV", 20)))
    assert svc["Type"] == "DNS_HTTP" and svc["NamespaceId"] == ns_id and svc["InstanceCount"] == 0
    assert svc["DnsConfig"]["RoutingPolicy"] == "MULTIVALUE"
    with pytest.raises(ClientError) as e:
        dns_service(sd, ns_id)
    assert code(e) == "ServiceAlreadyExists"
    with pytest.raises(ClientError) as e:
        dns_service(sd, ns_id, name="alias", records=(("CNAME", 10),))
    assert code(e) == "InvalidInput"
    with pytest.raises(ClientError) as e:
        dns_service(sd, "ns-doesnotexist0000", name="x")
    assert code(e) == "NamespaceNotFound"
    with pytest.raises(ClientError) as e:
        sd.create_service(Name="bad name!", NamespaceId=ns_id, Type="HTTP")
    assert code(e) == "InvalidInput"
    listed = sd.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [ns_id], "Condition": "EQ"}])["Services"]
    assert [s["Id"] for s in listed] == [svc["Id"]]
    op = sd.update_service(Id=svc["Id"], Service={"DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 5}, {"Type": "SRV", "TTL": 5}]}})
    assert sd.get_operation(OperationId=op["OperationId"])["Operation"]["Type"] == "UPDATE_SERVICE"
    ttls = {r["Type"]: r["TTL"] for r in sd.get_service(Id=svc["Id"])["Service"]["DnsConfig"]["DnsRecords"]}
    assert ttls == {"A": 5, "SRV": 5}
    sd.update_service_attributes(ServiceId=svc["Id"], Attributes={"team": "core", "tier": "1"})
    sd.delete_service_attributes(ServiceId=svc["Id"], Attributes=["tier"])
    assert sd.get_service_attributes(ServiceId=svc["Id"])["ServiceAttributes"]["Attributes"] == {"team": "core"}


def test_instances_register_discover_and_report_health(sd):
    ns_name, ns_id = private_namespace(sd)
    svc = dns_service(sd, ns_id, records=(("A", 10),), HealthCheckCustomConfig={})
    for i, ip in enumerate(["10.0.0.1", "10.0.0.2", "10.0.0.3"]):
        op = sd.register_instance(
            ServiceId=svc["Id"],
            InstanceId=f"task-{i}",
            Attributes={"AWS_INSTANCE_IPV4": ip, "color": "blue" if i else "green"},
        )["OperationId"]
        assert sd.get_operation(OperationId=op)["Operation"]["Status"] == "SUCCESS"
    with pytest.raises(ClientError) as e:
        sd.register_instance(ServiceId=svc["Id"], InstanceId="noip", Attributes={"x": "y"})
    assert code(e) == "InvalidInput"
    with pytest.raises(ClientError) as e:
        sd.register_instance(ServiceId=svc["Id"], InstanceId="badip", Attributes={"AWS_INSTANCE_IPV4": "10.0.0.300"})
    assert code(e) == "InvalidInput"
    assert sd.get_service(Id=svc["Id"])["Service"]["InstanceCount"] == 3
    inst = sd.get_instance(ServiceId=svc["Id"], InstanceId="task-1")["Instance"]
    assert inst["Attributes"]["AWS_INSTANCE_IPV4"] == "10.0.0.2"
    assert [i["Id"] for i in sd.list_instances(ServiceId=svc["Id"])["Instances"]] == ["task-0", "task-1", "task-2"]

    rev = sd.discover_instances_revision(NamespaceName=ns_name, ServiceName="api")["InstancesRevision"]
    found = sd.discover_instances(NamespaceName=ns_name, ServiceName="api")
    assert {i["InstanceId"] for i in found["Instances"]} == {"task-0", "task-1", "task-2"}
    assert found["InstancesRevision"] == rev
    blue = sd.discover_instances(NamespaceName=ns_name, ServiceName="api", QueryParameters={"color": "blue"})
    assert {i["InstanceId"] for i in blue["Instances"]} == {"task-1", "task-2"}
    # Optional parameters prefer the matching instances, falling back to all of them.
    green = sd.discover_instances(NamespaceName=ns_name, ServiceName="api", OptionalParameters={"color": "green"})
    assert [i["InstanceId"] for i in green["Instances"]] == ["task-0"]
    none = sd.discover_instances(NamespaceName=ns_name, ServiceName="api", OptionalParameters={"color": "red"})
    assert len(none["Instances"]) == 3

    sd.update_instance_custom_health_status(ServiceId=svc["Id"], InstanceId="task-0", Status="UNHEALTHY")
    health = sd.get_instances_health_status(ServiceId=svc["Id"])["Status"]
    assert health == {"task-0": "UNHEALTHY", "task-1": "HEALTHY", "task-2": "HEALTHY"}
    healthy = sd.discover_instances(NamespaceName=ns_name, ServiceName="api")
    assert {i["InstanceId"] for i in healthy["Instances"]} == {"task-1", "task-2"}
    every = sd.discover_instances(NamespaceName=ns_name, ServiceName="api", HealthStatus="ALL")
    assert len(every["Instances"]) == 3
    assert sd.discover_instances_revision(NamespaceName=ns_name, ServiceName="api")["InstancesRevision"] > rev

    with pytest.raises(ClientError) as e:
        sd.delete_service(Id=svc["Id"])
    assert code(e) == "ResourceInUse"
    with pytest.raises(ClientError) as e:
        sd.delete_namespace(Id=ns_id)
    assert code(e) == "ResourceInUse"
    for i in range(3):
        sd.deregister_instance(ServiceId=svc["Id"], InstanceId=f"task-{i}")
    with pytest.raises(ClientError) as e:
        sd.deregister_instance(ServiceId=svc["Id"], InstanceId="task-0")
    assert code(e) == "InstanceNotFound"
    with pytest.raises(ClientError) as e:
        sd.discover_instances(NamespaceName="nope.internal", ServiceName="api")
    assert code(e) == "NamespaceNotFound"
    sd.delete_service(Id=svc["Id"])
    with pytest.raises(ClientError) as e:
        sd.get_service(Id=svc["Id"])
    assert code(e) == "ServiceNotFound"
    sd.delete_namespace(Id=ns_id)


def test_custom_health_needs_a_custom_health_check(sd):
    _, ns_id = private_namespace(sd)
    svc = dns_service(sd, ns_id)
    sd.register_instance(ServiceId=svc["Id"], InstanceId="i-1", Attributes={"AWS_INSTANCE_IPV4": "10.1.0.1"})
    with pytest.raises(ClientError) as e:
        sd.update_instance_custom_health_status(ServiceId=svc["Id"], InstanceId="i-1", Status="HEALTHY")
    assert code(e) == "CustomHealthNotFound"
    with pytest.raises(ClientError) as e:
        sd.register_instance(
            ServiceId=svc["Id"], InstanceId="i-2", Attributes={"AWS_INSTANCE_IPV4": "10.1.0.2", "AWS_INIT_HEALTH_STATUS": "HEALTHY"}
        )
    assert code(e) == "InvalidInput"
    assert sd.get_instances_health_status(ServiceId=svc["Id"])["Status"] == {"i-1": "UNKNOWN"}


def test_operations_are_listed_and_filtered(sd):
    _, ns_id = private_namespace(sd)
    svc = dns_service(sd, ns_id)
    sd.register_instance(ServiceId=svc["Id"], InstanceId="a", Attributes={"AWS_INSTANCE_IPV4": "10.2.0.1"})
    ops = sd.list_operations(
        Filters=[{"Name": "SERVICE_ID", "Values": [svc["Id"]], "Condition": "EQ"}]
    )["Operations"]
    assert len(ops) == 1 and ops[0]["Status"] == "SUCCESS"
    assert sd.get_operation(OperationId=ops[0]["Id"])["Operation"]["Type"] == "REGISTER_INSTANCE"
    with pytest.raises(ClientError) as e:
        sd.list_operations(Filters=[{"Name": "STATUS", "Values": ["SUCCESS"], "Condition": "BETWEEN"}])
    assert code(e) == "InvalidInput"
    with pytest.raises(ClientError) as e:
        sd.get_operation(OperationId="nope")
    assert code(e) == "OperationNotFound"


def test_tags_on_namespaces_and_services(sd):
    _, ns_id = private_namespace(sd)
    arn = sd.get_namespace(Id=ns_id)["Namespace"]["Arn"]
    sd.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a"}])
    sd.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert sd.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    svc = dns_service(sd, ns_id, Tags=[{"Key": "k", "Value": "v"}])
    assert sd.list_tags_for_resource(ResourceARN=svc["Arn"])["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as e:
        sd.list_tags_for_resource(ResourceARN=arn.replace(ns_id, "ns-0000000000000000"))
    assert code(e) == "ResourceNotFoundException"


def test_aws_json_1_1_is_answered_too(server, sd):
    """What aws-sdk-rust and older SDKs send: X-Amz-Target over AWS JSON 1.1."""
    name, _ = private_namespace(sd)
    r = raw_call(server.endpoint, "Route53AutoNaming_v20170314.ListNamespaces", b"{}", service="servicediscovery")
    assert r.status == 200, r.body
    assert r.headers["content-type"] == "application/x-amz-json-1.1"
    assert name in {n["Name"] for n in json.loads(r.body)["Namespaces"]}
    r = raw_call(server.endpoint, "Route53AutoNaming_v20170314.GetNamespace", b'{"Id": 7}', service="servicediscovery")
    assert r.status == 400 and json.loads(r.body)["__type"] == "SerializationException", r.body


def test_the_aws_cli_drives_cloud_map(server):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_DEFAULT_REGION=REGION, AWS_DISABLE_HOST_PREFIX_INJECTION="true")
    name = f"{unique('cli')}.internal"

    def aws(*args):
        out = subprocess.run(["aws", "--endpoint-url", server.endpoint, "servicediscovery", *args, "--output", "json"],
                             capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else {}

    op = aws("create-private-dns-namespace", "--name", name, "--vpc", "vpc-1")["OperationId"]
    ns_id = aws("get-operation", "--operation-id", op)["Operation"]["Targets"]["NAMESPACE"]
    svc = aws("create-service", "--name", "web", "--namespace-id", ns_id,
              "--dns-config", "RoutingPolicy=MULTIVALUE,DnsRecords=[{Type=A,TTL=30}]")["Service"]
    aws("register-instance", "--service-id", svc["Id"], "--instance-id", "w1",
        "--attributes", "AWS_INSTANCE_IPV4=10.3.0.1")
    found = aws("discover-instances", "--namespace-name", name, "--service-name", "web")
    assert [i["InstanceId"] for i in found["Instances"]] == ["w1"]
    out = subprocess.run(["aws", "--endpoint-url", server.endpoint, "servicediscovery", "get-service", "--id", "srv-nope"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode != 0 and "ServiceNotFound" in out.stderr


@pytest.mark.parametrize("body", [b"\xa0", b"\xff\xff\xff", os.urandom(64), b"\xa1\x62Id\x07"],
                         ids=["empty-map", "bad", "random", "wrong-type"])
def test_bad_cbor_bodies_get_cbor_4xx(server, body):
    from test_protocols_unserved import CBOR, send

    path = "/service/Route53AutoNaming_v20170314/operation/GetNamespace"
    status, headers, data = send(server.endpoint, body, CBOR, "servicediscovery", path)
    assert 400 <= status < 500, (status, data[:300])
    assert headers.get("content-type") == "application/cbor"
    assert headers.get("smithy-protocol") == "rpc-v2-cbor"
    assert server.alive()


def test_dns_answers_the_registered_instances(server, sd):
    ns_name, ns_id = private_namespace(sd)
    svc = dns_service(sd, ns_id, name="web", records=(("A", 7), ("SRV", 7)))
    for i in range(3):
        sd.register_instance(
            ServiceId=svc["Id"], InstanceId=f"t{i}",
            Attributes={"AWS_INSTANCE_IPV4": f"10.9.0.{i + 1}", "AWS_INSTANCE_PORT": str(8080 + i)},
        )
    assert answers(server, f"web.{ns_name}") == ["10.9.0.1", "10.9.0.2", "10.9.0.3"]
    full = dig(server, f"web.{ns_name}")
    assert "status: NOERROR" in full and " aa" in full.split("flags:")[1].split(";")[0]
    assert re.search(r"\s7\s+IN\s+A\s+10\.9\.0\.", full), full
    srv = answers(server, f"web.{ns_name}", "SRV")
    assert srv == sorted(f"1 1 {8080 + i} t{i}.web.{ns_name}." for i in range(3))
    assert answers(server, f"t1.web.{ns_name}") == ["10.9.0.2"]
    # A name in the zone that does not exist, and one that exists without the type.
    assert "status: NXDOMAIN" in dig(server, f"nothing.{ns_name}")
    nodata = dig(server, f"web.{ns_name}", "AAAA")
    assert "status: NOERROR" in nodata and "ANSWER: 0" in nodata and "SOA" in nodata
    assert "SOA" in dig(server, ns_name, "SOA")
    # TCP answers the same.
    assert "10.9.0.2" in dig(server, f"web.{ns_name}", "A", "+tcp")
    sd.deregister_instance(ServiceId=svc["Id"], InstanceId="t0")
    deadline = time.monotonic() + 2
    while answers(server, f"web.{ns_name}") != ["10.9.0.2", "10.9.0.3"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert answers(server, f"web.{ns_name}") == ["10.9.0.2", "10.9.0.3"]


def test_an_unhealthy_instance_leaves_the_answers(server, sd):
    ns_name, ns_id = private_namespace(sd)
    svc = dns_service(sd, ns_id, name="h", HealthCheckCustomConfig={})
    for i in range(2):
        sd.register_instance(ServiceId=svc["Id"], InstanceId=f"h{i}", Attributes={"AWS_INSTANCE_IPV4": f"10.8.0.{i + 1}"})
    sd.update_instance_custom_health_status(ServiceId=svc["Id"], InstanceId="h0", Status="UNHEALTHY")
    deadline = time.monotonic() + 2
    while answers(server, f"h.{ns_name}") != ["10.8.0.2"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert answers(server, f"h.{ns_name}") == ["10.8.0.2"]


def test_registrations_survive_kill_9_and_dns_answers_within_a_second(fresh_server):
    sd = sd_client(fresh_server.endpoint)
    ns_name, ns_id = private_namespace(sd)
    svc = dns_service(sd, ns_id, name="db")
    sd.register_instance(ServiceId=svc["Id"], InstanceId="d1", Attributes={"AWS_INSTANCE_IPV4": "10.7.0.1"})
    fresh_server.kill()
    fresh_server.start()
    # Serving as soon as the API is: the first query after the restart is answered.
    assert answers(fresh_server, f"db.{ns_name}") == ["10.7.0.1"]
    sd = sd_client(fresh_server.endpoint)
    assert sd.get_instance(ServiceId=svc["Id"], InstanceId="d1")["Instance"]["Attributes"]["AWS_INSTANCE_IPV4"] == "10.7.0.1"
    assert sd.get_namespace(Id=ns_id)["Namespace"]["ServiceCount"] == 1

"""The Elastic Load Balancing v2 API through boto3, the AWS CLI and raw AWS Query: load
balancers, target groups, targets, listeners, rules, attributes and tags, ELB's XML errors
for bad input, and everything back after kill -9."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ctutil import ACCESS_KEY, ACCOUNT, REGION, SECRET_KEY, raw_call, unique

QUERY_CT = "application/x-www-form-urlencoded; charset=utf-8"


def elb_client(endpoint: str):
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )
    return session.client(
        "elbv2", endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 1, "mode": "standard"})
    )


@pytest.fixture(scope="module")
def elb(server):
    return elb_client(server.endpoint)


def code(e) -> str:
    return e.value.response["Error"]["Code"]


def default_subnets(account: str = ACCOUNT) -> list[str]:
    """The default VPC's subnets, as Berth derives their ids (one per zone a, b, c)."""
    return [
        "subnet-" + hashlib.sha256(f"berth-default-vpc:{account}:{REGION}{z}".encode()).hexdigest()[:17]
        for z in "abc"
    ]


def default_vpc(account: str = ACCOUNT) -> str:
    return "vpc-" + hashlib.sha256(f"berth-default-vpc:{account}".encode()).hexdigest()[:17]


def load_balancer(elb, name=None, **kw):
    name = name or unique("lb")[:32]
    return elb.create_load_balancer(Name=name, Subnets=default_subnets()[:2], **kw)["LoadBalancers"][0]


def target_group(elb, name=None, **kw):
    name = name or unique("tg")[:32]
    args = dict(Name=name, Protocol="HTTP", Port=80, VpcId=default_vpc(), TargetType="ip")
    args.update(kw)
    return elb.create_target_group(**args)["TargetGroups"][0]


def listener(elb, lb_arn, tg_arn, port=80):
    return elb.create_listener(
        LoadBalancerArn=lb_arn, Protocol="HTTP", Port=port,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}],
    )["Listeners"][0]


def test_a_load_balancer_with_a_listener_rules_and_targets(elb):
    lb = load_balancer(elb, Tags=[{"Key": "team", "Value": "web"}])
    assert lb["State"]["Code"] == "provisioning"
    assert lb["Type"] == "application" and lb["Scheme"] == "internet-facing"
    assert lb["DNSName"].endswith(f".{REGION}.elb.berth.internal")
    assert lb["VpcId"] == default_vpc()
    assert {z["ZoneName"] for z in lb["AvailabilityZones"]} == {f"{REGION}a", f"{REGION}b"}
    # The waiter polls DescribeLoadBalancers until the state is active.
    elb.get_waiter("load_balancer_available").wait(
        LoadBalancerArns=[lb["LoadBalancerArn"]], WaiterConfig={"Delay": 1, "MaxAttempts": 5}
    )

    web = target_group(elb, HealthCheckPath="/health", HealthCheckIntervalSeconds=10, Matcher={"HttpCode": "200-299"})
    api = target_group(elb)
    assert web["HealthCheckPath"] == "/health" and web["Matcher"]["HttpCode"] == "200-299"
    l = listener(elb, lb["LoadBalancerArn"], web["TargetGroupArn"])
    assert l["Port"] == 80 and l["DefaultActions"][0]["TargetGroupArn"] == web["TargetGroupArn"]

    rule = elb.create_rule(
        ListenerArn=l["ListenerArn"], Priority=10,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}},
                    {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET", "POST"]}}],
        Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": api["TargetGroupArn"], "Weight": 3},
            {"TargetGroupArn": web["TargetGroupArn"], "Weight": 1}]}}],
    )["Rules"][0]
    assert rule["Priority"] == "10" and not rule["IsDefault"]
    elb.create_rule(
        ListenerArn=l["ListenerArn"], Priority=20,
        Conditions=[{"Field": "host-header", "Values": ["old.example.com"]}],
        Actions=[{"Type": "redirect", "RedirectConfig": {"Host": "new.example.com", "StatusCode": "HTTP_301"}}],
    )
    rules = elb.describe_rules(ListenerArn=l["ListenerArn"])["Rules"]
    assert [r["Priority"] for r in rules] == ["10", "20", "default"]
    weights = {g["TargetGroupArn"]: g["Weight"] for g in rules[0]["Actions"][0]["ForwardConfig"]["TargetGroups"]}
    assert weights == {api["TargetGroupArn"]: 3, web["TargetGroupArn"]: 1}
    assert rules[1]["Actions"][0]["RedirectConfig"]["Path"] == "/#{path}"

    with pytest.raises(ClientError) as e:
        elb.create_rule(ListenerArn=l["ListenerArn"], Priority=10,
                        Conditions=[{"Field": "path-pattern", "Values": ["/x"]}],
                        Actions=[{"Type": "forward", "TargetGroupArn": api["TargetGroupArn"]}])
    assert code(e) == "PriorityInUse"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    elb.register_targets(TargetGroupArn=web["TargetGroupArn"], Targets=[{"Id": "10.0.0.1"}, {"Id": "10.0.0.2", "Port": 8080}])
    health = elb.describe_target_health(TargetGroupArn=web["TargetGroupArn"])["TargetHealthDescriptions"]
    assert sorted((h["Target"]["Id"], h["Target"]["Port"]) for h in health) == [("10.0.0.1", 80), ("10.0.0.2", 8080)]
    assert all(h["TargetHealth"]["State"] in ("initial", "healthy", "unhealthy") for h in health)
    tgs = elb.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
    assert {t["TargetGroupArn"] for t in tgs} == {web["TargetGroupArn"], api["TargetGroupArn"]}

    attrs = elb.modify_load_balancer_attributes(
        LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "30"}]
    )["Attributes"]
    assert {"Key": "idle_timeout.timeout_seconds", "Value": "30"} in attrs
    tags = elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]
    assert tags == [{"Key": "team", "Value": "web"}]

    with pytest.raises(ClientError) as e:
        elb.delete_target_group(TargetGroupArn=web["TargetGroupArn"])
    assert code(e) == "ResourceInUse"
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    elb.delete_target_group(TargetGroupArn=web["TargetGroupArn"])
    with pytest.raises(ClientError) as e:
        elb.describe_load_balancers(LoadBalancerArns=[lb["LoadBalancerArn"]])
    assert code(e) == "LoadBalancerNotFound"


def test_the_subnets_are_ec2s_default_vpcs(server):
    ec2 = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    ).client("ec2", endpoint_url=server.endpoint)
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    assert sorted(s["SubnetId"] for s in subnets) == sorted(default_subnets())
    assert {s["VpcId"] for s in subnets} == {default_vpc()}


def test_elbs_errors_for_bad_input(elb):
    with pytest.raises(ClientError) as e:
        elb.create_load_balancer(Name="one-subnet", Subnets=default_subnets()[:1])
    assert code(e) == "InvalidConfigurationRequest"
    with pytest.raises(ClientError) as e:
        elb.create_load_balancer(Name="nope", Subnets=["subnet-0", "subnet-1"])
    assert code(e) == "SubnetNotFound"
    with pytest.raises(ClientError) as e:
        elb.describe_load_balancers(Names=["no-such-lb"])
    assert code(e) == "LoadBalancerNotFound"
    with pytest.raises(ClientError) as e:
        target_group(elb, HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=5)
    assert code(e) == "ValidationError"
    tg = target_group(elb)
    with pytest.raises(ClientError) as e:
        target_group(elb, Name=tg["TargetGroupName"], Port=81)
    assert code(e) == "DuplicateTargetGroupName"
    with pytest.raises(ClientError) as e:
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "not-an-ip"}])
    assert code(e) == "InvalidTarget"
    lb = load_balancer(elb)
    with pytest.raises(ClientError) as e:
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "302"}}])
    assert code(e) == "ValidationError"
    assert elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"] == []


def test_raw_query_errors_are_elb_xml(server):
    def call(body: str):
        return raw_call(server.endpoint, None, body, content_type=QUERY_CT, service="elasticloadbalancing")

    r = call("Action=NoSuchAction&Version=2015-12-01")
    assert r.status == 400
    root = ET.fromstring(r.body)
    assert root.tag.endswith("ErrorResponse")
    assert b"InvalidAction" in r.body
    r = call("Action=DescribeLoadBalancers&Version=2015-12-01&PageSize=abc")
    assert r.status == 400
    r = call("Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.1=%zz")
    assert r.status == 400 and b"MalformedQueryString" in r.body
    r = call("Action=CreateRule&Version=2015-12-01&ListenerArn=x&Priority=1")
    assert r.status == 400 and b"<Code>ValidationError</Code>" in r.body
    r = call("Action=DescribeLoadBalancers&Version=2015-12-01")
    assert r.status == 200 and b"<DescribeLoadBalancersResponse" in r.body


def test_the_aws_cli_drives_elbv2(aws):
    subnets = default_subnets()
    name = unique("cli")[:32]
    lb = aws("elbv2", "create-load-balancer", "--name", name, "--subnets", subnets[0], subnets[1])["LoadBalancers"][0]
    tg = aws("elbv2", "create-target-group", "--name", name, "--protocol", "HTTP", "--port", "80",
             "--vpc-id", default_vpc(), "--target-type", "ip")["TargetGroups"][0]
    aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "HTTP",
        "--port", "8080", "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
    aws("elbv2", "register-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets", "Id=10.1.0.1,Port=8000")
    listeners = aws("elbv2", "describe-listeners", "--load-balancer-arn", lb["LoadBalancerArn"])["Listeners"]
    assert [l["Port"] for l in listeners] == [8080]
    health = aws("elbv2", "describe-target-health", "--target-group-arn", tg["TargetGroupArn"])
    assert health["TargetHealthDescriptions"][0]["Target"] == {"Id": "10.1.0.1", "Port": 8000}
    out = aws("elbv2", "describe-load-balancers", "--names", name)
    assert out["LoadBalancers"][0]["DNSName"] == lb["DNSName"]


def test_everything_comes_back_after_kill_9(fresh_server):
    elb = elb_client(fresh_server.endpoint)
    lb = load_balancer(elb)
    tg = target_group(elb)
    l = listener(elb, lb["LoadBalancerArn"], tg["TargetGroupArn"])
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "10.2.0.1"}])
    fresh_server.kill()
    fresh_server.start()
    elb = elb_client(fresh_server.endpoint)
    got = elb.describe_load_balancers(LoadBalancerArns=[lb["LoadBalancerArn"]])["LoadBalancers"][0]
    assert got["DNSName"] == lb["DNSName"]
    assert elb.describe_listeners(ListenerArns=[l["ListenerArn"]])["Listeners"][0]["Port"] == 80
    health = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
    assert [h["Target"]["Id"] for h in health] == ["10.2.0.1"]

"""Amazon EC2's API as Berth serves it, through boto3, the AWS CLI and raw `ec2` protocol
requests: the default VPC, its subnets and zones, security groups and their rules, tags,
filters, EC2's errors, and everything back after kill -9."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ctutil import ACCESS_KEY, ACCOUNT, REGION, SECRET_KEY, raw_call, unique

FORM_CT = "application/x-www-form-urlencoded; charset=utf-8"
EC2_NS = "{http://ec2.amazonaws.com/doc/2016-11-15/}"


def ec2_client(endpoint: str, access_key: str = ACCESS_KEY):
    session = boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )
    return session.client(
        "ec2", endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 1, "mode": "standard"})
    )


@pytest.fixture(scope="module")
def ec2(server):
    return ec2_client(server.endpoint)


def code(e) -> str:
    return e.value.response["Error"]["Code"]


def derived(prefix: str, what: str) -> str:
    return f"{prefix}-" + hashlib.sha256(f"berth-default-vpc:{what}".encode()).hexdigest()[:17]


def default_vpc(account: str = ACCOUNT) -> str:
    return derived("vpc", account)


def default_subnets(account: str = ACCOUNT) -> list[str]:
    return [derived("subnet", f"{account}:{REGION}{z}") for z in "abc"]


def default_group(account: str = ACCOUNT) -> str:
    return derived("sg", f"{account}:default")


def test_the_default_vpc_subnets_and_zones(ec2):
    vpcs = ec2.describe_vpcs()["Vpcs"]
    assert [v["VpcId"] for v in vpcs] == [default_vpc()]
    vpc = vpcs[0]
    assert vpc["CidrBlock"] == "172.31.0.0/16" and vpc["IsDefault"] is True and vpc["State"] == "available"
    assert ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"] == default_vpc()
    assert ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["false"]}])["Vpcs"] == []
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [default_vpc()]}])["Subnets"]
    assert [s["SubnetId"] for s in subnets] == default_subnets()
    assert [s["AvailabilityZone"] for s in subnets] == [f"{REGION}{z}" for z in "abc"]
    assert [s["CidrBlock"] for s in subnets] == ["172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"]
    assert all(s["DefaultForAz"] and s["MapPublicIpOnLaunch"] and s["AvailableIpAddressCount"] == 4091 for s in subnets)
    one = ec2.describe_subnets(Filters=[{"Name": "availability-zone", "Values": [f"{REGION}b"]},
                                        {"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    assert [s["SubnetId"] for s in one] == default_subnets()[1:2]
    assert len(ec2.describe_subnets(SubnetIds=default_subnets()[:2])["Subnets"]) == 2
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert [z["ZoneName"] for z in zones] == [f"{REGION}{z}" for z in "abc"]
    assert all(z["State"] == "available" and z["RegionName"] == REGION for z in zones)
    assert [r["RegionName"] for r in ec2.describe_regions()["Regions"]] == [REGION]
    attrs = ec2.describe_account_attributes(AttributeNames=["default-vpc"])["AccountAttributes"]
    assert attrs[0]["AttributeValues"][0]["AttributeValue"] == default_vpc()
    dns = ec2.describe_vpc_attribute(VpcId=default_vpc(), Attribute="enableDnsSupport")
    assert dns["EnableDnsSupport"]["Value"] is True
    assert ec2.describe_network_interfaces(Filters=[{"Name": "group-id", "Values": [default_group()]}])["NetworkInterfaces"] == []


def test_a_security_group_is_created_authorized_described_revoked_and_deleted(ec2):
    name = unique("web")
    created = ec2.create_security_group(
        GroupName=name, Description="web tier", VpcId=default_vpc(),
        TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "Name", "Value": name}]}],
    )
    gid = created["GroupId"]
    assert gid.startswith("sg-") and created["Tags"] == [{"Key": "Name", "Value": name}]
    out = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "http"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
         "UserIdGroupPairs": [{"GroupId": default_group()}]},
    ])
    assert out["Return"] is True
    rule_ids = [r["SecurityGroupRuleId"] for r in out["SecurityGroupRules"]]
    assert len(rule_ids) == 3 and all(r.startswith("sgr-") for r in rule_ids)
    group = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
    assert group["GroupName"] == name and group["Description"] == "web tier" and group["VpcId"] == default_vpc()
    perms = {p["FromPort"]: p for p in group["IpPermissions"]}
    assert perms[80]["IpRanges"] == [{"CidrIp": "0.0.0.0/0", "Description": "http"}]
    assert perms[443]["UserIdGroupPairs"] == [{"GroupId": default_group(), "UserId": ACCOUNT}]
    assert group["IpPermissionsEgress"][0]["IpProtocol"] == "-1"
    assert group["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    with pytest.raises(ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId=gid, IpProtocol="tcp", FromPort=80, ToPort=80, CidrIp="0.0.0.0/0")
    assert code(e) == "InvalidPermission.Duplicate"
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroupRules"]
    assert sorted(r["SecurityGroupRuleId"] for r in rules if not r["IsEgress"]) == sorted(rule_ids)
    by_name = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]
    assert [g["GroupId"] for g in by_name] == [gid]
    revoked = ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert revoked["Return"] is True
    ec2.revoke_security_group_ingress(GroupId=gid, SecurityGroupRuleIds=rule_ids[1:])
    assert ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissions"] == []
    ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissionsEgress"] == []
    ec2.delete_security_group(GroupId=gid)
    with pytest.raises(ClientError) as e:
        ec2.describe_security_groups(GroupIds=[gid])
    assert code(e) == "InvalidGroup.NotFound"


def test_the_default_group_cannot_be_deleted_but_its_rules_change(ec2):
    group = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]
    assert group["GroupId"] == default_group()
    assert group["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == default_group()
    with pytest.raises(ClientError) as e:
        ec2.delete_security_group(GroupId=default_group())
    assert code(e) == "CannotDelete"
    ec2.authorize_security_group_ingress(GroupId=default_group(), IpProtocol="tcp", FromPort=5000, ToPort=5000,
                                         CidrIp="192.168.0.0/16")
    perms = ec2.describe_security_groups(GroupIds=[default_group()])["SecurityGroups"][0]["IpPermissions"]
    assert any(p.get("FromPort") == 5000 for p in perms)
    ec2.revoke_security_group_ingress(GroupId=default_group(), IpProtocol="tcp", FromPort=5000, ToPort=5000,
                                      CidrIp="192.168.0.0/16")


def test_tags_and_their_filters(ec2):
    vpc, subnet = default_vpc(), default_subnets()[2]
    key = unique("k")
    ec2.create_tags(Resources=[vpc, subnet], Tags=[{"Key": key, "Value": "blue"}])
    tagged = ec2.describe_subnets(Filters=[{"Name": f"tag:{key}", "Values": ["bl*"]}])["Subnets"]
    assert [s["SubnetId"] for s in tagged] == [subnet]
    assert {"Key": key, "Value": "blue"} in ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Tags"]
    tags = ec2.describe_tags(Filters=[{"Name": "key", "Values": [key]}])["Tags"]
    assert sorted((t["ResourceId"], t["ResourceType"]) for t in tags) == sorted([(vpc, "vpc"), (subnet, "subnet")])
    ec2.delete_tags(Resources=[vpc, subnet], Tags=[{"Key": key}])
    assert ec2.describe_tags(Filters=[{"Name": "key", "Values": [key]}])["Tags"] == []


def test_ec2s_errors(ec2):
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs(VpcIds=["vpc-0123456789abcdef0"])
    assert code(e) == "InvalidVpcID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.describe_subnets(SubnetIds=["subnet-0123456789abcdef0"])
    assert code(e) == "InvalidSubnetID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.describe_security_groups(GroupIds=["sg-0123456789abcdef0"])
    assert code(e) == "InvalidGroup.NotFound"
    name = unique("dup")
    ec2.create_security_group(GroupName=name, Description="d")
    with pytest.raises(ClientError) as e:
        ec2.create_security_group(GroupName=name, Description="d")
    assert code(e) == "InvalidGroup.Duplicate"
    with pytest.raises(ClientError) as e:
        ec2.create_security_group(GroupName=unique("x"), Description="d", VpcId="vpc-0123456789abcdef0")
    assert code(e) == "InvalidVpcID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.describe_subnets(Filters=[{"Name": "colour", "Values": ["red"]}])
    assert code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.create_tags(Resources=["i-0123456789abcdef0"], Tags=[{"Key": "a", "Value": "b"}])
    assert code(e) == "InvalidID"
    with pytest.raises(ClientError) as e:
        ec2.create_security_group(GroupName=unique("dry"), Description="d", DryRun=True)
    assert code(e) == "DryRunOperation"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412


def test_a_raw_ec2_request_with_a_bad_parameter_gets_ec2_xml(server):
    def call(body: str):
        return raw_call(server.endpoint, None, body, content_type=FORM_CT, service="ec2")

    r = call("Action=DescribeSecurityGroups&Version=2016-11-15&MaxResults=abc")
    assert r.status == 400
    root = ET.fromstring(r.body)
    assert root.tag == "Response"
    assert root.find("Errors/Error/Code").text == "InvalidParameterValue"
    assert root.find("RequestID").text
    r = call("Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-nope")
    assert r.status == 400 and ET.fromstring(r.body).find("Errors/Error/Code").text == "InvalidVpcID.NotFound"
    r = call("Action=RunInstances&Version=2016-11-15")
    assert r.status == 400 and b"<Code>InvalidAction</Code>" in r.body
    r = call("Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=vpc-id&Filter.1.Value.1=" + default_vpc())
    assert r.status == 200
    root = ET.fromstring(r.body)
    assert root.tag == f"{EC2_NS}DescribeVpcsResponse"
    assert root.find(f"{EC2_NS}requestId").text
    assert root.find(f"{EC2_NS}vpcSet/{EC2_NS}item/{EC2_NS}vpcId").text == default_vpc()


def test_the_aws_cli_drives_ec2(aws):
    vpcs = aws("ec2", "describe-vpcs", "--filters", "Name=isDefault,Values=true")["Vpcs"]
    assert vpcs[0]["VpcId"] == default_vpc()
    subnets = aws("ec2", "describe-subnets", "--filters", f"Name=vpc-id,Values={default_vpc()}")["Subnets"]
    assert len(subnets) == 3
    name = unique("cli")
    gid = aws("ec2", "create-security-group", "--group-name", name, "--description", "from the cli")["GroupId"]
    aws("ec2", "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "22",
        "--cidr", "10.0.0.0/8")
    aws("ec2", "authorize-security-group-ingress", "--group-id", gid,
        "--ip-permissions", "IpProtocol=udp,FromPort=53,ToPort=53,IpRanges=[{CidrIp=10.0.0.0/8}]")
    group = aws("ec2", "describe-security-groups", "--group-ids", gid)["SecurityGroups"][0]
    assert sorted(p["FromPort"] for p in group["IpPermissions"]) == [22, 53]
    aws("ec2", "create-tags", "--resources", gid, "--tags", "Key=team,Value=core")
    tagged = aws("ec2", "describe-security-groups", "--filters", "Name=tag:team,Values=core")["SecurityGroups"]
    assert gid in [g["GroupId"] for g in tagged]
    aws("ec2", "revoke-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "22",
        "--cidr", "10.0.0.0/8")
    aws("ec2", "delete-security-group", "--group-id", gid)


def test_each_account_has_its_own_default_vpc(server):
    other = "123456789012"
    ec2 = ec2_client(server.endpoint, access_key=other)
    assert [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]] == [default_vpc(other)]
    assert [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]] == default_subnets(other)
    assert ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"] == default_group(other)


def test_everything_comes_back_after_kill_9(fresh_server):
    ec2 = ec2_client(fresh_server.endpoint)
    gid = ec2.create_security_group(GroupName=unique("durable"), Description="kept")["GroupId"]
    rule = ec2.authorize_security_group_ingress(GroupId=gid, IpProtocol="tcp", FromPort=8080, ToPort=8080,
                                                CidrIp="10.0.0.0/8")["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ec2.create_tags(Resources=[default_vpc(), gid], Tags=[{"Key": "kept", "Value": "yes"}])
    fresh_server.kill()
    fresh_server.start()
    ec2 = ec2_client(fresh_server.endpoint)
    group = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
    assert group["IpPermissions"][0]["FromPort"] == 8080 and group["Tags"] == [{"Key": "kept", "Value": "yes"}]
    assert ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule])["SecurityGroupRules"][0]["GroupId"] == gid
    assert {"Key": "kept", "Value": "yes"} in ec2.describe_vpcs()["Vpcs"][0]["Tags"]

//! The default VPC every account has: its subnets, zones, the region, account attributes,
//! filters and tags on what is derived rather than stored.

mod common;

use berth_ec2::network::{default_group_id, default_subnet_id, default_vpc_id};
use berth_ec2_model::Operation as O;
use common::*;
use serde_json::json;

#[test]
fn the_default_vpc_and_its_subnets_exist_without_being_created() {
    let ec2 = ec2();
    let vpcs = ok(&ec2, O::DescribeVpcs, json!({}));
    let vpc = &vpcs["Vpcs"][0];
    assert_eq!(vpcs["Vpcs"].as_array().map(Vec::len), Some(1));
    assert_eq!(vpc["VpcId"], default_vpc_id(ACCOUNT).as_str());
    assert_eq!(vpc["CidrBlock"], "172.31.0.0/16");
    assert_eq!(
        (vpc["IsDefault"].clone(), vpc["State"].clone()),
        (json!(true), json!("available"))
    );
    let subnets = ok(&ec2, O::DescribeSubnets, json!({}))["Subnets"].clone();
    let subnets = subnets.as_array().cloned().unwrap_or_default();
    assert_eq!(subnets.len(), 3);
    for (s, (zone, cidr)) in subnets.iter().zip([
        ("us-east-1a", "172.31.0.0/20"),
        ("us-east-1b", "172.31.16.0/20"),
        ("us-east-1c", "172.31.32.0/20"),
    ]) {
        assert_eq!(s["SubnetId"], default_subnet_id(ACCOUNT, zone).as_str());
        assert_eq!(s["AvailabilityZone"], zone);
        assert_eq!(s["CidrBlock"], cidr);
        assert_eq!(s["VpcId"], default_vpc_id(ACCOUNT).as_str());
        assert_eq!(s["DefaultForAz"], true);
        assert_eq!(s["MapPublicIpOnLaunch"], true);
        assert_eq!(s["AvailableIpAddressCount"], 4091);
    }
    // The port the binary gives ELB answers the same.
    let ports = ec2.default_subnets(ACCOUNT);
    assert_eq!(ports[2].id, default_subnet_id(ACCOUNT, "us-east-1c"));
    assert!(ec2.vpc_exists(ACCOUNT, &default_vpc_id(ACCOUNT)));
    assert!(!ec2.vpc_exists(ACCOUNT, "vpc-other"));
    assert_eq!(
        ec2.default_security_group(ACCOUNT, &default_vpc_id(ACCOUNT)),
        Some(default_group_id(ACCOUNT))
    );
    assert_eq!(
        ec2.security_group_vpc(ACCOUNT, &default_group_id(ACCOUNT)),
        Some(default_vpc_id(ACCOUNT))
    );
    assert_eq!(
        ec2.subnet("111111111111", &ports[0].id),
        None,
        "another account's"
    );
}

#[test]
fn ids_and_filters_narrow_what_is_described() {
    let ec2 = ec2();
    let vpc = default_vpc_id(ACCOUNT);
    let b = default_subnet_id(ACCOUNT, "us-east-1b");
    let count = |op, body| {
        ok(&ec2, op, body)[match op {
            O::DescribeVpcs => "Vpcs",
            _ => "Subnets",
        }]
        .as_array()
        .map_or(0, Vec::len)
    };
    assert_eq!(count(O::DescribeVpcs, json!({"VpcIds": [vpc]})), 1);
    assert_eq!(
        count(
            O::DescribeVpcs,
            json!({"Filters": [{"Name": "isDefault", "Values": ["true"]}]})
        ),
        1
    );
    assert_eq!(
        count(
            O::DescribeVpcs,
            json!({"Filters": [{"Name": "is-default", "Values": ["false"]}]})
        ),
        0
    );
    assert_eq!(
        count(
            O::DescribeVpcs,
            json!({"Filters": [{"Name": "vpc-id", "Values": ["vpc-*"]}]})
        ),
        1
    );
    assert_eq!(count(O::DescribeSubnets, json!({"SubnetIds": [b]})), 1);
    assert_eq!(
        count(
            O::DescribeSubnets,
            json!({"Filters": [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default-for-az", "Values": ["true"]}]})
        ),
        3
    );
    assert_eq!(
        count(
            O::DescribeSubnets,
            json!({"Filters": [{"Name": "availability-zone", "Values": ["us-east-1a", "us-east-1c"]}]})
        ),
        2
    );
    assert_eq!(
        count(
            O::DescribeSubnets,
            json!({"Filters": [{"Name": "availabilityZone", "Values": ["us-east-1?"]}]})
        ),
        3
    );
    assert_eq!(
        count(
            O::DescribeSubnets,
            json!({"Filters": [{"Name": "subnet-id", "Values": [b]}]})
        ),
        1
    );
    assert_eq!(
        code(&ec2, O::DescribeVpcs, json!({"VpcIds": ["vpc-0123"]})),
        "InvalidVpcID.NotFound"
    );
    assert_eq!(
        code(
            &ec2,
            O::DescribeSubnets,
            json!({"SubnetIds": ["subnet-0123"]})
        ),
        "InvalidSubnetID.NotFound"
    );
    assert_eq!(
        code(
            &ec2,
            O::DescribeSubnets,
            json!({"Filters": [{"Name": "colour", "Values": ["x"]}]})
        ),
        "InvalidParameterValue"
    );
    // Pages, in zone order.
    let first = ok(&ec2, O::DescribeSubnets, json!({"MaxResults": 5}));
    assert_eq!(first["Subnets"].as_array().map(Vec::len), Some(3));
    assert!(first.get("NextToken").is_none());
    assert_eq!(
        code(&ec2, O::DescribeSubnets, json!({"MaxResults": 4})),
        "InvalidParameterValue"
    );
}

#[test]
fn zones_regions_and_account_attributes_describe_this_region() {
    let ec2 = ec2();
    let zones = ok(&ec2, O::DescribeAvailabilityZones, json!({}))["AvailabilityZones"].clone();
    let names: Vec<&str> = zones
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|z| z["ZoneName"].as_str())
        .collect();
    assert_eq!(names, ["us-east-1a", "us-east-1b", "us-east-1c"]);
    assert_eq!(zones[0]["ZoneId"], "use1-az1");
    assert_eq!(zones[0]["State"], "available");
    let one = ok(
        &ec2,
        O::DescribeAvailabilityZones,
        json!({"ZoneIds": ["use1-az2"]}),
    );
    assert_eq!(one["AvailabilityZones"][0]["ZoneName"], "us-east-1b");
    assert_eq!(
        code(
            &ec2,
            O::DescribeAvailabilityZones,
            json!({"ZoneNames": ["us-east-1z"]})
        ),
        "InvalidParameterValue"
    );
    let regions = ok(&ec2, O::DescribeRegions, json!({}));
    assert_eq!(regions["Regions"][0]["RegionName"], "us-east-1");
    let attrs = ok(
        &ec2,
        O::DescribeAccountAttributes,
        json!({"AttributeNames": ["default-vpc"]}),
    );
    assert_eq!(
        attrs["AccountAttributes"][0]["AttributeValues"][0]["AttributeValue"],
        default_vpc_id(ACCOUNT).as_str()
    );
    let all = ok(&ec2, O::DescribeAccountAttributes, json!({}));
    assert_eq!(all["AccountAttributes"].as_array().map(Vec::len), Some(6));
    let dns = ok(
        &ec2,
        O::DescribeVpcAttribute,
        json!({"VpcId": default_vpc_id(ACCOUNT), "Attribute": "enableDnsHostnames"}),
    );
    assert_eq!(dns["EnableDnsHostnames"]["Value"], true);
    assert_eq!(
        code(
            &ec2,
            O::DescribeVpcAttribute,
            json!({"VpcId": "vpc-1", "Attribute": "enableDnsSupport"})
        ),
        "InvalidVpcID.NotFound"
    );
    assert_eq!(
        code(
            &ec2,
            O::DescribeVpcAttribute,
            json!({"VpcId": default_vpc_id(ACCOUNT)})
        ),
        "MissingParameter"
    );
    let none = ok(
        &ec2,
        O::DescribeNetworkInterfaces,
        json!({"Filters": [{"Name": "group-id", "Values": ["sg-1"]}]}),
    );
    assert_eq!(none["NetworkInterfaces"], json!([]));
}

#[test]
fn the_vpc_and_subnets_take_tags_that_filters_and_describe_tags_see() {
    let ec2 = ec2();
    let vpc = default_vpc_id(ACCOUNT);
    let a = default_subnet_id(ACCOUNT, "us-east-1a");
    ok(
        &ec2,
        O::CreateTags,
        json!({"Resources": [vpc, a], "Tags": [{"Key": "Name", "Value": "main"}, {"Key": "tier"}]}),
    );
    let v = ok(&ec2, O::DescribeVpcs, json!({}));
    assert_eq!(
        v["Vpcs"][0]["Tags"],
        json!([{"Key": "Name", "Value": "main"}, {"Key": "tier", "Value": ""}])
    );
    let tagged = ok(
        &ec2,
        O::DescribeSubnets,
        json!({"Filters": [{"Name": "tag:Name", "Values": ["main"]}]}),
    );
    assert_eq!(tagged["Subnets"].as_array().map(Vec::len), Some(1));
    let keyed = ok(
        &ec2,
        O::DescribeSubnets,
        json!({"Filters": [{"Name": "tag-key", "Values": ["tier"]}]}),
    );
    assert_eq!(keyed["Subnets"][0]["SubnetId"], a.as_str());
    let tags = ok(
        &ec2,
        O::DescribeTags,
        json!({"Filters": [{"Name": "resource-type", "Values": ["vpc"]}]}),
    );
    assert_eq!(tags["Tags"].as_array().map(Vec::len), Some(2));
    assert_eq!(tags["Tags"][0]["ResourceId"], vpc.as_str());
    // A value named deletes only if it matches; no tags named deletes them all.
    ok(
        &ec2,
        O::DeleteTags,
        json!({"Resources": [vpc], "Tags": [{"Key": "Name", "Value": "other"}]}),
    );
    assert_eq!(
        ok(&ec2, O::DescribeVpcs, json!({}))["Vpcs"][0]["Tags"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    ok(&ec2, O::DeleteTags, json!({"Resources": [vpc]}));
    assert_eq!(
        ok(&ec2, O::DescribeVpcs, json!({}))["Vpcs"][0]["Tags"],
        json!([])
    );
    assert_eq!(
        code(
            &ec2,
            O::CreateTags,
            json!({"Resources": ["vpc-0"], "Tags": [{"Key": "a"}]})
        ),
        "InvalidVpcID.NotFound"
    );
    assert_eq!(
        code(
            &ec2,
            O::CreateTags,
            json!({"Resources": ["i-0"], "Tags": [{"Key": "a"}]})
        ),
        "InvalidID"
    );
    assert_eq!(
        code(
            &ec2,
            O::CreateTags,
            json!({"Resources": [a], "Tags": [{"Key": "aws:a"}]})
        ),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(&ec2, O::CreateTags, json!({"Resources": [a]})),
        "MissingParameter"
    );
}

#[test]
fn the_ec2_form_comes_back_as_ec2_xml() {
    let ec2 = ec2();
    let xml = form(&ec2, "Action=DescribeSubnets&Version=2016-11-15&Filter.1.Name=availability-zone&Filter.1.Value.1=us-east-1b")
        .expect("answer");
    assert!(xml.starts_with("<DescribeSubnetsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r-1</requestId><subnetSet><item>"), "{xml}");
    assert!(xml.contains("<availabilityZone>us-east-1b</availabilityZone>"));
    assert!(xml.contains("<defaultForAz>true</defaultForAz>"));
    assert_eq!(xml.matches("<subnetId>").count(), 1);
    let e = form(
        &ec2,
        "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-nope",
    )
    .err();
    assert_eq!(e.map(|e| e.code()), Some("InvalidVpcID.NotFound"));
}

//! Whatever a client sends to any EC2 operation, the answer is a success or a 4xx error:
//! never a panic, never a server error.

mod common;

use berth_ec2_model::Operation;
use common::*;
use proptest::prelude::*;

const BODIES: &[&str] = &[
    "", "{}", "[]", "null", "\"x\"", "{\"GroupId\":1}", "{\"GroupId\":\"\"}",
    "{\"GroupId\":\"nope\"}", "{\"GroupId\":\"sg-nope\"}", "{\"GroupName\":\"nope\"}",
    "{\"GroupName\":\"\",\"Description\":\"\"}", "{\"GroupName\":\"sg-x\",\"Description\":\"d\"}",
    "{\"GroupName\":\"default\",\"Description\":\"d\"}",
    "{\"GroupName\":\"é\",\"Description\":\"\u{0}\"}",
    "{\"GroupName\":\"n\",\"Description\":\"d\",\"VpcId\":\"vpc-nope\"}",
    "{\"GroupId\":\"SG\",\"IpPermissions\":[{}]}",
    "{\"GroupId\":\"SG\",\"IpPermissions\":[{\"IpProtocol\":\"tcp\"}]}",
    "{\"GroupId\":\"SG\",\"IpPermissions\":[{\"IpProtocol\":\"tcp\",\"FromPort\":90,\"ToPort\":80,\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\"}]}]}",
    "{\"GroupId\":\"SG\",\"IpPermissions\":[{\"IpProtocol\":\"icmp\",\"FromPort\":-1,\"ToPort\":4,\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\"}]}]}",
    "{\"GroupId\":\"SG\",\"IpPermissions\":[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":\"300.0.0.0/0\"}]}]}",
    "{\"GroupId\":\"SG\",\"IpPermissions\":[{\"IpProtocol\":\"-1\",\"IpRanges\":[{}]}]}",
    "{\"GroupId\":\"SG\",\"IpPermissions\":[{\"IpProtocol\":\"-1\",\"UserIdGroupPairs\":[{}]}]}",
    "{\"GroupId\":\"SG\",\"IpPermissions\":[{\"IpProtocol\":\"-1\",\"UserIdGroupPairs\":[{\"GroupId\":\"sg-none\"}]}]}",
    "{\"GroupId\":\"SG\",\"IpPermissions\":[{\"IpProtocol\":\"-1\",\"Ipv6Ranges\":[{\"CidrIpv6\":\"10.0.0.0/8\"}]}]}",
    "{\"GroupId\":\"SG\",\"IpPermissions\":[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\",\"Description\":\"\u{1}\"}]}]}",
    "{\"GroupId\":\"SG\",\"SecurityGroupRuleIds\":[\"sgr-nope\"]}",
    "{\"GroupId\":\"SG\",\"SecurityGroupRules\":[{\"SecurityGroupRuleId\":\"sgr-nope\"}]}",
    "{\"GroupId\":\"SG\",\"SecurityGroupRuleDescriptions\":[{\"SecurityGroupRuleId\":\"sgr-nope\"}]}",
    "{\"GroupId\":\"SG\",\"TagSpecifications\":[{\"ResourceType\":\"vpc\"}],\"IpProtocol\":\"-1\",\"CidrIp\":\"0.0.0.0/0\"}",
    "{\"Resources\":[],\"Tags\":[]}", "{\"Resources\":[\"i-1\"],\"Tags\":[{\"Key\":\"a\"}]}",
    "{\"Resources\":[\"SG\"],\"Tags\":[{\"Key\":\"aws:x\"}]}",
    "{\"Resources\":[\"vpc-nope\"],\"Tags\":[{\"Key\":\"a\",\"Value\":\"b\"}]}",
    "{\"Resources\":[\"subnet-nope\"],\"Tags\":[{}]}",
    "{\"Filters\":[{\"Name\":\"nope\",\"Values\":[\"x\"]}]}", "{\"Filters\":[{\"Values\":[\"x\"]}]}",
    "{\"Filters\":[{\"Name\":\"vpc-id\"}]}", "{\"NextToken\":\"zz\"}", "{\"MaxResults\":1}",
    "{\"MaxResults\":100000}", "{\"VpcIds\":[\"vpc-nope\"]}", "{\"SubnetIds\":[\"x\"]}",
    "{\"GroupIds\":[\"sg-nope\"]}", "{\"GroupNames\":[\"nope\"]}", "{\"ZoneNames\":[\"mars-1a\"]}",
    "{\"RegionNames\":[\"mars-1\"]}", "{\"NetworkInterfaceIds\":[\"eni-1\"]}",
    "{\"VpcId\":\"vpc-nope\",\"Attribute\":\"enableDnsSupport\"}", "{\"Attribute\":\"colour\"}",
    "{\"AttributeNames\":[\"colour\"]}", "{\"SecurityGroupRuleIds\":[\"sgr-nope\"]}",
];

#[test]
fn every_operation_answers_client_mistakes_with_4xx() {
    let ec2 = ec2();
    let sg = group(&ec2, "web");
    let before = ec2.snapshot().security_groups.len();
    for op in Operation::ALL {
        for body in BODIES {
            let body = body.replace("SG", &sg);
            if let Err(e) = ec2.handle(&ctx(), *op, body.as_bytes()) {
                assert!(e.status() < 500, "{}: {e:?} for {body}", op.name());
            }
        }
    }
    // DeleteSecurityGroup with the bodies above names no deletable group but `web`…
    let after = ec2.snapshot().security_groups.len();
    assert!(after <= before);
}

#[test]
fn a_dry_run_changes_nothing() {
    let ec2 = ec2();
    let body = serde_json::json!({"GroupName": "dry", "Description": "d", "DryRun": true});
    assert_eq!(
        code(&ec2, Operation::CreateSecurityGroup, body),
        "DryRunOperation"
    );
    let e = call(
        &ec2,
        Operation::DescribeVpcs,
        serde_json::json!({"DryRun": true}),
    );
    assert_eq!(e.err().map(|e| e.status()), Some(412));
    assert!(ec2.snapshot().security_groups.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_bodies_never_make_a_server_error(body in proptest::collection::vec(any::<u8>(), 0..200), which in 0usize..1000) {
        let ec2 = ec2();
        let op = Operation::ALL[which % Operation::ALL.len()];
        if let Err(e) = ec2.handle(&ctx(), op, &body) {
            prop_assert!(e.status() < 500);
        }
    }

    #[test]
    fn arbitrary_forms_never_make_a_server_error(
        pairs in proptest::collection::vec(
            ("(GroupId|GroupName|IpPermissions|IpProtocol|FromPort|ToPort|IpRanges|CidrIp|Groups|Filter|Name|Value|ResourceId|Tag|Key|1|2|\\.){1,6}",
             "(sg-[a-f0-9]{0,3}|tcp|-1|0\\.0\\.0\\.0/0|[a-z0-9%.=+]{0,6})"), 0..10),
        which in 0usize..1000,
    ) {
        let ec2 = ec2();
        let op = Operation::ALL[which % Operation::ALL.len()];
        let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let body = format!("Action={}&{}", op.name(), body.join("&"));
        if let Ok((_, doc)) = berth_aws::protocol::ec2::parse_request(body.as_bytes(), &berth_ec2_model::schema::SCHEMA) {
            if let Err(e) = ec2.handle(&ctx(), op, doc.to_string().as_bytes()) {
                prop_assert!(e.status() < 500, "{e:?}");
            }
        }
    }
}

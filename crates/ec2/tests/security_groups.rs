//! Security groups and their rules: the default group, create-authorize-describe-revoke-
//! delete, rule ids, modification, descriptions, tags, and EC2's errors.

mod common;

use berth_ec2::network::{default_group_id, default_vpc_id};
use berth_ec2_model::Operation as O;
use common::*;
use serde_json::{json, Value};

fn tcp(port: i32, cidr: &str) -> Value {
    json!({"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]})
}

#[test]
fn the_default_group_lets_its_members_in_and_everything_out() {
    let ec2 = ec2();
    let id = default_group_id(ACCOUNT);
    let g = describe_group(&ec2, &id);
    assert_eq!(g["GroupName"], "default");
    assert_eq!(g["Description"], "default VPC security group");
    assert_eq!(g["VpcId"], default_vpc_id(ACCOUNT).as_str());
    assert_eq!(g["IpPermissions"][0]["IpProtocol"], "-1");
    assert_eq!(
        g["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"],
        id.as_str()
    );
    assert_eq!(
        g["IpPermissionsEgress"][0]["IpRanges"][0]["CidrIp"],
        "0.0.0.0/0"
    );
    let by_name = ok(
        &ec2,
        O::DescribeSecurityGroups,
        json!({"GroupNames": ["default"]}),
    );
    assert_eq!(by_name["SecurityGroups"][0]["GroupId"], id.as_str());
    assert_eq!(
        code(&ec2, O::DeleteSecurityGroup, json!({"GroupId": id})),
        "CannotDelete"
    );
    assert_eq!(
        code(
            &ec2,
            O::DeleteSecurityGroup,
            json!({"GroupName": "default"})
        ),
        "CannotDelete"
    );
    // Its rules can change; the change is kept.
    ok(
        &ec2,
        O::AuthorizeSecurityGroupIngress,
        json!({"GroupId": id, "IpPermissions": [tcp(22, "10.0.0.0/8")]}),
    );
    ok(
        &ec2,
        O::RevokeSecurityGroupEgress,
        json!({"GroupId": id, "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}),
    );
    let g = describe_group(&ec2, &id);
    assert_eq!(g["IpPermissions"].as_array().map(Vec::len), Some(2));
    assert_eq!(g["IpPermissionsEgress"], json!([]));
    assert_eq!(
        ok(&ec2, O::DescribeSecurityGroups, json!({}))["SecurityGroups"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[test]
fn a_group_is_created_authorized_described_revoked_and_deleted() {
    let ec2 = ec2();
    let id = group(&ec2, "web");
    assert!(id.starts_with("sg-") && id.len() == 20, "{id}");
    let g = describe_group(&ec2, &id);
    assert_eq!(
        (g["GroupName"].clone(), g["Description"].clone()),
        (json!("web"), json!("web group"))
    );
    assert_eq!(g["IpPermissions"], json!([]));
    assert_eq!(
        g["IpPermissionsEgress"][0]["IpProtocol"], "-1",
        "new groups let everything out"
    );
    let out = ok(
        &ec2,
        O::AuthorizeSecurityGroupIngress,
        json!({
            "GroupId": id,
            "IpPermissions": [tcp(80, "0.0.0.0/0"), {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]
        }),
    );
    assert_eq!(out["Return"], true);
    let rules = out["SecurityGroupRules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(rules.len(), 3);
    assert!(rules.iter().all(|r| r["SecurityGroupRuleId"]
        .as_str()
        .is_some_and(|s| s.starts_with("sgr-"))));
    assert_eq!(rules[1]["Description"], "https");
    let g = describe_group(&ec2, &id);
    let perms = g["IpPermissions"].as_array().cloned().unwrap_or_default();
    assert_eq!(perms.len(), 2);
    assert_eq!(perms[1]["Ipv6Ranges"][0]["CidrIpv6"], "::/0");
    assert_eq!(
        code(
            &ec2,
            O::AuthorizeSecurityGroupIngress,
            json!({"GroupId": id, "IpPermissions": [tcp(80, "0.0.0.0/0")]})
        ),
        "InvalidPermission.Duplicate"
    );
    // Nothing of a refused call is kept.
    assert_eq!(
        code(
            &ec2,
            O::AuthorizeSecurityGroupIngress,
            json!({"GroupId": id, "IpPermissions": [tcp(81, "0.0.0.0/0"), tcp(80, "0.0.0.0/0")]})
        ),
        "InvalidPermission.Duplicate"
    );
    assert_eq!(
        describe_group(&ec2, &id)["IpPermissions"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    // Revoked by permission (an unknown one is answered, not refused) and by rule id.
    let out = ok(
        &ec2,
        O::RevokeSecurityGroupIngress,
        json!({"GroupId": id, "IpPermissions": [tcp(80, "0.0.0.0/0"), tcp(8080, "0.0.0.0/0")]}),
    );
    assert_eq!(
        out["RevokedSecurityGroupRules"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(out["UnknownIpPermissions"][0]["FromPort"], 8080);
    let v6 = rules[2]["SecurityGroupRuleId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ok(
        &ec2,
        O::RevokeSecurityGroupIngress,
        json!({"GroupId": id, "SecurityGroupRuleIds": [v6]}),
    );
    assert_eq!(
        code(
            &ec2,
            O::RevokeSecurityGroupIngress,
            json!({"GroupId": id, "SecurityGroupRuleIds": [v6]})
        ),
        "InvalidSecurityGroupRuleId.NotFound"
    );
    let g = describe_group(&ec2, &id);
    assert_eq!(g["IpPermissions"][0]["IpRanges"][0]["Description"], "https");
    assert_eq!(g["IpPermissions"][0]["Ipv6Ranges"], json!([]));
    let deleted = ok(&ec2, O::DeleteSecurityGroup, json!({"GroupId": id}));
    assert_eq!(deleted["Return"], true);
    assert_eq!(
        code(&ec2, O::DescribeSecurityGroups, json!({"GroupIds": [id]})),
        "InvalidGroup.NotFound"
    );
    assert_eq!(
        code(&ec2, O::DeleteSecurityGroup, json!({"GroupId": id})),
        "InvalidGroup.NotFound"
    );
}

#[test]
fn names_are_unique_and_checked() {
    let ec2 = ec2();
    group(&ec2, "api");
    let again = json!({"GroupName": "api", "Description": "again"});
    assert_eq!(
        code(&ec2, O::CreateSecurityGroup, again),
        "InvalidGroup.Duplicate"
    );
    assert_eq!(
        code(
            &ec2,
            O::CreateSecurityGroup,
            json!({"GroupName": "default", "Description": "d"})
        ),
        "InvalidGroup.Reserved"
    );
    assert_eq!(
        code(
            &ec2,
            O::CreateSecurityGroup,
            json!({"GroupName": "sg-1", "Description": "d"})
        ),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(&ec2, O::CreateSecurityGroup, json!({"GroupName": "x"})),
        "MissingParameter"
    );
    assert_eq!(
        code(
            &ec2,
            O::CreateSecurityGroup,
            json!({"GroupName": "x", "Description": "d", "VpcId": "vpc-0"})
        ),
        "InvalidVpcID.NotFound"
    );
    assert_eq!(
        code(
            &ec2,
            O::DescribeSecurityGroups,
            json!({"GroupIds": ["nope"]})
        ),
        "InvalidGroupId.Malformed"
    );
    assert_eq!(
        code(
            &ec2,
            O::DescribeSecurityGroups,
            json!({"GroupNames": ["nope"]})
        ),
        "InvalidGroup.NotFound"
    );
}

#[test]
fn groups_referring_to_a_group_keep_it() {
    let ec2 = ec2();
    let db = group(&ec2, "db");
    let app = group(&ec2, "app");
    ok(
        &ec2,
        O::AuthorizeSecurityGroupIngress,
        json!({"GroupId": db, "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app, "Description": "app"}]}]}),
    );
    let g = describe_group(&ec2, &db);
    assert_eq!(
        g["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"],
        app.as_str()
    );
    assert_eq!(
        g["IpPermissions"][0]["UserIdGroupPairs"][0]["UserId"],
        ACCOUNT
    );
    let by_peer = ok(
        &ec2,
        O::DescribeSecurityGroups,
        json!({"Filters": [{"Name": "ip-permission.group-name", "Values": ["app"]}]}),
    );
    assert_eq!(by_peer["SecurityGroups"][0]["GroupId"], db.as_str());
    assert_eq!(
        code(&ec2, O::DeleteSecurityGroup, json!({"GroupId": app})),
        "DependencyViolation"
    );
    // The older form: a source group by name grants all TCP, UDP and ICMP.
    let web = group(&ec2, "web");
    ok(
        &ec2,
        O::AuthorizeSecurityGroupIngress,
        json!({"GroupName": "web", "SourceSecurityGroupName": "app"}),
    );
    let g = describe_group(&ec2, &web);
    assert_eq!(g["IpPermissions"].as_array().map(Vec::len), Some(3));
    ok(
        &ec2,
        O::RevokeSecurityGroupIngress,
        json!({"GroupName": "web", "SourceSecurityGroupName": "app"}),
    );
    ok(
        &ec2,
        O::RevokeSecurityGroupIngress,
        json!({"GroupId": db, "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app}]}]}),
    );
    ok(&ec2, O::DeleteSecurityGroup, json!({"GroupName": "app"}));
}

#[test]
fn rules_are_described_modified_and_redescribed_by_id() {
    let ec2 = ec2();
    let id = group(&ec2, "svc");
    let out = ok(
        &ec2,
        O::AuthorizeSecurityGroupIngress,
        json!({"GroupId": id, "IpPermissions": [tcp(80, "10.0.0.0/8")],
        "TagSpecifications": [{"ResourceType": "security-group-rule", "Tags": [{"Key": "purpose", "Value": "http"}]}]}),
    );
    let rule = out["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(out["SecurityGroupRules"][0]["Tags"][0]["Value"], "http");
    let listed = ok(
        &ec2,
        O::DescribeSecurityGroupRules,
        json!({"Filters": [{"Name": "group-id", "Values": [id]}]}),
    );
    let rules = listed["SecurityGroupRules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(rules.len(), 2, "the rule and the default egress");
    let egress = rules
        .iter()
        .find(|r| r["IsEgress"] == true)
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (egress["FromPort"].clone(), egress["CidrIpv4"].clone()),
        (json!(-1), json!("0.0.0.0/0"))
    );
    ok(
        &ec2,
        O::ModifySecurityGroupRules,
        json!({"GroupId": id, "SecurityGroupRules": [{"SecurityGroupRuleId": rule,
        "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8081, "CidrIpv4": "10.1.0.0/16", "Description": "moved"}}]}),
    );
    let one = ok(
        &ec2,
        O::DescribeSecurityGroupRules,
        json!({"SecurityGroupRuleIds": [rule]}),
    );
    let r = &one["SecurityGroupRules"][0];
    assert_eq!(
        (
            r["FromPort"].clone(),
            r["ToPort"].clone(),
            r["CidrIpv4"].clone()
        ),
        (json!(8080), json!(8081), json!("10.1.0.0/16"))
    );
    assert_eq!(r["Tags"][0]["Key"], "purpose", "tags stay with the rule");
    ok(
        &ec2,
        O::UpdateSecurityGroupRuleDescriptionsIngress,
        json!({"GroupId": id, "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8081, "IpRanges": [{"CidrIp": "10.1.0.0/16", "Description": "again"}]}]}),
    );
    let g = describe_group(&ec2, &id);
    assert_eq!(g["IpPermissions"][0]["IpRanges"][0]["Description"], "again");
    assert_eq!(
        code(
            &ec2,
            O::UpdateSecurityGroupRuleDescriptionsIngress,
            json!({"GroupId": id, "IpPermissions": [tcp(1, "10.1.0.0/16")]})
        ),
        "InvalidPermission.NotFound"
    );
    let egress_id = egress["SecurityGroupRuleId"].as_str().unwrap_or_default();
    ok(
        &ec2,
        O::UpdateSecurityGroupRuleDescriptionsEgress,
        json!({"GroupId": id, "SecurityGroupRuleDescriptions": [
        {"SecurityGroupRuleId": egress_id, "Description": "out"}]}),
    );
    assert_eq!(
        describe_group(&ec2, &id)["IpPermissionsEgress"][0]["IpRanges"][0]["Description"],
        "out"
    );
    assert_eq!(
        code(
            &ec2,
            O::DescribeSecurityGroupRules,
            json!({"SecurityGroupRuleIds": ["sgr-0"]})
        ),
        "InvalidSecurityGroupRuleId.NotFound"
    );
    // Rules take tags like groups do.
    ok(
        &ec2,
        O::CreateTags,
        json!({"Resources": [egress_id, id], "Tags": [{"Key": "team", "Value": "core"}]}),
    );
    let tags = ok(
        &ec2,
        O::DescribeTags,
        json!({"Filters": [{"Name": "key", "Values": ["team"]}]}),
    );
    let kinds: Vec<&str> = tags["Tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["ResourceType"].as_str())
        .collect();
    assert_eq!(kinds.len(), 2);
    assert!(kinds.contains(&"security-group") && kinds.contains(&"security-group-rule"));
    let tagged = ok(
        &ec2,
        O::DescribeSecurityGroups,
        json!({"Filters": [{"Name": "tag:team", "Values": ["core"]}]}),
    );
    assert_eq!(tagged["SecurityGroups"][0]["GroupId"], id.as_str());
}

#[test]
fn groups_are_paged_and_kept_apart_by_account() {
    let ec2 = ec2();
    for i in 0..7 {
        group(&ec2, &format!("g{i}"));
    }
    let first = ok(&ec2, O::DescribeSecurityGroups, json!({"MaxResults": 5}));
    assert_eq!(first["SecurityGroups"].as_array().map(Vec::len), Some(5));
    let token = first["NextToken"].as_str().unwrap_or_default();
    let rest = ok(
        &ec2,
        O::DescribeSecurityGroups,
        json!({"MaxResults": 5, "NextToken": token}),
    );
    assert_eq!(
        rest["SecurityGroups"].as_array().map(Vec::len),
        Some(3),
        "7 and the default"
    );
    assert!(rest.get("NextToken").is_none());
    let other = berth_aws::RequestContext::for_account("111111111111", REGION);
    let out = ec2
        .handle(&other, O::DescribeSecurityGroups, b"{}")
        .expect("describe");
    let out: Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(out["SecurityGroups"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        out["SecurityGroups"][0]["GroupId"],
        default_group_id("111111111111").as_str()
    );
}

#[test]
fn the_ec2_form_authorizes_as_clients_send_it() {
    let ec2 = ec2();
    let id = group(&ec2, "form");
    let body = format!(
        "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId={id}\
         &IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22\
         &IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8&IpPermissions.1.IpRanges.1.Description=ssh\
         &IpPermissions.2.IpProtocol=-1&IpPermissions.2.Groups.1.GroupId={id}"
    );
    let xml = form(&ec2, &body).expect("answer");
    assert!(xml.contains("<return>true</return>"), "{xml}");
    assert!(
        xml.contains("<securityGroupRuleSet><item><securityGroupRuleId>sgr-"),
        "{xml}"
    );
    let xml = form(
        &ec2,
        &format!("Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1={id}"),
    )
    .expect("answer");
    assert!(
        xml.contains("<ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort>"),
        "{xml}"
    );
    // Members in the model's order.
    assert!(xml.contains("<ipRanges><item><description>ssh</description><cidrIp>10.0.0.0/8</cidrIp></item></ipRanges>"), "{xml}");
    assert!(
        xml.contains(&format!(
            "<groups><item><userId>{ACCOUNT}</userId><groupId>{id}</groupId></item></groups>"
        )),
        "{xml}"
    );
    assert!(
        xml.contains("<ipPermissionsEgress><item><ipProtocol>-1</ipProtocol>"),
        "{xml}"
    );
}

//! What the EC2 tests share: an EC2 over a memory store, calls by JSON document or by the
//! `ec2` protocol's form (through the generated schema, as the server transcodes them).

#![allow(dead_code)]

use std::sync::Arc;

use berth_aws::protocol::ec2;
use berth_aws::RequestContext;
use berth_ec2::{Ec2, Ec2Error};
use berth_ec2_model::schema::SCHEMA;
use berth_ec2_model::Operation;
use serde_json::Value;

pub const ACCOUNT: &str = "000000000000";
pub const REGION: &str = "us-east-1";

pub fn ec2() -> Ec2 {
    Ec2::open(Arc::new(berth_store::MemStore::default()), REGION).expect("open")
}

pub fn ctx() -> RequestContext {
    RequestContext::for_account(ACCOUNT, REGION)
}

/// Calls `op` with a JSON document.
pub fn call(ec2: &Ec2, op: Operation, body: Value) -> Result<Value, Ec2Error> {
    let out = ec2.handle(&ctx(), op, body.to_string().as_bytes())?;
    Ok(serde_json::from_slice(&out).expect("the answer is JSON"))
}

pub fn ok(ec2: &Ec2, op: Operation, body: Value) -> Value {
    match call(ec2, op, body) {
        Ok(v) => v,
        Err(e) => panic!("{}: {e:?}", op.name()),
    }
}

/// The code `op` fails with.
pub fn code(ec2: &Ec2, op: Operation, body: Value) -> String {
    match call(ec2, op, body) {
        Ok(v) => panic!("{} succeeded: {v}", op.name()),
        Err(e) => e.code().to_owned(),
    }
}

/// Calls with an `ec2` form body as a client sends it; answers the XML EC2 answers.
pub fn form(ec2: &Ec2, body: &str) -> Result<String, Ec2Error> {
    let (action, doc) = ec2::parse_request(body.as_bytes(), &SCHEMA).expect("a valid form");
    let op = Operation::from_name(&action).expect("an operation");
    let out = ec2.handle(&ctx(), op, doc.to_string().as_bytes())?;
    let out: Value = serde_json::from_slice(&out).expect("the answer is JSON");
    let xml = ec2::render_response(&SCHEMA, &action, &out, "r-1");
    Ok(String::from_utf8(xml).expect("UTF-8"))
}

/// Creates a security group in the default VPC; answers its id.
pub fn group(ec2: &Ec2, name: &str) -> String {
    let out = ok(
        ec2,
        Operation::CreateSecurityGroup,
        serde_json::json!({"GroupName": name, "Description": format!("{name} group")}),
    );
    out["GroupId"].as_str().expect("GroupId").to_owned()
}

pub fn describe_group(ec2: &Ec2, id: &str) -> Value {
    let out = ok(
        ec2,
        Operation::DescribeSecurityGroups,
        serde_json::json!({"GroupIds": [id]}),
    );
    out["SecurityGroups"][0].clone()
}

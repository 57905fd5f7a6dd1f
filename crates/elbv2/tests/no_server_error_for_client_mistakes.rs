//! Whatever a client sends to any ELB operation, the answer is a success or a 4xx error:
//! never a panic, never a server error.

mod common;

use berth_elbv2_model::Operation;
use common::*;
use proptest::prelude::*;

const BODIES: &[&str] = &[
    "", "{}", "[]", "null", "{\"Name\":1}", "{\"Name\":\"\"}",
    "{\"LoadBalancerArn\":\"LB\"}", "{\"LoadBalancerArn\":\"arn:bad\"}",
    "{\"TargetGroupArn\":\"TG\",\"Targets\":[{\"Id\":\"\"}]}",
    "{\"TargetGroupArn\":\"TG\",\"Targets\":[{\"Id\":\"10.0.0.1\",\"Port\":-1}]}",
    "{\"TargetGroupArn\":\"TG\",\"Attributes\":[{\"Key\":\"stickiness.enabled\",\"Value\":\"maybe\"}]}",
    "{\"ListenerArn\":\"LS\",\"Priority\":1,\"Conditions\":[{\"Field\":\"path-pattern\"}],\"Actions\":[{\"Type\":\"forward\"}]}",
    "{\"ListenerArn\":\"LS\",\"Priority\":2,\"Conditions\":[{\"Field\":\"query-string\",\"QueryStringConfig\":{\"Values\":[{\"Key\":\"a\"}]}}],\"Actions\":[{\"Type\":\"fixed-response\",\"FixedResponseConfig\":{\"StatusCode\":\"x\"}}]}",
    "{\"LoadBalancerArn\":\"LB\",\"Protocol\":\"HTTP\",\"Port\":99999,\"DefaultActions\":[{\"Type\":\"redirect\"}]}",
    "{\"LoadBalancerArn\":\"LB\",\"Attributes\":[{\"Key\":\"idle_timeout.timeout_seconds\",\"Value\":\"-1\"}]}",
    "{\"ResourceArns\":[],\"Tags\":[]}", "{\"ResourceArns\":[\"LB\"],\"Tags\":[{\"Key\":\"aws:x\"}]}",
    "{\"RulePriorities\":[{\"RuleArn\":\"arn:bad\",\"Priority\":1}]}",
    "{\"Names\":[\"nope\"]}", "{\"Marker\":\"zz\"}", "{\"PageSize\":0}",
    "{\"Name\":\"x\",\"Subnets\":[\"subnet-a\",\"subnet-b\"],\"Type\":\"gateway\"}",
    "{\"Name\":\"x\",\"Protocol\":\"HTTP\",\"Port\":80,\"VpcId\":\"vpc-1\",\"Matcher\":{\"GrpcCode\":\"1\"}}",
];

#[test]
fn every_operation_answers_client_mistakes_with_4xx() {
    let elb = elb();
    let lb = load_balancer(&elb, "web");
    let tg = target_group(&elb, "web");
    let ls = listener(&elb, &lb, 80, &tg);
    let before = (
        elb.snapshot().load_balancers.len(),
        elb.snapshot().listeners.len(),
        elb.snapshot().rules.len(),
    );
    for op in Operation::ALL {
        if matches!(
            op,
            Operation::DeleteLoadBalancer
                | Operation::DeleteTargetGroup
                | Operation::DeleteListener
        ) {
            continue; // they would succeed, and change what the next bodies meet
        }
        for body in BODIES {
            let body = body
                .replace("LB", &lb)
                .replace("TG", &tg)
                .replace("LS", &ls);
            if let Err(e) = elb.handle(&ctx(), *op, body.as_bytes()) {
                assert!(e.status() < 500, "{}: {e:?} for {body}", op.name());
            }
        }
    }
    let after = (
        elb.snapshot().load_balancers.len(),
        elb.snapshot().listeners.len(),
        elb.snapshot().rules.len(),
    );
    assert_eq!(before, after);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_bodies_never_make_a_server_error(body in proptest::collection::vec(any::<u8>(), 0..200), which in 0usize..1000) {
        let elb = elb();
        let op = Operation::ALL[which % Operation::ALL.len()];
        if let Err(e) = elb.handle(&ctx(), op, &body) {
            prop_assert!(e.status() < 500);
        }
    }
}

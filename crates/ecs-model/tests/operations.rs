//! The protocol facts generated into `operations.rs`.

use berth_ecs_model::operations::{self, Operation};

#[test]
fn protocol_facts() {
    assert_eq!(
        operations::TARGET_PREFIX,
        "AmazonEC2ContainerServiceV20141113"
    );
    assert_eq!(operations::SIGNING_NAME, "ecs");
    assert_eq!(operations::ENDPOINT_PREFIX, "ecs");
    assert_eq!(operations::JSON_VERSION, "1.1");
    assert_eq!(operations::API_VERSION, "2014-11-13");
    assert_eq!(operations::PROTOCOLS, ["json"]);
    assert_eq!(
        Operation::RunTask.input_shape(),
        Some("RunTaskRequest"),
        "input shape"
    );
    assert_eq!(Operation::RunTask.output_shape(), Some("RunTaskResponse"));
}

#[test]
fn error_table() {
    // The server answers ServerException with 500 (berth-server's wire.rs); the table agrees.
    let e = operations::error_info("ServerException").expect("declared");
    assert_eq!((e.http_status, e.sender_fault), (500, false));
    let e = operations::error_info("ClusterNotFoundException").expect("declared");
    assert_eq!(
        (e.code, e.http_status, e.sender_fault),
        ("ClusterNotFoundException", 400, true)
    );
}

//! Run inside a task's container, with no configuration at all, as an application would:
//! the AWS SDK's default chain finds the task role's credentials (the ECS container
//! credentials endpoint) and Berth's endpoint and region from the environment the agent
//! gives. Prints one line per call — `NAME=ok …` or `NAME=<error code>` — for the test
//! to read from the container's log, then waits to be stopped.

use aws_config::BehaviorVersion;
use aws_sdk_ecs::error::ProvideErrorMetadata;

fn outcome<T, E: ProvideErrorMetadata + std::fmt::Debug>(r: &Result<T, E>) -> String {
    match r {
        Ok(_) => "ok".to_owned(),
        Err(e) => e
            .code()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{e:?}").replace('\n', " ")),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .load()
        .await;
    let me = aws_sdk_sts::Client::new(&config)
        .get_caller_identity()
        .send()
        .await;
    match &me {
        Ok(o) => println!("IDENTITY=ok {}", o.arn().unwrap_or_default()),
        Err(e) => println!(
            "IDENTITY={}",
            e.code()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{e:?}").replace('\n', " "))
        ),
    }
    let ecs = aws_sdk_ecs::Client::new(&config);
    println!(
        "DESCRIBE={}",
        outcome(&ecs.describe_clusters().send().await)
    );
    println!(
        "CREATE={}",
        outcome(&ecs.create_cluster().cluster_name("probe").send().await)
    );
    println!("DONE");
    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
}

//! The services' background jobs, each a loop on the runtime: woken or on its period, run on
//! a blocking thread, again at once while it says it has more to do.

use std::sync::Arc;

use berth_aws::service::{Job, Service};

pub fn spawn(service: Arc<dyn Service>) {
    let name = service.info().name;
    for job in service.jobs() {
        tokio::spawn(run(name, job));
    }
}

async fn run(service: &'static str, job: Job) {
    loop {
        match &job.wake {
            Some(wake) => {
                tokio::select! {
                    _ = wake.notified() => {
                        // Let a burst of changes land before the pass.
                        tokio::time::sleep(job.settle).await;
                    }
                    _ = tokio::time::sleep(job.period) => {}
                }
            }
            None => tokio::time::sleep(job.period).await,
        }
        loop {
            let run = job.run.clone();
            match tokio::task::spawn_blocking(move || run()).await {
                Ok(Ok(true)) => continue,
                Ok(Ok(false)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(service, job = job.name, error = %e, "background job failed")
                }
                Err(e) => {
                    tracing::warn!(service, job = job.name, error = %e, "background job panicked")
                }
            }
            break;
        }
    }
}

//! `berth bench services --real --load-balancer`: the rolling deployment behind an
//! Application Load Balancer made through the ELBv2 API (AWS Query), with a client hammering
//! the load balancer over keep-alive connections the whole time and counting every request
//! that did not get a 200.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use berth_client::{xml, Client};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

use super::placement::percentile;

const ELB: &str = "elasticloadbalancing";
const ELB_VERSION: &str = "2015-12-01";
const EC2: &str = "ec2";
const EC2_VERSION: &str = "2016-11-15";
const NAME: &str = "bench-roll";

/// The load balancer the service's tasks register with.
pub(super) struct LoadBalancer {
    pub target_group_arn: String,
    pub load_balancer_arn: String,
    /// Where its listener is, from its DNS name through the system resolver.
    pub address: SocketAddr,
}

fn one(xml_text: &str, name: &str) -> Result<String> {
    xml::first(xml_text, name).with_context(|| format!("no {name} in the answer"))
}

/// An internet-facing load balancer in the default VPC's first two subnets, an `instance`
/// target group for `port` with 5 s health checks, and an HTTP listener on port 80.
pub(super) async fn create(client: &mut Client, port: u16) -> Result<LoadBalancer> {
    let vpcs = client.query(EC2, EC2_VERSION, "DescribeVpcs", &[]).await?;
    let vpc = one(&vpcs, "vpcId")?;
    let subnets = client
        .query(EC2, EC2_VERSION, "DescribeSubnets", &[])
        .await?;
    let subnets = xml::all(&subnets, "subnetId");
    if subnets.len() < 2 {
        bail!("the default VPC has fewer than two subnets");
    }
    let lb = client
        .query(
            ELB,
            ELB_VERSION,
            "CreateLoadBalancer",
            &[
                ("Name", NAME),
                ("Subnets.member.1", &subnets[0]),
                ("Subnets.member.2", &subnets[1]),
            ],
        )
        .await?;
    let load_balancer_arn = one(&lb, "LoadBalancerArn")?;
    let dns_name = one(&lb, "DNSName")?;
    let port = port.to_string();
    let tg = client
        .query(
            ELB,
            ELB_VERSION,
            "CreateTargetGroup",
            &[
                ("Name", NAME),
                ("Protocol", "HTTP"),
                ("Port", &port),
                ("VpcId", &vpc),
                ("TargetType", "instance"),
                ("HealthCheckPath", "/"),
                ("HealthCheckIntervalSeconds", "5"),
                ("HealthCheckTimeoutSeconds", "2"),
                ("HealthyThresholdCount", "2"),
                ("UnhealthyThresholdCount", "2"),
            ],
        )
        .await?;
    let target_group_arn = one(&tg, "TargetGroupArn")?;
    client
        .query(
            ELB,
            ELB_VERSION,
            "CreateListener",
            &[
                ("LoadBalancerArn", &load_balancer_arn),
                ("Protocol", "HTTP"),
                ("Port", "80"),
                ("DefaultActions.member.1.Type", "forward"),
                ("DefaultActions.member.1.TargetGroupArn", &target_group_arn),
            ],
        )
        .await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let address = loop {
        if let Some(a) = tokio::net::lookup_host((dns_name.as_str(), 80))
            .await
            .ok()
            .and_then(|mut found| found.next())
        {
            break a;
        }
        if Instant::now() > deadline {
            bail!("{dns_name} never resolved (is the hosts file writable?)");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    Ok(LoadBalancer {
        target_group_arn,
        load_balancer_arn,
        address,
    })
}

/// Deletes the load balancer (its name leaves the hosts file with it).
pub(super) async fn delete(client: &mut Client, lb: &LoadBalancer) -> Result<()> {
    client
        .query(
            ELB,
            ELB_VERSION,
            "DeleteLoadBalancer",
            &[("LoadBalancerArn", &lb.load_balancer_arn)],
        )
        .await?;
    Ok(())
}

/// Waits until the load balancer answers 200 (its targets registered and healthy).
pub(super) async fn wait_serving(address: SocketAddr, limit: Duration) -> Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        if get_status(address).await == Some(200) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the load balancer at {address} did not answer 200 within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One GET / on a new connection: the status, if any answer came.
async fn get_status(address: SocketAddr) -> Option<u16> {
    let stream = tokio::net::TcpStream::connect(address).await.ok()?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
            .await
            .ok()?;
    tokio::spawn(conn);
    let request = hyper::Request::get("/")
        .header(hyper::header::HOST, address.to_string())
        .body(Empty::new())
        .ok()?;
    let response = sender.send_request(request).await.ok()?;
    Some(response.status().as_u16())
}

/// What one hammering connection saw.
#[derive(Default)]
struct Seen {
    ok: u64,
    /// Not a 200: by status, or `error` when no answer came.
    failed: BTreeMap<String, u64>,
    latencies_ms: Vec<f64>,
}

/// Clients sending GET / to the load balancer back to back until stopped.
pub(super) struct Hammer {
    stop: Arc<AtomicBool>,
    started: Instant,
    tasks: Vec<tokio::task::JoinHandle<Seen>>,
}

impl Hammer {
    pub(super) fn start(address: SocketAddr, connections: usize) -> Hammer {
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = (0..connections)
            .map(|_| tokio::spawn(hammer(address, stop.clone())))
            .collect();
        Hammer {
            stop,
            started: Instant::now(),
            tasks,
        }
    }

    /// Stops the clients; their totals as JSON.
    pub(super) async fn finish(self) -> Value {
        self.stop.store(true, Ordering::Relaxed);
        let secs = self.started.elapsed().as_secs_f64();
        let mut all = Seen::default();
        for task in self.tasks {
            if let Ok(seen) = task.await {
                all.ok += seen.ok;
                for (why, n) in seen.failed {
                    *all.failed.entry(why).or_default() += n;
                }
                all.latencies_ms.extend(seen.latencies_ms);
            }
        }
        all.latencies_ms.sort_by(f64::total_cmp);
        let failed: u64 = all.failed.values().sum();
        json!({
            "requests": all.ok + failed,
            "failed_requests": failed,
            "failures": all.failed,
            "requests_per_s": (all.ok + failed) as f64 / secs.max(0.001),
            "p50_ms": percentile(&all.latencies_ms, 0.50),
            "p99_ms": percentile(&all.latencies_ms, 0.99),
            "max_ms": all.latencies_ms.last().copied().unwrap_or(0.0),
        })
    }
}

async fn hammer(address: SocketAddr, stop: Arc<AtomicBool>) -> Seen {
    let mut seen = Seen::default();
    let host = address.to_string();
    while !stop.load(Ordering::Relaxed) {
        let Ok(stream) = tokio::net::TcpStream::connect(address).await else {
            *seen.failed.entry("connect".into()).or_default() += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, conn)) =
            hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream)).await
        else {
            *seen.failed.entry("handshake".into()).or_default() += 1;
            continue;
        };
        tokio::spawn(conn);
        while !stop.load(Ordering::Relaxed) {
            if sender.ready().await.is_err() {
                break;
            }
            let request = hyper::Request::get("/")
                .header(hyper::header::HOST, host.as_str())
                .body(Empty::new());
            let Ok(request) = request else {
                return seen;
            };
            let t = Instant::now();
            let answer = match sender.send_request(request).await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    match r.into_body().collect().await {
                        Ok(_) => Ok(status),
                        Err(_) => Err("body"),
                    }
                }
                Err(_) => Err("error"),
            };
            seen.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            match answer {
                Ok(200) => seen.ok += 1,
                Ok(status) => *seen.failed.entry(status.to_string()).or_default() += 1,
                Err(why) => {
                    *seen.failed.entry(why.into()).or_default() += 1;
                    break;
                }
            }
        }
    }
    seen
}

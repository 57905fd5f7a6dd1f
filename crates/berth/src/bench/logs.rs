//! `berth bench logs`: CloudWatch Logs against an endpoint (Berth, moto, …), printing JSON
//! lines. Phases (each optional):
//!
//! - `ingest`: `--clients` writers, each on its own stream, PutLogEvents of
//!   `--events-per-call` events of `--event-bytes` bytes for `--seconds`: events/s and call
//!   latency. With `--ingest-bytes` it runs until that many message bytes are stored
//!   instead, sampling the server's resident memory (`--pid`) as it goes.
//! - `filter`: a group of `--filter-events` events, one in 10,000 holding a rare term;
//!   FilterLogEvents for that term `--filter-calls` times: latency, and a check that every
//!   match came back.
//! - `container`: a real task's printed lines through awslogs to GetLogEvents, beside
//!   `docker logs --follow` ([`super::logs_latency`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::{json, Value};

use super::api::{quantile_ms, round};
use berth_client::{Client, Endpoint};

#[derive(Args)]
pub struct LogsBenchArgs {
    #[arg(long, default_value = "http://127.0.0.1:5454")]
    endpoint: String,
    /// A name for the endpoint in the output (`berth`, `moto`).
    #[arg(long, default_value = "berth")]
    target: String,
    /// Which phases: `ingest`, `filter`, `container` (comma-separated).
    #[arg(long, default_value = "ingest,filter", value_delimiter = ',')]
    phases: Vec<String>,
    #[arg(long, default_value_t = 4)]
    clients: usize,
    #[arg(long, default_value_t = 1000)]
    events_per_call: usize,
    #[arg(long, default_value_t = 100)]
    event_bytes: usize,
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Ingest until this many message bytes are stored (e.g. 10G), sampling `--pid`'s RSS.
    #[arg(long)]
    ingest_bytes: Option<String>,
    /// The server's process id, to sample its resident memory.
    #[arg(long)]
    pid: Option<u32>,
    #[arg(long, default_value_t = 1_000_000)]
    filter_events: usize,
    #[arg(long, default_value_t = 20)]
    filter_calls: usize,
    #[arg(long, env = "AWS_ACCESS_KEY_ID", default_value = "test")]
    access_key: String,
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", default_value = "test")]
    secret_key: String,
}

fn client(a: &LogsBenchArgs) -> Result<Client> {
    Ok(Client::new(Endpoint::new(
        &a.endpoint,
        &a.access_key,
        &a.secret_key,
        "us-east-1",
    )?))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// A message of exactly `len` bytes naming its writer and number.
fn message(writer: usize, n: u64, len: usize, needle: bool) -> String {
    let mut m = if needle {
        format!("w{writer} e{n} NEEDLE ")
    } else {
        format!("w{writer} e{n} GET /api/items?page=7 200 ")
    };
    while m.len() < len {
        m.push('x');
    }
    m.truncate(len.max(1));
    m
}

async fn setup(c: &mut Client, group: &str, streams: usize) -> Result<()> {
    match c
        .logs("CreateLogGroup", &json!({"logGroupName": group}))
        .await
    {
        Ok(_) => {}
        Err(e) if e.code() == Some("ResourceAlreadyExistsException") => {}
        Err(e) => return Err(e).context("CreateLogGroup"),
    }
    for s in 0..streams {
        match c
            .logs(
                "CreateLogStream",
                &json!({"logGroupName": group, "logStreamName": format!("s{s}")}),
            )
            .await
        {
            Ok(_) => {}
            Err(e) if e.code() == Some("ResourceAlreadyExistsException") => {}
            Err(e) => return Err(e).context("CreateLogStream"),
        }
    }
    Ok(())
}

/// One PutLogEvents of `count` events, the `every`-th holding the needle.
fn batch(writer: usize, first: u64, count: usize, len: usize, every: Option<u64>) -> Value {
    let t = now_ms();
    let events: Vec<Value> = (0..count as u64)
        .map(|i| {
            let n = first + i;
            let needle = every.is_some_and(|e| n.is_multiple_of(e));
            json!({"timestamp": t, "message": message(writer, n, len, needle)})
        })
        .collect();
    json!({"logEvents": events})
}

fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

pub(super) fn parse_bytes(s: &str) -> Result<u64> {
    let (n, unit) = s.split_at(
        s.find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(s.len()),
    );
    let n: f64 = n
        .parse()
        .with_context(|| format!("{s}: a size such as 10G or 500M"))?;
    let mult = match unit {
        "" => 1.0,
        "K" | "k" => 1024.0,
        "M" | "m" => 1024.0 * 1024.0,
        "G" | "g" => 1024.0 * 1024.0 * 1024.0,
        other => bail!("{s}: unknown unit {other}"),
    };
    Ok((n * mult) as u64)
}

async fn ingest(a: &LogsBenchArgs) -> Result<()> {
    let group = format!("bench-ingest-{}", now_ms());
    setup(&mut client(a)?, &group, a.clients).await?;
    let budget = a.ingest_bytes.as_deref().map(parse_bytes).transpose()?;
    let deadline = Instant::now() + Duration::from_secs_f64(a.seconds);
    let stored = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..a.clients {
        let mut c = client(a)?;
        let group = group.clone();
        let (per_call, len) = (a.events_per_call, a.event_bytes);
        let stored = stored.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut n = 0u64;
            loop {
                let done = match budget {
                    Some(b) => stored.load(std::sync::atomic::Ordering::Relaxed) >= b,
                    None => Instant::now() >= deadline,
                };
                if done {
                    break;
                }
                let mut body = batch(w, n, per_call, len, None);
                body["logGroupName"] = json!(group);
                body["logStreamName"] = json!(format!("s{w}"));
                let t = Instant::now();
                match c.logs("PutLogEvents", &body).await {
                    Ok(_) => {
                        lat.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                        stored.fetch_add(
                            (per_call * len) as u64,
                            std::sync::atomic::Ordering::Relaxed,
                        );
                    }
                    Err(e) => {
                        errors += 1;
                        if errors <= 3 {
                            eprintln!("PutLogEvents: {e}");
                        }
                    }
                }
                n += per_call as u64;
            }
            (lat, errors)
        }));
    }
    let mut peak_rss: f64 = 0.0;
    let mut samples = Vec::new();
    let sampler = async {
        loop {
            if let Some(r) = a.pid.and_then(rss_mib) {
                peak_rss = peak_rss.max(r);
                samples.push((stored.load(std::sync::atomic::Ordering::Relaxed), r));
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    };
    let join = futures_join(tasks);
    let results = tokio::select! {
        r = join => r?,
        _ = sampler => unreachable!("the sampler never ends"),
    };
    let seconds = started.elapsed().as_secs_f64();
    let mut lat: Vec<u32> = results
        .iter()
        .flat_map(|(l, _)| l.iter().copied())
        .collect();
    let errors: u64 = results.iter().map(|(_, e)| e).sum();
    lat.sort_unstable();
    let events = lat.len() * a.events_per_call;
    println!(
        "{}",
        json!({
            "target": a.target, "phase": "ingest", "clients": a.clients,
            "events_per_call": a.events_per_call, "event_bytes": a.event_bytes,
            "seconds": round(seconds, 3), "calls": lat.len(), "errors": errors,
            "events_per_s": round(events as f64 / seconds, 0),
            "mib_per_s": round((events * a.event_bytes) as f64 / seconds / 1048576.0, 1),
            "p50_ms": quantile_ms(&lat, 0.5), "p99_ms": quantile_ms(&lat, 0.99),
        })
    );
    if a.pid.is_some() {
        // RSS at each tenth of the run, to show whether it grows with what is stored.
        let step = (samples.len() / 10).max(1);
        let curve: Vec<Value> = samples
            .iter()
            .step_by(step)
            .map(|(b, r)| json!({"stored_gib": round(*b as f64 / 1073741824.0, 2), "rss_mib": round(*r, 1)}))
            .collect();
        println!(
            "{}",
            json!({"target": a.target, "phase": "ingest-rss", "peak_rss_mib": round(peak_rss, 1), "curve": curve})
        );
    }
    Ok(())
}

async fn futures_join<T: Send + 'static>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.context("a bench writer failed")?);
    }
    Ok(out)
}

async fn filter(a: &LogsBenchArgs) -> Result<()> {
    let group = format!("bench-filter-{}", now_ms());
    let writers = a.clients.max(1);
    setup(&mut client(a)?, &group, writers).await?;
    const EVERY: u64 = 10_000;
    let per_writer = a.filter_events.div_ceil(writers);
    let fill_started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let mut c = client(a)?;
        let group = group.clone();
        let (per_call, len) = (a.events_per_call, a.event_bytes);
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while (n as usize) < per_writer {
                let count = per_call.min(per_writer - n as usize);
                let mut body = batch(w, n, count, len, Some(EVERY));
                body["logGroupName"] = json!(group);
                body["logStreamName"] = json!(format!("s{w}"));
                c.logs("PutLogEvents", &body).await?;
                n += count as u64;
            }
            Ok::<u64, berth_client::Error>(n)
        }));
    }
    let mut total = 0u64;
    for r in futures_join(tasks).await? {
        total += r.context("filling the filter group")?;
    }
    let fill_s = fill_started.elapsed().as_secs_f64();
    let expected = (0..writers)
        .map(|_| (per_writer as u64).div_ceil(EVERY))
        .sum::<u64>();
    let mut c = client(a)?;
    let mut lat = Vec::new();
    for _ in 0..a.filter_calls {
        let t = Instant::now();
        let mut found = 0u64;
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({"logGroupName": group, "filterPattern": "NEEDLE"});
            if let Some(tk) = &token {
                body["nextToken"] = json!(tk);
            }
            let page = c.logs("FilterLogEvents", &body).await?;
            found += page["events"].as_array().map_or(0, |e| e.len() as u64);
            match page["nextToken"].as_str() {
                Some(tk) => token = Some(tk.to_owned()),
                None => break,
            }
        }
        lat.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
        if found != expected {
            bail!("FilterLogEvents found {found} events, {expected} expected");
        }
    }
    lat.sort_unstable();
    println!(
        "{}",
        json!({
            "target": a.target, "phase": "filter", "stored_events": total,
            "matches": expected, "fill_seconds": round(fill_s, 1), "calls": lat.len(),
            "p50_ms": quantile_ms(&lat, 0.5), "p99_ms": quantile_ms(&lat, 0.99),
        })
    );
    Ok(())
}

pub async fn run(a: LogsBenchArgs) -> Result<()> {
    for phase in &a.phases {
        match phase.as_str() {
            "ingest" => ingest(&a).await?,
            "filter" => filter(&a).await?,
            "container" => super::logs_latency::run(&mut client(&a)?, &a.target).await?,
            other => bail!("unknown phase {other} (ingest, filter, container)"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_the_asked_length_and_the_needle_when_asked() {
        let m = message(3, 42, 100, false);
        assert_eq!(m.len(), 100);
        assert!(!m.contains("NEEDLE"));
        assert!(message(3, 42, 100, true).contains("NEEDLE"));
        assert_eq!(parse_bytes("10G").ok(), Some(10 * 1024 * 1024 * 1024));
        assert_eq!(parse_bytes("1.5M").ok(), Some(1572864));
        assert!(parse_bytes("3T").is_err());
    }
}

//! `berth bench registry`: blob transfers against an OCI distribution registry (Berth's
//! `/v2/`, CNCF distribution, …), printing JSON lines. Phases (each optional, in order):
//!
//! - `monolithic`: a session `POST`, then the whole `--blob-size` blob in the finishing
//!   `PUT ?digest=`.
//! - `chunked`: a session, `PATCH`es of `--chunk-size` with their `Content-Range`, an empty
//!   `PUT ?digest=`.
//! - `download`: `GET` of the blob last uploaded: the first (timed apart: the blob may not be
//!   in the page cache yet), `--rounds` measured, then one more, hashed, to check the bytes.
//! - `pulls`: an image of `--image-layers` layers making `--image-size` (uploaded first,
//!   unmeasured), pulled by `--pulls` clients at once (manifest, config, every layer), while
//!   the server's resident memory (`--pid`) is sampled.
//!
//! Each upload round sends a fresh random blob (a known digest would let a registry skip
//! the work); a figure is the median of `--rounds`, every round's figure listed beside it.
//! Each client holds one keep-alive connection ([`super::registry_client`]), and one more for
//! blob downloads, read into a reused buffer.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use hyper::body::Bytes;
use serde_json::{json, Value};

use super::api::round;
use super::logs::parse_bytes;
use super::placement::rss_mib;
use super::registry_client::Target;
use berth_ecr::blobs::Digest;

#[derive(Args)]
pub struct RegistryBenchArgs {
    /// Base URL of the registry, e.g. http://127.0.0.1:5454 (plain HTTP only).
    #[arg(long)]
    endpoint: String,
    /// A name for the endpoint in the output (`berth`, `distribution`).
    #[arg(long, default_value = "berth")]
    target: String,
    /// Basic credentials' user (ECR's is `AWS`).
    #[arg(long)]
    user: Option<String>,
    /// Basic credentials' password (for Berth: `aws ecr get-login-password`).
    #[arg(long, env = "BERTH_BENCH_REGISTRY_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// The repository blobs and the image go to (it must exist where repositories are
    /// created first, as in ECR).
    #[arg(long, default_value = "bench/registry")]
    repo: String,
    /// Which phases: `monolithic`, `chunked`, `download`, `pulls` (comma-separated).
    #[arg(
        long,
        default_value = "monolithic,chunked,download,pulls",
        value_delimiter = ','
    )]
    phases: Vec<String>,
    #[arg(long, default_value = "256M")]
    blob_size: String,
    #[arg(long, default_value = "8M")]
    chunk_size: String,
    /// Measured repetitions of each upload and download phase.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Clients pulling the image at once.
    #[arg(long, default_value_t = 20)]
    pulls: usize,
    #[arg(long, default_value = "1G")]
    image_size: String,
    #[arg(long, default_value_t = 4)]
    image_layers: usize,
    /// The server's process id, to sample its resident memory during the pulls.
    #[arg(long)]
    pid: Option<u32>,
}

/// `len` random bytes from `seed`, and their digest.
fn random_blob(len: usize, seed: u64) -> (Bytes, Digest) {
    let mut buf = vec![0u8; len];
    fastrand::Rng::with_seed(seed).fill(&mut buf);
    let digest = Digest::sha256_of(&buf);
    (Bytes::from(buf), digest)
}

/// CPU seconds (user and system) a process has used, from `/proc/<pid>/stat` (in the
/// kernel's USER_HZ ticks, 100 a second).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The line of a transfer phase: the median throughput and every round's.
fn transfer_line(a: &RegistryBenchArgs, phase: &str, bytes: u64, secs: &[f64]) -> Value {
    let rates: Vec<f64> = secs.iter().map(|s| mib(bytes) / s).collect();
    let mut line = json!({
        "target": a.target, "phase": phase, "blob_mib": round(mib(bytes), 1),
        "rounds": secs.len(), "mib_per_s": round(median(&rates), 1),
        "rounds_mib_per_s": rates.iter().map(|r| round(*r, 1)).collect::<Vec<_>>(),
        "median_s": round(median(secs), 3),
    });
    if phase == "chunked" {
        line["chunk_mib"] = json!(parse_bytes(&a.chunk_size).map_or(0.0, |c| round(mib(c), 1)));
    }
    line
}

struct Bench {
    target: Target,
    blob_size: usize,
    chunk_size: usize,
    /// A seed no earlier round used.
    seed: u64,
    /// The blob last uploaded, for the download phase.
    last: Option<Digest>,
    /// The server, to read its CPU time.
    pid: Option<u32>,
    /// The server's CPU seconds in this phase's measured transfers (None if unknown).
    cpu: Option<f64>,
}

impl Bench {
    /// Runs `f`, adding the server's CPU time meanwhile to the phase's.
    async fn metered<T>(&mut self, f: impl std::future::Future<Output = T>) -> T {
        let before = self.pid.and_then(cpu_seconds);
        let out = f.await;
        let after = self.pid.and_then(cpu_seconds);
        self.cpu = match (self.cpu, before, after) {
            (Some(c), Some(b), Some(a)) => Some(c + a - b),
            _ => None,
        };
        out
    }

    fn fresh_blob(&mut self) -> (Bytes, Digest) {
        self.seed += 1;
        random_blob(self.blob_size, self.seed)
    }

    async fn uploads(&mut self, a: &RegistryBenchArgs, chunked: bool) -> Result<Vec<f64>> {
        let mut conn = self.target.connect().await?;
        let mut secs = Vec::new();
        for _ in 0..a.rounds.max(1) {
            let (blob, digest) = self.fresh_blob();
            let started = Instant::now();
            let chunk = self.chunk_size;
            self.metered(async {
                if chunked {
                    conn.upload_chunked(&a.repo, &blob, &digest, chunk).await
                } else {
                    conn.upload_monolithic(&a.repo, &blob, &digest).await
                }
            })
            .await?;
            secs.push(started.elapsed().as_secs_f64());
            self.last = Some(digest);
        }
        Ok(secs)
    }

    /// Times the first download of a blob just uploaded (its bytes may not be in the page
    /// cache yet), then `--rounds` more; answers both.
    async fn downloads(&mut self, a: &RegistryBenchArgs) -> Result<(f64, Vec<f64>)> {
        let digest = match self.last.clone() {
            Some(d) => d,
            None => {
                let (blob, d) = self.fresh_blob();
                let mut conn = self.target.connect().await?;
                conn.upload_monolithic(&a.repo, &blob, &d).await?;
                d
            }
        };
        let mut conn = self.target.download_conn().await?;
        let started = Instant::now();
        conn.get(&a.repo, &digest, false).await?;
        let first = started.elapsed().as_secs_f64();
        let mut secs = Vec::new();
        for _ in 0..a.rounds.max(1) {
            let started = Instant::now();
            let len = self.metered(conn.get(&a.repo, &digest, false)).await?;
            secs.push(started.elapsed().as_secs_f64());
            if len != self.blob_size as u64 {
                bail!("downloaded {len} bytes of a {}-byte blob", self.blob_size);
            }
        }
        conn.get(&a.repo, &digest, true)
            .await
            .context("checking the downloaded bytes")?;
        Ok((first, secs))
    }

    /// Uploads an image of `layers` random layers making `size` bytes; answers its tag and
    /// total bytes (config included).
    async fn push_image(&mut self, repo: &str, size: u64, layers: usize) -> Result<u64> {
        let mut conn = self.target.connect().await?;
        let layers = layers.max(1);
        let per_layer = usize::try_from(size / layers as u64)?;
        let mut descriptors = Vec::new();
        let mut diff_ids = Vec::new();
        let mut total = 0u64;
        for _ in 0..layers {
            self.seed += 1;
            let (blob, digest) = random_blob(per_layer, self.seed);
            conn.upload_monolithic(repo, &blob, &digest).await?;
            descriptors.push(json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": digest.to_string(), "size": blob.len(),
            }));
            diff_ids.push(digest.to_string());
            total += blob.len() as u64;
        }
        let config = Bytes::from(serde_json::to_vec(&json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }))?);
        let config_digest = Digest::sha256_of(&config);
        conn.upload_monolithic(repo, &config, &config_digest)
            .await?;
        total += config.len() as u64;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest.to_string(), "size": config.len(),
            },
            "layers": descriptors,
        });
        conn.put_manifest(repo, PULL_TAG, Bytes::from(serde_json::to_vec(&manifest)?))
            .await?;
        Ok(total)
    }
}

const PULL_TAG: &str = "bench-pull";

/// One pull: the manifest, then each blob it names; answers the bytes received.
async fn pull(target: Target, repo: String) -> Result<u64> {
    let mut conn = target.connect().await?;
    let manifest: Value = serde_json::from_slice(&conn.get_manifest(&repo, PULL_TAG).await?)
        .context("the pulled manifest is not JSON")?;
    let mut blob_conn = target.download_conn().await?;
    let mut total = 0u64;
    let blobs = std::iter::once(&manifest["config"])
        .chain(manifest["layers"].as_array().into_iter().flatten());
    for desc in blobs {
        let digest = desc["digest"]
            .as_str()
            .and_then(Digest::parse)
            .context("a descriptor without a digest")?;
        let len = blob_conn.get(&repo, &digest, false).await?;
        if Some(len) != desc["size"].as_u64() {
            bail!("{digest}: {len} bytes received, {} described", desc["size"]);
        }
        total += len;
    }
    Ok(total)
}

async fn pulls(a: &RegistryBenchArgs, bench: &mut Bench) -> Result<Value> {
    let size = parse_bytes(&a.image_size)?;
    let image_bytes = bench.push_image(&a.repo, size, a.image_layers).await?;
    // Let the server settle after the upload before calling its memory idle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = a.pid.and_then(rss_mib);
    let cpu_before = a.pid.and_then(cpu_seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.pulls.max(1) {
        let (target, repo) = (bench.target.clone(), a.repo.clone());
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            pull(target, repo).await.map(|n| (n, t.elapsed()))
        }));
    }
    let mut peak: Option<f64> = None;
    let sampler = async {
        loop {
            if let Some(r) = a.pid.and_then(rss_mib) {
                peak = Some(peak.map_or(r, |p| p.max(r)));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let joined = async {
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.context("a pulling client failed")??);
        }
        Ok::<_, anyhow::Error>(out)
    };
    let results = tokio::select! {
        r = joined => r?,
        _ = sampler => unreachable!("the sampler never ends"),
    };
    let secs = started.elapsed().as_secs_f64();
    bench.cpu = cpu_before
        .zip(a.pid.and_then(cpu_seconds))
        .map(|(b, a)| a - b);
    let received: u64 = results.iter().map(|(n, _)| n).sum();
    let mut each: Vec<f64> = results.iter().map(|(_, d)| d.as_secs_f64()).collect();
    each.sort_by(f64::total_cmp);
    let above = match (idle, peak) {
        (Some(i), Some(p)) => json!(round(p - i, 1)),
        _ => Value::Null,
    };
    Ok(json!({
        "target": a.target, "phase": "pulls", "pulls": results.len(),
        "image_mib": round(mib(image_bytes), 1), "layers": a.image_layers,
        "seconds": round(secs, 2), "mib_per_s": round(mib(received) / secs, 1),
        "pull_s_median": round(median(&each), 2),
        "pull_s_max": round(each.last().copied().unwrap_or_default(), 2),
        "idle_rss_mib": idle.map(|r| round(r, 1)), "peak_rss_mib": peak.map(|r| round(r, 1)),
        "rss_above_idle_mib": above,
    }))
}

pub async fn run(a: RegistryBenchArgs) -> Result<()> {
    let target = Target::new(&a.endpoint, a.user.as_deref(), a.password.as_deref())?;
    let blob_size = usize::try_from(parse_bytes(&a.blob_size)?)?;
    let chunk_size = usize::try_from(parse_bytes(&a.chunk_size)?)?;
    if blob_size == 0 || chunk_size == 0 {
        bail!("--blob-size and --chunk-size must be above zero");
    }
    let mut bench = Bench {
        target,
        blob_size,
        chunk_size,
        // Distinct blobs from one run to the next, so no round meets a blob stored before.
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default(),
        last: None,
        pid: a.pid,
        cpu: None,
    };
    let bytes = blob_size as u64;
    for phase in &a.phases {
        bench.cpu = Some(0.0);
        let mut line = match phase.as_str() {
            "monolithic" => transfer_line(&a, phase, bytes, &bench.uploads(&a, false).await?),
            "chunked" => transfer_line(&a, phase, bytes, &bench.uploads(&a, true).await?),
            "download" => {
                let (first, secs) = bench.downloads(&a).await?;
                let mut line = transfer_line(&a, phase, bytes, &secs);
                line["first_mib_per_s"] = json!(round(mib(bytes) / first, 1));
                line
            }
            "pulls" => pulls(&a, &mut bench).await?,
            other => bail!("unknown phase {other} (monolithic, chunked, download, pulls)"),
        };
        // The server's CPU time in the measured transfers: a figure that other load on the
        // machine disturbs less than throughput.
        if let Some(cpu) = bench.cpu.filter(|_| a.pid.is_some()) {
            line["server_cpu_s"] = json!(round(cpu, 2));
        }
        println!("{line}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_differ_by_seed_and_medians_are_middles() {
        let (a, da) = random_blob(1024, 1);
        let (b, db) = random_blob(1024, 2);
        assert_eq!(a.len(), 1024);
        assert_ne!(a, b);
        assert_ne!(da, db);
        assert_eq!(da, Digest::sha256_of(&a));
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
        let me = cpu_seconds(std::process::id()).expect("own /proc stat");
        assert!(me >= 0.0);
        assert!(cpu_seconds(u32::MAX).is_none());
    }
}

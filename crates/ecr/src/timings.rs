//! How often ECR's background jobs run, and how long a blob no manifest references is kept.
//! The defaults suit a server; tests shorten them through environment variables
//! ([`Timings::from_env`]) rather than waiting minutes for a sweep.

use std::time::Duration;

/// The lifecycle sweep period (`BERTH_ECR_LIFECYCLE_SWEEP_SECS`).
pub const SWEEP_ENV: &str = "BERTH_ECR_LIFECYCLE_SWEEP_SECS";
/// The garbage collection period (`BERTH_ECR_GC_SECS`).
pub const GC_ENV: &str = "BERTH_ECR_GC_SECS";
/// How long an unreferenced blob is kept (`BERTH_ECR_GC_GRACE_SECS`).
pub const GRACE_ENV: &str = "BERTH_ECR_GC_GRACE_SECS";

#[derive(Debug, Clone, PartialEq)]
pub struct Timings {
    /// How often lifecycle policies are applied.
    pub lifecycle_sweep: Duration,
    /// How often unreferenced blobs and stale uploads are collected.
    pub gc: Duration,
    /// How long a blob no manifest references is kept (a client pushes layers before the
    /// manifest that names them), in seconds.
    pub gc_grace_secs: f64,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            lifecycle_sweep: Duration::from_secs(60),
            gc: Duration::from_secs(600),
            gc_grace_secs: crate::content::GC_GRACE_SECS,
        }
    }
}

impl Timings {
    /// The defaults, with any of the three variables set (seconds, fractions allowed).
    pub fn from_env() -> Result<Timings, String> {
        Timings::from_lookup(|k| std::env::var(k).ok())
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Timings, String> {
        let secs = |name: &str| -> Result<Option<f64>, String> {
            let Some(v) = get(name) else {
                return Ok(None);
            };
            match v.trim().parse::<f64>() {
                Ok(s) if (0.0..1e9).contains(&s) => Ok(Some(s)),
                _ => Err(format!("{name} must be a number of seconds, not '{v}'")),
            }
        };
        // A period of zero would spin: a tenth of a second is the shortest.
        let period = |s: f64| Duration::from_secs_f64(s.max(0.1));
        let mut t = Timings::default();
        if let Some(s) = secs(SWEEP_ENV)? {
            t.lifecycle_sweep = period(s);
        }
        if let Some(s) = secs(GC_ENV)? {
            t.gc = period(s);
        }
        if let Some(s) = secs(GRACE_ENV)? {
            t.gc_grace_secs = s;
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_override_the_defaults() {
        let t = Timings::from_lookup(|k| (k == GC_ENV).then(|| "1.5".to_owned())).expect("ok");
        assert_eq!(t.gc, Duration::from_millis(1500));
        assert_eq!(t.lifecycle_sweep, Duration::from_secs(60));
        assert_eq!(t.gc_grace_secs, 3600.0);
        let t = Timings::from_lookup(|_| Some("0".to_owned())).expect("ok");
        assert_eq!(t.gc, Duration::from_millis(100));
        assert_eq!(t.gc_grace_secs, 0.0);
        for bad in ["", "x", "-1", "NaN", "inf"] {
            assert!(
                Timings::from_lookup(|_| Some(bad.to_owned())).is_err(),
                "{bad}"
            );
        }
    }
}

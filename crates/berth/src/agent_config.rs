//! The agent's config file: `KEY=VALUE` lines as in ECS's `/etc/ecs/ecs.config`
//! (`ECS_CLUSTER=prod`, `ECS_RESERVED_MEMORY=256`, …). Its values are taken as environment
//! variables not already set, so flags win over the environment, which wins over the file.
//! Durations may be written as ECS writes them (`30s`, `5m`, `3h`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The config file named by `--config FILE` (or `--config=FILE`) among `berth agent`'s
/// arguments, or by `BERTH_AGENT_CONFIG`.
pub fn config_path(args: &[String]) -> Option<PathBuf> {
    if args.get(1).map(String::as_str) != Some("agent") {
        return None;
    }
    let mut it = args.iter().skip(2);
    while let Some(a) = it.next() {
        if a == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(v) = a.strip_prefix("--config=") {
            return Some(PathBuf::from(v));
        }
    }
    std::env::var_os("BERTH_AGENT_CONFIG").map(PathBuf::from)
}

/// `(key, value)` pairs of a config file; blank lines and `#` comments skipped, quotes
/// around a value removed.
pub fn parse(text: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            bail!("line {}: expected KEY=VALUE, got {line:?}", n + 1);
        };
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        out.push((k.trim().to_owned(), v.to_owned()));
    }
    Ok(out)
}

/// Loads the file into the environment (without overriding what is set).
pub fn load(path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the agent config {}", path.display()))?;
    for (k, v) in parse(&text).with_context(|| format!("in {}", path.display()))? {
        if std::env::var_os(&k).is_none() {
            std::env::set_var(k, v);
        }
    }
    Ok(())
}

/// Seconds from `30`, `30s`, `5m`, `3h` or `1h30m`.
pub fn duration_secs(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Ok(n);
    }
    let mut total = 0u64;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("{s:?} is not a duration (e.g. 30s, 5m, 3h)"))?;
        digits.clear();
        total += n * match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(format!("{s:?} is not a duration (e.g. 30s, 5m, 3h)")),
        };
    }
    if !digits.is_empty() {
        return Err(format!("{s:?} is not a duration (e.g. 30s, 5m, 3h)"));
    }
    Ok(total)
}

/// ECS_INSTANCE_ATTRIBUTES: a JSON object of custom attributes.
pub fn instance_attributes(json: &str) -> Result<Vec<(String, String)>> {
    let map: std::collections::BTreeMap<String, String> = serde_json::from_str(json)
        .context("ECS_INSTANCE_ATTRIBUTES must be a JSON object of strings")?;
    Ok(map.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_config_lines_and_durations() {
        let parsed =
            parse("# comment\nECS_CLUSTER=prod\n\nECS_RESERVED_MEMORY = 256\nX=\"quoted\"\n")
                .expect("valid");
        assert_eq!(
            parsed,
            vec![
                ("ECS_CLUSTER".to_owned(), "prod".to_owned()),
                ("ECS_RESERVED_MEMORY".to_owned(), "256".to_owned()),
                ("X".to_owned(), "quoted".to_owned()),
            ]
        );
        assert!(parse("not a pair").is_err());
        assert_eq!(duration_secs("30"), Ok(30));
        assert_eq!(duration_secs("30s"), Ok(30));
        assert_eq!(duration_secs("3h"), Ok(10800));
        assert_eq!(duration_secs("1h30m"), Ok(5400));
        assert!(duration_secs("soon").is_err());
        assert!(duration_secs("5x").is_err());
        assert_eq!(
            instance_attributes(r#"{"stack":"prod","team":"core"}"#).expect("json"),
            vec![
                ("stack".to_owned(), "prod".to_owned()),
                ("team".to_owned(), "core".to_owned())
            ]
        );
        assert!(instance_attributes("[1]").is_err());
    }

    #[test]
    fn the_config_flag_is_found_only_for_the_agent() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            config_path(&args(&[
                "berth",
                "agent",
                "--config",
                "/etc/ecs/ecs.config"
            ])),
            Some(PathBuf::from("/etc/ecs/ecs.config"))
        );
        assert_eq!(
            config_path(&args(&["berth", "agent", "--config=/x"])),
            Some(PathBuf::from("/x"))
        );
        assert_eq!(
            config_path(&args(&["berth", "dev", "--config", "/x"])),
            None
        );
    }
}

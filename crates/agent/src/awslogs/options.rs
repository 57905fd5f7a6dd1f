//! A container definition's awslogs options, validated, and the log stream it writes to.
//! Pure.
//!
//! `mode` and `max-buffer-size` are checked as Docker checks them but change nothing: the
//! container writes to Docker's json-file log, which never waits for Berth, and the agent
//! ships from that file; so no mode blocks the container and no buffer can overflow.

use std::collections::HashMap;

use regex::Regex;

use super::datetime;

pub const GROUP: &str = "awslogs-group";
pub const REGION: &str = "awslogs-region";
pub const CREATE_GROUP: &str = "awslogs-create-group";
pub const STREAM_PREFIX: &str = "awslogs-stream-prefix";
pub const STREAM: &str = "awslogs-stream";
pub const DATETIME_FORMAT: &str = "awslogs-datetime-format";
pub const MULTILINE_PATTERN: &str = "awslogs-multiline-pattern";
pub const MODE: &str = "mode";
pub const MAX_BUFFER_SIZE: &str = "max-buffer-size";

/// Options of Docker's awslogs driver that are accepted and have no effect here (Berth's
/// endpoint, credentials and flush timing are the agent's).
const IGNORED: &[&str] = &[
    "awslogs-endpoint",
    "awslogs-credentials-endpoint",
    "awslogs-force-flush-interval-seconds",
    "awslogs-max-buffered-events",
    "awslogs-format",
    "awslogs-create-stream",
    "tag",
];

/// Delivery mode from the container to the driver (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Blocking,
    NonBlocking,
}

/// Validated awslogs options.
#[derive(Clone, Debug)]
pub struct Options {
    pub group: String,
    /// Accepted; Berth serves one region, the agent's.
    pub region: Option<String>,
    pub create_group: bool,
    pub stream_prefix: Option<String>,
    /// An explicit stream name (Docker's option), used without a prefix.
    pub stream: Option<String>,
    /// A line matching this starts a new event; other lines continue the one before.
    pub start: Option<Regex>,
    pub mode: Mode,
    pub max_buffer_size: Option<u64>,
}

/// Why the options are unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("awslogs: {0}")]
pub struct OptionsError(pub String);

fn bad(reason: impl Into<String>) -> OptionsError {
    OptionsError(reason.into())
}

/// Go's `strconv.ParseBool` spellings, which Docker's driver accepts.
fn parse_bool(key: &str, v: &str) -> Result<bool, OptionsError> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(bad(format!("{key} must be true or false, not {v:?}"))),
    }
}

/// A size such as `4m`, `512KiB`, `1g` or `1048576` (binary units, as Docker reads them).
pub fn parse_size(v: &str) -> Option<u64> {
    let v = v.trim();
    let digits = v
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(v.len());
    let (number, unit) = v.split_at(digits);
    let number: f64 = number.parse().ok()?;
    let unit = unit.trim_start().to_ascii_lowercase();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(&unit);
    let power = match unit {
        "" => 0,
        "k" => 1,
        "m" => 2,
        "g" => 3,
        "t" => 4,
        _ => return None,
    };
    let bytes = number * 1024f64.powi(power);
    (bytes >= 1.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

fn non_empty(options: &HashMap<String, String>, key: &str) -> Option<String> {
    options.get(key).filter(|v| !v.is_empty()).cloned()
}

impl Options {
    /// Validates a logConfiguration's options for the awslogs driver.
    pub fn parse(options: &HashMap<String, String>) -> Result<Options, OptionsError> {
        const HONOURED: &[&str] = &[
            GROUP,
            REGION,
            CREATE_GROUP,
            STREAM_PREFIX,
            STREAM,
            DATETIME_FORMAT,
            MULTILINE_PATTERN,
            MODE,
            MAX_BUFFER_SIZE,
        ];
        let mut keys: Vec<&String> = options.keys().collect();
        keys.sort();
        if let Some(k) = keys
            .iter()
            .find(|k| !HONOURED.contains(&k.as_str()) && !IGNORED.contains(&k.as_str()))
        {
            return Err(bad(format!("unknown log option {k}")));
        }
        let group = non_empty(options, GROUP)
            .ok_or_else(|| bad(format!("the {GROUP} option is required")))?;
        let create_group = match options.get(CREATE_GROUP) {
            Some(v) => parse_bool(CREATE_GROUP, v)?,
            None => false,
        };
        let mode = match options.get(MODE).map(String::as_str) {
            None | Some("blocking") => Mode::Blocking,
            Some("non-blocking") => Mode::NonBlocking,
            Some(other) => {
                return Err(bad(format!(
                    "{MODE} must be blocking or non-blocking, not {other:?}"
                )))
            }
        };
        let max_buffer_size = match options.get(MAX_BUFFER_SIZE) {
            None => None,
            Some(_) if mode != Mode::NonBlocking => {
                return Err(bad(format!(
                    "{MAX_BUFFER_SIZE} is only valid with {MODE}=non-blocking"
                )))
            }
            Some(v) => Some(
                parse_size(v)
                    .ok_or_else(|| bad(format!("{MAX_BUFFER_SIZE}: not a size: {v:?}")))?,
            ),
        };
        // As Docker's driver: the datetime format wins over the multiline pattern.
        let start = match (
            non_empty(options, DATETIME_FORMAT),
            non_empty(options, MULTILINE_PATTERN),
        ) {
            (Some(format), _) => Some(datetime::start_pattern(&format).map_err(bad)?),
            (None, Some(pattern)) => {
                Some(Regex::new(&pattern).map_err(|e| bad(format!("{MULTILINE_PATTERN}: {e}")))?)
            }
            (None, None) => None,
        };
        Ok(Options {
            group,
            region: non_empty(options, REGION),
            create_group,
            stream_prefix: non_empty(options, STREAM_PREFIX),
            stream: non_empty(options, STREAM),
            start,
            mode,
            max_buffer_size,
        })
    }

    /// The stream, named as ECS names it: `<prefix>/<container name>/<task id>` with a
    /// prefix (the task id is the last part of the task ARN); else the explicit stream, else
    /// the Docker container id.
    pub fn stream_name(&self, container: &str, task_arn: &str, container_id: &str) -> String {
        match (&self.stream_prefix, &self.stream) {
            (Some(prefix), _) => {
                let task_id = task_arn.rsplit('/').next().unwrap_or(task_arn);
                format!("{prefix}/{container}/{task_id}")
            }
            (None, Some(stream)) => stream.clone(),
            (None, None) => container_id.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<Options, OptionsError> {
        Options::parse(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    const TASK: &str = "arn:aws:ecs:us-east-1:000000000000:task/c/0123abcd";

    #[test]
    fn streams_are_named_as_ecs_names_them() {
        let o = parse(&[(GROUP, "g"), (STREAM_PREFIX, "web")]).expect("valid");
        assert_eq!(o.stream_name("app", TASK, "f00d"), "web/app/0123abcd");
        let o = parse(&[(GROUP, "g")]).expect("valid");
        assert_eq!(o.stream_name("app", TASK, "f00d"), "f00d");
        let o = parse(&[(GROUP, "g"), (STREAM, "mine")]).expect("valid");
        assert_eq!(o.stream_name("app", TASK, "f00d"), "mine");
        let o = parse(&[(GROUP, "g"), (STREAM_PREFIX, "")]).expect("valid");
        assert_eq!(o.stream_name("app", TASK, "f00d"), "f00d");
    }

    #[test]
    fn the_group_is_required_and_unknown_options_are_refused() {
        let e = parse(&[(REGION, "us-east-1")]).expect_err("no group");
        assert_eq!(
            e.to_string(),
            "awslogs: the awslogs-group option is required"
        );
        assert!(parse(&[(GROUP, "")]).is_err());
        let e = parse(&[(GROUP, "g"), ("awslogs-grup", "x")]).expect_err("unknown");
        assert!(e.0.contains("awslogs-grup"), "{e}");
        // Docker's options that do not apply here are accepted.
        let o = parse(&[(GROUP, "g"), ("awslogs-endpoint", "http://x"), ("tag", "t")]);
        assert!(o.is_ok());
    }

    #[test]
    fn create_group_mode_and_buffer_size_are_validated() {
        let o = parse(&[(GROUP, "g"), (CREATE_GROUP, "true"), (REGION, "eu-west-1")]);
        let o = o.expect("valid");
        assert!(o.create_group);
        assert_eq!(o.region.as_deref(), Some("eu-west-1"));
        assert_eq!(o.mode, Mode::Blocking);
        assert!(
            !parse(&[(GROUP, "g"), (CREATE_GROUP, "False")])
                .expect("valid")
                .create_group
        );
        assert!(parse(&[(GROUP, "g"), (CREATE_GROUP, "yes")]).is_err());
        assert!(parse(&[(GROUP, "g"), (MODE, "fast")]).is_err());
        let o = parse(&[
            (GROUP, "g"),
            (MODE, "non-blocking"),
            (MAX_BUFFER_SIZE, "4m"),
        ]);
        let o = o.expect("valid");
        assert_eq!(
            (o.mode, o.max_buffer_size),
            (Mode::NonBlocking, Some(4 << 20))
        );
        assert!(parse(&[(GROUP, "g"), (MAX_BUFFER_SIZE, "4m")]).is_err());
        assert!(parse(&[
            (GROUP, "g"),
            (MODE, "non-blocking"),
            (MAX_BUFFER_SIZE, "lots")
        ])
        .is_err());
    }

    #[test]
    fn sizes_read_as_docker_reads_them() {
        assert_eq!(parse_size("1048576"), Some(1 << 20));
        assert_eq!(parse_size("512k"), Some(512 << 10));
        assert_eq!(parse_size("25MiB"), Some(25 << 20));
        assert_eq!(parse_size("1.5 GB"), Some(3 << 29));
        assert_eq!(parse_size("0"), None);
        assert_eq!(parse_size("-1m"), None);
        assert_eq!(parse_size("4x"), None);
        assert_eq!(parse_size(""), None);
    }

    #[test]
    fn the_datetime_format_wins_over_the_multiline_pattern() {
        let both = parse(&[
            (GROUP, "g"),
            (DATETIME_FORMAT, "%Y-%m-%d"),
            (MULTILINE_PATTERN, "^INFO"),
        ])
        .expect("valid");
        let start = both.start.expect("a start pattern");
        assert!(start.is_match("2026-01-02 up"));
        assert!(!start.is_match("INFO up"));
        let multiline = parse(&[(GROUP, "g"), (MULTILINE_PATTERN, "^INFO")]).expect("valid");
        assert!(multiline.start.expect("a pattern").is_match("INFO up"));
        assert!(parse(&[(GROUP, "g"), (MULTILINE_PATTERN, "(")]).is_err());
        assert!(parse(&[(GROUP, "g"), (DATETIME_FORMAT, "%Q")]).is_err());
    }
}

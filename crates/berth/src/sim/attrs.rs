//! Per-instance attributes from `--attribute KEY=VALUE` templates.

use anyhow::{bail, Result};

/// Capabilities every simulated agent claims, so any task definition Berth accepts can be
/// placed on the fleet.
pub const CAPABILITIES: &[(&str, &str)] = &[
    ("ecs.os-type", "linux"),
    ("ecs.cpu-architecture", "x86_64"),
    ("ecs.capability.task-eni", ""),
    ("ecs.capability.container-health-check", ""),
    ("ecs.capability.container-ordering", ""),
    ("com.amazonaws.ecs.capability.task-iam-role", ""),
    ("com.amazonaws.ecs.capability.logging-driver.json-file", ""),
    ("com.amazonaws.ecs.capability.logging-driver.awslogs", ""),
    ("com.amazonaws.ecs.capability.logging-driver.syslog", ""),
    ("com.amazonaws.ecs.capability.logging-driver.none", ""),
];

pub struct Template {
    name: String,
    choices: Vec<String>,
}

pub fn parse(specs: &[String]) -> Result<Vec<Template>> {
    specs
        .iter()
        .map(|s| {
            let Some((name, value)) = s.split_once('=') else {
                bail!("attribute '{s}' is not KEY=VALUE");
            };
            if name.is_empty() {
                bail!("attribute '{s}' has an empty name");
            }
            let choices = match value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                Some(inner) if inner.contains(',') => {
                    inner.split(',').map(|c| c.trim().to_owned()).collect()
                }
                _ => vec![value.to_owned()],
            };
            Ok(Template {
                name: name.to_owned(),
                choices,
            })
        })
        .collect()
}

/// The attributes of instance `index`: capabilities, then the templates dealt round-robin.
pub fn for_instance(templates: &[Template], index: usize) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = CAPABILITIES
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    for t in templates {
        let choice = &t.choices[index % t.choices.len()];
        let value = choice.replace("{i}", &index.to_string());
        out.retain(|(n, _)| *n != t.name);
        out.push((t.name.clone(), value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_and_index() {
        let t = parse(&[
            "ecs.availability-zone={us-east-1a,us-east-1b}".into(),
            "rack=r{i}".into(),
        ])
        .expect("parse");
        let a0 = for_instance(&t, 0);
        let a1 = for_instance(&t, 1);
        let a2 = for_instance(&t, 2);
        let get = |a: &[(String, String)], k: &str| {
            a.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        };
        assert_eq!(
            get(&a0, "ecs.availability-zone").as_deref(),
            Some("us-east-1a")
        );
        assert_eq!(
            get(&a1, "ecs.availability-zone").as_deref(),
            Some("us-east-1b")
        );
        assert_eq!(
            get(&a2, "ecs.availability-zone").as_deref(),
            Some("us-east-1a")
        );
        assert_eq!(get(&a2, "rack").as_deref(), Some("r2"));
        assert!(parse(&["novalue".into()]).is_err());
    }
}

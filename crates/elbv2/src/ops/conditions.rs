//! The checks of a rule's conditions, and their values as the data plane reads them.

use berth_elbv2_model::shapes::*;

use super::required;
use crate::error::{ElbError, Result};

/// The most values (match evaluations) a rule's conditions have together.
const MAX_VALUES: usize = 5;

/// A condition's values in one form, whichever the caller used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Values {
    HostHeader(Vec<String>),
    PathPattern(Vec<String>),
    HttpHeader(String, Vec<String>),
    Method(Vec<String>),
    QueryString(Vec<(Option<String>, String)>),
    SourceIp(Vec<String>),
}

impl Values {
    fn count(&self) -> usize {
        match self {
            Values::HostHeader(v)
            | Values::PathPattern(v)
            | Values::Method(v)
            | Values::SourceIp(v) => v.len(),
            Values::HttpHeader(_, v) => v.len(),
            Values::QueryString(v) => v.len(),
        }
    }
}

/// What condition `c` says (checked already, or being checked).
pub(crate) fn values(c: &RuleCondition) -> Result<Values> {
    let field = required(&c.field, "Condition Field")?.as_str();
    let legacy = c.values.clone();
    let given = |config: Option<Vec<String>>| -> Result<Vec<String>> {
        match (legacy.clone(), config) {
            // A stored condition carries both, the same (Describe answers both forms).
            (Some(a), Some(b)) if a == b => Ok(a),
            (Some(_), Some(_)) => Err(ElbError::validation(format!(
                "Condition '{field}' takes Values or its config, not both"
            ))),
            (Some(v), None) | (None, Some(v)) => Ok(v),
            (None, None) => Err(ElbError::validation(format!(
                "Condition '{field}' needs values"
            ))),
        }
    };
    let no_legacy = || -> Result<()> {
        if legacy.is_some() {
            return Err(ElbError::validation(format!(
                "Condition '{field}' takes its values in its config, not in Values"
            )));
        }
        Ok(())
    };
    if c.regex_values.is_some()
        || c.host_header_config
            .as_ref()
            .is_some_and(|h| h.regex_values.is_some())
        || c.http_header_config
            .as_ref()
            .is_some_and(|h| h.regex_values.is_some())
        || c.path_pattern_config
            .as_ref()
            .is_some_and(|h| h.regex_values.is_some())
    {
        return Err(ElbError::invalid_config(
            "Regular expression conditions are not supported by Berth yet",
        ));
    }
    Ok(match field {
        "host-header" => Values::HostHeader(given(c.host_header_config.as_ref().and_then(|h| h.values.clone()))?),
        "path-pattern" => Values::PathPattern(given(c.path_pattern_config.as_ref().and_then(|h| h.values.clone()))?),
        "http-header" => {
            no_legacy()?;
            let h = c.http_header_config.as_ref().ok_or_else(|| ElbError::validation("Condition 'http-header' needs HttpHeaderConfig"))?;
            let name = required(&h.http_header_name, "HttpHeaderName")?.clone();
            Values::HttpHeader(name, h.values.clone().unwrap_or_default())
        }
        "http-request-method" => {
            no_legacy()?;
            Values::Method(c.http_request_method_config.as_ref().and_then(|h| h.values.clone()).unwrap_or_default())
        }
        "query-string" => {
            no_legacy()?;
            let pairs = c.query_string_config.as_ref().and_then(|q| q.values.clone()).unwrap_or_default();
            Values::QueryString(
                pairs
                    .into_iter()
                    .map(|p| Ok((p.key, required(&p.value, "Query string Value")?.clone())))
                    .collect::<Result<_>>()?,
            )
        }
        "source-ip" => {
            no_legacy()?;
            Values::SourceIp(c.source_ip_config.as_ref().and_then(|h| h.values.clone()).unwrap_or_default())
        }
        other => return Err(ElbError::validation(format!("Condition field '{other}' must be one of host-header, path-pattern, http-header, http-request-method, query-string, source-ip"))),
    })
}

fn chars_ok(v: &str, extra: &str) -> bool {
    v.chars()
        .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

fn check_values(v: &Values) -> Result<()> {
    let bad = |what: &str, value: &str| {
        Err(ElbError::validation(format!(
            "{what} '{value}' is not valid"
        )))
    };
    if v.count() == 0 {
        return Err(ElbError::validation("A condition needs at least one value"));
    }
    match v {
        Values::HostHeader(vals) => {
            for h in vals {
                if h.is_empty() || h.len() > 128 || !chars_ok(h, "-.*?") {
                    return bad("Host header pattern", h);
                }
            }
        }
        Values::PathPattern(vals) => {
            for p in vals {
                if p.is_empty() || p.len() > 128 || !chars_ok(p, "_-.$/~\"'@:+&*?=%;,!()[]") {
                    return bad("Path pattern", p);
                }
            }
        }
        Values::HttpHeader(name, vals) => {
            if name.is_empty() || name.len() > 40 || !chars_ok(name, "!#$%&'*+-.^_`|~") {
                return bad("HTTP header name", name);
            }
            for h in vals {
                if h.is_empty() || h.len() > 128 {
                    return bad("HTTP header value", h);
                }
            }
        }
        Values::Method(vals) => {
            for m in vals {
                if m.is_empty()
                    || m.len() > 40
                    || !m
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c == '_' || c == '-')
                {
                    return bad("HTTP request method", m);
                }
            }
        }
        Values::QueryString(pairs) => {
            for (k, val) in pairs {
                if k.as_ref().is_some_and(|k| k.is_empty() || k.len() > 128)
                    || val.is_empty()
                    || val.len() > 128
                {
                    return bad("Query string condition", val);
                }
            }
        }
        Values::SourceIp(vals) => {
            for ip in vals {
                if ip.parse::<ipnet::IpNet>().is_err() {
                    return bad("Source IP CIDR block", ip);
                }
            }
        }
    }
    Ok(())
}

/// Checks a rule's conditions: each well formed, host-header, path-pattern,
/// http-request-method and source-ip at most once, at most five values in all. Answers them
/// with each config filled in from `Values` where the caller used the older form.
pub(crate) fn check(conditions: &[RuleCondition]) -> Result<Vec<RuleCondition>> {
    if conditions.is_empty() {
        return Err(ElbError::validation("A rule needs at least one condition"));
    }
    let mut total = 0;
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for c in conditions {
        let v = values(c)?;
        check_values(&v)?;
        total += v.count();
        let field = c.field.as_deref().unwrap_or_default();
        if field != "http-header" && field != "query-string" {
            if seen.contains(&field) {
                return Err(ElbError::validation(format!(
                    "A rule can have only one '{field}' condition"
                )));
            }
            seen.push(field);
        }
        let mut c = c.clone();
        match &v {
            Values::HostHeader(vals) => {
                c.values = Some(vals.clone());
                c.host_header_config = Some(HostHeaderConditionConfig {
                    values: Some(vals.clone()),
                    ..Default::default()
                });
            }
            Values::PathPattern(vals) => {
                c.values = Some(vals.clone());
                c.path_pattern_config = Some(PathPatternConditionConfig {
                    values: Some(vals.clone()),
                    ..Default::default()
                });
            }
            _ => {}
        }
        out.push(c);
    }
    if total > MAX_VALUES {
        return Err(ElbError::validation(format!(
            "A rule can only have '{MAX_VALUES}' condition values, not {total}"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conditions(json: &str) -> Vec<RuleCondition> {
        serde_json::from_str(json).expect("conditions")
    }

    #[test]
    fn checked_conditions_read_back_the_same() {
        for c in [
            r#"[{"Field":"path-pattern","Values":["/api/*"]}]"#,
            r#"[{"Field":"host-header","HostHeaderConfig":{"Values":["a.example.com"]}}]"#,
        ] {
            let checked = check(&conditions(c)).expect("valid");
            assert_eq!(check(&checked).expect("again"), checked);
            assert!(values(&checked[0]).is_ok());
        }
    }

    #[test]
    fn legacy_values_fill_the_config() {
        let c = check(&conditions(
            r#"[{"Field":"path-pattern","Values":["/api/*"]}]"#,
        ))
        .expect("valid");
        let config = c[0].path_pattern_config.as_ref().expect("config");
        assert_eq!(config.values.as_deref(), Some(&["/api/*".to_owned()][..]));
    }

    #[test]
    fn bad_conditions_are_refused() {
        for bad in [
            r#"[{"Field":"nope","Values":["x"]}]"#,
            r#"[{"Field":"host-header","Values":["a b"]}]"#,
            r#"[{"Field":"source-ip","SourceIpConfig":{"Values":["10.0.0.0/99"]}}]"#,
            r#"[{"Field":"http-request-method","HttpRequestMethodConfig":{"Values":["get"]}}]"#,
            r#"[{"Field":"path-pattern","Values":["/a"]},{"Field":"path-pattern","Values":["/b"]}]"#,
            r#"[{"Field":"path-pattern","Values":["/1","/2","/3","/4","/5","/6"]}]"#,
            r#"[{"Field":"http-header","Values":["x"]}]"#,
            r#"[]"#,
        ] {
            assert!(check(&conditions(bad)).is_err(), "{bad}");
        }
        assert!(check(&conditions(r#"[{"Field":"http-header","HttpHeaderConfig":{"HttpHeaderName":"X-Env","Values":["prod*"]}},{"Field":"http-header","HttpHeaderConfig":{"HttpHeaderName":"X-B","Values":["1"]}}]"#)).is_ok());
    }
}

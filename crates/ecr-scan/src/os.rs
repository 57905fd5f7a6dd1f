//! The operating system an image says it is, from `os-release` (`/etc/os-release`, else
//! `/usr/lib/os-release`, as os-release(5) says to look).

/// `ID` and `VERSION_ID` of os-release; the vulnerability file names systems as `ID:VERSION_ID`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Os {
    /// Lower-case, e.g. `debian`, `ubuntu`, `alpine`.
    pub id: String,
    /// E.g. `12`, `22.04`, `3.19.1`; empty for rolling releases that set none.
    pub version_id: String,
    /// `PRETTY_NAME`, for messages.
    pub pretty_name: Option<String>,
}

impl Os {
    /// Reads os-release text: `KEY=value` lines, values optionally quoted, `#` comments.
    /// None if it names no `ID`.
    pub fn parse(text: &str) -> Option<Os> {
        let mut os = Os::default();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = unquote(value.trim());
            match key.trim() {
                "ID" => os.id = value.to_ascii_lowercase(),
                "VERSION_ID" => os.version_id = value,
                "PRETTY_NAME" => os.pretty_name = Some(value),
                _ => {}
            }
        }
        (!os.id.is_empty()).then_some(os)
    }

    /// `ID:VERSION_ID` (or `ID` when there is no version), as findings name it.
    pub fn name(&self) -> String {
        if self.version_id.is_empty() {
            self.id.clone()
        } else {
            format!("{}:{}", self.id, self.version_id)
        }
    }

    /// Whether a vulnerability's `os` (`ID` or `ID:VERSION`) covers this system: the ids are
    /// equal, and the version, if given, is `VERSION_ID` itself or a leading part of it at a
    /// dot (`alpine:3.19` covers `3.19.1`, not `3.1`).
    pub fn matches(&self, spec: &str) -> bool {
        let (id, version) = match spec.split_once(':') {
            Some((id, v)) => (id, Some(v)),
            None => (spec, None),
        };
        if !id.eq_ignore_ascii_case(&self.id) {
            return false;
        }
        match version {
            None => true,
            Some(v) => {
                self.version_id == v
                    || self
                        .version_id
                        .strip_prefix(v)
                        .is_some_and(|rest| rest.starts_with('.'))
            }
        }
    }
}

/// A value without its shell-style quotes and backslash escapes.
fn unquote(v: &str) -> String {
    let inner = match v.as_bytes() {
        [q @ (b'"' | b'\''), .., last] if last == q && v.len() >= 2 => &v[1..v.len() - 1],
        _ => v,
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_is_read_with_quotes_and_comments() {
        let os = Os::parse(
            "# comment\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n",
        )
        .expect("test data");
        assert_eq!(os.id, "debian");
        assert_eq!(os.version_id, "12");
        assert_eq!(os.name(), "debian:12");
        assert_eq!(
            os.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(Os::parse("NAME=x\n"), None);
    }

    #[test]
    fn a_vulnerability_os_covers_its_point_releases() {
        let os = Os::parse("ID=alpine\nVERSION_ID=3.19.1\n").expect("test data");
        assert!(os.matches("alpine"));
        assert!(os.matches("alpine:3.19"));
        assert!(os.matches("alpine:3.19.1"));
        assert!(!os.matches("alpine:3.1"));
        assert!(!os.matches("alpine:3.19.10"));
        assert!(!os.matches("debian:3.19"));
    }
}

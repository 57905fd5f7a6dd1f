//! The package databases a scan reads: dpkg's `status` file (and the one-file-per-package
//! `status.d/` directory distroless images carry) and apk's `installed` file.

use crate::version::Scheme;

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// The source package it was built from (dpkg's `Source`, apk's origin `o:`); the
    /// package's own name when the database names none.
    pub source: String,
    /// `amd64`, `x86_64`, `all`, …; empty when the database does not say.
    pub arch: String,
    /// Whose rules order its versions.
    pub scheme: Scheme,
}

/// The stanzas of a dpkg control file: blank-line separated, `Field: value` lines, lines
/// starting with a space or tab continuing the previous field.
fn stanzas(text: &str) -> Vec<Vec<(&str, &str)>> {
    let mut out = Vec::new();
    let mut current: Vec<(&str, &str)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else if line.starts_with([' ', '\t']) {
            // A continuation: only multi-line fields (Description, Conffiles) have them,
            // and none of those is read here.
        } else if let Some((k, v)) = line.split_once(':') {
            current.push((k.trim(), v.trim()));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The installed packages of a dpkg `status` file (or of one `status.d/` file).
///
/// A stanza counts when its `Status` says `installed` (`install ok installed`; also
/// `hold ok installed`); `status.d/` files have no `Status` field and each describes an
/// installed package. `Source` may carry a version in parentheses (`openssl (3.0.11-1)`),
/// which is dropped: the binary package's own version is what is installed.
pub fn parse_dpkg(text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    for stanza in stanzas(text) {
        let field = |name: &str| {
            stanza
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        };
        let installed =
            field("Status").is_none_or(|s| s.split_whitespace().nth(2) == Some("installed"));
        let (Some(name), Some(version)) = (field("Package"), field("Version")) else {
            continue;
        };
        if !installed || name.is_empty() || version.is_empty() {
            continue;
        }
        let source = field("Source")
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or(name);
        out.push(Package {
            name: name.to_owned(),
            version: version.to_owned(),
            source: source.to_owned(),
            arch: field("Architecture").unwrap_or_default().to_owned(),
            scheme: Scheme::Dpkg,
        });
    }
    out
}

/// The packages of apk's `lib/apk/db/installed`: blank-line separated records of
/// one-letter fields (`P:` name, `V:` version, `A:` architecture, `o:` origin).
pub fn parse_apk(text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    let mut fields: [Option<&str>; 4] = [None; 4];
    let mut flush = |f: &mut [Option<&str>; 4]| {
        if let [Some(name), Some(version), arch, origin] = *f {
            if !name.is_empty() && !version.is_empty() {
                out.push(Package {
                    name: name.to_owned(),
                    version: version.to_owned(),
                    source: origin.filter(|o| !o.is_empty()).unwrap_or(name).to_owned(),
                    arch: arch.unwrap_or_default().to_owned(),
                    scheme: Scheme::Apk,
                });
            }
        }
        *f = [None; 4];
    };
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            flush(&mut fields);
            continue;
        }
        let slot = match line.split_once(':') {
            Some(("P", v)) => Some((0, v)),
            Some(("V", v)) => Some((1, v)),
            Some(("A", v)) => Some((2, v)),
            Some(("o", v)) => Some((3, v)),
            _ => None,
        };
        if let Some((i, v)) = slot {
            fields[i] = Some(v.trim());
        }
    }
    flush(&mut fields);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_status_keeps_installed_packages_only() {
        let text = "\
Package: libssl3
Status: install ok installed
Priority: optional
Architecture: amd64
Source: openssl (3.0.11-1~deb12u1)
Version: 3.0.11-1~deb12u1
Description: Secure Sockets Layer toolkit
 This package is part of the OpenSSL project.
 .
 More text.

Package: removed-one
Status: deinstall ok config-files
Version: 1.0

Package: base-files
Status: hold ok installed
Architecture: amd64
Version: 12.4+deb12u5
";
        let got = parse_dpkg(text);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].name, "libssl3");
        assert_eq!(got[0].source, "openssl");
        assert_eq!(got[0].version, "3.0.11-1~deb12u1");
        assert_eq!(got[0].arch, "amd64");
        assert_eq!(got[1].name, "base-files");
        assert_eq!(got[1].source, "base-files");
    }

    #[test]
    fn a_distroless_status_d_file_has_no_status_field() {
        let got = parse_dpkg("Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "tzdata");
    }

    #[test]
    fn apk_installed_records_are_read() {
        let text = "C:Q1abc=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\nF:lib\nR:libc.musl-x86_64.so.1\n\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\no:openssl\n\n";
        let got = parse_apk(text);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].name, "musl");
        assert_eq!(got[0].version, "1.2.4_git20230717-r4");
        assert_eq!(got[1].source, "openssl");
        assert_eq!(got[1].scheme, Scheme::Apk);
    }
}

//! The version orderings are total orders (reflexive, antisymmetric, transitive) over
//! versions generated from each grammar, and a finding is reported exactly when a package's
//! version orders below the fixed version.

use std::cmp::Ordering;

use berth_ecr_scan::version::{apk, dpkg};
use berth_ecr_scan::{check, Inventory, Os, Package, Scheme, Severity, Vulnerabilities};
use proptest::prelude::*;

fn dpkg_version() -> impl Strategy<Value = String> {
    "([0-9]{1,2}:)?[0-9]{1,3}(\\.[0-9a-z~+]{1,3}){0,3}(-[0-9a-z~+.]{1,4})?"
}

fn apk_version() -> impl Strategy<Value = String> {
    "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}[a-c]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]{0,2}){0,2}(~[0-9a-f]{1,3})?(-r[0-9]{1,2})?"
}

fn laws(cmp: impl Fn(&str, &str) -> Ordering, a: &str, b: &str, c: &str) {
    assert_eq!(cmp(a, a), Ordering::Equal, "{a} is not equal to itself");
    assert_eq!(
        cmp(a, b),
        cmp(b, a).reverse(),
        "{a} vs {b} is not antisymmetric"
    );
    let (ab, bc, ac) = (cmp(a, b), cmp(b, c), cmp(a, c));
    if ab != Ordering::Greater && bc != Ordering::Greater {
        assert_ne!(ac, Ordering::Greater, "{a} <= {b} <= {c} but {a} > {c}");
    }
    if ab == Ordering::Equal && bc == Ordering::Equal {
        assert_eq!(ac, Ordering::Equal, "{a} == {b} == {c} but {a} != {c}");
    }
    if ab == Ordering::Less && bc != Ordering::Greater {
        assert_eq!(ac, Ordering::Less, "{a} < {b} <= {c} but not {a} < {c}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn dpkg_ordering_is_a_total_order(a in dpkg_version(), b in dpkg_version(), c in dpkg_version()) {
        laws(dpkg::compare, &a, &b, &c);
    }

    #[test]
    fn dpkg_tilde_sorts_before_and_more_sorts_after(v in "[0-9]{1,3}(\\.[0-9a-z+]{1,3}){0,3}", x in "[0-9a-z]{1,3}") {
        prop_assert_eq!(dpkg::compare(&format!("{v}~{x}"), &v), Ordering::Less);
        prop_assert_eq!(dpkg::compare(&v, &format!("{v}.{x}")), Ordering::Less);
        prop_assert_eq!(dpkg::compare(&v, &format!("1:{v}")), Ordering::Less);
        prop_assert_eq!(dpkg::compare(&format!("{v}-1"), &format!("{v}-1+deb12u1")), Ordering::Less);
    }

    #[test]
    fn apk_ordering_is_a_total_order(a in apk_version(), b in apk_version(), c in apk_version()) {
        prop_assert!(apk::is_valid(&a), "{} should be valid", a);
        let cmp = |x: &str, y: &str| apk::compare(x, y).unwrap_or_else(|| panic!("{x} or {y} refused"));
        laws(cmp, &a, &b, &c);
    }

    #[test]
    fn apk_pre_releases_sort_before_and_revisions_after(v in "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}", n in 0u32..50) {
        prop_assert_eq!(apk::compare(&format!("{v}_rc{n}"), &v), Some(Ordering::Less));
        prop_assert_eq!(apk::compare(&v, &format!("{v}-r{n}")), Some(Ordering::Less));
        prop_assert_eq!(apk::compare(&format!("{v}-r{n}"), &format!("{v}-r{}", n + 1)), Some(Ordering::Less));
        prop_assert_eq!(apk::compare(&format!("{v}_p{n}"), &format!("{v}.1")), Some(Ordering::Less));
    }

    #[test]
    fn a_finding_is_reported_exactly_when_the_version_is_below_the_fix(
        installed in proptest::collection::vec(dpkg_version(), 1..6),
        fixes in proptest::collection::vec(proptest::option::of(dpkg_version()), 1..6),
    ) {
        let inventory = Inventory {
            os: Os::parse("ID=debian\nVERSION_ID=12\n"),
            packages: installed.iter().enumerate().map(|(i, v)| Package {
                name: format!("pkg{i}"),
                version: v.clone(),
                source: "src".into(),
                arch: "amd64".into(),
                scheme: Scheme::Dpkg,
            }).collect(),
            databases: vec!["/var/lib/dpkg/status".into()],
        };
        let entries: Vec<serde_json::Value> = fixes.iter().enumerate().map(|(i, f)| {
            let mut e = serde_json::json!({"id": format!("CVE-{i}"), "package": "src", "os": "debian:12",
                "severity": Severity::ALL[i % 6].as_str()});
            if let Some(f) = f { e["fixedVersion"] = f.clone().into(); }
            e
        }).collect();
        let vulns = Vulnerabilities::parse(serde_json::json!({"vulnerabilities": entries}).to_string().as_bytes()).expect("the generated file is valid");
        let report = check(&inventory, &vulns);
        for (i, v) in installed.iter().enumerate() {
            for (j, f) in fixes.iter().enumerate() {
                let affected = f.as_ref().is_none_or(|f| dpkg::compare(v, f) == Ordering::Less);
                let found = report.findings.iter().any(|x| x.package == format!("pkg{i}") && x.id == format!("CVE-{j}"));
                prop_assert_eq!(affected, found, "pkg{} {} vs CVE-{} {:?}", i, v, j, f);
            }
        }
        prop_assert_eq!(report.counts.values().sum::<u32>() as usize, report.findings.len());
        prop_assert!(report.counts.values().all(|n| *n > 0));
        prop_assert!(report.findings.windows(2).all(|w| w[0].severity <= w[1].severity));
        // Another system's vulnerabilities never match.
        let other = Inventory { os: Os::parse("ID=debian\nVERSION_ID=11\n"), ..inventory };
        prop_assert!(check(&other, &vulns).findings.is_empty());
    }
}

//! Load balancers' DNS names in the host's `/etc/hosts`, so that `curl http://<DNSName>/`
//! resolves through the system resolver with no setup. Each Berth process keeps its own
//! marked block (by data directory), replaced whole on every change; nothing else in the
//! file is touched.

use std::net::IpAddr;
use std::path::Path;

fn markers(owner: &str) -> (String, String) {
    (
        format!("# berth load balancers {owner} begin"),
        format!("# berth load balancers {owner} end"),
    )
}

/// `content` with the block of `owner` holding `entries` (removed when there are none).
pub fn with_block(content: &str, owner: &str, entries: &[(String, IpAddr)]) -> String {
    let (begin, end) = markers(owner);
    let mut out = String::new();
    let mut inside = false;
    for line in content.lines() {
        if line == begin {
            inside = true;
            continue;
        }
        if inside {
            inside = line != end;
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    if !entries.is_empty() {
        out.push_str(&begin);
        out.push('\n');
        for (name, ip) in entries {
            out.push_str(&format!("{ip} {name}\n"));
        }
        out.push_str(&end);
        out.push('\n');
    }
    out
}

/// Rewrites the block of `owner` in `path` in place (the file may be a bind mount, which a
/// rename would not replace), holding an exclusive lock on it meanwhile so that two Berth
/// processes on one host do not undo each other's blocks. Answers whether it changed.
pub fn update(path: &Path, owner: &str, entries: &[(String, IpAddr)]) -> std::io::Result<bool> {
    use std::io::{Read, Seek, Write};
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)?;
    file.lock()?;
    let mut old = String::new();
    file.read_to_string(&mut old)?;
    let new = with_block(&old, owner, entries);
    if new == old {
        return Ok(false);
    }
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(new.as_bytes())?;
    file.sync_all()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn the_block_is_replaced_and_the_rest_kept() {
        let base = "127.0.0.1 localhost\n::1 localhost\n";
        let one = with_block(base, "a", &[("web-1.elb".into(), ip("169.254.181.1"))]);
        assert!(one.starts_with(base));
        assert!(one.contains("169.254.181.1 web-1.elb\n"));
        let other = with_block(&one, "b", &[("api-2.elb".into(), ip("169.254.182.1"))]);
        let two = with_block(&other, "a", &[("web-3.elb".into(), ip("169.254.181.2"))]);
        assert!(!two.contains("web-1.elb"));
        assert!(two.contains("web-3.elb") && two.contains("api-2.elb"));
        assert_eq!(with_block(&with_block(&two, "a", &[]), "b", &[]), base);
    }

    #[test]
    fn an_unterminated_block_is_dropped_not_duplicated() {
        let broken = "x\n# berth load balancers a begin\n1.2.3.4 old\n";
        let fixed = with_block(broken, "a", &[("n".into(), ip("10.0.0.1"))]);
        assert_eq!(fixed.matches("begin").count(), 1);
        assert!(!fixed.contains("old"));
    }
}

//! Link-local service addresses on the host's loopback interface: ECS's credentials address
//! and the DNS address tasks resolve with. Containers on the default bridge and on the
//! awsvpc task network reach them through their gateway, host-network ones directly.

use std::net::Ipv4Addr;

/// Puts `addr` on `lo` (with `ip`, as root); true if it is there. `what` names the feature
/// that needs it, for the warning when it cannot be added.
pub fn add(addr: Ipv4Addr, what: &str) -> bool {
    let out = std::process::Command::new("ip")
        .args(["addr", "add", &format!("{addr}/32"), "dev", "lo"])
        .output();
    match out {
        Ok(o) if o.status.success() => true,
        // There already (older iproute2 says "File exists", newer "already assigned").
        Ok(o)
            if ["File exists", "already assigned"]
                .iter()
                .any(|m| String::from_utf8_lossy(&o.stderr).contains(m)) =>
        {
            true
        }
        Ok(o) => {
            tracing::warn!(
                stderr = %String::from_utf8_lossy(&o.stderr).trim(),
                "cannot add {addr} to lo: {what}"
            );
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot run ip to add {addr} to lo: {what}");
            false
        }
    }
}

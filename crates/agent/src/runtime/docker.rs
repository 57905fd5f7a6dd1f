//! The Docker Engine runtime (bollard over the local socket, API version negotiated so older
//! engines work).

use std::collections::HashMap;

use bollard::auth::DockerCredentials;
use bollard::container::LogOutput;
use bollard::errors::Error as DockerError;
use bollard::models::{ContainerStateStatusEnum, Ipam, NetworkCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, InspectNetworkOptions, ListContainersOptions,
    ListNetworksOptions, LogsOptions, RemoveContainerOptions, RemoveImageOptions, StatsOptions,
    StopContainerOptions, WaitContainerOptions,
};
use bollard::Docker;
use futures_util::StreamExt;

use super::log_frames::FrameJoiner;
use super::*;

pub struct DockerRuntime {
    docker: Docker,
}

fn engine(e: DockerError) -> RuntimeError {
    match e {
        DockerError::DockerResponseServerError {
            status_code: 404,
            message,
        } => RuntimeError::NotFound(message),
        DockerError::DockerResponseServerError { message, .. } => RuntimeError::Engine(message),
        other => RuntimeError::Engine(other.to_string()),
    }
}

impl DockerRuntime {
    /// Connects to the local Engine (`DOCKER_HOST` or the default socket) and negotiates the
    /// API version.
    pub async fn connect() -> Result<Self> {
        let docker = Docker::connect_with_local_defaults().map_err(engine)?;
        let docker = docker.negotiate_version().await.map_err(engine)?;
        Ok(DockerRuntime { docker })
    }

    /// The Engine lets two agents starting at once on one host both create the network (names
    /// are not unique there), after which the name is ambiguous. Every agent keeps the oldest
    /// one and removes the others, so all of them converge on the same network; a network
    /// already in use cannot be removed, and the oldest is the one that can be in use.
    async fn dedupe_network(&self, name: &str) -> Result<()> {
        let mut filters = HashMap::new();
        filters.insert("name".to_owned(), vec![name.to_owned()]);
        let options = ListNetworksOptions {
            filters: Some(filters),
        };
        let mut same: Vec<(String, String)> = self
            .docker
            .list_networks(Some(options))
            .await
            .map_err(engine)?
            .into_iter()
            // The name filter matches parts of names too.
            .filter(|n| n.name.as_deref() == Some(name))
            .filter_map(|n| Some((n.created.map(|c| c.to_string())?, n.id?)))
            .collect();
        same.sort();
        for (_, id) in same.iter().skip(1) {
            if let Err(e) = self.docker.remove_network(id).await {
                tracing::debug!(network = %id, error = %e, "duplicate network not removed");
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Runtime for DockerRuntime {
    async fn info(&self) -> Result<HostInfo> {
        let info = self.docker.info().await.map_err(engine)?;
        Ok(HostInfo {
            cpus: info.ncpu.unwrap_or(1),
            memory_bytes: info.mem_total.unwrap_or(0),
            server_version: info.server_version.unwrap_or_default(),
            architecture: info.architecture.unwrap_or_default(),
            os_type: info.os_type.unwrap_or_else(|| "linux".into()),
        })
    }

    async fn image_id(&self, image: &str) -> Result<Option<String>> {
        match self.docker.inspect_image(image).await {
            Ok(i) => Ok(Some(i.id.unwrap_or_default())),
            Err(e) => match engine(e) {
                RuntimeError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn pull(&self, image: &str, auth: Option<PullAuth>) -> Result<()> {
        let (repo, tag) = split_reference(image);
        let options = CreateImageOptions {
            from_image: Some(repo.to_owned()),
            tag: Some(tag.to_owned()),
            ..Default::default()
        };
        let credentials = auth.map(|a| DockerCredentials {
            username: Some(a.username),
            password: Some(a.password),
            serveraddress: crate::image_ref::ImageRef::parse(image).host,
            ..Default::default()
        });
        let mut stream = self.docker.create_image(Some(options), None, credentials);
        while let Some(progress) = stream.next().await {
            let info = progress.map_err(engine)?;
            if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                return Err(RuntimeError::Engine(detail));
            }
            if let Some(status) = info.status {
                let layer = info.id.as_deref().unwrap_or("");
                // A line per finished layer and the summary at the end; byte progress only
                // at debug level.
                if status == "Pull complete" || status == "Already exists" || layer.is_empty() {
                    tracing::info!(image, %status, layer, "pull");
                } else {
                    tracing::debug!(image, %status, layer, "pull");
                }
            }
        }
        Ok(())
    }

    async fn import(
        &self,
        reference: &str,
        rootfs_tar: Vec<u8>,
        changes: Vec<String>,
    ) -> Result<()> {
        let (repo, tag) = split_reference(reference);
        let options = CreateImageOptions {
            from_src: Some("-".into()),
            repo: Some(repo.to_owned()),
            tag: Some(tag.to_owned()),
            changes,
            ..Default::default()
        };
        let body = bollard::body_full(rootfs_tar.into());
        let mut stream = self.docker.create_image(Some(options), Some(body), None);
        while let Some(progress) = stream.next().await {
            let info = progress.map_err(engine)?;
            if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                return Err(RuntimeError::Engine(detail));
            }
        }
        Ok(())
    }

    async fn create(&self, name: &str, body: ContainerCreateBody) -> Result<String> {
        let options = CreateContainerOptions {
            name: Some(name.to_owned()),
            ..Default::default()
        };
        let r = self
            .docker
            .create_container(Some(options), body)
            .await
            .map_err(engine)?;
        Ok(r.id)
    }

    async fn start(&self, id: &str) -> Result<()> {
        self.docker
            .start_container(id, None::<bollard::query_parameters::StartContainerOptions>)
            .await
            .map_err(engine)
    }

    async fn stop(&self, id: &str, timeout_secs: i64) -> Result<()> {
        let options = StopContainerOptions {
            t: Some(timeout_secs.clamp(0, i32::MAX as i64) as i32),
            signal: None,
        };
        match self.docker.stop_container(id, Some(options)).await {
            Ok(()) => Ok(()),
            // 304: already stopped.
            Err(DockerError::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            Err(e) => Err(engine(e)),
        }
    }

    async fn remove(&self, id: &str) -> Result<()> {
        let options = RemoveContainerOptions {
            force: true,
            v: true,
            ..Default::default()
        };
        match self.docker.remove_container(id, Some(options)).await {
            Ok(()) => Ok(()),
            Err(e) => match engine(e) {
                RuntimeError::NotFound(_) => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn inspect(&self, id: &str) -> Result<Observed> {
        let c = self
            .docker
            .inspect_container(
                id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .map_err(engine)?;
        let state = c.state.unwrap_or_default();
        let status = state.status.unwrap_or(ContainerStateStatusEnum::EMPTY);
        let running = matches!(
            status,
            ContainerStateStatusEnum::RUNNING | ContainerStateStatusEnum::RESTARTING
        );
        let exited = matches!(
            status,
            ContainerStateStatusEnum::EXITED | ContainerStateStatusEnum::DEAD
        );
        let health = state
            .health
            .as_ref()
            .and_then(|h| h.status)
            .map(|s| s.to_string());
        let health_output = state
            .health
            .as_ref()
            .and_then(|h| h.log.as_ref())
            .and_then(|l| l.last())
            .and_then(|r| r.output.clone());
        let settings = c.network_settings.unwrap_or_default();
        let mut ports = Vec::new();
        for (key, bindings) in settings.ports.unwrap_or_default() {
            let (port, proto) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
            let Ok(port) = port.parse::<u16>() else {
                continue;
            };
            for b in bindings.unwrap_or_default() {
                let host_port = b.host_port.as_deref().and_then(|p| p.parse().ok());
                if let Some(hp) = host_port {
                    let ip = b.host_ip.unwrap_or_else(|| "0.0.0.0".into());
                    // The Engine lists IPv4 and IPv6 bindings; ECS reports IPv4 ones.
                    if ip.contains(':') {
                        continue;
                    }
                    ports.push((port, proto.to_owned(), ip, hp));
                }
            }
        }
        ports.sort();
        let addresses = settings
            .networks
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(n, e)| e.ip_address.filter(|ip| !ip.is_empty()).map(|ip| (n, ip)))
            .collect();
        let config = c.config.unwrap_or_default();
        let error = state.error.filter(|e| !e.is_empty());
        Ok(Observed {
            id: c.id.unwrap_or_default(),
            name: c
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_owned(),
            image_id: c.image.unwrap_or_default(),
            running,
            exited: exited || (error.is_some() && !running),
            exit_code: state.exit_code,
            oom_killed: state.oom_killed.unwrap_or(false),
            error,
            health,
            health_output,
            created_at: c.created,
            started_at: state.started_at.filter(|t| !t.starts_with("0001")),
            finished_at: state.finished_at.filter(|t| !t.starts_with("0001")),
            ports,
            addresses,
            labels: config.labels.unwrap_or_default(),
        })
    }

    async fn wait_exit(&self, id: &str) -> Result<()> {
        let options = WaitContainerOptions {
            condition: "not-running".into(),
        };
        let mut stream = self.docker.wait_container(id, Some(options));
        match stream.next().await {
            Some(Ok(_)) | None => Ok(()),
            // A non-zero exit code arrives as an error carrying the code.
            Some(Err(DockerError::DockerContainerWaitError { .. })) => Ok(()),
            Some(Err(e)) => Err(engine(e)),
        }
    }

    async fn list(&self, label: &str, value: &str) -> Result<Vec<Listed>> {
        let mut filters = HashMap::new();
        filters.insert("label".to_owned(), vec![format!("{label}={value}")]);
        let options = ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        };
        let found = self
            .docker
            .list_containers(Some(options))
            .await
            .map_err(engine)?;
        Ok(found
            .into_iter()
            .map(|c| Listed {
                id: c.id.unwrap_or_default(),
                labels: c.labels.unwrap_or_default(),
                running: c.state.map(|s| s.to_string()) == Some("running".into()),
            })
            .collect())
    }

    async fn ensure_network(&self, name: &str) -> Result<NetworkInfo> {
        match self.network(name).await {
            Ok(n) => return Ok(n),
            Err(RuntimeError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        let mut labels = HashMap::new();
        labels.insert("berth.network".to_owned(), "task".to_owned());
        let request = NetworkCreateRequest {
            name: name.to_owned(),
            driver: Some("bridge".into()),
            ipam: Some(Ipam::default()),
            labels: Some(labels),
            ..Default::default()
        };
        match self.docker.create_network(request).await {
            Ok(_) => {}
            // Created concurrently by another agent on this host.
            Err(DockerError::DockerResponseServerError {
                status_code: 409, ..
            }) => {}
            Err(e) => return Err(engine(e)),
        }
        self.dedupe_network(name).await?;
        self.network(name).await
    }

    async fn network(&self, name: &str) -> Result<NetworkInfo> {
        let n = self
            .docker
            .inspect_network(name, None::<InspectNetworkOptions>)
            .await
            .map_err(engine)?;
        let config = n.ipam.and_then(|i| i.config).and_then(|c| {
            c.into_iter()
                .find(|c| c.subnet.as_deref().is_some_and(|s| !s.contains(':')))
        });
        let subnet = config.as_ref().and_then(|c| c.subnet.clone());
        Ok(NetworkInfo {
            name: n.name.unwrap_or_else(|| name.to_owned()),
            // The default bridge lists no gateway: it is the subnet's first address.
            gateway: config
                .as_ref()
                .and_then(|c| c.gateway.clone())
                .or_else(|| subnet.as_deref().and_then(first_host)),
            subnet,
        })
    }

    async fn stats(&self, id: &str) -> Result<serde_json::Value> {
        let options = StatsOptions {
            stream: false,
            one_shot: false,
        };
        let mut stream = self.docker.stats(id, Some(options));
        match stream.next().await {
            Some(Ok(s)) => serde_json::to_value(s).map_err(|e| RuntimeError::Engine(e.to_string())),
            Some(Err(e)) => Err(engine(e)),
            None => Err(RuntimeError::NotFound(id.to_owned())),
        }
    }

    async fn remove_image(&self, image: &str) -> Result<()> {
        self.docker
            .remove_image(image, None::<RemoveImageOptions>, None)
            .await
            .map(|_| ())
            .map_err(engine)
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        self.docker
            .remove_volume(name, None::<bollard::query_parameters::RemoveVolumeOptions>)
            .await
            .map_err(engine)
    }

    async fn images(&self) -> Result<Vec<(String, Vec<String>)>> {
        let list = self
            .docker
            .list_images(None::<bollard::query_parameters::ListImagesOptions>)
            .await
            .map_err(engine)?;
        Ok(list.into_iter().map(|i| (i.id, i.repo_tags)).collect())
    }

    fn follow_logs(&self, id: &str, since_ns: i64) -> LogLines {
        let options = LogsOptions {
            follow: true,
            stdout: true,
            stderr: true,
            // Whole seconds: the Engine's `since` is a UNIX time; past i32, read everything
            // (the caller skips what it has).
            since: i32::try_from(since_ns.div_euclid(1_000_000_000)).unwrap_or(0),
            timestamps: true,
            ..Default::default()
        };
        let frames = self.docker.logs(id, Some(options)).fuse().boxed();
        let state = (
            frames,
            FrameJoiner::default(),
            std::collections::VecDeque::new(),
        );
        futures_util::stream::unfold(state, |(mut frames, mut joiner, mut ready)| async move {
            loop {
                if let Some(line) = ready.pop_front() {
                    return Some((Ok(line), (frames, joiner, ready)));
                }
                let (source, bytes) = match frames.next().await {
                    Some(Ok(LogOutput::StdErr { message })) => (LogSource::Stderr, message),
                    Some(Ok(LogOutput::StdOut { message } | LogOutput::Console { message })) => {
                        (LogSource::Stdout, message)
                    }
                    Some(Ok(LogOutput::StdIn { .. })) => continue,
                    Some(Err(e)) => return Some((Err(engine(e)), (frames, joiner, ready))),
                    None => {
                        let rest = joiner.finish();
                        if rest.is_empty() {
                            return None;
                        }
                        ready.extend(rest);
                        continue;
                    }
                };
                ready.extend(joiner.push(source, &bytes));
            }
        })
        .boxed()
    }
}

/// The first host address of an IPv4 CIDR block (`172.17.0.0/16` → `172.17.0.1`).
fn first_host(cidr: &str) -> Option<String> {
    let (addr, _) = cidr.split_once('/')?;
    let ip: std::net::Ipv4Addr = addr.parse().ok()?;
    Some(std::net::Ipv4Addr::from(u32::from(ip).checked_add(1)?).to_string())
}

/// `repo[:tag]` (or `repo@digest`) → (repo, tag); the tag defaults to `latest`.
pub fn split_reference(image: &str) -> (&str, &str) {
    if let Some((repo, digest)) = image.split_once('@') {
        // The Engine takes a digest in the tag slot of a pull.
        return (repo, digest);
    }
    let last_slash = image.rfind('/').map(|i| i + 1).unwrap_or(0);
    match image[last_slash..].rfind(':') {
        Some(i) => (&image[..last_slash + i], &image[last_slash + i + 1..]),
        None => (image, "latest"),
    }
}

#[cfg(test)]
mod tests {
    use super::split_reference;

    #[test]
    fn references_split_into_repo_and_tag() {
        assert_eq!(split_reference("busybox"), ("busybox", "latest"));
        assert_eq!(split_reference("busybox:1.36"), ("busybox", "1.36"));
        assert_eq!(
            split_reference("localhost:5000/team/app"),
            ("localhost:5000/team/app", "latest")
        );
        assert_eq!(
            split_reference("localhost:5000/team/app:v2"),
            ("localhost:5000/team/app", "v2")
        );
        assert_eq!(split_reference("app@sha256:abc"), ("app", "sha256:abc"));
    }

    #[test]
    fn the_default_bridge_gateway_is_the_first_host() {
        assert_eq!(
            super::first_host("172.17.0.0/16").as_deref(),
            Some("172.17.0.1")
        );
        assert_eq!(super::first_host("fd00::/64"), None);
    }
}

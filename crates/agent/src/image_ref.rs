//! Image references as a task definition names them, and which of them Berth's own registry
//! serves: an AWS-shaped ECR name (`<account>.dkr.ecr.<region>.amazonaws.com/repo:tag`) for
//! the agent's region, or a name on the registry host Berth's GetAuthorizationToken answers.
//! Pure: no IO.

/// An image reference split as the Docker Engine reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// The registry host (with port), when the first path component names one.
    pub host: Option<String>,
    /// The repository path within the registry.
    pub repository: String,
    /// `:tag` or `@sha256:…`, with its separator; empty for an implicit `latest`.
    pub suffix: String,
}

impl ImageRef {
    pub fn parse(image: &str) -> ImageRef {
        let (name, digest) = match image.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (image, None),
        };
        let (name, suffix) = match digest {
            Some(d) => (name, format!("@{d}")),
            None => {
                let last_slash = name.rfind('/').map(|i| i + 1).unwrap_or(0);
                match name[last_slash..].rfind(':') {
                    Some(i) => (&name[..last_slash + i], name[last_slash + i..].to_owned()),
                    None => (name, String::new()),
                }
            }
        };
        // The Engine's rule: the first component is a registry if it has a dot or a port,
        // or is `localhost`.
        match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                ImageRef {
                    host: Some(first.to_ascii_lowercase()),
                    repository: rest.to_owned(),
                    suffix,
                }
            }
            _ => ImageRef {
                host: None,
                repository: name.to_owned(),
                suffix,
            },
        }
    }

    /// The same repository and tag or digest on another registry host.
    pub fn on_host(&self, host: &str) -> String {
        format!("{host}/{}{}", self.repository, self.suffix)
    }

    /// The account of an AWS-shaped ECR host in `region`
    /// (`<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`).
    pub fn ecr_account(&self, region: &str) -> Option<&str> {
        let host = self.host.as_deref()?;
        let (account, rest) = host.split_once('.')?;
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let rest = rest
            .strip_prefix("dkr.ecr.")
            .or_else(|| rest.strip_prefix("dkr.ecr-fips."))?;
        let domain = rest.strip_prefix(region)?.strip_prefix('.')?;
        matches!(domain, "amazonaws.com" | "amazonaws.com.cn").then_some(account)
    }
}

/// The host (and port) of a registry URL such as `http://127.0.0.1:5454`.
pub fn url_host(url: &str) -> &str {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    rest.split('/').next().unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn references_name_their_registry() {
        let r = ImageRef::parse("busybox");
        assert_eq!(
            (r.host, r.repository.as_str(), r.suffix.as_str()),
            (None, "busybox", "")
        );
        let r = ImageRef::parse("library/nginx:1.27");
        assert_eq!(r.host, None);
        assert_eq!(r.suffix, ":1.27");
        let r = ImageRef::parse("127.0.0.1:5454/team/app:v2");
        assert_eq!(r.host.as_deref(), Some("127.0.0.1:5454"));
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.suffix, ":v2");
        let r = ImageRef::parse("localhost/app@sha256:abc");
        assert_eq!(r.host.as_deref(), Some("localhost"));
        assert_eq!(r.suffix, "@sha256:abc");
        assert_eq!(r.on_host("h:1"), "h:1/app@sha256:abc");
    }

    #[test]
    fn ecr_hosts_are_recognised_for_the_region_only() {
        let r = ImageRef::parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1");
        assert_eq!(r.ecr_account("us-east-1"), Some("123456789012"));
        assert_eq!(r.ecr_account("eu-west-1"), None);
        let r = ImageRef::parse("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/web");
        assert_eq!(r.ecr_account("us-east-1"), Some("123456789012"));
        for other in [
            "12345678901.dkr.ecr.us-east-1.amazonaws.com/web",
            "123456789012.dkr.ecr.us-east-1.example.com/web",
            "123456789012.dkr.ecr.us-east-11.amazonaws.com/web",
            "public.ecr.aws/nginx/nginx",
            "nginx",
        ] {
            assert_eq!(
                ImageRef::parse(other).ecr_account("us-east-1"),
                None,
                "{other}"
            );
        }
    }

    #[test]
    fn url_hosts() {
        assert_eq!(url_host("http://127.0.0.1:5454"), "127.0.0.1:5454");
        assert_eq!(url_host("https://reg.example:443/"), "reg.example:443");
        assert_eq!(url_host("reg.example"), "reg.example");
    }

    proptest! {
        /// Moving a reference to another host keeps its repository and tag or digest.
        #[test]
        fn moving_keeps_repository_and_suffix(
            repo in "[a-z0-9]{1,8}(/[a-z0-9]{1,8}){0,2}",
            tag in prop::option::of("[A-Za-z0-9_.-]{1,10}"),
            host in "[a-z]{1,6}\\.[a-z]{2,3}(:[0-9]{2,5})?",
        ) {
            let image = match &tag {
                Some(t) => format!("{repo}:{t}"),
                None => repo.clone(),
            };
            let moved = ImageRef::parse(&image).on_host(&host);
            let again = ImageRef::parse(&moved);
            prop_assert_eq!(again.host.as_deref(), Some(host.as_str()));
            prop_assert_eq!(again.repository, repo);
            prop_assert_eq!(again.suffix, tag.map(|t| format!(":{t}")).unwrap_or_default());
        }
    }
}

//! Redirect actions: the `Location` an ALB redirect builds from its
//! template and the request. Pure.
//!
//! The fields default to their placeholders (`#{protocol}`, `#{host}`,
//! `#{port}`, `/#{path}`, `#{query}`). `#{path}` is the request path
//! without its leading `/`, `#{host}` the Host without its port, `#{query}`
//! the query without its `?`. The port is always written, the scheme's
//! default too (`https://example.com:443/`), as ALB writes it; an empty
//! query leaves out the `?`.

use std::fmt::Write;

/// A compiled redirect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Redirect {
    https: Option<bool>,
    host: Vec<Piece>,
    port: Option<u16>,
    path: Vec<Piece>,
    query: Vec<Piece>,
    pub(crate) status: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(Box<str>),
    Protocol,
    Host,
    Port,
    Path,
    Query,
}

/// The parts of the request a redirect may reuse.
pub(crate) struct RedirectInput<'a> {
    pub https: bool,
    pub host: &'a str,
    pub port: u16,
    pub path: &'a str,
    pub query: &'a str,
}

impl Redirect {
    /// Compiles a redirect action's fields, checking them as ALB does.
    pub(crate) fn compile(
        protocol: &str,
        host: &str,
        port: &str,
        path: &str,
        query: &str,
        status: u16,
    ) -> Result<Redirect, String> {
        let https = match protocol {
            "" | "#{protocol}" => None,
            p if p.eq_ignore_ascii_case("HTTP") => Some(false),
            p if p.eq_ignore_ascii_case("HTTPS") => Some(true),
            other => {
                return Err(format!(
                    "redirect protocol {other:?} is not #{{protocol}}, HTTP or HTTPS"
                ))
            }
        };
        let port = match port {
            "" | "#{port}" => None,
            number => match number.parse::<u16>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    return Err(format!(
                        "redirect port {number:?} is not #{{port}} or 1-65535"
                    ))
                }
            },
        };
        let path = if path.is_empty() { "/#{path}" } else { path };
        if !path.starts_with('/') {
            return Err(format!("redirect path {path:?} must start with '/'"));
        }
        if status != 301 && status != 302 {
            return Err(format!("redirect status {status} is not 301 or 302"));
        }
        Ok(Redirect {
            https,
            host: pieces(if host.is_empty() { "#{host}" } else { host }),
            port,
            path: pieces(path),
            query: pieces(if query.is_empty() { "#{query}" } else { query }),
            status,
        })
    }

    /// The `Location` for a request.
    pub(crate) fn location(&self, input: &RedirectInput<'_>) -> String {
        let https = self.https.unwrap_or(input.https);
        let port = self.port.unwrap_or(input.port);
        let mut out = String::with_capacity(64 + input.path.len() + input.query.len());
        out.push_str(if https { "https://" } else { "http://" });
        render(&self.host, input, &mut out);
        let _ = write!(out, ":{port}");
        render(&self.path, input, &mut out);
        let before_query = out.len();
        out.push('?');
        render(&self.query, input, &mut out);
        if out.len() == before_query + 1 {
            out.truncate(before_query);
        }
        out
    }
}

fn render(pieces: &[Piece], input: &RedirectInput<'_>, out: &mut String) {
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Protocol => out.push_str(if input.https { "https" } else { "http" }),
            Piece::Host => out.push_str(input.host),
            Piece::Port => {
                let _ = write!(out, "{}", input.port);
            }
            Piece::Path => out.push_str(input.path.strip_prefix('/').unwrap_or(input.path)),
            Piece::Query => out.push_str(input.query),
        }
    }
}

fn pieces(template: &str) -> Vec<Piece> {
    const NAMES: [(&str, Piece); 5] = [
        ("#{protocol}", Piece::Protocol),
        ("#{host}", Piece::Host),
        ("#{port}", Piece::Port),
        ("#{path}", Piece::Path),
        ("#{query}", Piece::Query),
    ];
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = template;
    'outer: while !rest.is_empty() {
        for (name, piece) in &NAMES {
            if let Some(after) = rest.strip_prefix(name) {
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text).into()));
                }
                out.push(piece.clone());
                rest = after;
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            text.push(c);
        }
        rest = chars.as_str();
    }
    if !text.is_empty() {
        out.push(Piece::Text(text.into()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input<'a>(https: bool, port: u16, path: &'a str, query: &'a str) -> RedirectInput<'a> {
        RedirectInput {
            https,
            host: "example.com",
            port,
            path,
            query,
        }
    }

    #[test]
    fn defaults_rebuild_the_request_url() {
        let r = Redirect::compile("", "", "", "", "", 301).unwrap();
        assert_eq!(
            r.location(&input(false, 80, "/a/b", "x=1")),
            "http://example.com:80/a/b?x=1"
        );
        assert_eq!(
            r.location(&input(false, 8080, "/", "")),
            "http://example.com:8080/"
        );
    }

    #[test]
    fn http_to_https_on_443() {
        let r = Redirect::compile("HTTPS", "#{host}", "443", "/#{path}", "#{query}", 301).unwrap();
        assert_eq!(
            r.location(&input(false, 80, "/login", "")),
            "https://example.com:443/login"
        );
        assert_eq!(
            r.location(&input(false, 8080, "/a", "q=1&r=2")),
            "https://example.com:443/a?q=1&r=2"
        );
    }

    #[test]
    fn placeholders_compose() {
        let r = Redirect::compile(
            "#{protocol}",
            "new.#{host}",
            "#{port}",
            "/v2/#{path}/#{port}",
            "from=#{host}&#{query}",
            302,
        )
        .unwrap();
        assert_eq!(
            r.location(&input(true, 8443, "/items", "a=b")),
            "https://new.example.com:8443/v2/items/8443?from=example.com&a=b"
        );
        assert_eq!(r.status, 302);
    }

    #[test]
    fn invalid_fields_are_rejected() {
        assert!(Redirect::compile("FTP", "", "", "", "", 301).is_err());
        assert!(Redirect::compile("", "", "70000", "", "", 301).is_err());
        assert!(Redirect::compile("", "", "", "no-slash", "", 301).is_err());
        assert!(Redirect::compile("", "", "", "", "", 307).is_err());
        assert!(pieces("#{unknown}x") == vec![Piece::Text("#{unknown}x".into())]);
    }

    proptest! {
        #[test]
        fn default_redirect_preserves_path_and_query(
            path in "/[a-z0-9/]{0,12}",
            query in "[a-z0-9=&]{0,12}",
            port in 1u16..,
            https in any::<bool>(),
        ) {
            let r = Redirect::compile("", "", "", "", "", 301).unwrap();
            let loc = r.location(&input(https, port, &path, &query));
            let scheme = if https { "https://" } else { "http://" };
            prop_assert!(loc.starts_with(scheme));
            let authority = format!("example.com:{port}");
            let mut expected = format!("{scheme}{authority}{path}");
            if !query.is_empty() {
                expected.push('?');
                expected.push_str(&query);
            }
            prop_assert_eq!(loc, expected);
        }
    }
}

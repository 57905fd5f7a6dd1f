//! `nextToken` / `maxResults` pagination over key-ordered listings.
//!
//! A token is the hex of the last key a page returned, so a listing resumes after it even when
//! records were added or removed in between.

/// A `nextToken` that this listing did not hand out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("The nextToken is not valid.")]
pub struct InvalidToken;

/// A page size outside the operation's range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("maxResults must be between 1 and {max}, got {got}.")]
pub struct InvalidPageSize {
    pub max: i32,
    pub got: i32,
}

pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// Checks `maxResults` against the operation's range (`1..=max`); absent means `default`.
pub fn page_size(
    max_results: Option<i32>,
    max: i32,
    default: i32,
) -> Result<usize, InvalidPageSize> {
    match max_results {
        None => Ok(default as usize),
        Some(n) if (1..=max).contains(&n) => Ok(n as usize),
        Some(got) => Err(InvalidPageSize { max, got }),
    }
}

/// Returns the page of `(key, item)` (already sorted by key, ascending) after `token`.
pub fn paginate<T>(
    sorted: impl IntoIterator<Item = (String, T)>,
    token: Option<&str>,
    size: usize,
) -> Result<Page<T>, InvalidToken> {
    paginate_ordered(sorted, token, size, false)
}

/// As [`paginate`], for keys sorted ascending (`descending == false`) or descending.
pub fn paginate_ordered<T>(
    sorted: impl IntoIterator<Item = (String, T)>,
    token: Option<&str>,
    size: usize,
    descending: bool,
) -> Result<Page<T>, InvalidToken> {
    let after = match token {
        None | Some("") => None,
        Some(t) => Some(decode(t)?),
    };
    let mut items = Vec::new();
    let mut last_key = None;
    let mut more = false;
    for (key, item) in sorted {
        let seen = |a: &String| {
            if descending {
                key.as_str() >= a.as_str()
            } else {
                key.as_str() <= a.as_str()
            }
        };
        if after.as_ref().is_some_and(seen) {
            continue;
        }
        if items.len() == size {
            more = true;
            break;
        }
        last_key = Some(key);
        items.push(item);
    }
    let next_token = if more {
        last_key.map(|k| encode(&k))
    } else {
        None
    };
    Ok(Page { items, next_token })
}

/// The token that resumes a listing after `key`.
pub fn encode(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The key a token resumes after.
pub fn decode(token: &str) -> Result<String, InvalidToken> {
    let bad = || InvalidToken;
    if !token.len().is_multiple_of(2) || token.len() > 4096 {
        return Err(bad());
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)?;
    String::from_utf8(bytes).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: usize) -> Vec<(String, usize)> {
        (0..n).map(|i| (format!("k{i:03}"), i)).collect()
    }

    #[test]
    fn walks_every_item_once() {
        let mut token = None;
        let mut seen = Vec::new();
        loop {
            let p = paginate(keys(10), token.as_deref(), 3).expect("page");
            seen.extend(p.items);
            match p.next_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn exact_fit_has_no_token() {
        let p = paginate(keys(3), None, 3).expect("page");
        assert_eq!(p.items.len(), 3);
        assert!(p.next_token.is_none());
    }

    #[test]
    fn bad_tokens_are_parameter_errors() {
        for t in ["zz", "abc", "ff"] {
            assert!(paginate(keys(3), Some(t), 3).is_err(), "{t}");
        }
        assert!(page_size(Some(0), 100, 100).is_err());
        assert!(page_size(Some(101), 100, 100).is_err());
        assert_eq!(page_size(None, 100, 100).expect("size"), 100);
    }
}

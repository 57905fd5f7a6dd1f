//! Names as the index sees them: a case-folded, unambiguous byte key, and the
//! conversions from the strings Cloud Map hands us.

use hickory_proto::rr::domain::Label;
use hickory_proto::rr::Name;

/// The longest key: a name's wire form without the root byte.
const MAX_KEY: usize = 255;
/// A name has at most 127 labels (each at least two bytes on the wire).
const MAX_LABELS: usize = 128;

/// A name as a lookup key: each label as its length byte and its lowercased
/// bytes (the wire form, case-folded, without the root label). Length
/// prefixes keep a label holding a `.` byte apart from two labels, and every
/// suffix of the key is the key of an ancestor name, so walking up towards
/// the apex needs no new key.
pub(crate) struct Key {
    bytes: [u8; MAX_KEY],
    len: usize,
    starts: [u8; MAX_LABELS],
    labels: usize,
}

impl Key {
    /// The key of `name`, or `None` for a name longer than DNS allows
    /// (hickory never decodes one, but a `Name` can be built by hand).
    pub(crate) fn of(name: &Name) -> Option<Key> {
        let mut key = Key {
            bytes: [0; MAX_KEY],
            len: 0,
            starts: [0; MAX_LABELS],
            labels: 0,
        };
        for label in name.iter() {
            let end = key.len + 1 + label.len();
            if end > MAX_KEY || key.labels == MAX_LABELS || label.len() > 63 {
                return None;
            }
            key.starts[key.labels] = u8::try_from(key.len).ok()?;
            key.labels += 1;
            key.bytes[key.len] = u8::try_from(label.len()).ok()?;
            for (slot, byte) in key.bytes[key.len + 1..end].iter_mut().zip(label) {
                *slot = byte.to_ascii_lowercase();
            }
            key.len = end;
        }
        Some(key)
    }

    /// The whole key.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The keys of the name and each of its ancestors, longest first, the
    /// root (empty key) last.
    pub(crate) fn suffixes(&self) -> impl Iterator<Item = &[u8]> {
        let starts = self.starts[..self.labels].iter().map(|&s| usize::from(s));
        starts
            .chain(std::iter::once(self.len))
            .map(move |start| &self.bytes[start..self.len])
    }
}

/// The key of `name` as an owned map key.
pub(crate) fn owned_key(name: &Name) -> Option<Box<[u8]>> {
    Key::of(name).map(|key| key.as_bytes().into())
}

/// A domain name from configuration: case-insensitive, with or without the
/// trailing dot. `None` for the empty name, the root, or text that is not a
/// name.
pub(crate) fn domain(text: &str) -> Option<Name> {
    let trimmed = text.trim().trim_end_matches('.');
    if trimmed.is_empty() {
        return None;
    }
    let mut name = Name::from_ascii(trimmed).ok()?.to_lowercase();
    name.set_fqdn(true);
    Some(name)
}

/// `relative` (one or more labels, e.g. a service name) under `origin`.
pub(crate) fn under(relative: &str, origin: &Name) -> Option<Name> {
    let relative = domain(relative)?;
    let mut relative = relative;
    relative.set_fqdn(false);
    relative.append_domain(origin).ok()
}

/// The label an instance id becomes in its SRV target and host name:
/// lowercase letters, digits and `-`, every other character replaced by `-`,
/// at most 63 characters. Two ids may map to one label; the host then holds
/// the addresses of both.
pub(crate) fn instance_label(id: &str) -> String {
    let mut label: String = id
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '-') => c,
            _ => '-',
        })
        .take(63)
        .collect();
    if label.is_empty() {
        label.push('-');
    }
    label
}

/// `<instance label>.<service owner>`.
pub(crate) fn instance_host(id: &str, service: &Name) -> Option<Name> {
    let label = Label::from_raw_bytes(instance_label(id).as_bytes()).ok()?;
    service.prepend_label(label).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    #[test]
    fn keys_fold_case_and_keep_labels_apart() {
        let upper = Key::of(&name("API.Internal.")).unwrap();
        let lower = Key::of(&name("api.internal")).unwrap();
        assert_eq!(upper.as_bytes(), lower.as_bytes());
        assert_eq!(lower.as_bytes(), b"\x03api\x08internal");
        let dotted = Name::from_labels(vec![&b"api.internal"[..]]).unwrap();
        assert_ne!(Key::of(&dotted).unwrap().as_bytes(), lower.as_bytes());
    }

    #[test]
    fn suffixes_walk_up_to_the_root() {
        let key = Key::of(&name("a.b.c.")).unwrap();
        let suffixes: Vec<&[u8]> = key.suffixes().collect();
        assert_eq!(
            suffixes,
            vec![&b"\x01a\x01b\x01c"[..], b"\x01b\x01c", b"\x01c", b""]
        );
    }

    #[test]
    fn domains_from_configuration() {
        assert_eq!(domain("Example.COM.").unwrap().to_ascii(), "example.com.");
        assert_eq!(domain("internal").unwrap().to_ascii(), "internal.");
        assert!(domain("").is_none());
        assert!(domain(".").is_none());
        assert!(domain("bad..name").is_none());
        let apex = domain("internal").unwrap();
        assert_eq!(
            under("API.v1", &apex).unwrap().to_ascii(),
            "api.v1.internal."
        );
    }

    #[test]
    fn instance_ids_become_valid_labels() {
        assert_eq!(instance_label("i-0ABC_def"), "i-0abc-def");
        assert_eq!(instance_label("10.0.0.1:80"), "10-0-0-1-80");
        assert_eq!(instance_label(""), "-");
        assert_eq!(instance_label(&"x".repeat(100)).len(), 63);
        let service = domain("api.internal").unwrap();
        assert_eq!(
            instance_host("Task/1", &service).unwrap().to_ascii(),
            "task-1.api.internal."
        );
    }
}

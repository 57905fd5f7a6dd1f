//! FNV-1a: a tiny, fast, stable hash. Used for the rule index's host map
//! (short keys, no hostile-input concern worth SipHash's cost: the keys are
//! the operator's, a request only looks one up) and for the stickiness
//! cookie values, which must stay the same across restarts.

use std::hash::{BuildHasherDefault, Hasher};

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over `bytes`, continuing from `state` (start with [`fnv1a`]).
pub(crate) fn fnv1a_more(mut state: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        state ^= u64::from(b);
        state = state.wrapping_mul(PRIME);
    }
    state
}

/// FNV-1a of `bytes`.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_more(OFFSET, bytes)
}

/// A `Hasher` for `HashMap`s keyed by short byte strings.
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(OFFSET)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = fnv1a_more(self.0, bytes);
    }
}

/// The `BuildHasher` of [`Fnv`].
pub(crate) type FnvBuild = BuildHasherDefault<Fnv>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_more(fnv1a(b"fo"), b"o"), fnv1a(b"foo"));
    }
}

//! The zones in service, replaced whole while the servers read them.

use std::sync::Arc;

use arc_swap::{ArcSwap, Guard};

use crate::zones::ZoneSet;

/// The zones in service: swapped atomically, read lock-free.
///
/// Every query reads the current [`ZoneSet`] without taking a lock or
/// touching a shared reference count; [`ZoneHandle::replace`] puts a new set
/// in service for every query that starts after it returns, while queries
/// already being answered finish with the set they started with.
pub struct ZoneHandle {
    current: ArcSwap<ZoneSet>,
}

impl ZoneHandle {
    /// A handle serving `zones`.
    pub fn new(zones: ZoneSet) -> Arc<Self> {
        Arc::new(ZoneHandle {
            current: ArcSwap::from_pointee(zones),
        })
    }

    /// Puts `zones` in service in place of the current set.
    pub fn replace(&self, zones: ZoneSet) {
        self.current.store(Arc::new(zones));
    }

    /// The set in service now.
    pub fn current(&self) -> Arc<ZoneSet> {
        self.current.load_full()
    }

    /// The set in service now, for one query: cheaper than [`Self::current`]
    /// (no reference count change), to be dropped when the query is done.
    pub(crate) fn load(&self) -> Guard<Arc<ZoneSet>> {
        self.current.load()
    }
}

impl std::fmt::Debug for ZoneHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneHandle")
            .field("zones", &self.current.load().zone_count())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zones::Zone;

    #[test]
    fn replace_is_seen_by_the_next_read() {
        let handle = ZoneHandle::new(ZoneSet::new());
        let before = handle.current();
        let mut zones = ZoneSet::new();
        zones.add_zone(Zone {
            apex: "internal".into(),
            soa_ttl: 15,
            services: vec![],
        });
        handle.replace(zones.clone());
        assert_eq!(before.zone_count(), 0);
        assert_eq!(*handle.current(), zones);
        assert_eq!(handle.load().zone_count(), 1);
    }
}

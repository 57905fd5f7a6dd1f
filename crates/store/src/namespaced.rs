//! A view of a store in which every kind carries a prefix: several instances of one service
//! (one per account) share a store without meeting.

use std::sync::Arc;

use crate::{Op, Store, StoreError};

pub struct Namespaced {
    inner: Arc<dyn Store>,
    prefix: String,
}

impl Namespaced {
    /// Kinds are stored as `<prefix><kind>`.
    pub fn new(inner: Arc<dyn Store>, prefix: impl Into<String>) -> Self {
        Namespaced {
            inner,
            prefix: prefix.into(),
        }
    }
}

impl Store for Namespaced {
    fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        let ops = ops
            .into_iter()
            .map(|op| match op {
                Op::Put { kind, key, value } => Op::Put {
                    kind: format!("{}{kind}", self.prefix),
                    key,
                    value,
                },
                Op::Delete { kind, key } => Op::Delete {
                    kind: format!("{}{kind}", self.prefix),
                    key,
                },
            })
            .collect();
        self.inner.commit(ops)
    }

    fn load(&self, kind: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.inner.load(&format!("{}{kind}", self.prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemStore;

    #[test]
    fn two_namespaces_never_meet() {
        let base = Arc::new(MemStore::default());
        let a = Namespaced::new(base.clone(), "a/");
        let b = Namespaced::new(base.clone(), "b/");
        a.commit(vec![Op::put("cluster", "web", b"1".to_vec())])
            .expect("a");
        b.commit(vec![Op::put("cluster", "web", b"2".to_vec())])
            .expect("b");
        assert_eq!(
            a.load("cluster").expect("a"),
            vec![("web".to_owned(), b"1".to_vec())]
        );
        assert_eq!(
            b.load("cluster").expect("b"),
            vec![("web".to_owned(), b"2".to_vec())]
        );
        assert!(base.load("cluster").expect("base").is_empty());
        a.commit(vec![Op::delete("cluster", "web")])
            .expect("delete");
        assert!(a.load("cluster").expect("a").is_empty());
        assert_eq!(b.load("cluster").expect("b").len(), 1);
    }
}

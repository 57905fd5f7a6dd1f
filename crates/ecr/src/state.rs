//! ECR's tables, over berth-commit's write path.

use std::sync::Arc;

use berth_commit::Table;

use crate::error::{EcrError, Result};
use crate::records::*;

#[derive(Default, Clone)]
pub struct State {
    pub repositories: Table<RepositoryRec>,
    pub images: Table<ImageRec>,
    pub tags: Table<TagRec>,
    pub repo_blobs: Table<RepoBlobRec>,
    pub blobs: Table<BlobRec>,
    pub uploads: Table<UploadRec>,
    pub registries: Table<RegistryRec>,
    pub token_key: Table<TokenKeyRec>,
    pub replications: Table<ReplicationRec>,
    pub backfills: Table<BackfillRec>,
}

impl berth_commit::Tables for State {
    type Error = EcrError;
}

pub type Db = berth_commit::Db<State>;
pub type Tx<'a> = berth_commit::Tx<'a, State>;

pub fn open(store: Arc<dyn berth_store::Store>) -> Result<Db> {
    Ok(Db::open(store, |l| {
        l.load::<RepositoryRec>()?;
        l.load::<ImageRec>()?;
        l.load::<TagRec>()?;
        l.load::<RepoBlobRec>()?;
        l.load::<BlobRec>()?;
        l.load::<UploadRec>()?;
        l.load::<RegistryRec>()?;
        l.load::<ReplicationRec>()?;
        l.load::<BackfillRec>()?;
        l.load::<TokenKeyRec>()
    })?)
}

impl State {
    /// The records of `table` whose keys start with `prefix`, in key order.
    pub fn under<'a, T>(
        table: &'a Table<T>,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Arc<T>)> + 'a {
        table
            .range(prefix.to_owned()..)
            .take_while(move |(k, _)| k.starts_with(prefix))
    }

    /// The tags of the image `digest` in a repository, sorted.
    pub fn tags_of(&self, account: &str, repo: &str, digest: &str) -> Vec<String> {
        State::under(&self.tags, &children_of(account, repo))
            .filter(|(_, t)| t.digest == digest)
            .map(|(_, t)| t.tag.clone())
            .collect()
    }

    /// The digest a tag or digest reference names in a repository, if it names an image.
    pub fn resolve(&self, account: &str, repo: &str, reference: &str) -> Option<Arc<ImageRec>> {
        let digest = if reference.contains(':') {
            reference.to_owned()
        } else {
            self.tags
                .get(&child_key(account, repo, reference))?
                .digest
                .clone()
        };
        self.images.get(&child_key(account, repo, &digest)).cloned()
    }
}

/// Deletes every record of kind `R` whose key starts with `prefix`.
pub fn delete_under<R: berth_commit::Record<State = State>>(tx: &mut Tx<'_>, prefix: &str) {
    let keys: Vec<String> = State::under(R::table(tx.state), prefix)
        .map(|(k, _)| k.clone())
        .collect();
    for k in keys {
        tx.delete::<R>(&k);
    }
}

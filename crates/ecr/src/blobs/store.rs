//! Blob and upload files. Every call here blocks on the disk: callers run it on a blocking
//! thread.
//!
//! Layout under the store's directory: `blobs/<algorithm>/<hex>` for complete blobs,
//! `uploads/<id>` for uploads in progress. A blob file is only ever created by renaming a
//! fully written, fsynced and verified upload file, then fsyncing the directory, so a blob
//! file's bytes always match its name — also after a crash.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Condvar, Mutex};
use std::thread::JoinHandle;

use super::digest::{Algorithm, Digest, Hasher};
use super::direct::{DirectWriter, ALIGN};

/// Where an upload's bytes disagree with what the client claims.
#[derive(Debug, thiserror::Error)]
pub enum UploadFault {
    #[error("no upload {0}")]
    Unknown(String),
    #[error("the upload holds {have} bytes, the chunk starts at {start}")]
    OutOfOrder { have: u64, start: u64 },
    #[error("the content's digest is {actual}, not {claimed}")]
    DigestMismatch { claimed: String, actual: String },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A finished upload, now a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    pub digest: Digest,
    pub size: u64,
}

/// Bytes appended between two background flushes of an upload file.
const FLUSH_EVERY: u64 = 16 * 1024 * 1024;

/// An upload's running sha256 while the process lives (after a restart it is computed
/// again from the file).
struct Running {
    hasher: Hasher,
    len: u64,
}

pub struct BlobStore {
    root: PathBuf,
    running: Mutex<HashMap<String, Running>>,
    /// The uploads being written or completed: one writer per upload at a time, so chunks
    /// of one upload never interleave (a second waits for the first).
    busy: Mutex<HashSet<String>>,
    freed: Condvar,
    /// Whether uploads are written directly where the filesystem can (off only in tests of
    /// the buffered path).
    direct_io: bool,
}

/// The claim on an upload a writer holds; released when dropped.
struct Claim<'a> {
    store: &'a BlobStore,
    id: String,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        let mut busy = self.store.busy.lock().unwrap_or_else(|p| p.into_inner());
        busy.remove(&self.id);
        self.store.freed.notify_all();
    }
}

impl BlobStore {
    pub fn open(root: &Path) -> io::Result<BlobStore> {
        for d in ["blobs/sha256", "blobs/sha512", "uploads"] {
            fs::create_dir_all(root.join(d))?;
        }
        Ok(BlobStore {
            root: root.to_owned(),
            running: Mutex::new(HashMap::new()),
            busy: Mutex::new(HashSet::new()),
            freed: Condvar::new(),
            direct_io: true,
        })
    }

    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root
            .join("blobs")
            .join(digest.algorithm_name())
            .join(&digest.hex)
    }

    fn upload_path(&self, id: &str) -> PathBuf {
        self.root.join("uploads").join(id)
    }

    /// Waits until no other writer holds upload `id`, and claims it.
    fn claim(&self, id: &str) -> Claim<'_> {
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        while busy.contains(id) {
            busy = self.freed.wait(busy).unwrap_or_else(|p| p.into_inner());
        }
        busy.insert(id.to_owned());
        Claim {
            store: self,
            id: id.to_owned(),
        }
    }

    /// Makes the empty file of a new upload, durably.
    pub fn begin(&self, id: &str) -> io::Result<()> {
        let f = File::create(self.upload_path(id))?;
        f.sync_all()?;
        sync_dir(&self.root.join("uploads"))
    }

    /// The bytes an upload holds so far.
    pub fn upload_len(&self, id: &str) -> Result<u64, UploadFault> {
        match fs::metadata(self.upload_path(id)) {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(UploadFault::Unknown(id.into())),
            Err(e) => Err(e.into()),
        }
    }

    /// Opens an upload to append to, at `start` if given (it must be where the upload ends).
    /// The appender holds the upload's claim until it is finished or dropped; another
    /// writer of the upload waits for it here.
    pub fn append(&self, id: &str, start: Option<u64>) -> Result<Appender<'_>, UploadFault> {
        let claim = self.claim(id);
        let file = match OpenOptions::new().append(true).open(self.upload_path(id)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(UploadFault::Unknown(id.into()))
            }
            Err(e) => return Err(e.into()),
        };
        let have = file.metadata()?.len();
        if let Some(start) = start.filter(|s| *s != have) {
            return Err(UploadFault::OutOfOrder { have, start });
        }
        let running = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id)
            .filter(|r| r.len == have);
        Ok(Appender {
            store: self,
            id: id.to_owned(),
            file,
            running,
            start_len: have,
            written: 0,
            unflushed: 0,
            flusher: None,
            direct: None,
            direct_tried: false,
            _claim: claim,
        })
    }

    /// Hashes an upload with `algorithm` now, if its running hash does not cover it (after a
    /// restart, or for a sha512 claim), so that [`BlobStore::complete`] only compares: the
    /// long read happens before the caller holds anything others wait on.
    pub fn prepare(&self, id: &str, algorithm: Algorithm) -> Result<(), UploadFault> {
        let _claim = self.claim(id);
        let size = self.upload_len(id)?;
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if running
            .get(id)
            .is_some_and(|r| r.len == size && r.hasher.algorithm() == algorithm)
        {
            return Ok(());
        }
        drop(running);
        let hasher = hash_into(&self.upload_path(id), Hasher::new(algorithm))?;
        running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        running.insert(id.to_owned(), Running { hasher, len: size });
        Ok(())
    }

    /// Verifies an upload against `claimed` and makes it the blob of that digest. On a
    /// mismatch the upload is left as it was.
    pub fn complete(&self, id: &str, claimed: &Digest) -> Result<Completed, UploadFault> {
        let _claim = self.claim(id);
        let path = self.upload_path(id);
        let size = self.upload_len(id)?;
        let running = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        let actual = match running {
            Some(r) if r.len == size && r.hasher.algorithm() == claimed.algorithm => {
                r.hasher.finish()
            }
            _ => hash_file(&path, claimed.algorithm)?,
        };
        if &actual != claimed {
            return Err(UploadFault::DigestMismatch {
                claimed: claimed.to_string(),
                actual: actual.to_string(),
            });
        }
        let target = self.blob_path(claimed);
        if target.exists() {
            fs::remove_file(&path)?;
        } else {
            File::open(&path)?.sync_all()?;
            fs::rename(&path, &target)?;
            sync_dir(target.parent().unwrap_or(&self.root))?;
        }
        self.forget(id);
        Ok(Completed {
            digest: actual,
            size,
        })
    }

    /// Stores `bytes` as the blob of `digest` (computed by the caller), durably.
    pub fn put(&self, digest: &Digest, bytes: &[u8]) -> io::Result<()> {
        let target = self.blob_path(digest);
        if target.exists() {
            return Ok(());
        }
        let tmp = self.upload_path(&format!("put-{}", uuid::Uuid::new_v4()));
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, &target)?;
        sync_dir(target.parent().unwrap_or(&self.root))
    }

    /// Reads a whole blob (small ones: configs, API downloads).
    pub fn read(&self, digest: &Digest) -> io::Result<Vec<u8>> {
        fs::read(self.blob_path(digest))
    }

    /// Opens a blob at `offset`.
    pub fn open_at(&self, digest: &Digest, offset: u64) -> io::Result<File> {
        let mut f = File::open(self.blob_path(digest))?;
        f.seek(SeekFrom::Start(offset))?;
        Ok(f)
    }

    pub fn remove_blob(&self, digest: &Digest) -> io::Result<()> {
        match fs::remove_file(self.blob_path(digest)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    pub fn remove_upload(&self, id: &str) -> io::Result<()> {
        self.forget(id);
        match fs::remove_file(self.upload_path(id)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn forget(&self, id: &str) {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }

    /// The digests of every blob file, and the ids of every upload file (for the sweeper).
    pub fn list(&self) -> io::Result<(Vec<Digest>, Vec<String>)> {
        let mut blobs = Vec::new();
        for alg in ["sha256", "sha512"] {
            for e in fs::read_dir(self.root.join("blobs").join(alg))? {
                let name = e?.file_name();
                if let Some(d) = name
                    .to_str()
                    .and_then(|n| Digest::parse(&format!("{alg}:{n}")))
                {
                    blobs.push(d);
                }
            }
        }
        let mut uploads = Vec::new();
        for e in fs::read_dir(self.root.join("uploads"))? {
            if let Some(n) = e?.file_name().to_str() {
                uploads.push(n.to_owned());
            }
        }
        Ok((blobs, uploads))
    }

    /// Bytes the blob files take.
    pub fn disk_usage(&self) -> io::Result<u64> {
        let mut total = 0;
        for alg in ["sha256", "sha512"] {
            for e in fs::read_dir(self.root.join("blobs").join(alg))? {
                total += e?.metadata()?.len();
            }
        }
        Ok(total)
    }
}

/// Bytes being appended to an upload; durable once [`Appender::finish`] returns.
///
/// The bytes from the first block boundary on go to the disk directly ([`DirectWriter`]);
/// the bytes before it and after the last whole block are appended through the page cache.
/// Where the filesystem has no direct I/O, every [`FLUSH_EVERY`] buffered bytes a flusher
/// thread starts writing what came so far to the disk while more arrives, so the
/// `fdatasync` of `finish` waits for the last few MiB only, not the whole blob.
pub struct Appender<'a> {
    store: &'a BlobStore,
    id: String,
    file: File,
    running: Option<Running>,
    start_len: u64,
    written: u64,
    /// Bytes written since the flusher was last asked to flush.
    unflushed: u64,
    flusher: Option<Flusher>,
    direct: Option<DirectWriter>,
    /// Whether direct writes were tried (they are not tried again after a refusal).
    direct_tried: bool,
    _claim: Claim<'a>,
}

/// A thread that `fdatasync`s the upload file each time it is asked, until its sender goes.
struct Flusher {
    ask: SyncSender<()>,
    thread: JoinHandle<io::Result<()>>,
}

impl Flusher {
    fn start(file: &File) -> io::Result<Flusher> {
        let file = file.try_clone()?;
        // One request waits at most: asking while one waits adds nothing to it.
        let (ask, asked) = sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("berth-blob-flush".into())
            .spawn(move || {
                while asked.recv().is_ok() {
                    file.sync_data()?;
                }
                Ok(())
            })?;
        Ok(Flusher { ask, thread })
    }

    fn ask(&self) {
        match self.ask.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) => {}
            // The thread stopped on an error; `stop` reports it.
            Err(TrySendError::Disconnected(())) => {}
        }
    }

    /// Waits for the flush under way, if any; its error is the upload's (a dup'd descriptor
    /// shares the file's writeback error, which only one `fdatasync` is told of).
    fn stop(self) -> io::Result<()> {
        drop(self.ask);
        self.thread
            .join()
            .map_err(|_| io::Error::other("the flusher thread panicked"))?
    }
}

impl Appender<'_> {
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if let Some(r) = &mut self.running {
            r.hasher.update(bytes);
            r.len += bytes.len() as u64;
        } else if self.start_len == 0 && self.written == 0 {
            let mut hasher = Hasher::new(Algorithm::Sha256);
            hasher.update(bytes);
            self.running = Some(Running {
                hasher,
                len: bytes.len() as u64,
            });
        }
        let mut rest = bytes;
        if self.direct.is_none() && !self.direct_tried && self.store.direct_io {
            // Buffered up to the first block boundary, then direct if the filesystem can.
            let at = self.start_len + self.written;
            let head = ((ALIGN - at % ALIGN) % ALIGN).min(rest.len() as u64) as usize;
            self.buffered(&rest[..head])?;
            rest = &rest[head..];
            if rest.len() as u64 >= ALIGN {
                self.direct_tried = true;
                let path = self.store.upload_path(&self.id);
                self.direct = DirectWriter::open(&path, at + head as u64)?;
            }
        }
        match &mut self.direct {
            Some(d) => {
                d.write(rest)?;
                self.written += rest.len() as u64;
                Ok(())
            }
            None => self.buffered(rest),
        }
    }

    /// Appends `bytes` through the page cache, asking the flusher to start every
    /// [`FLUSH_EVERY`] bytes.
    fn buffered(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.file.write_all(bytes)?;
        self.written += bytes.len() as u64;
        self.unflushed += bytes.len() as u64;
        if self.unflushed >= FLUSH_EVERY {
            self.unflushed = 0;
            if self.flusher.is_none() {
                self.flusher = Some(Flusher::start(&self.file)?);
            }
            if let Some(f) = &self.flusher {
                f.ask();
            }
        }
        Ok(())
    }

    /// Makes what was written durable; answers the upload's length.
    pub fn finish(mut self) -> io::Result<u64> {
        if let Some(d) = self.direct.take() {
            let tail = d.finish()?;
            // Appended at the file's end, where the direct writes stopped.
            self.file.write_all(&tail)?;
        }
        if let Some(f) = self.flusher.take() {
            f.stop()?;
        }
        self.file.sync_data()?;
        let len = self.start_len + self.written;
        if let Some(r) = self.running {
            self.store
                .running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(self.id.clone(), r);
        }
        Ok(len)
    }

    /// Gives up what this appender wrote (a chunk that failed half-way): the upload is cut
    /// back to where it was.
    pub fn abandon(mut self) -> io::Result<()> {
        // What is still staged is dropped; what was written is cut off below.
        self.direct = None;
        if let Some(f) = self.flusher.take() {
            // Only the cut needs to reach the disk.
            let _ = f.stop();
        }
        self.file.set_len(self.start_len)?;
        self.file.sync_data()
    }
}

fn hash_file(path: &Path, algorithm: Algorithm) -> io::Result<Digest> {
    Ok(hash_into(path, Hasher::new(algorithm))?.finish())
}

/// `hasher` fed every byte of the file at `path`.
fn hash_into(path: &Path, mut hasher: Hasher) -> io::Result<Hasher> {
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(hasher);
        }
        hasher.update(&buf[..n]);
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, BlobStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = BlobStore::open(dir.path()).expect("open");
        (dir, s)
    }

    #[test]
    fn chunks_make_a_blob_only_when_the_digest_matches() {
        let (_d, s) = store();
        s.begin("u1").expect("begin");
        let mut a = s.append("u1", Some(0)).expect("append");
        a.write(b"hello ").expect("write");
        assert_eq!(a.finish().expect("finish"), 6);
        assert!(matches!(
            s.append("u1", Some(3)),
            Err(UploadFault::OutOfOrder { have: 6, start: 3 })
        ));
        let mut a = s.append("u1", Some(6)).expect("append");
        a.write(b"world").expect("write");
        a.finish().expect("finish");
        let wrong = Digest::sha256_of(b"hello");
        assert!(matches!(
            s.complete("u1", &wrong),
            Err(UploadFault::DigestMismatch { .. })
        ));
        assert!(!s.blob_path(&wrong).exists());
        let right = Digest::sha256_of(b"hello world");
        let done = s.complete("u1", &right).expect("complete");
        assert_eq!(done.size, 11);
        assert_eq!(s.read(&right).expect("read"), b"hello world");
        assert!(matches!(s.upload_len("u1"), Err(UploadFault::Unknown(_))));
    }

    #[test]
    fn a_sha512_claim_is_checked_from_the_file() {
        let (_d, s) = store();
        s.begin("u").expect("begin");
        let mut a = s.append("u", None).expect("append");
        a.write(b"abc").expect("write");
        a.finish().expect("finish");
        let claim = Digest::parse(&format!("sha512:{}", "0".repeat(128)))
            .expect("digest")
            .same_algorithm_of(b"abc");
        assert_eq!(s.complete("u", &claim).expect("complete").digest, claim);
    }

    #[test]
    fn a_second_writer_waits_for_the_first() {
        let (_d, s) = store();
        s.begin("u").expect("begin");
        let mut first = s.append("u", Some(0)).expect("append");
        first.write(b"aaaa").expect("write");
        std::thread::scope(|scope| {
            let second = scope.spawn(|| s.append("u", Some(0)).map(|a| a.finish()));
            std::thread::sleep(std::time::Duration::from_millis(100));
            assert!(!second.is_finished(), "the second writer waits");
            assert_eq!(first.finish().expect("finish"), 4);
            assert!(matches!(
                second.join().expect("thread"),
                Err(UploadFault::OutOfOrder { have: 4, start: 0 })
            ));
        });
        let mut third = s.append("u", None).expect("append");
        third.write(b"bb").expect("write");
        assert_eq!(third.finish().expect("finish"), 6);
    }

    #[test]
    fn a_prepared_upload_completes_with_its_hash() {
        let (_d, s) = store();
        s.begin("u").expect("begin");
        let mut a = s.append("u", None).expect("append");
        a.write(b"prepared").expect("write");
        a.finish().expect("finish");
        let claim = Digest::parse(&format!("sha512:{}", "0".repeat(128)))
            .expect("digest")
            .same_algorithm_of(b"prepared");
        s.prepare("u", claim.algorithm).expect("prepare");
        s.prepare("u", claim.algorithm)
            .expect("again: nothing to do");
        assert_eq!(s.complete("u", &claim).expect("complete").digest, claim);
        assert!(matches!(
            s.prepare("u", claim.algorithm),
            Err(UploadFault::Unknown(_))
        ));
    }

    /// Bytes that differ at every offset, so a byte written at the wrong place shows.
    fn pattern(len: usize, seed: u64) -> Vec<u8> {
        (0..len as u64)
            .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 7) as u8)
            .collect()
    }

    #[test]
    fn large_uneven_chunks_arrive_whole_and_in_order() {
        let (_d, s) = store();
        uneven_chunks(&s);
    }

    #[test]
    fn without_direct_io_chunks_arrive_whole_too() {
        // Where the filesystem refuses O_DIRECT every byte goes through the page cache.
        let (_d, mut s) = store();
        s.direct_io = false;
        assert!(!uneven_chunks(&s));
    }

    /// Sends chunks of uneven sizes and checks the blob; answers whether the largest went
    /// to the disk directly.
    fn uneven_chunks(s: &BlobStore) -> bool {
        let mut direct = false;
        s.begin("big").expect("begin");
        let mut all = Vec::new();
        // Chunks (each a request) of sizes that start and end off block boundaries, each
        // written in pieces as the registry hands them over.
        for (n, len) in [10usize, 5_000_001, 3, 4096, 2 * FLUSH_EVERY as usize + 77]
            .into_iter()
            .enumerate()
        {
            let bytes = pattern(len, n as u64);
            let mut a = s.append("big", Some(all.len() as u64)).expect("append");
            for piece in bytes.chunks(1_000_003) {
                a.write(piece).expect("write");
            }
            if len > FLUSH_EVERY as usize {
                direct = a.direct.is_some();
                assert!(
                    a.direct.is_some() || a.flusher.is_some(),
                    "a large chunk goes to the disk as it comes"
                );
            }
            all.extend_from_slice(&bytes);
            assert_eq!(a.finish().expect("finish"), all.len() as u64);
            assert_eq!(s.upload_len("big").expect("len"), all.len() as u64);
        }
        let d = Digest::sha256_of(&all);
        assert_eq!(
            s.complete("big", &d).expect("complete").size,
            all.len() as u64
        );
        assert!(
            s.read(&d).expect("read") == all,
            "the blob holds the bytes sent"
        );
        direct
    }

    #[test]
    fn an_upload_hashed_again_from_its_file_matches() {
        // No running hash (a restart): the digest is computed from what is on the disk.
        let (_d, s) = store();
        s.begin("u").expect("begin");
        let bytes = pattern(3 * 1024 * 1024 + 5, 9);
        let mut a = s.append("u", None).expect("append");
        a.write(&bytes).expect("write");
        a.finish().expect("finish");
        s.running.lock().expect("lock").clear();
        let d = Digest::sha256_of(&bytes);
        assert_eq!(
            s.complete("u", &d).expect("complete").size,
            bytes.len() as u64
        );
    }

    #[test]
    fn abandoned_chunks_leave_the_upload_as_it_was() {
        for len in [4, FLUSH_EVERY as usize + 1] {
            let (_d, s) = store();
            s.begin("u").expect("begin");
            let mut a = s.append("u", None).expect("append");
            a.write(b"keep").expect("write");
            a.finish().expect("finish");
            let mut a = s.append("u", None).expect("append");
            a.write(&pattern(len, 1)).expect("write");
            a.abandon().expect("abandon");
            assert_eq!(s.upload_len("u").expect("len"), 4);
            let d = Digest::sha256_of(b"keep");
            assert_eq!(s.complete("u", &d).expect("complete").size, 4);
        }
    }
}

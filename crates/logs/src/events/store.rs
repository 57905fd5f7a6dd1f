//! The event store: appends, the index, segment files, retention.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use super::chunk::{self, Header, HEADER_LEN};
use super::index::{ChunkRef, SegmentUse, StreamIndex};
use super::sync::Syncer;

/// A segment is closed and a new one started past this size.
const SEGMENT_MAX: u64 = 64 * 1024 * 1024;

/// What a stream's stored events amount to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    pub last_ingest: Option<i64>,
    pub bytes: u64,
}

struct GroupWriter {
    segment: u64,
    file: Arc<File>,
    len: u64,
}

#[derive(Default)]
struct Index {
    streams: HashMap<u64, StreamIndex>,
    segments: SegmentUse,
}

pub struct EventStore {
    dir: PathBuf,
    index: RwLock<Index>,
    writers: Mutex<HashMap<u64, Arc<Mutex<GroupWriter>>>>,
    readers: Mutex<HashMap<(u64, u64), Arc<File>>>,
    sync: Syncer,
    next_seq: AtomicU64,
}

fn group_dir(dir: &Path, group: u64) -> PathBuf {
    dir.join(format!("g{group}"))
}

fn segment_path(dir: &Path, group: u64, segment: u64) -> PathBuf {
    group_dir(dir, group).join(format!("{segment:016x}.seg"))
}

impl EventStore {
    /// Opens the store in `dir`, keeping the events of `streams` (stream id → group id);
    /// directories of groups not among them are removed (their groups were deleted).
    pub fn open(dir: &Path, streams: &HashMap<u64, u64>) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let groups: HashSet<u64> = streams.values().copied().collect();
        let store = EventStore {
            dir: dir.to_owned(),
            index: RwLock::default(),
            writers: Mutex::default(),
            readers: Mutex::default(),
            sync: Syncer::default(),
            next_seq: AtomicU64::new(1),
        };
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(group) = name
                .to_str()
                .and_then(|n| n.strip_prefix('g'))
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            if !groups.contains(&group) {
                fs::remove_dir_all(entry.path())?;
                continue;
            }
            store.load_group(group, streams)?;
        }
        Ok(store)
    }

    fn load_group(&self, group: u64, streams: &HashMap<u64, u64>) -> io::Result<()> {
        let mut segments: Vec<u64> = fs::read_dir(group_dir(&self.dir, group))?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name();
                let n = name.to_str()?.strip_suffix(".seg")?;
                u64::from_str_radix(n, 16).ok()
            })
            .collect();
        segments.sort_unstable();
        let mut index = self.index_mut();
        let last = segments.last().copied();
        for segment in segments {
            let path = segment_path(&self.dir, group, segment);
            let file = OpenOptions::new().read(true).write(true).open(&path)?;
            let size = file.metadata()?.len();
            let mut offset = 0u64;
            let mut live = 0usize;
            let mut header = [0u8; HEADER_LEN];
            while offset + HEADER_LEN as u64 <= size {
                if file.read_exact_at(&mut header, offset).is_err() {
                    break;
                }
                let Some(h) = Header::parse(&header) else {
                    break;
                };
                let end = offset + HEADER_LEN as u64 + u64::from(h.body_len);
                if end > size {
                    break;
                }
                // Only the last chunk of a segment can be torn: check its body.
                if end == size && !self.body_ok(&file, offset, &h) {
                    break;
                }
                self.next_seq
                    .fetch_max(h.base_seq + u64::from(h.count), Ordering::SeqCst);
                if streams.get(&h.stream) == Some(&group) {
                    let bytes = u64::from(h.body_len) - 12 * u64::from(h.count);
                    index
                        .streams
                        .entry(h.stream)
                        .or_insert_with(|| StreamIndex {
                            group,
                            ..Default::default()
                        });
                    if let Some(s) = index.streams.get_mut(&h.stream) {
                        s.add(ChunkRef {
                            segment,
                            offset,
                            body_len: h.body_len,
                            count: h.count,
                            min_ts: h.min_ts,
                            max_ts: h.max_ts,
                            base_seq: h.base_seq,
                            ingest: h.ingest,
                            bytes,
                        });
                    }
                    index.segments.add(group, segment);
                    live += 1;
                }
                offset = end;
            }
            if offset < size {
                tracing::warn!(path = %path.display(), offset, size, "cutting a torn tail off a log segment");
                file.set_len(offset)?;
                file.sync_all()?;
            }
            if Some(segment) == last {
                self.writers_lock().insert(
                    group,
                    Arc::new(Mutex::new(GroupWriter {
                        segment,
                        file: Arc::new(file),
                        len: offset,
                    })),
                );
            } else if live == 0 {
                fs::remove_file(&path)?;
            }
        }
        Ok(())
    }

    fn body_ok(&self, file: &File, offset: u64, h: &Header) -> bool {
        let mut body = vec![0u8; h.body_len as usize];
        file.read_exact_at(&mut body, offset + HEADER_LEN as u64)
            .is_ok()
            && chunk::decode(h, &body, |_, _, _| {}).is_some()
    }

    /// Appends `events` (timestamp, message) to `stream` of `group`; durable on return.
    pub fn append(
        &self,
        group: u64,
        stream: u64,
        ingest: i64,
        events: &[(i64, &str)],
    ) -> io::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let base_seq = self
            .next_seq
            .fetch_add(events.len() as u64, Ordering::SeqCst);
        let bytes = chunk::encode(stream, base_seq, ingest, events);
        let writer = self.writer(group)?;
        let (segment, offset, ticket) = {
            let mut w = writer.lock().unwrap_or_else(|p| p.into_inner());
            if w.len > 0 && w.len + bytes.len() as u64 > SEGMENT_MAX {
                let next = w.segment + 1;
                w.file = Arc::new(create_segment(&self.dir, group, next)?);
                w.segment = next;
                w.len = 0;
            }
            let offset = w.len;
            w.file.write_all_at(&bytes, offset)?;
            w.len += bytes.len() as u64;
            (w.segment, offset, self.sync.written(&w.file))
        };
        self.sync.wait(ticket)?;
        let h = Header::parse(&bytes).ok_or_else(|| io::Error::other("chunk header"))?;
        let mut index = self.index_mut();
        index.segments.add(group, segment);
        index
            .streams
            .entry(stream)
            .or_insert_with(|| StreamIndex {
                group,
                ..Default::default()
            })
            .add(ChunkRef {
                segment,
                offset,
                body_len: h.body_len,
                count: h.count,
                min_ts: h.min_ts,
                max_ts: h.max_ts,
                base_seq,
                ingest,
                bytes: events.iter().map(|(_, m)| m.len() as u64).sum(),
            });
        Ok(())
    }

    fn writer(&self, group: u64) -> io::Result<Arc<Mutex<GroupWriter>>> {
        let mut writers = self.writers_lock();
        if let Some(w) = writers.get(&group) {
            return Ok(w.clone());
        }
        fs::create_dir_all(group_dir(&self.dir, group))?;
        let w = Arc::new(Mutex::new(GroupWriter {
            segment: 0,
            file: Arc::new(create_segment(&self.dir, group, 0)?),
            len: 0,
        }));
        writers.insert(group, w.clone());
        Ok(w)
    }

    pub fn stats(&self, stream: u64) -> StreamStats {
        self.index()
            .streams
            .get(&stream)
            .map(|s| StreamStats {
                first_ts: s.first_ts,
                last_ts: s.last_ts,
                last_ingest: s.last_ingest,
                bytes: s.bytes,
            })
            .unwrap_or_default()
    }

    /// Bytes stored for every stream of `group`.
    pub fn group_bytes(&self, group: u64) -> u64 {
        self.index()
            .streams
            .values()
            .filter(|s| s.group == group)
            .map(|s| s.bytes)
            .sum()
    }

    /// The chunks of `stream` (a copy, to read without holding the index).
    pub(super) fn chunks(&self, stream: u64) -> Vec<ChunkRef> {
        self.index()
            .streams
            .get(&stream)
            .map(|s| s.chunks.clone())
            .unwrap_or_default()
    }

    /// Reads a chunk's events.
    pub(super) fn read(
        &self,
        group: u64,
        c: &ChunkRef,
        mut f: impl FnMut(i64, u64, &str),
    ) -> io::Result<()> {
        let file = self.reader(group, c.segment)?;
        let mut buf = vec![0u8; HEADER_LEN + c.body_len as usize];
        file.read_exact_at(&mut buf, c.offset)?;
        let h = Header::parse(&buf).ok_or_else(|| io::Error::other("a damaged log chunk"))?;
        chunk::decode(&h, &buf[HEADER_LEN..], &mut f)
            .ok_or_else(|| io::Error::other("a damaged log chunk"))
    }

    fn reader(&self, group: u64, segment: u64) -> io::Result<Arc<File>> {
        let mut readers = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = readers.get(&(group, segment)) {
            return Ok(f.clone());
        }
        let f = Arc::new(File::open(segment_path(&self.dir, group, segment))?);
        readers.insert((group, segment), f.clone());
        Ok(f)
    }

    /// Forgets a deleted stream's events.
    pub fn drop_stream(&self, stream: u64) -> io::Result<()> {
        let removed = self.index_mut().streams.remove(&stream);
        if let Some(s) = removed {
            self.release(s.group, &s.chunks)?;
        }
        Ok(())
    }

    /// Forgets a deleted group's events and removes its files.
    pub fn drop_group(&self, group: u64) -> io::Result<()> {
        {
            let mut index = self.index_mut();
            index.streams.retain(|_, s| s.group != group);
            index.segments.live.retain(|(g, _), _| *g != group);
        }
        self.writers_lock().remove(&group);
        self.readers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(g, _), _| *g != group);
        match fs::remove_dir_all(group_dir(&self.dir, group)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Drops `group`'s events older than `cutoff`, deleting segments left empty; the number
    /// of chunks dropped.
    pub fn expire(&self, group: u64, cutoff: i64) -> io::Result<usize> {
        let gone: Vec<ChunkRef> = {
            let mut index = self.index_mut();
            index
                .streams
                .values_mut()
                .filter(|s| s.group == group)
                .flat_map(|s| s.expire(cutoff))
                .collect()
        };
        self.release(group, &gone)?;
        Ok(gone.len())
    }

    /// Chunks no longer live: delete the segments (other than the active one) they empty.
    fn release(&self, group: u64, chunks: &[ChunkRef]) -> io::Result<()> {
        let active = self
            .writers_lock()
            .get(&group)
            .map(|w| w.lock().unwrap_or_else(|p| p.into_inner()).segment);
        let mut empty = Vec::new();
        {
            let mut index = self.index_mut();
            for c in chunks {
                if index.segments.remove(group, c.segment) && Some(c.segment) != active {
                    empty.push(c.segment);
                }
            }
        }
        empty.sort_unstable();
        empty.dedup();
        for segment in empty {
            self.readers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&(group, segment));
            match fs::remove_file(segment_path(&self.dir, group, segment)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    fn index(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    fn index_mut(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|p| p.into_inner())
    }

    fn writers_lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Mutex<GroupWriter>>>> {
        self.writers.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn create_segment(dir: &Path, group: u64, segment: u64) -> io::Result<File> {
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(segment_path(dir, group, segment))?;
    // The new file's directory entry must survive a crash too.
    File::open(group_dir(dir, group))?.sync_all()?;
    Ok(f)
}

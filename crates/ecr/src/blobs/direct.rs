//! Direct writes of upload bytes: from an aligned staging buffer to the disk, past the page
//! cache (`O_DIRECT`).
//!
//! Why: an upload is written once and made durable at once, so a page-cache copy only costs.
//! Buffered, every byte was copied into a newly allocated cache page and then written back
//! by the `fdatasync` before the answer; that copy was most of the server's CPU time in an
//! upload (docs/BENCHMARKS.md). Direct, the disk reads the staging buffer itself, and the
//! `fdatasync` has only the file's size left to commit.
//!
//! Direct I/O wants file offsets, lengths and memory aligned to the disk's block size: the
//! staging area is the [`ALIGN`]ed part of a buffer, and the bytes before the first aligned
//! offset and after the last whole block stay buffered writes ([`super::Appender`] does
//! those). Filesystems without direct I/O (tmpfs) answer `EINVAL` to the open: then
//! everything is buffered.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

/// The alignment of direct writes: a multiple of every logical block size in use.
pub const ALIGN: u64 = 4096;
/// Bytes staged for one direct write.
const STAGE: usize = 2 * 1024 * 1024;

pub struct DirectWriter {
    file: File,
    buf: Vec<u8>,
    /// Where in `buf` the aligned staging area starts.
    base: usize,
    /// Bytes staged.
    len: usize,
    /// The file offset the staged bytes go to, a multiple of [`ALIGN`].
    at: u64,
}

impl DirectWriter {
    /// Opens `path` for direct writes from offset `at` (a multiple of [`ALIGN`]); None where
    /// the filesystem has no direct I/O.
    pub fn open(path: &Path, at: u64) -> io::Result<Option<DirectWriter>> {
        if !at.is_multiple_of(ALIGN) {
            return Err(io::Error::other("a direct write must start at a block"));
        }
        let file = match OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_DIRECT)
            .open(path)
        {
            Ok(f) => f,
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => return Ok(None),
            Err(e) => return Err(e),
        };
        let align = ALIGN as usize;
        let buf = vec![0u8; STAGE + align];
        let base = (align - buf.as_ptr() as usize % align) % align;
        Ok(Some(DirectWriter {
            file,
            buf,
            base,
            len: 0,
            at,
        }))
    }

    /// Stages `bytes`, writing each full stage out.
    pub fn write(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let n = (STAGE - self.len).min(bytes.len());
            let from = self.base + self.len;
            self.buf[from..from + n].copy_from_slice(&bytes[..n]);
            self.len += n;
            bytes = &bytes[n..];
            if self.len == STAGE {
                self.write_blocks()?;
            }
        }
        Ok(())
    }

    /// Writes the staged whole blocks out; less than a block stays staged.
    fn write_blocks(&mut self) -> io::Result<()> {
        let whole = self.len - self.len % ALIGN as usize;
        if whole > 0 {
            self.file
                .write_all_at(&self.buf[self.base..self.base + whole], self.at)?;
            self.at += whole as u64;
            self.buf
                .copy_within(self.base + whole..self.base + self.len, self.base);
            self.len -= whole;
        }
        Ok(())
    }

    /// Writes the whole blocks staged; answers the bytes after them (under a block), which
    /// the caller appends buffered.
    pub fn finish(mut self) -> io::Result<Vec<u8>> {
        self.write_blocks()?;
        Ok(self.buf[self.base..self.base + self.len].to_vec())
    }
}

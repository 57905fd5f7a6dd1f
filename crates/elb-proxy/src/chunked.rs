//! HTTP/1.1 chunked transfer coding (RFC 9112 §7.1), decoding side: a
//! byte-driven state machine over the connection's read buffer. Chunk data
//! is split off the buffer without copying; sizes, extensions, line ends
//! and trailers are consumed and dropped (trailers are not forwarded).
//! Pure: the caller reads the socket.

use bytes::{Buf, Bytes, BytesMut};

/// Trailer fields larger than this in total are refused.
const MAX_TRAILERS: usize = 16 * 1024;

/// One step of decoding.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Chunk {
    /// Some body bytes.
    Data(Bytes),
    /// The buffer is used up; read more.
    More,
    /// The last chunk and the trailers are through; the buffer holds
    /// whatever follows the body.
    Done,
}

/// A malformed chunked body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ChunkError(&'static str);

impl std::fmt::Display for ChunkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid chunked body: {}", self.0)
    }
}

impl std::error::Error for ChunkError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading hex digits; `ext` once past them (extensions, whitespace).
    Size {
        value: u64,
        digits: u8,
        ext: bool,
    },
    /// After the size line's CR.
    SizeLf {
        value: u64,
    },
    /// Data bytes still to come in this chunk.
    Data(u64),
    /// After a chunk's data: CR LF.
    DataCr,
    DataLf,
    /// In the trailer section; `line` bytes into the current line.
    Trailer {
        line: usize,
    },
    TrailerLf {
        line: usize,
    },
    Done,
}

/// The decoder.
#[derive(Debug)]
pub(crate) struct ChunkedDecoder {
    state: State,
    trailer_bytes: usize,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        ChunkedDecoder {
            state: State::Size {
                value: 0,
                digits: 0,
                ext: false,
            },
            trailer_bytes: 0,
        }
    }
}

impl ChunkedDecoder {
    /// Decodes what `buf` holds, consuming it.
    pub(crate) fn next(&mut self, buf: &mut BytesMut) -> Result<Chunk, ChunkError> {
        loop {
            match self.state {
                State::Done => return Ok(Chunk::Done),
                State::Data(0) => self.state = State::DataCr,
                State::Data(left) => {
                    if buf.is_empty() {
                        return Ok(Chunk::More);
                    }
                    let take = left.min(buf.len() as u64);
                    self.state = State::Data(left - take);
                    return Ok(Chunk::Data(buf.split_to(take as usize).freeze()));
                }
                _ => {
                    let Some(&byte) = buf.first() else {
                        return Ok(Chunk::More);
                    };
                    buf.advance(1);
                    self.step(byte)?;
                }
            }
        }
    }

    /// Whether the whole body has been decoded.
    #[cfg(test)]
    pub(crate) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    fn step(&mut self, byte: u8) -> Result<(), ChunkError> {
        self.state = match self.state {
            State::Size { value, digits, ext } => match byte {
                b'\r' | b'\n' if digits == 0 => return Err(ChunkError("missing chunk size")),
                b'\r' => State::SizeLf { value },
                b'\n' => Self::after_size(value),
                _ if ext => State::Size { value, digits, ext },
                _ if byte.is_ascii_hexdigit() => {
                    if digits >= 15 {
                        return Err(ChunkError("chunk size too large"));
                    }
                    let digit = (byte as char).to_digit(16).unwrap_or(0);
                    State::Size {
                        value: value << 4 | u64::from(digit),
                        digits: digits + 1,
                        ext: false,
                    }
                }
                b';' | b' ' | b'\t' if digits > 0 => State::Size {
                    value,
                    digits,
                    ext: true,
                },
                _ => return Err(ChunkError("invalid chunk size")),
            },
            State::SizeLf { value } if byte == b'\n' => Self::after_size(value),
            State::SizeLf { .. } => return Err(ChunkError("expected LF after chunk size")),
            State::DataCr if byte == b'\r' => State::DataLf,
            State::DataCr | State::DataLf if byte == b'\n' => State::Size {
                value: 0,
                digits: 0,
                ext: false,
            },
            State::DataCr | State::DataLf => {
                return Err(ChunkError("expected CRLF after chunk data"))
            }
            State::Trailer { line } => {
                self.trailer_bytes += 1;
                if self.trailer_bytes > MAX_TRAILERS {
                    return Err(ChunkError("trailers too large"));
                }
                match byte {
                    b'\r' => State::TrailerLf { line },
                    b'\n' if line == 0 => State::Done,
                    b'\n' => State::Trailer { line: 0 },
                    _ => State::Trailer { line: line + 1 },
                }
            }
            State::TrailerLf { line } if byte == b'\n' => {
                if line == 0 {
                    State::Done
                } else {
                    State::Trailer { line: 0 }
                }
            }
            State::TrailerLf { .. } => return Err(ChunkError("expected LF in trailers")),
            State::Data(_) | State::Done => self.state,
        };
        Ok(())
    }

    fn after_size(value: u64) -> State {
        if value == 0 {
            State::Trailer { line: 0 }
        } else {
            State::Data(value)
        }
    }
}

/// The chunk header for `len` bytes of data: `<hex>\r\n`.
pub(crate) fn chunk_header(len: usize) -> Vec<u8> {
    format!("{len:x}\r\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Feeds `input` in pieces of the given sizes; returns the body and
    /// whether the end was reached, and what was left in the buffer.
    fn decode(input: &[u8], pieces: &[usize]) -> Result<(Vec<u8>, bool, Vec<u8>), ChunkError> {
        let mut decoder = ChunkedDecoder::default();
        let mut buf = BytesMut::new();
        let mut body = Vec::new();
        let mut rest = input;
        let mut sizes = pieces.iter().cycle();
        loop {
            match decoder.next(&mut buf)? {
                Chunk::Data(data) => body.extend_from_slice(&data),
                Chunk::Done => {
                    assert!(decoder.is_done());
                    let mut left = buf.to_vec();
                    left.extend_from_slice(rest);
                    return Ok((body, true, left));
                }
                Chunk::More => {
                    if rest.is_empty() {
                        return Ok((body, false, buf.to_vec()));
                    }
                    let n = (*sizes.next().unwrap_or(&1)).clamp(1, rest.len());
                    buf.extend_from_slice(&rest[..n]);
                    rest = &rest[n..];
                }
            }
        }
    }

    #[test]
    fn decodes_chunks_extensions_and_trailers() {
        let input = b"5\r\nhello\r\n6;name=value\r\n world\r\n0\r\nExpires: never\r\n\r\nNEXT";
        let (body, done, rest) = decode(input, &[3]).unwrap();
        assert_eq!(body, b"hello world");
        assert!(done);
        assert_eq!(rest, b"NEXT", "what follows the body stays in the buffer");
    }

    #[test]
    fn tolerates_bare_line_feeds_and_uppercase_hex() {
        let (body, done, _) = decode(b"A\nabcdefghij\n0\n\n", &[100]).unwrap();
        assert_eq!(body, b"abcdefghij");
        assert!(done);
    }

    #[test]
    fn rejects_malformed_bodies() {
        assert!(decode(b"zz\r\n", &[10]).is_err());
        assert!(decode(b"\r\n", &[10]).is_err());
        assert!(decode(b"3\r\nabcX", &[10]).is_err());
        assert!(decode(b"ffffffffffffffff\r\n", &[10]).is_err());
    }

    #[test]
    fn truncated_bodies_are_not_done() {
        let (body, done, _) = decode(b"5\r\nhel", &[2]).unwrap();
        assert_eq!(body, b"hel");
        assert!(!done);
    }

    proptest! {
        /// Whatever the chunking and however the bytes arrive, the body
        /// comes out whole.
        #[test]
        fn round_trips(
            chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..50), 0..8),
            pieces in prop::collection::vec(1usize..20, 1..5),
            with_ext in any::<bool>(),
        ) {
            let mut input = Vec::new();
            for chunk in &chunks {
                input.extend_from_slice(format!("{:x}", chunk.len()).as_bytes());
                if with_ext {
                    input.extend_from_slice(b";x=1");
                }
                input.extend_from_slice(b"\r\n");
                input.extend_from_slice(chunk);
                input.extend_from_slice(b"\r\n");
            }
            input.extend_from_slice(b"0\r\n\r\n");
            let (body, done, rest) = decode(&input, &pieces).unwrap();
            prop_assert_eq!(body, chunks.concat());
            prop_assert!(done);
            prop_assert!(rest.is_empty());
        }
    }
}

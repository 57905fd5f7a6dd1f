//! Answering one query: a pure function from a zone snapshot, the query's
//! bytes and a random generator to the reply's bytes (or "forward it", or
//! "drop it"). No IO, no clock; the servers in [`crate::udp`] and
//! [`crate::tcp`] only move bytes.

use hickory_proto::op::{Edns, Header, Message, MessageType, OpCode, ResponseCode};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, BinEncodable, BinEncoder};

use crate::resolve::{resolve, Resolution};
use crate::zones::ZoneSet;

/// The largest UDP reply, whatever payload size a client's EDNS offers.
pub const MAX_UDP_PAYLOAD: usize = 4096;
/// The UDP reply limit without EDNS (RFC 1035).
const CLASSIC_UDP_PAYLOAD: usize = 512;
/// A reply over TCP is one length-prefixed frame.
const MAX_TCP_MESSAGE: usize = u16::MAX as usize;

/// What to do with one received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Send these bytes back to the client.
    Reply(Vec<u8>),
    /// The name is under none of the zones: relay the query, unchanged, to
    /// the upstream resolvers (or refuse it when there are none).
    Forward,
    /// Send nothing: a response, or too short to have a message id.
    Drop,
}

/// Answers one DNS message from `zones`.
///
/// `max_udp` is `Some(cap)` for a query that came over UDP: the reply then
/// fits in 512 bytes, or in the client's EDNS payload size when it sent one,
/// capped at `cap` (the servers pass [`MAX_UDP_PAYLOAD`]). A reply that does
/// not fit loses its additional section first (RFC 2181 §9: no TC for
/// that); if it still does not fit it goes out with TC set and no records,
/// and the client retries over TCP. `None` is TCP: up to 65535 bytes.
///
/// `rng` chooses the instances of Multivalue (eight at most) and Weighted
/// (one) answers.
pub fn answer(
    zones: &ZoneSet,
    query: &[u8],
    max_udp: Option<usize>,
    rng: &mut fastrand::Rng,
) -> Outcome {
    let mut out = Vec::with_capacity(CLASSIC_UDP_PAYLOAD);
    match answer_into(zones, query, max_udp, rng, &mut out) {
        Action::Reply => Outcome::Reply(out),
        Action::Forward => Outcome::Forward,
        Action::Drop => Outcome::Drop,
    }
}

/// [`Outcome`] without its bytes: [`answer_into`] writes them to a buffer the
/// caller reuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Reply,
    Forward,
    Drop,
}

/// [`answer`], writing the reply into `out` (cleared first).
pub(crate) fn answer_into(
    zones: &ZoneSet,
    query: &[u8],
    max_udp: Option<usize>,
    rng: &mut fastrand::Rng,
    out: &mut Vec<u8>,
) -> Action {
    let Some(header) = read_header(query) else {
        return Action::Drop;
    };
    if header.message_type() == MessageType::Response {
        return Action::Drop;
    }
    let parsed = Message::from_vec(query);
    if header.op_code() != OpCode::Query {
        let mut reply = error_reply(&header, ResponseCode::NotImp);
        if let Ok(message) = &parsed {
            reply.add_queries(message.queries().iter().cloned());
        }
        return finish(reply, CLASSIC_UDP_PAYLOAD, out);
    }
    let message = match parsed {
        Ok(message) if message.queries().len() == 1 => message,
        _ => {
            return finish(
                error_reply(&header, ResponseCode::FormErr),
                CLASSIC_UDP_PAYLOAD,
                out,
            )
        }
    };
    let limit = match (max_udp, message.extensions()) {
        (None, _) => MAX_TCP_MESSAGE,
        (Some(_), None) => CLASSIC_UDP_PAYLOAD,
        (Some(cap), Some(edns)) => {
            usize::from(edns.max_payload()).clamp(CLASSIC_UDP_PAYLOAD, cap.max(CLASSIC_UDP_PAYLOAD))
        }
    };
    let mut reply = response_to(&message);
    if message
        .extensions()
        .as_ref()
        .is_some_and(|edns| edns.version() > 0)
    {
        reply
            .set_authoritative(false)
            .set_response_code(ResponseCode::BADVERS);
        return finish(reply, limit, out);
    }
    match resolve(zones, &message.queries()[0], &mut reply, rng) {
        Resolution::Forward => Action::Forward,
        Resolution::Answered => finish(reply, limit, out),
    }
}

/// A reply with `code` and no records to the message `query` (which must be
/// readable as far as its header), or `None` when it is not even that.
/// The servers answer REFUSED and SERVFAIL for forwarded queries with it.
pub(crate) fn error_for(query: &[u8], code: ResponseCode) -> Option<Vec<u8>> {
    let header = read_header(query)?;
    let mut reply = error_reply(&header, code);
    if let Ok(message) = Message::from_vec(query) {
        reply.add_queries(message.queries().iter().cloned());
    }
    let mut out = Vec::with_capacity(CLASSIC_UDP_PAYLOAD);
    match finish(reply, CLASSIC_UDP_PAYLOAD, &mut out) {
        Action::Reply => Some(out),
        Action::Forward | Action::Drop => None,
    }
}

/// The message id of `bytes`, if at least its header reads.
pub(crate) fn message_id(bytes: &[u8]) -> Option<u16> {
    read_header(bytes).map(|header| header.id())
}

/// Whether `bytes` is a response (QR set) with message id `id`.
pub(crate) fn is_response_to(id: u16, bytes: &[u8]) -> bool {
    read_header(bytes)
        .is_some_and(|header| header.id() == id && header.message_type() == MessageType::Response)
}

fn read_header(bytes: &[u8]) -> Option<Header> {
    Header::read(&mut BinDecoder::new(bytes)).ok()
}

fn error_reply(query: &Header, code: ResponseCode) -> Message {
    let mut reply = Message::error_msg(query.id(), query.op_code(), code);
    reply.set_recursion_desired(query.recursion_desired());
    reply
}

/// The reply skeleton: the question as asked, the flags, an OPT record
/// when the query had one.
fn response_to(query: &Message) -> Message {
    let mut reply = Message::new();
    reply
        .set_id(query.id())
        .set_message_type(MessageType::Response)
        .set_op_code(OpCode::Query)
        .set_authoritative(true)
        .set_recursion_desired(query.recursion_desired())
        // Names outside the zones are resolved (forwarded), so recursion is
        // available; stub resolvers expect RA from the resolver they use.
        .set_recursion_available(true)
        .add_queries(query.queries().iter().cloned());
    if query.extensions().is_some() {
        let mut edns = Edns::new();
        edns.set_max_payload(MAX_UDP_PAYLOAD as u16).set_version(0);
        reply.set_edns(edns);
    }
    reply
}

/// Writes `reply` into `out` within `limit` bytes: without its additional
/// records if it must, else truncated (TC, no records).
fn finish(mut reply: Message, limit: usize, out: &mut Vec<u8>) -> Action {
    if emit(&reply, out) && out.len() <= limit {
        return Action::Reply;
    }
    if !reply.additionals().is_empty() {
        reply.additionals_mut().clear();
        if emit(&reply, out) && out.len() <= limit {
            return Action::Reply;
        }
    }
    if emit(&reply.truncate(), out) && out.len() <= limit {
        return Action::Reply;
    }
    tracing::debug!(id = reply.id(), "reply could not be encoded; dropped");
    Action::Drop
}

fn emit(message: &Message, out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut encoder = BinEncoder::new(out);
    message.emit(&mut encoder).is_ok()
}

#[cfg(test)]
mod tests;

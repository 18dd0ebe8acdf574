//! How requests come off the wire: the protobuf codec of the generated
//! Marque services, and the statuses tonic's framing code gives a request
//! it cannot read.
//!
//! Both exist so that a request the server cannot read is answered as the
//! caller's mistake, with the code the README promises, and logged by
//! [`crate::auth`]'s outcome log as what it is, not as a server fault:
//!
//! - bytes that are not the request message (not protobuf, a string field
//!   that is not UTF-8) are INVALID_ARGUMENT. tonic-prost answers INTERNAL,
//!   as the gRPC status code table lists for a request that does not parse;
//!   but INTERNAL is what Marque keeps for its own faults (logged at ERROR,
//!   answered without a cause), and a caller that sent garbage has nothing
//!   to learn from "internal error". [`MarqueCodec`] is tonic-prost's codec
//!   with that one mapping changed; `build.rs` names it as the generated
//!   code's codec (`codec_path`). Health and reflection keep their own.
//! - a message beyond its service's decoding limit is RESOURCE_EXHAUSTED, as
//!   the gRPC spec prescribes and as tonic already answers a gzip-compressed
//!   one. tonic answers an uncompressed one OUT_OF_RANGE, from its framing
//!   code, before any codec or handler runs: the auth layer, which sees
//!   every call's answer, rewrites it with [`rewrite_framing_refusal`]; the
//!   import stream, which reads its messages itself, maps it with
//!   [`framing_status`].
//! - bytes that are not a gRPC message at all (cut short of their length
//!   prefix, a unary call with no message, a body that does not decompress)
//!   are INVALID_ARGUMENT too. tonic's framing code answers them INTERNAL,
//!   and they are rewritten in the same two places.

use std::marker::PhantomData;

use prost::Message;
use tonic::{
    Code, Status,
    codec::{BufferSettings, Codec, DecodeBuf, Decoder},
};
use tonic_prost::{ProstCodec, ProstEncoder};

/// tonic-prost's codec, but a message that does not decode is
/// INVALID_ARGUMENT, not INTERNAL.
///
/// The generated clients share it (tonic-prost-build names one codec for
/// both): for them a response that does not decode is INVALID_ARGUMENT too,
/// which a Marque server, sending only what it encoded, never causes.
#[derive(Debug, Clone)]
pub struct MarqueCodec<T, U>(ProstCodec<T, U>);

impl<T, U> Default for MarqueCodec<T, U> {
    fn default() -> Self {
        Self(ProstCodec::default())
    }
}

impl<T, U> Codec for MarqueCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = MarqueDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.0.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        MarqueDecoder(PhantomData)
    }
}

/// Decodes a `U` as tonic-prost does, answering INVALID_ARGUMENT for bytes
/// that are not one.
#[derive(Debug, Clone)]
pub struct MarqueDecoder<U>(PhantomData<U>);

impl<U: Message + Default> Decoder for MarqueDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        U::decode(buf).map(Some).map_err(|e| malformed(&e))
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}

/// The status of bytes that do not decode: prost's description names the
/// message and field (`failed to decode Protobuf message:
/// CheckSellerRequest.brand: invalid string value: data is not UTF-8
/// encoded`).
fn malformed(error: &prost::DecodeError) -> Status {
    Status::invalid_argument(error.to_string())
}

/// The start of the message of the OUT_OF_RANGE tonic gives a message longer
/// than the decoding limit (`tonic::codec::decode`, `decode_chunk`). The
/// integration test `oversized_requests_are_refused` fails if a tonic
/// upgrade changes it.
const TONIC_TOO_LARGE: &str = "Error, decoded message length too large";

/// The INTERNAL answers tonic's framing code gives a request whose bytes
/// are not a gRPC message, by the start of their message
/// (`tonic::codec::decode`, `tonic::server::grpc`), and what Marque answers
/// instead (INVALID_ARGUMENT). The integration test
/// `broken_request_frames_are_an_invalid_argument` fails if a tonic upgrade
/// changes them.
const TONIC_BAD_FRAMES: [(&str, &str); 4] = [
    (
        "Unexpected EOF decoding stream",
        "the request ended inside its message: the message's length prefix gives more bytes than were sent",
    ),
    (
        "Missing request message",
        "the request has no message: a unary call sends exactly one",
    ),
    (
        "Error decompressing",
        "the request message does not decompress with its grpc-encoding",
    ),
    (
        "protocol error: received message with",
        "the request message's compressed flag is invalid or has no grpc-encoding",
    ),
];

/// The status Marque answers for tonic's framing refusals, or `None` for any
/// other status:
/// - OUT_OF_RANGE for a message beyond the decoding limit becomes
///   RESOURCE_EXHAUSTED, with tonic's message;
/// - INTERNAL for bytes that are not a gRPC message (cut short, missing,
///   not decompressing, a bad compressed flag; the `TONIC_BAD_FRAMES` list) becomes
///   INVALID_ARGUMENT: the caller's mistake, where INTERNAL is Marque's own
///   faults (logged at ERROR, and never explained to the caller).
///
/// tonic makes these in its framing code, before any codec or handler runs,
/// and with codes no Marque handler gives with such messages, so this is the
/// one place they can be told apart: by their code and tonic's message.
pub fn framing_status(status: &Status) -> Option<Status> {
    match status.code() {
        Code::OutOfRange if status.message().starts_with(TONIC_TOO_LARGE) => {
            Some(Status::resource_exhausted(status.message()))
        }
        Code::Internal => TONIC_BAD_FRAMES
            .iter()
            .find(|(tonic, _)| status.message().starts_with(tonic))
            .map(|&(_, ours)| Status::invalid_argument(ours)),
        _ => None,
    }
}

/// Rewrites tonic's framing refusals ([`framing_status`]): OUT_OF_RANGE for
/// a request message beyond the decoding limit as RESOURCE_EXHAUSTED, and
/// INTERNAL for bytes that are not a gRPC message as INVALID_ARGUMENT;
/// leaves every other answer alone.
///
/// Such an answer is trailers-only (tonic fails the call before the handler
/// runs): its status is in the headers, and tonic puts the [`Status`] itself
/// in the response's extensions ([`Status::into_http`]), which is read here
/// rather than the percent-encoded `grpc-message`.
pub fn rewrite_framing_refusal<B>(response: &mut http::Response<B>) {
    let Some(mapped) = response
        .extensions()
        .get::<Status>()
        .and_then(framing_status)
    else {
        return;
    };
    let mut status_headers = http::HeaderMap::new();
    if mapped.add_header(&mut status_headers).is_err() {
        return;
    }
    let headers = response.headers_mut();
    for name in ["grpc-status", "grpc-message", "grpc-status-details-bin"] {
        headers.remove(name);
    }
    headers.extend(status_headers);
    response.extensions_mut().insert(mapped);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tonics_size_limit_becomes_resource_exhausted() {
        let tonic = Status::out_of_range(
            "Error, decoded message length too large: found 7340050 bytes, the limit is: 6291456 bytes",
        );
        let mapped = framing_status(&tonic).expect("mapped");
        assert_eq!(mapped.code(), Code::ResourceExhausted);
        assert_eq!(mapped.message(), tonic.message());
        assert!(framing_status(&Status::out_of_range("page 9 is past the end")).is_none());
        assert!(framing_status(&Status::internal(TONIC_TOO_LARGE)).is_none());
    }

    #[test]
    fn tonics_internal_for_broken_frames_becomes_invalid_argument() {
        for tonic in [
            "Unexpected EOF decoding stream.",
            "Missing request message.",
            "Error decompressing: invalid gzip header, while sending request",
            "protocol error: received message with compressed-flag but no grpc-encoding was specified",
        ] {
            let mapped = framing_status(&Status::internal(tonic)).expect(tonic);
            assert_eq!(mapped.code(), Code::InvalidArgument, "{tonic}");
            assert!(mapped.message().starts_with("the request"), "{mapped:?}");
        }
        // Marque's own faults stay INTERNAL.
        assert!(framing_status(&Status::internal("internal error")).is_none());
        assert!(framing_status(&Status::unavailable("Missing request message.")).is_none());
    }

    #[test]
    fn a_trailers_only_answer_is_rewritten_in_its_headers() {
        let tonic = Status::out_of_range(
            "Error, decoded message length too large: found 2 bytes, the limit is: 1 bytes",
        );
        let mut response: http::Response<()> = tonic.into_http();
        rewrite_framing_refusal(&mut response);
        let status = Status::from_header_map(response.headers()).expect("a status");
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert!(status.message().starts_with(TONIC_TOO_LARGE));

        let mut other: http::Response<()> = Status::not_found("brands/x").into_http();
        rewrite_framing_refusal(&mut other);
        let status = Status::from_header_map(other.headers()).expect("a status");
        assert_eq!(status.code(), Code::NotFound);
    }
}

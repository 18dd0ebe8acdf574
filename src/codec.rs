//! How requests come off the wire: the protobuf codec of the generated
//! Marque services, and the one status tonic gives a message too large to
//! decode.
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
//!   every call's answer, rewrites it with [`rewrite_size_limit`]; the import
//!   stream, which reads its messages itself, maps it with
//!   [`size_limit_status`].

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

/// RESOURCE_EXHAUSTED, with tonic's message, when `status` is tonic's
/// OUT_OF_RANGE for a message beyond the decoding limit; `None` for any other
/// status. tonic makes it in its framing code, before any codec or handler
/// runs, and with a code no Marque handler uses, so this is the one place
/// it can be told apart: by its code and tonic's message.
pub fn size_limit_status(status: &Status) -> Option<Status> {
    (status.code() == Code::OutOfRange && status.message().starts_with(TONIC_TOO_LARGE))
        .then(|| Status::resource_exhausted(status.message()))
}

/// Rewrites tonic's answer to a request message beyond the decoding limit,
/// OUT_OF_RANGE, as RESOURCE_EXHAUSTED; leaves every other answer alone.
///
/// Such an answer is trailers-only (tonic fails the call before the handler
/// runs): its status is in the headers, and tonic puts the [`Status`] itself
/// in the response's extensions ([`Status::into_http`]), which is read here
/// rather than the percent-encoded `grpc-message`.
pub fn rewrite_size_limit<B>(response: &mut http::Response<B>) {
    let Some(mapped) = response
        .extensions()
        .get::<Status>()
        .and_then(size_limit_status)
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
        let mapped = size_limit_status(&tonic).expect("mapped");
        assert_eq!(mapped.code(), Code::ResourceExhausted);
        assert_eq!(mapped.message(), tonic.message());
        assert!(size_limit_status(&Status::out_of_range("page 9 is past the end")).is_none());
        assert!(size_limit_status(&Status::internal(TONIC_TOO_LARGE)).is_none());
    }

    #[test]
    fn a_trailers_only_answer_is_rewritten_in_its_headers() {
        let tonic = Status::out_of_range(
            "Error, decoded message length too large: found 2 bytes, the limit is: 1 bytes",
        );
        let mut response: http::Response<()> = tonic.into_http();
        rewrite_size_limit(&mut response);
        let status = Status::from_header_map(response.headers()).expect("a status");
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert!(status.message().starts_with(TONIC_TOO_LARGE));

        let mut other: http::Response<()> = Status::not_found("brands/x").into_http();
        rewrite_size_limit(&mut other);
        let status = Status::from_header_map(other.headers()).expect("a status");
        assert_eq!(status.code(), Code::NotFound);
    }
}

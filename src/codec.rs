//! How requests come off the wire: the protobuf codec of the generated
//! Marque services.
//!
//! It exists so that a request the server cannot read is answered as the
//! caller's mistake, and logged as one (at INFO, by [`crate::auth`]'s outcome
//! log), not as a server fault:
//!
//! - bytes that are not the request message (not protobuf, a string field
//!   that is not UTF-8) are INVALID_ARGUMENT. tonic-prost answers INTERNAL,
//!   as the gRPC status code table lists for a request that does not parse;
//!   but INTERNAL is what Marque keeps for its own faults (logged at ERROR,
//!   answered without a cause), and a caller that sent garbage has nothing
//!   to learn from "internal error". [`MarqueCodec`] is tonic-prost's codec
//!   with that one mapping changed; `build.rs` names it as the generated
//!   code's codec (`codec_path`). Health and reflection keep their own.

use std::marker::PhantomData;

use prost::Message;
use tonic::{
    Status,
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

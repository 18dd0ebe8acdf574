//! Server reflection, v1 and v1alpha (`grpc.reflection.*.ServerReflection`),
//! of the descriptor sets the server serves.
//!
//! `tonic-reflection` answers a lookup it cannot (an unknown symbol or file,
//! an extension) by ending the whole stream with an error status; the
//! protocol answers it with an `error_response` on a stream that stays
//! open, so that a client sending several lookups on one stream (grpcurl's
//! and buf's libraries keep one) loses only the one. This module answers as
//! the protocol says, from an index of the sets built once at start-up
//! ([`Descriptors`]), with `tonic-reflection`'s generated types and servers.

use std::{collections::HashMap, pin::Pin, sync::Arc};

use prost::Message;
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorSet};
use tokio_stream::{Stream, StreamExt};
use tonic::{Code, Request, Response, Status, Streaming};

/// The files of some descriptor sets, and which file defines each symbol.
#[derive(Debug, Default)]
pub struct Descriptors {
    /// Each file, encoded, by its name.
    files: HashMap<String, Arc<[u8]>>,
    /// Each fully qualified symbol (package, message, field, oneof, enum,
    /// enum value, service, method), by the file that defines it.
    symbols: HashMap<String, Arc<[u8]>>,
    /// The services, fully qualified, in the order of their files.
    services: Vec<String>,
}

/// What a lookup finds, whichever version asked it.
enum Found {
    /// A file, encoded.
    File(Arc<[u8]>),
    /// The services.
    Services,
    /// No extension numbers of a message (this server defines none).
    NoExtensions(String),
    /// Nothing: the protocol's `error_response`.
    Error(Code, String),
}

impl Descriptors {
    /// Indexes `sets` (encoded `FileDescriptorSet`s) and the reflection
    /// protocol's own files. A file named in more than one set is taken from
    /// the first.
    ///
    /// # Errors
    /// When a set does not decode.
    pub fn new(sets: &[&[u8]]) -> Result<Descriptors, prost::DecodeError> {
        let mut descriptors = Descriptors::default();
        let protocol = [
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
        ];
        for set in sets.iter().chain(&protocol) {
            for file in FileDescriptorSet::decode(*set)?.file {
                let name = file.name().to_owned();
                if descriptors.files.contains_key(&name) {
                    continue;
                }
                let encoded: Arc<[u8]> = file.encode_to_vec().into();
                let package = file.package();
                let mut symbols = Vec::new();
                for message in &file.message_type {
                    message_symbols(package, message, &mut symbols);
                }
                for item in &file.enum_type {
                    enum_symbols(package, item, &mut symbols);
                }
                for service in &file.service {
                    let service_name = qualified(package, service.name());
                    for method in &service.method {
                        symbols.push(qualified(&service_name, method.name()));
                    }
                    descriptors.services.push(service_name.clone());
                    symbols.push(service_name);
                }
                for symbol in symbols {
                    descriptors.symbols.entry(symbol).or_insert(encoded.clone());
                }
                descriptors.files.insert(name, encoded);
            }
        }
        Ok(descriptors)
    }

    fn file(&self, name: &str) -> Found {
        match self.files.get(name) {
            Some(file) => Found::File(file.clone()),
            None => Found::Error(Code::NotFound, format!("file {name:?} not found")),
        }
    }

    fn symbol(&self, symbol: &str) -> Found {
        match self.symbols.get(symbol) {
            Some(file) => Found::File(file.clone()),
            None => Found::Error(Code::NotFound, format!("symbol {symbol:?} not found")),
        }
    }

    fn extensions_of(&self, message: &str) -> Found {
        match self.symbols.get(message) {
            Some(_) => Found::NoExtensions(message.to_owned()),
            None => Found::Error(Code::NotFound, format!("type {message:?} not found")),
        }
    }
}

/// `name` in `scope` (a package, a message, an enum's scope).
fn qualified(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_owned()
    } else {
        format!("{scope}.{name}")
    }
}

fn message_symbols(scope: &str, message: &DescriptorProto, symbols: &mut Vec<String>) {
    let name = qualified(scope, message.name());
    for nested in &message.nested_type {
        message_symbols(&name, nested, symbols);
    }
    for item in &message.enum_type {
        enum_symbols(&name, item, symbols);
    }
    for field in &message.field {
        symbols.push(qualified(&name, field.name()));
    }
    for oneof in &message.oneof_decl {
        symbols.push(qualified(&name, oneof.name()));
    }
    symbols.push(name);
}

/// An enum's name and its values', which protobuf scopes beside the enum
/// (`marque.v1.VERDICT_BLOCK`) but `tonic-reflection` within it; both are
/// indexed, as clients ask either.
fn enum_symbols(scope: &str, item: &EnumDescriptorProto, symbols: &mut Vec<String>) {
    let name = qualified(scope, item.name());
    for value in &item.value {
        symbols.push(qualified(&name, value.name()));
        symbols.push(qualified(scope, value.name()));
    }
    symbols.push(name);
}

/// A reflection service of one protocol version over [`Descriptors`].
macro_rules! reflection_service {
    ($service:ident, $version:ident) => {
        #[doc = concat!(
            "Server reflection `", stringify!($version), "` over [`Descriptors`]."
        )]
        #[derive(Debug, Clone)]
        pub struct $service(Arc<Descriptors>);

        impl $service {
            /// The service, for tonic's router.
            pub fn server(
                descriptors: Arc<Descriptors>,
            ) -> tonic_reflection::pb::$version::server_reflection_server::ServerReflectionServer<
                $service,
            > {
                tonic_reflection::pb::$version::server_reflection_server::ServerReflectionServer::new(
                    $service(descriptors),
                )
            }
        }

        #[tonic::async_trait]
        impl tonic_reflection::pb::$version::server_reflection_server::ServerReflection
            for $service
        {
            type ServerReflectionInfoStream = Pin<
                Box<
                    dyn Stream<
                            Item = Result<
                                tonic_reflection::pb::$version::ServerReflectionResponse,
                                Status,
                            >,
                        > + Send,
                >,
            >;

            async fn server_reflection_info(
                &self,
                request: Request<Streaming<tonic_reflection::pb::$version::ServerReflectionRequest>>,
            ) -> Result<Response<Self::ServerReflectionInfoStream>, Status> {
                use tonic_reflection::pb::$version::{
                    ErrorResponse, ExtensionNumberResponse, FileDescriptorResponse,
                    ListServiceResponse, ServerReflectionResponse, ServiceResponse,
                    server_reflection_request::MessageRequest,
                    server_reflection_response::MessageResponse,
                };
                let descriptors = self.0.clone();
                let answers = request.into_inner().map(move |asked| {
                    let asked = asked?;
                    let found = match &asked.message_request {
                        Some(MessageRequest::FileByFilename(name)) => descriptors.file(name),
                        Some(MessageRequest::FileContainingSymbol(symbol)) => {
                            descriptors.symbol(symbol)
                        }
                        Some(MessageRequest::FileContainingExtension(_)) => Found::Error(
                            Code::NotFound,
                            "this server defines no extensions".to_owned(),
                        ),
                        Some(MessageRequest::AllExtensionNumbersOfType(message)) => {
                            descriptors.extensions_of(message)
                        }
                        Some(MessageRequest::ListServices(_)) => Found::Services,
                        None => Found::Error(
                            Code::InvalidArgument,
                            "the request asks nothing (message_request is not set)".to_owned(),
                        ),
                    };
                    let answer = match found {
                        Found::File(file) => {
                            MessageResponse::FileDescriptorResponse(FileDescriptorResponse {
                                file_descriptor_proto: vec![file.to_vec()],
                            })
                        }
                        Found::Services => {
                            MessageResponse::ListServicesResponse(ListServiceResponse {
                                service: descriptors
                                    .services
                                    .iter()
                                    .map(|name| ServiceResponse { name: name.clone() })
                                    .collect(),
                            })
                        }
                        Found::NoExtensions(message) => {
                            MessageResponse::AllExtensionNumbersResponse(ExtensionNumberResponse {
                                base_type_name: message,
                                extension_number: Vec::new(),
                            })
                        }
                        Found::Error(code, message) => {
                            MessageResponse::ErrorResponse(ErrorResponse {
                                error_code: code as i32,
                                error_message: message,
                            })
                        }
                    };
                    Ok(ServerReflectionResponse {
                        valid_host: asked.host.clone(),
                        original_request: Some(asked),
                        message_response: Some(answer),
                    })
                });
                Ok(Response::new(Box::pin(answers)))
            }
        }
    };
}

reflection_service!(ReflectionV1, v1);
reflection_service!(ReflectionV1Alpha, v1alpha);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_symbol_of_the_served_sets_is_indexed_by_its_file() {
        let descriptors =
            Descriptors::new(&[crate::server::FILE_DESCRIPTOR_SET]).expect("descriptor sets");
        for (symbol, file) in [
            ("marque.v1.CheckService", "marque/v1/check.proto"),
            (
                "marque.v1.CheckService.CheckListing",
                "marque/v1/check.proto",
            ),
            ("marque.v1.BatchCheckResult", "marque/v1/check.proto"),
            ("google.rpc.Status", "google/rpc/status.proto"),
            (
                "google.rpc.BadRequest.FieldViolation",
                "google/rpc/error_details.proto",
            ),
            ("grpc.health.v1.Health", "grpc/health/v1/health.proto"),
            (
                "grpc.health.v1.HealthCheckResponse.SERVING",
                "grpc/health/v1/health.proto",
            ),
            (
                "grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING",
                "grpc/health/v1/health.proto",
            ),
        ] {
            let Found::File(encoded) = descriptors.symbol(symbol) else {
                panic!("{symbol} not indexed");
            };
            let found = prost_types::FileDescriptorProto::decode(&encoded[..]).expect("a file");
            assert_eq!(found.name(), file, "{symbol}");
            assert!(matches!(descriptors.file(file), Found::File(_)), "{file}");
        }
        assert!(matches!(
            descriptors.symbol("marque.v1.Nope"),
            Found::Error(Code::NotFound, _)
        ));
        for service in [
            "marque.v1.RegistryService",
            "marque.v1.CheckService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
        ] {
            assert!(
                descriptors.services.iter().any(|s| s == service),
                "{service}: {:?}",
                descriptors.services
            );
        }
    }
}

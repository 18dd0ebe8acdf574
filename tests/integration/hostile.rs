//! Hostile input through the real gRPC API: every answer is a clear client
//! error (never INTERNAL or UNKNOWN, which a panic or an unmapped error
//! would give), and nothing is written.

use crate::common;

use common::{TestServer, Who};
use marque::pb::marque::v1 as pb;
use tonic::Code;

fn nasty() -> Vec<String> {
    vec![
        String::new(),
        " ".into(),
        "\0".into(),
        "brands/".into(),
        "brands//".into(),
        "brands/../alpha".into(),
        "brands/alpha/".into(),
        "brands/alpha/trademarks/".into(),
        "brands/alpha/trademarks/x/y".into(),
        "brands/ALPHA".into(),
        "brands/alpha\u{200b}".into(),
        "members/owner-a/apiKeys/".into(),
        "ЬRANDS/альфа".into(),
        "🙂".repeat(300),
        "x".repeat(70_000),
        "\u{202e}brands/alpha".into(),
        "%00".into(),
    ]
}

fn acceptable(code: Code) -> bool {
    matches!(
        code,
        Code::InvalidArgument | Code::NotFound | Code::PermissionDenied | Code::FailedPrecondition
    )
}

#[tokio::test]
async fn hostile_names_and_text_get_client_errors_and_write_nothing() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let mut check = server.check_as(Who::PlatformP);
    let before = owner
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect("caller")
        .into_inner()
        .revision;
    let mut unexpected = Vec::new();
    for value in nasty() {
        let mut note = |what: &str, result: Result<(), tonic::Status>| {
            if let Err(status) = result
                && !acceptable(status.code())
            {
                unexpected.push(format!(
                    "{what}({:?}…): {status:?}",
                    value.chars().take(20).collect::<String>()
                ));
            }
        };
        note(
            "GetBrand",
            owner
                .get_brand(pb::GetBrandRequest {
                    name: value.clone(),
                    min_revision: 0,
                })
                .await
                .map(drop),
        );
        note(
            "CreateBrand",
            owner
                .create_brand(pb::CreateBrandRequest {
                    brand_id: value.clone(),
                    brand: Some(pb::Brand {
                        display_name: value.clone(),
                        aliases: vec![value.clone()],
                        ..Default::default()
                    }),
                    request_id: value.clone(),
                })
                .await
                .map(drop),
        );
        note(
            "RemoveTrademark",
            owner
                .remove_trademark(pb::RemoveTrademarkRequest {
                    name: value.clone(),
                    request_id: String::new(),
                })
                .await
                .map(drop),
        );
        note(
            "UpdateAuthorization",
            owner
                .update_authorization(pb::UpdateAuthorizationRequest {
                    authorization: Some(pb::Authorization {
                        name: value.clone(),
                        reference: value.clone(),
                        etag: value.clone(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec![value.clone()],
                    }),
                    request_id: String::new(),
                })
                .await
                .map(drop),
        );
        note(
            "AuthorizeSeller",
            owner
                .authorize_seller(pb::AuthorizeSellerRequest {
                    parent: "brands/alpha".into(),
                    authorization: Some(pb::Authorization {
                        platform: value.clone(),
                        seller_account: value.clone(),
                        regions: vec![value.clone()],
                        nice_classes: vec![i32::MIN, i32::MAX],
                        valid_from: Some(prost_types::Timestamp {
                            seconds: i64::MAX,
                            nanos: -1,
                        }),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .map(drop),
        );
        note(
            "ListBrands",
            owner
                .list_brands(pb::ListBrandsRequest {
                    owner: value.clone(),
                    page_size: i32::MIN,
                    page_token: value.clone(),
                    min_revision: 0,
                })
                .await
                .map(drop),
        );
        note(
            "CheckSeller",
            check
                .check_seller(pb::CheckSellerRequest {
                    brand: value.clone(),
                    seller_account: value.clone(),
                    nice_class: i32::MIN,
                    region: value.clone(),
                    at_time: Some(prost_types::Timestamp {
                        seconds: i64::MIN,
                        nanos: i32::MAX,
                    }),
                    min_revision: 0,
                })
                .await
                .map(drop),
        );
        // A listing's text may be anything: it is scanned, never refused for
        // its content (only for its size).
        let listing = check
            .check_listing(pb::CheckListingRequest {
                listing: Some(pb::Listing {
                    seller_account: "s".into(),
                    title: format!("x{}", value.chars().take(900).collect::<String>()),
                    description: value.clone(),
                    declared_brand: value.chars().take(200).collect(),
                    ..Default::default()
                }),
                min_revision: 0,
            })
            .await;
        if let Err(status) = &listing
            && status.code() != Code::InvalidArgument
        {
            unexpected.push(format!("CheckListing: {status:?}"));
        }
    }
    assert!(
        unexpected.is_empty(),
        "unexpected answers:\n{}",
        unexpected.join("\n")
    );
    let after = owner
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect("caller")
        .into_inner()
        .revision;
    assert_eq!(before, after, "no hostile request wrote anything");
}

/// A client-streamed import that sends `first` and then stays open, so the
/// answer can only come from the first message.
async fn import_left_open(
    server: &TestServer,
    who: Who,
    first: pb::ImportAuthorizationsRequest,
) -> Result<pb::ImportAuthorizationsResponse, tonic::Status> {
    let messages = tokio_stream::StreamExt::chain(
        tokio_stream::iter([first]),
        tokio_stream::pending::<pb::ImportAuthorizationsRequest>(),
    );
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        server.registry_as(who).import_authorizations(messages),
    )
    .await
    .expect("the first message is answered without waiting for the stream to end")
    .map(tonic::Response::into_inner)
}

/// An error quotes what it refuses as a JSON string, so it can be pasted
/// back into a request (grpcurl's `-d`), invisible characters escaped.
#[tokio::test]
async fn refused_values_are_quoted_as_json_strings() {
    let server = TestServer::start().await;
    let status = server
        .registry_as(Who::OwnerA)
        .get_brand(pb::GetBrandRequest {
            name: "brands/al\u{200b}pha\u{202e}".into(),
            min_revision: 0,
        })
        .await
        .expect_err("an invisible character in a name");
    let violations = common::field_violations(&status);
    assert_eq!(violations.len(), 1, "{violations:?}");
    let quoted = r#""al\u200bpha\u202e""#;
    assert!(violations[0].1.starts_with(quoted), "{violations:?}");
    assert!(
        violations[0].1.ends_with(r#"found "\u200b""#),
        "{violations:?}"
    );
    let value: String = serde_json::from_str(quoted).expect("JSON");
    assert_eq!(value, "al\u{200b}pha\u{202e}");
}

#[tokio::test]
async fn an_import_is_refused_at_its_first_message() {
    let server = TestServer::start().await;
    let row = pb::Authorization {
        platform: "members/platform-p".into(),
        seller_account: "open-stream".into(),
        ..Default::default()
    };
    let first = |parent: &str| pb::ImportAuthorizationsRequest {
        parent: parent.into(),
        rows: vec![row.clone()],
        request_id: "open-stream".into(),
        widen: None,
    };
    let denied = import_left_open(&server, Who::OwnerB, first("brands/alpha"))
        .await
        .expect_err("another owner's brand");
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    let missing = import_left_open(&server, Who::OwnerA, first("brands/nope"))
        .await
        .expect_err("no such brand");
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
    let invalid = import_left_open(&server, Who::OwnerA, first("brands/ALPHA"))
        .await
        .expect_err("not a brand name");
    common::assert_violations(&invalid, &["parent"]);
    // An archived brand takes no import: without a request id (no retry
    // to answer), at once.
    server.archive(Who::OwnerA, "brands/alpha").await;
    let archived = import_left_open(
        &server,
        Who::OwnerA,
        pb::ImportAuthorizationsRequest {
            request_id: String::new(),
            ..first("brands/alpha")
        },
    )
    .await
    .expect_err("an archived brand");
    assert_eq!(archived.code(), Code::FailedPrecondition, "{archived:?}");
    assert_eq!(archived.message(), "brands/alpha is archived and read-only");
}

#[tokio::test]
async fn an_endless_import_of_empty_messages_is_cut_off() {
    let server = TestServer::start().await;
    let first = pb::ImportAuthorizationsRequest {
        parent: "brands/alpha".into(),
        rows: vec![],
        request_id: String::new(),
        widen: None,
    };
    let messages = tokio_stream::StreamExt::chain(
        tokio_stream::iter([first]),
        tokio_stream::iter(std::iter::repeat(pb::ImportAuthorizationsRequest::default())),
    );
    let status = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        server
            .registry_as(Who::OwnerA)
            .import_authorizations(messages),
    )
    .await
    .expect("the import is cut off at its message limit")
    .expect_err("too many messages");
    common::assert_violations(&status, &["stream"]);
}

#[tokio::test]
async fn a_logo_for_another_owners_brand_is_refused_before_its_image_is_read() {
    let server = TestServer::start().await;
    for (parent, code) in [
        ("brands/alpha", Code::PermissionDenied),
        ("brands/nope", Code::NotFound),
    ] {
        // Not an image at all: the owner check answers before any decoding
        // would find that out.
        let status = server
            .registry_as(Who::OwnerB)
            .add_logo(pb::AddLogoRequest {
                parent: parent.into(),
                description: "someone else's".into(),
                source: Some(pb::add_logo_request::Source::Image(
                    b"not an image".to_vec(),
                )),
                request_id: String::new(),
            })
            .await
            .expect_err("not the caller's brand");
        assert_eq!(status.code(), code, "{parent}: {status:?}");
    }
}

/// Sends `bytes`, whatever they are, as the request message of the unary
/// RPC at `path`, as `who`.
async fn send_raw(
    server: &TestServer,
    who: Who,
    path: &'static str,
    bytes: Vec<u8>,
) -> Result<(), tonic::Status> {
    /// Writes the request bytes as they are; reads an answer as `()` (only
    /// its status matters here).
    #[derive(Clone, Default)]
    struct RawCodec;
    #[derive(Clone, Default)]
    struct RawEncoder;
    impl tonic::codec::Encoder for RawEncoder {
        type Item = Vec<u8>;
        type Error = tonic::Status;
        fn encode(
            &mut self,
            item: Vec<u8>,
            buf: &mut tonic::codec::EncodeBuf<'_>,
        ) -> Result<(), tonic::Status> {
            prost::bytes::BufMut::put_slice(buf, &item);
            Ok(())
        }
    }
    impl tonic::codec::Codec for RawCodec {
        type Encode = Vec<u8>;
        type Decode = ();
        type Encoder = RawEncoder;
        type Decoder = tonic_prost::ProstDecoder<()>;
        fn encoder(&mut self) -> RawEncoder {
            RawEncoder
        }
        fn decoder(&mut self) -> Self::Decoder {
            tonic_prost::ProstDecoder::default()
        }
    }
    let mut grpc = tonic::client::Grpc::new(server.channel());
    grpc.ready().await.expect("ready");
    let mut request = tonic::Request::new(bytes);
    let key = server.keys.of(who).expect("a key");
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {key}").parse().expect("ascii"),
    );
    grpc.unary(
        request,
        http::uri::PathAndQuery::from_static(path),
        RawCodec,
    )
    .await
    .map(drop)
}

#[tokio::test]
async fn bytes_that_are_not_the_request_message_are_an_invalid_argument() {
    use prost::Message;
    let server = TestServer::start().await;
    let check_seller = "/marque.v1.CheckService/CheckSeller";
    let create_brand = "/marque.v1.RegistryService/CreateBrand";
    // The path works with bytes that are a request.
    let valid = pb::CheckSellerRequest {
        brand: "brands/alpha".into(),
        seller_account: "seller-p1".into(),
        nice_class: 14,
        region: "CN".into(),
        ..Default::default()
    };
    send_raw(&server, Who::PlatformP, check_seller, valid.encode_to_vec())
        .await
        .expect("a valid request, sent raw");
    for (who, path, bytes, what) in [
        // Field 1 (`brand`, a string), 2 bytes that are not UTF-8.
        (
            Who::PlatformP,
            check_seller,
            vec![0x0a, 0x02, 0xff, 0xfe],
            "CheckSellerRequest.brand",
        ),
        // Field 1 (`brand_id`), declared 16 bytes long, 1 sent.
        (Who::OwnerA, create_brand, vec![0x0a, 0x10, b'a'], ""),
        // Not protobuf at all: a tag that is not a varint.
        (Who::PlatformP, check_seller, vec![0xff; 11], ""),
    ] {
        let status = send_raw(&server, who, path, bytes.clone())
            .await
            .expect_err("not a request message");
        assert_eq!(
            status.code(),
            Code::InvalidArgument,
            "{path} {bytes:?}: {status:?}"
        );
        assert!(status.message().contains(what), "{status:?}");
    }
    // The server goes on serving, on the same connection.
    let answer = server
        .check_as(Who::PlatformP)
        .check_seller(valid)
        .await
        .expect("a check after the malformed ones")
        .into_inner();
    assert!(answer.authorized);
}

/// A unary call made of raw HTTP/2 frames, as a broken or impatient client
/// sends them: `extra` headers, then `data` (if any), the request stream
/// ended after it when `end`, else reset with CANCEL after `cancel_after`,
/// or left open when `cancel_after` is `None`. Returns the call's
/// `grpc-status` and `grpc-message`.
async fn raw_h2_call(
    server: &TestServer,
    extra: &[(&str, &str)],
    data: Option<Vec<u8>>,
    end: bool,
    cancel_after: Option<std::time::Duration>,
) -> Option<(String, String)> {
    let no_data = data.is_none() && end;
    let (response, mut stream) = open_h2_call(
        server,
        Who::PlatformP,
        "/marque.v1.CheckService/CheckListing",
        extra,
        no_data,
    )
    .await;
    if let Some(data) = data {
        stream
            .send_data(bytes::Bytes::from(data), end)
            .expect("send data");
    }
    if !end {
        let Some(after) = cancel_after else {
            // Left open: the server's deadline timer ends the call.
            let response = response.await.expect("an answer");
            let status = response.headers().get("grpc-status")?;
            return Some((status.to_str().ok()?.into(), String::new()));
        };
        tokio::time::sleep(after).await;
        stream.send_reset(h2::Reason::CANCEL);
        return None;
    }
    let response = response.await.expect("an answer");
    let (head, mut body) = response.into_parts();
    // Trailers-only (tonic refused before the handler), else trailers.
    let trailers = match head.headers.contains_key("grpc-status") {
        true => head.headers,
        false => body.trailers().await.expect("trailers").expect("a status"),
    };
    let text = |name: &str| {
        trailers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    Some((text("grpc-status"), text("grpc-message")))
}

/// Opens a call to `path` as `who` on a connection of its own, with
/// `extra` headers, its request stream ended at once when `end`.
async fn open_h2_call(
    server: &TestServer,
    who: Who,
    path: &str,
    extra: &[(&str, &str)],
    end: bool,
) -> (h2::client::ResponseFuture, h2::SendStream<bytes::Bytes>) {
    let tcp = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let (client, connection) = h2::client::handshake(tcp).await.expect("handshake");
    tokio::spawn(connection);
    let mut client = client.ready().await.expect("ready");
    let key = server.keys.of(who).expect("a key");
    let mut request = http::Request::builder()
        .method("POST")
        .uri(format!("http://{}{path}", server.addr))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("authorization", format!("Bearer {key}"));
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let request = request.body(()).expect("request");
    client.send_request(request, end).expect("send headers")
}

/// A gRPC message frame: the compressed flag, the length `claimed`, then
/// `payload`.
fn frame(compressed: u8, claimed: u32, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![compressed];
    frame.extend_from_slice(&claimed.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

/// Scrapes the admin port's metrics and sums the CheckListing calls counted
/// with `code`.
async fn check_listing_calls(admin: std::net::SocketAddr, code: &str) -> f64 {
    common::calls_counted(admin, "marque.v1.CheckService/CheckListing", code).await
}

#[tokio::test]
async fn broken_request_frames_are_an_invalid_argument_and_abandoned_calls_are_counted() {
    use std::time::Duration;
    let mut start = common::Start::fixture();
    start.options.admin_listen = Some("127.0.0.1:0".parse().expect("addr"));
    let server = start.start().await;
    let admin = server.admin.expect("admin port");
    let internal_before = check_listing_calls(admin, "Internal").await;

    let gzip = [("grpc-encoding", "gzip")];
    for (what, extra, data, message) in [
        (
            "a message cut short of its length prefix",
            &[][..],
            Some(frame(0, 1000, b"0123456789")),
            "the request ended inside its message",
        ),
        (
            "no message at all",
            &[][..],
            None,
            "the request has no message",
        ),
        (
            "a body that does not decompress",
            &gzip[..],
            Some(frame(1, 10, b"\x1f\x8bgarbage!")),
            "does not decompress",
        ),
        (
            "a compressed flag without grpc-encoding",
            &[][..],
            Some(frame(1, 2, b"\x0a\x00")),
            "compressed flag",
        ),
    ] {
        let (code, text) = raw_h2_call(&server, extra, data, true, None)
            .await
            .expect("a status");
        assert_eq!(code, "3", "{what}: {text}");
        // `grpc-message` is percent-encoded (the gRPC over HTTP/2 spec).
        let text = percent_encoding::percent_decode_str(&text).decode_utf8_lossy();
        assert!(text.contains(message), "{what}: {text}");
    }

    // A client that cancels while still sending, and one whose deadline
    // passes first: neither is an INTERNAL; each is counted by its code.
    let cancelled_before = check_listing_calls(admin, "Cancelled").await;
    let deadline_before = check_listing_calls(admin, "DeadlineExceeded").await;
    raw_h2_call(
        &server,
        &[],
        Some(frame(0, 1000, b"0123456789")),
        false,
        Some(Duration::from_millis(50)),
    )
    .await;
    raw_h2_call(
        &server,
        &[("grpc-timeout", "100m")],
        Some(frame(0, 1000, b"0123456789")),
        false,
        None,
    )
    .await;
    let mut counted = (0.0, 0.0);
    for _ in 0..50 {
        counted = (
            check_listing_calls(admin, "Cancelled").await - cancelled_before,
            check_listing_calls(admin, "DeadlineExceeded").await - deadline_before,
        );
        if counted.0 >= 1.0 && counted.1 >= 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(counted.0 >= 1.0 && counted.1 >= 1.0, "{counted:?}");
    assert_eq!(
        check_listing_calls(admin, "Internal").await,
        internal_before,
        "no broken request is counted as a server fault"
    );
}

/// An import stream the client cancels after sending rows writes nothing:
/// tonic ends such a stream as if it were complete.
#[tokio::test]
async fn a_cancelled_import_writes_nothing() {
    use prost::Message;
    let server = TestServer::start().await;
    let (_response, mut stream) = open_h2_call(
        &server,
        Who::OwnerA,
        "/marque.v1.RegistryService/ImportAuthorizations",
        &[],
        false,
    )
    .await;
    let message = pb::ImportAuthorizationsRequest {
        parent: "brands/alpha".into(),
        rows: vec![pb::Authorization {
            platform: "members/platform-p".into(),
            seller_account: "cancelled-import".into(),
            ..Default::default()
        }],
        request_id: String::new(),
        widen: None,
    }
    .encode_to_vec();
    let length = u32::try_from(message.len()).expect("small");
    stream
        .send_data(bytes::Bytes::from(frame(0, length, &message)), false)
        .expect("a whole message");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stream.send_reset(h2::Reason::CANCEL);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let listed = server
        .registry_as(Who::OwnerA)
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            seller_account: "cancelled-import".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert!(listed.authorizations.is_empty(), "{listed:?}");
}

/// The answer of the first of `held`'s calls to end (within 30 s, else
/// `what` fails the test), taken out of `held`.
async fn first_to_end<T, R>(held: &mut Vec<(T, tokio::task::JoinHandle<R>)>, what: &str) -> R {
    let at = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            if let Some(at) = held.iter().position(|(_, call)| call.is_finished()) {
                return at;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what}"));
    let (_, call) = held.remove(at);
    call.await.expect("task")
}

/// A member may hold two imports open at once: each holds its rows until
/// it ends, so a third is RESOURCE_EXHAUSTED until one ends; other members
/// are not held up.
#[tokio::test]
async fn a_member_holds_at_most_two_imports_open() {
    use marque::api::registry::MAX_IMPORTS_PER_MEMBER;
    let server = TestServer::start().await;
    let row = |seller: &str| pb::Authorization {
        platform: "members/platform-p".into(),
        seller_account: seller.into(),
        ..Default::default()
    };
    let open = |who: Who, parent: &str| {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let mut client = server.registry_as(who);
        let first = pb::ImportAuthorizationsRequest {
            parent: parent.into(),
            rows: vec![row("held-open")],
            request_id: String::new(),
            widen: None,
        };
        let call = tokio::spawn(async move {
            client
                .import_authorizations(tokio_stream::wrappers::ReceiverStream::new(rx))
                .await
        });
        (tx, first, call)
    };
    // One import more than a member may hold open: the server refuses one
    // of them (whichever it comes to last) and holds the others open.
    let mut held = Vec::new();
    for _ in 0..=MAX_IMPORTS_PER_MEMBER {
        let (tx, first, call) = open(Who::OwnerA, "brands/alpha");
        tx.send(first).await.expect("first message");
        held.push((tx, call));
    }
    let refused = first_to_end(&mut held, "one import beyond the member's limit is refused")
        .await
        .expect_err("an import too many");
    assert_eq!(
        common::retry_delay(&refused),
        Some(marque::api::RETRY_AFTER)
    );
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(
        refused.message().contains(&format!(
            "members/owner-a has {MAX_IMPORTS_PER_MEMBER} imports open"
        )),
        "{refused:?}"
    );
    for (i, (_, call)) in held.iter().enumerate() {
        assert!(!call.is_finished(), "held import {i} ended");
    }
    assert_eq!(held.len(), MAX_IMPORTS_PER_MEMBER);

    // Another member imports meanwhile.
    let (tx, first, call) = open(Who::OwnerB, "brands/beta");
    tx.send(first).await.expect("first message");
    drop(tx);
    call.await.expect("task").expect("owner-b's import");

    // One ends: the member may open another.
    let (tx, call) = held.pop().expect("held");
    drop(tx);
    call.await.expect("task").expect("the first import commits");
    let (tx, first, call) = open(Who::OwnerA, "brands/alpha");
    tx.send(first).await.expect("first message");
    drop(tx);
    call.await
        .expect("task")
        .expect("a new import once one ended");
    drop(held);
}

/// A server holds a bounded number of imports open at once, whoever sends
/// them: with every place taken (two imports from each of several members),
/// one more from a member that holds none is RESOURCE_EXHAUSTED, until one
/// ends.
#[tokio::test]
async fn a_server_holds_a_bounded_number_of_imports_open() {
    use marque::api::registry::{MAX_IMPORTS, MAX_IMPORTS_PER_MEMBER};
    // Members enough to take every place two imports each, and two more.
    let members = MAX_IMPORTS / MAX_IMPORTS_PER_MEMBER + 2;
    let mut start = common::Start::fixture();
    let mut seed = common::fixture_seed(&start.keys);
    let mut keys = Vec::new();
    for i in 0..members {
        let key = marque::auth::generate_key().secret;
        seed.push_str(&format!(
            r#"
[[members]]
id = "importer-{i}"
display_name = "Importer {i}"
kind = "brand_owner"
api_keys = [{{ secret = "{key}" }}]

[[brands]]
id = "imported-{i}"
owner = "importer-{i}"
display_name = "Imported {i}"
"#
        ));
        keys.push(key);
    }
    start.options.seed =
        Some(marque::seed::Seed::parse(&seed, std::path::Path::new(".")).expect("seed"));
    let server = start.start().await;
    // An import by importer `i` that has sent its first message (a row) and
    // stays open: what sends the rest, and the call.
    let open = |i: usize| {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tx.try_send(pb::ImportAuthorizationsRequest {
            parent: format!("brands/imported-{i}"),
            rows: vec![pb::Authorization {
                platform: "members/platform-p".into(),
                seller_account: "held-open".into(),
                ..Default::default()
            }],
            request_id: String::new(),
            widen: None,
        })
        .expect("first message");
        let mut client = server.registry_with_key(&keys[i]);
        let call = tokio::spawn(async move {
            client
                .import_authorizations(tokio_stream::wrappers::ReceiverStream::new(rx))
                .await
        });
        (tx, call)
    };
    let is_full = |status: &tonic::Status| {
        status.code() == Code::ResourceExhausted && status.message().contains("this server")
    };

    // One import more than the server takes, no member beyond its own
    // limit: the server refuses one of them (whichever it comes to last)
    // and holds the others open.
    let mut held = Vec::new();
    for i in 0..MAX_IMPORTS / MAX_IMPORTS_PER_MEMBER {
        for _ in 0..MAX_IMPORTS_PER_MEMBER {
            held.push(open(i));
        }
    }
    held.push(open(members - 2));
    let refused = first_to_end(
        &mut held,
        "one import beyond the server's places is refused",
    )
    .await
    .expect_err("refused");
    assert_eq!(
        common::retry_delay(&refused),
        Some(marque::api::RETRY_AFTER)
    );
    assert!(is_full(&refused), "{refused:?}");
    for (i, (_, call)) in held.iter().enumerate() {
        assert!(!call.is_finished(), "held import {i} ended");
    }
    assert_eq!(held.len(), MAX_IMPORTS);

    // Every place is taken: an import from a member that holds none is
    // refused.
    let fresh = members - 1;
    let (_tx, call) = open(fresh);
    let refused = call.await.expect("task").expect_err("a place too many");
    assert!(is_full(&refused), "{refused:?}");

    // One ends: its place is free for another member's import.
    let (tx, call) = held.pop().expect("held");
    drop(tx);
    call.await.expect("task").expect("the held import commits");
    let (tx, call) = open(fresh);
    drop(tx);
    call.await
        .expect("task")
        .expect("a new import once one ended");
    drop(held);
}

/// An import that sends a message just often enough never goes idle: once
/// it has been open for the longest an import may be, it ends with ABORTED,
/// and none of its rows is applied.
#[tokio::test]
async fn an_import_open_too_long_is_aborted_and_applies_nothing() {
    let mut start = common::Start::fixture();
    start.options.import_idle_timeout = std::time::Duration::from_secs(60);
    start.options.import_max_duration = std::time::Duration::from_secs(1);
    let server = start.start().await;
    let revision = |server: &common::TestServer| {
        let mut owner = server.registry_as(Who::OwnerA);
        async move {
            owner
                .list_authorizations(pb::ListAuthorizationsRequest {
                    parent: "brands/alpha".into(),
                    ..Default::default()
                })
                .await
                .expect("list")
                .into_inner()
                .revision
        }
    };
    let before = revision(&server).await;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut importer = server.registry_as(Who::OwnerA);
    let call = tokio::spawn(async move {
        importer
            .import_authorizations(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    // A row every 200 ms, far inside the idle timeout, until the call ends.
    let mut sent = 0;
    let ended = loop {
        let row = pb::Authorization {
            platform: "members/platform-p".into(),
            seller_account: format!("trickle-{sent}"),
            ..Default::default()
        };
        let message = pb::ImportAuthorizationsRequest {
            parent: if sent == 0 {
                "brands/alpha".into()
            } else {
                String::new()
            },
            rows: vec![row],
            request_id: String::new(),
            widen: None,
        };
        if tx.send(message).await.is_err() || call.is_finished() || sent > 100 {
            break call.await.expect("task");
        }
        sent += 1;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let status = ended.expect_err("an import open too long is not applied");
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    assert!(
        status.message().contains("still open after 1s"),
        "{status:?}"
    );
    assert!((3..=30).contains(&sent), "{sent} messages before the end");
    assert_eq!(revision(&server).await, before, "nothing was written");
}

/// An import that sends some rows and then nothing, without ending, holds
/// them and a place: once no message has come for the idle timeout it ends
/// with ABORTED, and none of its rows is applied.
#[tokio::test]
async fn an_import_that_goes_silent_is_aborted_and_applies_nothing() {
    let mut start = common::Start::fixture();
    start.options.import_idle_timeout = std::time::Duration::from_millis(300);
    let server = start.start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let list = || pb::ListAuthorizationsRequest {
        parent: "brands/alpha".into(),
        ..Default::default()
    };
    let before = owner
        .list_authorizations(list())
        .await
        .expect("list")
        .into_inner();
    let row = |seller: &str| pb::Authorization {
        platform: "members/platform-p".into(),
        seller_account: seller.into(),
        ..Default::default()
    };
    let rows = [row("silent-1"), row("silent-2"), row("silent-3")];
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    for message in common::import_messages("brands/alpha", &rows, 2, "") {
        tx.send(message).await.expect("a message");
    }
    let mut importer = server.registry_as(Who::OwnerA);
    let call = tokio::spawn(async move {
        importer
            .import_authorizations(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    // The stream stays open (`tx` is kept) and says nothing more.
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), call)
        .await
        .expect("the silent import ends")
        .expect("task")
        .expect_err("a silent import is not applied");
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    assert!(status.message().contains("not applied"), "{status:?}");
    drop(tx);

    let after = owner
        .list_authorizations(list())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(after.revision, before.revision, "nothing was written");
    assert_eq!(after.authorizations, before.authorizations);
    assert!(
        after
            .authorizations
            .iter()
            .all(|a| !a.seller_account.starts_with("silent")),
        "{after:?}"
    );
}

/// A path that names no method of this server is UNIMPLEMENTED with a
/// message that says so (tonic's own answer has none), once authenticated;
/// without a key it is UNAUTHENTICATED, as every call is.
#[tokio::test]
async fn an_unknown_method_is_unimplemented_with_a_message() {
    let server = TestServer::start().await;
    for (path, who, code) in [
        (
            "/marque.v1.CheckService/InventedMethod",
            Who::PlatformP,
            Code::Unimplemented,
        ),
        ("/no.such.Service/Call", Who::PlatformP, Code::Unimplemented),
        (
            "/no.such.Service/Call",
            Who::Anonymous,
            Code::Unauthenticated,
        ),
    ] {
        let mut raw = tonic::client::Grpc::new(server.channel());
        raw.ready().await.expect("ready");
        let mut request = tonic::Request::new(pb::CheckSellerRequest::default());
        if let Some(key) = server.keys.of(who) {
            request.metadata_mut().insert(
                "authorization",
                format!("Bearer {key}").parse().expect("ascii"),
            );
        }
        let status = raw
            .unary(
                request,
                http::uri::PathAndQuery::from_static(path),
                tonic_prost::ProstCodec::<pb::CheckSellerRequest, pb::CheckSellerResponse>::default(
                ),
            )
            .await
            .expect_err("no such method");
        assert_eq!(status.code(), code, "{path}: {status:?}");
        if code == Code::Unimplemented {
            assert!(
                status.message().contains(path) && status.message().contains("not a method"),
                "{path}: {status:?}"
            );
        }
    }
}

/// A client that opens unary calls and never sends their request holds
/// each for `--call-timeout` at most, then gets DEADLINE_EXCEEDED (a
/// stream's call, reflection's say, is answered at once and stays open);
/// and a connection
/// holds at most `--max-concurrent-streams` calls at once. Health needs no
/// key, so before these limits anyone who reached the port could hold
/// streams without end (about 14 KB each) until the replica ran out of
/// memory. A raw HTTP/2 client: no gRPC client sends headers alone.
#[tokio::test]
async fn calls_that_never_send_their_request_are_answered_and_bounded() {
    use std::time::Duration;
    let mut start = common::Start::fixture();
    start.options.call_timeout = Duration::from_millis(300);
    start.options.max_concurrent_streams = 8;
    let server = start.start().await;
    let tcp = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let (client, connection) = h2::client::handshake(tcp).await.expect("HTTP/2");
    tokio::spawn(connection);
    let mut waiting = Vec::new();
    for path in [
        "/grpc.health.v1.Health/Check",
        "/marque.v1.CheckService/CheckListing",
        "/marque.v1.RegistryService/GetCaller",
    ] {
        let mut client = client.clone().ready().await.expect("ready");
        let mut request = http::Request::post(format!("http://{}{path}", server.addr))
            .header("content-type", "application/grpc")
            .header("te", "trailers");
        if path.starts_with("/marque") {
            let key = server.keys.of(Who::PlatformP).expect("a key");
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let request = request.body(()).expect("request");
        // Headers only: the stream stays open, with no message.
        let (answer, stream) = client.send_request(request, false).expect("send");
        waiting.push((path, answer, stream));
    }
    for (path, answer, _stream) in waiting {
        let answer = tokio::time::timeout(Duration::from_secs(10), answer)
            .await
            .unwrap_or_else(|_| panic!("{path}: no answer to a call that sent no request"))
            .expect("an answer");
        let status = answer
            .headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        assert_eq!(
            status.as_deref(),
            Some((Code::DeadlineExceeded as i32).to_string().as_str()),
            "{path}: {answer:?}"
        );
    }
    assert_eq!(
        client.current_max_send_streams(),
        8,
        "the server's stream limit"
    );
}

/// A server holds at most `--max-connections` client connections at once:
/// past it, a new connection is not served (it waits in the listen queue)
/// until one closes, then it is. Before the cap, a client could open
/// connections until the process had no file descriptor left.
#[tokio::test]
async fn connections_past_the_cap_wait_until_one_closes() {
    use std::time::Duration;
    let mut start = common::Start::fixture();
    start.options.max_connections = 2;
    // The fixture's own channel, which waited for SERVING, is the first.
    let server = start.start().await;
    let health = |channel: tonic::transport::Channel| async move {
        tonic_health::pb::health_client::HealthClient::new(channel)
            .check(tonic_health::pb::HealthCheckRequest {
                service: String::new(),
            })
            .await
            .map(|answer| answer.into_inner().status)
    };
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{}", server.addr))
        .expect("endpoint");
    let second = endpoint.connect().await.expect("a second connection");
    let serving = tonic_health::pb::health_check_response::ServingStatus::Serving as i32;
    assert_eq!(
        health(second.clone()).await.expect("served"),
        serving,
        "the second"
    );
    assert_eq!(
        health(server.channel()).await.expect("served"),
        serving,
        "the first, still"
    );

    let third = tokio::spawn(health(endpoint.connect_lazy()));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !third.is_finished(),
        "a third connection is not served while two are open: {third:?}"
    );
    drop(second);
    let answer = tokio::time::timeout(Duration::from_secs(10), third)
        .await
        .expect("served once the second closed")
        .expect("join");
    assert_eq!(answer.expect("served"), serving);
    assert_eq!(
        health(server.channel()).await.expect("served"),
        serving,
        "the first, all along"
    );
}

/// Connections that never begin a request hold their places in the cap for
/// the handshake deadline, no longer: with the API port full of sockets
/// that say nothing, a new client is served once the deadline has closed
/// them. Before, it waited for as long as they stayed open: for ever.
#[tokio::test]
async fn silent_connections_keep_a_client_out_no_longer_than_the_handshake_deadline() {
    use std::time::Duration;
    let deadline = Duration::from_secs(1);
    let mut start = common::Start::fixture();
    start.options.max_connections = 4;
    start.options.tls_handshake_timeout = deadline;
    // The fixture's own channel, which waited for SERVING, holds one place.
    let server = start.start().await;
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(
            tokio::net::TcpStream::connect(server.addr)
                .await
                .expect("connect"),
        );
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let asked = std::time::Instant::now();
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", server.addr))
        .expect("endpoint")
        .connect_lazy();
    let answer = tokio::time::timeout(
        Duration::from_secs(15),
        tonic_health::pb::health_client::HealthClient::new(channel)
            .check(tonic_health::pb::HealthCheckRequest::default()),
    )
    .await
    .expect("served once the silent connections are closed")
    .expect("an answer");
    assert_eq!(
        answer.into_inner().status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    let waited = asked.elapsed();
    assert!(
        waited >= deadline / 2,
        "the port was full, so the client waited: {waited:?}"
    );
    for (i, stream) in silent.iter_mut().enumerate() {
        use tokio::io::AsyncReadExt;
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut [0; 16]))
            .await
            .unwrap_or_else(|_| panic!("silent connection {i} is still open"));
        assert!(matches!(read, Ok(0) | Err(_)), "{i}: {read:?}");
    }
}

/// Health's Watch and reflection sessions need no key and stream for as
/// long as their client keeps them open: a server holds 1,024 at once, all
/// clients together, and answers RESOURCE_EXHAUSTED past that, so that
/// opening them on ever more connections cannot take all its memory. A
/// closed stream gives its place back.
#[tokio::test]
async fn public_streams_are_bounded_server_wide() {
    use std::time::Duration;
    let server = TestServer::start().await;
    let url = |path: &str| format!("http://{}{path}", server.addr);
    let open = |client: &h2::client::SendRequest<bytes::Bytes>, path: &str| {
        let request = http::Request::post(url(path))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())
            .expect("request");
        let client = client.clone();
        async move {
            let mut client = client.ready().await.expect("ready");
            let (answer, stream) = client.send_request(request, false).expect("send");
            let answer = tokio::time::timeout(Duration::from_secs(10), answer)
                .await
                .expect("answered")
                .expect("an answer");
            (answer, stream)
        }
    };
    let mut clients = Vec::new();
    let mut held = Vec::new();
    // Reflection answers a session's headers at once (health's Watch waits
    // for its request first, as a unary call does).
    let paths = [
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    ];
    for i in 0..marque::auth::MAX_PUBLIC_STREAMS {
        if i % 200 == 0 {
            let tcp = tokio::net::TcpStream::connect(server.addr)
                .await
                .expect("connect");
            let (client, connection) = h2::client::handshake(tcp).await.expect("HTTP/2");
            tokio::spawn(connection);
            clients.push(client);
        }
        let (answer, stream) = open(clients.last().expect("a client"), paths[i % 2]).await;
        assert!(
            answer.headers().get("grpc-status").is_none(),
            "stream {i} is open: {answer:?}"
        );
        held.push((answer, stream));
    }
    let (answer, _) = open(&clients[0], paths[0]).await;
    assert_eq!(
        answer
            .headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok()),
        Some((Code::ResourceExhausted as i32).to_string().as_str()),
        "{answer:?}"
    );
    // Unary health checks (probes) are not streams: still answered.
    assert_eq!(
        server.health("").await.expect("health"),
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    // A stream closed (reset by its client) gives its place back.
    drop(held.pop());
    let mut reopened = false;
    for _ in 0..50 {
        let (answer, stream) = open(&clients[0], paths[0]).await;
        if answer.headers().get("grpc-status").is_none() {
            reopened = true;
            held.push((answer, stream));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reopened, "the closed stream's place was given back");
}

/// A title whose HTML shows nothing (tags with no text, a comment, a
/// reference to an invisible character, a style sheet) is blank as a
/// buyer sees it: refused as a blank title is, not checked as a listing
/// that names nothing. A title that shows some text is checked.
#[tokio::test]
async fn a_title_that_renders_blank_is_refused() {
    let server = TestServer::start().await;
    let mut check = server.check_as(Who::PlatformP);
    let request = |title: &str| pb::CheckListingRequest {
        listing: Some(pb::Listing {
            seller_account: "s".into(),
            title: title.into(),
            description: "Alpha automatic watch".into(),
            ..Default::default()
        }),
        min_revision: 0,
    };
    for title in [
        "<b></b>",
        "<!-- Alpha watch -->",
        "&#8203;&nbsp;",
        "<style>.alpha{color:red}</style>",
        "<p> <br> </p>",
    ] {
        let status = check
            .check_listing(request(title))
            .await
            .expect_err("a title that shows nothing");
        assert_eq!(status.code(), Code::InvalidArgument, "{title:?}");
        let violations = common::field_violations(&status);
        assert_eq!(
            violations,
            [(
                "listing.title".to_owned(),
                "must not be blank as HTML renders it".to_owned()
            )],
            "{title:?}: {status:?}"
        );
    }
    for title in ["<b>Alpha</b> watch", "&lt;b&gt;", "<zz>", "Alpha &amp; co"] {
        check
            .check_listing(request(title))
            .await
            .unwrap_or_else(|status| panic!("{title:?} shows text: {status:?}"));
    }
}

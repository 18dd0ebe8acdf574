//! The gRPC edge: one file per service. Handlers are thin: validate the
//! request into domain types (collecting every field violation), apply the
//! permission rules of [`crate::auth`], call the registry, convert back.
//!
//! Every error reaches the client through the one mapping
//! `From<ApiError> for Status`: INVALID_ARGUMENT carries `google.rpc.BadRequest`
//! field violations (AIP-193); INTERNAL, and UNAVAILABLE for a store that
//! cannot be reached, say nothing about the cause (database host names,
//! driver messages), which is logged instead.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use tonic::{Code, Request, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::model::quote;
use crate::{
    auth::{Caller, Denied},
    model::{ResourceId, Slug},
    registry::{RegistryError, WriteMeta},
    snapshot::PlanError,
    store::StoreError,
};

pub mod canonical;
pub mod check;
pub mod convert;
pub mod events;
pub mod page_token;
pub mod registry;
pub mod validate;

pub use check::CheckApi;
pub use events::{
    AUDIT_CONCURRENT_READS, AUDIT_READ_WAIT, AuditApi, MAX_WATCH_STREAMS_PER_MEMBER, WatchApi,
};
pub use registry::RegistryApi;

/// Largest page a list call returns.
pub const MAX_PAGE_SIZE: i32 = 1000;
/// Page size when the caller gives none.
pub const DEFAULT_PAGE_SIZE: i32 = 100;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Bad fields: `(field path, description)`.
    #[error("invalid request: {0:?}")]
    Invalid(Vec<(String, String)>),
    /// A named resource does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The resource to create exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// A permission rule said no.
    #[error("{0}")]
    PermissionDenied(String),
    /// The etag is stale.
    #[error("{0}")]
    Aborted(String),
    /// The resource's state does not allow it.
    #[error("{0}")]
    FailedPrecondition(String),
    /// Try again later (replica behind, server shutting down).
    #[error("{0}")]
    Unavailable(String),
    /// The store cannot be reached: the client hears
    /// [`STORE_UNAVAILABLE`], the log gets the store's error.
    #[error("store unavailable: {0}")]
    StoreUnavailable(String),
    /// The caller's API key stopped being valid during the call.
    #[error("{0}")]
    Unauthenticated(String),
    /// The client cancelled the call (its request stream broke off).
    #[error("{0}")]
    Cancelled(String),
    /// A message of a client stream is beyond the service's size limit.
    #[error("{0}")]
    ResourceExhausted(String),
    /// RESOURCE_EXHAUSTED for a place that frees when another call ends
    /// (open imports, Watch streams): retryable, with [`RETRY_AFTER`].
    #[error("{0}")]
    Busy(String),
    /// A fault of the server; the client is told nothing more.
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

/// Counts what each member has open (streams, imports), up to a number
/// per member.
#[derive(Clone, Debug)]
pub(crate) struct MemberSlots {
    counts: Arc<std::sync::Mutex<std::collections::HashMap<Slug, usize>>>,
    per_member: usize,
}

/// One member's slot, given back when dropped.
pub(crate) struct MemberSlot {
    counts: Arc<std::sync::Mutex<std::collections::HashMap<Slug, usize>>>,
    member: Slug,
}

impl MemberSlots {
    pub(crate) fn new(per_member: usize) -> Self {
        Self {
            counts: Arc::default(),
            per_member,
        }
    }

    /// A slot for `member`, unless it holds as many as it may.
    pub(crate) fn take(&self, member: &Slug) -> Option<MemberSlot> {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = counts.entry(member.clone()).or_default();
        if *count >= self.per_member {
            return None;
        }
        *count += 1;
        Some(MemberSlot {
            counts: self.counts.clone(),
            member: member.clone(),
        })
    }
}

impl Drop for MemberSlot {
    fn drop(&mut self) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.member) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.member);
            }
        }
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        ApiError::PermissionDenied(denied.0)
    }
}

impl From<PlanError> for ApiError {
    fn from(error: PlanError) -> Self {
        match error {
            PlanError::NotFound(what) => ApiError::NotFound(what),
            PlanError::AlreadyExists(what) => ApiError::AlreadyExists(what),
            e @ PlanError::EtagMismatch { .. } => ApiError::Aborted(e.to_string()),
            PlanError::FailedPrecondition(what) => ApiError::FailedPrecondition(what),
            PlanError::Invalid(violations) => ApiError::Invalid(violations),
        }
    }
}

impl From<RegistryError> for ApiError {
    fn from(error: RegistryError) -> Self {
        match error {
            RegistryError::Plan(e) => e.into(),
            RegistryError::Store(StoreError::Unavailable(why)) => ApiError::StoreUnavailable(why),
            RegistryError::Store(StoreError::Internal(e)) => ApiError::Internal(e),
            e @ RegistryError::RequestIdReused(_) => {
                ApiError::Invalid(vec![("request_id".into(), e.to_string())])
            }
            e @ RegistryError::NotEmpty(_) => ApiError::FailedPrecondition(e.to_string()),
            e @ RegistryError::NotReached { .. } => {
                ApiError::Invalid(vec![("min_revision".into(), e.to_string())])
            }
            e @ (RegistryError::Behind { .. } | RegistryError::Loading) => {
                ApiError::Unavailable(e.to_string())
            }
            e @ RegistryError::KeyRevoked { .. } => ApiError::Unauthenticated(e.to_string()),
        }
    }
}

/// What a client hears when the store cannot be reached. The store's own
/// error (host names, the driver's or the database's message) is logged,
/// never sent.
pub const STORE_UNAVAILABLE: &str = "the registry's store is unavailable; retry with backoff";

/// Longest message an error carries, in bytes: messages and details travel
/// in HTTP/2 headers (percent-encoded, base64), and a request full of huge
/// values must not produce headers a client refuses (16 KiB by default).
const MAX_MESSAGE_CHARS: usize = 1024;
/// Longest description (or field path) of one field violation, in bytes.
const MAX_VIOLATION_CHARS: usize = 200;
/// Most field violations returned at once.
const MAX_VIOLATIONS: usize = 20;

/// Cuts `text` to at most `max` bytes, on a character boundary, marking the
/// cut.
fn clip(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut cut = max.saturating_sub('…'.len_utf8());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::Invalid(violations) => {
                let more = violations.len().saturating_sub(MAX_VIOLATIONS);
                let violations: Vec<(String, String)> = violations
                    .into_iter()
                    .take(MAX_VIOLATIONS)
                    .map(|(field, description)| {
                        (
                            clip(field, MAX_VIOLATION_CHARS),
                            clip(description, MAX_VIOLATION_CHARS),
                        )
                    })
                    .collect();
                let mut summary = violations
                    .iter()
                    .map(|(field, description)| format!("{field}: {description}"))
                    .collect::<Vec<_>>()
                    .join("; ");
                if more > 0 {
                    summary.push_str(&format!("; and {more} more"));
                }
                let mut details = ErrorDetails::new();
                for (field, description) in violations {
                    details.add_bad_request_violation(field, description);
                }
                Status::with_error_details(
                    Code::InvalidArgument,
                    clip(format!("invalid request: {summary}"), MAX_MESSAGE_CHARS),
                    details,
                )
            }
            ApiError::NotFound(what) => {
                Status::not_found(clip(format!("{what} not found"), MAX_MESSAGE_CHARS))
            }
            ApiError::AlreadyExists(what) => Status::already_exists(clip(what, MAX_MESSAGE_CHARS)),
            ApiError::PermissionDenied(what) => {
                Status::permission_denied(clip(what, MAX_MESSAGE_CHARS))
            }
            ApiError::Aborted(what) => Status::aborted(clip(what, MAX_MESSAGE_CHARS)),
            ApiError::FailedPrecondition(what) => {
                Status::failed_precondition(clip(what, MAX_MESSAGE_CHARS))
            }
            ApiError::Unavailable(what) => {
                retry_later(Code::Unavailable, clip(what, MAX_MESSAGE_CHARS))
            }
            ApiError::StoreUnavailable(cause) => {
                // Said on the call's own `rpc failed` line, at WARN: one
                // line per call. Outside a call, a line of its own.
                match crate::auth::CallLog::current() {
                    Some(call) => call.note_cause(&cause),
                    None => tracing::warn!(error = %cause, "store unavailable"),
                }
                retry_later(Code::Unavailable, STORE_UNAVAILABLE.to_owned())
            }
            ApiError::Unauthenticated(what) => {
                Status::unauthenticated(clip(what, MAX_MESSAGE_CHARS))
            }
            ApiError::Cancelled(what) => Status::cancelled(clip(what, MAX_MESSAGE_CHARS)),
            ApiError::ResourceExhausted(what) => {
                Status::resource_exhausted(clip(what, MAX_MESSAGE_CHARS))
            }
            ApiError::Busy(what) => {
                retry_later(Code::ResourceExhausted, clip(what, MAX_MESSAGE_CHARS))
            }
            ApiError::Internal(cause) => {
                // Outside the call's span at INFO: the line names the call
                // itself (auth::CallLog).
                crate::auth::current_call_event!(
                    tracing::Level::ERROR,
                    error = format!("{cause:#}"),
                    "internal error"
                );
                Status::internal("internal error")
            }
        }
    }
}

/// How long a client is asked to wait before retrying a call the server
/// could not take now (`google.rpc.RetryInfo`, AIP-194): a store or replica
/// unavailable, a place that another call holds.
pub const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// A status a client may retry, after [`RETRY_AFTER`] (a
/// `google.rpc.RetryInfo` detail).
pub(crate) fn retry_later(code: Code, message: String) -> Status {
    let mut details = ErrorDetails::new();
    details.set_retry_info(Some(RETRY_AFTER));
    Status::with_error_details(code, message, details)
}

/// The result type of handlers before conversion to `Status`.
pub type ApiResult<T> = Result<T, ApiError>;

/// The caller the auth layer put on the request.
///
/// # Errors
/// INTERNAL if the layer is missing (a server assembly bug).
pub fn caller<T>(request: &Request<T>) -> ApiResult<Caller> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("no caller on request: auth layer missing"))
        })
}

/// A fingerprint of a write request: SHA-256 over the RPC name and the
/// given parts (a message's protobuf encoding, deterministic for equal
/// messages).
///
/// Requests are fingerprinted twice ([`RequestFingerprints`]): as read, over
/// the request rebuilt from its parsed values, which is stored with a
/// request id; and as sent, over the request's own encoding, which is
/// stored too: it is all that the previous version stored and compares, so
/// a retry sent as first written matches on replicas of either version.
pub fn fingerprint(rpc: &str, parts: &[&[u8]]) -> [u8; 32] {
    let mut fingerprint = Fingerprint::new(rpc);
    for part in parts {
        fingerprint.add(part);
    }
    fingerprint.finish()
}

/// A [`fingerprint`] computed part by part, so a client-streamed request is
/// hashed as its messages arrive instead of kept whole. Equal to
/// [`fingerprint`] over the same parts: request ids recorded with either
/// replay alike.
pub struct Fingerprint(Sha256);

impl Fingerprint {
    /// The fingerprint of a request to `rpc`, with no part yet.
    pub fn new(rpc: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(rpc.as_bytes());
        Self(hasher)
    }

    /// Adds the next part (a message's protobuf encoding, or an import's brand
    /// and then each of its rows).
    pub fn add(&mut self, part: &[u8]) {
        self.0.update((part.len() as u64).to_be_bytes());
        self.0.update(part);
    }

    /// The fingerprint of the parts added.
    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

/// The RPC label a fingerprint as read is taken under: never equal to one
/// as sent, which is taken under the RPC's name.
fn as_read(rpc: &str) -> String {
    format!("{rpc} as read")
}

/// A write request's two fingerprints ([`fingerprint`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestFingerprints {
    /// Over the request as read: the message rebuilt from the parsed
    /// values (a seller account in NFC, regions upper case and sorted,
    /// classes sorted, an update's mask and only the fields it names), so
    /// that every spelling the registry reads alike has one fingerprint.
    /// Stored with the request id.
    pub read: [u8; 32],
    /// Over the request as sent: what the previous version stored and
    /// compares alone. Stored too, so that a retry sent as first written
    /// matches requests recorded by either version, on either.
    pub sent: [u8; 32],
}

impl RequestFingerprints {
    /// The fingerprints of a request to `rpc`: `sent`, the [`fingerprint`]
    /// of the request as it came, and `read`, the request rebuilt from its
    /// parsed values ([`canonical`]).
    pub fn new(rpc: &str, sent: [u8; 32], read: &impl prost::Message) -> Self {
        Self {
            read: fingerprint(&as_read(rpc), &[&read.encode_to_vec()]),
            sent,
        }
    }

    /// For a client-streamed request: one [`Fingerprint`] of each kind, fed
    /// part by part.
    pub fn streamed(rpc: &str) -> (Fingerprint, Fingerprint) {
        (Fingerprint::new(&as_read(rpc)), Fingerprint::new(rpc))
    }
}

/// Write metadata from a request id and the request's fingerprints.
pub fn write_meta(request_id: &str, fingerprints: RequestFingerprints) -> WriteMeta {
    WriteMeta {
        request_id: (!request_id.is_empty()).then(|| request_id.to_string()),
        fingerprint: Some(fingerprints.read),
        fingerprint_as_sent: Some(fingerprints.sent),
        only_if_empty: false,
    }
}

/// A page size: 0 means the default, above the maximum is capped (AIP-158).
pub fn page_size(value: i32, field: &str, v: &mut validate::Violations) -> usize {
    if value < 0 {
        v.add(field, format!("must not be negative, got {value}"));
        return 0;
    }
    if value == 0 {
        DEFAULT_PAGE_SIZE as usize
    } else {
        value.min(MAX_PAGE_SIZE) as usize
    }
}

pub use page_token::NOT_ISSUED;

/// Parses `members/{member}`.
pub fn parse_member_name(name: &str, field: &str, v: &mut validate::Violations) -> Option<Slug> {
    match name
        .strip_prefix("members/")
        .filter(|rest| !rest.contains('/'))
    {
        Some(id) => v.check(field, Slug::parse(id)),
        None => {
            v.add(
                field,
                format!(
                    "{} is not a member name (`members/{{member}}`)",
                    quote(name)
                ),
            );
            None
        }
    }
}

/// Refuses a filter (`field`) naming `member` when no member has that
/// name: a mistake (a misspelt name), not a member with nothing to list,
/// which an empty answer would look like. But only the operator hears
/// which names are members: to others, a member whose record they may not
/// read and that owns no brand is refused alike
/// ([`crate::auth::may_tell_member_exists`]), as GetMember refuses both,
/// so that a filter cannot tell who has joined the alliance.
///
/// # Errors
/// INVALID_ARGUMENT on `field`.
pub fn named_member(
    caller: &Caller,
    snapshot: &crate::snapshot::Snapshot,
    member: &Slug,
    field: &str,
) -> ApiResult<()> {
    let record = snapshot.member(member.as_str()).map(|m| &**m);
    let owns_a_brand = || !snapshot.list_brands(Some(member), None, 1).0.is_empty();
    if record.is_none() && caller.kind == crate::model::MemberKind::Operator {
        return Err(ApiError::Invalid(vec![(
            field.into(),
            format!("members/{member} is no member (ListMembers lists them)"),
        )]));
    }
    if !crate::auth::may_tell_member_exists(caller, record, owns_a_brand) {
        return Err(ApiError::Invalid(vec![(
            field.into(),
            format!(
                "members/{member} owns no brand, and is no member whose record you may read \
                 (ListMembers lists those)"
            ),
        )]));
    }
    Ok(())
}

/// The brand `id` and the snapshot it was found in: `snapshot`, or, when
/// that has no such brand, one caught up with the store, since another
/// replica may have created it a moment ago and the change feed not
/// brought it yet. The catch-up is paced, one for all the calls naming
/// unknown names ([`crate::registry::Registry::catch_up_for_unknown_name`]):
/// made-up brand names cannot make each call read the store. NOT_FOUND
/// when the store has no such brand either, or when the store does not
/// answer: reads are answered from the snapshot without the store, and a
/// name this replica has never seen is, as far as it can tell, none.
pub(crate) async fn known_brand(
    registry: &Arc<crate::registry::Registry>,
    snapshot: Arc<crate::snapshot::Snapshot>,
    id: &Slug,
) -> ApiResult<(Arc<crate::snapshot::Snapshot>, Arc<crate::model::Brand>)> {
    if let Some(brand) = snapshot.brand(id.as_str()).cloned() {
        return Ok((snapshot, brand));
    }
    let latest = caught_up_for_unknown_name(registry, snapshot).await?;
    let brand = latest
        .brand(id.as_str())
        .cloned()
        .ok_or_else(|| ApiError::NotFound(format!("brands/{id}")))?;
    Ok((latest, brand))
}

/// The resource named `name` under brand `id`, as `read` picks it from a
/// snapshot and the brand (`None`: the brand has no such resource, or none
/// the caller may see; an error: the caller may see nothing of the brand's),
/// with the snapshot it was read in: `snapshot`, or, when the brand or the
/// resource is not there, one caught up with the store, as
/// [`known_brand`] does for a brand (paced, one catch-up at most). A
/// resource hidden from the caller takes the catch-up too, so that it is
/// answered as one that does not exist, no sooner. NOT_FOUND names the
/// brand when the brand is unknown, else `name`.
pub(crate) async fn known_child<T>(
    registry: &Arc<crate::registry::Registry>,
    snapshot: Arc<crate::snapshot::Snapshot>,
    id: &Slug,
    name: impl FnOnce() -> String,
    read: impl Fn(&crate::snapshot::Snapshot, &crate::model::Brand) -> ApiResult<Option<T>>,
) -> ApiResult<(Arc<crate::snapshot::Snapshot>, T)> {
    if let Some(brand) = snapshot.brand(id.as_str())
        && let Some(found) = read(&snapshot, brand)?
    {
        return Ok((snapshot, found));
    }
    let latest = caught_up_for_unknown_name(registry, snapshot).await?;
    let brand = latest
        .brand(id.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("brands/{id}")))?;
    match read(&latest, brand)? {
        Some(found) => Ok((latest, found)),
        None => Err(ApiError::NotFound(name())),
    }
}

/// A snapshot caught up with the store for a call naming what `snapshot`
/// does not have ([`crate::registry::Registry::catch_up_for_unknown_name`]),
/// or `snapshot` itself when the store does not answer: reads are answered
/// without the store, and a name this replica has never seen is, as far as
/// it can tell, none.
async fn caught_up_for_unknown_name(
    registry: &Arc<crate::registry::Registry>,
    snapshot: Arc<crate::snapshot::Snapshot>,
) -> ApiResult<Arc<crate::snapshot::Snapshot>> {
    match registry.catch_up_for_unknown_name().await {
        Ok(latest) => Ok(latest),
        Err(RegistryError::Store(e)) => {
            tracing::debug!(error = %e, "no catch-up for an unknown name");
            Ok(snapshot)
        }
        Err(e) => Err(e.into()),
    }
}

/// Parses `brands/{brand}`.
pub fn parse_brand_name(name: &str, field: &str, v: &mut validate::Violations) -> Option<Slug> {
    match name
        .strip_prefix("brands/")
        .filter(|rest| !rest.contains('/'))
    {
        Some(id) => v.check(field, Slug::parse(id)),
        None => {
            v.add(
                field,
                format!("{} is not a brand name (`brands/{{brand}}`)", quote(name)),
            );
            None
        }
    }
}

/// Parses `{parent collection}/{parent}/{collection}/{id}`, e.g.
/// `brands/{brand}/trademarks/{trademark}`.
pub fn parse_child_name(
    name: &str,
    parent: &str,
    collection: &str,
    field: &str,
    v: &mut validate::Violations,
) -> Option<(Slug, ResourceId)> {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        [p, parent_id, c, id] if *p == parent && *c == collection => {
            let parent_id = v.check(field, Slug::parse(parent_id));
            let id = v.check(field, ResourceId::parse(id));
            Some((parent_id?, id?))
        }
        _ => {
            v.add(
                field,
                format!(
                    "{} is not a name of the form `{parent}/{{id}}/{collection}/{{id}}`",
                    quote(name)
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_keep_their_value() {
        // Stored with request ids: a change of value would make retries of
        // requests recorded before it fail as "a different request".
        let expected = "ac2fac3b852db412cf06c685fd6536a6197f275b91e19d78ef994efedc309960";
        let parts: [&[u8]; 3] = [b"abc", b"", b"\x0a\x00"];
        assert_eq!(
            hex::encode(fingerprint("ImportAuthorizations", &parts)),
            expected
        );
        let mut streamed = Fingerprint::new("ImportAuthorizations");
        for part in parts {
            streamed.add(part);
        }
        assert_eq!(hex::encode(streamed.finish()), expected);
    }

    #[test]
    fn fingerprints_as_read_keep_their_value() {
        // Stored with request ids, as those as sent were: a change of the
        // rebuilt request (a field renamed, values in another order) would
        // make retries of requests recorded before it fail.
        let brand = Slug::parse("alpha").expect("slug");
        let spec = crate::model::AuthorizationSpec {
            platform: Slug::parse("platform-p").expect("slug"),
            seller_account: "Caf\u{E9}".into(),
            nice_classes: crate::model::NiceClassSet::parse_list(&[25, 18]).expect("classes"),
            regions: vec![
                crate::model::Region::parse("de").expect("region"),
                crate::model::Region::parse("FR").expect("region"),
            ],
            valid_from: None,
            valid_until: None,
            reference: "r".into(),
        };
        let read = canonical::authorize_seller(&brand, &spec, "id-1");
        let fingerprints = RequestFingerprints::new("AuthorizeSeller", [0; 32], &read);
        assert_eq!(
            hex::encode(fingerprints.read),
            "d2ba5f70a1cef9158059f44ee88014ec9619ffaac6eb2053460a2ec18df94cbb"
        );
        assert_ne!(
            fingerprints.read,
            fingerprint("AuthorizeSeller", &[&prost::Message::encode_to_vec(&read)]),
            "never equal to one as sent"
        );
    }

    #[test]
    fn an_unreachable_store_is_logged_and_not_told_to_the_client() {
        let cause = "error connecting to server: db-7.internal.example (10.0.3.7:5432): \
                     Connection refused (os error 111)";
        let log = crate::telemetry::Captured::start();
        let status = Status::from(ApiError::from(RegistryError::Store(
            StoreError::Unavailable(cause.into()),
        )));
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(status.message(), STORE_UNAVAILABLE);
        for internal in ["db-7", "10.0.3.7", "5432", "refused", "os error"] {
            assert!(!status.message().contains(internal), "{status:?}");
        }
        let details = status.get_error_details();
        assert_eq!(
            details.retry_info().and_then(|r| r.retry_delay),
            Some(RETRY_AFTER),
            "{status:?}"
        );
        assert!(details.debug_info().is_none() && details.error_info().is_none());
        let lines = log.lines();
        let line = lines
            .iter()
            .find(|line| line.contains("store unavailable"))
            .unwrap_or_else(|| panic!("no line about the store: {lines:?}"));
        assert!(line.contains("WARN"), "{line}");
        assert!(line.contains(cause), "{line}");
    }
}

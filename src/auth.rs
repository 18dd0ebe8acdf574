//! Identities, API keys, and every permission rule of the registry.
//!
//! This module is the one place tenancy is decided:
//! - [`Rpc::allowed`] says which member kinds may call each RPC at all; the
//!   [`AuthLayer`] enforces it, after authenticating the caller, for every
//!   RPC but health and reflection;
//! - the `require_*` / [`authorization_scope`] functions decide, per
//!   resource, what a caller may read or change; handlers call them and
//!   nothing else decides.
//!
//! API keys look like `mq_{key id}_{64 hex digits}`. The key id is public (it
//! names the key for listing and revocation); the registry keeps only the
//! SHA-256 of the whole secret and compares hashes in constant time.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use futures_util::future::BoxFuture;
use http_body_util::BodyExt;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::{Code, Status};
use tracing::Instrument;

use crate::{
    model::{Actor, Authorization, Brand, Member, MemberKind, Resource, ResourceId, Slug},
    registry::Registry,
};

/// The authenticated caller of an RPC, put in the request's extensions by the
/// [`AuthLayer`].
#[derive(Clone, Debug, PartialEq)]
pub struct Caller {
    /// The member.
    pub member: Slug,
    /// What kind of member it is.
    pub kind: MemberKind,
    /// The API key it used; none when its client certificate named it
    /// (mTLS, [`crate::tls::ClientCertificate`]).
    pub key: Option<ResourceId>,
}

/// Every RPC of the Marque services, with the member kinds that may call it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Rpc {
    GetCaller,
    CreateMember,
    GetMember,
    ListMembers,
    CreateApiKey,
    ListApiKeys,
    RevokeApiKey,
    CreateBrand,
    GetBrand,
    ListBrands,
    UpdateBrand,
    ArchiveBrand,
    AddTrademark,
    UpdateTrademark,
    RemoveTrademark,
    GetTrademark,
    ListTrademarks,
    AddLogo,
    RemoveLogo,
    GetLogo,
    ListLogos,
    AuthorizeSeller,
    UpdateAuthorization,
    RevokeAuthorization,
    GetAuthorization,
    ListAuthorizations,
    ImportAuthorizations,
    CheckSeller,
    CheckListing,
    BatchCheckListings,
    Watch,
    ListAuditEvents,
}

const ANY: &[MemberKind] = &[
    MemberKind::Operator,
    MemberKind::BrandOwner,
    MemberKind::Platform,
];
const OPERATOR: &[MemberKind] = &[MemberKind::Operator];
const BRAND_OWNER: &[MemberKind] = &[MemberKind::BrandOwner];
/// The writes the operator may also make, on any member's brand, to undo
/// abuse ([`BrandWrite::Moderation`], [`BrandWrite::UpdateTrademark`]).
const BRAND_OWNER_OR_OPERATOR: &[MemberKind] = &[MemberKind::BrandOwner, MemberKind::Operator];
const PLATFORM: &[MemberKind] = &[MemberKind::Platform];

impl Rpc {
    /// Every RPC, for tests that must cover them all.
    pub const ALL: &'static [Rpc] = &[
        Rpc::GetCaller,
        Rpc::CreateMember,
        Rpc::GetMember,
        Rpc::ListMembers,
        Rpc::CreateApiKey,
        Rpc::ListApiKeys,
        Rpc::RevokeApiKey,
        Rpc::CreateBrand,
        Rpc::GetBrand,
        Rpc::ListBrands,
        Rpc::UpdateBrand,
        Rpc::ArchiveBrand,
        Rpc::AddTrademark,
        Rpc::UpdateTrademark,
        Rpc::RemoveTrademark,
        Rpc::GetTrademark,
        Rpc::ListTrademarks,
        Rpc::AddLogo,
        Rpc::RemoveLogo,
        Rpc::GetLogo,
        Rpc::ListLogos,
        Rpc::AuthorizeSeller,
        Rpc::UpdateAuthorization,
        Rpc::RevokeAuthorization,
        Rpc::GetAuthorization,
        Rpc::ListAuthorizations,
        Rpc::ImportAuthorizations,
        Rpc::CheckSeller,
        Rpc::CheckListing,
        Rpc::BatchCheckListings,
        Rpc::Watch,
        Rpc::ListAuditEvents,
    ];

    /// The gRPC service the RPC belongs to.
    pub fn service(self) -> &'static str {
        match self {
            Rpc::CheckSeller | Rpc::CheckListing | Rpc::BatchCheckListings => {
                "marque.v1.CheckService"
            }
            Rpc::Watch => "marque.v1.WatchService",
            Rpc::ListAuditEvents => "marque.v1.AuditService",
            _ => "marque.v1.RegistryService",
        }
    }

    /// The RPC's method name.
    pub fn method(self) -> String {
        format!("{self:?}")
    }

    /// The RPC's full name, `marque.v1.CheckService/CheckSeller`: its HTTP/2
    /// path without the leading slash, as grpcurl and buf take it.
    pub fn full_name(self) -> String {
        format!("{}/{}", self.service(), self.method())
    }

    /// The RPC named by an HTTP/2 path (`/marque.v1.RegistryService/GetBrand`):
    /// one lookup in a table built once, since it runs on every call.
    pub fn from_path(path: &str) -> Option<Rpc> {
        Self::with_path(path).map(|(rpc, _)| rpc)
    }

    /// The RPC named by an HTTP/2 path, with that path kept for the life of
    /// the process (a call's log lines borrow it).
    fn with_path(path: &str) -> Option<(Rpc, &'static str)> {
        static PATHS: std::sync::OnceLock<std::collections::HashMap<String, Rpc>> =
            std::sync::OnceLock::new();
        PATHS
            .get_or_init(|| {
                Rpc::ALL
                    .iter()
                    .map(|rpc| (format!("/{}", rpc.full_name()), *rpc))
                    .collect()
            })
            .get_key_value(path)
            .map(|(path, rpc)| (*rpc, path.as_str()))
    }

    /// The member kinds that may call the RPC. Finer rules (whose brand,
    /// which platform) are the `require_*` functions below.
    pub fn allowed(self) -> &'static [MemberKind] {
        match self {
            Rpc::CreateMember | Rpc::CreateApiKey | Rpc::ListApiKeys | Rpc::RevokeApiKey => {
                OPERATOR
            }
            Rpc::ArchiveBrand | Rpc::RemoveTrademark | Rpc::RemoveLogo | Rpc::UpdateTrademark => {
                BRAND_OWNER_OR_OPERATOR
            }
            Rpc::CreateBrand
            | Rpc::UpdateBrand
            | Rpc::AddTrademark
            | Rpc::AddLogo
            | Rpc::AuthorizeSeller
            | Rpc::UpdateAuthorization
            | Rpc::RevokeAuthorization
            | Rpc::ImportAuthorizations => BRAND_OWNER,
            Rpc::CheckSeller | Rpc::CheckListing | Rpc::BatchCheckListings => PLATFORM,
            Rpc::ListAuditEvents => &[MemberKind::Operator, MemberKind::BrandOwner],
            Rpc::Watch => ANY,
            Rpc::GetCaller
            | Rpc::GetMember
            | Rpc::ListMembers
            | Rpc::GetBrand
            | Rpc::ListBrands
            | Rpc::GetTrademark
            | Rpc::ListTrademarks
            | Rpc::GetLogo
            | Rpc::ListLogos
            | Rpc::GetAuthorization
            | Rpc::ListAuthorizations => ANY,
        }
    }
}

/// A permission rule said no.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

/// A write under a brand, as far as who may make it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrandWrite<'a> {
    /// Every write but those below: the brand's owner only.
    Owner,
    /// Archiving the brand, removing one of its trademarks or logos: the
    /// owner, or the operator moderating (a member may squat another's
    /// registration number or logo, which only these writes free; the
    /// audit trail names the operator as the actor, in the owner's trail
    /// too).
    Moderation,
    /// Updating one of its trademarks, changing these fields (the update
    /// mask's paths): the owner any of them, the operator the `status`
    /// alone (a squatted mark marked not registered no longer puts
    /// listings in scope; its record stays, as evidence).
    UpdateTrademark(&'a [String]),
}

/// Only the brand's owner changes a brand and what hangs below it, but
/// for the operator's moderation ([`BrandWrite`]).
///
/// # Errors
/// [`Denied`] for any other caller.
pub fn require_brand_writer(
    caller: &Caller,
    brand: &Brand,
    write: BrandWrite<'_>,
) -> Result<(), Denied> {
    if caller.kind == MemberKind::BrandOwner && caller.member == brand.owner {
        return Ok(());
    }
    let moderates = caller.kind == MemberKind::Operator
        && match write {
            BrandWrite::Owner => false,
            BrandWrite::Moderation => true,
            BrandWrite::UpdateTrademark(paths) => paths == ["status"],
        };
    if moderates {
        return Ok(());
    }
    let moderation = match write {
        BrandWrite::UpdateTrademark(_) if caller.kind == MemberKind::Operator => {
            ": the operator may change a trademark's status alone (update_mask \"status\")"
        }
        _ => "",
    };
    Err(Denied(format!(
        "brands/{} belongs to members/{}; members/{} may not change it{moderation}",
        brand.id, brand.owner, caller.member
    )))
}

/// Only the brand's owner changes a brand and what hangs below it
/// ([`require_brand_writer`] of [`BrandWrite::Owner`]).
///
/// # Errors
/// [`Denied`] for any other caller.
pub fn require_brand_owner(caller: &Caller, brand: &Brand) -> Result<(), Denied> {
    require_brand_writer(caller, brand, BrandWrite::Owner)
}

/// Whether `caller` may read `member`'s record: the operator every
/// member's, a member its own, and any member a platform's, the alliance's
/// directory of platforms (a brand owner names one to authorize a seller
/// on it). Another brand owner's or the operator's record is private.
#[must_use]
pub fn may_read_member(caller: &Caller, member: &Member) -> bool {
    caller.kind == MemberKind::Operator
        || caller.member == member.id
        || member.kind == MemberKind::Platform
}

/// Whether `caller` may learn that `member` (`None`: a name no member has)
/// is a member, when a request names it (a filter, say): the operator,
/// which reads every member, always; others only where they could tell
/// anyway: a member whose record they may read ([`may_read_member`]), or
/// one that owns a brand (`owns_a_brand`), since every brand names its
/// owner. Otherwise a name no member has and a private member's are to be
/// answered alike, as [`require_member_reader`] answers them.
pub fn may_tell_member_exists(
    caller: &Caller,
    member: Option<&Member>,
    owns_a_brand: impl FnOnce() -> bool,
) -> bool {
    match member {
        None => caller.kind == MemberKind::Operator,
        Some(member) => may_read_member(caller, member) || owns_a_brand(),
    }
}

/// [`may_read_member`] of the member named `id`, `None` when no member
/// has that id. A name no member has is refused as a private record is,
/// unless the caller reads every member: a refusal tells nothing of which
/// names are members.
///
/// # Errors
/// [`Denied`] for a record the caller may not read, or a name of none.
pub fn require_member_reader<'m>(
    caller: &Caller,
    id: &Slug,
    member: Option<&'m Member>,
) -> Result<Option<&'m Member>, Denied> {
    match member {
        Some(member) if may_read_member(caller, member) => Ok(Some(member)),
        None if caller.kind == MemberKind::Operator => Ok(None),
        _ => Err(Denied(format!(
            "members/{} may not read members/{id}: a member reads its own record and the \
             platforms'",
            caller.member
        ))),
    }
}

/// The caller's platform, for checks: the platform is always the caller.
///
/// # Errors
/// [`Denied`] when the caller is not a platform.
pub fn require_platform(caller: &Caller) -> Result<&Slug, Denied> {
    if caller.kind == MemberKind::Platform {
        Ok(&caller.member)
    } else {
        Err(Denied(format!(
            "members/{} is not a platform; only platforms check sellers",
            caller.member
        )))
    }
}

/// Which of a brand's authorizations a caller may read.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizationScope {
    /// All of them (the brand's owner, the operator).
    All,
    /// Only those on this platform (the platform itself).
    Platform(Slug),
}

impl AuthorizationScope {
    /// Whether `authorization` is within the scope.
    pub fn covers(&self, authorization: &Authorization) -> bool {
        match self {
            AuthorizationScope::All => true,
            AuthorizationScope::Platform(p) => &authorization.platform == p,
        }
    }
}

/// What the caller may read of `brand`'s authorizations.
///
/// # Errors
/// [`Denied`] for a brand owner asking about another owner's brand.
pub fn authorization_scope(caller: &Caller, brand: &Brand) -> Result<AuthorizationScope, Denied> {
    match caller.kind {
        MemberKind::Operator => Ok(AuthorizationScope::All),
        MemberKind::BrandOwner if caller.member == brand.owner => Ok(AuthorizationScope::All),
        MemberKind::Platform => Ok(AuthorizationScope::Platform(caller.member.clone())),
        MemberKind::BrandOwner => Err(Denied(format!(
            "the authorizations of brands/{} are private to members/{}",
            brand.id, brand.owner
        ))),
    }
}

/// Whether `caller` may see `resource` in the change feed (Watch): public
/// brand data (brands, trademarks, logos) for everyone; an authorization for
/// the brand's owner and the platform it is on; members and keys for the
/// operator. `owner_of` tells a brand's owner.
pub fn may_watch(
    caller: &Caller,
    resource: &Resource,
    owner_of: impl Fn(&Slug) -> Option<Slug>,
) -> bool {
    match resource {
        Resource::Member(_) | Resource::ApiKey(_) => caller.kind == MemberKind::Operator,
        Resource::Brand(_) | Resource::Trademark(_) | Resource::Logo(_) => true,
        Resource::Authorization(a) => match caller.kind {
            MemberKind::Operator => true,
            MemberKind::Platform => a.platform == caller.member,
            MemberKind::BrandOwner => owner_of(&a.brand).is_some_and(|o| o == caller.member),
        },
    }
}

/// Whether `caller` may see how `actor` made a write it may see (Watch, the
/// audit): the API key it used and its request id. The operator and the
/// member itself may; another member sees who made it (`actor`), not how:
/// a member's keys are the operator's business (ListApiKeys), and its
/// request ids its own.
pub fn may_see_how_written(caller: &Caller, actor: &Actor) -> bool {
    caller.kind == MemberKind::Operator
        || matches!(actor, Actor::Member { member, .. } if *member == caller.member)
}

/// Which brands' history a caller may audit.
#[derive(Debug, Clone, PartialEq)]
pub enum AuditScope {
    /// Every change (the operator).
    All,
    /// Changes to these brands only.
    Brands(Vec<Slug>),
}

impl AuditScope {
    /// Whether a change to `resource` is within the scope.
    pub fn covers(&self, resource: &Resource) -> bool {
        match self {
            AuditScope::All => true,
            AuditScope::Brands(brands) => resource.brand().is_some_and(|b| brands.contains(b)),
        }
    }
}

/// What `caller` may audit: the operator everything (or the one brand it
/// asks for); a brand owner its own brands (`owned`), or the one it asks for
/// if it owns it.
///
/// # Errors
/// [`Denied`] for another owner's brand, or a platform.
pub fn audit_scope(
    caller: &Caller,
    requested: Option<&Brand>,
    owned: impl FnOnce() -> Vec<Slug>,
) -> Result<AuditScope, Denied> {
    match (caller.kind, requested) {
        (MemberKind::Operator, None) => Ok(AuditScope::All),
        (MemberKind::Operator, Some(brand)) => Ok(AuditScope::Brands(vec![brand.id.clone()])),
        (MemberKind::BrandOwner, Some(brand)) if brand.owner == caller.member => {
            Ok(AuditScope::Brands(vec![brand.id.clone()]))
        }
        (MemberKind::BrandOwner, Some(brand)) => Err(Denied(format!(
            "the history of brands/{} is private to members/{}",
            brand.id, brand.owner
        ))),
        (MemberKind::BrandOwner, None) => Ok(AuditScope::Brands(owned())),
        (MemberKind::Platform, _) => Err(Denied(format!(
            "members/{} is a platform; only the operator and brand owners read the audit trail",
            caller.member
        ))),
    }
}

// ---- API keys -----------------------------------------------------------------

/// A freshly generated API key: its id, the secret to show once, and the hash
/// to keep.
pub struct NewKey {
    /// The public key id.
    pub id: ResourceId,
    /// The whole secret, `mq_{id}_{64 hex}`.
    pub secret: String,
    /// SHA-256 of the secret.
    pub sha256: [u8; 32],
}

/// Generates an API key: 256 random bits from the OS-seeded CSPRNG.
pub fn generate_key() -> NewKey {
    let id = ResourceId::generate();
    let mut random = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let secret = format!("mq_{id}_{}", hex::encode(random));
    let sha256 = hash_secret(&secret);
    NewKey { id, secret, sha256 }
}

/// SHA-256 of a secret. API keys carry 256 random bits, so a fast hash is
/// enough: there is nothing to brute-force.
pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The key id embedded in a well-formed secret.
pub fn key_id_of(secret: &str) -> Option<ResourceId> {
    let rest = secret.strip_prefix("mq_")?;
    let (id, random) = rest.split_once('_')?;
    if random.len() != 64 || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    ResourceId::parse(id).ok()
}

/// The call's one `authorization` header, if any.
///
/// # Errors
/// UNAUTHENTICATED for more than one (which would be the one to believe? a
/// proxy that adds its own, a client that sends two keys: neither is taken),
/// or for one that is not visible ASCII, as no `Bearer <key>` is.
pub fn authorization_header(headers: &http::HeaderMap) -> Result<Option<&str>, Status> {
    let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(Status::unauthenticated(
            "more than one authorization header: send one, `authorization: Bearer <key>`",
        ));
    }
    first
        .map(|value| {
            value.to_str().map_err(|_| {
                Status::unauthenticated("the authorization header must be `Bearer <key>`")
            })
        })
        .transpose()
}

/// The credentials of an `authorization` header of the `Bearer` scheme,
/// whose name is matched case-insensitively (RFC 9110, 11.1), then spaces
/// or tabs: `Bearer <key>`, `bearer <key>`, `BEARER\t<key>`.
fn bearer_secret(header: &str) -> Option<&str> {
    let (scheme, credentials) = header.split_once([' ', '\t'])?;
    scheme
        .eq_ignore_ascii_case("Bearer")
        .then(|| credentials.trim_matches([' ', '\t']))
}

/// [`call_event!`] for a line about a call refused as UNAUTHENTICATED: at
/// INFO, or at DEBUG only once the window's refusals at INFO are spent
/// ([`CallLog::refusal_logged`]).
macro_rules! refusal_event {
    ($call:expr, $($rest:tt)+) => {{
        let call: &CallLog = $call;
        if call.refusal_logged() {
            call_event!(Some(call), tracing::Level::INFO, $($rest)+)
        } else {
            call_event!(Some(call), tracing::Level::DEBUG, $($rest)+)
        }
    }};
}

/// Calls refused as UNAUTHENTICATED whose lines are written at INFO in
/// each [`REFUSAL_WINDOW`]; the rest are written at DEBUG only
/// (`RefusalLog`).
pub const REFUSALS_LOGGED_PER_WINDOW: u64 = 10;

/// The window [`REFUSALS_LOGGED_PER_WINDOW`] counts in.
pub const REFUSAL_WINDOW: Duration = Duration::from_secs(10);

/// Bounds the lines written for calls refused as UNAUTHENTICATED.
///
/// Such calls need no key to make, so a line at INFO for each (two, for a
/// refused key: why, and the outcome) would let anyone who reaches the
/// port fill the logs as fast as it can call. The first
/// [`REFUSALS_LOGGED_PER_WINDOW`] refusals of each [`REFUSAL_WINDOW`] are
/// written at INFO, with their key id and reason, enough to find a client
/// with an old key; the rest at DEBUG only, counted, and the first
/// refusal written at INFO after them is preceded by a line with their
/// count. The metrics still count every call. Two atomic counters and the
/// window's number: no lock on the refusal path.
#[derive(Debug)]
pub(crate) struct RefusalLog {
    /// The clock's zero: windows are counted from it.
    origin: Instant,
    /// The number of the current window (seconds since `origin`, divided
    /// by the window's).
    window: AtomicU64,
    /// Refusals noted in the current window.
    noted: AtomicU64,
    /// Refusals written at DEBUG only, not yet counted in a line at INFO.
    unlogged: AtomicU64,
}

/// What [`RefusalLog::note`] makes of one refusal.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Write its lines at INFO; first, when `unlogged` is not 0, a line
    /// saying that many refusals were written at DEBUG only.
    Logged { unlogged: u64 },
    /// Write its lines at DEBUG only (it is counted for the next line at
    /// INFO).
    Quiet,
}

impl RefusalLog {
    /// A log whose first window starts now.
    pub(crate) fn new() -> Self {
        Self {
            origin: Instant::now(),
            window: AtomicU64::new(0),
            noted: AtomicU64::new(0),
            unlogged: AtomicU64::new(0),
        }
    }

    /// Notes a refusal at `now_secs` seconds since the log's zero. A
    /// reading older than the current window (another thread's, a moment
    /// late) counts in the current window.
    pub(crate) fn note(&self, now_secs: u64) -> Refusal {
        let window = now_secs / REFUSAL_WINDOW.as_secs().max(1);
        let current = self.window.load(Ordering::Relaxed);
        let mut unlogged = 0;
        if window > current
            && self
                .window
                .compare_exchange(current, window, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            // This refusal opens the window: it reports the last ones'.
            self.noted.store(0, Ordering::Relaxed);
            unlogged = self.unlogged.swap(0, Ordering::Relaxed);
        }
        if self.noted.fetch_add(1, Ordering::Relaxed) < REFUSALS_LOGGED_PER_WINDOW {
            Refusal::Logged { unlogged }
        } else {
            // Past the window's refusals at INFO (others raced ahead of
            // the one that opened it): it keeps the count it took.
            self.unlogged.fetch_add(unlogged + 1, Ordering::Relaxed);
            Refusal::Quiet
        }
    }

    /// Notes a refusal now, writing the count of those written at DEBUG
    /// only when it is due; whether this refusal's lines go at INFO.
    fn note_now(&self) -> bool {
        match self.note(self.origin.elapsed().as_secs()) {
            Refusal::Logged { unlogged } => {
                if unlogged > 0 {
                    tracing::info!(
                        refused = unlogged,
                        "calls refused as UNAUTHENTICATED were logged at DEBUG only: past {} in {} s, \
                         refusals are not logged at INFO",
                        REFUSALS_LOGGED_PER_WINDOW,
                        REFUSAL_WINDOW.as_secs()
                    );
                }
                true
            }
            Refusal::Quiet => false,
        }
    }
}

/// Authenticates a call against the registry's current snapshot: by its
/// bearer secret, or, with none, by the member its connection's client
/// certificate names (mTLS, [`crate::tls::ClientCertificate`]). A call
/// with both is one member's: the key's member must be the certificate's.
///
/// # Errors
/// UNAUTHENTICATED for a missing, malformed, unknown or revoked key, a
/// certificate naming a member that does not exist, or a key and a
/// certificate of different members. The message never repeats the secret.
pub fn authenticate(
    registry: &Registry,
    authorization: Option<&str>,
    certificate: Option<&Slug>,
    call: &CallLog,
) -> Result<Caller, Status> {
    authenticate_or_defer(registry, authorization, certificate, call, false).map_err(|refused| {
        match refused {
            Refused::Status(status) => status,
            // Not deferred: key_caller refuses an unknown key itself.
            Refused::UnknownKey => Status::unauthenticated("invalid API key"),
        }
    })
}

/// Why [`authenticate_or_defer`] did not authenticate a call.
enum Refused {
    /// Refused: the answer.
    Status(Status),
    /// Its key's id is unknown to the snapshot, and the caller asked to
    /// hear so rather than refuse (nothing is logged yet): the key may have
    /// been created on another replica a moment ago.
    UnknownKey,
}

impl From<Status> for Refused {
    fn from(status: Status) -> Self {
        Refused::Status(status)
    }
}

/// [`authenticate`]; but with `defer_unknown`, a key whose id the snapshot
/// does not know is [`Refused::UnknownKey`], so that the caller may catch
/// up with the store and try again.
fn authenticate_or_defer(
    registry: &Registry,
    authorization: Option<&str>,
    certificate: Option<&Slug>,
    call: &CallLog,
    defer_unknown: bool,
) -> Result<Caller, Refused> {
    let Some(header) = authorization else {
        return match certificate {
            Some(member) => Ok(certificate_caller(registry, member, call)?),
            None => Err(Status::unauthenticated(
                "missing API key: send `authorization: Bearer <key>`",
            )
            .into()),
        };
    };
    let caller = key_caller(registry, header, call, defer_unknown)?;
    match certificate {
        Some(named) if *named != caller.member => Err(Status::unauthenticated(format!(
            "the API key is members/{}'s but the client certificate names members/{named}: \
             a call is one member's",
            caller.member
        ))
        .into()),
        _ => Ok(caller),
    }
}

/// The member a client certificate names, as a caller with no key.
fn certificate_caller(
    registry: &Registry,
    member: &Slug,
    call: &CallLog,
) -> Result<Caller, Status> {
    let snapshot = registry
        .ready_snapshot()
        .map_err(|e| crate::api::retry_later(tonic::Code::Unavailable, e.to_string()))?;
    let Some(member) = snapshot.member(member.as_str()) else {
        refusal_event!(
            call,
            member = member.as_str(),
            reason = "no such member",
            "client certificate refused"
        );
        return Err(Status::unauthenticated(format!(
            "the client certificate names members/{member}, which does not exist"
        )));
    };
    Ok(Caller {
        member: member.id.clone(),
        kind: member.kind,
        key: None,
    })
}

/// The caller a bearer `header` authenticates; with `defer_unknown`, a key
/// whose id the snapshot does not know is [`Refused::UnknownKey`], not
/// refused (nor logged) yet.
fn key_caller(
    registry: &Registry,
    header: &str,
    call: &CallLog,
    defer_unknown: bool,
) -> Result<Caller, Refused> {
    let secret = bearer_secret(header).ok_or_else(|| {
        Status::unauthenticated("the authorization header must be `Bearer <key>`")
    })?;
    // The caller learns only that the key is invalid; the log says which
    // key id was refused and why (the id is public, the secret never
    // logged), so an operator can find a client still using an old key.
    let invalid = |key_id: Option<&str>, reason: &str| {
        refusal_event!(call, key_id, reason, "API key refused");
        Status::unauthenticated("invalid API key")
    };
    let id = key_id_of(secret).ok_or_else(|| invalid(None, "not a Marque API key"))?;
    let snapshot = registry
        .ready_snapshot()
        .map_err(|e| crate::api::retry_later(tonic::Code::Unavailable, e.to_string()))?;
    let Some(key) = snapshot.api_key(id.as_str()) else {
        if defer_unknown {
            return Err(Refused::UnknownKey);
        }
        return Err(invalid(Some(id.as_str()), "unknown key id").into());
    };
    let matches: bool = key.secret_sha256.ct_eq(&hash_secret(secret)).into();
    if !matches {
        return Err(invalid(Some(id.as_str()), "wrong secret").into());
    }
    if key.revoke_time.is_some() {
        refusal_event!(
            call,
            key_id = id.as_str(),
            reason = "revoked",
            "API key refused"
        );
        return Err(Status::unauthenticated(format!(
            "API key members/{}/apiKeys/{} is revoked",
            key.member, key.id
        ))
        .into());
    }
    let member = snapshot
        .member(key.member.as_str())
        .ok_or_else(|| invalid(Some(id.as_str()), "the key's member does not exist"))?;
    Ok(Caller {
        member: member.id.clone(),
        kind: member.kind,
        key: Some(key.id.clone()),
    })
}

// ---- the layer ------------------------------------------------------------------

/// Tower layer that, for every RPC: names the call for its log lines (RPC,
/// request id, member: [`CallLog`]), authenticates the caller (health and reflection
/// excepted), enforces [`Rpc::allowed`], answers a request message beyond
/// its service's size limit RESOURCE_EXHAUSTED rather than tonic's
/// OUT_OF_RANGE, and bytes that are not a message INVALID_ARGUMENT rather
/// than INTERNAL ([`crate::codec::rewrite_framing_refusal`]: the layer is the one
/// place that sees that answer), and logs the outcome with its gRPC code at
/// a level chosen by who is at fault.
#[derive(Clone)]
pub struct AuthLayer {
    /// The registry whose snapshot holds the keys.
    registry: Arc<Registry>,
    /// Longest a call may take to answer ([`AuthLayer::with_call_timeout`]).
    call_timeout: Option<Duration>,
    /// Places for public streams ([`MAX_PUBLIC_STREAMS`]).
    public_streams: Arc<tokio::sync::Semaphore>,
    /// Bounds the lines written for calls refused as UNAUTHENTICATED.
    refusals: Arc<RefusalLog>,
}

impl AuthLayer {
    /// A layer authenticating against `registry`.
    pub fn new(registry: Arc<Registry>) -> Self {
        Self {
            registry,
            call_timeout: None,
            public_streams: Arc::new(tokio::sync::Semaphore::new(MAX_PUBLIC_STREAMS)),
            refusals: Arc::new(RefusalLog::new()),
        }
    }

    /// Answers DEADLINE_EXCEEDED to a call that has not answered within
    /// `timeout`: its whole answer for a unary call, its first for a
    /// stream of answers. ImportAuthorizations, a client stream with its own
    /// limits, is left alone. So a client that opens calls and never sends
    /// their request (health and reflection need no key) holds nothing for
    /// longer.
    #[must_use]
    pub fn with_call_timeout(self, timeout: Duration) -> Self {
        Self {
            call_timeout: Some(timeout),
            ..self
        }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            registry: self.registry.clone(),
            call_timeout: self.call_timeout,
            public_streams: self.public_streams.clone(),
            refusals: self.refusals.clone(),
        }
    }
}

/// The service made by [`AuthLayer`].
#[derive(Clone)]
pub struct AuthService<S> {
    /// The wrapped service.
    inner: S,
    /// The registry whose snapshot holds the keys.
    registry: Arc<Registry>,
    call_timeout: Option<Duration>,
    public_streams: Arc<tokio::sync::Semaphore>,
    refusals: Arc<RefusalLog>,
}

/// Waits for `call` at most `timeout`: past it, a DEADLINE_EXCEEDED answer
/// ([`AuthLayer::with_call_timeout`]).
async fn within<T, E>(
    timeout: Option<Duration>,
    call: impl Future<Output = Result<http::Response<T>, E>>,
    wrap: impl FnOnce(http::Response<T>) -> http::Response<tonic::body::Body>,
) -> Result<http::Response<tonic::body::Body>, E> {
    let Some(timeout) = timeout else {
        return Ok(wrap(call.await?));
    };
    match tokio::time::timeout(timeout, call).await {
        Ok(answer) => Ok(wrap(answer?)),
        Err(_) => Ok(Status::deadline_exceeded(format!(
            "the call did not answer within the server's limit of {} (--call-timeout)",
            humantime::format_duration(timeout)
        ))
        .into_http()),
    }
}

/// Longest request id taken from a caller.
const MAX_REQUEST_ID_CHARS: usize = 128;

/// The caller's `x-request-id`, if it is a plain token (1 to 128 ASCII
/// letters, digits and `-_.:/`, which UUIDs, ULIDs and trace ids are).
///
/// The id goes into every log line of the call verbatim: a value with
/// spaces, quotes or `=` (`evil" member="operator`) would forge fields of a
/// text log line, so it is not used at all rather than escaped or cut.
fn given_request_id(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .map(http::HeaderValue::as_bytes)
        .filter(|id| is_plain_token(id))
        // Every byte is ASCII: no conversion can fail.
        .and_then(|id| std::str::from_utf8(id).ok())
        .map(str::to_string)
}

/// Whether `id` is a plain token: 1 to 128 ASCII letters, digits and
/// `-_.:/` ([`given_request_id`]).
fn is_plain_token(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_CHARS).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/".contains(b))
}

/// A call's RPC, request id and member as fields of one of its lines
/// ([`CallLog::fields`]); written as the span writes them (`request_id=…`,
/// unquoted). A field that is `None` is left out.
#[derive(Debug, Default)]
pub struct LineFields<'a> {
    /// `/marque.v1.CheckService/CheckListing`.
    pub rpc: Option<tracing::field::DisplayValue<&'a str>>,
    /// [`CallLog::request_id`].
    pub request_id: Option<tracing::field::DisplayValue<&'a str>>,
    /// A write's own `request_id` ([`CallLog::note_request_id`]).
    pub write_request_id: Option<tracing::field::DisplayValue<&'a str>>,
    /// The calling member, once authenticated.
    pub member: Option<tracing::field::DisplayValue<&'a str>>,
}

/// Writes a `tracing` event at `$level` (a constant such as
/// `tracing::Level::WARN`) naming the call `$call` (an
/// `Option<&CallLog>`) with its RPC, request id and member
/// ([`CallLog::fields`]), then the event's own fields and message:
/// `call_event!(Some(&call), tracing::Level::INFO, code = ?code, "rpc failed")`.
macro_rules! call_event {
    ($call:expr, $level:expr, $($rest:tt)+) => {{
        let fields = $call.map_or_else(
            $crate::auth::LineFields::default,
            $crate::auth::CallLog::fields,
        );
        tracing::event!(
            $level,
            rpc = fields.rpc,
            request_id = fields.request_id,
            write_request_id = fields.write_request_id,
            member = fields.member,
            $($rest)+
        )
    }};
}
pub(crate) use call_event;

/// [`call_event!`] for the call running on this task, if any
/// ([`CallLog::current`]): for lines written on a call's behalf far from
/// the layer (a fault, a Watch stream cut, the detection index failing to
/// refresh after a write). On a task no call runs in, the line names none.
macro_rules! current_call_event {
    ($level:expr, $($rest:tt)+) => {{
        let call = $crate::auth::CallLog::current();
        $crate::auth::call_event!(call.as_deref(), $level, $($rest)+)
    }};
}
pub(crate) use current_call_event;

tokio::task_local! {
    /// The call whose handler is running ([`CallLog::current`]).
    static CALL: Arc<CallLog>;
}

/// What a call's log lines say about it: its RPC, its request id and the
/// calling member.
///
/// The [`AuthLayer`] opens a span with them at DEBUG only. At INFO, the
/// default, a span per call cost a tenth of CheckListing's throughput and a
/// sixth of CheckSeller's over gRPC (BENCHMARKS.md, "A span per call only
/// at DEBUG"), for the few lines a call writes at that level (a refusal, a
/// fault): those lines carry the three as fields of their own instead
/// ([`CallLog::fields`]). A request id is generated only for a call that
/// writes a line, and then once, so all its lines agree.
#[derive(Debug)]
pub struct CallLog {
    /// The RPC, if the path names one.
    rpc: Option<Rpc>,
    /// Its request path, `/marque.v1.CheckService/CheckListing`; a path that
    /// names no RPC is written quoted and cut to [`MAX_LOGGED_PATH_CHARS`]
    /// characters, as the caller chose it (`"/x\" member=\"operator"`).
    path: std::borrow::Cow<'static, str>,
    /// The caller's `x-request-id`, when it is a plain token.
    given_id: Option<String>,
    /// Else a UUID, made when first needed.
    generated_id: std::sync::OnceLock<String>,
    /// The `request_id` of a write's request message (its idempotency
    /// key), when it is a plain token ([`CallLog::note_request_id`]).
    write_id: std::sync::OnceLock<String>,
    /// The call's span, when it is recorded (DEBUG enabled).
    span: Option<tracing::Span>,
    /// The calling member, once authenticated.
    member: Option<Slug>,
    /// Whether the call's span is recorded (DEBUG enabled): its lines then
    /// carry the three through the span, not as fields of their own.
    in_span: bool,
    /// Where a refusal of the call is noted; none writes every refusal at
    /// INFO.
    refusals: Option<Arc<RefusalLog>>,
    /// Once the call is refused: whether its lines go at INFO
    /// ([`CallLog::refusal_logged`]), the same for all of them.
    refusal_logged: std::sync::OnceLock<bool>,
    /// Whether the server ended the call because it drains
    /// ([`CallLog::note_drained`]).
    drained: std::sync::atomic::AtomicBool,
    /// Why the call failed, for its outcome's line ([`CallLog::note_cause`]).
    cause: std::sync::OnceLock<String>,
}

/// Longest path of an unknown RPC written in a log line, in characters.
const MAX_LOGGED_PATH_CHARS: usize = 128;

impl CallLog {
    fn new(path: &str, headers: &http::HeaderMap) -> Self {
        let (rpc, path) = match Rpc::with_path(path) {
            Some((rpc, path)) => (Some(rpc), std::borrow::Cow::Borrowed(path)),
            None => {
                let cut: String = path.chars().take(MAX_LOGGED_PATH_CHARS).collect();
                (None, std::borrow::Cow::Owned(format!("{cut:?}")))
            }
        };
        Self {
            rpc,
            path,
            given_id: given_request_id(headers),
            generated_id: std::sync::OnceLock::new(),
            write_id: std::sync::OnceLock::new(),
            span: None,
            member: None,
            in_span: false,
            refusals: None,
            refusal_logged: std::sync::OnceLock::new(),
            drained: std::sync::atomic::AtomicBool::new(false),
            cause: std::sync::OnceLock::new(),
        }
    }

    /// Notes why the call failed (the store's error behind its
    /// UNAVAILABLE), to be said on the line of its outcome (`rpc failed`,
    /// [`log_outcome`]) rather than on a line of its own: one line per
    /// failed call. The first noted stays.
    pub fn note_cause(&self, cause: impl std::fmt::Display) {
        let _ = self.cause.set(cause.to_string());
    }

    /// Notes that the server ends the call because it drains (a Watch
    /// stream told to resume elsewhere): its UNAVAILABLE is then the
    /// expected end of every open stream in a rollout, and its line is
    /// written at INFO, not at WARN with the outages.
    pub fn note_drained(&self) {
        self.drained
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the lines of this call, refused as UNAUTHENTICATED, are
    /// written at INFO (else at DEBUG only, [`RefusalLog`]): decided at its
    /// first such line, the same for the rest. Call it only for a refused
    /// call: the first call notes a refusal.
    fn refusal_logged(&self) -> bool {
        *self.refusal_logged.get_or_init(|| {
            self.refusals
                .as_ref()
                .is_none_or(|refusals| refusals.note_now())
        })
    }

    /// The call's request id: the caller's `x-request-id` if it is a plain
    /// token, else a UUID generated for the call (the same on every line).
    pub fn request_id(&self) -> &str {
        self.given_id.as_deref().unwrap_or_else(|| {
            self.generated_id
                .get_or_init(|| uuid::Uuid::new_v4().to_string())
        })
    }

    /// Notes the `request_id` of the call's request message (a write's
    /// idempotency key, the id a client retries with), so the call's lines
    /// from then on carry it as `write_request_id`; at DEBUG, the call's
    /// span does. Only a plain token is taken, as for the header; the first
    /// noted stays.
    pub fn note_request_id(&self, id: &str) {
        if is_plain_token(id.as_bytes())
            && self.write_id.set(id.to_string()).is_ok()
            && let Some(span) = &self.span
        {
            span.record("write_request_id", tracing::field::display(id));
        }
    }

    /// The call's RPC, request id and member as fields of a line, or none
    /// when the call's span already shows them.
    pub fn fields(&self) -> LineFields<'_> {
        if self.in_span {
            return LineFields::default();
        }
        let shown = tracing::field::display;
        LineFields {
            rpc: Some(shown(self.path.as_ref())),
            request_id: Some(shown(self.request_id())),
            write_request_id: self.write_id.get().map(|id| shown(id.as_str())),
            member: self.member.as_ref().map(|m| shown(m.as_str())),
        }
    }

    /// The call whose handler is running on this task, if any.
    pub fn current() -> Option<Arc<CallLog>> {
        CALL.try_with(Arc::clone).ok()
    }

    /// `work` as part of the current call, for a task its handler spawns:
    /// [`CallLog::current`] finds the call there too.
    pub fn carry<F: std::future::Future>(work: F) -> impl std::future::Future<Output = F::Output> {
        let call = Self::current();
        // And in the call's span, when there is one (DEBUG).
        let work = work.instrument(tracing::Span::current());
        async move {
            match call {
                Some(call) => CALL.scope(call, work).await,
                None => work.await,
            }
        }
    }
}

/// Paths served without an API key.
fn is_public(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.") || path.starts_with("/grpc.reflection.")
}

/// Whether `path` is a public call that streams for as long as its client
/// keeps it open (health's Watch, a reflection session).
fn is_public_stream(path: &str) -> bool {
    path == "/grpc.health.v1.Health/Watch"
        || (path.starts_with("/grpc.reflection.") && path.ends_with("/ServerReflectionInfo"))
}

/// Public streams (`is_public_stream`) open at once in one server, all
/// clients together: they need no key, so without a bound anyone who
/// reaches the port could keep opening them (on as many connections as it
/// likes) until the replica runs out of memory. Probes and reflection
/// clients hold a few for seconds.
pub const MAX_PUBLIC_STREAMS: usize = 1024;

/// Whether a call's request stream broke off (the client cancelled the call
/// or reset its stream while still sending): put in the request's
/// extensions by the [`AuthLayer`]. tonic ends such a stream as if it were
/// complete; a handler that commits what a stream brought (an import)
/// checks this first.
#[derive(Clone, Debug, Default)]
pub struct RequestStream(Arc<AtomicBool>);

impl RequestStream {
    /// Whether the stream broke off before its end.
    #[must_use]
    pub fn broke(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The deadline a caller gave in `grpc-timeout` (`{digits}{H|M|S|m|u|n}`,
/// the gRPC over HTTP/2 spec), if it gave a valid one.
fn grpc_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// One call's outcome, logged and counted exactly once: by [`Outcome::log`]
/// when the call answers, else when the call is dropped unanswered (the
/// client reset the stream, or tonic's deadline timer cut the call):
/// DEADLINE_EXCEEDED once the caller's `grpc-timeout` has passed, else
/// CANCELLED. Without it such calls would be neither logged nor counted.
///
/// A stream of answers (Watch) keeps its outcome in its answer body until
/// the trailers, with the call's span (at DEBUG) for its lines to run in.
struct Outcome {
    call: Arc<CallLog>,
    started: Instant,
    deadline: Option<Duration>,
    logged: bool,
    /// The call's span, once the outcome outlives the call's future.
    span: Option<tracing::Span>,
}

impl Outcome {
    fn log(mut self, code: Code) {
        self.logged = true;
        let _entered = self.span.as_ref().map(tracing::Span::enter);
        log_outcome(&self.call, code, self.started);
    }

    /// The code of a call that ended without an answer the client reads.
    fn abandoned_code(&self) -> Code {
        match self.deadline {
            Some(deadline) if self.started.elapsed() >= deadline => Code::DeadlineExceeded,
            _ => Code::Cancelled,
        }
    }
}

impl Drop for Outcome {
    fn drop(&mut self) {
        if !self.logged {
            let _entered = self.span.as_ref().map(tracing::Span::enter);
            log_outcome(&self.call, self.abandoned_code(), self.started);
        }
    }
}

/// The gRPC status code in `headers` (a trailers-only answer's headers, or
/// trailers), if they carry one.
fn status_code(headers: &http::HeaderMap) -> Option<Code> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map(Code::from)
}

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for AuthService<S>
where
    S: tower::Service<http::Request<tonic::body::Body>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    ReqBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    ReqBody::Error: Into<tonic::codegen::StdError>,
    ResBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    ResBody::Error: Into<tonic::codegen::StdError>,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        self.serve(request, false)
    }
}

impl<S, ResBody> AuthService<S>
where
    S: tower::Service<http::Request<tonic::body::Body>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    ResBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    ResBody::Error: Into<tonic::codegen::StdError>,
{
    /// [`tower::Service::call`], once the inner service is ready. A call
    /// whose API key the snapshot does not know (`caught_up` false) is not
    /// refused at once: the key may have been created on another replica a
    /// moment ago, so the registry catches up with the store first
    /// ([`Registry::catch_up_for_unknown_key`], paced so that made-up keys
    /// cannot hammer it), and the call is served again, its key then
    /// refused if it is still unknown.
    fn serve<ReqBody>(
        &mut self,
        request: http::Request<ReqBody>,
        caught_up: bool,
    ) -> BoxFuture<'static, Result<http::Response<tonic::body::Body>, S::Error>>
    where
        ReqBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        ReqBody::Error: Into<tonic::codegen::StdError>,
    {
        // The clone is ready only after poll_ready; keep the ready one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let path = request.uri().path();
        if is_public(path) {
            // A public stream's place is held until its answer is dropped.
            let place = if is_public_stream(path) {
                let Ok(place) = self.public_streams.clone().try_acquire_owned() else {
                    return Box::pin(async {
                        Ok(Status::resource_exhausted(format!(
                            "this server holds {MAX_PUBLIC_STREAMS} health Watch and reflection \
                             streams open at once, its most: retry later"
                        ))
                        .into_http())
                    });
                };
                Some(place)
            } else {
                None
            };
            let call = inner.call(request.map(tonic::body::Body::new));
            return Box::pin(within(self.call_timeout, call, move |answer| {
                answer.map(move |body| match place {
                    Some(place) => tonic::body::Body::new(body.map_frame(move |frame| {
                        let _held = &place;
                        frame
                    })),
                    // tonic's own bodies pass through as they are (no
                    // allocation).
                    None => tonic::body::Body::new(body),
                })
            }));
        }
        let mut call = CallLog::new(path, request.headers());
        call.refusals = Some(self.refusals.clone());
        let rpc = call.rpc;
        let call_timeout = self
            .call_timeout
            .filter(|_| rpc != Some(Rpc::ImportAuthorizations));
        // At DEBUG only: CallLog says why.
        let span = tracing::debug_span!(
            "rpc",
            rpc = %call.path,
            request_id = tracing::field::Empty,
            write_request_id = tracing::field::Empty,
            member = tracing::field::Empty,
        );
        if !span.is_disabled() {
            call.in_span = true;
            span.record("request_id", tracing::field::display(call.request_id()));
            call.span = Some(span.clone());
        }
        let outcome = {
            let _entered = span.enter();
            let authenticated = authorization_header(request.headers())
                .map_err(Refused::Status)
                .and_then(|header| {
                    let certificate = request
                        .extensions()
                        .get::<crate::tls::ClientCertificate>()
                        .and_then(|c| c.member.as_ref());
                    authenticate_or_defer(&self.registry, header, certificate, &call, !caught_up)
                });
            match authenticated {
                Err(Refused::UnknownKey) => None,
                Err(Refused::Status(status)) => Some(Err(status)),
                Ok(caller) => Some(Ok(caller)),
            }
        };
        let Some(outcome) = outcome else {
            // Served again once caught up, by the inner service made
            // ready for this call.
            let mut again = self.clone();
            again.inner = inner;
            let registry = self.registry.clone();
            return Box::pin(async move {
                registry.catch_up_for_unknown_key().await;
                again.serve(request, true).await
            });
        };
        let outcome = {
            let _entered = span.enter();
            outcome.and_then(|caller| {
                span.record("member", tracing::field::display(&caller.member));
                call.member = Some(caller.member.clone());
                match rpc {
                    Some(rpc) if !rpc.allowed().contains(&caller.kind) => {
                        Err(Status::permission_denied(not_allowed(rpc, caller.kind)))
                    }
                    _ => Ok(caller),
                }
            })
        };
        let call = Arc::new(call);
        let outcome_log = Outcome {
            deadline: grpc_timeout(request.headers()),
            call: call.clone(),
            started: Instant::now(),
            logged: false,
            span: None,
        };
        // A path that names no RPC: tonic would answer UNIMPLEMENTED with no
        // message at all.
        let outcome = outcome.and_then(|caller| match rpc {
            Some(_) => Ok(caller),
            None => Err(Status::unimplemented(format!(
                "{} is not a method of this server (reflection lists its services: grpcurl list)",
                call.path
            ))),
        });
        match outcome {
            Err(status) => Box::pin(
                async move {
                    outcome_log.log(status.code());
                    Ok(status.into_http())
                }
                .instrument(span),
            ),
            Ok(caller) => {
                // A request stream that breaks off (the client cancelled the
                // call, or reset its stream, while still sending) is noted:
                // tonic then answers as if the message had been cut short,
                // to a client that is gone, and ends a client stream as if
                // it were complete ([`RequestStream`]).
                let broke = Arc::new(AtomicBool::new(false));
                let noted = broke.clone();
                let mut request = request.map(|body| {
                    tonic::body::Body::new(
                        body.inspect_err(move |_| noted.store(true, Ordering::Relaxed)),
                    )
                });
                request.extensions_mut().insert(caller);
                request
                    .extensions_mut()
                    .insert(RequestStream(broke.clone()));
                Box::pin(
                    async move {
                        // The handler's lines find the call (CallLog::current).
                        let mut response = CALL
                            .scope(
                                call,
                                within(call_timeout, inner.call(request), |answer| {
                                    answer.map(tonic::body::Body::new)
                                }),
                            )
                            .await?;
                        // tonic's framing refusals (a message beyond the
                        // service's limit, bytes that are not a message),
                        // before the code is logged and counted
                        // (crate::codec).
                        crate::codec::rewrite_framing_refusal(&mut response);
                        let code = if broke.load(Ordering::Relaxed) {
                            // The client is gone: whatever tonic answered
                            // about the half-sent message, nobody reads it.
                            outcome_log.abandoned_code()
                        } else {
                            status_code(response.headers()).unwrap_or(Code::Ok)
                        };
                        // A stream of answers (Watch) has begun when its
                        // headers carry no status: its outcome is in the
                        // trailers, or it is abandoned, when its body ends.
                        if rpc == Some(Rpc::Watch)
                            && code == Code::Ok
                            && !response.headers().contains_key("grpc-status")
                        {
                            // Logged by the trailers' code, or, dropped
                            // before them (the client cancelled, its
                            // deadline passed), as an abandoned call.
                            let mut outcome_log = outcome_log;
                            outcome_log.span = Some(tracing::Span::current());
                            let mut outcome = Some(outcome_log);
                            return Ok(response.map(|body| {
                                tonic::body::Body::new(body.map_frame(move |frame| {
                                    if let Some(trailers) = frame.trailers_ref()
                                        && let Some(outcome) = outcome.take()
                                    {
                                        outcome.log(status_code(trailers).unwrap_or(Code::Unknown));
                                    }
                                    frame
                                }))
                            }));
                        }
                        outcome_log.log(code);
                        Ok(response.map(tonic::body::Body::new))
                    }
                    .instrument(span),
                )
            }
        }
    }
}

/// Why `kind` may not call `rpc`, in the names callers know: `BRAND_OWNER
/// members may not call marque.v1.CheckService/CheckSeller (PLATFORM members
/// only)`.
fn not_allowed(rpc: Rpc, kind: MemberKind) -> String {
    let allowed: Vec<&str> = rpc.allowed().iter().map(|k| k.name()).collect();
    format!(
        "{kind} members may not call {} ({} members only)",
        rpc.full_name(),
        allowed.join(" and ")
    )
}

/// Logs and counts an RPC's outcome: answered calls at debug, caller errors
/// at info, an unavailable store or a missed deadline at warn, server faults
/// at error. RESOURCE_EXHAUSTED (a message beyond a size limit, the only
/// place Marque gives it) and UNIMPLEMENTED (a method or compression that
/// does not exist) are the caller's: at info, or any caller could fill the
/// warning and error logs. UNAUTHENTICATED, which a caller needs no key to
/// get, is at info only up to [`REFUSALS_LOGGED_PER_WINDOW`] calls in each
/// [`REFUSAL_WINDOW`], then at debug ([`RefusalLog`]).
///
/// Answered calls are not logged at the default level: checks come at tens
/// of thousands a second, and a line for each would cost the server a quarter
/// of its throughput and write megabytes a second (BENCHMARKS.md, "What
/// logging costs"). The metrics count every call by RPC and code.
fn log_outcome(call: &CallLog, code: Code, started: Instant) {
    let elapsed = started.elapsed();
    // Label only the RPCs that exist (`path` is `rpc`'s): a caller inventing
    // paths must not invent metric series.
    let label = match call.rpc {
        Some(_) => call.path.trim_start_matches('/'),
        None => "unknown",
    };
    crate::metrics::record_call(label, code, elapsed.as_secs_f64());
    let micros = elapsed.as_micros() as u64;
    // Checked per level here, as the event would be (`info,h2=debug` must
    // not make every answered call build its fields): a line that is not
    // written needs no request id.
    use tracing::Level;
    let level = match code {
        Code::Unauthenticated if !call.refusal_logged() => Level::DEBUG,
        Code::Unavailable if call.drained.load(std::sync::atomic::Ordering::Relaxed) => Level::INFO,
        _ => outcome_level(code),
    };
    let error = call.cause.get().map(String::as_str);
    let call = Some(call);
    match level {
        Level::ERROR if tracing::enabled!(Level::ERROR) => {
            call_event!(call, Level::ERROR, code = ?code, micros, error, "rpc failed");
        }
        Level::WARN if tracing::enabled!(Level::WARN) => {
            call_event!(call, Level::WARN, code = ?code, micros, error, "rpc failed");
        }
        Level::INFO if tracing::enabled!(Level::INFO) => {
            call_event!(call, Level::INFO, code = ?code, micros, error, "rpc failed");
        }
        Level::DEBUG if tracing::enabled!(Level::DEBUG) => {
            if code == Code::Ok {
                call_event!(call, Level::DEBUG, code = ?code, micros, "rpc done");
            } else {
                call_event!(call, Level::DEBUG, code = ?code, micros, "rpc failed");
            }
        }
        _ => {}
    }
}

/// The level an outcome is logged at ([`log_outcome`]).
fn outcome_level(code: Code) -> tracing::Level {
    match code {
        Code::Internal | Code::Unknown | Code::DataLoss => tracing::Level::ERROR,
        Code::Unavailable | Code::DeadlineExceeded => tracing::Level::WARN,
        Code::Ok => tracing::Level::DEBUG,
        _ => tracing::Level::INFO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(s: &str) -> Slug {
        Slug::parse(s).expect("slug")
    }

    /// A caller of `kind`, member `member`, without a key.
    fn caller(member: &str, kind: MemberKind) -> Caller {
        Caller {
            member: slug(member),
            kind,
            key: None,
        }
    }

    /// Who sees how a write was made (its key and request id): the
    /// operator and the member itself, by caller kind and actor.
    #[test]
    fn how_a_write_was_made_is_the_operators_and_the_writers() {
        let by = |member: &str| Actor::Member {
            member: slug(member),
            key: Some(ResourceId::parse("k1").expect("id")),
        };
        let operator = caller("op", MemberKind::Operator);
        let owner = caller("owner-a", MemberKind::BrandOwner);
        let platform = caller("shop", MemberKind::Platform);
        for (caller, actor, sees) in [
            (&operator, by("owner-a"), true),
            (&operator, Actor::System, true),
            (&owner, by("owner-a"), true),
            (&owner, by("owner-b"), false),
            (&owner, by("op"), false),
            (&owner, Actor::System, false),
            (&platform, by("shop"), true),
            (&platform, by("owner-a"), false),
            (&platform, Actor::System, false),
        ] {
            assert_eq!(
                may_see_how_written(caller, &actor),
                sees,
                "{caller:?} {actor:?}"
            );
        }
    }

    /// Brand writes are the owner's; the operator moderates (archives a
    /// brand, removes a trademark or logo, changes a trademark's status
    /// alone) any member's brand, and makes no other brand write.
    #[test]
    fn the_operator_moderates_brands_and_writes_nothing_else_of_them() {
        let brand = Brand {
            id: slug("alpha"),
            owner: slug("owner-a"),
            display_name: "Alpha".into(),
            aliases: Vec::new(),
            common_word: false,
            status: crate::model::BrandStatus::Active,
            create_time: time::OffsetDateTime::UNIX_EPOCH,
            update_time: time::OffsetDateTime::UNIX_EPOCH,
            update_revision: 1,
        };
        let operator = caller("op", MemberKind::Operator);
        let owner = caller("owner-a", MemberKind::BrandOwner);
        let other = caller("owner-b", MemberKind::BrandOwner);
        let platform = caller("shop", MemberKind::Platform);
        let status = ["status".to_string()];
        let more = ["status".to_string(), "mark_text".to_string()];
        let text = ["mark_text".to_string()];
        let writes = [
            BrandWrite::Owner,
            BrandWrite::Moderation,
            BrandWrite::UpdateTrademark(&status),
            BrandWrite::UpdateTrademark(&more),
            BrandWrite::UpdateTrademark(&text),
        ];
        for (write, operator_may) in writes.into_iter().zip([false, true, true, false, false]) {
            assert!(
                require_brand_writer(&owner, &brand, write).is_ok(),
                "{write:?}"
            );
            for denied in [&other, &platform] {
                assert!(
                    require_brand_writer(denied, &brand, write).is_err(),
                    "{write:?}"
                );
            }
            assert_eq!(
                require_brand_writer(&operator, &brand, write).is_ok(),
                operator_may,
                "{write:?}"
            );
        }
        assert!(require_brand_owner(&operator, &brand).is_err());
        // The RPCs the operator may call for it, and no other brand write.
        for rpc in Rpc::ALL {
            let moderation = matches!(
                rpc,
                Rpc::ArchiveBrand | Rpc::RemoveTrademark | Rpc::RemoveLogo | Rpc::UpdateTrademark
            );
            if rpc.allowed() == BRAND_OWNER || moderation {
                assert_eq!(
                    rpc.allowed().contains(&MemberKind::Operator),
                    moderation,
                    "{rpc:?}"
                );
                assert!(rpc.allowed().contains(&MemberKind::BrandOwner), "{rpc:?}");
            }
        }
    }

    #[test]
    fn the_bearer_scheme_is_matched_without_regard_to_case() {
        for header in [
            "Bearer mq_k_s",
            "bearer mq_k_s",
            "BEARER mq_k_s",
            "bEaReR  mq_k_s ",
            "Bearer\tmq_k_s",
        ] {
            assert_eq!(bearer_secret(header), Some("mq_k_s"), "{header:?}");
        }
        for header in [
            "Basic mq_k_s",
            "Bearermq_k_s",
            "mq_k_s",
            "",
            "Bearer_ mq_k_s",
        ] {
            assert_eq!(bearer_secret(header), None, "{header:?}");
        }
    }

    #[test]
    fn grpc_timeouts_are_read_as_the_spec_writes_them() {
        let timeout = |value: &str| {
            let mut headers = http::HeaderMap::new();
            headers.insert("grpc-timeout", value.parse().expect("ascii"));
            grpc_timeout(&headers)
        };
        assert_eq!(timeout("100m"), Some(Duration::from_millis(100)));
        assert_eq!(timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(timeout("5u"), Some(Duration::from_micros(5)));
        for bad in ["", "m", "100", "100x", "-1m", "123456789m", "1.5S"] {
            assert_eq!(timeout(bad), None, "{bad:?}");
        }
        assert_eq!(grpc_timeout(&http::HeaderMap::new()), None);
    }

    #[test]
    fn outcomes_are_logged_by_who_is_at_fault() {
        use tracing::Level;
        for (code, level) in [
            (Code::Ok, Level::DEBUG),
            (Code::InvalidArgument, Level::INFO),
            (Code::PermissionDenied, Level::INFO),
            (Code::ResourceExhausted, Level::INFO),
            (Code::Unimplemented, Level::INFO),
            (Code::Unavailable, Level::WARN),
            (Code::DeadlineExceeded, Level::WARN),
            (Code::Internal, Level::ERROR),
            (Code::DataLoss, Level::ERROR),
        ] {
            assert_eq!(outcome_level(code), level, "{code:?}");
        }
    }

    #[test]
    fn generated_keys_parse_and_hash() {
        let key = generate_key();
        assert_eq!(key_id_of(&key.secret), Some(key.id.clone()));
        assert_eq!(hash_secret(&key.secret), key.sha256);
        assert_ne!(generate_key().secret, key.secret);
    }

    #[test]
    fn malformed_secrets_have_no_id() {
        assert_eq!(key_id_of("mq_abc_short"), None);
        assert_eq!(key_id_of("xx_abc_".to_string().as_str()), None);
        assert_eq!(key_id_of(&format!("mq_ABC_{}", "0".repeat(64))), None);
        assert_eq!(key_id_of(&format!("mq_abc_{}", "g".repeat(64))), None);
    }

    #[test]
    fn a_writes_request_id_is_a_field_of_its_own_on_the_calls_lines() {
        let path = "/marque.v1.RegistryService/AuthorizeSeller";
        let write_id = |call: &CallLog| call.fields().write_request_id.map(|id| format!("{id:?}"));
        let mut headers = http::HeaderMap::new();
        headers.insert("x-request-id", http::HeaderValue::from_static("trace-9"));
        let call = CallLog::new(path, &headers);
        assert_eq!(write_id(&call), None, "none noted yet");
        call.note_request_id("retry-key-1");
        call.note_request_id("retry-key-2");
        assert_eq!(
            write_id(&call).as_deref(),
            Some("retry-key-1"),
            "the first stays"
        );
        assert_eq!(
            call.request_id(),
            "trace-9",
            "the request id is the caller's"
        );
        // An id that could forge a field is not taken, nor an empty one.
        for forged in ["evil\" member=\"operator", "", "a b"] {
            let call = CallLog::new(path, &http::HeaderMap::new());
            call.note_request_id(forged);
            assert_eq!(write_id(&call), None, "{forged}");
        }
    }

    #[test]
    fn only_plain_request_ids_are_taken_from_the_caller() {
        let id_for = |value: &[u8]| {
            let mut headers = http::HeaderMap::new();
            headers.insert(
                "x-request-id",
                http::HeaderValue::from_bytes(value).expect("a header value"),
            );
            CallLog::new("/marque.v1.RegistryService/GetCaller", &headers)
                .request_id()
                .to_owned()
        };
        for plain in [
            "6f1c2a9e-0b7d-4c4e-9d61-3a0f1f5e2b10",
            "01HZX3J5W9Q2M7C8T4R6Y0B1NA",
            "batch:2024/07/01_run.3",
            &"a".repeat(128),
        ] {
            assert_eq!(id_for(plain.as_bytes()), plain);
        }
        for forged in [
            &b"evil\" member=\"operator"[..],
            b"",
            b"a b",
            b"a=b",
            b"\xc3\xa9t\xc3\xa9",
            b"{}",
            "a".repeat(129).as_bytes(),
        ] {
            let id = id_for(forged);
            assert!(
                uuid::Uuid::parse_str(&id).is_ok(),
                "{forged:?} gave {id:?}, not a generated id"
            );
        }
        let call = CallLog::new("/p", &http::HeaderMap::new());
        let none = call.request_id().to_owned();
        assert!(uuid::Uuid::parse_str(&none).is_ok(), "{none:?}");
        assert_eq!(call.request_id(), none, "one id for every line of a call");
        assert_ne!(
            CallLog::new("/p", &http::HeaderMap::new()).request_id(),
            none,
            "another call, another id"
        );
    }

    #[test]
    fn a_call_outside_a_span_names_itself_on_its_lines() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-request-id", http::HeaderValue::from_static("req-7"));
        let mut call = CallLog::new("/marque.v1.CheckService/CheckListing", &headers);
        let shown = |call: &CallLog| {
            let f = call.fields();
            [f.rpc, f.request_id, f.member].map(|v| v.map(|v| format!("{v:?}")))
        };
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(
            shown(&call),
            [
                some("/marque.v1.CheckService/CheckListing"),
                some("req-7"),
                None
            ],
            "not authenticated yet: no member"
        );
        call.member = Some(Slug::parse("shopwise").expect("slug"));
        assert_eq!(shown(&call)[2], some("shopwise"));
        // In a recorded span the span names them, once.
        call.in_span = true;
        assert_eq!(shown(&call), [None, None, None]);

        // A path that names no RPC is the caller's text: quoted and cut,
        // so it cannot forge fields of a line.
        let forged = format!("/x\" member=\"operator{}", "y".repeat(300));
        let unknown = CallLog::new(&forged, &headers);
        assert_eq!(unknown.rpc, None);
        let rpc = shown(&unknown)[0].clone().expect("an rpc field");
        assert!(rpc.starts_with(r#""/x\" member=\"operator"#), "{rpc}");
        assert_eq!(rpc.chars().filter(|&c| c == 'y').count(), 128 - 20, "{rpc}");
    }

    /// The layer runs the handler inside its call: a line the handler
    /// writes (a fault) finds the call there, with its member.
    #[tokio::test]
    async fn the_layer_runs_the_handler_in_its_call() {
        use tower::{Layer as _, ServiceExt as _};
        let registry = Arc::new(Registry::new(
            Arc::new(crate::store::MemoryStore::new()),
            Duration::from_secs(1),
        ));
        registry.load().await.expect("load");
        let key = generate_key();
        let shopwise = Slug::parse("shopwise").expect("slug");
        registry
            .write(
                crate::model::Actor::System,
                crate::registry::WriteMeta::default(),
                &[
                    crate::model::Command::CreateMember {
                        id: shopwise.clone(),
                        display_name: "Shopwise".into(),
                        kind: MemberKind::Platform,
                    },
                    crate::model::Command::CreateApiKey {
                        member: shopwise,
                        id: key.id.clone(),
                        description: String::new(),
                        secret_sha256: key.sha256,
                    },
                ],
            )
            .await
            .expect("a platform and its key");
        let seen = Arc::new(std::sync::Mutex::new(None));
        let handler = {
            let seen = seen.clone();
            tower::service_fn(move |_: http::Request<tonic::body::Body>| {
                let seen = seen.clone();
                async move {
                    // The call itself, not its line fields, which are none
                    // when its span shows them: whether a span is made
                    // depends on what other tests' subscribers cached.
                    *seen.lock().expect("lock") = CallLog::current().map(|call| {
                        [
                            Some(call.path.to_string()),
                            Some(call.request_id().to_owned()),
                            call.member.as_ref().map(Slug::to_string),
                        ]
                    });
                    Ok::<_, std::convert::Infallible>(http::Response::new(
                        tonic::body::Body::empty(),
                    ))
                }
            })
        };
        let request = http::Request::builder()
            .uri("http://marque/marque.v1.CheckService/CheckListing")
            .header("authorization", format!("Bearer {}", key.secret))
            .header("x-request-id", "req-handler")
            .body(tonic::body::Body::empty())
            .expect("a request");
        AuthLayer::new(registry)
            .layer(handler)
            .oneshot(request)
            .await
            .expect("answered");
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(
            *seen.lock().expect("lock"),
            Some([
                some("/marque.v1.CheckService/CheckListing"),
                some("req-handler"),
                some("shopwise"),
            ])
        );
    }

    #[tokio::test]
    async fn lines_far_from_the_layer_find_the_call_running_on_their_task() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-request-id", http::HeaderValue::from_static("req-9"));
        let call = Arc::new(CallLog::new("/marque.v1.WatchService/Watch", &headers));
        let id = |call: Option<Arc<CallLog>>| {
            call.and_then(|c| c.fields().request_id.map(|v| format!("{v:?}")))
        };
        assert_eq!(id(CallLog::current()), None, "no call on this task");
        let (inside, carried) = CALL
            .scope(call.clone(), async {
                let carried = tokio::spawn(CallLog::carry(async { CallLog::current() }));
                (CallLog::current(), carried.await.expect("the spawned task"))
            })
            .await;
        assert_eq!(id(inside), Some("req-9".to_owned()));
        assert_eq!(
            id(carried),
            Some("req-9".to_owned()),
            "carried to a spawned task"
        );
        let uncarried = CALL
            .scope(call, async {
                tokio::spawn(async { CallLog::current() }).await
            })
            .await
            .expect("the spawned task");
        assert_eq!(id(uncarried), None, "a task of its own, not carried");
    }

    #[test]
    fn a_call_has_at_most_one_authorization_header() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(authorization_header(&headers).expect("none"), None);
        headers.append(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_static("Bearer a"),
        );
        assert_eq!(
            authorization_header(&headers).expect("one"),
            Some("Bearer a")
        );
        headers.append(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_static("Bearer a"),
        );
        let twice = authorization_header(&headers).expect_err("two headers");
        assert_eq!(twice.code(), Code::Unauthenticated);
        assert!(
            twice
                .message()
                .starts_with("more than one authorization header")
        );
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_bytes(b"Bearer \xe9").expect("a header value"),
        );
        let opaque = authorization_header(&headers).expect_err("not ASCII");
        assert_eq!(
            opaque.message(),
            "the authorization header must be `Bearer <key>`"
        );
    }

    /// The first refusals of each window are logged; the rest are not,
    /// and are counted by the first logged after them, however much later.
    #[test]
    fn refusals_past_the_windows_first_are_counted_not_logged() {
        let log = RefusalLog::new();
        let logged = |unlogged| Refusal::Logged { unlogged };
        for _ in 0..REFUSALS_LOGGED_PER_WINDOW {
            assert_eq!(log.note(3), logged(0));
        }
        for now in [3, 5, 9] {
            assert_eq!(log.note(now), Refusal::Quiet, "at {now} s");
        }
        // The next window: its first refusal counts the three.
        assert_eq!(log.note(10), logged(3));
        for _ in 1..REFUSALS_LOGGED_PER_WINDOW {
            assert_eq!(log.note(12), logged(0));
        }
        assert_eq!(log.note(19), Refusal::Quiet);
        // A reading a moment late counts in the current window.
        assert_eq!(log.note(8), Refusal::Quiet);
        // A quiet hour: the next refusal still counts the two.
        assert_eq!(log.note(3600), logged(2));
        assert_eq!(log.note(3601), logged(0));
        assert_eq!(log.note(3620), logged(0), "nothing left to count");
    }

    /// Through the layer, a flood of calls with an unknown key writes the
    /// window's first refusals at INFO (why, and the outcome), the rest at
    /// DEBUG only.
    #[tokio::test]
    async fn a_flood_of_unauthenticated_calls_is_logged_at_info_only_at_first() {
        use tower::{Layer as _, ServiceExt as _};
        let registry = Arc::new(Registry::new(
            Arc::new(crate::store::MemoryStore::new()),
            Duration::from_secs(1),
        ));
        registry.load().await.expect("load");
        let handler = tower::service_fn(|_: http::Request<tonic::body::Body>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
        });
        let service = AuthLayer::new(registry).layer(handler);
        let log = crate::telemetry::Captured::start();
        let calls = REFUSALS_LOGGED_PER_WINDOW + 5;
        for _ in 0..calls {
            let request = http::Request::builder()
                .uri("http://marque/marque.v1.CheckService/CheckListing")
                .header("authorization", format!("Bearer {}", generate_key().secret))
                .body(tonic::body::Body::empty())
                .expect("a request");
            let answer = service.clone().oneshot(request).await.expect("answered");
            assert_eq!(status_code(answer.headers()), Some(Code::Unauthenticated));
        }
        let lines = log.lines();
        let count = |level: &str, message: &str| {
            lines
                .iter()
                .filter(|line| line.contains(level) && line.contains(message))
                .count() as u64
        };
        for message in ["API key refused", "rpc failed"] {
            assert_eq!(
                count(" INFO ", message),
                REFUSALS_LOGGED_PER_WINDOW,
                "{message}: {lines:#?}"
            );
            assert_eq!(count("DEBUG ", message), 5, "{message}: {lines:#?}");
        }
    }

    /// UNAVAILABLE is a warning, but not for a Watch stream the server
    /// ends as it drains: every open stream ends so in a rollout.
    #[test]
    fn a_stream_ended_by_the_drain_is_no_outage() {
        let log = crate::telemetry::Captured::start();
        let headers = http::HeaderMap::new();
        let outage = CallLog::new("/marque.v1.WatchService/Watch", &headers);
        log_outcome(&outage, Code::Unavailable, Instant::now());
        let drained = CallLog::new("/marque.v1.WatchService/Watch", &headers);
        drained.note_drained();
        log_outcome(&drained, Code::Unavailable, Instant::now());
        let failed = CallLog::new("/marque.v1.WatchService/Watch", &headers);
        failed.note_drained();
        log_outcome(&failed, Code::Internal, Instant::now());
        let lines = log.lines();
        let levels: Vec<&str> = lines
            .iter()
            .filter(|line| line.contains("rpc failed"))
            .filter_map(|line| line.split_whitespace().nth(1))
            .collect();
        assert_eq!(levels, ["WARN", "INFO", "ERROR"], "{lines:#?}");
    }

    #[test]
    fn refusals_name_kinds_and_rpcs_as_callers_know_them() {
        assert_eq!(
            not_allowed(Rpc::CheckSeller, MemberKind::BrandOwner),
            "BRAND_OWNER members may not call marque.v1.CheckService/CheckSeller (PLATFORM members only)"
        );
        assert_eq!(
            not_allowed(Rpc::ListAuditEvents, MemberKind::Platform),
            "PLATFORM members may not call marque.v1.AuditService/ListAuditEvents (OPERATOR and BRAND_OWNER members only)"
        );
    }

    #[test]
    fn every_rpc_resolves_from_its_path() {
        for rpc in Rpc::ALL {
            let path = format!("/{}/{}", rpc.service(), rpc.method());
            assert_eq!(Rpc::from_path(&path), Some(*rpc));
            assert_eq!(format!("/{}", rpc.full_name()), path);
        }
        assert_eq!(Rpc::from_path("/marque.v1.RegistryService/Nope"), None);
    }
}

//! Change events: the registry's history, one event per revision.
//!
//! A write produces one event holding every resource it changed, with its
//! state before and after. Replicas apply events in revision order to move
//! their snapshot forward; events are never changed once written.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{
    ApiKey, Authorization, Brand, Logo, Member, ResourceId, Revision, Slug, Timestamp, Trademark,
};

/// Who made a change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Actor {
    /// The server itself: seeding, bootstrapping the first operator key.
    System,
    /// A member, through one of its API keys or its client certificate.
    Member {
        /// The member.
        member: Slug,
        /// The key it used; none when its client certificate named it
        /// (mTLS). Left out of the event then, so that events by key read
        /// as they always did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<ResourceId>,
    },
}

impl Actor {
    /// How the audit trail and the change feed name [`Actor::System`]. No
    /// member may have this id ([`super::Member::check_id`]).
    pub const SYSTEM: &'static str = "system";

    /// The member id, or `system`.
    pub fn member_str(&self) -> &str {
        match self {
            Actor::System => Self::SYSTEM,
            Actor::Member { member, .. } => member.as_str(),
        }
    }
}

/// One resource, in a state held by a change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// A member.
    Member(Arc<Member>),
    /// An API key (only its hash).
    ApiKey(Arc<ApiKey>),
    /// A brand.
    Brand(Arc<Brand>),
    /// A trademark.
    Trademark(Arc<Trademark>),
    /// A logo.
    Logo(Arc<Logo>),
    /// A seller authorization.
    Authorization(Arc<Authorization>),
}

/// Identifies a resource across its states.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKey {
    /// `members/{member}`.
    Member(Slug),
    /// `members/{member}/apiKeys/{id}`.
    ApiKey(Slug, ResourceId),
    /// `brands/{brand}`.
    Brand(Slug),
    /// `brands/{brand}/trademarks/{id}`.
    Trademark(Slug, ResourceId),
    /// `brands/{brand}/logos/{id}`.
    Logo(Slug, ResourceId),
    /// `brands/{brand}/authorizations/{id}`.
    Authorization(Slug, ResourceId),
}

impl std::fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResourceKey::Member(m) => write!(f, "members/{m}"),
            ResourceKey::ApiKey(m, k) => write!(f, "members/{m}/apiKeys/{k}"),
            ResourceKey::Brand(b) => write!(f, "brands/{b}"),
            ResourceKey::Trademark(b, t) => write!(f, "brands/{b}/trademarks/{t}"),
            ResourceKey::Logo(b, l) => write!(f, "brands/{b}/logos/{l}"),
            ResourceKey::Authorization(b, a) => write!(f, "brands/{b}/authorizations/{a}"),
        }
    }
}

impl Resource {
    /// The resource's key.
    pub fn key(&self) -> ResourceKey {
        match self {
            Resource::Member(m) => ResourceKey::Member(m.id.clone()),
            Resource::ApiKey(k) => ResourceKey::ApiKey(k.member.clone(), k.id.clone()),
            Resource::Brand(b) => ResourceKey::Brand(b.id.clone()),
            Resource::Trademark(t) => ResourceKey::Trademark(t.brand.clone(), t.id.clone()),
            Resource::Logo(l) => ResourceKey::Logo(l.brand.clone(), l.id.clone()),
            Resource::Authorization(a) => ResourceKey::Authorization(a.brand.clone(), a.id.clone()),
        }
    }

    /// The brand the resource belongs to, for brand-scoped resources.
    pub fn brand(&self) -> Option<&Slug> {
        match self {
            Resource::Member(_) | Resource::ApiKey(_) => None,
            Resource::Brand(b) => Some(&b.id),
            Resource::Trademark(t) => Some(&t.brand),
            Resource::Logo(l) => Some(&l.brand),
            Resource::Authorization(a) => Some(&a.brand),
        }
    }
}

/// One resource's change: created (no `before`), changed, or removed (no
/// `after`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// State before the change.
    pub before: Option<Resource>,
    /// State after the change.
    pub after: Option<Resource>,
}

impl Change {
    /// The key of the changed resource.
    pub fn key(&self) -> Option<ResourceKey> {
        self.after
            .as_ref()
            .or(self.before.as_ref())
            .map(Resource::key)
    }
}

/// One revision of the registry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeEvent {
    /// The revision this event creates; gap-free from 1.
    pub revision: Revision,
    /// When it was committed.
    #[serde(with = "time::serde::rfc3339")]
    pub time: Timestamp,
    /// Who made it.
    pub actor: Actor,
    /// The caller's idempotency key, if it gave one.
    pub request_id: Option<String>,
    /// SHA-256 over the RPC name and the request as sent, to tell a retry
    /// from a different request that reuses a request id. Every version
    /// compares it: a retry sent as first written matches it.
    #[serde(with = "super::entities::optional_hex")]
    pub request_fingerprint: Option<[u8; 32]>,
    /// SHA-256 over the RPC name and the request as read (rebuilt from its
    /// parsed values): a retry written in another spelling the registry
    /// reads alike matches it. Absent from events written before it was
    /// taken, and left out of the encoding when absent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::entities::optional_hex"
    )]
    pub request_fingerprint_as_read: Option<[u8; 32]>,
    /// What changed, in the order it was applied.
    pub changes: Vec<Change>,
}

//! Domain types and their validation. No I/O, no protobuf: the API edge parses
//! requests into these types, and the store and snapshot only ever see them.

pub mod change;
pub mod codes;
pub mod command;
pub mod entities;
mod serde_impls;

pub use change::{Actor, Change, ChangeEvent, Resource, ResourceKey};
pub use codes::{NiceClass, NiceClassSet, Office, Region, Slug};
pub use command::{
    AuthorizationPatch, AuthorizationSpec, BrandPatch, Command, LogoSource, TrademarkPatch,
    TrademarkSpec,
};
pub use entities::{
    ApiKey, Authorization, AuthorizationStatus, Brand, BrandStatus, Logo, Member, MemberKind,
    ResourceId, Trademark, TrademarkKind, TrademarkStatus,
};

/// A registry revision: revision `n` is the state after the `n`-th change event.
/// Revision 0 is the empty registry.
pub type Revision = u64;

/// The highest revision a registry can reach: PostgreSQL keeps revisions as
/// `bigint`. A larger one, given by a client, names no revision.
pub const MAX_REVISION: Revision = i64::MAX as Revision;

/// An instant, always UTC.
pub type Timestamp = time::OffsetDateTime;

/// A calendar date (trademark registration and expiry).
pub type Date = time::Date;

/// The etag of a resource: the revision at which it last changed, as text.
pub fn etag(revision: Revision) -> String {
    revision.to_string()
}

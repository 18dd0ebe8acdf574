//! Domain types and their validation. No I/O, no protobuf: the API edge parses
//! requests into these types, and the store and snapshot only ever see them.

pub mod change;
pub mod codes;
pub mod command;
pub mod entities;
mod serde_impls;

pub use change::{Actor, Change, ChangeEvent, Resource, ResourceKey};
pub use codes::{Designation, NiceClass, NiceClassSet, Office, Region, Slug, quote, quote_as_read};
pub use command::{
    AuthorizationPatch, AuthorizationSpec, BrandPatch, Command, ImportWidening, LogoSource,
    TrademarkPatch, TrademarkSpec,
};
pub use entities::{
    AliasRepeat, ApiKey, Authorization, AuthorizationStatus, Brand, BrandStatus, Logo, Member,
    MemberKind, ResourceId, Trademark, TrademarkKind, TrademarkStatus, alias_repeats,
    check_authorization_end, check_authorization_window, check_mark_text, check_registration_date,
    check_trademark_dates, check_valid_from, name_refusal, parse_registration_number,
    unmatchable_name,
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

/// An instant as messages show it: RFC 3339 in UTC, `2020-01-01T00:00:00Z`
/// (with a fraction of a second only when it has one), as the proto's
/// `google.protobuf.Timestamp` reads in JSON, never `time`'s own
/// `2020-01-01 0:00:00.0 +00:00:00`.
pub fn rfc3339(instant: Timestamp) -> String {
    instant
        .to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        // Only years beyond 0000 to 9999 have no RFC 3339 form; the API
        // takes none.
        .unwrap_or_else(|_| instant.to_string())
}

/// A date as messages show it: an RFC 3339 full-date, `2020-01-01`.
pub fn rfc3339_date(date: Date) -> String {
    date.format(time::macros::format_description!("[year]-[month]-[day]"))
        .unwrap_or_else(|_| date.to_string())
}

/// The etag of a resource: the revision at which it last changed, as text.
pub fn etag(revision: Revision) -> String {
    revision.to_string()
}

/// The revision an etag names, for an etag [`etag`] issues and only such:
/// a revision of a resource (1 to [`MAX_REVISION`]) in its decimal digits,
/// unquoted. Other spellings of the number (`08`, `+8`, `"8"`, ` 8`) are
/// none: an etag is compared as the text the server sent, so a client that
/// sends another has not sent back what it read.
///
/// # Errors
/// `"08" is not an etag this service issued: send back a resource's etag as
/// it was read`.
pub fn parse_etag(value: &str) -> Result<Revision, String> {
    value
        .parse::<Revision>()
        .ok()
        .filter(|&revision| (1..=MAX_REVISION).contains(&revision) && etag(revision) == value)
        .ok_or_else(|| {
            format!(
                "{} is not an etag this service issued: send back a resource's etag as it \
                 was read",
                quote(value)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_etag_as_issued_names_a_revision() {
        assert_eq!(parse_etag(&etag(8)), Ok(8));
        assert_eq!(parse_etag(&etag(MAX_REVISION)), Ok(MAX_REVISION));
        for other in [
            "08",
            "+8",
            "\"8\"",
            " 8",
            "8 ",
            "W/\"8\"",
            "0",
            "00",
            "-1",
            "9223372036854775808",
            "18446744073709551616",
            "8a",
            "\u{FF18}",
        ] {
            assert_eq!(
                parse_etag(other),
                Err(format!(
                    "{} is not an etag this service issued: send back a resource's etag as it \
                     was read",
                    quote(other)
                )),
                "{other:?}"
            );
        }
    }

    #[test]
    fn instants_and_dates_read_as_rfc_3339() {
        let instant = time::macros::datetime!(2020-01-01 0:00 UTC);
        assert_eq!(rfc3339(instant), "2020-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(time::macros::datetime!(2031-05-04 13:30:05.25 +02:00)),
            "2031-05-04T11:30:05.25Z"
        );
        assert_eq!(
            rfc3339_date(time::macros::date!(2020 - 01 - 01)),
            "2020-01-01"
        );
        assert_eq!(
            rfc3339_date(time::macros::date!(0042 - 12 - 31)),
            "0042-12-31"
        );
    }
}

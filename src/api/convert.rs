//! Domain types to protobuf messages, and the small parsers for protobuf
//! scalars (timestamps, dates, enums) that the handlers validate with.

use prost_types::Timestamp as PbTimestamp;

use crate::{
    model::{
        self, ApiKey, Authorization, AuthorizationStatus, Brand, BrandStatus, Logo, Member,
        MemberKind, Timestamp, Trademark, TrademarkKind, TrademarkStatus,
    },
    pb::{google::r#type::Date as PbDate, marque::v1 as pb},
};

/// A timestamp for the wire.
pub fn timestamp(t: Timestamp) -> PbTimestamp {
    PbTimestamp {
        seconds: t.unix_timestamp(),
        nanos: t.nanosecond() as i32,
    }
}

/// A timestamp from the wire.
///
/// # Errors
/// Out-of-range seconds or nanos.
pub fn parse_timestamp(t: &PbTimestamp) -> Result<Timestamp, String> {
    if !(0..1_000_000_000).contains(&t.nanos) {
        return Err(format!("nanos {} must be 0 to 999999999", t.nanos));
    }
    // Years 1 to 9999, as google.protobuf.Timestamp allows.
    if !(-62_135_596_800..=253_402_300_799).contains(&t.seconds) {
        return Err(format!(
            "seconds {} are outside years 0001 to 9999",
            t.seconds
        ));
    }
    Timestamp::from_unix_timestamp(t.seconds)
        .map(|ts| ts + time::Duration::nanoseconds(i64::from(t.nanos)))
        .map_err(|e| format!("invalid timestamp: {e}"))
}

/// A date for the wire.
pub fn date(d: model::Date) -> PbDate {
    PbDate {
        year: d.year(),
        month: i32::from(u8::from(d.month())),
        day: i32::from(d.day()),
    }
}

/// A full calendar date from the wire.
///
/// # Errors
/// Partial dates (a zero year, month or day) and impossible dates.
pub fn parse_date(d: &PbDate) -> Result<model::Date, String> {
    if d.year < 1 || d.year > 9999 {
        return Err(format!("year {} must be 1 to 9999", d.year));
    }
    let month = u8::try_from(d.month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(|| format!("month {} must be 1 to 12", d.month))?;
    let day = u8::try_from(d.day).map_err(|_| format!("day {} must be 1 to 31", d.day))?;
    model::Date::from_calendar_date(d.year, month, day)
        .map_err(|_| format!("{}-{:02}-{:02} is not a date", d.year, d.month, d.day))
}

/// An enum value as the caller wrote it: its name where it has one
/// (grpcurl's JSON takes names: `MEMBER_KIND_UNSPECIFIED`), its number
/// otherwise.
/// `parsed` is `value` read as the enum (`None` if it has no such value),
/// `name` the enum's `as_str_name`.
pub(crate) fn as_written<E>(parsed: Option<E>, value: i32, name: fn(&E) -> &'static str) -> String {
    parsed.map_or_else(|| value.to_string(), |e| name(&e).to_owned())
}

/// A member kind from the wire.
///
/// # Errors
/// Unspecified or unknown values.
pub fn parse_member_kind(value: i32) -> Result<MemberKind, String> {
    let parsed = pb::MemberKind::try_from(value);
    match parsed {
        Ok(pb::MemberKind::BrandOwner) => Ok(MemberKind::BrandOwner),
        Ok(pb::MemberKind::Platform) => Ok(MemberKind::Platform),
        Ok(pb::MemberKind::Operator) => Ok(MemberKind::Operator),
        _ => Err(format!(
            "must be MEMBER_KIND_BRAND_OWNER, MEMBER_KIND_PLATFORM or MEMBER_KIND_OPERATOR, got {}",
            as_written(parsed.ok(), value, pb::MemberKind::as_str_name)
        )),
    }
}

/// A trademark kind from the wire.
///
/// # Errors
/// Unspecified or unknown values.
pub fn parse_trademark_kind(value: i32) -> Result<TrademarkKind, String> {
    let parsed = pb::TrademarkKind::try_from(value);
    match parsed {
        Ok(pb::TrademarkKind::Word) => Ok(TrademarkKind::Word),
        Ok(pb::TrademarkKind::Figurative) => Ok(TrademarkKind::Figurative),
        Ok(pb::TrademarkKind::Combined) => Ok(TrademarkKind::Combined),
        _ => Err(format!(
            "must be TRADEMARK_KIND_WORD, _FIGURATIVE or _COMBINED, got {}",
            as_written(parsed.ok(), value, pb::TrademarkKind::as_str_name)
        )),
    }
}

/// A trademark status from the wire.
///
/// # Errors
/// Unspecified or unknown values.
pub fn parse_trademark_status(value: i32) -> Result<TrademarkStatus, String> {
    let parsed = pb::TrademarkStatus::try_from(value);
    match parsed {
        Ok(pb::TrademarkStatus::Registered) => Ok(TrademarkStatus::Registered),
        Ok(pb::TrademarkStatus::Pending) => Ok(TrademarkStatus::Pending),
        Ok(pb::TrademarkStatus::Expired) => Ok(TrademarkStatus::Expired),
        Ok(pb::TrademarkStatus::Cancelled) => Ok(TrademarkStatus::Cancelled),
        _ => Err(format!(
            "must be TRADEMARK_STATUS_REGISTERED, _PENDING, _EXPIRED or _CANCELLED, got {}",
            as_written(parsed.ok(), value, pb::TrademarkStatus::as_str_name)
        )),
    }
}

/// An authorization status an owner may set (active or suspended).
///
/// # Errors
/// Anything else; revoking has its own RPC.
pub fn parse_settable_authorization_status(value: i32) -> Result<AuthorizationStatus, String> {
    let parsed = pb::AuthorizationStatus::try_from(value);
    match parsed {
        Ok(pb::AuthorizationStatus::Active) => Ok(AuthorizationStatus::Active),
        Ok(pb::AuthorizationStatus::Suspended) => Ok(AuthorizationStatus::Suspended),
        Ok(pb::AuthorizationStatus::Revoked) => {
            Err("use RevokeAuthorization to revoke an authorization".into())
        }
        _ => Err(format!(
            "must be AUTHORIZATION_STATUS_ACTIVE or AUTHORIZATION_STATUS_SUSPENDED, got {}",
            as_written(parsed.ok(), value, pb::AuthorizationStatus::as_str_name)
        )),
    }
}

/// A member kind for the wire.
pub fn member_kind(kind: MemberKind) -> pb::MemberKind {
    match kind {
        MemberKind::BrandOwner => pb::MemberKind::BrandOwner,
        MemberKind::Platform => pb::MemberKind::Platform,
        MemberKind::Operator => pb::MemberKind::Operator,
    }
}

/// A trademark kind for the wire.
pub fn trademark_kind(kind: TrademarkKind) -> pb::TrademarkKind {
    match kind {
        TrademarkKind::Word => pb::TrademarkKind::Word,
        TrademarkKind::Figurative => pb::TrademarkKind::Figurative,
        TrademarkKind::Combined => pb::TrademarkKind::Combined,
    }
}

/// A trademark status for the wire.
pub fn trademark_status(status: TrademarkStatus) -> pb::TrademarkStatus {
    match status {
        TrademarkStatus::Registered => pb::TrademarkStatus::Registered,
        TrademarkStatus::Pending => pb::TrademarkStatus::Pending,
        TrademarkStatus::Expired => pb::TrademarkStatus::Expired,
        TrademarkStatus::Cancelled => pb::TrademarkStatus::Cancelled,
    }
}

/// A member for the wire.
pub fn member(m: &Member) -> pb::Member {
    pb::Member {
        name: format!("members/{}", m.id),
        display_name: m.display_name.clone(),
        kind: member_kind(m.kind) as i32,
        create_time: Some(timestamp(m.create_time)),
        etag: model::etag(m.update_revision),
    }
}

/// An API key's metadata for the wire (never its hash).
pub fn api_key(k: &ApiKey) -> pb::ApiKey {
    pb::ApiKey {
        name: format!("members/{}/apiKeys/{}", k.member, k.id),
        description: k.description.clone(),
        create_time: Some(timestamp(k.create_time)),
        revoke_time: k.revoke_time.map(timestamp),
    }
}

/// A brand for the wire.
pub fn brand(b: &Brand) -> pb::Brand {
    pb::Brand {
        name: format!("brands/{}", b.id),
        owner: format!("members/{}", b.owner),
        display_name: b.display_name.clone(),
        aliases: b.aliases.clone(),
        common_word: b.common_word,
        status: match b.status {
            BrandStatus::Active => pb::BrandStatus::Active,
            BrandStatus::Archived => pb::BrandStatus::Archived,
        } as i32,
        create_time: Some(timestamp(b.create_time)),
        update_time: Some(timestamp(b.update_time)),
        etag: model::etag(b.update_revision),
    }
}

/// A trademark for the wire.
pub fn trademark(t: &Trademark) -> pb::Trademark {
    pb::Trademark {
        name: format!("brands/{}/trademarks/{}", t.brand, t.id),
        office: t.office.as_str().to_string(),
        registration_number: t.registration_number.clone(),
        mark_text: t.mark_text.clone(),
        kind: trademark_kind(t.kind) as i32,
        nice_classes: t.nice_classes.iter().map(|c| i32::from(c.get())).collect(),
        status: trademark_status(t.status) as i32,
        registration_date: t.registration_date.map(date),
        expiry_date: t.expiry_date.map(date),
        designated_countries: t
            .designated_countries
            .iter()
            .map(|d| d.as_str().to_string())
            .collect(),
        territories: t
            .covered_territories()
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
        etag: model::etag(t.update_revision),
    }
}

/// A logo for the wire.
pub fn logo(l: &Logo) -> pb::Logo {
    pb::Logo {
        name: format!("brands/{}/logos/{}", l.brand, l.id),
        description: l.description.clone(),
        perceptual_hash: l.hash.to_hex(),
        image_sha256: l.image_sha256.map(hex::encode).unwrap_or_default(),
        create_time: Some(timestamp(l.create_time)),
    }
}

/// An authorization status for the wire.
pub fn authorization_status(s: AuthorizationStatus) -> pb::AuthorizationStatus {
    match s {
        AuthorizationStatus::Active => pb::AuthorizationStatus::Active,
        AuthorizationStatus::Suspended => pb::AuthorizationStatus::Suspended,
        AuthorizationStatus::Revoked => pb::AuthorizationStatus::Revoked,
    }
}

/// An authorization for the wire.
pub fn authorization(a: &Authorization) -> pb::Authorization {
    pb::Authorization {
        name: format!("brands/{}/authorizations/{}", a.brand, a.id),
        platform: format!("members/{}", a.platform),
        seller_account: a.seller_account.clone(),
        nice_classes: a.nice_classes.iter().map(|c| i32::from(c.get())).collect(),
        regions: a.regions.iter().map(|r| r.as_str().to_string()).collect(),
        valid_from: Some(timestamp(a.valid_from)),
        valid_until: a.valid_until.map(timestamp),
        status: authorization_status(a.status) as i32,
        reference: a.reference.clone(),
        create_time: Some(timestamp(a.create_time)),
        update_time: Some(timestamp(a.update_time)),
        etag: model::etag(a.update_revision),
    }
}

/// A resource's kind for the wire.
pub fn resource_kind(r: &model::Resource) -> pb::ResourceKind {
    match r {
        model::Resource::Member(_) => pb::ResourceKind::Member,
        model::Resource::ApiKey(_) => pb::ResourceKind::ApiKey,
        model::Resource::Brand(_) => pb::ResourceKind::Brand,
        model::Resource::Trademark(_) => pb::ResourceKind::Trademark,
        model::Resource::Logo(_) => pb::ResourceKind::Logo,
        model::Resource::Authorization(_) => pb::ResourceKind::Authorization,
    }
}

/// A resource state for the wire (API keys without their hash).
pub fn resource_state(r: &model::Resource) -> pb::ResourceState {
    use pb::resource_state::Resource as R;
    pb::ResourceState {
        resource: Some(match r {
            model::Resource::Member(m) => R::Member(member(m)),
            model::Resource::ApiKey(k) => R::ApiKey(api_key(k)),
            model::Resource::Brand(b) => R::Brand(brand(b)),
            model::Resource::Trademark(t) => R::Trademark(trademark(t)),
            model::Resource::Logo(l) => R::Logo(logo(l)),
            model::Resource::Authorization(a) => R::Authorization(authorization(a)),
        }),
    }
}

/// Most encoded bytes of changes in one wire [`pb::ChangeEvent`]: a revision
/// with more is sent as several parts (`continued`). 1 MiB leaves room under
/// the 4 MiB default receive limit of gRPC clients for the event's header,
/// for a Watch response around it, and for a few parts on one audit page.
pub const MAX_PART_BYTES: usize = 1 << 20;

/// One part of a change event for the wire: the changes `keep` accepts,
/// starting at `event.changes[from]`, as many as fit in `max_bytes` of
/// encoded changes (at least one). Returns the part and, when more changes
/// of the revision follow (the part is `continued`), the index in
/// `event.changes` where the next part starts; `None` when `keep` accepts no
/// change from `from` on, but for a revision that changed nothing (a write
/// with a request id that found nothing to change, recorded so that a retry
/// answers as the first call did), sent without changes where
/// `keep_unchanged`.
pub fn change_event_part(
    event: &model::ChangeEvent,
    from: usize,
    max_bytes: usize,
    keep: impl Fn(&model::Resource) -> bool,
    keep_unchanged: bool,
) -> Option<(pb::ChangeEvent, Option<usize>)> {
    let mut changes = Vec::new();
    let mut bytes = 0;
    let mut next = None;
    for (index, change) in event.changes.iter().enumerate().skip(from) {
        let Some(resource) = change.after.as_ref().or(change.before.as_ref()) else {
            continue;
        };
        if !keep(resource) {
            continue;
        }
        let change = pb::Change {
            name: resource.key().to_string(),
            kind: resource_kind(resource) as i32,
            before: change.before.as_ref().map(resource_state),
            after: change.after.as_ref().map(resource_state),
        };
        // As field 6 of the event: its key, its length, the message.
        let size = prost::encoding::message::encoded_len(6, &change);
        if !changes.is_empty() && bytes + size > max_bytes {
            // Stopped at a change that is kept: the next part is not empty.
            next = Some(index);
            break;
        }
        bytes += size;
        changes.push(change);
    }
    if changes.is_empty() && !(keep_unchanged && event.changes.is_empty()) {
        return None;
    }
    let (actor, api_key) = match &event.actor {
        model::Actor::System => (model::Actor::SYSTEM.to_string(), String::new()),
        model::Actor::Member { member, key } => (
            format!("members/{member}"),
            key.as_ref()
                .map(|key| format!("members/{member}/apiKeys/{key}"))
                .unwrap_or_default(),
        ),
    };
    let part = pb::ChangeEvent {
        revision: event.revision,
        commit_time: Some(timestamp(event.time)),
        actor,
        api_key,
        request_id: event.request_id.clone().unwrap_or_default(),
        changes,
        continued: next.is_some(),
    };
    Some((part, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refused enum value is named as the caller wrote it: by its name
    /// where it has one, by its number otherwise.
    #[test]
    fn a_refused_enum_value_is_named_as_written() {
        let refused = |e: Result<(), String>| e.expect_err("refused");
        assert!(
            refused(parse_member_kind(0).map(drop)).ends_with("got MEMBER_KIND_UNSPECIFIED"),
            "{}",
            refused(parse_member_kind(0).map(drop))
        );
        assert!(refused(parse_member_kind(99).map(drop)).ends_with("got 99"));
        assert!(
            refused(parse_trademark_kind(0).map(drop)).ends_with("got TRADEMARK_KIND_UNSPECIFIED")
        );
        assert!(
            refused(parse_trademark_status(0).map(drop))
                .ends_with("got TRADEMARK_STATUS_UNSPECIFIED")
        );
        assert!(refused(parse_trademark_status(-3).map(drop)).ends_with("got -3"));
        assert!(
            refused(parse_settable_authorization_status(0).map(drop))
                .ends_with("got AUTHORIZATION_STATUS_UNSPECIFIED")
        );
        assert!(refused(parse_settable_authorization_status(7).map(drop)).ends_with("got 7"));
    }
}

//! Declarative seed files: a whole registry (members, API keys, brands with
//! aliases, trademarks, logos and authorizations) in TOML, loaded in one
//! revision into an empty registry by `marque serve --seed FILE`.
//!
//! A seed is read at every start, and checked in two steps. Its syntax and
//! every value, with the same parsers as the API, always: a seed that does
//! not parse stops the server. The registry's rules on content (a logo's
//! detail, aliases that repeat a name once normalized, names and logos of
//! another owner's brand, names of another of the owner's brands), which
//! may tighten from one version to the next, only when the seed is loaded,
//! into an empty registry: a seed that is not loaded (the registry has
//! revisions) is not held to rules that came after it ([`Seed::refusals`],
//! [`Seed::commands`]). The format is documented in
//! `docs/seed.md`; `demo/seed.toml` is an example.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

use crate::{
    auth,
    detect::{BrandEntry, BrandIndex, LOGO_STRONG_DISTANCE},
    logo,
    model::{
        AuthorizationSpec, Command, Designation, LogoSource, Member, MemberKind, NiceClassSet,
        Office, Region, ResourceId, Slug, Timestamp, TrademarkKind, TrademarkSpec, TrademarkStatus,
        alias_repeats, check_mark_text,
        codes::bounded_text,
        entities::{has_a_letter_or_digit, no_letter_or_digit, registration_number_as_written},
        name_refusal,
    },
};

/// A parsed seed: the commands that build its registry, and what the
/// registry's rules refuse in it.
#[derive(Clone, Debug)]
pub struct Seed {
    /// The commands, in order, to run as one write.
    commands: Vec<Command>,
    /// What the registry's rules on content refuse, each naming its entry
    /// and field.
    refusals: Vec<String>,
    /// The file it was read from, if any ([`Seed::load`]).
    source: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    #[serde(default)]
    members: Vec<MemberRow>,
    #[serde(default)]
    brands: Vec<BrandRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberRow {
    id: String,
    display_name: String,
    kind: String,
    #[serde(default)]
    api_keys: Vec<KeyRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyRow {
    /// The whole secret (demo and development seeds only).
    secret: Option<String>,
    /// Or: the key id and the SHA-256 of the secret, in hex.
    id: Option<String>,
    sha256: Option<String>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BrandRow {
    id: String,
    owner: String,
    display_name: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    common_word: bool,
    #[serde(default)]
    trademarks: Vec<TrademarkRow>,
    #[serde(default)]
    logos: Vec<LogoRow>,
    #[serde(default)]
    authorizations: Vec<AuthorizationRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrademarkRow {
    office: String,
    registration_number: String,
    #[serde(default)]
    mark_text: String,
    kind: String,
    nice_classes: Vec<i32>,
    status: String,
    registration_date: Option<toml::value::Datetime>,
    expiry_date: Option<toml::value::Datetime>,
    #[serde(default)]
    designated_countries: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogoRow {
    #[serde(default)]
    description: String,
    /// A PNG/JPEG/WebP file, relative to the seed file.
    image: Option<PathBuf>,
    /// Or a perceptual hash, 16 hex digits.
    perceptual_hash: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorizationRow {
    platform: String,
    seller_account: String,
    #[serde(default)]
    nice_classes: Vec<i32>,
    #[serde(default)]
    regions: Vec<String>,
    valid_from: Option<toml::value::Datetime>,
    valid_until: Option<toml::value::Datetime>,
    #[serde(default)]
    reference: String,
}

impl Seed {
    /// Reads a seed file and checks its syntax and values; the registry's
    /// rules on content are checked by [`Seed::commands`].
    ///
    /// # Errors
    /// When the file cannot be read or parsed, or a value is invalid; the
    /// message names the entry and field.
    pub fn load(path: &Path) -> anyhow::Result<Seed> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read seed file {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut seed = Self::parse(&text, base)
            .with_context(|| format!("invalid seed file {}", path.display()))?;
        seed.source = Some(path.to_path_buf());
        Ok(seed)
    }

    /// Parses seed text; logo image paths are relative to `base`.
    ///
    /// # Errors
    /// When the text is not a valid seed: its syntax, or a value.
    pub fn parse(text: &str, base: &Path) -> anyhow::Result<Seed> {
        let file: SeedFile = toml::from_str(text).context("not valid seed TOML")?;
        let mut commands = Vec::new();
        let mut refusals = Vec::new();
        for (i, m) in file.members.iter().enumerate() {
            let at = format!("members[{i}]");
            let id = Slug::parse(&m.id).map_err(|e| anyhow::anyhow!("{at}.id: {e}"))?;
            Member::check_id(&id).map_err(|e| anyhow::anyhow!("{at}.id: {e}"))?;
            text_field(&m.display_name, 1, 200, &format!("{at}.display_name"))?;
            let kind = match m.kind.as_str() {
                "brand_owner" => MemberKind::BrandOwner,
                "platform" => MemberKind::Platform,
                "operator" => MemberKind::Operator,
                other => {
                    anyhow::bail!("{at}.kind: {other:?} must be brand_owner, platform or operator")
                }
            };
            commands.push(Command::CreateMember {
                id: id.clone(),
                display_name: m.display_name.clone(),
                kind,
            });
            for (k, key) in m.api_keys.iter().enumerate() {
                let at = format!("{at}.api_keys[{k}]");
                let (key_id, sha256) = match (&key.secret, &key.id, &key.sha256) {
                    (Some(secret), None, None) => (
                        auth::key_id_of(secret).with_context(|| {
                            format!("{at}.secret: not a Marque key (mq_{{id}}_{{64 hex digits}})")
                        })?,
                        auth::hash_secret(secret),
                    ),
                    (None, Some(key_id), Some(sha256)) => {
                        let key_id = ResourceId::parse(key_id)
                            .map_err(|e| anyhow::anyhow!("{at}.id: {e}"))?;
                        let bytes = hex::decode(sha256)
                            .ok()
                            .and_then(|b| <[u8; 32]>::try_from(b).ok())
                            .with_context(|| format!("{at}.sha256: expected 64 hex digits"))?;
                        (key_id, bytes)
                    }
                    _ => anyhow::bail!("{at}: give either `secret`, or `id` and `sha256`"),
                };
                text_field(&key.description, 0, 200, &format!("{at}.description"))?;
                commands.push(Command::CreateApiKey {
                    member: id.clone(),
                    id: key_id,
                    description: key.description.clone(),
                    secret_sha256: sha256,
                });
            }
        }
        let mut logos = Vec::new();
        for (i, b) in file.brands.iter().enumerate() {
            let brand = brand_commands(b, &format!("brands[{i}]"), base, &mut refusals)?;
            logos.extend(
                brand
                    .iter()
                    .filter_map(|c| match c {
                        Command::AddLogo { source, .. } => Some(source.hash.0),
                        _ => None,
                    })
                    .enumerate()
                    .map(|(l, hash)| (i, l, hash)),
            );
            commands.extend(brand);
        }
        names_not_shared(&file.brands, &mut refusals)?;
        logos_not_shared_across_owners(&file.brands, &logos, &mut refusals);
        Ok(Seed {
            commands,
            refusals,
            source: None,
        })
    }

    /// What the registry's rules on content refuse in this seed, each
    /// naming its entry and field (`brands[2].logos[0].perceptual_hash:
    /// the logo has too little detail…`): empty when it may be loaded.
    #[must_use]
    pub fn refusals(&self) -> &[String] {
        &self.refusals
    }

    /// The file the seed was read from, if it came from one.
    #[must_use]
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// The commands that load the seed into an empty registry, in order,
    /// as one write.
    ///
    /// # Errors
    /// When the registry's rules refuse something in the seed
    /// ([`Seed::refusals`]): the message names every entry.
    pub fn commands(&self) -> anyhow::Result<&[Command]> {
        let refused = match self.refusals.as_slice() {
            [] => return Ok(&self.commands),
            [one] => one.clone(),
            many => format!(
                "{} entries break the registry's rules: {}",
                many.len(),
                many.join("; ")
            ),
        };
        match &self.source {
            Some(path) => anyhow::bail!("seed file {}: {refused}", path.display()),
            None => anyhow::bail!("{refused}"),
        }
    }
}

/// A seed's brands are created in one write, so the registry's rule that a
/// name or alias may not declare another active brand once normalized
/// (`BRAND_FIELD` equality), whether another member's or one of the same
/// owner's (listings showing it would be checked against both), cannot
/// compare them with each other there: the seed compares them here, the
/// same way, through a detection index over its own brands (all active).
/// Each name that takes an earlier entry's is a refusal naming both
/// entries.
///
/// # Errors
/// When the index cannot be built.
fn names_not_shared(brands: &[BrandRow], refusals: &mut Vec<String>) -> anyhow::Result<()> {
    let names_of = |b: &BrandRow| -> Vec<(String, String)> {
        std::iter::once(("display_name".to_owned(), b.display_name.clone()))
            .chain(
                b.aliases
                    .iter()
                    .enumerate()
                    .map(|(a, alias)| (format!("aliases[{a}]"), alias.clone())),
            )
            .collect()
    };
    if brands.len() < 2 {
        return Ok(());
    }
    let index = BrandIndex::build(brands.iter().zip(0u32..).map(|(b, id)| BrandEntry {
        id,
        names: names_of(b).into_iter().map(|(_, name)| name).collect(),
        logos: Vec::new(),
        owner: 0,
        registered: 0,
    }))
    .context("cannot index the seed's brand names")?;
    let mut declared = Vec::new();
    for (i, b) in brands.iter().enumerate() {
        for (field, name) in names_of(b) {
            index.declared_brands(&name, &mut declared);
            // The later entry is the one that takes the name (a brand's
            // own names repeating each other are `alias_repeats`').
            let mut earlier = declared
                .iter()
                .filter(|&&(k, _)| (k as usize) < i)
                .filter_map(|&(k, _)| brands.get(k as usize).map(|o| (k, o)));
            // Another member's name is the graver mistake, named first, as
            // the API does.
            if let Some((k, other)) = earlier.clone().find(|(_, o)| o.owner != b.owner) {
                refusals.push(format!(
                    "brands[{i}].{field}: {name:?} is a name of brands[{k}] ({:?}), which \
                     another member ({:?}) owns",
                    other.id, other.owner
                ));
            } else if let Some((k, own)) = earlier.next() {
                refusals.push(format!(
                    "brands[{i}].{field}: {name:?} is a name of brands[{k}] ({:?}), another \
                     brand of the same owner ({:?}): listings showing it would be checked \
                     against both; give it to one of them",
                    own.id, own.owner
                ));
            }
        }
    }
    Ok(())
}

/// The same for logos (`(brand entry, logo entry, hash)`): a logo within
/// [`LOGO_STRONG_DISTANCE`] bits of an earlier entry's logo of another
/// owner is refused, as the registry refuses it in a write.
fn logos_not_shared_across_owners(
    brands: &[BrandRow],
    logos: &[(usize, usize, u64)],
    refusals: &mut Vec<String>,
) {
    for (n, &(i, l, hash)) in logos.iter().enumerate() {
        let taken = logos[..n].iter().find(|&&(k, _, other)| {
            brands[k].owner != brands[i].owner
                && (hash ^ other).count_ones() <= LOGO_STRONG_DISTANCE
        });
        if let Some(&(k, m, other)) = taken {
            refusals.push(format!(
                "brands[{i}].logos[{l}]: {hash:016x} is within {LOGO_STRONG_DISTANCE} bits of \
                 brands[{k}].logos[{m}] ({other:016x}) of {:?}, which another member ({:?}) owns",
                brands[k].id, brands[k].owner
            ));
        }
    }
}

fn text_field(value: &str, min: usize, max: usize, at: &str) -> anyhow::Result<()> {
    bounded_text(value, min, max).map_err(|e| anyhow::anyhow!("{at}: {e}"))
}

/// A brand entry's commands; what the registry's rules on content refuse
/// in it goes to `refusals`.
fn brand_commands(
    b: &BrandRow,
    at: &str,
    base: &Path,
    refusals: &mut Vec<String>,
) -> anyhow::Result<Vec<Command>> {
    let id = Slug::parse(&b.id).map_err(|e| anyhow::anyhow!("{at}.id: {e}"))?;
    let owner = Slug::parse(&b.owner).map_err(|e| anyhow::anyhow!("{at}.owner: {e}"))?;
    text_field(&b.display_name, 1, 200, &format!("{at}.display_name"))?;
    for (a, alias) in b.aliases.iter().enumerate() {
        text_field(alias, 1, 100, &format!("{at}.aliases[{a}]"))?;
    }
    // A name of HTML, or of no letter or digit, is refused (the API's
    // rule).
    let names = std::iter::once((format!("{at}.display_name"), &b.display_name)).chain(
        b.aliases
            .iter()
            .enumerate()
            .map(|(a, alias)| (format!("{at}.aliases[{a}]"), alias)),
    );
    for (field, name) in names {
        if let Some(refusal) = name_refusal(name) {
            refusals.push(format!("{field}: {refusal}"));
        }
    }
    // Names once normalized as listings are: aliases unique, none the
    // display name (the API's rule).
    let field = format!("{at}.aliases");
    for (a, repeat) in alias_repeats(Some(&b.display_name), &b.aliases) {
        refusals.push(format!(
            "{field}[{a}]: {}",
            repeat.describe(&b.aliases[a], &b.display_name, &field)
        ));
    }
    let mut commands = vec![Command::CreateBrand {
        id: id.clone(),
        owner,
        display_name: b.display_name.clone(),
        aliases: b.aliases.clone(),
        common_word: b.common_word,
    }];
    for (t, tm) in b.trademarks.iter().enumerate() {
        let at = format!("{at}.trademarks[{t}]");
        let office = Office::parse(&tm.office).map_err(|e| anyhow::anyhow!("{at}.office: {e}"))?;
        // `EM` is the EU as one, `BX` and `OA` stand for their member
        // states, as in the API.
        let designated = region_list(
            &tm.designated_countries,
            &format!("{at}.designated_countries"),
            Designation::parse,
            true,
        )?;
        let territories = office
            .territories(&designated)
            .map_err(|e| anyhow::anyhow!("{at}.designated_countries: {e}"))?;
        let nice_classes = NiceClassSet::parse_list(&tm.nice_classes)
            .map_err(|e| anyhow::anyhow!("{at}.nice_classes: {e}"))?;
        anyhow::ensure!(
            !nice_classes.is_empty(),
            "{at}.nice_classes: at least one class"
        );
        let kind = match tm.kind.as_str() {
            "word" => TrademarkKind::Word,
            "figurative" => TrademarkKind::Figurative,
            "combined" => TrademarkKind::Combined,
            other => anyhow::bail!("{at}.kind: {other:?} must be word, figurative or combined"),
        };
        let status = match tm.status.as_str() {
            "registered" => TrademarkStatus::Registered,
            "pending" => TrademarkStatus::Pending,
            "expired" => TrademarkStatus::Expired,
            "cancelled" => TrademarkStatus::Cancelled,
            other => anyhow::bail!(
                "{at}.status: {other:?} must be registered, pending, expired or cancelled"
            ),
        };
        // A number of separators only was accepted before: a rule on
        // content, held to a seed only when it is loaded.
        let registration_number = registration_number_as_written(&tm.registration_number)
            .map_err(|e| anyhow::anyhow!("{at}.registration_number: {e}"))?;
        if !has_a_letter_or_digit(&registration_number) {
            refusals.push(format!(
                "{at}.registration_number: {}",
                no_letter_or_digit(&tm.registration_number)
            ));
        }
        if let Err(e) = check_mark_text(kind, &tm.mark_text) {
            refusals.push(format!("{at}.mark_text: {e}"));
        }
        commands.push(Command::AddTrademark {
            brand: id.clone(),
            id: ResourceId::generate(),
            spec: TrademarkSpec {
                office,
                registration_number,
                mark_text: tm.mark_text.clone(),
                kind,
                nice_classes,
                status,
                registration_date: tm
                    .registration_date
                    .as_ref()
                    .map(|d| date(d, &format!("{at}.registration_date")))
                    .transpose()?,
                expiry_date: tm
                    .expiry_date
                    .as_ref()
                    .map(|d| date(d, &format!("{at}.expiry_date")))
                    .transpose()?,
                designated_countries: designated,
                territories,
            },
        });
    }
    for (l, row) in b.logos.iter().enumerate() {
        let at = format!("{at}.logos[{l}]");
        let (source, field) = match (&row.image, &row.perceptual_hash) {
            (Some(image), None) => {
                let path = base.join(image);
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("{at}.image: cannot read {}", path.display()))?;
                let hashed =
                    logo::hash_image(&bytes).map_err(|e| anyhow::anyhow!("{at}.image: {e}"))?;
                let source = LogoSource {
                    hash: hashed.hash,
                    image_sha256: Some(hashed.sha256),
                };
                (source, "image")
            }
            (None, Some(hex)) => {
                let source = LogoSource {
                    hash: logo::LogoHash::parse_hex(hex)
                        .map_err(|e| anyhow::anyhow!("{at}.perceptual_hash: {e}"))?,
                    image_sha256: None,
                };
                (source, "perceptual_hash")
            }
            _ => anyhow::bail!("{at}: give either `image` or `perceptual_hash`"),
        };
        if let Err(e) = source.hash.registrable() {
            refusals.push(format!("{at}.{field}: {e}"));
        }
        commands.push(Command::AddLogo {
            brand: id.clone(),
            id: ResourceId::generate(),
            description: row.description.clone(),
            source,
        });
    }
    for (a, row) in b.authorizations.iter().enumerate() {
        let at = format!("{at}.authorizations[{a}]");
        let platform =
            Slug::parse(&row.platform).map_err(|e| anyhow::anyhow!("{at}.platform: {e}"))?;
        let seller_account = crate::model::codes::seller_account(&row.seller_account, 1)
            .map_err(|e| anyhow::anyhow!("{at}.seller_account: {e}"))?;
        commands.push(Command::AuthorizeSeller {
            brand: id.clone(),
            id: ResourceId::generate(),
            spec: AuthorizationSpec {
                platform,
                seller_account,
                nice_classes: NiceClassSet::parse_list(&row.nice_classes)
                    .map_err(|e| anyhow::anyhow!("{at}.nice_classes: {e}"))?,
                regions: regions(&row.regions, &format!("{at}.regions"))?,
                valid_from: row
                    .valid_from
                    .as_ref()
                    .map(|d| instant(d, &format!("{at}.valid_from")))
                    .transpose()?,
                valid_until: row
                    .valid_until
                    .as_ref()
                    .map(|d| instant(d, &format!("{at}.valid_until")))
                    .transpose()?,
                reference: row.reference.clone(),
            },
        });
    }
    Ok(commands)
}

fn regions(values: &[String], at: &str) -> anyhow::Result<Vec<Region>> {
    region_list(values, at, Region::parse, false)
}

/// Regions (or designations), each once, sorted; with `groups`, `BX` and
/// `OA` stand for their member states ([`Office::designated_members`]).
fn region_list<T>(
    values: &[String],
    at: &str,
    parse: fn(&str) -> Result<T, String>,
    groups: bool,
) -> anyhow::Result<Vec<T>>
where
    T: Copy + Ord + From<Region> + std::fmt::Display,
{
    let mut out = Vec::new();
    let mut members: Vec<T> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        if let Some(group) = Office::designated_members(v).filter(|_| groups) {
            members.extend(group.iter().map(|&member| T::from(member)));
            continue;
        }
        let entry = parse(v).map_err(|e| anyhow::anyhow!("{at}[{i}]: {e}"))?;
        anyhow::ensure!(!out.contains(&entry), "{at}[{i}]: {entry} is listed twice");
        out.push(entry);
    }
    out.extend(members);
    out.sort();
    out.dedup();
    Ok(out)
}

fn date(value: &toml::value::Datetime, at: &str) -> anyhow::Result<time::Date> {
    let d = value
        .date
        .filter(|_| value.time.is_none())
        .with_context(|| format!("{at}: expected a date like 2031-05-04"))?;
    let month = time::Month::try_from(d.month).map_err(|e| anyhow::anyhow!("{at}: {e}"))?;
    time::Date::from_calendar_date(i32::from(d.year), month, d.day)
        .map_err(|e| anyhow::anyhow!("{at}: {e}"))
}

fn instant(value: &toml::value::Datetime, at: &str) -> anyhow::Result<Timestamp> {
    if value.time.is_none() {
        // A bare date means midnight UTC.
        return Ok(date(value, at)?.midnight().assume_utc());
    }
    anyhow::ensure!(
        value.offset.is_some(),
        "{at}: give a UTC offset (2025-01-01T00:00:00Z) or a bare date"
    );
    Timestamp::parse(
        &value.to_string(),
        &time::format_description::well_known::Rfc3339,
    )
    .map_err(|e| anyhow::anyhow!("{at}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What parsing `seed`, then loading it, says is wrong with it, or
    /// nothing.
    fn parse_error(seed: &str) -> String {
        match Seed::parse(seed, Path::new(".")).and_then(|seed| seed.commands().map(drop)) {
            Ok(()) => String::new(),
            Err(e) => format!("{e:#}"),
        }
    }

    /// Two brand owners, `maison` and `rival`.
    const TWO_OWNERS: &str = "[[members]]\nid = \"maison\"\ndisplay_name = \"M\"\nkind = \"brand_owner\"\n\
         [[members]]\nid = \"rival\"\ndisplay_name = \"R\"\nkind = \"brand_owner\"\n";

    /// One brand owner, `maison`, and its brand `aurelle` (more of the
    /// brand's keys, or its trademarks, may follow).
    const AURELLE: &str = "[[members]]\nid = \"maison\"\ndisplay_name = \"M\"\nkind = \"brand_owner\"\n\
         [[brands]]\nid = \"aurelle\"\nowner = \"maison\"\ndisplay_name = \"Aurelle\"\n";

    #[test]
    fn seed_aliases_are_unique_and_not_the_display_name_once_normalized() {
        let brand = |aliases: &str| format!("{AURELLE}aliases = [{aliases}]\n");
        let error = |aliases: &str| parse_error(&brand(aliases));
        assert_eq!(
            error("\"奥瑞尔\", \"AURELLE\""),
            "brands[0].aliases[1]: \"AURELLE\" repeats the display name \"Aurelle\" once normalized"
        );
        assert_eq!(
            error("\"Aurelle Paris\", \"奥瑞尔\", \"AURELLE PARIS\""),
            "brands[0].aliases[2]: \"AURELLE PARIS\" repeats brands[0].aliases[0] once normalized"
        );
        assert_eq!(error("\"Aurelle Paris\", \"奥瑞尔\""), "");
        // Nor a name of no letter or digit, as the API refuses it.
        assert_eq!(
            error("\"Aurelle Paris\", \"!!\", \"??\""),
            "2 entries break the registry's rules: \
             brands[0].aliases[1]: \"!!\" has no letter or digit: it could never match a listing; \
             brands[0].aliases[2]: \"??\" has no letter or digit: it could never match a listing"
        );
        // Nor a name written in HTML.
        assert_eq!(
            error("\"Aur&#101;lle Paris\""),
            "brands[0].aliases[0]: \"Aur&#101;lle Paris\" is HTML, shown as \"Aurelle Paris\": \
             write the name as it is shown, without tags or character references"
        );
    }

    /// A seed's registration numbers follow the API's rule: what the API
    /// refuses, a seed may not load either.
    #[test]
    fn seed_registration_numbers_follow_the_apis_rule() {
        let seed = |number: &str| {
            format!(
                "{AURELLE}\
                 [[brands.trademarks]]\noffice = \"EM\"\nregistration_number = \"{number}\"\n\
                 mark_text = \"AURELLE\"\nkind = \"word\"\nnice_classes = [14]\n\
                 status = \"registered\"\n"
            )
        };
        for bad in [
            "",
            "   ",
            "018<script>",
            "A\\nB",
            "0123456789012345678901234567890123456789X",
        ] {
            let e = parse_error(&seed(bad));
            assert!(
                e.starts_with("brands[0].trademarks[0].registration_number: ")
                    && e.contains("letters, digits, spaces and -/."),
                "{bad:?}: {e}"
            );
        }
        // Numbers are told apart by their letters and digits: one without
        // any is no number. A rule on content, added after such numbers were
        // accepted: a refusal, so a seed the registry skips still reads
        // (and its refusal is logged), and one it would load is refused.
        for bad in ["---", "...", "/", "- -"] {
            let e = parse_error(&seed(bad));
            let refusal = format!(
                "brands[0].trademarks[0].registration_number: {} has no letter or \
                 digit: registration numbers are compared by their letters and digits",
                crate::model::quote(bad)
            );
            assert_eq!(e, refusal, "{bad:?}");
            let read = Seed::parse(&seed(bad), Path::new(".")).expect("the seed reads");
            assert_eq!(read.refusals(), [refusal], "{bad:?}");
        }
        for good in [" 018/123.456 ", "uk00003123456", "2019 - 0042"] {
            assert_eq!(parse_error(&seed(good)), "", "{good:?}");
        }
        let text = seed(" uk00003123456 ");
        let numbers: Vec<String> = Seed::parse(&text, Path::new("."))
            .expect("seed")
            .commands()
            .expect("commands")
            .iter()
            .filter_map(|c| match c {
                Command::AddTrademark { spec, .. } => Some(spec.registration_number.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(numbers, ["UK00003123456"]);
    }

    /// A WORD or COMBINED mark needs its words, as through the API; a
    /// FIGURATIVE one may have none.
    #[test]
    fn seed_word_marks_need_their_text() {
        let seed = |kind: &str, text: &str| {
            format!(
                "{AURELLE}\
                 [[brands.trademarks]]\noffice = \"EM\"\nregistration_number = \"018\"\n\
                 mark_text = \"{text}\"\nkind = \"{kind}\"\nnice_classes = [14]\n\
                 status = \"registered\"\n"
            )
        };
        for (kind, name) in [("word", "WORD"), ("combined", "COMBINED")] {
            // TOML escapes: a zero-width space and a Hangul filler.
            for text in ["", "  ", "\\u200b", "\\u3164", "-"] {
                assert_eq!(
                    parse_error(&seed(kind, text)),
                    format!(
                        "brands[0].trademarks[0].mark_text: a {name} mark needs its \
                         mark_text, the words as registered"
                    ),
                    "{kind} {text:?}"
                );
            }
            assert_eq!(parse_error(&seed(kind, "AURELLE")), "", "{kind}");
        }
        assert_eq!(parse_error(&seed("figurative", "")), "");
    }

    #[test]
    fn a_seed_madrid_mark_may_designate_the_eu_as_one() {
        let text = format!(
            "{AURELLE}\
             [[brands.trademarks]]\noffice = \"WO\"\nregistration_number = \"1234567\"\n\
             mark_text = \"AURELLE\"\nkind = \"word\"\nnice_classes = [14]\n\
             status = \"registered\"\ndesignated_countries = [\"JP\", \"EM\"]\n"
        );
        let seed = Seed::parse(&text, Path::new(".")).expect("seed");
        let spec = seed
            .commands()
            .expect("commands")
            .iter()
            .find_map(|c| match c {
                Command::AddTrademark { spec, .. } => Some(spec),
                _ => None,
            })
            .expect("a trademark");
        assert_eq!(spec.territories.len(), 28, "{spec:?}");
        // The EU stays one designation: an EU trade mark, not 27 national
        // ones.
        assert_eq!(
            spec.designated_countries,
            [
                Designation::EuropeanUnion,
                Designation::Country(Region::parse("JP").expect("JP"))
            ]
        );
    }

    #[test]
    fn a_seed_brand_may_not_take_another_owners_name() {
        let seed = |second_aliases: &str, second_owner: &str| {
            format!(
                "{TWO_OWNERS}\
                 [[brands]]\nid = \"aurelle\"\nowner = \"maison\"\ndisplay_name = \"Aurelle\"\n\
                 aliases = [\"奥瑞尔\"]\n\
                 [[brands]]\nid = \"kestrel\"\nowner = \"{second_owner}\"\n\
                 display_name = \"Kestrel\"\naliases = [{second_aliases}]\n"
            )
        };
        let error = |aliases: &str, owner: &str| parse_error(&seed(aliases, owner));
        // Equal once normalized as a declared brand is: case, separators,
        // look-alike letters (a Cyrillic `е`).
        for taken in ["\"AUR-ELLE\"", "\"Aurеlle\"", "\"Kes\", \"奥瑞尔\""] {
            let e = error(taken, "rival");
            assert!(
                e.contains(
                    "is a name of brands[0] (\"aurelle\"), which another member (\"maison\") owns"
                ),
                "{taken}: {e}"
            );
            assert!(
                e.starts_with("brands[0].") || e.starts_with("brands[1].aliases["),
                "{e}"
            );
        }
        // Nor may the same owner, as through the API; a name that only
        // contains another may.
        let e = error("\"AURELLE\"", "maison");
        assert!(
            e.starts_with(
                "brands[1].aliases[0]: \"AURELLE\" is a name of brands[0] (\"aurelle\"), \
                 another brand of the same owner (\"maison\")"
            ),
            "{e}"
        );
        assert_eq!(error("\"Aurelle Sport\"", "rival"), "");
        assert_eq!(error("\"Aurelle Sport\"", "maison"), "");
    }

    /// Nor may the same owner give two of its brands one name, as the API
    /// refuses it: listings showing it would be checked against both.
    #[test]
    fn a_seed_brand_may_not_take_a_name_of_another_brand_of_its_owner() {
        let seed = |second: &str| {
            format!(
                "{AURELLE}\
                 [[brands]]\nid = \"kestrel\"\nowner = \"maison\"\n{second}\n"
            )
        };
        assert_eq!(
            parse_error(&seed("display_name = \"Kestrel\"\naliases = [\"AURELLE\"]")),
            "brands[1].aliases[0]: \"AURELLE\" is a name of brands[0] (\"aurelle\"), another \
             brand of the same owner (\"maison\"): listings showing it would be checked \
             against both; give it to one of them"
        );
        let e = parse_error(&seed("display_name = \"Aur-elle\""));
        assert!(
            e.starts_with(
                "brands[1].display_name: \"Aur-elle\" is a name of brands[0] (\"aurelle\")"
            ),
            "{e}"
        );
        // A rule on content: the seed reads, and is refused when loaded.
        let read = Seed::parse(&seed("display_name = \"AURELLE\""), Path::new("."))
            .expect("the seed reads");
        assert_eq!(read.refusals().len(), 1, "{:?}", read.refusals());
        assert_eq!(parse_error(&seed("display_name = \"Kestrel\"")), "");
    }

    #[test]
    fn a_seed_brand_may_not_take_another_owners_logo() {
        let seed = |second_hash: &str, second_owner: &str| {
            format!(
                "{TWO_OWNERS}\
                 [[brands]]\nid = \"aurelle\"\nowner = \"maison\"\ndisplay_name = \"Aurelle\"\n\
                 [[brands.logos]]\nperceptual_hash = \"f0f0e1e1c3c38787\"\n\
                 [[brands]]\nid = \"kestrel\"\nowner = \"{second_owner}\"\n\
                 display_name = \"Kestrel\"\n\
                 [[brands.logos]]\nperceptual_hash = \"0ff00ff00ff00ff0\"\n\
                 [[brands.logos]]\nperceptual_hash = \"{second_hash}\"\n"
            )
        };
        let error = |hash: &str, owner: &str| parse_error(&seed(hash, owner));
        // A bit from the first brand's logo: strong evidence of it.
        assert_eq!(
            error("f0f0e1e1c3c3878f", "rival"),
            "brands[1].logos[1]: f0f0e1e1c3c3878f is within 4 bits of brands[0].logos[0] \
             (f0f0e1e1c3c38787) of \"aurelle\", which another member (\"maison\") owns"
        );
        for (hash, bits) in [("f0f0e0e1c3c3870f", 3), ("f0f0e0e0c3c3870f", 4)] {
            let e = error(hash, "rival");
            assert!(
                e.starts_with(&format!("brands[1].logos[1]: {hash} is within 4 bits")),
                "{bits} bits: {e}"
            );
        }
        assert_eq!(
            error("f0f0e0e0c2c3870f", "rival"),
            "",
            "five bits: a weak match"
        );
        assert_eq!(error("f0f0e1e1c3c38787", "maison"), "", "the same owner");
    }

    #[test]
    fn the_repository_seeds_load() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for seed in ["demo/seed.toml", "tests/data/corpus-registry.toml"] {
            let loaded = Seed::load(&root.join(seed)).and_then(|seed| seed.commands().map(drop));
            if let Err(e) = loaded {
                panic!("{seed}: {e:#}");
            }
        }
    }

    /// A brand of `maison` with `logos` (TOML tables' bodies).
    fn brand_with_logos(logos: &[&str]) -> String {
        let mut seed = String::from(
            "[[members]]\nid = \"maison\"\ndisplay_name = \"M\"\nkind = \"brand_owner\"\n\
             [[brands]]\nid = \"aurelle\"\nowner = \"maison\"\ndisplay_name = \"Aurelle\"\n",
        );
        for logo in logos {
            seed.push_str(&format!("[[brands.logos]]\n{logo}\n"));
        }
        seed
    }

    #[test]
    fn the_registry_rules_hold_a_seed_when_it_is_loaded_and_its_syntax_always() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let plain = image::RgbImage::from_pixel(64, 48, image::Rgb([90, 120, 30]));
        plain
            .save(dir.path().join("plain.png"))
            .expect("write a PNG");
        std::fs::write(dir.path().join("not-an-image.png"), b"GIF89a").expect("write");
        let parse = |logos: &[&str]| Seed::parse(&brand_with_logos(logos), dir.path());

        // Too little detail: blank (3 bits set), a smooth gradient (59),
        // a plain image. The seed reads; loading it is refused, naming
        // every logo.
        let seed = parse(&[
            "perceptual_hash = \"0000000000000007\"",
            "perceptual_hash = \"f0f0e1e1c3c38787\"",
            "perceptual_hash = \"ffffffffffffffe0\"",
            "image = \"plain.png\"",
        ])
        .expect("the seed's syntax and values are valid");
        let refusals = seed.refusals();
        assert_eq!(refusals.len(), 3, "{refusals:?}");
        for (refusal, at) in refusals.iter().zip([
            "brands[0].logos[0].perceptual_hash: ",
            "brands[0].logos[2].perceptual_hash: ",
            "brands[0].logos[3].image: ",
        ]) {
            assert!(refusal.starts_with(at), "{refusal}");
            assert!(refusal.contains("too little detail"), "{refusal}");
        }
        let error = format!("{:#}", seed.commands().expect_err("refused"));
        assert!(
            error.starts_with("3 entries break the registry's rules: brands[0].logos[0]."),
            "{error}"
        );
        for refusal in refusals {
            assert!(error.contains(refusal.as_str()), "{error}");
        }

        // One refusal is the message itself.
        let seed = parse(&["perceptual_hash = \"0000000000000007\""]).expect("parses");
        let error = format!("{:#}", seed.commands().expect_err("refused"));
        assert_eq!(error, seed.refusals()[0]);

        // Read from a file, the error names it.
        let file = dir.path().join("refused-seed.toml");
        std::fs::write(
            &file,
            brand_with_logos(&["perceptual_hash = \"0000000000000007\""]),
        )
        .expect("write");
        let seed = Seed::load(&file).expect("the seed reads");
        assert_eq!(seed.source(), Some(file.as_path()));
        let error = format!("{:#}", seed.commands().expect_err("refused"));
        assert_eq!(
            error,
            format!("seed file {}: {}", file.display(), seed.refusals()[0])
        );

        // A logo with detail enough loads.
        let seed = parse(&["perceptual_hash = \"f0f0e1e1c3c38787\""]).expect("parses");
        assert!(seed.refusals().is_empty());
        assert_eq!(seed.commands().expect("loads").len(), 3);

        // Syntax and values are checked whether or not the seed is loaded.
        for (logo, at) in [
            (
                "perceptual_hash = \"00000000000007\"",
                "logos[0].perceptual_hash: invalid",
            ),
            (
                "image = \"not-an-image.png\"",
                "logos[0].image: unsupported image format",
            ),
            ("image = \"missing.png\"", "logos[0].image: cannot read"),
            ("hash = \"0000000000000007\"", "unknown field `hash`"),
        ] {
            let error = format!("{:#}", parse(&[logo]).expect_err(logo));
            assert!(error.contains(at), "{logo}: {error}");
        }
    }

    #[test]
    fn a_seed_member_may_not_take_a_reserved_id() {
        let seed = "[[members]]\nid = \"system\"\ndisplay_name = \"S\"\nkind = \"platform\"\n";
        let Err(error) = Seed::parse(seed, Path::new(".")) else {
            panic!("a member called system was accepted");
        };
        assert!(
            format!("{error:#}").contains("members[0].id: \"system\" is reserved"),
            "{error:#}"
        );
    }
}

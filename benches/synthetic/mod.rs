//! The deterministic synthetic registry the benchmarks share (seeded
//! `StdRng`: every run builds the same data).
//!
//! - [`registry`]: brands as the detection index sees them: pronounceable
//!   5–12 letter names, aliases (other names, two-word names, CJK), logo
//!   hashes.
//! - [`titles`] / [`listing_titles`]: listing titles of about 120 bytes,
//!   half of them mentioning a brand (exact, obfuscated or misspelt), one in
//!   ten in Chinese.
//! - [`resources`]: the full registry around those brands as `Resource`s for
//!   `Snapshot::from_resources`: an operator, brand owners and platforms;
//!   brands (a few flagged `common_word`), 1–4 trademarks each with Nice
//!   classes, territories and expiry dates (most brands in scope at [`at`]
//!   in most of the markets listings come from), logos,
//!   and seller authorizations with realistic seller account ids, classes,
//!   regions, validity windows and some suspended or revoked.
//! - [`listings`]: a listing per title, with a seller that is, for some of
//!   the titles that mention a brand, one that brand authorized.
//!
//! Each bench uses part of it.
#![allow(dead_code)]

use std::sync::Arc;

use marque::detect::BrandEntry;
use marque::listing::Listing;
use marque::logo::LogoHash;
use marque::model::{
    Authorization, AuthorizationStatus, Brand, BrandStatus, Date, Designation, Logo, Member,
    MemberKind, NiceClass, NiceClassSet, Office, Region, Resource, ResourceId, Revision, Slug,
    Timestamp, Trademark, TrademarkKind, TrademarkStatus,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use time::macros::datetime;
use time::{Duration, Month};

/// Which of `count` brands the `i`th write of a benchmark's stream of
/// writes changes: every 7,919th (a prime), spread over the registry.
pub fn changed(i: usize, count: usize) -> usize {
    i * 7_919 % count.max(1)
}

/// The alias the `i`th brand write adds to a brand shown as `display_name`.
pub fn added_alias(display_name: &str, i: usize) -> String {
    format!("{display_name} Paris {i}")
}

/// How big a registry to make.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Brands.
    pub brands: usize,
    /// Aliases spread over them.
    pub aliases: usize,
    /// Logos (one per brand for every `brands / logos` brands).
    pub logos: usize,
    /// Listing titles.
    pub titles: usize,
    /// Seller authorizations.
    pub authorizations: usize,
}

/// The registry the benchmarks measure.
pub const FULL: Sizes = Sizes {
    brands: 100_000,
    aliases: 300_000,
    logos: 10_000,
    titles: 1_000,
    authorizations: 1_000_000,
};

/// A small registry for smoke runs (`cargo test --benches`).
pub const SMOKE: Sizes = Sizes {
    brands: 1_000,
    aliases: 3_000,
    logos: 100,
    titles: 100,
    authorizations: 10_000,
};

/// Whether the process was started to benchmark (`cargo bench` passes
/// `--bench`; `cargo test --benches` does not, and then benches run a smoke
/// version so they cannot rot).
pub fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Target length of a title, in bytes.
pub const TITLE_BYTES: usize = 120;

const ONSETS: &[&str] = &[
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br",
    "ch", "cl", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "st", "tr", "th", "qu",
];
const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"];
const CODAS: &[&str] = &["", "", "", "n", "r", "s", "l", "x", "nd", "rt"];
const HAN: &str = "卡地亚万宝龙路易威登古驰香奈儿爱马仕普拉达巴宝莉范思哲欧米茄浪琴劳力士蒂芙尼宝格丽施华洛世奇迪奥纪梵希芬迪菲拉格慕";
const WORDS: &[&str] = &[
    "new",
    "women's",
    "men's",
    "leather",
    "handbag",
    "genuine",
    "watch",
    "stainless",
    "steel",
    "luxury",
    "gift",
    "box",
    "size",
    "black",
    "white",
    "2024",
    "authentic",
    "vintage",
    "crossbody",
    "shoulder",
    "strap",
    "wallet",
    "ring",
    "gold",
    "silver",
    "plated",
    "sterling",
    "925",
    "necklace",
    "pendant",
    "bracelet",
    "quartz",
    "automatic",
    "sapphire",
    "crystal",
    "dial",
    "classic",
    "limited",
    "edition",
    "with",
    "and",
    "for",
    "case",
    "cover",
    "premium",
    "quality",
    "original",
    "sunglasses",
    "polarized",
    "UV400",
    "pen",
    "fountain",
    "ballpoint",
    "perfume",
    "100ml",
    "eau",
    "de",
    "parfum",
    "spray",
    "sneakers",
    "running",
    "shoes",
    "US",
    "9",
    "-",
    "|",
    "free",
    "shipping",
];
const CN_WORDS: &[&str] = &[
    "正品",
    "女士",
    "手提包",
    "真皮",
    "手表",
    "男士",
    "新款",
    "包邮",
    "限量",
    "礼盒",
    "钢笔",
    "香水",
];

/// A pronounceable capitalized name of `min..=max` letters.
pub fn name(rng: &mut StdRng, min: usize, max: usize) -> String {
    let target = rng.gen_range(min..=max);
    loop {
        let mut s = String::new();
        while s.len() < target {
            s.push_str(ONSETS[rng.gen_range(0..ONSETS.len())]);
            s.push_str(VOWELS[rng.gen_range(0..VOWELS.len())]);
            if rng.gen_bool(0.3) {
                s.push_str(CODAS[rng.gen_range(0..CODAS.len())]);
            }
        }
        s.truncate(target);
        if s.len() >= min {
            let mut c = s.chars();
            return c
                .next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default();
        }
    }
}

fn han(rng: &mut StdRng, n: usize) -> String {
    let chars: Vec<char> = HAN.chars().collect();
    (0..n)
        .map(|_| chars[rng.gen_range(0..chars.len())])
        .collect()
}

/// The brands as the detection index sees them: entry `i` has id `i`, its
/// display name first, then its aliases.
pub fn registry(sizes: Sizes) -> Vec<BrandEntry> {
    let mut rng = StdRng::seed_from_u64(0x4D41_5251_5545);
    let mut brands: Vec<BrandEntry> = (0..sizes.brands)
        .map(|i| BrandEntry {
            id: i as u32,
            names: vec![name(&mut rng, 5, 12)],
            logos: Vec::new(),
            // Every brand its own owner: no name hides another's.
            owner: i as u32,
            registered: 0,
        })
        .collect();
    for _ in 0..sizes.aliases {
        let b = rng.gen_range(0..sizes.brands);
        let alias = match rng.gen_range(0..10) {
            0..=3 => name(&mut rng, 5, 12),
            4..=6 => format!("{} {}", brands[b].names[0], name(&mut rng, 4, 7)),
            _ => {
                let n = rng.gen_range(2..=4);
                han(&mut rng, n)
            }
        };
        brands[b].names.push(alias);
    }
    for i in 0..sizes.logos {
        brands[i * (sizes.brands / sizes.logos)]
            .logos
            .push(rng.r#gen());
    }
    brands
}

fn obfuscate(rng: &mut StdRng, name: &str) -> String {
    match rng.gen_range(0..4) {
        0 => name
            .replacen('a', "4", 1)
            .replacen('o', "0", 1)
            .replacen('e', "3", 1),
        1 => name
            .chars()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join("."),
        2 => name.replacen('a', "а", 1).replacen('o', "о", 1), // Cyrillic
        _ => {
            let mid = name.len() / 2;
            format!("{}\u{200B}{}", &name[..mid], &name[mid..])
        }
    }
}

fn misspell(rng: &mut StdRng, name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    let i = rng.gen_range(1..chars.len());
    match rng.gen_range(0..3) {
        0 => chars.insert(i, chars[i - 1]),
        1 => {
            chars.remove(i);
        }
        _ => chars[i] = 'q',
    }
    chars.into_iter().collect()
}

/// How a title shows its brand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mention {
    /// The display name as registered.
    Exact,
    /// One of the brand's names or aliases (the display name included).
    Alias,
    /// The display name obfuscated (leetspeak, separators, confusables,
    /// invisible characters).
    Obfuscated,
    /// The display name with one letter doubled, dropped or replaced.
    Misspelt,
}

/// A listing title and what it was made to show.
#[derive(Clone, Debug)]
pub struct Title {
    /// About [`TITLE_BYTES`] bytes.
    pub text: String,
    /// Index in [`registry`] of the brand drawn for it (mentioned or not).
    pub brand: usize,
    /// How the brand is mentioned; `None` for titles without a brand.
    pub mention: Option<Mention>,
    /// Written in Chinese.
    pub chinese: bool,
}

/// `count` listing titles of about [`TITLE_BYTES`] bytes, with what each
/// was made to show.
pub fn listing_titles(brands: &[BrandEntry], count: usize) -> Vec<Title> {
    let mut rng = StdRng::seed_from_u64(7);
    (0..count)
        .map(|_| {
            let chinese = rng.gen_bool(0.1);
            let index = rng.gen_range(0..brands.len());
            let brand = &brands[index];
            let mention = match rng.gen_range(0..10) {
                0..=2 => Some((Mention::Exact, brand.names[0].clone())),
                3 => Some((
                    Mention::Alias,
                    brand.names[rng.gen_range(0..brand.names.len())].clone(),
                )),
                4 => Some((Mention::Obfuscated, obfuscate(&mut rng, &brand.names[0]))),
                5 => Some((Mention::Misspelt, misspell(&mut rng, &brand.names[0]))),
                _ => None,
            };
            let mut title = String::new();
            let at = rng.gen_range(0..4);
            let mut words = 0;
            while title.len() < TITLE_BYTES {
                if words == at
                    && let Some((_, m)) = &mention
                {
                    title.push_str(m);
                    title.push(' ');
                }
                if chinese {
                    title.push_str(CN_WORDS[rng.gen_range(0..CN_WORDS.len())]);
                } else {
                    title.push_str(WORDS[rng.gen_range(0..WORDS.len())]);
                    title.push(' ');
                }
                words += 1;
            }
            title.truncate(title.trim_end().len());
            Title {
                text: title,
                brand: index,
                mention: mention.map(|(kind, _)| kind),
                chinese,
            }
        })
        .collect()
}

/// `count` listing titles of about [`TITLE_BYTES`] bytes.
pub fn titles(brands: &[BrandEntry], count: usize) -> Vec<String> {
    listing_titles(brands, count)
        .into_iter()
        .map(|t| t.text)
        .collect()
}

// ---------------------------------------------------------------------------
// The full registry
// ---------------------------------------------------------------------------

/// The instant the checks are made at; dates in the registry are placed
/// around it.
pub fn at() -> Timestamp {
    datetime!(2026-11-28 12:00 UTC)
}

/// Platforms: slug, display name, share of the authorizations.
const PLATFORMS: &[(&str, &str, f64)] = &[
    ("marketa", "Marketa", 0.40),
    ("bazaro", "Bazaro", 0.30),
    ("shoplane", "Shoplane", 0.20),
    ("kaufhub", "KaufHub", 0.10),
];

/// Product families: the Nice classes a brand's marks cover.
const FAMILIES: &[&[u8]] = &[
    &[14],         // watches, jewellery
    &[14, 18],     // jewellery and leather goods
    &[18, 25],     // leather goods, clothing
    &[25],         // clothing, footwear
    &[25, 28],     // sportswear, sporting goods
    &[3],          // perfume, cosmetics
    &[3, 21],      // cosmetics, toiletry utensils
    &[9],          // eyewear, electronics
    &[9, 14, 18],  // fashion house
    &[16],         // pens, stationery
    &[18, 25, 35], // fashion retail
    &[12],         // vehicles, parts
];

/// Offices of national registrations.
const NATIONAL: &[&str] = &[
    "US", "CN", "JP", "KR", "GB", "FR", "DE", "IT", "ES", "CH", "IN", "BR", "AU", "CA", "MX", "TR",
];
/// Countries designated in international (Madrid) registrations.
const MADRID: &[&str] = &[
    "US", "CN", "JP", "KR", "GB", "CH", "RU", "IN", "AU", "SG", "MX", "BR", "TR", "VN", "TH", "AE",
    "SA", "ZA", "NZ", "NO", "ID", "PH", "MY", "IL", "UA", "EG", "MA", "CO",
];
/// Regions listings are offered in (and authorizations name).
const MARKETS: &[&str] = &[
    "US", "CN", "GB", "DE", "FR", "JP", "IT", "ES", "CA", "AU", "KR", "NL", "BR", "MX", "IN", "SG",
];
/// The markets an EU trade mark covers.
const EU_MARKETS: &[&str] = &["DE", "FR", "IT", "ES", "NL"];

const ID_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// A registry-style resource id (12 characters of lowercase base32).
fn resource_id(rng: &mut StdRng) -> ResourceId {
    let id: String = (0..ResourceId::LEN)
        .map(|_| ID_ALPHABET[rng.gen_range(0..32)] as char)
        .collect();
    ResourceId::parse(&id).expect("a valid resource id")
}

fn region(code: &str) -> Region {
    Region::parse(code).expect("an assigned ISO code")
}

fn class_set(classes: &[u8]) -> NiceClassSet {
    let mut set = NiceClassSet::empty();
    for &c in classes {
        set.insert(NiceClass::parse(i32::from(c)).expect("a Nice class"));
    }
    set
}

/// A random instant in `[from, from + days)`.
fn instant(rng: &mut StdRng, from: Timestamp, days: i64) -> Timestamp {
    from + Duration::seconds(rng.gen_range(0..days * 86_400))
}

fn add_years(date: Date, years: i32) -> Date {
    // 29 February has no anniversary in most years: use 28 February.
    date.replace_year(date.year() + years)
        .or_else(|_| {
            date.replace_day(28)
                .and_then(|d| d.replace_year(d.year() + years))
        })
        .expect("a date")
}

/// A seller account id as the platform writes them.
fn seller_account(rng: &mut StdRng, platform: usize) -> String {
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
    match platform {
        // Merchant tokens: `A1Q8Z3K0W2L7PX`.
        0 => {
            let mut s = String::from("A");
            s.extend((0..13).map(|_| UPPER[rng.gen_range(0..UPPER.len())] as char));
            s
        }
        // Numeric shop ids: `2208573316402`.
        1 => rng
            .gen_range(2_200_000_000_000u64..2_299_999_999_999)
            .to_string(),
        // Store handles: `brivo-outlet_82`, `luxe.dealsoffice`.
        2 => {
            const TAILS: &[&str] = &["outlet", "store", "deals", "official", "shop", "boutique"];
            let word: String = (0..rng.gen_range(4..9))
                .map(|_| LOWER[rng.gen_range(0..LOWER.len())] as char)
                .collect();
            let sep = ["-", "_", "."][rng.gen_range(0..3)];
            format!(
                "{word}{sep}{}_{}",
                TAILS[rng.gen_range(0..TAILS.len())],
                rng.gen_range(1..1000)
            )
        }
        // Vendor numbers: `V-DE-0048211937`.
        _ => format!(
            "V-{}-{:010}",
            MARKETS[rng.gen_range(0..MARKETS.len())],
            rng.gen_range(0..10_000_000_000u64)
        ),
    }
}

/// One authorization as the generator planned it, for picking sellers.
#[derive(Clone, Copy, Debug)]
pub struct Grant {
    /// Index in [`Registry::platforms`].
    pub platform: u8,
    /// Index in that platform's seller pool.
    pub seller: u32,
    /// Index of the authorization in [`Registry::resources`].
    pub resource: u32,
}

/// The full registry around [`registry`]'s brands.
pub struct Registry {
    /// Members; each brand followed by its trademarks; logos;
    /// authorizations.
    pub resources: Vec<Resource>,
    /// The revision the resources are at.
    pub revision: Revision,
    /// Platform members.
    pub platforms: Vec<Slug>,
    /// Seller accounts per platform.
    pub sellers: Vec<Vec<String>>,
    /// Authorizations per brand (index in [`registry`]).
    pub grants: Vec<Vec<Grant>>,
    /// The product family (index in `FAMILIES`) of each brand.
    pub families: Vec<u8>,
    /// Members (operator, platforms, brand owners).
    pub members: usize,
    /// Brands flagged `common_word`.
    pub common_word_brands: usize,
    /// Trademarks.
    pub trademarks: usize,
    /// Trademarks in force at [`at`].
    pub trademarks_in_force: usize,
    /// Brands with at least one trademark in force at [`at`].
    pub brands_in_force: usize,
    /// Logos.
    pub logos: usize,
    /// Authorizations.
    pub authorizations: usize,
    /// Authorizations by status: active, suspended, revoked (the order of
    /// `AuthorizationStatus`).
    pub by_status: [usize; 3],
}

/// The brand slug of entry `i`.
pub fn brand_slug(i: usize) -> Slug {
    Slug::parse(&format!("brand-{i:06}")).expect("a valid slug")
}

/// Members, brands, trademarks, logos and `sizes.authorizations` seller
/// authorizations around `brands` (from [`registry`]).
pub fn resources(brands: &[BrandEntry], sizes: Sizes) -> Registry {
    let mut rng = StdRng::seed_from_u64(0x5245_4749_5354);
    let at = at();
    let epoch = datetime!(2015-01-01 0:00 UTC);
    let mut resources: Vec<Resource> = Vec::with_capacity(
        brands.len() * 3 + sizes.logos + sizes.authorizations + brands.len() / 20 + 8,
    );
    let mut revision: Revision = 0;
    let mut next_revision = || {
        revision += 1;
        revision
    };

    // Members: the operator, the platforms, one owner per twenty brands.
    resources.push(Resource::Member(Arc::new(Member {
        id: Slug::parse("alliance").expect("slug"),
        display_name: "Brand Protection Alliance".into(),
        kind: MemberKind::Operator,
        create_time: epoch,
        update_revision: next_revision(),
    })));
    let platforms: Vec<Slug> = PLATFORMS
        .iter()
        .map(|(slug, display_name, _)| {
            let id = Slug::parse(slug).expect("slug");
            resources.push(Resource::Member(Arc::new(Member {
                id: id.clone(),
                display_name: (*display_name).into(),
                kind: MemberKind::Platform,
                create_time: epoch,
                update_revision: next_revision(),
            })));
            id
        })
        .collect();
    let owners: Vec<Slug> = (0..brands.len().div_ceil(20))
        .map(|i| {
            let id = Slug::parse(&format!("owner-{i:05}")).expect("slug");
            let suffix = ["Group", "Holdings", "S.A.", "GmbH", "Co., Ltd.", "Inc."][i % 6];
            resources.push(Resource::Member(Arc::new(Member {
                id: id.clone(),
                display_name: format!("{} {suffix}", name(&mut rng, 5, 10)),
                kind: MemberKind::BrandOwner,
                create_time: instant(&mut rng, epoch, 365),
                update_revision: next_revision(),
            })));
            id
        })
        .collect();
    let members = resources.len();

    // Brands, each with one to three trademarks.
    let mut families = Vec::with_capacity(brands.len());
    let mut common_word_brands = 0;
    let mut trademarks = 0;
    let mut trademarks_in_force = 0;
    let mut brands_in_force = 0;
    let mut registration = 0u32;
    for (i, entry) in brands.iter().enumerate() {
        let id = brand_slug(i);
        let family = rng.gen_range(0..FAMILIES.len());
        families.push(family as u8);
        let common_word = rng.gen_bool(0.005);
        common_word_brands += usize::from(common_word);
        let create_time = instant(&mut rng, epoch, 9 * 365);
        resources.push(Resource::Brand(Arc::new(Brand {
            id: id.clone(),
            owner: owners[i / 20].clone(),
            display_name: entry.names[0].clone(),
            aliases: entry.names[1..].to_vec(),
            common_word,
            status: BrandStatus::Active,
            create_time,
            update_time: create_time,
            update_revision: next_revision(),
        })));
        let mut in_force = false;
        let marks = match rng.gen_range(0..20) {
            0..=4 => 1,
            5..=11 => 2,
            12..=16 => 3,
            _ => 4,
        };
        for mark in 0..marks {
            // Most brands hold an international registration over their
            // main markets, then EU and national marks.
            let pick = match mark {
                0 => rng.gen_range(0..10),
                1 => rng.gen_range(5..15),
                _ => rng.gen_range(10..20),
            };
            let (office, designated): (Office, Vec<Region>) = match pick {
                0..=6 => {
                    let mut designated: Vec<Region> = MARKETS
                        .iter()
                        .filter(|code| !EU_MARKETS.contains(code) && rng.gen_bool(0.8))
                        .map(|code| region(code))
                        .collect();
                    for _ in 0..rng.gen_range(0..=6) {
                        designated.push(region(MADRID[rng.gen_range(0..MADRID.len())]));
                    }
                    if designated.is_empty() {
                        designated.push(region("US"));
                    }
                    designated.sort_unstable();
                    designated.dedup();
                    (Office::Wipo, designated)
                }
                7..=12 => (Office::Euipo, Vec::new()),
                13..=18 => (
                    Office::National(region(NATIONAL[rng.gen_range(0..NATIONAL.len())])),
                    Vec::new(),
                ),
                _ => (Office::Benelux, Vec::new()),
            };
            let designated: Vec<Designation> =
                designated.into_iter().map(Designation::from).collect();
            let territories = office.territories(&designated).expect("valid territories");
            let mut classes: Vec<u8> = FAMILIES[family].to_vec();
            if rng.gen_bool(0.2) {
                classes.push(35);
            }
            let status = match rng.gen_range(0..100) {
                0..=87 => TrademarkStatus::Registered,
                88..=92 => TrademarkStatus::Pending,
                93..=96 => TrademarkStatus::Expired,
                _ => TrademarkStatus::Cancelled,
            };
            let registered = Date::from_calendar_date(
                rng.gen_range(1990..=2025),
                Month::try_from(rng.gen_range(1..=12u8)).expect("month"),
                rng.gen_range(1..=28),
            )
            .expect("date");
            // Nine in ten marks are renewed every ten years; the rest lapse
            // after the first term.
            let mut expiry = add_years(registered, 10);
            if rng.gen_bool(0.9) {
                while expiry <= at.date() {
                    expiry = add_years(expiry, 10);
                }
            }
            registration += 1;
            let registration_number = match office {
                Office::National(_) => format!("{:08}", 10_000_000 + registration),
                Office::Euipo => format!("0{:08}", 18_000_000 + registration),
                Office::Wipo => format!("{:07}", 1_000_000 + registration),
                _ => format!("{:07}", 1_100_000 + registration),
            };
            let trademark = Trademark {
                brand: id.clone(),
                id: resource_id(&mut rng),
                office,
                registration_number,
                mark_text: entry.names[0].clone(),
                kind: match rng.gen_range(0..10) {
                    0..=6 => TrademarkKind::Word,
                    7..=8 => TrademarkKind::Combined,
                    _ => TrademarkKind::Figurative,
                },
                nice_classes: class_set(&classes),
                status,
                registration_date: (status != TrademarkStatus::Pending).then_some(registered),
                expiry_date: (status != TrademarkStatus::Pending).then_some(expiry),
                designated_countries: designated,
                territories,
                update_revision: next_revision(),
            };
            let live = trademark.in_force(at);
            trademarks_in_force += usize::from(live);
            in_force |= live;
            trademarks += 1;
            resources.push(Resource::Trademark(Arc::new(trademark)));
        }
        brands_in_force += usize::from(in_force);
    }

    // Logos.
    let mut logos = 0;
    for (i, entry) in brands.iter().enumerate() {
        for &hash in &entry.logos {
            logos += 1;
            resources.push(Resource::Logo(Arc::new(Logo {
                brand: brand_slug(i),
                id: resource_id(&mut rng),
                description: ["Monogram", "Wordmark", "Emblem", "Crest"][rng.gen_range(0..4)]
                    .into(),
                hash: LogoHash(hash),
                image_sha256: rng.gen_bool(0.8).then(|| rng.r#gen()),
                create_time: instant(&mut rng, epoch, 9 * 365),
                update_revision: next_revision(),
            })));
        }
    }

    // Seller pools: about one seller per four authorizations, split like
    // the authorizations.
    let sellers: Vec<Vec<String>> = PLATFORMS
        .iter()
        .enumerate()
        .map(|(p, (_, _, share))| {
            let n = ((sizes.authorizations as f64 * share / 4.0) as usize).max(1);
            (0..n).map(|_| seller_account(&mut rng, p)).collect()
        })
        .collect();

    // Authorizations: half on a uniformly drawn brand, half skewed towards a
    // few big brands (thousands of sellers each); sellers skewed towards big
    // distributors authorized for many brands.
    let mut grants: Vec<Vec<Grant>> = vec![Vec::new(); brands.len()];
    let mut by_status = [0usize; 3];
    let earliest = datetime!(2018-01-01 0:00 UTC);
    for n in 0..sizes.authorizations {
        let b = if rng.gen_bool(0.5) {
            rng.gen_range(0..brands.len())
        } else {
            ((rng.r#gen::<f64>().powi(3) * brands.len() as f64) as usize).min(brands.len() - 1)
        };
        let mut share = rng.r#gen::<f64>();
        let platform = PLATFORMS
            .iter()
            .position(|(_, _, s)| {
                share -= s;
                share < 0.0
            })
            .unwrap_or(PLATFORMS.len() - 1);
        let pool = &sellers[platform];
        let seller =
            ((rng.r#gen::<f64>().powi(2) * pool.len() as f64) as usize).min(pool.len() - 1);
        grants[b].push(Grant {
            platform: platform as u8,
            seller: seller as u32,
            resource: resources.len() as u32,
        });
        let family = FAMILIES[usize::from(families[b])];
        let nice_classes = if rng.gen_bool(0.45) {
            NiceClassSet::empty()
        } else {
            let k = rng.gen_range(1..=family.len());
            class_set(&family[..k])
        };
        let regions = if rng.gen_bool(0.5) {
            Vec::new()
        } else {
            let mut regions: Vec<Region> = (0..rng.gen_range(1..=4))
                .map(|_| region(MARKETS[rng.gen_range(0..MARKETS.len())]))
                .collect();
            regions.sort_unstable();
            regions.dedup();
            regions
        };
        // Windows start between 2018 and a few months after `at`.
        let valid_from = instant(&mut rng, earliest, 9 * 365 + 120);
        let valid_until = rng
            .gen_bool(0.55)
            .then(|| valid_from + Duration::days(365 * rng.gen_range(1..=5)));
        let status = match rng.gen_range(0..100) {
            0..=89 => AuthorizationStatus::Active,
            90..=92 => AuthorizationStatus::Suspended,
            _ => AuthorizationStatus::Revoked,
        };
        by_status[status as usize] += 1;
        let create_time = valid_from - Duration::days(rng.gen_range(0..30));
        let update_time = if status == AuthorizationStatus::Active {
            create_time
        } else {
            instant(&mut rng, valid_from, 365).min(at)
        };
        resources.push(Resource::Authorization(Arc::new(Authorization {
            brand: brand_slug(b),
            id: resource_id(&mut rng),
            platform: platforms[platform].clone(),
            seller_account: pool[seller].clone(),
            nice_classes,
            regions,
            valid_from,
            valid_until,
            status,
            reference: format!("LIC-{}-{:06}", valid_from.year(), n % 1_000_000),
            create_time,
            update_time,
            update_revision: next_revision(),
        })));
    }

    Registry {
        resources,
        revision,
        platforms,
        sellers,
        grants,
        families,
        members,
        common_word_brands,
        trademarks,
        trademarks_in_force,
        brands_in_force,
        logos,
        authorizations: sizes.authorizations,
        by_status,
    }
}

/// A listing to check, on a platform.
#[derive(Clone, Debug)]
pub struct SyntheticListing {
    /// The platform whose seller offers it.
    pub platform: Slug,
    /// The listing (title, seller, class, region; no description, declared
    /// brand or images).
    pub listing: Listing,
    /// The seller was taken from the mentioned brand's authorizations
    /// (whether they cover this listing or not).
    pub granted_seller: bool,
}

/// A listing per title: a seller on a platform, most with a Nice class and
/// a region. For half the titles that mention a brand the seller is one
/// that brand authorized (on that platform), mostly listing within that
/// authorization's classes and regions; the other sellers are drawn from
/// the platform's sellers at large. Call it before taking
/// [`Registry::resources`].
pub fn listings(registry: &Registry, titles: &[Title]) -> Vec<SyntheticListing> {
    let mut rng = StdRng::seed_from_u64(11);
    titles
        .iter()
        .map(|t| {
            let grants = &registry.grants[t.brand];
            let granted = (t.mention.is_some() && !grants.is_empty() && rng.gen_bool(0.5))
                .then(|| grants[rng.gen_range(0..grants.len())]);
            let (platform, seller) = match granted {
                Some(g) => (usize::from(g.platform), g.seller as usize),
                None => {
                    let p = rng.gen_range(0..registry.platforms.len());
                    (p, rng.gen_range(0..registry.sellers[p].len()))
                }
            };
            // An authorized seller mostly lists within its authorization.
            let scope = granted.filter(|_| rng.gen_bool(0.8)).and_then(|g| {
                match &registry.resources[g.resource as usize] {
                    Resource::Authorization(a) => Some(a.clone()),
                    _ => None,
                }
            });
            let family = FAMILIES[usize::from(registry.families[t.brand])];
            let nice_class = rng.gen_bool(0.8).then(|| {
                let classes: Vec<NiceClass> =
                    scope.iter().flat_map(|a| a.nice_classes.iter()).collect();
                if !classes.is_empty() {
                    classes[rng.gen_range(0..classes.len())]
                } else if t.mention.is_some() && rng.gen_bool(0.9) {
                    let class = family[rng.gen_range(0..family.len())];
                    NiceClass::parse(i32::from(class)).expect("a Nice class")
                } else {
                    NiceClass::parse(rng.gen_range(1..=34)).expect("a Nice class")
                }
            });
            let region = rng.gen_bool(0.8).then(|| match &scope {
                Some(a) if !a.regions.is_empty() => a.regions[rng.gen_range(0..a.regions.len())],
                _ => region(MARKETS[rng.gen_range(0..MARKETS.len())]),
            });
            SyntheticListing {
                platform: registry.platforms[platform].clone(),
                listing: Listing {
                    seller_account: registry.sellers[platform][seller].clone(),
                    title: t.text.clone(),
                    nice_class,
                    region,
                    ..Listing::default()
                },
                granted_seller: granted.is_some(),
            }
        })
        .collect()
}

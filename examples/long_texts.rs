//! The slowest long descriptions: `listing::check` over descriptions of
//! 20,000 characters (the API's limit) made by repeating one short unit,
//! for every unit of one or two characters over an alphabet of the
//! characters detection reads specially (digits, ratio colons, masks,
//! separators, invisible characters, markup, CJK, signal words' letters),
//! and for units taken from terms and evasions detection knows; and each
//! such term once, then one character of the alphabet repeated (`#aurelle`
//! then `x`: a word or a term's context as long as the text). A text that
//! costs time growing faster than its length (a term's context read from
//! the whole text once per term, say) stands out at the top.
//!
//! ```sh
//! cargo build --release --example long_texts
//! taskset -c 1 target/release/examples/long_texts [slowest to list, default 15]
//! # Units of your own beside them, one a line (`\u{…}` escapes read):
//! target/release/examples/long_texts --units FILE [slowest to list]
//! # One unit checked N times, for a profiler:
//! perf record target/release/examples/long_texts --unit '1:1 ' N
//! ```
//!
//! Each text is checked three times and its fastest time kept; the
//! listing has the title `Watch`, the seller `long-text-seller` (not
//! authorized), class 14 in France, on the registry of the labelled
//! corpus (`tests/data/corpus-registry.toml`).

use std::{path::Path, time::Duration, time::Instant};

use marque::{
    listing,
    model::{NiceClass, Region, Slug},
};

#[path = "support/seeded.rs"]
mod seeded;

const REGISTRY: &str = "tests/data/corpus-registry.toml";

/// The API's limit on a description, in characters.
const CHARS: usize = 20_000;

/// Characters detection reads specially.
const ALPHABET: &[char] = &[
    '1', '0', 'a', 'A', 'l', ' ', '.', ',', ':', '：', '∶', '-', '*', '#', '@', '|', '/', '!', '&',
    ';', '<', '>', '"', '=', '\n', '\u{200b}', '\u{202e}', '\u{301}', '\u{85}', '奥', '尔', '版',
    'の', 'x', '丶', '丨', 'ㅣ', 'ㄴ', 'ﾚ', '□', '🙂', 'Ⓐ', 'е', '∩', '˥', '∀', 'Ʌ', '안',
];

/// Units from terms and evasions detection knows.
const UNITS: &[&str] = &[
    "1:1 ",
    "1:1",
    "1:1 a Aurelle ",
    "Aurelle 1:1 ",
    "for Aurelle 1:1 ",
    "11\u{200b}",
    "AAA ",
    "AAA",
    "3A ",
    "replica ",
    "mirror ",
    "mirror quality ",
    "super copy ",
    "for ",
    "for Aurelle ",
    "compatible with ",
    "not ",
    "Aurelle ",
    "aurelle",
    "Aur*lle ",
    "A.u.r.e.l.l.e ",
    "A|u|r|e|l|l|e ",
    "Aurel ",
    "#aurelle ",
    "#aurelle",
    "#aurellewatch",
    "奥瑞尔",
    "奥x瑞",
    "奥*尔",
    "高仿",
    "1:1版",
    "复刻版",
    "複刻盤",
    "<b>",
    "</b>",
    "<!--",
    "<!--<b",
    "-->",
    "<span hidden>",
    "<span style=\"display:none\">",
    "<img alt=\"Aurelle\">",
    "<a title=",
    "&#65;",
    "&amp;",
    "<![CDATA[",
    "<script>",
    "<ruby>",
    "16:9 ",
    "4:3/",
    "12:34:",
    "a ",
    "ab ",
    "a-",
    "a\u{301}",
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `--unit U N`: only unit U (Rust escapes such as `\u{202e}` read),
    // checked N times, for a profiler. `--units FILE`: the units of FILE,
    // one a line (escapes read), beside the built-in ones.
    let (mut show, mut only, mut extra) = (15, None, Vec::new());
    match args.as_slice() {
        [flag, unit, times] if flag == "--unit" => only = Some((unescape(unit)?, times.parse()?)),
        [flag, file, rest @ ..] if flag == "--units" => {
            for line in std::fs::read_to_string(file)?.lines() {
                extra.push(unescape(line)?);
            }
            if let [n] = rest {
                show = n.parse()?;
            }
        }
        [n] => show = n.parse()?,
        _ => {}
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let snapshot = seeded::seeded_snapshot(&root.join(REGISTRY)).await?;
    let platform = Slug::parse("shopwise").map_err(anyhow::Error::msg)?;
    let now = time::OffsetDateTime::now_utc();

    if let Some((unit, times)) = only {
        let listing = long_listing(&unit)?;
        let start = Instant::now();
        for _ in 0..times {
            std::hint::black_box(listing::check(&snapshot, &platform, &listing, now));
        }
        let each = start.elapsed() / times.max(1);
        println!("{unit:?} repeated to {CHARS} characters: {each:.2?} a check");
        return Ok(());
    }
    // (head, unit): the head once, then the unit repeated.
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut repeated = |unit: String| texts.push((String::new(), unit));
    ALPHABET.iter().for_each(|a| repeated(a.to_string()));
    for a in ALPHABET {
        for b in ALPHABET {
            repeated(format!("{a}{b}"));
        }
    }
    UNITS.iter().for_each(|u| repeated(u.to_string()));
    extra.into_iter().for_each(repeated);
    for head in UNITS {
        for a in ALPHABET {
            texts.push((head.to_string(), a.to_string()));
        }
    }

    let mut timed: Vec<(Duration, String)> = Vec::with_capacity(texts.len());
    let started = Instant::now();
    for (head, unit) in texts {
        let listing = headed_listing(&head, &unit)?;
        let fastest = (0..3)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(listing::check(&snapshot, &platform, &listing, now));
                start.elapsed()
            })
            .min()
            .unwrap_or_default();
        let shown = if head.is_empty() {
            format!("{unit:?}")
        } else {
            format!("{head:?} then {unit:?}")
        };
        timed.push((fastest, shown));
    }
    timed.sort_by_key(|t| std::cmp::Reverse(t.0));
    let median = timed[timed.len() / 2].0;
    println!(
        "{} descriptions of {CHARS} characters, each one unit repeated (after a head, for \
         some), checked in {:.1?}: median {:.2?}, slowest {:.2?}",
        timed.len(),
        started.elapsed(),
        median,
        timed[0].0
    );
    for (time, unit) in timed.iter().take(show) {
        println!("{:>10.2?}  {unit}", time);
    }
    Ok(())
}

/// The listing whose description is `unit` repeated to [`CHARS`].
fn long_listing(unit: &str) -> anyhow::Result<listing::Listing> {
    headed_listing("", unit)
}

/// The listing whose description is `head`, then `unit` repeated to
/// [`CHARS`] in all.
fn headed_listing(head: &str, unit: &str) -> anyhow::Result<listing::Listing> {
    let rest = CHARS.saturating_sub(head.chars().count());
    Ok(listing::Listing {
        seller_account: "long-text-seller".into(),
        title: "Watch".into(),
        description: head
            .chars()
            .chain(unit.chars().cycle().take(rest))
            .collect(),
        declared_brand: String::new(),
        nice_class: Some(NiceClass::parse(14).map_err(anyhow::Error::msg)?),
        region: Some(Region::parse("FR").map_err(anyhow::Error::msg)?),
        image_hashes: Vec::new(),
    })
}

/// `unit` with its `\u{…}` escapes read.
fn unescape(unit: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut rest = unit;
    while let Some(at) = rest.find("\\u{") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 3..];
        let end = after
            .find('}')
            .ok_or_else(|| anyhow::anyhow!("unclosed escape in {unit:?}"))?;
        let code = u32::from_str_radix(&after[..end], 16)?;
        out.push(char::from_u32(code).ok_or_else(|| anyhow::anyhow!("no character U+{code:X}"))?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

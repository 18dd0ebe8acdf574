//! Runs the listing-check corpus in-process and prints how the checks score.
//!
//! ```text
//! cargo run --example corpus
//! cargo run --example corpus -- --listings tests/data/heldout.toml
//! cargo run --example corpus -- --listings tests/data/adversarial.toml --ordinary-words /usr/share/dict/spanish
//! ```
//!
//! Loads `tests/data/corpus-registry.toml` into an embedded registry (no
//! server), checks every listing of `tests/data/listings.toml` (or of the
//! file `--listings` names, in the same format) with
//! [`marque::listing::check`] as its platform, and prints:
//! - precision and recall per expected evidence kind, BLOCK and REVIEW being
//!   positive and ALLOW negative (a group holds the listings whose expected
//!   strongest evidence is that kind), and overall;
//! - the confusion matrix of verdicts;
//! - agreement per category, and every listing whose verdict, strongest
//!   evidence, or strongest match's brand and span differ from the corpus.
//!
//! The output is deterministic (the corpus dates hold until the end of 2040).
//! `tests/integration/corpus.rs` asserts the same expectations through the gRPC API;
//! `docs/corpus.md` describes the corpus.

use std::{collections::BTreeMap, path::Path};

use anyhow::Context as _;
use marque::{
    detect::Evidence,
    listing::{self, Verdict},
    logo::LogoHash,
    model::{NiceClass, Region, Slug},
};

const REGISTRY: &str = "tests/data/corpus-registry.toml";
const LISTINGS: &str = "tests/data/listings.toml";

/// Evidence kinds in the order the table prints them.
const KINDS: [&str; 6] = [
    "BRAND_FIELD",
    "TEXT_EXACT",
    "TEXT_OBFUSCATED",
    "TEXT_FUZZY",
    "LOGO",
    "NONE",
];
const VERDICTS: [&str; 3] = ["ALLOW", "REVIEW", "BLOCK"];

#[path = "../tests/data/corpus_rows.rs"]
mod corpus_rows;
#[path = "support/seeded.rs"]
mod seeded;
use corpus_rows::{Corpus, Place, Row};

impl Row {
    fn listing(&self) -> anyhow::Result<listing::Listing> {
        let nice_class = self
            .nice_class
            .map(NiceClass::parse)
            .transpose()
            .map_err(anyhow::Error::msg)?;
        let region = self
            .region
            .as_deref()
            .map(Region::parse)
            .transpose()
            .map_err(anyhow::Error::msg)?;
        let image_hashes = self
            .image_hashes
            .iter()
            .map(|h| LogoHash::parse_hex(h).map(|h| h.0))
            .collect::<Result<_, _>>()?;
        Ok(listing::Listing {
            seller_account: self.seller_account.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            declared_brand: self.declared_brand.clone(),
            nice_class,
            region,
            image_hashes,
        })
    }
}

fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Allow => "ALLOW",
        Verdict::Review => "REVIEW",
        Verdict::Block => "BLOCK",
    }
}

fn evidence_name(e: Evidence) -> &'static str {
    match e {
        Evidence::BrandField => "BRAND_FIELD",
        Evidence::TextExact => "TEXT_EXACT",
        Evidence::TextObfuscated => "TEXT_OBFUSCATED",
        Evidence::TextFuzzy { .. } => "TEXT_FUZZY",
        Evidence::Logo { .. } => "LOGO",
    }
}

/// Binary counts, BLOCK and REVIEW positive.
#[derive(Default, Clone, Copy)]
struct Counts {
    listings: usize,
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
}

impl Counts {
    fn add(&mut self, expected: &str, got: &str) {
        self.listings += 1;
        match (expected != "ALLOW", got != "ALLOW") {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
}

fn ratio(num: usize, den: usize) -> String {
    if den == 0 {
        "n/a".to_string()
    } else {
        format!("{:.3}", num as f64 / den as f64)
    }
}

/// A listing's outcome next to its expectations.
struct Scored<'a> {
    row: &'a Row,
    verdict: &'static str,
    evidence: &'static str,
    /// Whether the strongest match is the brand, field and span the row
    /// expects ([`Row::check_match`]).
    placed: Result<(), String>,
}

impl Scored<'_> {
    fn as_expected(&self) -> bool {
        self.row.verdict == self.verdict
            && self.row.evidence == self.evidence
            && self.placed.is_ok()
    }
}

/// The listings file: `--listings FILE` (relative to the repository root),
/// else [`LISTINGS`]; and the word lists of `--ordinary-words FILE` (given
/// once a file, relative to the root too), whose words are added as
/// `marque serve --ordinary-words` adds its lists' words.
fn args(mut args: impl Iterator<Item = String>) -> anyhow::Result<(String, Vec<String>)> {
    let usage =
        "usage: cargo run --example corpus [-- [--listings FILE] [--ordinary-words FILE]...]";
    let mut listings = None;
    let mut words = Vec::new();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--listings", Some(file)) if listings.is_none() => listings = Some(file),
            ("--ordinary-words", Some(file)) => words.push(file),
            _ => anyhow::bail!(usage),
        }
    }
    Ok((listings.unwrap_or_else(|| LISTINGS.to_owned()), words))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (listings, word_lists) = args(std::env::args().skip(1))?;
    if !word_lists.is_empty() {
        let texts = word_lists
            .iter()
            .map(|file| {
                std::fs::read_to_string(root.join(file))
                    .with_context(|| format!("cannot read {file}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        marque::detect::add_ordinary_words(&texts)?;
    }
    let text = std::fs::read_to_string(root.join(&listings))
        .with_context(|| format!("cannot read {listings}"))?;
    let corpus: Corpus = toml::from_str(&text).with_context(|| format!("invalid {listings}"))?;

    let snapshot = seeded::seeded_snapshot(&root.join(REGISTRY)).await?;
    let now = time::OffsetDateTime::now_utc();

    let mut scored = Vec::with_capacity(corpus.listings.len());
    for row in &corpus.listings {
        let listing = row
            .listing()
            .with_context(|| format!("listing {}", row.id))?;
        let platform = Slug::parse(&row.platform).map_err(anyhow::Error::msg)?;
        let outcome = listing::check(&snapshot, &platform, &listing, now);
        let placed = outcome.matches.first().map_or(Ok(()), |m| {
            let place = match m.field {
                listing::Field::DeclaredBrand => Place::DeclaredBrand,
                listing::Field::Title => Place::Title,
                listing::Field::Description => Place::Description,
                listing::Field::Image => Place::Image,
            };
            row.check_match(m.brand.id.as_str(), place, m.span.clone())
        });
        scored.push(Scored {
            row,
            verdict: verdict_name(outcome.verdict),
            evidence: outcome
                .matches
                .first()
                .map_or("NONE", |m| evidence_name(m.evidence)),
            placed,
        });
    }

    let mut by_kind: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut all = Counts::default();
    let mut confusion = [[0usize; 3]; 3];
    let mut by_category: Vec<(&str, usize, usize, usize)> = Vec::new();
    for s in &scored {
        let (expected, got) = (s.row.verdict.as_str(), s.verdict);
        by_kind
            .entry(&s.row.evidence)
            .or_default()
            .add(expected, got);
        all.add(expected, got);
        let index = |v: &str| VERDICTS.iter().position(|x| *x == v);
        if let (Some(e), Some(g)) = (index(expected), index(got)) {
            confusion[e][g] += 1;
        }
        // Categories in the order they first appear.
        let category = s.row.category.as_str();
        let at = match by_category.iter().position(|c| c.0 == category) {
            Some(at) => at,
            None => {
                by_category.push((category, 0, 0, 0));
                by_category.len() - 1
            }
        };
        let c = &mut by_category[at];
        c.1 += 1;
        c.2 += usize::from(expected == got);
        c.3 += usize::from(s.row.evidence == s.evidence);
    }

    println!(
        "Listing-check corpus: {} listings ({listings}) against {REGISTRY}",
        scored.len()
    );
    println!(
        "Positive = BLOCK or REVIEW, negative = ALLOW; rows group listings by expected evidence."
    );
    println!();
    println!(
        "{:<16} {:>8} {:>4} {:>4} {:>4} {:>4} {:>9} {:>7}",
        "evidence", "listings", "TP", "FP", "FN", "TN", "precision", "recall"
    );
    let line = |name: &str, c: &Counts| {
        println!(
            "{:<16} {:>8} {:>4} {:>4} {:>4} {:>4} {:>9} {:>7}",
            name,
            c.listings,
            c.tp,
            c.fp,
            c.fn_,
            c.tn,
            ratio(c.tp, c.tp + c.fp),
            ratio(c.tp, c.tp + c.fn_),
        );
    };
    for kind in KINDS {
        line(kind, &by_kind.get(kind).copied().unwrap_or_default());
    }
    for (kind, counts) in &by_kind {
        if !KINDS.contains(kind) {
            line(kind, counts);
        }
    }
    line("all", &all);

    println!();
    println!("Verdicts (rows: expected, columns: got)");
    println!(
        "{:<10} {:>6} {:>6} {:>6}",
        "", VERDICTS[0], VERDICTS[1], VERDICTS[2]
    );
    for (e, name) in VERDICTS.iter().enumerate() {
        println!(
            "{:<10} {:>6} {:>6} {:>6}",
            name, confusion[e][0], confusion[e][1], confusion[e][2]
        );
    }

    let verdicts_ok = scored.iter().filter(|s| s.row.verdict == s.verdict).count();
    let evidence_ok = scored
        .iter()
        .filter(|s| s.row.evidence == s.evidence)
        .count();
    println!();
    let placed_ok = scored.iter().filter(|s| s.placed.is_ok()).count();
    println!(
        "Verdict as expected: {verdicts_ok}/{}; strongest evidence as expected: {evidence_ok}/{}",
        scored.len(),
        scored.len()
    );
    println!(
        "Strongest match's brand and span (or image) as expected: {placed_ok}/{}",
        scored.len()
    );
    println!();
    println!(
        "{:<16} {:>8} {:>10} {:>11}",
        "category", "listings", "verdict ok", "evidence ok"
    );
    for (category, n, verdict, evidence) in &by_category {
        println!("{category:<16} {n:>8} {verdict:>10} {evidence:>11}");
    }

    let wrong: Vec<&Scored> = scored.iter().filter(|s| !s.as_expected()).collect();
    println!();
    println!("Listings not as expected: {}", wrong.len());
    for s in wrong {
        println!(
            "  {} expected {} {}, got {} {}: {}",
            s.row.id, s.row.verdict, s.row.evidence, s.verdict, s.evidence, s.row.note
        );
        if let Err(place) = &s.placed {
            println!("    strongest match: {place}");
        }
        if let Some(gap) = &s.row.known_gap {
            println!("    known gap: {gap}");
        }
    }
    Ok(())
}

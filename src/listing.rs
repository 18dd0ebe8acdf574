//! Listing checks: the semantics of DESIGN.md "Listing check semantics",
//! evaluated against one snapshot.
//!
//! Detection ([`crate::detect`]) says which brands a listing shows and how;
//! this module decides, for each, whether it is in scope of a registered
//! trademark, whether the seller is authorized, and the verdict.

use std::{cell::Cell, ops::Range, sync::Arc};

use crate::{
    detect::{self, Evidence, NameId},
    model::{
        Authorization, Brand, Logo, NiceClass, Region, Slug, Timestamp, Trademark, codes::is_blank,
    },
    snapshot::{Detection, SellerVerdict, Snapshot, registration_order},
};

/// A listing, validated.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// The seller's account on the caller's platform.
    pub seller_account: String,
    /// The title.
    pub title: String,
    /// The description.
    pub description: String,
    /// The declared brand, as typed.
    pub declared_brand: String,
    /// The goods' Nice class, when known.
    pub nice_class: Option<NiceClass>,
    /// Where the goods are offered, when known.
    pub region: Option<Region>,
    /// Perceptual hashes of the listing's images.
    pub image_hashes: Vec<u64>,
}

/// The decision on a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Nothing to stop.
    Allow,
    /// A person should look.
    Review,
    /// Unauthorized use of an in-scope brand, with strong evidence.
    Block,
}

impl Verdict {
    fn raised(self) -> Verdict {
        match self {
            Verdict::Allow => Verdict::Review,
            Verdict::Review | Verdict::Block => Verdict::Block,
        }
    }
}

/// Where a match was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The declared brand.
    DeclaredBrand,
    /// The title.
    Title,
    /// The description.
    Description,
    /// An image hash.
    Image,
}

/// Why a match counts or does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// In scope, no authorization covers it.
    Unauthorized,
    /// In scope, the seller is authorized.
    Authorized,
    /// No registered, unexpired trademark covers the class and region.
    OutOfScope,
    /// A common-word brand in text without an in-scope class.
    CommonWord,
    /// After a compatibility phrase: nominative use, weak.
    NominativeUse,
}

/// One brand a listing shows.
#[derive(Debug, Clone)]
pub struct Match {
    /// The brand.
    pub brand: Arc<Brand>,
    /// How it shows.
    pub evidence: Evidence,
    /// Strong evidence (after the compatibility-phrase rule).
    pub strong: bool,
    /// Where.
    pub field: Field,
    /// The name or alias matched (for logos, the brand's display name):
    /// read it with [`Outcome::term`].
    pub term: Term,
    /// For an image match, the registered logo it matched.
    pub logo: Option<Arc<Logo>>,
    /// Byte span in the field's original text (image: index of the hash).
    pub span: Range<usize>,
    /// The trademark that puts it in scope.
    pub trademark: Option<Arc<Trademark>>,
    /// The authorization that allows the seller.
    pub authorization: Option<Arc<Authorization>>,
    /// Whether it decides the verdict.
    pub drives_verdict: bool,
    /// Why it counts, or not.
    pub reason: Reason,
}

/// What a match matched: a registered name or alias of the detection
/// index (resolved without copying it), or a text of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A name or alias, by its number in the detection index.
    Name(NameId),
    /// A logo's brand display name.
    Text(String),
}

/// Matches an outcome reports at most: those that drive the verdict first,
/// then the strongest. A listing stuffed with brand names (`Aurelle ` 2,500
/// times, thousands of names in a description) would otherwise answer
/// megabytes, past what gRPC clients accept (4 MiB by default) once a batch
/// holds a few such listings; the verdict still counts every match.
pub const MAX_MATCHES: usize = 16;
/// Distinct signal terms an outcome reports at most.
pub const MAX_SIGNAL_TERMS: usize = 16;

/// The outcome of a listing check.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The decision.
    pub verdict: Verdict,
    /// Every brand shown, strongest evidence first: a brand once per field,
    /// evidence kind and strength (its first occurrence there), and at
    /// most [`MAX_MATCHES`] in all, those that drive the verdict first.
    pub matches: Vec<Match>,
    /// Matches left out past [`MAX_MATCHES`].
    pub omitted_matches: usize,
    /// Counterfeit signal terms, as they appear: each once, at most
    /// [`MAX_SIGNAL_TERMS`].
    pub signal_terms: Vec<String>,
    /// The detection index the names of [`Term::Name`] are in.
    detection: Option<Arc<Detection>>,
}

impl Outcome {
    /// The name or alias `m` (one of [`Outcome::matches`]) matched.
    #[must_use]
    pub fn term<'a>(&'a self, m: &'a Match) -> &'a str {
        match &m.term {
            Term::Text(text) => text,
            Term::Name(name) => self.detection.as_ref().map_or("", |d| d.term(*name)),
        }
    }
}

/// Buffers reused between the checks of one thread.
#[derive(Default)]
struct Scratch {
    declared: Vec<(u32, NameId)>,
    text: Vec<detect::TextMatch>,
    signals: Vec<Range<usize>>,
    logos: Vec<detect::LogoMatch>,
}

thread_local! {
    /// Taken out while in use: a nested use, or one while the thread is
    /// being torn down, gets fresh buffers (nothing panics).
    static SCRATCH: Cell<Option<Scratch>> = const { Cell::new(None) };
}

/// How a brand shown stands for the listing: the registry's part of a
/// match, before the seller is looked at.
#[derive(Clone, Copy)]
enum Scoped<'s> {
    /// No registered, unexpired trademark covers the class and region.
    Out,
    /// A common-word brand in text without an in-scope class.
    CommonWord,
    /// In scope by this trademark.
    In(&'s Arc<Trademark>),
}

/// A brand shown, with how it stands ([`scope_brand`]).
type InScope<'s> = Option<(&'s Arc<Brand>, Scoped<'s>)>;

/// The brand of detection number `id`, and how it stands for `listing` at
/// `at` with `evidence`; `None` if the snapshot has no such brand.
fn scope_brand<'s>(
    snapshot: &'s Snapshot,
    index: &'s Detection,
    listing: &Listing,
    at: Timestamp,
    id: u32,
    evidence: &Evidence,
) -> InScope<'s> {
    let brand = index.brand(id)?;
    let text_evidence = !matches!(evidence, Evidence::Logo { .. } | Evidence::BrandField);
    let scoped = match snapshot.in_scope(id, listing.nice_class, listing.region, at) {
        None => Scoped::Out,
        // Not in scope: a common word's mention counts only in a class the
        // listing gives, so no trademark puts it there.
        Some(_) if brand.common_word && text_evidence && listing.nice_class.is_none() => {
            Scoped::CommonWord
        }
        Some(trademark) => Scoped::In(trademark),
    };
    Some((brand, scoped))
}

/// Leaves out (scopes as `None`), among one field's text matches `text`
/// (in span order) scoped as `scoped`, a match inside a longer strong one
/// of another owner's brand that is in scope and whose names were all
/// registered by the time the shorter one's brand was created
/// ([`named_first`]): that text is the other brand's name as written
/// (`雅坊` inside `翠雅坊`, both registered, the longer one for these goods
/// and first), not a mention of the shorter one. Detection already drops
/// those inside a name of the same owner; inside another owner's name only
/// scope and the order of registration can tell. A longer name without a
/// trademark for these goods hides nothing, nor does one registered (or
/// its brand changed) after the shorter one's brand was: scope rests on
/// trademarks any member writes, so a member who registers a name around
/// another's brand (`Aurelle Paris Official` around `Aurelle`), with a
/// trademark and an authorization of its own, still leaves `Aurelle`
/// shown, and a listing by its seller blocked.
///
/// Done before the matches are resolved any further, so that a hidden one
/// costs no scope or seller lookup: a Chinese title's few characters can
/// hold dozens of other brands' names (`拉蒂` of twenty brands inside
/// `拉蒂格奥`). So only the strong matches that hold another's span
/// ([`scope_holders`]) need be scoped (`Some`) when this is called: no
/// other can hide one. The rest may be unscoped (`None`); those not left
/// out are scoped after. One pass, keeping the holders whose spans still
/// reach the matches read next (a text's holders overlap by a few at
/// most).
fn hide_inside_names_in_scope<'s>(
    brand_of: impl Fn(u32) -> Option<&'s Arc<Brand>>,
    text: &[detect::TextMatch],
    scoped: &mut [Option<InScope<'s>>],
) {
    let holder = |s: &Option<InScope<'s>>, m: &detect::TextMatch| match *s {
        Some(Some((brand, Scoped::In(_)))) if m.evidence.is_strong() => Some(brand),
        _ => None,
    };
    debug_assert_eq!(text.len(), scoped.len());
    if text.len() < 2 || !scoped.iter().zip(text).any(|(s, m)| holder(s, m).is_some()) {
        return;
    }
    // The holders starting earlier whose spans reach past the matches'
    // start, by index, with their brands (a holder left out still hides
    // what it reaches).
    let mut reaching: Vec<(usize, &Arc<Brand>)> = Vec::new();
    let mut here: Vec<(usize, &Arc<Brand>)> = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let start = text[i].span.start;
        let mut j = i;
        here.clear();
        while j < text.len() && text[j].span.start == start {
            if let Some(brand) = holder(&scoped[j], &text[j]) {
                here.push((j, brand));
            }
            j += 1;
        }
        reaching.retain(|&(h, _)| text[h].span.end > start);
        for k in i..j {
            let m = &text[k];
            // Another owner's holders whose spans hold this one's; only
            // then is its brand's record read, for the order.
            let holds = |&&(h, _): &&(usize, &Arc<Brand>), longer: bool| {
                let held = &text[h];
                held.owner != m.owner
                    && (held.span.end > m.span.end || !longer && held.span.end == m.span.end)
            };
            let mut holders = reaching
                .iter()
                .filter(|h| holds(h, false))
                .chain(here.iter().filter(|h| holds(h, true)))
                .peekable();
            if holders.peek().is_none() {
                continue;
            }
            if let Some(shown) = brand_of(m.brand)
                && holders.any(|&(_, brand)| named_first(brand, shown))
            {
                scoped[k] = Some(None);
            }
        }
        reaching.append(&mut here);
        i = j;
    }
}

/// Whether `longer`'s names were all registered by the time `shown`'s
/// brand was created: `longer` has not changed since (its update time at
/// or before `shown`'s creation), so that its names, written in a text,
/// may be read as its own rather than as mentions of `shown`
/// ([`hide_inside_names_in_scope`]). A name
/// registered later, around or beside a brand already registered, hides
/// nothing of it: scope rests on trademarks any member writes.
fn named_first(longer: &Brand, shown: &Brand) -> bool {
    named_since(longer) <= shown.create_time
}

/// Since when `brand`'s names have all been registered: since it last
/// changed. Its names, written in a text, are its own rather than another
/// brand's mentions or misspellings only for brands created since
/// ([`named_first`], [`detect::NamesHide`]).
fn named_since(brand: &Brand) -> Timestamp {
    brand.update_time
}

/// Scopes (`Some`, by `scope`) the strong matches among `text` (one
/// field's, in span order) whose span holds another match's span
/// ([`detect::mark_holders`]): only those can hide a match
/// ([`hide_inside_names_in_scope`]). The rest stay as they are.
fn scope_holders<'s>(
    text: &[detect::TextMatch],
    scoped: &mut [Option<InScope<'s>>],
    mut scope: impl FnMut(&detect::TextMatch) -> InScope<'s>,
) {
    let (mut few, mut many) = ([false; 8], Vec::new());
    let holds = detect::stack_or_heap(&mut few, &mut many, text.len());
    detect::mark_holders(text, holds, false);
    for ((s, m), &holds) in scoped.iter_mut().zip(text).zip(holds.iter()) {
        if holds {
            *s = Some(scope(m));
        }
    }
}

/// Leaves out, among `matches[from..]` (one field's, from both readings of
/// its markup), each misspelling of a brand that a stronger match of the
/// same brand covers in part: one reading found `Aur</x>elle` misspelt
/// (the tag as text), the other the name itself (the tag removed), and a
/// match is fuzzy only where none stronger is (DESIGN.md). Only for a field
/// read twice, which is rare.
fn drop_fuzzy_beside_stronger(matches: &mut Vec<Match>, from: usize) {
    let fuzzy = |m: &Match| matches!(m.evidence, Evidence::TextFuzzy { .. });
    let field = &matches[from..];
    // The spans of each brand's stronger matches, by start, with the
    // farthest end of those up to each: a stuffed text's thousands of
    // matches are not compared pairwise.
    let mut stronger: hashbrown::HashMap<*const Brand, (Vec<Range<usize>>, Vec<usize>)> =
        hashbrown::HashMap::new();
    for m in field.iter().filter(|m| !fuzzy(m)) {
        stronger
            .entry(Arc::as_ptr(&m.brand))
            .or_default()
            .0
            .push(m.span.clone());
    }
    for (spans, reach) in stronger.values_mut() {
        spans.sort_by_key(|span| span.start);
        *reach = spans
            .iter()
            .scan(0, |far, span| {
                *far = span.end.max(*far);
                Some(*far)
            })
            .collect();
    }
    let covered: Vec<bool> = field
        .iter()
        .map(|m| {
            fuzzy(m)
                && stronger
                    .get(&Arc::as_ptr(&m.brand))
                    .is_some_and(|(spans, reach)| {
                        let before = spans.partition_point(|span| span.start < m.span.end);
                        before > 0 && reach[before - 1] > m.span.start
                    })
        })
        .collect();
    let mut at = 0;
    matches.retain(|_| {
        let keep = at < from || !covered[at - from];
        at += 1;
        keep
    });
}

/// Weakens the description's mentions of a brand the listing introduces
/// as what its goods fit: a brand whose first mention is nominative use
/// (after a compatibility phrase: `Leather strap for Aurelle watches`), in
/// the title, or in the description when the title does not name it, and
/// that neither the title nor the declared brand names strongly. The
/// title says what the goods are; the description's other mentions of
/// that brand then speak of the goods they fit (`Aurelle watch not
/// included`, `Fits Aurelle Classic and Aurelle Sport`, a model list, a
/// disclaimer), and are nominative use too: weak, not unauthorized.
/// Logos keep their strength (an image shows what it shows), and so does
/// every mention of a listing that names the brand strongly in its title
/// (`Aurelle automatic watch, strap for Aurelle fans`).
fn weaken_after_nominative_introduction(matches: &mut [Match]) {
    if !matches.iter().any(|m| m.reason == Reason::NominativeUse) {
        return;
    }
    let text = |m: &Match| m.field != Field::Image;
    // Per brand: named strongly in the title or the declared brand; its
    // first nominative mention and first mention otherwise (field, then
    // position).
    #[derive(Default)]
    struct Seen {
        strong_up_front: bool,
        first_nominative: Option<(Field, usize)>,
        first_other: Option<(Field, usize)>,
    }
    let order = |field: Field| match field {
        Field::DeclaredBrand => 0,
        Field::Title => 1,
        Field::Description => 2,
        Field::Image => 3,
    };
    let earlier = |a: Option<(Field, usize)>, b: (Field, usize)| match a {
        Some(a) if (order(a.0), a.1) <= (order(b.0), b.1) => Some(a),
        _ => Some(b),
    };
    let mut seen: hashbrown::HashMap<*const Brand, Seen> = hashbrown::HashMap::new();
    for m in matches
        .iter()
        .filter(|m| text(m) && m.reason != Reason::OutOfScope)
    {
        let entry = seen.entry(Arc::as_ptr(&m.brand)).or_default();
        let at = (m.field, m.span.start);
        if m.reason == Reason::NominativeUse {
            entry.first_nominative = earlier(entry.first_nominative, at);
        } else {
            entry.first_other = earlier(entry.first_other, at);
            entry.strong_up_front |= m.strong && m.field != Field::Description;
        }
    }
    let introduced = |seen: &Seen| {
        let Some(first) = seen.first_nominative else {
            return false;
        };
        !seen.strong_up_front
            && seen
                .first_other
                .is_none_or(|other| (order(first.0), first.1) < (order(other.0), other.1))
    };
    for m in matches.iter_mut() {
        if m.field == Field::Description
            && m.reason == Reason::Unauthorized
            && seen.get(&Arc::as_ptr(&m.brand)).is_some_and(introduced)
        {
            m.strong = false;
            m.reason = Reason::NominativeUse;
        }
    }
}

/// Keeps one match of each brand per field, evidence kind and strength:
/// the closest (a fuzzy match at distance 1 over one at 2, a logo nearer
/// than another), the first of those. A name written a thousand times is
/// one match, as are a thousand images near one logo. A mention after a
/// compatibility phrase (weak, its reason nominative use) is kept apart.
fn first_occurrences(matches: &mut Vec<Match>) {
    if matches.len() < 2 {
        return;
    }
    let key = |m: &Match| {
        (
            Arc::as_ptr(&m.brand),
            m.field,
            std::mem::discriminant(&m.evidence),
            m.strong,
            m.reason,
        )
    };
    // Where each key's match is kept: among the first `keep`.
    let mut keep = 0;
    let mut kept: Option<hashbrown::HashMap<_, usize>> = (matches.len() > 32)
        // Stuffed text, with perhaps thousands of brands, or a Chinese
        // title's crowd of brands sharing a short name: a map (hashed with
        // foldhash, seeded per process; SipHash took a fifth of such a
        // title's check), else a scan of the few kept, without allocating.
        .then(|| hashbrown::HashMap::with_capacity(matches.len()));
    for i in 0..matches.len() {
        let k = key(&matches[i]);
        let at = match &kept {
            Some(map) => map.get(&k).copied(),
            None => matches[..keep].iter().position(|m| key(m) == k),
        };
        match at {
            Some(j) => {
                if matches[i].evidence.rank() < matches[j].evidence.rank() {
                    matches.swap(j, i);
                }
            }
            None => {
                matches.swap(keep, i);
                if let Some(map) = &mut kept {
                    map.insert(k, keep);
                }
                keep += 1;
            }
        }
    }
    matches.truncate(keep);
}

/// Whether `title`, which is not blank as written ([`is_blank`]: spaces,
/// invisible characters; the caller's first check), renders as blank
/// through its HTML (`<b></b>`, `&#8203;`, `<style>x</style>`,
/// `<!-- Aurelle -->`). Such a title shows a buyer nothing and names no
/// goods, and no check of it could find a brand there: the request is
/// refused.
#[must_use]
pub fn title_renders_blank(title: &str) -> bool {
    detect::markup::render(title).is_some_and(|r| is_blank(&r.text))
}

/// Checks `listing` by a seller of `platform` at `at`.
pub fn check(snapshot: &Snapshot, platform: &Slug, listing: &Listing, at: Timestamp) -> Outcome {
    let Some(index) = snapshot.detection() else {
        return Outcome {
            verdict: Verdict::Allow,
            matches: Vec::new(),
            omitted_matches: 0,
            signal_terms: Vec::new(),
            detection: None,
        };
    };
    // Each brand shown, resolved against the registry as it is found.
    let mut matches = Vec::new();
    let scope =
        |id: u32, evidence: &Evidence| scope_brand(snapshot, &index, listing, at, id, evidence);
    let resolve = |matches: &mut Vec<Match>,
                   (brand, scoped): (&Arc<Brand>, Scoped<'_>),
                   evidence: Evidence,
                   field: Field,
                   term: Term,
                   logo: Option<Arc<Logo>>,
                   span: Range<usize>,
                   nominative: bool| {
        let strong = evidence.is_strong() && !nominative;
        let (trademark, reason, authorization) = match scoped {
            Scoped::Out => (None, Reason::OutOfScope, None),
            Scoped::CommonWord => (None, Reason::CommonWord, None),
            Scoped::In(trademark) => {
                let seller = snapshot.check_active_seller(
                    &brand.id,
                    platform,
                    &listing.seller_account,
                    listing.nice_class,
                    listing.region,
                    at,
                );
                let (reason, authorization) = match seller {
                    check if check.verdict == SellerVerdict::Authorized => {
                        (Reason::Authorized, check.authorization)
                    }
                    _ if nominative => (Reason::NominativeUse, None),
                    _ => (Reason::Unauthorized, None),
                };
                (Some(trademark.clone()), reason, authorization)
            }
        };
        matches.push(Match {
            brand: brand.clone(),
            evidence,
            strong,
            field,
            term,
            logo,
            span,
            trademark,
            authorization,
            drives_verdict: false,
            reason,
        });
    };

    let mut signal_terms = Vec::new();
    let mut scratch = SCRATCH
        .try_with(Cell::take)
        .ok()
        .flatten()
        .unwrap_or_default();
    {
        let Scratch {
            declared,
            text,
            signals,
            logos,
        } = &mut scratch;
        declared.clear();
        let field = listing.declared_brand.as_str();
        if !field.trim().is_empty() {
            // As rendered: `<b>Aurelle</b>` and `Aur&#101;lle` declare it.
            let rendered = detect::markup::render(field);
            let shown = rendered.as_ref().map_or(field, |r| r.text.as_str());
            index.layers().declared_brands(shown, declared);
            // The name without the spaces (or markup) around it
            // (` Aurelle `), in the field as sent.
            let declared_span = {
                let start = shown.len() - shown.trim_start().len();
                let span = start..shown.trim_end().len();
                rendered
                    .as_ref()
                    .map_or(span.clone(), |r| r.original_span(span))
            };
            for &(brand, name) in declared.iter() {
                let Some(scoped) = scope(brand, &Evidence::BrandField) else {
                    continue;
                };
                resolve(
                    &mut matches,
                    scoped,
                    Evidence::BrandField,
                    Field::DeclaredBrand,
                    Term::Name(name),
                    None,
                    declared_span.clone(),
                    false,
                );
            }
        }
        // The declared brand is read as text too, as the title is: a name
        // among other words (`Aurelle Official Store`, `Aurelle Watches`)
        // is found there, as is one inside another brand's name the field
        // equals (`Vellano Bag`, registered by another member out of
        // scope), which, as in a title, hides it only where its brand is
        // in scope. Sellers fill the field so, and equality alone would let
        // any such field through. The brands the field equals are
        // BRAND_FIELD matches already, and not also text ones.
        for (field, body) in [
            (Field::DeclaredBrand, listing.declared_brand.as_str()),
            (Field::Title, listing.title.as_str()),
            (Field::Description, listing.description.as_str()),
        ] {
            if body.is_empty() {
                continue;
            }
            // HTML read as a buyer sees it (most texts have none), every
            // span mapped back to the text as sent; and read again, only
            // for a text that has tags of names HTML does not know or
            // content a browser does not show, with those removed as a
            // browser removes them (`Aur<zz></zz>elle`,
            // `Aur<script>x</script>elle`): the first reading keeps them as
            // text, so that neither way of showing the text hides a name
            // (`<Aurelle>`). And the text a buyer or a search engine reads
            // in the tags' attributes (`<img alt="…">`), apart.
            let field_start = matches.len();
            let first = detect::markup::render(body);
            let every_tag = detect::markup::render_every_tag(body);
            let attributes = first.as_ref().and_then(|r| r.attributes_reading(body));
            let read_twice = every_tag.is_some() || attributes.is_some();
            let readings = [
                (first.as_ref(), true),
                (every_tag.as_ref(), every_tag.is_some()),
                (attributes.as_ref(), attributes.is_some()),
            ];
            for (rendered, made) in readings {
                if !made {
                    continue;
                }
                // One fold of the text for the brands and the signal terms.
                let shown = rendered.map_or(body, |r| r.text.as_str());
                // A brand's name written in the text is that brand's, not a
                // misspelling of another owner's name, where it is in scope
                // (`Flais`, registered for these goods, is not a misspelt
                // `Plais`) and was registered first, before the brand it
                // misspells ([`named_since`]); out of scope, or registered
                // later, it hides nothing, so that no member takes another's
                // misspellings out of review by registering them as names of
                // its own, with a trademark for the goods or without.
                let hides = |brand: u32| match scope(brand, &Evidence::TextExact) {
                    Some((brand, Scoped::In(_))) => Some(registration_order(named_since(brand))),
                    _ => None,
                };
                index
                    .layers()
                    .scan_text_and_signals(shown, text, signals, &hides);
                if let Some(rendered) = rendered {
                    for m in text.iter_mut() {
                        let span = rendered.original_span(m.span.clone());
                        // Markup inside a name as sent hides it from a reader
                        // of the raw text (`Aur<b></b>elle`, `Aur&#101;lle`).
                        if span.len() != m.span.len() && m.evidence == Evidence::TextExact {
                            m.evidence = Evidence::TextObfuscated;
                        }
                        m.span = span;
                    }
                    for span in signals.iter_mut() {
                        *span = rendered.original_span(span.clone());
                    }
                }
                for term in signals.iter().filter_map(|span| body.get(span.clone())) {
                    if signal_terms.len() < MAX_SIGNAL_TERMS
                        && !signal_terms.iter().any(|t| t == term)
                    {
                        signal_terms.push(term.to_string());
                    }
                }
                // Those that may hide another scoped first, so that those
                // hidden inside another owner's name are left out before their
                // scopes and sellers are looked up; the few a title has on the
                // stack.
                let (mut few, mut many): ([Option<InScope<'_>>; 8], _) = ([None; 8], Vec::new());
                let scoped = detect::stack_or_heap(&mut few, &mut many, text.len());
                scope_holders(text, scoped, |m| scope(m.brand, &m.evidence));
                hide_inside_names_in_scope(|id| index.brand(id), text, scoped);
                matches.reserve(text.len());
                for (m, s) in text.iter().zip(scoped.iter()) {
                    if field == Field::DeclaredBrand && declared.iter().any(|&(b, _)| b == m.brand)
                    {
                        continue;
                    }
                    let Some(s) = s.unwrap_or_else(|| scope(m.brand, &m.evidence)) else {
                        continue;
                    };
                    resolve(
                        &mut matches,
                        s,
                        m.evidence,
                        field,
                        Term::Name(m.name),
                        None,
                        m.span.clone(),
                        m.nominative_use,
                    );
                }
            }
            if read_twice {
                drop_fuzzy_beside_stronger(&mut matches, field_start);
            }
        }
        index.layers().scan_logos(&listing.image_hashes, logos);
        for m in logos.iter() {
            let evidence = Evidence::Logo {
                distance: m.distance,
            };
            let Some(scoped) = scope(m.brand, &evidence) else {
                continue;
            };
            let brand = scoped.0;
            resolve(
                &mut matches,
                scoped,
                evidence,
                Field::Image,
                Term::Text(brand.display_name.clone()),
                snapshot.nth_logo(&brand.id, m.logo).cloned(),
                m.hash_index..m.hash_index + 1,
                false,
            );
        }
    }
    // Fails only while the thread is being torn down: then drop the buffers.
    let _ = SCRATCH.try_with(|cell| cell.set(Some(scratch)));
    weaken_after_nominative_introduction(&mut matches);
    first_occurrences(&mut matches);

    let counts = |m: &Match| matches!(m.reason, Reason::Unauthorized | Reason::NominativeUse);
    let mut verdict = if matches.iter().any(|m| counts(m) && m.strong) {
        Verdict::Block
    } else if matches.iter().any(counts) {
        Verdict::Review
    } else {
        Verdict::Allow
    };
    for m in &mut matches {
        m.drives_verdict = counts(m)
            && match verdict {
                Verdict::Block => m.strong,
                Verdict::Review => true,
                Verdict::Allow => false,
            };
    }
    let in_scope_match = |m: &Match| {
        matches!(
            m.reason,
            Reason::Unauthorized | Reason::NominativeUse | Reason::Authorized
        )
    };
    // Signal terms raise the verdict one step, with every in-scope match
    // driving it then; a BLOCK goes no higher, and its drivers stay those
    // that decided it (an authorized brand beside them decided nothing).
    if !signal_terms.is_empty() && matches.iter().any(in_scope_match) && verdict.raised() != verdict
    {
        verdict = verdict.raised();
        for m in &mut matches {
            if in_scope_match(m) {
                m.drives_verdict = true;
            }
        }
    }
    matches.sort_by_key(|m| (!m.strong, m.evidence.rank()));
    let omitted_matches = matches.len().saturating_sub(MAX_MATCHES);
    if omitted_matches > 0 {
        // Stable: those that drive the verdict first, each part in order.
        matches.sort_by_key(|m| !m.drives_verdict);
        matches.truncate(MAX_MATCHES);
        matches.sort_by_key(|m| (!m.strong, m.evidence.rank()));
    }
    Outcome {
        verdict,
        matches,
        omitted_matches,
        signal_terms,
        detection: Some(index),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, LazyLock};

    use proptest::prelude::*;

    use super::{InScope, Scoped, hide_inside_names_in_scope, scope_holders};
    use crate::detect::TextMatch;
    use crate::detect::tests::{crowd_match, in_scan_order};
    use crate::model::{
        Brand, BrandStatus, NiceClassSet, Office, ResourceId, Slug, Timestamp, Trademark,
        TrademarkKind, TrademarkStatus,
    };

    static BRAND: LazyLock<Arc<Brand>> = LazyLock::new(|| {
        Arc::new(Brand {
            id: Slug::parse("zephyrine").expect("slug"),
            owner: Slug::parse("owner").expect("slug"),
            display_name: "Zephyrine".into(),
            aliases: vec![],
            common_word: false,
            status: BrandStatus::Active,
            create_time: Timestamp::UNIX_EPOCH,
            update_time: Timestamp::UNIX_EPOCH,
            update_revision: 1,
        })
    });

    static TRADEMARK: LazyLock<Arc<Trademark>> = LazyLock::new(|| {
        Arc::new(Trademark {
            brand: BRAND.id.clone(),
            id: ResourceId::parse("tm01").expect("id"),
            office: Office::Wipo,
            registration_number: "1".into(),
            mark_text: "Zephyrine".into(),
            kind: TrademarkKind::Word,
            nice_classes: NiceClassSet::parse_list(&[14]).expect("classes"),
            status: TrademarkStatus::Registered,
            registration_date: None,
            expiry_date: None,
            designated_countries: vec![],
            territories: vec![],
            update_revision: 1,
        })
    });

    /// Matches in span order (as scans report them), of brands 0–5 with
    /// owners 0–2, some weak.
    fn matches() -> impl Strategy<Value = Vec<TextMatch>> {
        proptest::collection::vec((0u32..6, 0usize..8, 1usize..5, 0u8..4), 0..24).prop_map(|raw| {
            let mut out: Vec<TextMatch> = raw
                .into_iter()
                .map(|(brand, start, len, kind)| crowd_match(brand, brand % 3, start, len, kind))
                .collect();
            in_scan_order(&mut out);
            out
        })
    }

    proptest! {
        /// Scoping only the matches that may hide another before hiding,
        /// and the rest after, leaves out and keeps the very matches that
        /// scoping them all first does, each scoped alike.
        #[test]
        fn hiding_needs_only_the_holders_scoped(
            text in matches(),
            in_scope in proptest::collection::vec(any::<bool>(), 6),
        ) {
            let scope = |m: &TextMatch| -> InScope<'static> {
                let scoped = if in_scope[m.brand as usize] {
                    Scoped::In(&TRADEMARK)
                } else {
                    Scoped::Out
                };
                Some((&BRAND, scoped))
            };
            let outcome = |scoped: &[Option<InScope<'static>>]| -> Vec<Option<bool>> {
                scoped
                    .iter()
                    .map(|s| s.expect("scoped").map(|(_, s)| matches!(s, Scoped::In(_))))
                    .collect()
            };

            let mut all: Vec<Option<InScope<'static>>> = text.iter().map(|m| Some(scope(m))).collect();
            hide_inside_names_in_scope(|_| Some(&BRAND), &text, &mut all);

            let mut calls = 0;
            let mut lazy = vec![None; text.len()];
            scope_holders(&text, &mut lazy, |m| {
                calls += 1;
                scope(m)
            });
            hide_inside_names_in_scope(|_| Some(&BRAND), &text, &mut lazy);
            for (s, m) in lazy.iter_mut().zip(&text) {
                if s.is_none() {
                    calls += 1;
                    *s = Some(scope(m));
                }
            }
            prop_assert_eq!(outcome(&lazy), outcome(&all));
            prop_assert!(calls <= text.len());
        }
    }

    /// `拉蒂格奥` of one owner in scope hides the twenty `拉蒂` of others
    /// inside it, and they are never scoped.
    #[test]
    fn matches_inside_an_in_scope_name_are_not_scoped() {
        // Twenty brands of their own owners on one span, one name of
        // brand 0 around it.
        let mut text: Vec<TextMatch> = (1..=20).map(|b| crowd_match(b, b, 0, 6, 0)).collect();
        text.push(crowd_match(0, 0, 0, 12, 0));
        in_scan_order(&mut text);
        let mut scoped: Vec<Option<InScope<'static>>> = vec![None; text.len()];
        let mut scoped_brands = vec![];
        scope_holders(&text, &mut scoped, |m| {
            scoped_brands.push(m.brand);
            Some((&BRAND, Scoped::In(&TRADEMARK)))
        });
        assert_eq!(scoped_brands, [0]);
        hide_inside_names_in_scope(|_| Some(&BRAND), &text, &mut scoped);
        for (m, s) in text.iter().zip(&scoped) {
            assert_eq!(s.is_some_and(|s| s.is_some()), m.brand == 0, "{m:?}");
        }
    }

    /// A name registered around another owner's brand after that brand was
    /// created hides nothing of it (`Aurelle Paris Official` around
    /// `Aurelle`, with a trademark for the goods); one registered first
    /// does (`翠雅坊` around a later `雅坊`), and a change to its brand
    /// since makes it as late.
    #[test]
    fn a_name_hides_another_owners_brand_only_if_registered_first() {
        let at = |seconds: i64| Timestamp::UNIX_EPOCH + time::Duration::seconds(seconds);
        let brand = |created: i64, updated: i64| {
            Arc::new(Brand {
                create_time: at(created),
                update_time: at(updated),
                ..Brand::clone(&BRAND)
            })
        };
        // Brand 1 (owner 1), the shorter name, created at 10; brand 0
        // (owner 0) around it, created and last changed as given.
        for (created, updated, hidden) in
            [(5, 5, true), (5, 10, true), (5, 11, false), (11, 11, false)]
        {
            let shorter = brand(10, 10);
            let longer = brand(created, updated);
            let mut text = vec![crowd_match(1, 1, 0, 6, 0), crowd_match(0, 0, 0, 12, 0)];
            in_scan_order(&mut text);
            let brands = |id: u32| Some(if id == 0 { &longer } else { &shorter });
            let mut scoped: Vec<Option<InScope<'_>>> = text
                .iter()
                .map(|m| {
                    Some(Some((
                        brands(m.brand).expect("brand"),
                        Scoped::In(&TRADEMARK),
                    )))
                })
                .collect();
            hide_inside_names_in_scope(brands, &text, &mut scoped);
            let shown = |b: u32| {
                text.iter()
                    .zip(&scoped)
                    .any(|(m, s)| m.brand == b && s.is_some_and(|s| s.is_some()))
            };
            assert!(shown(0));
            assert_eq!(shown(1), !hidden, "created {created}, updated {updated}");
        }
    }
}

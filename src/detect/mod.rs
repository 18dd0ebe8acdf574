//! Brand detection in listing text and images: pure, no I/O.
//!
//! This module implements the evidence kinds of DESIGN.md, "Listing check
//! semantics", over a [`BrandIndex`] built once per registry snapshot (the
//! build takes 1.3–2.4 s for 100k brands and must never run on the request
//! path). Brands are referred to by a `u32` id that the caller
//! assigns; nothing here knows about the registry.
//!
//! ```
//! use marque::detect::{BrandEntry, BrandIndex, Evidence};
//! # fn main() -> Result<(), marque::detect::IndexError> {
//! let index = BrandIndex::build([
//!     BrandEntry { id: 1, names: vec!["Cartier".into(), "卡地亚".into()], logos: vec![], owner: 1 },
//!     BrandEntry { id: 2, names: vec!["Louis Vuitton".into()], logos: vec![], owner: 2 },
//! ])?;
//! let mut found = Vec::new();
//! let title = "Genuine C4rtier watch, not LouisVuitton";
//! index.scan_text(title, &mut found);
//! assert_eq!(found.len(), 2);
//! assert_eq!(found[0].brand, 1);
//! assert_eq!(found[0].evidence, Evidence::TextObfuscated);
//! assert_eq!(&title[found[0].span.clone()], "C4rtier");
//! assert_eq!(index.term(found[0].name), "Cartier");
//! # Ok(())
//! # }
//! ```
//!
//! ## Layout
//! | module | what it holds |
//! | --- | --- |
//! | [`markup`] | HTML in a listing's text read as rendered (tags, character references), with a byte map back |
//! | [`normalize`] | the exact and obfuscation folds, with a byte map back to the original text |
//! | `index` | [`BrandIndex`]: one Aho-Corasick automaton over every folded name and alias, word boundaries, exact vs obfuscated |
//! | `fuzzy` | symmetric-deletion index for edit distance 1–2, bit-parallel verification |
//! | `runs` | which runs of 2–3 words get a fuzzy lookup, and for which names |
//! | `logo` | Hamming-distance scan over 64-bit logo hashes |
//! | `signal` | counterfeit signal terms and compatibility phrases |
//! | `vocabulary` | ordinary English words, never taken for misspelt names |
//!
//! ## Costs (`benches/detect.rs`: 100k brands, 400k names, 10k logos, 122-byte titles, one core)
//! | what | time |
//! | --- | --- |
//! | [`BrandIndex::scan_text`] without fuzzy | ~1.9 µs per title (raw Aho-Corasick alone: ~0.95 µs) |
//! | [`BrandIndex::scan_text`], fuzzy on single words | ~2.9 µs |
//! | [`BrandIndex::scan_text`], fuzzy on runs of 1–3 words (default, DESIGN.md) | ~3.5 µs (~11 µs for a check of a title whose words the thread has not met) |
//! | [`signal_terms`] | ~1.1 µs, its own fold of the text included; ~0.3 µs on a scan's fold, as a check reads them |
//! | [`BrandIndex::scan_logos`], one hash against 10k logos | ~1.4 µs |
//! | [`BrandIndex::build`] | ~1.4–2.4 s on two cores; an index of 169 MiB, whose construction peaks at +420–550 MiB |
//!
//! The fuzzy figures are for a dense synthetic registry (400k pronounceable
//! names) where most title words are within distance 1–2 of some name: a
//! word of `L` letters costs 1 + L hash probes (1 + L + L(L-1)/2 from 9
//! letters on) the first time a thread meets it, then a lookup in the
//! thread's memo. Most title words are ordinary English words, which
//! report no fuzzy match, and runs made only of them are not looked up;
//! most other fuzzy matches are names near a name the title shows as
//! written, and are dropped (step 5): 0.25 fuzzy matches per title remain,
//! against 17.6 before either rule.
//! Before runs of several words were selected (`runs`), the default scan
//! cost ~200–280 µs.

//! ## How a text is scanned
//! 1. The text is folded once into both levels ([`normalize`]).
//! 2. The automaton (over every name folded and joined without separators)
//!    is walked over the obfuscation fold joined the same way, anchored at
//!    each character on a word boundary, and reports every name that
//!    begins there (occurrences overlap; a long text that would make the
//!    walks read too much is searched unanchored instead, with the same
//!    result); an occurrence counts only if it
//!    starts and ends on word boundaries of the fold (for names whose edge
//!    is a Latin letter; CJK edges match anywhere, and every CJK character
//!    is on a boundary), or where a number is glued to it (`Orvanta12`,
//!    `Aurelle42mm`, `2024Aurelle`: a separator removed, so never
//!    [`Evidence::TextExact`]; four letters as written at least, not
//!    counting digits; a name with letters read wholly from digits is a
//!    number, `14K` is not `LA`). So whole adjacent words join into
//!    a name (`Lu mo`, `Mai son Ver laine`, `LouisVuitton` for `Louis
//!    Vuitton`); a name with a CJK edge spans only the separators it has
//!    itself (`路易 威登` registered as such). A text with CJK characters
//!    is searched once more without what is glued between two of them and
//!    would hide a name with CJK characters at both ends: one ASCII letter
//!    or digit (or a full-width or fancy-text one, `Ⓐ`, `ᴀ`, `①`) between
//!    two Han characters (`奥x瑞x尔`, `奥1瑞2尔`, in a name
//!    of three characters or more: Chinese words write letters and digits
//!    beside characters, `T恤`, `买2送1`), and `丶`, `丨` between CJK
//!    characters or `ー`, the Hangul bar `ㅣ` between Han ones, written as
//!    separators (`奥丶瑞丶尔`, `奥ㅣ瑞ㅣ尔`; not `一` or `〇`, nor `ㅣ` in
//!    Korean text), with a single character on one side at least (glued
//!    between two phrases, `翡翠丨雅坊出品`, they are a title's divider, as a
//!    space is). Such a match counts only with one of them inside it,
//!    between two of its characters, and is [`Evidence::TextObfuscated`]
//!    (`index.rs`, `scan_cjk_insertions`).
//! 3. Each occurrence maps back to an original span; if the exact fold of
//!    that span equals the exact fold of the name it is
//!    [`Evidence::TextExact`], otherwise [`Evidence::TextObfuscated`],
//!    unless it needed an `i` read as an `l` or the reverse (the fold
//!    merges them but records which was which, `normalize`): each counts
//!    as a substitution, and the occurrence is [`Evidence::TextFuzzy`] if
//!    the name allows that distance (`Aurelie` for `Aurelle`), else
//!    nothing; two or more `i` in a row for as many `l` count as none
//!    (`VeIIano`: a doubled `l`'s look-alike). An occurrence whose first or last letter is a leet symbol
//!    glued between two words counts only for a name of four letters or
//!    digits or more as written besides it (`Nice|ouis Vuitton`,
//!    `Denim|3vi's`; not `XL|V-neck` as `LV`, nor `Del|Monte` as `Dell`),
//!    and not after an `@` of an email address (`info@erie-outdoor.com`).
//!    A leet symbol the fold read one way (a letter between word
//!    characters, a separator at a word's edge) is also read the other way
//!    in the one word it touches (dropped inside it, a run of them too:
//!    `Lu|mo`, `Lu||mo`, `Mont+Claire`, `Louis|Vuitton`, `Louis£Vuitton`;
//!    at the start of a word `@`, `|`, `$`, `¢`, `©` read as `a`, `l`,
//!    `s`, `c`, `c` (the last two before a lowercase letter only: `©Eline`
//!    is a copyright notice), at its end `@`: `@urelle`, `©oach`,
//!    `Orvant@`, for a name of four letters or more as written besides,
//!    so not `@men`): [`Evidence::TextObfuscated`] where a name or alias is
//!    then made of whole words, the word read and maybe words next to it
//!    (`|ouis Vuitton`, `@nne Klein`), and nothing otherwise. The word read
//!    ends at superscripts too (`Cart|ierᵀᴹ`), but not at another symbol
//!    (`Black|Off|White|Navy` is a list, not `Off|White`); a word with
//!    several symbols inside is also read with all of them dropped, and
//!    with only those of one kind (`The|North|F@ce`), where a name then
//!    takes in the whole word (`The|North|Face`). A
//!    word of Greek or Cyrillic letters only, whose fancy letters the fold
//!    keeps (it may be Greek or Russian), is read as Latin where it cannot
//!    be Greek or Russian text (`ТЕЅЅАЯО`, with a Macedonian `Ѕ`; not
//!    `Вата`), and counts if the whole word is then a name or alias.
//!    Both read a text with bidi controls as it is shown, as the fold does.
//!    A run of words that have a mark of upside-down text (a turned
//!    letter, `ɯ`, `∀`, `⊥`…), with at most two words without one in a
//!    row between (a size or a model number left upright, `38mm`, `X12`,
//!    which the reading leaves out; not a single letter, `ǝ l l ǝ ɹ n ɐ`,
//!    nor a word of letters that a half turn leaves letters, which has no
//!    mark either way up, `uo` for `on`: `ɹoɟ ǝsɐɔ uo`, and which may also
//!    begin or end the run, unless it is an ordinary word only as written,
//!    `on` left upright in `ǝllǝɹnɐ on sale`),
//!    is also read backwards (once per text, for every step that reads it), each such word's characters as the letters
//!    they stand for upside down (`ǝllǝɹnɐ` is `aurelle`, `u` for `n`),
//!    folded and searched as a text, and a name of
//!    whole words there is [`Evidence::TextObfuscated`] (`index.rs`,
//!    `scan_flipped`); step 4's fuzzy lookups read it too (`ǝllǝɹɹnɐ`,
//!    `scan_flipped_fuzzy`), and so does the search for signal terms
//!    (`ɐɔᴉldǝɹ`); a text without such a mark pays one test.
//!    A misspelt name beside a letter the fold read as a Latin one at the
//!    word's edge (`Aurrelleㅣ 남성`: the Hangul `ㅣ`, as often a divider of
//!    Korean titles as an `l`; or `ㄴ`, `ㄥ`, read as `l` beside Latin
//!    letters only) is looked up without it too (`index.rs`,
//!    `scan_edgeless_fuzzy`); a text without such a letter pays one
//!    test.
//! 4. Runs of 1–3 words (ended by spaces, punctuation, CJK and characters
//!    that draw as a blank, `Vuiton\u{3164}bag`) that no stronger match
//!    explains for a brand are
//!    looked up in the fuzzy index ([`Evidence::TextFuzzy`]): every single
//!    word, and a run of several words for the names it can match (below);
//!    a run of several words equal to a name once joined (`Mont Blanc` for
//!    `Montblanc`) is [`Evidence::TextObfuscated`], as step 2 finds too.
//!    A word written as an ordinary English word (`vocabulary`) is not a
//!    misspelling: no fuzzy match is reported for it, nor for a run made
//!    only of such words, which is not looked up at all (`steel` is not
//!    `Steal`, `porch light` not `Coachlight`; `Coachligt` and `Mont
//!    Blanq` are still found). Nor is an ordinary word that stands for an
//!    ordinary word of a name of several words (`Aurelle shirt` is not
//!    `Aurelle Sport`; `Mont Blank` is `Mont Blanc`, whose `Blanc` is no
//!    English word). The same holds for step 3's `i` read as `l`.
//!    Candidates come from the index with `i` and `l` merged; distances are
//!    verified with them told apart (`1`, `|` and `!` match both). Fuzzy
//!    lookups dominate the cost of a scan; [`ScanOptions`] can limit them.
//!    CJK names are not in the fuzzy index, but one inner character of a
//!    name of three CJK characters or more masked (a mask symbol between
//!    two CJK characters, once or twice, `奥*尔`, `奥□尔`, `奥？尔`, `奥💎尔`, or one
//!    ASCII letter or digit between two Han characters, `奥x尔`) is a
//!    misspelling at distance 1, as `Aur*lle` is: the characters on either
//!    side of the mask are looked up in a table of the names' inner
//!    characters by their neighbours (one entry per inner character, not
//!    in the automaton), and the rest of the name is read outwards from
//!    them, with no other mask among its characters (`index.rs`,
//!    `scan_cjk_masks`).
//! 5. Results are deduplicated: strongest evidence per (brand, span), and a
//!    span inside a longer span of the same brand is dropped. So are the
//!    matches inside another brand's name as written: a fuzzy match inside
//!    the span of an exact or obfuscated match (`Flais`, a registered name,
//!    is not also a misspelt `Plais`; DESIGN.md's "no stronger match"; no
//!    such fuzzy match is even made where a name of a brand still in force
//!    is written, also where that name is then reported only as part of a
//!    longer name of its brand: `Lykai` in `Lykai Prios`) of the same
//!    owner, or, for a listing check, of another owner where the name's
//!    brand is in scope and was registered first, before the brand misspelt
//!    (`NamesHide`, `BrandEntry::registered`: otherwise a member could take
//!    another's misspellings out of review by registering them, with a
//!    trademark of its own for the goods), and
//!    any match inside a longer exact or obfuscated one of a brand of the
//!    same owner (`路易` inside `路易威登`, `Polo` inside `Polo Ralph
//!    Lauren`). Inside another owner's longer name both are reported, and
//!    the listing check decides by the longer brand's scope and whether it
//!    was registered first (`crate::listing`): otherwise a member could hide
//!    another's brand from every check by registering an alias around it
//!    (`Vellano Bag`), with a trademark of its own.
//!
//! ## Word memo
//! The fuzzy lookup of a single word (its candidates from the deletion
//! index and the names it is within distance of) depends only on the index
//! and the word; that of a run of several words only on the index and its
//! words. Listing titles repeat their common words and word pairs
//! (`leather`, `watch`, `free shipping`) far more often than they bring new
//! ones. So each thread remembers the lookups it made: up to 16,384 words
//! (emptied when full, between two texts, never during one), each with a
//! number, and runs of several words by their words' numbers, in a
//! set-associative table of 16,384 runs (`run_memo.rs`) that also
//! remembers that a run can reach no name (most runs), up to 32,768 runs
//! with hits. A thread keeps such a memo for
//! the two indexes it scanned with last (a snapshot's base and its overlay,
//! `detect::Layers`); each build has a generation number, and a third
//! index takes the memo of the one used less recently. In a layered scan
//! the overlay's memo does not number words itself: it keeps its lookups
//! by the numbers the base's memo gave the fold's words, and its runs by
//! those numbers too, so the overlay's word costs a read of an array
//! instead of a second key to make, hash and compare (it forgets them
//! whenever the base's memo empties). A remembered
//! word costs one hash lookup instead of its deletion probes and
//! verification; a remembered run, a read of one cache line, which a scan
//! makes for all its runs before it looks any up, so that the misses
//! overlap. Word keys of up to 30 elements whose characters are below
//! U+0100 are kept inside the table, so a hit compares its key without
//! reading the heap (a cache miss in a memo this size); other keys are
//! boxed. `benches/check.rs` reports the memo's hit rate and size
//! on a stream of titles never seen before: 73 % of the lookups of words
//! and runs (runs made only of ordinary words are not looked up; runs that
//! can reach no name now count too, where they used to skip the memo for
//! a Bloom filter probe each time), 2.9 MiB, for its generated titles,
//! whose filler vocabulary is small; real titles have a longer tail.
//!
//! The same memo remembers the automaton's walks (step 2) by their bytes:
//! a walk from a word's start that finds at most one pattern and ends
//! within the word's first seven bytes reads as many bytes, and finds the
//! same pattern, the next time the word begins one, whatever follows it,
//! so it is not walked again. A walk's steps each wait on the state the
//! step before read, most of them out of the core's caches; the memo is a
//! direct-mapped table of 4,096 slots (48 KiB) of the word's bytes, the
//! count read and the pattern. Over four passes of the check bench's
//! titles, three walks in four are answered by it; most of the rest read
//! past a short word into the next, or found several patterns.

//! ## Fuzzy runs of several words
//! A single word is matched against every name within its distance. A run
//! of 2–3 words is matched (same distance, on its joined letters) against
//! the names it relates to in one of three ways:
//! - **joined**: it equals the name once joined (`Mont Blanc`, `Zephyr
//!   ine`, `Ch loe`): always found, as before;
//! - **word by word**: its first and last words are each within distance 1
//!   of the first and last words of a multi-word name (exactly, for words
//!   under 5 letters): `Luois Vuiton`, `Maison Verlain`, `Maison de
//!   Verlaine`;
//! - **anchored**: its first word is an exact prefix of the name, or its
//!   last word an exact suffix, of at least 4 letters and at least as long
//!   as the rest of the name minus 1: `Mont Blanq` (`mont` + `blanc`),
//!   `porch light` (`…light` of `Coachlight`).
//!
//! Two words with a mask between (`Aur*lle`, `Aur#lle`, `Aur••lle`,
//! `Aur＊lle`, an emoji with what is drawn with it: `Aur💎lle`, `Aur❤️lle`) are also looked up as one word with a letter no name has
//! where the mask is: a letter masked, a misspelling at distance 1 of a
//! name of that length. Three words with a mask between each
//! (`M*ntcl*ire`) are looked up the same way, two letters masked: a
//! misspelling at distance 2 of a name of nine letters or more.
//!
//! Before, every run was compared with every name; a run within distance
//! of a name in none of these ways is no longer reported. In the
//! synthetic registry of `benches/detect.rs` that drops 1.5 % of the fuzzy
//! matches, all junk (`s with` at distance 1 of `Saith`). On mistakes made
//! to its names (3,000 of each kind), the recall is unchanged for names
//! split at any point and for multi-word names with a typo in one or both
//! words or a word inserted (3 misses in 12,000: a typo on `m`, which the
//! obfuscation fold reads as `rn`, costs 2 in one word), but a name split
//! **and** misspelt is found only when its exact part is an anchor (77 %
//! of random splits with a typo; `Mo ntblamc` is missed). See `runs.rs`
//! for the mechanism; it adds about half the cost of the single words.

mod fuzzy;
mod index;
mod layers;
mod logo;
pub mod markup;
pub mod normalize;
mod run_memo;
mod runs;
mod signal;
mod vocabulary;

#[cfg(test)]
pub(crate) mod tests;

pub use index::{BrandIndex, IndexError, NamesHide, ScanOptions};
pub(crate) use index::{mark_holders, stack_or_heap};
pub use layers::Layers;
pub use signal::signal_terms;
pub use vocabulary::{VocabularyInUse, add_ordinary_words};

use std::ops::Range;

/// A brand as the index sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrandEntry {
    /// Caller-assigned brand id, reported back in every match.
    pub id: u32,
    /// Display name first, then aliases (any script). Names that fold to
    /// nothing (only punctuation) are ignored.
    pub names: Vec<String>,
    /// 64-bit perceptual hashes of the brand's registered logos.
    pub logos: Vec<u64>,
    /// Whose brand it is (any number the caller chooses per owner): a name
    /// written inside a longer name of a brand of the same owner is that
    /// name, not a mention of the shorter one (`Polo` inside `Polo Ralph
    /// Lauren`); inside another owner's name, both are reported (the
    /// caller decides), so no member can hide another's brand by
    /// registering a longer name around it.
    pub owner: u32,
    /// When the brand was registered, in any unit the caller orders by (a
    /// listing check: its creation time):
    /// a name written in a text hides another owner's names it is a
    /// misspelling of only for brands registered since the time
    /// [`NamesHide`] gives for the name's brand, so that no member takes the
    /// misspellings of a brand already registered out of review by
    /// registering them as names of its own.
    pub registered: i64,
}

/// Index of a registered name or alias inside a [`BrandIndex`]; resolve it
/// with [`BrandIndex::term`]. Stable for the lifetime of that index only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameId(pub u32);

/// Why a listing is taken to use a brand, strongest first (DESIGN.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Evidence {
    /// The declared brand equals a name or alias after normalization.
    BrandField,
    /// A name or alias occurs as whole word(s) after the exact fold.
    TextExact,
    /// Occurs only after folding obfuscation (confusables, invisible
    /// characters, leetspeak, separators added or removed).
    TextObfuscated,
    /// A run of 1–3 words within edit distance 1 (names of 5–8 letters) or
    /// 2 (9+ letters) of a name (for runs of several words, names related
    /// to the run as the module docs say), or whole adjacent words equal to
    /// a name but for an `i` read as an `l` (module docs, step 3). Weak.
    TextFuzzy {
        /// Edit distance (insertions, deletions, substitutions, adjacent
        /// transpositions) between the folded run and the folded name.
        distance: u32,
    },
    /// An image hash within Hamming distance 10 of a registered logo.
    Logo {
        /// Hamming distance between the 64-bit hashes.
        distance: u32,
    },
}

/// Logo distances up to this are a match.
pub const LOGO_MATCH_DISTANCE: u32 = 10;
/// Logo distances up to this are strong evidence.
pub const LOGO_STRONG_DISTANCE: u32 = 4;

impl Evidence {
    /// Whether this evidence alone is strong (DESIGN.md: brand field, exact,
    /// obfuscated, logo within distance 4). A compatibility phrase before a
    /// text match weakens it; that is the caller's rule to apply.
    #[must_use]
    pub fn is_strong(self) -> bool {
        match self {
            Evidence::BrandField | Evidence::TextExact | Evidence::TextObfuscated => true,
            Evidence::TextFuzzy { .. } => false,
            Evidence::Logo { distance } => distance <= LOGO_STRONG_DISTANCE,
        }
    }

    /// Rank for "strongest first" among text evidence: lower is stronger.
    #[must_use]
    pub fn rank(self) -> u32 {
        match self {
            Evidence::BrandField => 0,
            Evidence::TextExact => 1,
            Evidence::TextObfuscated => 2,
            Evidence::TextFuzzy { distance } => 3 + distance,
            Evidence::Logo { distance } => 16 + distance,
        }
    }
}

/// A brand mention found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextMatch {
    /// The caller's brand id.
    pub brand: u32,
    /// Its owner ([`BrandEntry::owner`]).
    pub owner: u32,
    /// The strongest evidence for this brand at this span.
    pub evidence: Evidence,
    /// The registered name or alias matched ([`BrandIndex::term`]).
    pub name: NameId,
    /// Byte span in the original text, on character boundaries: slicing the
    /// text with it gives the surface form (`C4rtier`, `C.a.r.t.i.e.r`).
    pub span: Range<usize>,
    /// Nominative use, weak: a compatibility phrase (`for`, `compatible
    /// with`, `fits`, `适用于`…) comes right before the mention, or
    /// `compatible` or `专用` right after it (`signal::nominative_use`).
    pub nominative_use: bool,
}

/// A listing image hash close to a registered logo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogoMatch {
    /// The caller's brand id.
    pub brand: u32,
    /// The logo matched: its index in the brand's [`BrandEntry::logos`] (the
    /// closest; the first of equally close ones).
    pub logo: usize,
    /// Index of the listing hash in the slice given to
    /// [`BrandIndex::scan_logos`].
    pub hash_index: usize,
    /// Smallest Hamming distance to one of the brand's logos (≤ 10).
    pub distance: u32,
}

//! [`BrandIndex`]: build once per snapshot, scan many times.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::ops::Range;

use aho_corasick::automaton::Automaton;
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::{Anchored, Input, MatchKind};

use super::fuzzy::{FuzzyIndex, HashScratch, Pattern};
use super::logo::LogoIndex;
use super::normalize::{
    self, BOUNDARY, CJK, DIGIT, FoldedText, I_ORIGIN, L_ORIGIN, SMALL, WORD, fold_both, is_cjk,
};
use super::run_memo::{Hits, NO_WORD, RUN_WORDS, RunKey, RunMemo};
use super::runs::{self, ExtrasAt, FuzzyIds, RunName, WordExtras, Words};
use super::signal::{listed_after_phrase, nominative_use, written_compatibility_before};
use super::vocabulary;
use super::{BrandEntry, Evidence, LogoMatch, NameId, TextMatch};

/// Bytes the anchored walks of the name automaton may read per byte of a
/// text before the scan falls back to an unanchored search
/// ([`BrandIndex::automaton_matches`]); a title's walks read about one.
const WALK_BUDGET: usize = 8;
/// Names shorter than this (in letters) get no fuzzy matching.
const FUZZY_MIN_LETTERS: usize = 5;
/// Names of this many letters or more allow edit distance 2 (else 1).
const FUZZY_DISTANCE_2_LETTERS: usize = 9;
/// Fuzzy runs join at most this many adjacent words.
const FUZZY_MAX_WORDS: usize = RUN_WORDS;

/// Pattern edge bits: the pattern needs a word boundary before / after.
const EDGE_LEFT: u8 = 1;
const EDGE_RIGHT: u8 = 2;

/// What [`BrandIndex::scan_text_with`] looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanOptions {
    /// Longest run of adjacent words tried for fuzzy matches: 3 (the
    /// default) is DESIGN.md; 1 tries single words only; 0 turns fuzzy
    /// matching off (exact and obfuscated only). Runs of several words are
    /// looked up only where they can match (module docs, "Fuzzy runs of
    /// several words") and add about half to the cost of single words (see
    /// `benches/detect.rs`).
    pub fuzzy_max_words: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            fuzzy_max_words: FUZZY_MAX_WORDS,
        }
    }
}

/// Why [`BrandIndex::build`] failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// More names than a `u32` can number.
    #[error("too many names and aliases to index: {count} (at most {max})")]
    TooManyNames {
        /// Names and aliases given.
        count: usize,
        /// The limit.
        max: u32,
    },
    /// Names and aliases add up to more text than 32-bit offsets address.
    #[error("names and aliases add up to more than {max} bytes")]
    TooMuchText {
        /// The limit.
        max: u32,
    },
    /// The automaton offers no anchored search (a contiguous NFA always
    /// does: this would be a change in `aho-corasick`).
    #[error("the name automaton has no anchored start state")]
    AnchoredStart,
    /// The automaton exceeded its internal limits.
    #[error("cannot build the name automaton over {patterns} patterns")]
    Automaton {
        /// Patterns given to the automaton.
        patterns: usize,
        /// The cause.
        #[source]
        source: aho_corasick::BuildError,
    },
}

/// `start..start + len` in an arena.
#[derive(Clone, Copy, Debug, Default)]
struct Slice {
    start: u32,
    len: u32,
}

/// One registered name or alias.
#[derive(Clone, Copy, Debug)]
struct NameRec {
    /// The brand it belongs to.
    brand: u32,
    /// The brand's owner ([`BrandEntry::owner`]).
    owner: u32,
    /// As registered (reported as the matched term).
    term: Slice,
    /// Exact fold: a match whose exact fold equals it is `TEXT_EXACT`.
    exact: Slice,
    /// Obfuscation fold without spaces, its `l` bytes told apart by origin
    /// ([`strict_char`]): what fuzzy runs are compared to. With `i` and `1`
    /// read as `l` it is the name's automaton pattern.
    joined: Slice,
    /// Allowed edit distance (0 = no fuzzy matching).
    max_distance: u8,
    /// Characters in `joined` (saturated at 255): rejects fuzzy candidates
    /// of the wrong length without reading the name.
    joined_chars: u8,
    /// For a name of several words: characters of its first and last word
    /// (both 0 for a single word, or a first or last word over 255).
    first_word: u8,
    last_word: u8,
    /// Bit `p` is set when a separator comes before byte `p` of `joined`
    /// ([`NO_GAPS_KNOWN`] past 32 bytes): where a match of a name with a
    /// CJK edge may span separators.
    gaps: u32,
}

/// [`NameRec::gaps`] of a name with a separator past its 32nd byte.
const NO_GAPS_KNOWN: u32 = u32::MAX;

/// Every brand name, alias and logo of a registry snapshot, ready to scan.
///
/// Built once ([`BrandIndex::build`]), then shared read-only between
/// threads (`Send + Sync`); scanning allocates nothing but the matches it
/// reports (per-thread scratch buffers are reused).
#[derive(Debug)]
pub struct BrandIndex {
    /// Per [`NameId`].
    names: Vec<NameRec>,
    /// Per [`NameId`]: when its brand was registered
    /// ([`BrandEntry::registered`]). Apart from [`BrandIndex::names`], whose
    /// records every fuzzy candidate reads (a larger record costs every
    /// check cache lines), since this is read only for a candidate written
    /// where another owner's name hides misspellings ([`NamesHide`]).
    registered: Vec<i64>,
    /// Terms, exact folds and joined folds of all names.
    arena: String,
    /// One automaton over every folded name and alias, joined without
    /// separators (it scans the text joined the same way), walked anchored
    /// from each byte where a name may begin ([`BrandIndex::names_at`]).
    automaton: NFA,
    /// The automaton's anchored start state.
    anchored_start: aho_corasick::automaton::StateID,
    /// Bytes that begin a pattern whose first character is not a word
    /// character (a CJK name): such a name may begin where no word does.
    unbounded_first: [bool; 256],
    /// Per pattern: [`EDGE_LEFT`] | [`EDGE_RIGHT`].
    pattern_edges: Vec<u8>,
    /// Names of pattern `p`: `targets[target_starts[p]..target_starts[p + 1]]`.
    target_starts: Vec<u32>,
    /// Name ids grouped by pattern.
    targets: Vec<u32>,
    /// Edit-distance index over the joined obfuscation folds.
    fuzzy: FuzzyIndex,
    /// What the ids of `fuzzy` stand for.
    fuzzy_ids: FuzzyIds,
    /// Some pattern has CJK characters at both ends (a name that matches
    /// anywhere): only then can a CJK text's insertions hide one
    /// ([`BrandIndex::scan_cjk_insertions`]).
    cjk_patterns: bool,
    /// Every character a mask may stand for in a name of three CJK
    /// characters or more, but its first and last, by the characters on
    /// either side of it (sorted by [`MaskedChar::key`]): a mask between
    /// two CJK characters of a text is looked up by its neighbours
    /// ([`BrandIndex::scan_cjk_masks`]). One entry per inner character of
    /// such names, outside the automaton, which stays as it was.
    cjk_masks: Vec<MaskedChar>,
    /// Registered logo hashes.
    logos: LogoIndex,
    /// Distinguishes this index from every other built in the process, so
    /// a thread's word memo never answers for another index.
    generation: u64,
}

/// Words a thread remembers the fuzzy lookup of, at most; the memo is
/// emptied before a text whose words could take it past this (titles
/// repeat their common words far more often than this many distinct
/// words).
pub(super) const MEMO_WORDS: usize = 16_384;

/// Keys of fewer than this many elements (the extras flag and the
/// characters) can be short ([`MemoKey::Short`]).
const SHORT_KEY: usize = 16;

/// A word's memo key: its extras flag, then its characters. Short when it
/// has fewer than [`SHORT_KEY`] elements, all below U+0100, as a title's
/// words mostly are: two machine words, hashed with one multiply and
/// compared inside the table, with no read from the heap (which in a large
/// memo is a cache miss). Other keys are boxed.
#[derive(Clone, Debug, PartialEq, Eq)]
enum MemoKey {
    /// Each element as a byte, and the element count in the last byte
    /// ([`short_key`]).
    Short([u64; 2]),
    /// `[extras, characters…]`.
    Boxed(Box<[u32]>),
}

/// The key of `extras` and `chars` as a short key, if it can be one.
#[inline]
fn short_key(extras: u32, chars: &[u32]) -> Option<[u64; 2]> {
    let elements = chars.len() + 1;
    if elements >= SHORT_KEY {
        return None;
    }
    // Built in two machine words, element `i` at byte `i` (little-endian),
    // never through a byte array: a wide read of bytes just written one at
    // a time waits for every write to reach the cache. The low word holds
    // the extras flag and the first characters; the high word the rest, and
    // the count in its last byte. The elements or-ed together are below 256
    // only if each is: then each is its own byte.
    const WORD_BYTES: usize = 8;
    let (low_chars, high_chars) = chars.split_at(chars.len().min(WORD_BYTES - 1));
    let mut all = extras;
    let mut low = u64::from(extras as u8);
    for (i, &c) in low_chars.iter().enumerate() {
        low |= u64::from(c as u8) << (8 * (i + 1));
        all |= c;
    }
    let mut high = (elements as u64) << (8 * (SHORT_KEY - 1 - WORD_BYTES));
    for (i, &c) in high_chars.iter().enumerate() {
        high |= u64::from(c as u8) << (8 * i);
        all |= c;
    }
    (all <= 0xFF).then_some([low, high])
}

impl Hash for MemoKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            MemoKey::Short([low, high]) => {
                state.write_u128(u128::from(*low) | (u128::from(*high) << 64));
            }
            MemoKey::Boxed(key) => {
                let (extras, chars) = key.split_first().unwrap_or((&0, &[]));
                BoxedKey(*extras, chars).hash(state);
            }
        }
    }
}

/// A key that is not short, borrowed (its extras flag and characters):
/// looks up a [`MemoKey::Boxed`] without allocating.
struct BoxedKey<'a>(u32, &'a [u32]);

impl Hash for BoxedKey<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u8(1);
        state.write_u32(self.0);
        for &element in self.1 {
            state.write_u32(element);
        }
    }
}

impl hashbrown::Equivalent<MemoKey> for BoxedKey<'_> {
    fn equivalent(&self, key: &MemoKey) -> bool {
        matches!(key, MemoKey::Boxed(boxed)
            if boxed.split_first() == Some((&self.0, self.1)))
    }
}

impl From<&BoxedKey<'_>> for MemoKey {
    fn from(key: &BoxedKey<'_>) -> Self {
        MemoKey::Boxed([&[key.0][..], key.1].concat().into())
    }
}

/// The value of the key of `extras` and `chars` in `map`, and whether it
/// was there; if it was not, `make` makes it and it is kept. One hash and
/// one probe either way (the key is boxed only if it is kept).
fn memo_entry<'m, V>(
    map: &'m mut hashbrown::HashMap<MemoKey, V>,
    extras: u32,
    chars: &[u32],
    make: impl FnOnce() -> V,
) -> (&'m V, bool) {
    use hashbrown::hash_map::{Entry, EntryRef};
    match short_key(extras, chars) {
        Some(short) => match map.entry(MemoKey::Short(short)) {
            Entry::Occupied(found) => (found.into_mut(), true),
            Entry::Vacant(vacant) => (vacant.insert(make()), false),
        },
        None => match map.entry_ref(&BoxedKey(extras, chars)) {
            EntryRef::Occupied(found) => (found.into_mut(), true),
            EntryRef::Vacant(vacant) => (vacant.insert(make()), false),
        },
    }
}

/// What the fuzzy lookup of one word found: a pure function of the index
/// and the word, so a thread keeps it for the words it meets again.
#[derive(Debug)]
struct WordLookup {
    /// The word's number in the memo: what runs of several words are
    /// remembered by.
    id: u32,
    /// What it found for runs of several words: the pieces and anchor
    /// markers among its candidates, in [`WordMemo::extras`].
    extras: ExtrasAt,
    /// The candidate names within their distance of the word, with it.
    hits: Hits,
    /// The word is an ordinary word ([`vocabulary`]): its hits at a
    /// distance are not reported, alone or in a run of ordinary words.
    ordinary: bool,
}

/// A thread's memo of word lookups ([`WordLookup`]) for one index.
#[derive(Debug, Default)]
struct WordMemo {
    /// The index's [`BrandIndex::generation`].
    generation: u64,
    /// Counts the times the memo was emptied: with `generation`, which
    /// numbering its word numbers belong to ([`WordNumbers`]).
    epoch: u64,
    /// Keyed by `[extras, characters…]`; numbered in the order added.
    words: hashbrown::HashMap<MemoKey, WordLookup>,
    /// The numbering this memo's words and runs follow when another
    /// index's memo numbered the words ([`WordMemo::by_number`]), or
    /// `None` when it numbers them itself ([`WordMemo::words`]).
    numbered_by: Option<WordNumbers>,
    /// Lookups by the word's number in `numbered_by`'s memo: a second
    /// index scanning a fold the first has split and looked up (a layered
    /// scan's overlay, after its base) finds its own lookup of a word at
    /// that number, with no key to make, hash or compare.
    by_number: Vec<Option<WordLookup>>,
    /// What its words found for runs of several words, where more than
    /// nothing ([`WordLookup::extras`]).
    extras: Vec<WordExtras>,
    /// What runs of several words found, by their words' numbers.
    runs: RunMemo,
    /// The automaton's walks that found at most one pattern, by the bytes
    /// they read ([`WalkMemo`]).
    walks: WalkMemo,
    /// Lookups answered from the memo, and made afresh, on this thread.
    hits: u64,
    misses: u64,
}

impl WordMemo {
    /// Forgets every word and run (word numbers start again).
    fn clear(&mut self) {
        self.words.clear();
        self.by_number.clear();
        self.extras.clear();
        self.runs.clear();
        self.epoch += 1;
    }

    /// The numbering this memo's word numbers belong to, for
    /// `several`-word lookups.
    fn numbers(&self, several: bool) -> WordNumbers {
        WordNumbers {
            generation: self.generation,
            epoch: self.epoch,
            several,
        }
    }

    /// Heap bytes held (keys, values and table slots).
    fn bytes(&self) -> usize {
        let boxed = |k: &MemoKey| match k {
            MemoKey::Short(..) => 0,
            MemoKey::Boxed(key) => 4 * key.len(),
        };
        let value = |v: &WordLookup| 8 * v.hits.len();
        let words: usize = self.words.iter().map(|(k, v)| boxed(k) + value(v)).sum();
        let numbered: usize = self.by_number.iter().flatten().map(value).sum();
        let word_slot = std::mem::size_of::<(MemoKey, WordLookup)>() + 1;
        let number_slot = std::mem::size_of::<Option<WordLookup>>();
        words
            + word_slot * self.words.capacity()
            + numbered
            + number_slot * self.by_number.capacity()
            + WordExtras::bytes(&self.extras)
            + self.runs.bytes()
            + self.walks.bytes()
    }
}

/// Which memo numbered a fold's words ([`Scratch::word_ids`]): the memo of
/// the index of `generation` between its `epoch`-th emptying and the next,
/// for lookups of single words only or also of runs (`several`: the key of
/// a word differs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct WordNumbers {
    generation: u64,
    epoch: u64,
    several: bool,
}

/// Per-thread buffers for scanning.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    exact: FoldedText,
    obf: FoldedText,
    /// Byte ranges of the words of the obfuscation fold.
    words: Vec<(usize, usize)>,
    /// The same words as ranges of `letters`.
    word_chars: Vec<(usize, usize)>,
    /// Per word: whether it is an ordinary word ([`vocabulary`]).
    ordinary: Vec<bool>,
    /// Per word: its number in the word memo ([`WordMemo::words`]).
    word_ids: Vec<u32>,
    /// The memo `word_ids` and `ordinary` are of, once a fuzzy scan of
    /// the text last folded made them: a second index's scan of the same
    /// fold reads them ([`WordMemo::by_number`]).
    numbered: Option<WordNumbers>,
    /// The words' characters ([`strict_char`]).
    letters: Vec<u32>,
    /// The obfuscation fold without its separators, what the automaton
    /// scans, and where each of its bytes is in the obfuscation fold.
    joined: Vec<u8>,
    joined_at: Vec<u32>,
    /// `joined` and `joined_at` are those of the text last folded
    /// ([`Scratch::join`]), and so are `words`, `word_chars` and `letters`
    /// ([`Scratch::split`]): a layered scan reads them for both layers.
    joined_ready: bool,
    split_ready: bool,
    /// The bytes of another reading of a word and their places in the
    /// fold ([`Reading`]).
    reading: Vec<u8>,
    reading_at: Vec<u32>,
    /// The automaton's matches in `joined`: (pattern, start, end).
    found: Vec<(u32, u32, u32)>,
    /// What stands between CJK characters of the text last folded that
    /// may hide a CJK name ([`cjk_gaps`]), found once per fold
    /// ([`Scratch::find_cjk_gaps`]) for every index that reads them.
    cjk_gaps: Vec<CjkGap>,
    cjk_ready: bool,
    /// The upright readings of the text last folded's runs of upside-down
    /// text, read once per fold ([`Scratch::read_flipped`]) for the steps
    /// that read names and misspellings in them, of every index.
    flipped: normalize::FlippedReadings,
    flipped_ready: bool,
    /// The same with `i` read as `l`: what fuzzy candidates are looked up by.
    merged: Vec<u32>,
    /// A candidate name's characters (names over 64 characters).
    name_chars: Vec<u32>,
    /// The query prepared for verifying candidates.
    pattern: Pattern,
    /// Candidate names from the fuzzy index.
    candidates: Vec<u32>,
    /// Brands with a strong text match (fuzzy is skipped for them).
    strong: Vec<u32>,
    /// The scan's exact and obfuscated matches, of every layer and of
    /// brands not retired ([`add_strong_spans`]), by span: where a name is
    /// written, it may hide the names it is a misspelling of
    /// ([`BrandIndex::scan_fuzzy`]).
    pub(super) strong_spans: Vec<NamedSpan>,
    hash: HashScratch,
    /// Per word: what its lookup found for runs of several words.
    runs: Words,
    /// Word lookups already made on this thread, for the two indexes
    /// scanned last (a snapshot's base index and its overlay), and which
    /// of the two was used last.
    memos: [WordMemo; 2],
    memo_last: usize,
    /// A second layer's matches, before they join the first's
    /// ([`super::Layers`]).
    pub(super) layer: Vec<TextMatch>,
}

/// The memo of `memos` for the index of `generation`: the one kept for it,
/// else the one used less recently, emptied and given to it.
fn memo_for<'m>(
    memos: &'m mut [WordMemo; 2],
    last: &mut usize,
    generation: u64,
) -> &'m mut WordMemo {
    let slot = match memos.iter().position(|m| m.generation == generation) {
        Some(slot) => slot,
        None => {
            let slot = 1 - *last;
            let memo = &mut memos[slot];
            memo.clear();
            memo.walks.clear();
            memo.generation = generation;
            slot
        }
    };
    *last = slot;
    &mut memos[slot]
}

impl Scratch {
    /// Folds `text` at both levels, for [`BrandIndex::scan_folded`]. Every
    /// fold of a scan's text goes through here, which forgets what was
    /// read of the fold before.
    pub(super) fn fold(&mut self, text: &str) {
        fold_both(text, &mut self.exact, &mut self.obf);
        self.joined_ready = false;
        self.split_ready = false;
        self.cjk_ready = false;
        self.flipped_ready = false;
        self.numbered = None;
    }

    /// The upright readings of the runs of upside-down text of the text
    /// last folded, `text` ([`normalize::FlippedReadings`]), read once per
    /// fold, whichever step reads them first. Only for a fold that may be
    /// flipped ([`FoldedText::may_be_flipped`]).
    fn read_flipped(&mut self, text: &str) {
        if !self.flipped_ready {
            self.flipped.read(text);
            self.flipped_ready = true;
        }
    }

    /// The gaps between CJK characters of the text last folded, `text`
    /// ([`cjk_gaps`]), found once per fold, whichever index reads them
    /// first.
    fn find_cjk_gaps(&mut self, text: &str) {
        if !self.cjk_ready {
            cjk_gaps(text, &self.obf, &mut self.cjk_gaps);
            self.cjk_ready = true;
        }
    }

    /// The obfuscation fold joined without separators ([`join_words`]),
    /// made once per fold, whichever index reads it first.
    fn join(&mut self) {
        if !self.joined_ready {
            join_words(&self.obf, &mut self.joined, &mut self.joined_at);
            self.joined_ready = true;
        }
    }

    /// The words of the obfuscation fold ([`split_words`]), split once per
    /// fold, whichever index reads them first.
    fn split(&mut self) {
        if !self.split_ready {
            let Scratch {
                obf,
                words,
                word_chars,
                letters,
                ..
            } = self;
            split_words(obf, 0..obf.len(), words, word_chars, letters);
            self.split_ready = true;
        }
    }

    /// The signal terms of `text`, the text last folded, in which `names`
    /// (sorted by start) were found, into `out` (cleared); in the upright
    /// readings of its upside-down text too, read once for the scan and
    /// this ([`Scratch::read_flipped`]).
    pub(super) fn signal_terms<N: super::signal::NameSpan>(
        &mut self,
        text: &str,
        names: &[N],
        out: &mut Vec<std::ops::Range<usize>>,
    ) {
        let flipped = if self.obf.may_be_flipped() {
            self.read_flipped(text);
            Some(&self.flipped)
        } else {
            None
        };
        super::signal::signal_terms_in(text, (&self.exact, &self.obf), flipped, names, out);
    }
}

thread_local! {
    /// This thread's scratch buffers, taken out while in use (a nested or
    /// concurrent use on the same thread gets fresh ones; nothing panics).
    /// Boxed, so taking and returning it moves a pointer, not the 1 KiB
    /// of buffers and tables it holds.
    static SCRATCH: Cell<Option<Box<Scratch>>> = const { Cell::new(None) };
    /// A second set, for the upright reading of upside-down text, scanned
    /// while [`SCRATCH`] holds the text as written
    /// ([`BrandIndex::scan_flipped_fuzzy`]): kept as the first is, so
    /// that such texts do not allocate a word memo each.
    static UPRIGHT_SCRATCH: Cell<Option<Box<Scratch>>> = const { Cell::new(None) };
}

type ScratchCell = std::thread::LocalKey<Cell<Option<Box<Scratch>>>>;

/// Runs `f` with this thread's scratch buffers.
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    with_scratch_of(&SCRATCH, f)
}

/// Runs `f` with the buffers `cell` keeps for this thread, taken out while
/// in use (fresh ones if they are in use already).
fn with_scratch_of<R>(cell: &'static ScratchCell, f: impl FnOnce(&mut Scratch) -> R) -> R {
    let mut scratch = cell.try_with(Cell::take).ok().flatten().unwrap_or_default();
    let result = f(&mut scratch);
    // Fails only while the thread is being torn down: then drop the buffers.
    let _ = cell.try_with(|kept| kept.set(Some(scratch)));
    result
}

fn push_arena(arena: &mut String, s: &str) -> Slice {
    let start = u32::try_from(arena.len()).unwrap_or(u32::MAX);
    arena.push_str(s);
    Slice {
        start,
        len: u32::try_from(s.len()).unwrap_or(0),
    }
}

impl BrandIndex {
    /// Builds the index: folds every name and alias, builds the automaton,
    /// the fuzzy index and the logo table, on up to three threads: about
    /// 1.3–2.2 s for 100k brands with 400k names, for an index of about
    /// 170 MiB whose construction needs several hundred MiB more for a
    /// while (see `benches/detect.rs`, `benches/check.rs`); never call it on
    /// the request path.
    ///
    /// # Errors
    /// [`IndexError::TooManyNames`] past `u32::MAX` names;
    /// [`IndexError::TooMuchText`] past 4 GiB of names and their folds;
    /// [`IndexError::Automaton`] if the automaton exceeds its limits (far
    /// beyond any registry: billions of states);
    /// [`IndexError::AnchoredStart`] if it offers no anchored search (never
    /// for the contiguous NFA it is).
    pub fn build(entries: impl IntoIterator<Item = BrandEntry>) -> Result<BrandIndex, IndexError> {
        normalize::warm_up();
        vocabulary::warm_up();
        super::signal::warm_up();
        let mut names: Vec<NameRec> = Vec::new();
        let mut registered: Vec<i64> = Vec::new();
        let mut arena = String::new();
        let mut logos = LogoIndex::default();
        let mut pattern_ids: HashMap<String, u32> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut pattern_edges: Vec<u8> = Vec::new();
        let mut pairs: Vec<(u32, u32)> = Vec::new(); // (pattern, name)
        let mut cjk_masks: Vec<MaskedChar> = Vec::new();
        // Folding is most of this part, and each name folds on its own:
        // two threads fold half the names each, then they are numbered in
        // order.
        let entries: Vec<BrandEntry> = entries.into_iter().collect();
        let total: usize = entries.iter().map(|e| e.names.len()).sum();
        let mut seen = 0usize;
        let half = entries
            .iter()
            .position(|e| {
                seen += e.names.len();
                seen * 2 >= total
            })
            .map_or(entries.len(), |i| i + 1);
        let (first, second) = entries.split_at(half);
        let batches = std::thread::scope(|scope| {
            let later = scope.spawn(|| fold_names(second, half, seen));
            let folded = fold_names(first, 0, 0);
            // A panic there is a bug: propagate it as is.
            [
                folded,
                later
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            ]
        });
        for entry in &entries {
            for (position, &logo) in (0u32..).zip(&entry.logos) {
                logos.push(entry.id, position, logo);
            }
        }
        for (f, text) in batches
            .iter()
            .flat_map(|b| b.names.iter().map(|f| (f, b.text.as_str())))
        {
            let entry = &entries[f.entry];
            let name = &entry.names[f.name];
            let (exact, strict) = (&text[f.exact.clone()], &text[f.strict.clone()]);
            let Ok(id) = u32::try_from(names.len()) else {
                return Err(IndexError::TooManyNames {
                    count: f.position + 1,
                    max: u32::MAX,
                });
            };
            let next = u32::try_from(patterns.len()).unwrap_or(u32::MAX);
            let pattern = &text[f.pattern.clone()];
            let pid = *pattern_ids.entry(pattern.to_string()).or_insert_with(|| {
                patterns.push(pattern.to_string());
                pattern_edges.push(f.edges);
                next
            });
            pairs.push((pid, id));
            if arena.len() + name.len() + exact.len() + strict.len() > u32::MAX as usize {
                return Err(IndexError::TooMuchText { max: u32::MAX });
            }
            let term = push_arena(&mut arena, name);
            let exact_slice = push_arena(&mut arena, exact);
            let joined_slice = push_arena(&mut arena, strict);
            if f.cjk_only {
                MaskedChar::add(id, strict, &mut cjk_masks);
            }
            registered.push(entry.registered);
            names.push(NameRec {
                brand: entry.id,
                owner: entry.owner,
                term,
                exact: exact_slice,
                joined: joined_slice,
                max_distance: f.max_distance,
                joined_chars: u8::try_from(strict.chars().count()).unwrap_or(u8::MAX),
                first_word: f.first_word,
                last_word: f.last_word,
                gaps: f.gaps,
            });
        }
        // The names are in the arena now: free them before the automaton
        // and the fuzzy index, the build's peak.
        drop(batches);
        drop(entries);
        drop(pattern_ids);
        logos.finish();
        // The automaton builds its trie in the order it is given the
        // patterns, and builds it about twice as fast from them in sorted
        // order: a state's children then lie next to one another, where
        // filling in the failure transitions reads them. So the patterns
        // are numbered in that order.
        let (patterns, pattern_edges) = number_in_order(patterns, pattern_edges, &mut pairs);
        // The automaton and the fuzzy index are independent: build them on
        // two threads (for 400k names, each alone on a core, about 0.8 s
        // and 1.2–1.5 s; the fuzzy index works out its pieces and anchors
        // on a third).
        let (automaton, (fuzzy, fuzzy_ids)) = std::thread::scope(|scope| {
            let fuzzy = scope.spawn(|| build_fuzzy(&names, &arena));
            // Anchored walks from word starts need no prefilter.
            let automaton = NFA::builder()
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .build(&patterns);
            // A panic in the fuzzy build is a bug: propagate it as is.
            let fuzzy = fuzzy
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (automaton, fuzzy)
        });
        let automaton = automaton.map_err(|source| IndexError::Automaton {
            patterns: patterns.len(),
            source,
        })?;
        // A contiguous NFA always has an anchored start state.
        let anchored_start = automaton
            .start_state(Anchored::Yes)
            .map_err(|_| IndexError::AnchoredStart)?;
        let mut unbounded_first = [false; 256];
        for (pattern, &edges) in patterns.iter().zip(&pattern_edges) {
            if let (0, Some(&b)) = (edges & EDGE_LEFT, pattern.as_bytes().first()) {
                unbounded_first[usize::from(b)] = true;
            }
        }
        // Group names by pattern.
        pairs.sort_unstable();
        let mut target_starts = Vec::with_capacity(patterns.len() + 1);
        let mut targets = Vec::with_capacity(pairs.len());
        let mut next = 0usize;
        for p in 0..patterns.len() {
            target_starts.push(u32::try_from(targets.len()).unwrap_or(u32::MAX));
            while next < pairs.len() && pairs[next].0 as usize == p {
                targets.push(pairs[next].1);
                next += 1;
            }
        }
        target_starts.push(u32::try_from(targets.len()).unwrap_or(u32::MAX));
        let cjk_patterns = pattern_edges.contains(&0);
        drop(patterns);
        cjk_masks.sort_unstable_by_key(|m| m.key);
        cjk_masks.shrink_to_fit();
        let mut index = BrandIndex {
            names,
            registered,
            arena,
            automaton,
            anchored_start,
            unbounded_first,
            pattern_edges,
            target_starts,
            targets,
            fuzzy,
            fuzzy_ids,
            cjk_patterns,
            cjk_masks,
            logos,
            generation: {
                static GENERATION: std::sync::atomic::AtomicU64 =
                    std::sync::atomic::AtomicU64::new(1);
                GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            },
        };
        index.names.shrink_to_fit();
        index.registered.shrink_to_fit();
        index.arena.shrink_to_fit();
        Ok(index)
    }

    /// Heap bytes held by the index (automaton, names, fuzzy index, logos).
    #[must_use]
    pub fn memory_bytes(&self) -> usize {
        self.names.capacity() * std::mem::size_of::<NameRec>()
            + self.registered.capacity() * std::mem::size_of::<i64>()
            + self.arena.capacity()
            + self.automaton.memory_usage()
            + self.pattern_edges.capacity()
            + self.target_starts.capacity() * 4
            + self.targets.capacity() * 4
            + self.fuzzy.memory_bytes()
            + self.fuzzy_ids.memory_bytes()
            + self.cjk_masks.capacity() * std::mem::size_of::<MaskedChar>()
            + self.logos.memory_bytes()
    }

    /// Number of names and aliases indexed.
    #[must_use]
    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    /// Number of logos indexed.
    #[must_use]
    pub fn logo_count(&self) -> usize {
        self.logos.len()
    }

    /// The registered name or alias, as given to [`BrandIndex::build`]
    /// (empty for an id that does not come from this index).
    #[must_use]
    pub fn term(&self, name: NameId) -> &str {
        self.names
            .get(name.0 as usize)
            .map_or("", |rec| slice(&self.arena, rec.term))
    }

    /// The brand a name belongs to.
    #[must_use]
    pub fn brand_of(&self, name: NameId) -> Option<u32> {
        self.names.get(name.0 as usize).map(|rec| rec.brand)
    }

    /// Finds brand mentions in `text` (a listing title or description) into
    /// `out` (cleared first): exact, obfuscated and fuzzy text evidence, the
    /// strongest per (brand, span), sorted by span start. Fuzzy matches are
    /// reported only for brands with no stronger match in this text.
    pub fn scan_text(&self, text: &str, out: &mut Vec<TextMatch>) {
        self.scan_text_with(text, ScanOptions::default(), out);
    }

    /// [`BrandIndex::scan_text`] with explicit options (e.g. fuzzy matching
    /// limited to single words, or off).
    pub fn scan_text_with(&self, text: &str, options: ScanOptions, out: &mut Vec<TextMatch>) {
        with_scratch(|scratch| {
            scratch.fold(text);
            self.scan_folded(text, scratch, options, out);
        });
        drop_matches_inside_names(out);
    }

    /// Scans the text folded into `scratch`.
    pub(super) fn scan_folded(
        &self,
        text: &str,
        scratch: &mut Scratch,
        options: ScanOptions,
        out: &mut Vec<TextMatch>,
    ) {
        self.scan_strong(text, scratch, out);
        scratch.strong_spans.clear();
        add_strong_spans(out, &[], &mut scratch.strong_spans);
        self.scan_fuzzy_and_finish(text, scratch, options, None, out);
    }

    /// The first part of a scan: exact and obfuscated matches of the text
    /// folded into `scratch`, into `out` (cleared first).
    pub(super) fn scan_strong(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<TextMatch>) {
        out.clear();
        self.scan_automaton(text, scratch, out);
        self.scan_second_readings(text, scratch, out);
        self.scan_flipped(text, scratch, out);
        self.scan_cjk_insertions(text, scratch, out);
    }

    /// The rest of a scan after [`BrandIndex::scan_strong`]: fuzzy matches,
    /// but where `scratch.strong_spans`' names hide them (`hides`), then
    /// [`finish`].
    pub(super) fn scan_fuzzy_and_finish(
        &self,
        text: &str,
        scratch: &mut Scratch,
        options: ScanOptions,
        hides: NamesHide<'_>,
        out: &mut Vec<TextMatch>,
    ) {
        if options.fuzzy_max_words > 0 && !self.fuzzy.is_empty() {
            let max_words = options.fuzzy_max_words.min(FUZZY_MAX_WORDS);
            self.scan_fuzzy(text, scratch, max_words, hides, out);
            if scratch.obf.may_be_flipped() {
                scratch.read_flipped(text);
                self.scan_flipped_fuzzy(&scratch.flipped, &scratch.exact, max_words, hides, out);
            }
            if scratch.obf.reads_latin_look_alikes() {
                self.scan_edgeless_fuzzy(text, &scratch.exact, max_words, hides, out);
            }
        }
        if options.fuzzy_max_words > 0 {
            self.scan_cjk_masks(text, scratch, hides, out);
        }
        // German `für`, which the exact fold reads as `fur`, is read as
        // written: for every match, whatever reading found it; and so is a
        // list after a phrase, whose joints (`,`, `/`) the fold drops.
        for m in out.iter_mut().filter(|m| !m.nominative_use) {
            m.nominative_use = written_compatibility_before(text, &scratch.exact, m.span.clone())
                || listed_after_phrase(text, &scratch.exact, m.span.clone());
        }
        finish(out);
    }

    /// This thread's memo of fuzzy lookups of words and runs of words (see
    /// the module docs, "Word memo"): how many it answered and how many
    /// were made afresh, over every index this thread has scanned with. For
    /// benchmarks.
    #[must_use]
    pub fn word_memo_counts() -> (u64, u64) {
        with_scratch(|scratch| {
            scratch
                .memos
                .iter()
                .fold((0, 0), |(h, m), memo| (h + memo.hits, m + memo.misses))
        })
    }

    /// Heap bytes held by this thread's memo of fuzzy lookups (keys,
    /// values and table slots), for reporting.
    #[must_use]
    pub fn word_memo_bytes() -> usize {
        with_scratch(|scratch| scratch.memos.iter().map(WordMemo::bytes).sum())
    }

    /// [`BrandIndex::scan_text`] and [`super::signal_terms`] of `text` at
    /// once, folding it once: matches into `out`, signal term spans into
    /// `signals` (both cleared first).
    pub fn scan_text_and_signals(
        &self,
        text: &str,
        out: &mut Vec<TextMatch>,
        signals: &mut Vec<std::ops::Range<usize>>,
    ) {
        with_scratch(|scratch| {
            scratch.fold(text);
            self.scan_folded(text, scratch, ScanOptions::default(), out);
            drop_matches_inside_names(out);
            scratch.signal_terms(text, out, signals);
        });
    }

    /// The brands whose name or alias equals `declared` after normalization
    /// (`BRAND_FIELD`), each once with the first such name, into `out`
    /// sorted by brand. Equality holds
    /// at the obfuscation fold, so `CARTIER`, `Cartiеr` (Cyrillic `е`) and
    /// `LouisVuitton` all declare their brand.
    pub fn declared_brands(&self, declared: &str, out: &mut Vec<(u32, NameId)>) {
        out.clear();
        with_scratch(|scratch| {
            scratch.fold(declared);
            scratch.join();
            let (obf, joined, at) = (&scratch.obf, &scratch.joined, &scratch.joined_at);
            let len = joined.len();
            if len == 0 {
                return;
            }
            self.names_at(joined, 0, |pattern, end| {
                if end == len {
                    out.extend(
                        self.targets_of(pattern)
                            .iter()
                            .map(|&n| (n, &self.names[n as usize]))
                            .filter(|(_, rec)| {
                                il_substitutions(obf, at, slice(&self.arena, rec.joined)) == 0
                            })
                            .map(|(n, rec)| (rec.brand, NameId(n))),
                    );
                }
            });
        });
        first_name_per_brand(out);
    }

    /// The brand declared by `declared` (see [`BrandIndex::declared_brands`]);
    /// the smallest id if several brands share that name.
    #[must_use]
    pub fn declared_brand(&self, declared: &str) -> Option<u32> {
        let mut out = Vec::new();
        self.declared_brands(declared, &mut out);
        out.first().map(|&(brand, _)| brand)
    }

    /// For each listing image hash, the brands with a registered logo within
    /// Hamming distance [`super::LOGO_MATCH_DISTANCE`] (10), smallest
    /// distance per (brand, hash), into `out` (cleared first), ordered by
    /// hash index then distance.
    pub fn scan_logos(&self, hashes: &[u64], out: &mut Vec<LogoMatch>) {
        self.logos.scan(hashes, out);
    }

    /// Every pattern that begins at byte `from` of `joined`, as
    /// `found(pattern, end)`: the automaton walked anchored from there, so
    /// the walk ends where no pattern continues the bytes read (a few
    /// bytes, mostly), and follows no failure transitions. Returns the
    /// bytes read.
    #[inline]
    fn names_at(&self, joined: &[u8], from: usize, mut found: impl FnMut(usize, usize)) -> usize {
        let aut = &self.automaton;
        let mut sid = self.anchored_start;
        for (end, &b) in (from + 1..).zip(&joined[from..]) {
            sid = aut.next_state(Anchored::Yes, sid, b);
            if aut.is_dead(sid) {
                return end - from;
            }
            if aut.is_match(sid) {
                // A match state also holds the patterns that end here but
                // begin later (its failure states' matches): keep those
                // that begin at `from`.
                for i in 0..aut.match_len(sid) {
                    let pattern = aut.match_pattern(sid, i);
                    if aut.pattern_len(pattern) == end - from {
                        found(pattern.as_usize(), end);
                    }
                }
            }
        }
        joined.len() - from
    }

    fn targets_of(&self, pattern: usize) -> &[u32] {
        let lo = self.target_starts[pattern] as usize;
        let hi = self.target_starts[pattern + 1] as usize;
        &self.targets[lo..hi]
    }

    /// Exact and obfuscated matches: the automaton scans the obfuscation
    /// fold joined without separators, so a name is also found across
    /// whole adjacent words (`Lu mo`, `Mai son Ver laine`); a match must
    /// start and end on word boundaries (for a Latin edge), and a name with
    /// a CJK edge may span only the separators it has itself.
    fn scan_automaton(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<TextMatch>) {
        scratch.join();
        let (exact, obf) = (&scratch.exact, &scratch.obf);
        let (joined, at) = (&scratch.joined, &scratch.joined_at);
        let memo = memo_for(&mut scratch.memos, &mut scratch.memo_last, self.generation);
        self.automaton_matches(obf, joined, at, &mut memo.walks, &mut scratch.found);
        for &(pattern, start, end) in &scratch.found {
            self.automaton_match(
                text,
                (exact, obf),
                at,
                pattern as usize,
                start as usize..end as usize,
                out,
            );
        }
    }

    /// The second readings of leet symbols and of Greek or Cyrillic
    /// look-alike words ([`BrandIndex::scan_other_leet_readings`],
    /// [`BrandIndex::scan_fancy_words`]). Both read a fold in the order the
    /// text is written, which the fold usually is; a text whose bidi
    /// controls show it in another order (its fold
    /// [`FoldedText::is_reordered`]) is read as shown, folded afresh (such
    /// texts are rare: the buffers are this call's), its matches' spans
    /// mapped back to the characters as written.
    fn scan_second_readings(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<TextMatch>) {
        if !scratch.obf.is_reordered() {
            self.scan_other_leet_readings(text, scratch, out);
            self.scan_fancy_words(text, scratch, out);
            return;
        }
        let (shown, origin) = normalize::display_order(text);
        let mut as_shown = Scratch::default();
        as_shown.fold(&shown);
        let first = out.len();
        self.scan_other_leet_readings(&shown, &mut as_shown, out);
        self.scan_fancy_words(&shown, &as_shown, out);
        for m in &mut out[first..] {
            m.span = normalize::shown_span(&origin, m.span.clone());
        }
    }

    /// Names written with a leet symbol the fold reads otherwise, as
    /// `TEXT_OBFUSCATED`: for their first or last letter (`@urelle`,
    /// `|ouis Vuitton`, `Orvant@`), or as a separator inside them (`Lu|mo`,
    /// `Lu||mo`, `Mont+Claire`).
    ///
    /// The fold keeps one reading of a leet symbol. Between word characters
    /// it is the letter (`Te$$aro`, `Kes+rel`); at a word's edge it is a
    /// separator, since there `@`, `$` and `|` are handles, prices and
    /// punctuation far more often, and reading them as letters would change
    /// the word every fuzzy lookup reads (`@home` as `ahome`). Where the
    /// text has such a symbol, this step tries the other reading of the
    /// word it touches: with the symbol's letter added at the edge, or the
    /// symbol (or a run of them) dropped inside. That reading counts only
    /// where a name or alias is then made of whole words, the word read
    /// and maybe words next to it (no fuzzy matching on it, no part of a
    /// word).
    fn scan_other_leet_readings(
        &self,
        text: &str,
        scratch: &mut Scratch,
        out: &mut Vec<TextMatch>,
    ) {
        let (exact, obf) = (&scratch.exact, &scratch.obf);
        // Read in the order written: `folded_range` needs it.
        if obf.is_reordered() {
            return;
        }
        let folded = obf.as_str().as_bytes();
        // A reading longer than every name finds none: words are read up to
        // that length (so a long word of many symbols, `aa|aa|aa…`, costs
        // no more than the name it could be).
        let longest = self.automaton.max_pattern_len() + 1;
        let in_word =
            |p: usize| folded.get(p).is_some_and(|&b| b != b' ') && obf.flags_at(p) & CJK == 0;
        // Whether a word of a reading ends right before folded byte `p`,
        // though no space is there: at a character that draws as a blank,
        // which the fold removed (`Lu|mo\u{3164}Earbuds`), or where letters
        // change between superscripts and ordinary ones (`Lu|moᵀᴹ`). Not at
        // the fold's other boundaries inside a word: another leet symbol
        // would end words in honest lists (`Black|Off|White|Navy` would
        // read `Off|White`), and single letters it joined would each be a
        // word (`L o u i s V u i t|t o n`).
        let edge_before = |p: usize| {
            obf.blank_before(p)
                || (p > 0
                    && obf.flags_at(p) & BOUNDARY != 0
                    && (obf.flags_at(p) ^ obf.flags_at(p - 1)) & SMALL != 0)
        };
        // The word that goes on before and after `at`.
        let word_start = |at: usize| {
            let mut s = at;
            while s > 0 && at - s <= longest && in_word(s - 1) && (s == at || !edge_before(s)) {
                s -= 1;
            }
            (at - s <= longest).then_some(s)
        };
        let word_end = |at: usize| {
            let mut e = at;
            while e - at <= longest && in_word(e) && (e == at || !edge_before(e)) {
                e += 1;
            }
            (e - at <= longest).then_some(e)
        };
        // The words next to the word at `range` of the fold, past a space
        // or such an edge.
        let previous_word = |range: Range<usize>| {
            let lo = range.start;
            let end = if lo > 0 && folded[lo - 1] == b' ' {
                lo - 1
            } else if lo > 0 && in_word(lo - 1) && edge_before(lo) {
                lo
            } else {
                return None;
            };
            let start = word_start(end)?;
            (start < end).then_some(start..end)
        };
        let next_word = |range: Range<usize>| {
            let hi = range.end;
            let start = if folded.get(hi) == Some(&b' ') {
                hi + 1
            } else if hi < folded.len() && in_word(hi) && edge_before(hi) {
                hi
            } else {
                return None;
            };
            let end = word_end(start)?;
            (start < end).then_some(start..end)
        };
        // A letter or digit of a word written with spaces (CJK runs words
        // together, and ends a Latin one as a space does).
        let word_char = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() && !is_cjk(c));
        // Whether the text from `a` to `b` draws nothing (most often, it is
        // empty): a symbol and the word it is read with are side by side.
        let unseen_between = |a: usize, b: usize| {
            text.get(a..b)
                .is_some_and(|gap| gap.chars().all(normalize::unseen))
        };
        let reading = &mut Reading::new(&mut scratch.reading, &mut scratch.reading_at);
        // The word a symbol (or a run of them) is inside, with the letters
        // the fold wrote for them (none after a digit: `10+12`) dropped.
        let dropped = |symbols: std::ops::Range<usize>| {
            let own = obf.folded_range(symbols.clone());
            if own.len() != text[symbols.clone()].chars().count()
                || obf.original_span(own.clone()) != symbols
            {
                return None;
            }
            let (start, end) = (word_start(own.start)?, word_end(own.end)?);
            Some((start..end, Other::Dropped(own)))
        };
        let bytes = text.as_bytes();
        // The symbols outside ASCII (`€`, `©`) begin with one of two bytes,
        // their full-width and small forms (`＠`, `﹫`) with a third, the
        // tone bar `˥` with a fourth: looked for only in a text the fold
        // found a mark of upside-down text in, as the tone bar is.
        let tone_bars = obf
            .may_be_flipped()
            .then(|| memchr::memchr_iter(0xCB, bytes))
            .into_iter()
            .flatten();
        let symbols = memchr::memchr3_iter(b'@', b'|', b'$', bytes)
            .chain(memchr::memchr2_iter(b'+', b'!', bytes))
            .chain(memchr::memchr3_iter(0xC2, 0xE2, 0xEF, bytes))
            .chain(tone_bars);
        for i in symbols {
            let Some((c, symbol)) = text[i..]
                .chars()
                .next()
                .and_then(|c| Some((c, leet_reading(c)?)))
            else {
                continue;
            };
            let next = i + c.len_utf8();
            // The characters either side, past what draws nothing of its
            // own (`Lu\u{301}|mo`, `Lu\u{200B}|mo`); past the run of
            // symbols this one begins (`Lu||mo`).
            let before = text[..i].chars().rev().find(|&c| !normalize::unseen(c));
            let after = text[next..].chars().find(|&c| !normalize::unseen(c));
            let (word_before, word_after) = (word_char(before), word_char(after));
            // The run of symbols a symbol after a word character begins
            // (looked for once a run, so a long run costs its length once).
            let run_end = if word_before && !word_after {
                i + text[i..]
                    .chars()
                    .take_while(|&c| leet_reading(c).is_some())
                    .map(char::len_utf8)
                    .sum::<usize>()
            } else {
                next
            };
            // Only letters.
            let letters =
                |r: &std::ops::Range<usize>| folded[r.clone()].iter().all(u8::is_ascii_alphabetic);
            // The word read, as a range of `obf`, and how it is read.
            let (range, other) = if run_end > next
                && word_char(text[run_end..].chars().find(|&c| !normalize::unseen(c)))
            {
                // A run of symbols inside a word (`Lu||mo`), dropped whole.
                let Some(read) = dropped(i..run_end) else {
                    continue;
                };
                read
            } else if word_before && word_after {
                // An email address is no name across its `@`
                // (`anne@klein.com`).
                if normalize::leet_symbol(c) == Some('@') && is_domain(&bytes[next..]) {
                    continue;
                }
                let Some(read) = dropped(i..next) else {
                    continue;
                };
                read
            } else if !word_before
                && word_after
                && symbol.leading
                && (!symbol.capital_only || after.is_some_and(char::is_lowercase))
            {
                let start = obf.folded_range(next..text.len()).start;
                let Some(end) = word_end(start) else { continue };
                let range = start..end;
                if !letters(&range) || !unseen_between(next, obf.original_span(range.clone()).start)
                {
                    continue;
                }
                (range, Other::First(symbol.letter))
            } else if word_before && !word_after && symbol.trailing {
                let end = obf.folded_range(0..i).end;
                let Some(start) = word_start(end) else {
                    continue;
                };
                let range = start..end;
                if !letters(&range) || !unseen_between(obf.original_span(range.clone()).end, i) {
                    continue;
                }
                (range, Other::Last(symbol.letter))
            } else {
                continue;
            };
            reading.read(
                folded,
                range.clone(),
                &other,
                (&previous_word, &next_word),
                longest,
            );
            // The word read and its symbols, as written.
            let symbols = if let Other::Dropped(own) = &other {
                obf.original_span(own.clone())
            } else {
                i..next
            };
            let written = obf.original_span(range.clone());
            let span = written.start.min(symbols.start)..written.end.max(symbols.end);
            let min_letters = match other {
                Other::Dropped(_) | Other::Kept(_) => 0,
                Other::First(_) | Other::Last(_) => EDGE_WORD_MIN,
            };
            self.whole_names(
                reading.as_ref(),
                (text, min_letters),
                (obf, exact),
                span,
                out,
            );
            // A word with more symbols inside it (`The|North|Face`,
            // `Louis|Vuit|ton`) is also read with all of them dropped, and
            // with only those written as this one (`The|North|F@ce`, whose
            // `@` is a letter), once each (from its first). An honest list
            // stays a list: the name must take in the whole word
            // (`Black|Off|White|Navy` reads `blackoffwhitenavy`).
            let Other::Dropped(own) = &other else {
                continue;
            };
            for only in [None, Some(c)] {
                let Some(parts) = without_symbols(text, obf, (range.clone(), own), only) else {
                    continue;
                };
                reading.read(
                    folded,
                    range.clone(),
                    &Other::Kept(parts),
                    (&previous_word, &next_word),
                    longest,
                );
                self.whole_names(
                    reading.as_ref(),
                    (text, 0),
                    (obf, exact),
                    written.clone(),
                    out,
                );
            }
        }
    }

    /// Names written upside down as flip-text generators write them, as
    /// `TEXT_OBFUSCATED`: each letter turned half a turn and the order
    /// reversed (`ǝllǝɹnɐ`, `ǝuᴉɐlɹǝΛ uosᴉɐW`). The fold reads turned
    /// letters forward (`ɐuɹǝllǝ`); a run of words that have a mark of
    /// upside-down text ([`normalize::FlippedReadings`]) is also read
    /// backwards, each character as the letter it stands for (`u` for `n`,
    /// `ɯ` for `m`), folded and scanned as the text is, and a name found
    /// there counts on the same terms, made of whole words of the run
    /// (compatibility phrases read upright too: `ǝllǝɹnɐ ɹoɟ dɐɹʇs`). The
    /// fold notes such marks as it reads other characters, so a text
    /// without one (every ASCII title) costs one test.
    fn scan_flipped(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<TextMatch>) {
        if scratch.obf.may_be_flipped() {
            scratch.read_flipped(text);
            self.scan_flipped_runs(&scratch.flipped, &scratch.exact, out);
        }
    }

    /// [`BrandIndex::scan_flipped`] of a text with a mark of upside-down
    /// text. Apart, and searched unanchored
    /// ([`BrandIndex::overlapping_matches`], which finds what the walks
    /// find), so that the scan of every other text is compiled as before.
    #[cold]
    #[inline(never)]
    fn scan_flipped_runs(
        &self,
        readings: &normalize::FlippedReadings,
        written: &FoldedText,
        out: &mut Vec<TextMatch>,
    ) {
        for (upright, origin) in readings.iter() {
            let (mut exact, mut obf) = (FoldedText::new(), FoldedText::new());
            fold_both(upright, &mut exact, &mut obf);
            let (mut joined, mut at, mut found) = (Vec::new(), Vec::new(), Vec::new());
            join_words(&obf, &mut joined, &mut at);
            self.overlapping_matches(&obf, &joined, &at, &mut found);
            let first = out.len();
            for &(pattern, start, end) in &found {
                let range = start as usize..end as usize;
                self.automaton_match(upright, (&exact, &obf), &at, pattern as usize, range, out);
            }
            for m in &mut out[first..] {
                m.span = normalize::shown_span(origin, m.span.clone());
                // Upright only once read backwards: never as written.
                if m.evidence == Evidence::TextExact {
                    m.evidence = Evidence::TextObfuscated;
                }
                m.nominative_use = m.nominative_use || written_nominative(written, &m.span);
            }
        }
    }

    /// Misspelt names written upside down (`ǝllǝɹɹnɐ`): the fuzzy lookups
    /// of [`BrandIndex::scan_fuzzy`] on each upright reading of
    /// [`BrandIndex::scan_flipped`], with the same rules (no fuzzy match
    /// for a brand the text shows strongly, nor where a name is written in
    /// the reading, nor for ordinary words), spans mapped back to the
    /// characters as written. Cold, as [`BrandIndex::scan_flipped_runs`].
    #[cold]
    #[inline(never)]
    fn scan_flipped_fuzzy(
        &self,
        readings: &normalize::FlippedReadings,
        exact: &FoldedText,
        max_words: usize,
        hides: NamesHide<'_>,
        out: &mut Vec<TextMatch>,
    ) {
        with_scratch_of(&UPRIGHT_SCRATCH, |scratch| {
            let mut found = Vec::new();
            for (upright, origin) in readings.iter() {
                let reading = OtherReading {
                    text: upright,
                    written: exact,
                    span: &|span| normalize::shown_span(origin, span),
                };
                self.scan_fuzzy_reading(&reading, (max_words, hides), scratch, &mut found, out);
            }
        });
    }

    /// The fuzzy lookups of [`BrandIndex::scan_fuzzy`] on another reading
    /// of a text (upright, [`BrandIndex::scan_flipped_fuzzy`]; without
    /// look-alikes at words' edges, [`BrandIndex::scan_edgeless_fuzzy`])
    /// into `out`, which holds the text's matches so far: the reading's own
    /// names hide misspellings where they are written, the text's strong
    /// matches of their brands anywhere. `found` is a buffer.
    fn scan_fuzzy_reading(
        &self,
        reading: &OtherReading<'_>,
        (max_words, hides): (usize, NamesHide<'_>),
        scratch: &mut Scratch,
        found: &mut Vec<TextMatch>,
        out: &mut Vec<TextMatch>,
    ) {
        scratch.fold(reading.text);
        self.scan_strong(reading.text, scratch, found);
        scratch.strong_spans.clear();
        add_strong_spans(found, &[], &mut scratch.strong_spans);
        found.extend(
            out.iter()
                .filter(|m| !matches!(m.evidence, Evidence::TextFuzzy { .. }))
                .cloned(),
        );
        let first = found.len();
        self.scan_fuzzy(reading.text, scratch, max_words, hides, found);
        out.extend(found.drain(first..).map(|mut m| {
            m.span = (reading.span)(m.span.clone());
            m.nominative_use = m.nominative_use || written_nominative(reading.written, &m.span);
            m
        }));
        found.clear();
    }

    /// Names written in Greek or Cyrillic letters that stand for Latin ones
    /// (`ТЕЅЅАЯО`, `КЕЅТЯЕӀ`, `ΤΞЅЅΛЯΟ` for `Tessaro`, `Kestrel`), as
    /// `TEXT_OBFUSCATED`: the fold reads such letters as Latin only in a
    /// word that also has Latin letters as written, since a word of one
    /// script may be Greek or Russian; this step tries that reading
    /// ([`FoldedText::fancy_word_readings`]) for a word that cannot be
    /// Greek or Russian text ([`normalize::foreign_to_its_script`]: Greek
    /// and Cyrillic mixed, or a Cyrillic letter that Russian does not have
    /// and fancy-text generators use, `Ѕ`, `Ӏ`, `Ј`), of at least four
    /// letters and no Latin one as written, and counts it only if the
    /// whole word is then a name or alias. (`Вата`, `Лего` and `ΜΕΤΑ` read
    /// as `Bata`, `Nero` and `Meta`.)
    fn scan_fancy_words(&self, text: &str, scratch: &Scratch, out: &mut Vec<TextMatch>) {
        let (exact, obf) = (&scratch.exact, &scratch.obf);
        obf.fancy_word_readings(text, |word, reading| {
            let span = obf.original_span(word);
            let written = text.get(span.clone()).unwrap_or("");
            if written.chars().filter(|c| c.is_alphabetic()).count() < 4
                || written.chars().any(normalize::is_latin_letter)
                || !normalize::foreign_to_its_script(written)
            {
                return;
            }
            // No Latin letter as written: no `i` or `l` origins to compare.
            let whole = ReadingRef {
                bytes: reading,
                at: &[],
                starts: &[0],
                ends: &[reading.len()],
            };
            self.whole_names(whole, (text, 0), (obf, exact), span, out);
        });
    }

    /// Misspelt names beside a letter of another script that the fold read
    /// as a Latin one at the word's edge (`Aurrelleㅣ 남성시계`, where the
    /// Hangul `ㅣ` is as often a divider as an `l`): the fuzzy lookups of
    /// [`BrandIndex::scan_fuzzy`] on the text read with such letters as
    /// blanks ([`normalize::without_edge_look_alikes`]), with the same
    /// rules (no fuzzy match for a brand the text shows strongly, nor where
    /// a name is written, nor for ordinary words). The text as read keeps
    /// its byte offsets, and so its spans. Such a letter at a word's edge
    /// counts as a letter where it completes a name (`Kestreㅣ`), but not
    /// for a misspelling: a fuzzy match that begins or ends with it, read
    /// as a letter, is dropped (`Marvelㅣ 머그컵` is no `Marvello`); one
    /// guess on top of another is no evidence. Only for a text with such
    /// a letter ([`FoldedText::reads_latin_look_alikes`]); cold.
    #[cold]
    #[inline(never)]
    fn scan_edgeless_fuzzy(
        &self,
        text: &str,
        exact: &FoldedText,
        max_words: usize,
        hides: NamesHide<'_>,
        out: &mut Vec<TextMatch>,
    ) {
        let mut edgeless = String::new();
        if !normalize::without_edge_look_alikes(text, &mut edgeless) {
            return;
        }
        // A byte blanked in the reading: of a letter read at an edge.
        let blanked = |at: usize| text.as_bytes().get(at) != edgeless.as_bytes().get(at);
        out.retain(|m| {
            !matches!(m.evidence, Evidence::TextFuzzy { .. })
                || !(blanked(m.span.start) || m.span.end.checked_sub(1).is_some_and(blanked))
        });
        with_scratch_of(&UPRIGHT_SCRATCH, |scratch| {
            let reading = OtherReading {
                text: &edgeless,
                written: exact,
                span: &|span| span,
            };
            let mut found = Vec::new();
            self.scan_fuzzy_reading(&reading, (max_words, hides), scratch, &mut found, out);
        });
    }

    /// The names made of whole words of `reading` (a reading of words of
    /// `obf`), beginning at one of its `starts` and ending at one of its
    /// `ends`, with no `i` read for an `l` among its bytes of `obf` (but
    /// those of a doubled `l`, [`il_substitutions`]), and
    /// at least `min_letters` letters as written in `text`, as
    /// `TEXT_OBFUSCATED` matches spanning their words' characters and
    /// `span` of the text.
    fn whole_names(
        &self,
        reading: ReadingRef<'_>,
        (text, min_letters): (&str, usize),
        (obf, exact): (&FoldedText, &FoldedText),
        span: std::ops::Range<usize>,
        out: &mut Vec<TextMatch>,
    ) {
        let ReadingRef {
            bytes,
            at,
            starts,
            ends,
        } = reading;
        for &start in starts {
            self.names_at(bytes, start, |pattern, end| {
                if !ends.contains(&end) {
                    return;
                }
                // The words' characters (the added letter has none).
                let mut positions = at
                    .get(start..end)
                    .unwrap_or_default()
                    .iter()
                    .filter(|&&p| p != ADDED);
                let span = match (positions.next(), positions.next_back()) {
                    (Some(&first), last) => {
                        let last = last.copied().unwrap_or(first) as usize;
                        let words = obf.original_span(first as usize..last + 1);
                        words.start.min(span.start)..words.end.max(span.end)
                    }
                    (None, _) => span.clone(),
                };
                if min_letters > 0
                    && letters_written(text.get(span.clone()).unwrap_or("")) < min_letters
                {
                    return;
                }
                let compatibility = nominative_use(exact, exact.folded_range(span.clone()));
                for &name in self.targets_of(pattern) {
                    let rec = &self.names[name as usize];
                    let joined = slice(&self.arena, rec.joined);
                    if il_substitutions(obf, at.get(start..).unwrap_or_default(), joined) != 0 {
                        continue;
                    }
                    out.push(TextMatch {
                        brand: rec.brand,
                        owner: rec.owner,
                        evidence: Evidence::TextObfuscated,
                        name: NameId(name),
                        span: span.clone(),
                        nominative_use: compatibility,
                    });
                }
            });
        }
    }

    /// Every pattern found in `joined` (the obfuscation fold `obf` joined
    /// without separators, its bytes at `at` of `obf`) that begins where its
    /// left edge allows, into `found` (cleared first) as `(pattern, start,
    /// end)` bytes of `joined`: the overlapping matches of the automaton
    /// whose start a name's left edge allows.
    ///
    /// The automaton is walked anchored from each character on a word
    /// boundary, about a fifth of the bytes of a Latin title, and the walks
    /// follow no failure transitions. (An unanchored scan steps through
    /// every byte, and reports names inside words only for them to be
    /// dropped.) A name without a left edge (a CJK name) begins with a
    /// character that is not a word character, so on a boundary too; the
    /// bytes such names begin with are walked from wherever they are all the
    /// same, so that this does not rest on the fold flagging a character
    /// alike in a name and in a text (a walk from there that is not on a
    /// boundary keeps only names without a left edge).
    ///
    /// Walks cost up to the longest name each: a long text that repeats a
    /// long name's beginning (`a a a …` against a name of 200 `a`s) would
    /// make them quadratic. Past [`WALK_BUDGET`] bytes read per byte of
    /// text, the walks stop and the unanchored search, linear in the text,
    /// finds the same.
    fn automaton_matches(
        &self,
        obf: &FoldedText,
        joined: &[u8],
        at: &[u32],
        walks: &mut WalkMemo,
        found: &mut Vec<(u32, u32, u32)>,
    ) {
        found.clear();
        let mut budget = WALK_BUDGET * joined.len() + 64;
        for from in 0..joined.len() {
            let b = joined[from];
            let on_boundary = !is_continuation(b) && obf.boundary_before(at[from] as usize);
            if !(on_boundary || self.unbounded_first[usize::from(b)]) {
                continue;
            }
            // A walk that ends inside its word, finding at most one
            // pattern, is remembered by that word's bytes: words repeat
            // across texts, and a walk's state reads wait on each other.
            let mut report = |pattern: usize, to: usize| {
                if on_boundary || self.pattern_edges[pattern] & EDGE_LEFT == 0 {
                    found.push((offset(pattern), offset(from), offset(to)));
                }
            };
            let key = WalkKey::at(joined, at, from);
            let read = match walks.get(key) {
                Some((read, pattern)) => {
                    if let Some((pattern, len)) = pattern {
                        report(pattern, from + len);
                    }
                    read
                }
                None => {
                    let (mut count, mut first) = (0, (0, 0));
                    let read = self.names_at(joined, from, |pattern, to| {
                        count += 1;
                        first = (pattern, to - from);
                        report(pattern, to);
                    });
                    // It ended there (not at the text's end), within the
                    // key, finding no more than a slot holds.
                    if count <= 1 && from + read < joined.len() {
                        walks.insert(key, read, (count == 1).then_some(first));
                    }
                    read
                }
            };
            budget = budget.saturating_sub(read);
            if budget == 0 {
                found.clear();
                self.overlapping_matches(obf, joined, at, found);
                return;
            }
        }
    }

    /// What [`BrandIndex::automaton_matches`] finds, by an unanchored
    /// overlapping search: linear in the text.
    fn overlapping_matches(
        &self,
        obf: &FoldedText,
        joined: &[u8],
        at: &[u32],
        found: &mut Vec<(u32, u32, u32)>,
    ) {
        // A contiguous NFA searches unanchored with standard semantics,
        // which is all an overlapping search needs: it cannot fail.
        let Ok(matches) = self.automaton.try_find_overlapping_iter(Input::new(joined)) else {
            return;
        };
        found.extend(
            matches
                .filter(|m| {
                    self.pattern_edges[m.pattern().as_usize()] & EDGE_LEFT == 0
                        || obf.boundary_before(at[m.start()] as usize)
                })
                .map(|m| (m.pattern().as_u32(), offset(m.start()), offset(m.end()))),
        );
    }

    /// A match of `pattern` at bytes `range` of the joined fold (its bytes
    /// at `at` of the obfuscation fold `obf`), checked and pushed to
    /// `out` for each name of the pattern.
    fn automaton_match(
        &self,
        text: &str,
        (exact, obf): (&FoldedText, &FoldedText),
        at: &[u32],
        pattern: usize,
        range: std::ops::Range<usize>,
        out: &mut Vec<TextMatch>,
    ) {
        let edges = self.pattern_edges[pattern];
        let start = at[range.start] as usize;
        let end = at[range.end - 1] as usize + 1;
        let across = end - start != range.len();
        // A name glued to a number (`Orvanta12`, `2024Aurelle`) or, in a
        // hashtag, to an ordinary word after it (`#aurellewatch`) begins or
        // ends where a separator was removed: obfuscation, never exact.
        let digits_after = edges & EDGE_RIGHT != 0 && !obf.boundary_before(end);
        let digits_before = edges & EDGE_LEFT != 0 && after_digits(obf, start);
        let number_after = digits_after && digits_follow(obf, start..end);
        let word_after =
            digits_after && !number_after && ordinary_word_follows(text, obf, start..end);
        let letters = || letters_only(text.get(obf.original_span(start..end)).unwrap_or(""));
        if (edges & EDGE_LEFT != 0 && !obf.boundary_before(start))
            || (digits_after && !number_after && !word_after)
            || ((digits_after || digits_before) && letters() < EDGE_WORD_MIN)
            || (word_after && letters() < GLUED_NAME_MIN)
        {
            return;
        }
        let glued_to_digits = digits_after || digits_before;
        // Read wholly from digits: a number (`14K` is not `LA`, `3113mm` not
        // `Elle`), wherever its edges fall, unless the name is one (`555`).
        let from_digits = obf.flags_in(start..end).all(|f| f & DIGIT != 0);
        // A name with a CJK edge spans separators only where it has
        // them itself (`路易 威登` for a name `路易 威登`), or where it
        // is made of whole phrases (`蒙克 莱尔` for `蒙克莱尔`, but not
        // `卡地 亚洲` for `卡地亚`).
        let cjk_gaps = (across
            && edges != EDGE_LEFT | EDGE_RIGHT
            && !(phrase_edge(obf, start) && phrase_edge(obf, end)))
        .then(|| text_gaps(&at[range.clone()]));
        let span = obf.original_span(start..end);
        // A leet symbol between two words read as this name's first or
        // last letter (`XL|V-neck` as `LV`, `Del|Monte` as `Dell`): as for
        // the second readings' edge readings, the name needs
        // [`EDGE_WORD_MIN`] letters besides it (`Nice|ouis Vuitton` has).
        // (The characters the fold read at the name's ends: in a text shown
        // in another order, not those at the span's ends.) An `@` glued
        // between a word and a domain is an email address's
        // (`info@erie-outdoor.com` is not `Aerie`).
        let leet_at = |p: usize| {
            let at = obf.original_span(p..p + 1);
            text.get(at.clone())
                .and_then(|c| c.chars().next())
                .filter(|&c| normalize::leet_letter(c).is_some())
                .map(|c| (c, at.end))
        };
        let glued_first = if start > 0 && obf.flags_at(start - 1) & WORD != 0 {
            leet_at(start)
        } else {
            None
        };
        let glued_last = (obf.flags_at(end) & WORD != 0)
            .then(|| leet_at(end - 1))
            .flatten();
        if let Some((c, after)) = glued_first
            && normalize::leet_symbol(c) == Some('@')
            && is_domain(&text.as_bytes()[after..])
        {
            return;
        }
        if (glued_first.is_some() || glued_last.is_some())
            && letters_written(text.get(span.clone()).unwrap_or("")) < EDGE_WORD_MIN
        {
            return;
        }
        let folded = exact.folded_range(span.clone());
        let exact_text = exact.as_str().get(folded.clone()).unwrap_or("");
        let compatibility = nominative_use(exact, folded.clone());
        for &name in self.targets_of(pattern) {
            let rec = &self.names[name as usize];
            if cjk_gaps.is_some_and(|gaps| gaps != rec.gaps || gaps == NO_GAPS_KNOWN) {
                continue;
            }
            if from_digits
                && slice(&self.arena, rec.term)
                    .chars()
                    .any(char::is_alphabetic)
            {
                continue;
            }
            let evidence = if exact_text == slice(&self.arena, rec.exact) && !glued_to_digits {
                Evidence::TextExact
            } else {
                // Equal once `i` and `l` are merged: each `i` read for
                // an `l` (or the reverse) is a substitution.
                match il_substitutions(obf, &at[range.clone()], slice(&self.arena, rec.joined)) {
                    0 => Evidence::TextObfuscated,
                    // Not when the words are ordinary words as written
                    // (`vocabulary`).
                    d if d <= usize::from(rec.max_distance) && !all_ordinary(obf, start..end) => {
                        Evidence::TextFuzzy {
                            distance: u32::try_from(d).unwrap_or(u32::MAX),
                        }
                    }
                    _ => continue,
                }
            };
            out.push(TextMatch {
                brand: rec.brand,
                owner: rec.owner,
                evidence,
                name: NameId(name),
                span: span.clone(),
                nominative_use: compatibility,
            });
        }
    }

    /// Names with CJK characters at both ends written with something
    /// inserted between their characters, as `TEXT_OBFUSCATED`: one ASCII
    /// letter or digit between two Han characters (`奥x瑞x尔`, `奥1瑞2尔`,
    /// for a name of three characters or more), or a CJK character written
    /// as a separator (`奥丶瑞丶尔`, `奥丨瑞丨尔`, and `奥ー瑞ー尔` or
    /// `奥ㅣ瑞ㅣ尔` between Han characters): [`GapKind::Letter`],
    /// [`GapKind::Separator`]. Symbols
    /// between them are separators of the fold already (`奥·瑞·尔`).
    ///
    /// The fold keeps these characters (a letter beside Han characters
    /// is a word of its own, `T恤`; `丶` and `ー` are CJK characters), so
    /// the automaton is run once more, unanchored, over the fold read
    /// without them; a match counts only if one of them lies inside it,
    /// between two of its characters, so that the characters on both
    /// sides are the name's (`纯棉T恤` reads `纯棉恤`, which glues nothing
    /// into a name unless a name has `棉恤` in it). A letter or digit
    /// between the characters of a name of two is not read so: Chinese
    /// text writes them between two characters for its own words (`买2送1`,
    /// `棉T恤`), and a name of two characters would be found there. Only for
    /// texts with such a gap, and an index with CJK names: an ASCII title
    /// costs two tests.
    fn scan_cjk_insertions(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<TextMatch>) {
        if !self.cjk_patterns || !scratch.obf.has_cjk() {
            return;
        }
        scratch.find_cjk_gaps(text);
        let Scratch {
            exact,
            obf,
            cjk_gaps,
            reading,
            reading_at,
            ..
        } = scratch;
        let mut drops = cjk_gaps
            .iter()
            .filter(|g| !matches!(g.kind, GapKind::Mask { .. }))
            .map(|g| g.before.1 as usize..g.after.0 as usize)
            .peekable();
        if drops.peek().is_none() {
            return;
        }
        reading.clear();
        reading_at.clear();
        for (i, &b) in obf.as_str().as_bytes().iter().enumerate() {
            while drops.next_if(|d| d.end <= i).is_some() {}
            if drops.peek().is_some_and(|d| d.contains(&i)) {
                continue;
            }
            reading.push(b);
            reading_at.push(offset(i));
        }
        // Linear in the text whatever the names (no walk per character);
        // a contiguous NFA searches unanchored with standard semantics,
        // which is all an overlapping search needs: it cannot fail.
        let Ok(matches) = self
            .automaton
            .try_find_overlapping_iter(Input::new(reading.as_slice()))
        else {
            return;
        };
        for m in matches {
            let pattern = m.pattern().as_usize();
            if self.pattern_edges[pattern] != 0 {
                continue;
            }
            let start = reading_at[m.start()] as usize;
            let end = reading_at[m.end() - 1] as usize + 1;
            // Only dropped bytes are missing from the reading: none inside,
            // and the automaton's own scan found the name as written.
            if end - start == m.len() {
                continue;
            }
            let letter_inside = cjk_gaps.iter().any(|g| {
                g.kind == GapKind::Letter
                    && start < g.before.1 as usize
                    && (g.after.0 as usize) < end
            });
            let span = obf.original_span(start..end);
            let compatibility = nominative_use(exact, exact.folded_range(span.clone()));
            for &name in self.targets_of(pattern) {
                let rec = &self.names[name as usize];
                if letter_inside && usize::from(rec.joined_chars) < MaskedChar::MIN_CHARS {
                    continue;
                }
                out.push(TextMatch {
                    brand: rec.brand,
                    owner: rec.owner,
                    evidence: Evidence::TextObfuscated,
                    name: NameId(name),
                    span: span.clone(),
                    nominative_use: compatibility,
                });
            }
        }
    }

    /// Names of three CJK characters or more written with one inner
    /// character masked, as `TEXT_FUZZY` at distance 1, as a Latin letter
    /// masked is (`Aur*lle`): a mask symbol between two CJK characters,
    /// once or twice (`奥*尔`, `奥？尔`, `奥□尔`, `奥○尔`, `奥\u{fffd}尔`;
    /// [`normalize::is_mask`]), or one ASCII letter or digit between two Han
    /// characters (`奥x尔`). The characters on either side of the mask are
    /// looked up in [`BrandIndex::cjk_masks`], and a name found there
    /// counts if the fold's characters before and after them are the
    /// rest of its characters, with no other mask, letter or digit written
    /// among them (one character masked: `奥*瑞*` is not `奥瑞尔`, nor a
    /// name of two characters, `奥*`, anything). As for other fuzzy
    /// matches, not where a name of the same owner, or one that `hides`
    /// others, is written at the very span, and only when fuzzy matching
    /// is on.
    fn scan_cjk_masks(
        &self,
        text: &str,
        scratch: &mut Scratch,
        hides: NamesHide<'_>,
        out: &mut Vec<TextMatch>,
    ) {
        if self.cjk_masks.is_empty() || !scratch.obf.has_cjk() {
            return;
        }
        scratch.find_cjk_gaps(text);
        let Scratch {
            exact,
            obf,
            cjk_gaps,
            strong_spans,
            ..
        } = scratch;
        let folded = obf.as_str();
        let char_at = |(a, b): (u32, u32)| {
            folded
                .get(a as usize..b as usize)
                .and_then(|c| c.chars().next())
        };
        for gap in cjk_gaps.iter() {
            let written = match gap.kind {
                GapKind::Mask { count } => usize::from(count),
                GapKind::Letter => 1,
                GapKind::Separator => continue,
            };
            let (Some(before), Some(after)) = (char_at(gap.before), char_at(gap.after)) else {
                continue;
            };
            let key = cjk_pair(before, after);
            let from = self.cjk_masks.partition_point(|m| m.key < key);
            for masked in self.cjk_masks[from..].iter().take_while(|m| m.key == key) {
                let rec = &self.names[masked.name as usize];
                let name = slice(&self.arena, rec.joined);
                let position = masked.position as usize;
                // The name's characters before `before`, and after `after`.
                let left = name.char_indices().nth(position - 1).map_or(0, |(i, _)| i);
                let right = name
                    .char_indices()
                    .nth(position + 2)
                    .map_or(name.len(), |(i, _)| i);
                let (Some(start), Some(end)) = (
                    cjk_chars_before(obf, gap.before.0 as usize, &name[..left]),
                    cjk_chars_after(obf, gap.after.1 as usize, &name[right..]),
                ) else {
                    continue;
                };
                let span = obf.original_span(start..end);
                let masks = text
                    .get(span.clone())
                    .unwrap_or("")
                    .chars()
                    .filter(|&c| normalize::is_mask(c) || lone_letter(c))
                    .count();
                if masks != written {
                    continue;
                }
                let here = |s: &&NamedSpan| s.start == span.start && s.end == span.end;
                if strong_spans
                    .iter()
                    .filter(here)
                    .any(|s| s.owner == rec.owner)
                    || hides_name(
                        hiding_since(hides, strong_spans.iter().filter(here)),
                        || self.registered[masked.name as usize],
                    )
                {
                    continue;
                }
                let compatibility = nominative_use(exact, exact.folded_range(span.clone()));
                out.push(TextMatch {
                    brand: rec.brand,
                    owner: rec.owner,
                    evidence: Evidence::TextFuzzy { distance: 1 },
                    name: NameId(masked.name),
                    span,
                    nominative_use: compatibility,
                });
            }
        }
    }

    /// Fuzzy matches over runs of 1–3 adjacent words, for brands without a
    /// stronger match. Every word is looked up; a run of several words only
    /// for the names `runs` selects (module docs, "Fuzzy runs of several
    /// words"). Candidates are verified on the whole run.
    fn scan_fuzzy(
        &self,
        text: &str,
        scratch: &mut Scratch,
        max_words: usize,
        hides: NamesHide<'_>,
        out: &mut Vec<TextMatch>,
    ) {
        scratch.split();
        let Scratch {
            exact,
            obf,
            words,
            word_chars,
            ordinary,
            word_ids,
            numbered,
            letters,
            joined: _,
            joined_at: _,
            joined_ready: _,
            split_ready: _,
            reading: _,
            reading_at: _,
            found: _,
            cjk_gaps: _,
            cjk_ready: _,
            flipped: _,
            flipped_ready: _,
            merged,
            name_chars,
            candidates,
            strong,
            strong_spans,
            hash,
            runs,
            pattern,
            memos,
            memo_last,
            layer: _,
        } = scratch;
        let memo = memo_for(memos, memo_last, self.generation);
        strong.clear();
        strong.extend(
            out.iter()
                .filter(|m| !matches!(m.evidence, Evidence::TextFuzzy { .. }))
                .map(|m| m.brand),
        );
        strong.sort_unstable();
        strong.dedup();
        let ids = &self.fuzzy_ids;
        let several = max_words >= 2;
        // Reports the verified hits of words first..=last, but for brands
        // with a strong match; distance 0 is a name once joined (separators
        // added), unless a single word (the automaton reports it). Hits at
        // a distance only when `fuzzy` (not for an ordinary word,
        // `vocabulary`; runs of only ordinary words are never looked up).
        let report = |hits: &[(u32, u8)],
                      (first, last): (usize, usize),
                      fuzzy: bool,
                      generic_swap: &dyn Fn(&NameRec) -> bool,
                      out: &mut Vec<TextMatch>| {
            let mut place = None;
            // Since when a name written at the span hides other owners'
            // names ([`hiding_since`]).
            let mut hidden = None;
            for &(cand, distance) in hits {
                let rec = &self.names[cand as usize];
                if (distance == 0 && first == last)
                    || (distance > 0 && !fuzzy)
                    || strong.binary_search(&rec.brand).is_ok()
                    || (distance > 0 && generic_swap(rec))
                {
                    continue;
                }
                let (span, compatibility, named) = place
                    .get_or_insert_with(|| {
                        let span = obf.original_span(words[first].0..words[last].1);
                        let folded = exact.folded_range(span.clone());
                        let at = |s: &NamedSpan| (s.start, s.end);
                        let from = strong_spans.partition_point(|s| at(s) < (span.start, span.end));
                        let to = strong_spans.partition_point(|s| at(s) <= (span.start, span.end));
                        (span, nominative_use(exact, folded), from..to)
                    })
                    .clone();
                if distance > 0 && !named.is_empty() {
                    let names = &strong_spans[named];
                    if names.iter().any(|s| s.owner == rec.owner)
                        || hides_name(
                            *hidden.get_or_insert_with(|| hiding_since(hides, names)),
                            || self.registered[cand as usize],
                        )
                    {
                        continue;
                    }
                }
                out.push(TextMatch {
                    brand: rec.brand,
                    owner: rec.owner,
                    evidence: match distance {
                        0 => Evidence::TextObfuscated,
                        d => Evidence::TextFuzzy {
                            distance: u32::from(d),
                        },
                    },
                    name: NameId(cand),
                    span,
                    nominative_use: compatibility,
                });
            }
        };
        // Single words (their lookup also finds what runs need), through
        // this thread's memo of words already looked up. The memo is
        // emptied before a text, never during one: runs are remembered by
        // the numbers of their words, which must hold for the whole text.
        // Where another index's scan of this fold numbered its words (the
        // base, before its overlay), this memo follows those numbers
        // instead of its own: its lookups by number, its runs by theirs.
        let others = numbered.filter(|n| n.generation != self.generation && n.several == several);
        if memo.numbered_by != others {
            memo.clear();
            memo.numbered_by = others;
        }
        if memo.words.len() + word_chars.len() > MEMO_WORDS {
            memo.clear();
        }
        runs.clear();
        if others.is_none() {
            ordinary.clear();
            word_ids.clear();
        }
        let mut look_up = |word: &[u32], id: u32| {
            merge_query(word, merged);
            self.fuzzy
                .word_candidates(merged, several, hash, candidates);
            let hits = self.verify(candidates, word, pattern, name_chars);
            let names = candidates.partition_point(|&c| ids.is_name(c));
            WordLookup {
                id,
                extras: WordExtras::add(ids, &candidates[names..], &mut memo.extras),
                hits,
                ordinary: vocabulary::is_ordinary(word),
            }
        };
        for (w, &(a, b)) in word_chars.iter().enumerate() {
            let word = &letters[a..b];
            let lookup = if others.is_some() {
                let number = word_ids[w];
                let at = number as usize;
                if memo.by_number.len() <= at {
                    memo.by_number.resize_with(at + 1, || None);
                }
                match &mut memo.by_number[at] {
                    Some(lookup) => {
                        memo.hits += 1;
                        &*lookup
                    }
                    slot @ None => {
                        memo.misses += 1;
                        &*slot.insert(look_up(word, number))
                    }
                }
            } else {
                // The number a word gets if it is new.
                let id = u32::try_from(memo.words.len()).unwrap_or(NO_WORD);
                let (lookup, found) = memo_entry(&mut memo.words, u32::from(several), word, || {
                    look_up(word, id)
                });
                if found {
                    memo.hits += 1;
                } else {
                    memo.misses += 1;
                }
                lookup
            };
            if others.is_none() {
                word_ids.push(lookup.id);
                ordinary.push(lookup.ordinary);
            }
            // An ordinary word alone reports nothing: its hits at a
            // distance are not reported, and one at distance 0 is the
            // automaton's.
            if !lookup.ordinary {
                report(&lookup.hits, (w, w), true, &|_| false, out);
            }
            if several {
                runs.push(b - a, lookup.extras);
            }
        }
        // A letter masked by a symbol alone between two words (`Aur*lle`,
        // `V_llano`, `Aur#lle`, `Aur••lle`: [`normalize::is_mask`], once
        // or twice): the two are read as one word with a letter no name has
        // where the mask is, so a name of that length is at distance 1 (a
        // run of several words is compared with a name only through a word
        // of four letters or more, which a mask inside a short name leaves
        // neither side). Not remembered: masks are rare, and most texts
        // have none (the fold says so).
        if obf.may_mask() {
            let masked = self.masked_pairs(
                text,
                obf,
                (words, word_chars, letters),
                (merged, hash, candidates, pattern, name_chars),
            );
            for (pair, hits) in masked {
                report(&hits, pair, true, &|_| false, out);
            }
        }
        if others.is_none() {
            *numbered = Some(memo.numbers(several));
        }
        if !several {
            return;
        }
        // Runs of several words, through this thread's memo of runs: what a
        // run finds depends only on its words. The words of a text are
        // contiguous in `letters`, so a run's characters are one slice.
        // Each run looked up is a run of real words, at most `max_query`
        // characters, not all ordinary.
        let looked_up = |first: usize, visit: &mut dyn FnMut(usize, RunKey)| {
            let mut key = [NO_WORD; RUN_WORDS];
            key[0] = word_ids[first];
            for last in first + 1..word_chars.len().min(first + max_words) {
                if word_chars[last].1 - word_chars[first].0 > self.fuzzy.max_query {
                    break;
                }
                key[last - first] = word_ids[last];
                // A run of ordinary words reports only names it equals
                // once joined, which the automaton finds too: no lookup.
                if !ordinary[first..=last].iter().all(|&o| o) {
                    visit(last, key);
                }
            }
        };
        // Every run's line first, so that their cache misses overlap.
        let mut touched = 0;
        for first in 0..word_chars.len() {
            looked_up(first, &mut |_, key| touched ^= memo.runs.touch(&key));
        }
        std::hint::black_box(touched);
        for first in 0..word_chars.len() {
            looked_up(first, &mut |last, key| {
                // Runs repeat across titles (`free shipping`, `stainless
                // steel watch`): what one finds is remembered, and so is
                // that it can find nothing.
                let run = word_chars[first].0..word_chars[last].1;
                let hits = if let Some(hits) = memo.runs.get(&key) {
                    memo.hits += 1;
                    hits
                } else {
                    memo.misses += 1;
                    let query = &letters[run.clone()];
                    merge_query(query, merged);
                    // A run that none of the ways of `runs.rs` can reach,
                    // and that is no name joined, finds nothing.
                    let words = runs.reading(&memo.extras);
                    let hits = if words.may_reach((first, last), run.len())
                        || self.fuzzy.may_be_name(merged)
                    {
                        words.run_candidates(
                            ids,
                            &self.fuzzy,
                            (first, last),
                            merged,
                            hash,
                            candidates,
                        );
                        self.verify(candidates, query, pattern, name_chars)
                    } else {
                        Hits::default()
                    };
                    memo.runs.insert(key, hits)
                };
                if !hits.is_empty() {
                    let generic_swap = |rec: &NameRec| {
                        self.generic_word_swapped(rec, word_chars, letters, ordinary, (first, last))
                    };
                    report(hits, (first, last), true, &generic_swap, out);
                }
            });
        }
    }
}

impl BrandIndex {
    /// Whether the run of words `first..=last` differs from the name of
    /// several words `rec` only where an ordinary word of the run stands
    /// for an ordinary word of the name (`Aurelle shirt` for `Aurelle
    /// Sport`, `Aurelle shorts` for `Aurelle Sports`): another everyday
    /// word, not a misspelling of the brand (`vocabulary`). A word of the
    /// name that is no ordinary word misspelt as one is still a misspelling
    /// (`Mont Blank` for `Mont Blanc`). Only runs whose first and last
    /// words line up with the name's, and whose words between are the
    /// name's, are judged; any other run is left to the distance.
    fn generic_word_swapped(
        &self,
        rec: &NameRec,
        word_chars: &[(usize, usize)],
        letters: &[u32],
        ordinary: &[bool],
        (first, last): (usize, usize),
    ) -> bool {
        let (name_first, name_last) = (usize::from(rec.first_word), usize::from(rec.last_word));
        if first == last || name_first == 0 || name_last == 0 {
            return false;
        }
        let (name, len) = self.joined(rec);
        let Some(middle_len) = len.checked_sub(name_first + name_last) else {
            return false;
        };
        let name = || name.chars().map(u32::from);
        let word = |w: usize| {
            let (a, b) = word_chars[w];
            &letters[a..b]
        };
        // The words between, joined, are the name's middle.
        let middle = (first + 1..last).flat_map(|w| word(w).iter().copied());
        if !middle.eq(name().skip(name_first).take(middle_len)) {
            return false;
        }
        // A name's word as the scan's letters, on the stack (a longer one
        // is no ordinary word).
        let ordinary_name_word = |skip: usize, take: usize| {
            let mut buffer = [0u32; 32];
            if take > buffer.len() {
                return false;
            }
            for (slot, c) in buffer.iter_mut().zip(name().skip(skip).take(take)) {
                *slot = c;
            }
            vocabulary::is_ordinary(&buffer[..take])
        };
        let swapped_or_same = |w: usize, skip: usize, take: usize| {
            word(w).iter().copied().eq(name().skip(skip).take(take))
                || (ordinary[w] && ordinary_name_word(skip, take))
        };
        swapped_or_same(first, 0, name_first) && swapped_or_same(last, len - name_last, name_last)
    }

    /// A name's joined obfuscation fold and its length in characters.
    fn joined(&self, rec: &NameRec) -> (&str, usize) {
        let name = slice(&self.arena, rec.joined);
        let len = if rec.joined_chars == u8::MAX {
            name.chars().count()
        } else {
            usize::from(rec.joined_chars)
        };
        (name, len)
    }

    /// The fuzzy hits of each two words of `obf` with a mask between in
    /// `text` ([`normalize::is_mask`], once or twice: `Aur**lle`), read as
    /// one word with [`MASKED_LETTER`] for it ([`BrandIndex::scan_fuzzy`]),
    /// and of each three with a mask between each (`M*ntcl*ire`, two
    /// letters masked: a name of nine letters or more). Apart, and cold:
    /// few texts have one.
    #[cold]
    #[inline(never)]
    fn masked_pairs(
        &self,
        text: &str,
        obf: &FoldedText,
        (words, word_chars, letters): TextWords<'_>,
        (merged, hash, candidates, pattern, name_chars): LookupScratch<'_>,
    ) -> Vec<((usize, usize), Hits)> {
        let masked_before = |w: usize| {
            let gap = obf.original_span(words[w - 1].1..words[w].0);
            normalize::mask_count(text.get(gap).unwrap_or("")).is_some()
        };
        let mut found = Vec::new();
        let mut query = Vec::new();
        let mut previous = false;
        for w in 1..words.len() {
            let masked = masked_before(w);
            // The two words before the mask, and the three before two.
            let firsts = [masked.then(|| w - 1), (masked && previous).then(|| w - 2)];
            previous = masked;
            for first in firsts.into_iter().flatten() {
                if word_chars[w].1 - word_chars[first].0 > self.fuzzy.max_query {
                    continue;
                }
                query.clear();
                for (i, &(a, b)) in word_chars[first..=w].iter().enumerate() {
                    if i > 0 {
                        query.push(MASKED_LETTER);
                    }
                    query.extend_from_slice(&letters[a..b]);
                }
                merge_query(&query, merged);
                self.fuzzy.word_candidates(merged, false, hash, candidates);
                let hits = self.verify(candidates, &query, pattern, name_chars);
                if !hits.is_empty() {
                    found.push(((first, w), hits));
                }
            }
        }
        found
    }

    /// The candidate names (`candidates` sorted, names first) within their
    /// distance of `query` (a word, or the joined words of a run), with
    /// that distance.
    fn verify(
        &self,
        candidates: &[u32],
        query: &[u32],
        pattern: &mut Pattern,
        name_chars: &mut Vec<u32>,
    ) -> Hits {
        let names = candidates.partition_point(|&c| self.fuzzy_ids.is_name(c));
        if names == 0 {
            return Box::default();
        }
        // Candidates are names anywhere in the index: read each record,
        // then each name's first byte, before any is compared, so that
        // their cache misses overlap instead of coming one after another
        // (a word not in this thread's memo has a dozen candidates).
        let candidates = &candidates[..names];
        let mut touched = 0u32;
        for &cand in candidates {
            if let Some(rec) = self.names.get(cand as usize) {
                touched ^= rec.joined.start;
            }
        }
        for &cand in candidates {
            if let Some(rec) = self.names.get(cand as usize) {
                touched ^= u32::from(
                    self.arena
                        .as_bytes()
                        .get(rec.joined.start as usize)
                        .copied()
                        .unwrap_or(0),
                );
            }
        }
        std::hint::black_box(touched);
        // The query is prepared for the first candidate of a length in
        // reach: runs of several words often have none.
        let mut prepared = false;
        let mut hits = Vec::new();
        for &cand in candidates {
            let Some(rec) = self.names.get(cand as usize) else {
                continue;
            };
            let max = usize::from(rec.max_distance);
            let (name, name_len) = self.joined(rec);
            if name_len.abs_diff(query.len()) > max {
                continue;
            }
            if !prepared {
                pattern.set(query);
                prepared = true;
            }
            if let Some(distance) = pattern.distance_within(name, name_len, max, name_chars) {
                hits.push((cand, u8::try_from(distance).unwrap_or(u8::MAX)));
            }
        }
        hits.into_boxed_slice()
    }
}

/// A name folded for the index, before it is numbered
/// ([`BrandIndex::build`]); its folds are in its batch's text
/// ([`FoldedNames`]).
struct FoldedName {
    /// Its entry (an index in the entries given to the build), and its
    /// index among that entry's names.
    entry: usize,
    name: usize,
    /// Its index among all the names given, skipped ones included.
    position: usize,
    /// Exact fold.
    exact: std::ops::Range<usize>,
    /// Obfuscation fold without separators (`i` and `l` told apart).
    strict: std::ops::Range<usize>,
    /// The automaton pattern: `strict` with `i` and `1` read as `l`.
    pattern: std::ops::Range<usize>,
    edges: u8,
    gaps: u32,
    max_distance: u8,
    first_word: u8,
    last_word: u8,
    /// Its obfuscation fold is CJK characters only, no separator: a mask
    /// may stand for one of them ([`BrandIndex::cjk_masks`]).
    cjk_only: bool,
}

/// Names folded on one thread: their folds in one text, so that the
/// batch is two allocations whichever thread frees it (small ones freed
/// by another thread than the one that made them are what an allocator's
/// per-thread heaps keep longest).
#[derive(Default)]
struct FoldedNames {
    names: Vec<FoldedName>,
    text: String,
}

/// Folds every name of `entries`, in order, but those that fold to
/// nothing. `first_entry` and `first_position`: the entry index and name
/// position of `entries[0]` and its first name among all the names.
fn fold_names(entries: &[BrandEntry], first_entry: usize, first_position: usize) -> FoldedNames {
    let mut exact = FoldedText::new();
    let mut obf = FoldedText::new();
    let mut strict = String::new();
    let mut out = FoldedNames {
        names: Vec::with_capacity(entries.iter().map(|e| e.names.len()).sum()),
        text: String::new(),
    };
    let mut position = first_position;
    for (e, entry) in entries.iter().enumerate() {
        for (n, name) in entry.names.iter().enumerate() {
            position += 1;
            fold_both(name, &mut exact, &mut obf);
            if obf.is_empty() || exact.is_empty() {
                continue;
            }
            let edges = if obf.flags_at(0) & WORD != 0 {
                EDGE_LEFT
            } else {
                0
            } | if obf.flags_at(obf.len() - 1) & WORD != 0 {
                EDGE_RIGHT
            } else {
                0
            };
            // The pattern: the fold without separators (`i` and `l` both
            // `l`); the name keeps which was which.
            strict.clear();
            strict.extend(
                obf.as_str()
                    .char_indices()
                    .filter(|&(_, c)| c != ' ')
                    .map(|(i, c)| strict_char(c, obf.flags_at(i))),
            );
            let has_cjk = obf.has_cjk();
            let letters = exact.as_str().chars().filter(|&c| c != ' ').count();
            let max_distance = if has_cjk || letters < FUZZY_MIN_LETTERS {
                0
            } else if letters < FUZZY_DISTANCE_2_LETTERS {
                1
            } else {
                2
            };
            // First and last word of a multi-word name (pieces, see
            // `runs.rs`).
            let mut parts = obf.as_str().split(' ');
            let first = parts.next().map_or(0, |w| w.chars().count());
            let last = parts.next_back().map_or(0, |w| w.chars().count());
            let (first_word, last_word) = match (u8::try_from(first), u8::try_from(last)) {
                (Ok(f), Ok(l)) if l > 0 => (f, l),
                _ => (0, 0),
            };
            let mut put = |s: &str| {
                let start = out.text.len();
                out.text.push_str(s);
                start..out.text.len()
            };
            let exact_range = put(exact.as_str());
            let strict_range = put(&strict);
            let pattern_range = put(&merge_il(&strict));
            out.names.push(FoldedName {
                entry: first_entry + e,
                name: n,
                position: position - 1,
                exact: exact_range,
                strict: strict_range,
                pattern: pattern_range,
                edges,
                gaps: separator_gaps(obf.as_str().as_bytes()),
                max_distance,
                first_word,
                last_word,
                cjk_only: obf.flags_in(0..obf.len()).all(|f| f & CJK != 0),
            });
        }
    }
    out
}

/// The fuzzy index over the joined obfuscation folds of the names that
/// allow fuzzy matching, with what selects the runs of several words worth
/// a lookup ([`runs::build`]).
fn build_fuzzy(names: &[NameRec], arena: &str) -> (FuzzyIndex, FuzzyIds) {
    let mut chars: Vec<u32> = Vec::new();
    let mut starts: Vec<(u32, usize)> = Vec::new(); // (name id, start in `chars`)
    for (id, rec) in names.iter().enumerate() {
        let Ok(id) = u32::try_from(id) else { break };
        if rec.max_distance == 0 {
            continue;
        }
        starts.push((id, chars.len()));
        chars.extend(merge_il(slice(arena, rec.joined)).chars().map(u32::from));
    }
    let run_names: Vec<RunName<'_>> = starts
        .iter()
        .enumerate()
        .map(|(i, &(id, start))| {
            let end = starts.get(i + 1).map_or(chars.len(), |r| r.1);
            let rec = &names[id as usize];
            RunName {
                id,
                chars: &chars[start..end],
                max_distance: usize::from(rec.max_distance),
                first_word: usize::from(rec.first_word),
                last_word: usize::from(rec.last_word),
            }
        })
        .collect();
    runs::build(&run_names, names.len())
}

/// `patterns` (distinct) sorted, with their `edges` in the same order, and
/// the pattern numbers of `pairs` (pattern, name) changed to match.
fn number_in_order(
    patterns: Vec<String>,
    edges: Vec<u8>,
    pairs: &mut [(u32, u32)],
) -> (Vec<String>, Vec<u8>) {
    let mut order: Vec<(String, u8, u32)> = patterns
        .into_iter()
        .zip(edges)
        .zip(0u32..)
        .map(|((pattern, edges), old)| (pattern, edges, old))
        .collect();
    order.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut renumbered = vec![0u32; order.len()];
    for (new, (_, _, old)) in (0u32..).zip(&order) {
        renumbered[*old as usize] = new;
    }
    for pair in pairs {
        pair.0 = renumbered[pair.0 as usize];
    }
    order
        .into_iter()
        .map(|(pattern, edges, _)| (pattern, edges))
        .unzip()
}

/// The bytes an anchored walk from a byte of the joined fold is
/// remembered by ([`WalkMemo`]): up to [`WalkKey::MAX`] of them, not past
/// the end of the fold's word (a gap in its positions, where separators
/// were), so that a word's walks are remembered whatever follows it. The
/// bytes little-endian in the low 56 bits, their count above.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct WalkKey(u64);

impl WalkKey {
    const MAX: usize = 7;

    #[inline]
    fn at(joined: &[u8], at: &[u32], from: usize) -> WalkKey {
        // The word's bytes from `from`: while positions follow on (they
        // rise, so once one is past, every later one is).
        let len = match at.get(from..from + Self::MAX) {
            Some(&[p0, p1, p2, p3, p4, p5, p6]) => {
                let next = [p1, p2, p3, p4, p5, p6];
                1 + (1..)
                    .zip(next)
                    .filter(|&(k, p)| p.checked_sub(p0) == Some(k))
                    .count()
            }
            _ => {
                let mut len = 1;
                while len < Self::MAX
                    && let (Some(&next), Some(&last)) = (at.get(from + len), at.get(from + len - 1))
                    && next.checked_sub(last) == Some(1)
                {
                    len += 1;
                }
                len
            }
        };
        let bytes = match joined.get(from..from + 8).map(<[u8; 8]>::try_from) {
            Some(Ok(chunk)) => u64::from_le_bytes(chunk) & ((1 << (8 * len)) - 1),
            _ => joined
                .get(from..from + len)
                .unwrap_or_default()
                .iter()
                .rev()
                .fold(0, |key, &b| (key << 8) | u64::from(b)),
        };
        WalkKey(bytes | ((len as u64) << 56))
    }

    fn len(self) -> usize {
        (self.0 >> 56) as usize
    }
}

/// A thread's memo of the automaton's anchored walks that found at most
/// one pattern and ended (read a byte no pattern continues with) within
/// their [`WalkKey`]: how many bytes each read and the pattern it found,
/// which depend on those bytes alone. Direct-mapped: a walk whose slot
/// another took walks again.
#[derive(Debug, Default)]
struct WalkMemo {
    /// The key, [`WalkMemo::FOUND`] if the walk found a pattern, and the
    /// bytes read in the top 4 bits; 0 is an empty slot (a key has a byte).
    slots: Vec<u64>,
    /// Per slot, the pattern found times 8 plus its length.
    patterns: Vec<u32>,
}

impl WalkMemo {
    /// `1 << BITS` slots of 12 bytes: 48 KiB.
    const BITS: u32 = 12;
    const FOUND: u64 = 1 << 59;
    const READ: u32 = 60;

    #[inline]
    fn slot(key: WalkKey) -> usize {
        (key.0.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::BITS)) as usize
    }

    /// The bytes the walk of `key` read, and the pattern it found with
    /// its length.
    #[inline]
    fn get(&self, key: WalkKey) -> Option<(usize, Option<(usize, usize)>)> {
        let at = Self::slot(key);
        let slot = *self.slots.get(at)?;
        if slot & (Self::FOUND - 1) != key.0 {
            return None;
        }
        let read = (slot >> Self::READ) as usize;
        if slot & Self::FOUND == 0 {
            return Some((read, None));
        }
        let found = *self.patterns.get(at)?;
        Some((read, Some(((found >> 3) as usize, (found & 7) as usize))))
    }

    /// Remembers that the walk of `key` read `read` bytes and found
    /// `found` (a pattern and its length), if they are within it.
    #[inline]
    fn insert(&mut self, key: WalkKey, read: usize, found: Option<(usize, usize)>) {
        if read > key.len() {
            return;
        }
        let found = match found.map(|(p, len)| u32::try_from(p).map(|p| (p, len))) {
            None => None,
            Some(Ok((pattern, len))) if pattern < 1 << 29 && len < 8 => {
                Some((pattern << 3) | len as u32)
            }
            // Past what a slot holds: walked each time.
            Some(_) => return,
        };
        if self.slots.is_empty() {
            self.slots.resize(1 << Self::BITS, 0);
            self.patterns.resize(1 << Self::BITS, 0);
        }
        let at = Self::slot(key);
        if let (Some(slot), Some(pattern)) = (self.slots.get_mut(at), self.patterns.get_mut(at)) {
            *slot = key.0 | ((read as u64) << Self::READ);
            if let Some(found) = found {
                *slot |= Self::FOUND;
                *pattern = found;
            }
        }
    }

    fn clear(&mut self) {
        self.slots.fill(0);
    }

    fn bytes(&self) -> usize {
        self.slots.capacity() * 8 + self.patterns.capacity() * 4
    }
}

/// A name's joined fold as its automaton pattern: `i` and `1` read as `l`,
/// and the digit of a number ([`NUMBER_ONE`]) as the fold writes it.
fn merge_il(strict: &str) -> String {
    strict.replace(['i', '1'], "l").replace(NUMBER_ONE, "1")
}

/// A query's characters read as by [`merge_il`]: what the fuzzy index is
/// built over.
fn merge_query(strict: &[u32], merged: &mut Vec<u32>) {
    merged.clear();
    merged.extend(strict.iter().map(|&c| {
        if c == u32::from('i') || c == u32::from('1') {
            u32::from('l')
        } else if c == u32::from(NUMBER_ONE) {
            u32::from('1')
        } else {
            c
        }
    }));
}

/// The words of `range` of an obfuscation fold: maximal runs of word
/// characters (CJK, separators and blanks split them), as byte ranges of
/// the fold (`words`) and as ranges of `letters` (`word_chars`), their
/// characters told apart by origin ([`strict_char`]). The three are
/// cleared first.
pub(super) fn split_words(
    obf: &FoldedText,
    range: std::ops::Range<usize>,
    words: &mut Vec<(usize, usize)>,
    word_chars: &mut Vec<(usize, usize)>,
    letters: &mut Vec<u32>,
) {
    words.clear();
    word_chars.clear();
    letters.clear();
    // A loop of its own for the rare text with blanks: the usual one asks
    // nothing more per byte.
    if obf.has_blanks() {
        split_words_in::<true>(obf, range, words, word_chars, letters);
    } else {
        split_words_plain(obf, range, words, word_chars, letters);
    }
}

/// [`split_words`] of a fold without blanks: one pass over its bytes and
/// their flags together, with no bounds check per byte, which was most of
/// its cost.
fn split_words_plain(
    obf: &FoldedText,
    range: std::ops::Range<usize>,
    words: &mut Vec<(usize, usize)>,
    word_chars: &mut Vec<(usize, usize)>,
    letters: &mut Vec<u32>,
) {
    let Some(part) = obf.as_str().get(range.clone()) else {
        return;
    };
    let bytes = part.as_bytes();
    let base = range.start;
    if bytes.is_ascii() && u32::try_from(bytes.len()).is_ok() {
        split_ascii(bytes, obf.flags_in(range), base, words, word_chars, letters);
        return;
    }
    // The start of the word being read, and its first letter.
    let mut word: Option<(usize, usize)> = None;
    let mut end = bytes.len();
    for (i, (&b, flags)) in bytes.iter().zip(obf.flags_in(range)).enumerate() {
        if flags & WORD == 0 {
            if let Some((start, first)) = word.take() {
                words.push((base + start, base + i));
                word_chars.push((first, letters.len()));
            }
            continue;
        }
        let letter = if b.is_ascii() {
            match b {
                b'1' | b'l' => strict_char(char::from(b), flags),
                _ => char::from(b),
            }
        } else if b & 0xC0 == 0x80 && word.is_some() {
            // A continuation byte of the character read at its first.
            continue;
        } else {
            match part.get(i..).and_then(|rest| rest.chars().next()) {
                Some(c) => strict_char(c, flags),
                // Not a character boundary (never, in a fold): stop.
                None => {
                    end = i;
                    break;
                }
            }
        };
        if word.is_none() {
            word = Some((i, letters.len()));
        }
        letters.push(u32::from(letter));
    }
    if let Some((start, first)) = word {
        words.push((base + start, base + end));
        word_chars.push((first, letters.len()));
    }
}

/// [`split_words_plain`] of ASCII bytes, fewer than 4 GiB (`flags` theirs,
/// `base` the first one's offset in the fold), the vectors empty, without
/// a branch on each byte (a branch there mispredicts at most words'
/// edges). One pass reads every byte's letter and notes where words begin
/// and end; then each word's letters are copied to `letters`, a fixed
/// sixteen at a time.
fn split_ascii(
    bytes: &[u8],
    flags: impl Iterator<Item = u8>,
    base: usize,
    words: &mut Vec<(usize, usize)>,
    word_chars: &mut Vec<(usize, usize)>,
    letters: &mut Vec<u32>,
) {
    use std::hint::select_unpredictable as select;
    /// Letters copied at once: most words are shorter.
    const CHUNK: usize = 16;
    /// Texts of up to this many bytes are read on the stack.
    const STACK: usize = 192;
    let n = bytes.len();
    // Every byte's letter, and each word's first byte and the byte after it.
    let (mut stack_letters, mut stack_edges) = ([0u32; STACK + CHUNK], [0u32; STACK + 1]);
    let (mut heap_letters, mut heap_edges) = (Vec::new(), Vec::new());
    let (all, edges): (&mut [u32], &mut [u32]) = if n <= STACK {
        (&mut stack_letters, &mut stack_edges)
    } else {
        heap_letters.resize(n + CHUNK, 0);
        heap_edges.resize(n + 1, 0);
        (&mut heap_letters, &mut heap_edges)
    };
    let mut count = 0;
    let mut inside = false;
    for (i, ((&b, f), letter)) in bytes.iter().zip(flags).zip(all.iter_mut()).enumerate() {
        // As `strict_char` reads it.
        let l = select(
            f & I_ORIGIN != 0,
            b'i',
            select(f & L_ORIGIN != 0, b'l', b'1'),
        );
        *letter = u32::from(select(b == b'l', l, select(b == b'1', NUMBER_ONE as u8, b)));
        let word = f & WORD != 0;
        // The text is shorter than 4 GiB.
        edges[count] = i as u32;
        count += usize::from(word != inside);
        inside = word;
    }
    edges[count] = n as u32;
    count += usize::from(inside);
    words.reserve(count / 2);
    word_chars.reserve(count / 2);
    letters.resize(n + CHUNK, 0);
    let mut written = 0;
    for pair in edges[..count].chunks_exact(2) {
        let (start, end) = (pair[0] as usize, pair[1] as usize);
        let len = end - start;
        if len <= CHUNK {
            letters[written..written + CHUNK].copy_from_slice(&all[start..start + CHUNK]);
        } else {
            letters[written..written + len].copy_from_slice(&all[start..end]);
        }
        words.push((base + start, base + end));
        word_chars.push((written, written + len));
        written += len;
    }
    letters.truncate(written);
}

/// [`split_words`], with words ended at blanks if `BLANKS`
/// ([`FoldedText::blank_before`]).
fn split_words_in<const BLANKS: bool>(
    obf: &FoldedText,
    range: std::ops::Range<usize>,
    words: &mut Vec<(usize, usize)>,
    word_chars: &mut Vec<(usize, usize)>,
    letters: &mut Vec<u32>,
) {
    let text = obf.as_str();
    if text.get(range.clone()).is_none() {
        return;
    }
    let bytes = text.as_bytes();
    let mut i = range.start;
    while i < range.end {
        // Separators and CJK characters, a byte at a time (every byte of a
        // character has its flags).
        if obf.flags_at(i) & WORD == 0 {
            i += 1;
            continue;
        }
        let (start, first) = (i, letters.len());
        while i < range.end {
            let f = obf.flags_at(i);
            // A word ends at a blank too (`Vuiton\u{3164}bag`).
            if f & WORD == 0 || (BLANKS && i > start && obf.blank_before(i)) {
                break;
            }
            // Word characters are mostly ASCII: read without decoding.
            let c = match bytes[i] {
                b if b.is_ascii() => char::from(b),
                _ => match text.get(i..).and_then(|rest| rest.chars().next()) {
                    Some(c) => c,
                    None => break,
                },
            };
            letters.push(u32::from(strict_char(c, f)));
            i += c.len_utf8();
        }
        if i == start {
            // Not a character boundary (never, in a fold): stop.
            break;
        }
        words.push((start, i));
        word_chars.push((first, letters.len()));
    }
}

/// Whether every word of `range` of an obfuscation fold is an ordinary
/// word ([`vocabulary`]), so no fuzzy match there is reported. For the
/// rare fuzzy match of the automaton (an `i` read as an `l`).
fn all_ordinary(obf: &FoldedText, range: std::ops::Range<usize>) -> bool {
    let (mut words, mut word_chars, mut letters) = (Vec::new(), Vec::new(), Vec::new());
    split_words(obf, range, &mut words, &mut word_chars, &mut letters);
    !word_chars.is_empty()
        && word_chars
            .iter()
            .all(|&(a, b)| vocabulary::is_ordinary(&letters[a..b]))
}

/// The strict form of the digit `1` of a number (`10`, which the fold
/// keeps as digits): itself, not the `1` that stands for either letter.
/// Folds have no ASCII punctuation, so it is told apart.
const NUMBER_ONE: char = '#';

/// A character of the obfuscation fold (whose byte has `flags`), with its
/// `l` told apart by origin: `i` for an `i`, `l` for an `l`, `1` for `1`,
/// `|` or `!` inside a word (either letter), [`NUMBER_ONE`] for the digit
/// of a number. Names and text are read alike.
fn strict_char(c: char, flags: u8) -> char {
    if c == '1' {
        NUMBER_ONE
    } else if c != 'l' {
        c
    } else if flags & I_ORIGIN != 0 {
        'i'
    } else if flags & L_ORIGIN != 0 {
        'l'
    } else {
        '1'
    }
}

/// An inner character of a name of CJK characters that a mask may stand
/// for (`奥*尔` for `奥瑞尔`, [`BrandIndex::scan_cjk_masks`]), found by the
/// characters on either side of it.
#[derive(Clone, Copy, Debug)]
struct MaskedChar {
    /// [`cjk_pair`] of the characters before and after it in the name's
    /// joined fold.
    key: u64,
    /// The name ([`NameId`]).
    name: u32,
    /// Its index among the name's characters: 1 up to their count less 2.
    position: u32,
}

impl MaskedChar {
    /// The fewest characters of a CJK name one of which may be masked, or
    /// which a letter or digit may be inserted in: of two, a mask leaves
    /// one, which says nothing (`奥*` is no name), and Chinese text has a
    /// letter or digit between two characters in its own words (`买2送1`).
    const MIN_CHARS: usize = 3;

    /// Adds the inner characters of name `id`, whose joined fold is
    /// `joined` (CJK characters only), if it has [`MaskedChar::MIN_CHARS`]
    /// or more: one entry per character, none for its first and last
    /// (a mask at a name's edge is a separator beside a shorter word).
    fn add(id: u32, joined: &str, out: &mut Vec<MaskedChar>) {
        let mut chars = joined.chars();
        let (Some(mut before), Some(mut masked)) = (chars.next(), chars.next()) else {
            return;
        };
        for (position, after) in (1u32..).zip(chars) {
            out.push(MaskedChar {
                key: cjk_pair(before, after),
                name: id,
                position,
            });
            (before, masked) = (masked, after);
        }
    }
}

/// Another reading of a text, scanned for misspellings
/// ([`BrandIndex::scan_fuzzy_reading`]).
struct OtherReading<'a> {
    /// The text as read.
    text: &'a str,
    /// The exact fold of the text as written, for compatibility phrases
    /// before or after a match ([`written_nominative`]).
    written: &'a FoldedText,
    /// A span of the reading as a span of the text as written.
    span: &'a dyn Fn(Range<usize>) -> Range<usize>,
}

/// Two characters as one key ([`MaskedChar::key`]).
fn cjk_pair(before: char, after: char) -> u64 {
    (u64::from(before) << 32) | u64::from(after)
}

/// What stands between two CJK characters of a text that may hide a CJK
/// name ([`cjk_gaps`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GapKind {
    /// One ASCII letter or digit (or its full-width form, as NFKC reads
    /// it) between two Han characters, glued to both: inserted between two
    /// characters of a name (`奥x瑞x尔`) or masking one (`奥x尔`).
    Letter,
    /// A CJK character written as a separator, glued to the characters on
    /// both sides: `丶` or `丨` (strokes that stand for a dot or a bar)
    /// between two CJK characters, `ー` (the katakana long vowel mark, a
    /// dash) between two Han characters, where it lengthens no kana, and
    /// the Hangul vowel `ㅣ` (a bar, as `丨` is) between two Han
    /// characters, where it is no syllable of Korean text (`奥ㅣ瑞ㅣ尔`;
    /// between Hangul syllables it is Korean, `가ㅣ나`). Not `一` or `〇`,
    /// words of their own.
    Separator,
    /// A mask symbol once, or twice in a row (`*`, `？`, `□`, `○`,
    /// `\u{fffd}`: [`normalize::is_mask`]), between two CJK characters,
    /// which the fold read as a separator.
    Mask {
        /// How many symbols (1 or 2).
        count: u8,
    },
}

/// A [`GapKind`] between the CJK characters at `before` and `after` (byte
/// ranges of the obfuscation fold, as start and end); a letter's or a
/// separator's bytes are those between them.
#[derive(Clone, Copy, Debug)]
struct CjkGap {
    /// What the gap is.
    kind: GapKind,
    /// The character before it.
    before: (u32, u32),
    /// The character after it.
    after: (u32, u32),
}

/// The gaps between the CJK characters of `obf`, the obfuscation fold of
/// `text`, that may hide a CJK name ([`GapKind`]), in order, into `gaps`
/// (cleared first). None for a fold without CJK characters, nor for one
/// in display order (bidi controls), whose characters' places in the text
/// are not in order.
fn cjk_gaps(text: &str, obf: &FoldedText, gaps: &mut Vec<CjkGap>) {
    /// A piece of the fold: a CJK character (its bytes), a run of word
    /// characters, a separator, or anything else.
    #[derive(Clone, Copy)]
    enum Piece {
        Cjk(u32, u32),
        Word(u32, u32),
        Space,
        Other,
    }
    gaps.clear();
    if !obf.has_cjk() || obf.is_reordered() || !may_have_cjk_gaps(text) {
        return;
    }
    let folded = obf.as_str();
    // The text a piece of the fold was written as, and the text between
    // two pieces.
    let written = |(a, b): (u32, u32)| {
        text.get(obf.original_span(a as usize..b as usize))
            .unwrap_or("")
    };
    let between = |(a, b): (u32, u32), (c, d): (u32, u32)| {
        let from = obf.original_span(a as usize..b as usize).end;
        let to = obf.original_span(c as usize..d as usize).start;
        text.get(from..to).unwrap_or("")
    };
    let han = |piece: (u32, u32)| written(piece).chars().next().is_some_and(normalize::is_han);
    let mut last = [Piece::Other; 2];
    let mut i = 0;
    while let Some(c) = folded.get(i..).and_then(|rest| rest.chars().next()) {
        let flags = obf.flags_at(i);
        let from = i;
        i += c.len_utf8();
        let piece = if c == ' ' {
            Piece::Space
        } else if flags & CJK != 0 {
            Piece::Cjk(offset(from), offset(i))
        } else if flags & WORD != 0 {
            while let Some(next) = folded.get(i..).and_then(|rest| rest.chars().next())
                && obf.flags_at(i) & (WORD | CJK) == WORD
            {
                i += next.len_utf8();
            }
            Piece::Word(offset(from), offset(i))
        } else {
            Piece::Other
        };
        if let Piece::Cjk(p, q) = piece {
            let here = (p, q);
            let kind = match last {
                [_, Piece::Cjk(a, b)] | [Piece::Cjk(a, b), Piece::Space] => {
                    normalize::mask_count(between((a, b), here))
                        .map(|count| (GapKind::Mask { count }, (a, b)))
                }
                [Piece::Cjk(a, b), Piece::Word(w, x)] => {
                    let letter = between((a, b), here);
                    let mut chars = letter.chars();
                    (chars.next().is_some_and(lone_letter)
                        && chars.next().is_none()
                        && written((w, x)) == letter
                        && han((a, b))
                        && han(here))
                    .then_some((GapKind::Letter, (a, b)))
                }
                _ => None,
            };
            if let Some((kind, before)) = kind {
                gaps.push(CjkGap {
                    kind,
                    before,
                    after: here,
                });
            }
            // A separator character between the one before it and this one,
            // with a lone character on one side at least.
            if let [Piece::Cjk(a, b), Piece::Cjk(s, t)] = last
                && between((a, b), (s, t)).is_empty()
                && between((s, t), here).is_empty()
                && match one_char(written((s, t))).and_then(cjk_divider) {
                    Some(CjkDivider::Stroke) => true,
                    Some(CjkDivider::Letter) => han((a, b)) && han(here),
                    None => false,
                }
                && lone_beside_separator(
                    text,
                    obf.original_span(a as usize..b as usize).end,
                    obf.original_span(p as usize..q as usize).start,
                )
            {
                gaps.push(CjkGap {
                    kind: GapKind::Separator,
                    before: (a, b),
                    after: here,
                });
            }
        }
        last = [last[1], piece];
    }
}

/// What a CJK title's divider character is ([`cjk_divider`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CjkDivider {
    /// A Han stroke (`丶`, `丨`, their Kangxi radicals `⼂`, `⼁`, and the
    /// Hangzhou numeral one `〡`, drawn as `丨` is): a divider wherever it
    /// is written between CJK characters.
    Stroke,
    /// A letter of kana or Hangul drawn as a stroke (the long vowel mark
    /// `ー`, its half-width `ｰ`; the Hangul vowel `ㅣ`, its conjoining
    /// `ᅵ`): a divider between two Han characters only, since Japanese and
    /// Korean text write it as a letter.
    Letter,
}

/// Whether `c` is a character that Chinese (and Korean) titles write as a
/// divider glued between CJK characters, and a seller between a CJK
/// alias's characters (`奥丨瑞丨尔`, `奥ㅣ瑞ㅣ尔`): which kind, if so. The
/// one list that [`cjk_gaps`], [`lone_beside_separator`] and
/// [`may_have_cjk_gaps`] read.
fn cjk_divider(c: char) -> Option<CjkDivider> {
    match c {
        '丶' | '丨' | '⼂' | '⼁' | '〡' => Some(CjkDivider::Stroke),
        'ー' | 'ｰ' | 'ㅣ' | 'ᅵ' => Some(CjkDivider::Letter),
        _ => None,
    }
}

/// The one character `s` is made of, if it is one.
fn one_char(s: &str) -> Option<char> {
    let mut chars = s.chars();
    chars.next().filter(|_| chars.next().is_none())
}

/// Whether a CJK separator character written glued between phrases
/// (`翡翠丨雅坊手镯`, `永恒ㅣ达人`, with Chinese titles' divider `丨` or a
/// Korean title's `ㅣ`) may be one written inside a name
/// ([`GapKind::Separator`]): the CJK characters glued to the separators
/// ending at byte `left_end` of `text`, or to those starting at
/// `right_start`, are a single character (`奥ㅣ瑞ㅣ尔`, `恒丨达`,
/// `维丶拉诺`), as spaces are read between single characters only (`奥 瑞
/// 尔`, not `卡地 亚洲`). A divider between two phrases of two characters
/// or more would otherwise glue the last character of one to the first of
/// the next into a name of two (`翠雅坊` of `翡翠丨雅坊`, `恒达`).
fn lone_beside_separator(text: &str, left_end: usize, right_start: usize) -> bool {
    // How many CJK characters (up to two) are glued after the separators
    // at the start of `chars`; none past a run of more than a few
    // separators, which is no name's: a text of thousands of them is not
    // walked whole at each.
    fn glued(chars: impl Iterator<Item = char>) -> usize {
        const RUN: usize = 4;
        let mut chars = chars.peekable();
        let mut run = 0;
        while chars.next_if(|&c| cjk_divider(c).is_some()).is_some() {
            run += 1;
            if run > RUN {
                return 0;
            }
        }
        chars
            .take(2)
            .take_while(|&c| normalize::is_cjk(c) && cjk_divider(c).is_none())
            .count()
    }
    let left = glued(text.get(..left_end).unwrap_or("").chars().rev());
    let right = glued(text.get(right_start..).unwrap_or("").chars());
    left == 1 || right == 1
}

/// Whether `text` has what a gap between CJK characters is made of
/// ([`cjk_gaps`]): an ASCII character glued between two others (a letter,
/// a digit or a mask, `奥x瑞`, `奥*尔`; a mask twice, `奥**尔`), or a
/// full-width letter or digit, a mask symbol or a separator character
/// outside ASCII (`奥ｘ瑞`, `奥□尔`, `奥丶瑞`). Most CJK titles have none,
/// and are not read character by character for them.
fn may_have_cjk_gaps(text: &str) -> bool {
    let bytes = text.as_bytes();
    let glued = bytes
        .windows(3)
        .any(|w| w[1] < 0x80 && w[1] != b' ' && w[0] >= 0x80 && w[2] >= 0x80)
        || bytes
            .windows(4)
            .any(|w| w[1] < 0x80 && w[1] == w[2] && w[0] >= 0x80 && w[3] >= 0x80);
    glued
        || text.chars().any(|c| {
            !c.is_ascii() && (lone_letter(c) || normalize::is_mask(c) || cjk_divider(c).is_some())
        })
}

/// Whether `c` is an ASCII letter or digit, its full-width form (which
/// NFKC reads as it) or a fancy-text one (`Ⓐ`, `𝐀`, `ᴀ`, `①`:
/// [`normalize::fancy_alphanumeric`]): what may be inserted into a CJK
/// name, or mask one of its characters ([`GapKind::Letter`]).
fn lone_letter(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ')
        || normalize::fancy_alphanumeric(c)
}

/// Where the CJK characters `chars` end right before byte `at` of `obf`
/// (no separator, letter or digit among them): where they begin, if so.
fn cjk_chars_before(obf: &FoldedText, mut at: usize, chars: &str) -> Option<usize> {
    let folded = obf.as_str();
    for want in chars.chars().rev() {
        let c = folded.get(..at)?.chars().next_back()?;
        at -= c.len_utf8();
        if c != want || obf.flags_at(at) & CJK == 0 {
            return None;
        }
    }
    Some(at)
}

/// Where the CJK characters `chars` begin right at byte `at` of `obf` (no
/// separator, letter or digit among them): where they end, if so.
fn cjk_chars_after(obf: &FoldedText, mut at: usize, chars: &str) -> Option<usize> {
    let folded = obf.as_str();
    for want in chars.chars() {
        let c = folded.get(at..)?.chars().next()?;
        if c != want || obf.flags_at(at) & CJK == 0 {
            return None;
        }
        at += c.len_utf8();
    }
    Some(at)
}

/// Whether a phrase of CJK text starts or ends at byte `at` of an
/// obfuscation fold: the text's edge, a separator, or a change between CJK
/// and other characters.
fn phrase_edge(obf: &FoldedText, at: usize) -> bool {
    let bytes = obf.as_str().as_bytes();
    at == 0
        || at >= bytes.len()
        || bytes[at - 1] == b' '
        || bytes[at] == b' '
        || (obf.flags_at(at - 1) ^ obf.flags_at(at)) & normalize::CJK != 0
}

/// A byte offset (or pattern number) of a folded text as `u32`: folded
/// texts are cut to `u32::MAX` bytes.
fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// How [`Reading::read`] reads a word: with a leet symbol's letter added
/// first or last, or without the fold's bytes at these positions (the
/// letters it wrote for symbols inside the word).
#[derive(Clone, Debug)]
enum Other {
    First(u8),
    Last(u8),
    Dropped(Range<usize>),
    /// Only these parts of the word (every symbol inside it dropped).
    Kept(Vec<Range<usize>>),
}

/// The position in the fold of a letter a reading added: it has none.
const ADDED: u32 = u32::MAX;

/// How many words next to the word a second reading reads, on either
/// side, a name may take in (`Louis` of `Louis Vuit|ton`).
const NEIGHBOUR_WORDS: usize = 6;

/// A second reading of a word of the fold, with the words next to it
/// ([`BrandIndex::scan_other_leet_readings`]): its bytes joined without
/// separators, the position in the fold of each ([`ADDED`] for a letter
/// the reading added), and where a name that takes in the whole word read
/// may begin (the starts of the words before it, and its own) and end (its
/// own end, and the ends of the words after it).
struct Reading<'s> {
    bytes: &'s mut Vec<u8>,
    at: &'s mut Vec<u32>,
    starts: [usize; NEIGHBOUR_WORDS + 1],
    ends: [usize; NEIGHBOUR_WORDS + 1],
    n_starts: usize,
    n_ends: usize,
}

/// A [`Reading`] (or another reading of a word) as [`BrandIndex::whole_names`]
/// reads it.
#[derive(Clone, Copy)]
struct ReadingRef<'a> {
    bytes: &'a [u8],
    at: &'a [u32],
    starts: &'a [usize],
    ends: &'a [usize],
}

impl<'s> Reading<'s> {
    fn new(bytes: &'s mut Vec<u8>, at: &'s mut Vec<u32>) -> Self {
        Reading {
            bytes,
            at,
            starts: [0; NEIGHBOUR_WORDS + 1],
            ends: [0; NEIGHBOUR_WORDS + 1],
            n_starts: 0,
            n_ends: 0,
        }
    }

    /// Reads `word` (bytes of `folded`) the `other` way, with up to
    /// [`NEIGHBOUR_WORDS`] words either side (each the word `before` or
    /// `after` the last one taken, if any; no more of them than `longest`
    /// bytes each way).
    fn read(
        &mut self,
        folded: &[u8],
        word: Range<usize>,
        other: &Other,
        (before, after): (
            &impl Fn(Range<usize>) -> Option<Range<usize>>,
            &impl Fn(Range<usize>) -> Option<Range<usize>>,
        ),
        longest: usize,
    ) {
        self.bytes.clear();
        self.at.clear();
        (self.n_starts, self.n_ends) = (0, 0);
        // The words before it, found nearest first.
        let mut words: [Range<usize>; NEIGHBOUR_WORDS] = Default::default();
        let (mut n, mut taken, mut last) = (0, 0, word.clone());
        while n < NEIGHBOUR_WORDS {
            let Some(w) = before(last) else { break };
            taken += w.len();
            if taken > longest {
                break;
            }
            words[n] = w.clone();
            (n, last) = (n + 1, w);
        }
        for w in words[..n].iter().rev() {
            self.start_here();
            self.push(folded, w.clone());
        }
        self.start_here();
        match *other {
            Other::First(letter) => {
                self.added(letter);
                self.push(folded, word.clone());
            }
            Other::Last(letter) => {
                self.push(folded, word.clone());
                self.added(letter);
            }
            Other::Dropped(ref own) => {
                self.push(folded, word.start..own.start);
                self.push(folded, own.end..word.end);
            }
            Other::Kept(ref parts) => {
                for part in parts {
                    self.push(folded, part.clone());
                }
            }
        }
        self.end_here();
        // The words after it.
        let (mut taken, mut last) = (0, word);
        for _ in 0..NEIGHBOUR_WORDS {
            let Some(w) = after(last) else { break };
            taken += w.len();
            if taken > longest {
                break;
            }
            self.push(folded, w.clone());
            self.end_here();
            last = w;
        }
    }

    fn push(&mut self, folded: &[u8], range: Range<usize>) {
        self.bytes.extend_from_slice(&folded[range.clone()]);
        self.at.extend(range.map(offset));
    }

    fn added(&mut self, letter: u8) {
        self.bytes.push(letter);
        self.at.push(ADDED);
    }

    fn start_here(&mut self) {
        self.starts[self.n_starts] = self.bytes.len();
        self.n_starts += 1;
    }

    fn end_here(&mut self) {
        self.ends[self.n_ends] = self.bytes.len();
        self.n_ends += 1;
    }

    fn as_ref(&self) -> ReadingRef<'_> {
        ReadingRef {
            bytes: self.bytes,
            at: self.at,
            starts: &self.starts[..self.n_starts],
            ends: &self.ends[..self.n_ends],
        }
    }
}

/// A leet symbol's other reading ([`BrandIndex::scan_other_leet_readings`]):
/// the letter it stands for (`|` for `l` or `i`, which the automaton does
/// not tell apart), and whether it is read as that letter at a word's start
/// or end too, not only dropped inside a word (`Mont+Claire`).
struct LeetReading {
    letter: u8,
    leading: bool,
    trailing: bool,
    /// Read as a first letter only before a lowercase one, where it stands
    /// for the capital (`©oachlight`): before a capital it is a notice
    /// (`©Eline Vos` is no `Celine`).
    capital_only: bool,
}

/// The parts of the word at `word` of `obf` between the letters the fold
/// wrote for leet symbols ([`leet_reading`]) inside it, or only for those
/// written as `only`, if `own` (the letters of one symbol or run of them)
/// is the first such and others follow it; `None` otherwise, and for
/// `only` where every symbol of the word is `only` (the reading with them
/// all dropped is the same).
fn without_symbols(
    text: &str,
    obf: &FoldedText,
    (word, own): (Range<usize>, &Range<usize>),
    only: Option<char>,
) -> Option<Vec<Range<usize>>> {
    let written = |p: usize| {
        let mut chars = text.get(obf.original_span(p..p + 1))?.chars();
        let c = chars.next().filter(|&c| leet_reading(c).is_some())?;
        chars.next().is_none().then_some(c)
    };
    let symbol = |p: usize| written(p).is_some_and(|c| only.is_none_or(|o| o == c));
    if (word.start..own.start).any(symbol) || !(own.end..word.end).any(symbol) {
        return None;
    }
    if only.is_some() && !(word.clone()).any(|p| written(p).is_some() && !symbol(p)) {
        return None;
    }
    let mut parts = Vec::new();
    let mut p = word.start;
    while p < word.end {
        let end = (p..word.end).find(|&q| symbol(q)).unwrap_or(word.end);
        if end > p {
            parts.push(p..end);
        }
        p = (end..word.end).find(|&q| !symbol(q)).unwrap_or(word.end);
    }
    Some(parts)
}

/// A leet symbol read as a name's first or last letter makes short names
/// out of honest words too often (`@men`, `$kin`, `Del|`, `XL|V-neck` as
/// the alias `LV`): the name must then have this many letters as written
/// besides the symbol (`@nne Klein` has, `|V` has not).
const EDGE_WORD_MIN: usize = 4;

/// The letters of `text` as written, digits too (`|3vi's`, a `3` for an
/// `e`), but not a Hangul filler (a letter to Unicode, a blank to a buyer)
/// nor characters that draw nothing of their own. (As written: `m` folds
/// to `rn`.)
fn letters_written(text: &str) -> usize {
    text.chars()
        .filter(|&c| c.is_alphanumeric() && !normalize::unseen(c) && !normalize::draws_as_blank(c))
        .count()
}

/// The letters of `text` as written, not its digits ([`letters_written`]
/// counts those too): what a name glued to a number must have of its own
/// (`LV2` has two, `D10R5` two).
fn letters_only(text: &str) -> usize {
    text.chars().filter(|c| c.is_alphabetic()).count()
}

/// Whether digits follow the name at folded bytes `name` of the obfuscation
/// fold `obf` in its word, glued to the name's last letter (`Orvanta12`,
/// `LUMO2`, `cuiyafang888`: a model number, lucky digits): a buyer reads
/// the name and the number as two words, though the fold reads the digits
/// as letters (`orvantal2`). Letters may follow the number where it is a
/// size or a model's (`Aurelle42mm`, `Orvanta5G`, `Orvanta12Pro`): two
/// digits or more, or one that is no leet letter, or one letter after it;
/// not where the word reads as leetspeak throughout (`Sti0h3cur`: a digit
/// in the name too; `Wyshi0pr`). The caller asks for [`EDGE_WORD_MIN`]
/// letters as written (`XL2` is not `XL`).
fn digits_follow(obf: &FoldedText, name: Range<usize>) -> bool {
    let end = name.end;
    if obf.flags_at(end) & DIGIT == 0 || obf.flags_at(end - 1) & (WORD | DIGIT) != WORD {
        return false;
    }
    // The word ends at a separator or at a blank (a Hangul filler).
    let word_end = (end..obf.len())
        .find(|&at| obf.flags_at(at) & WORD == 0 || (at > end && obf.blank_before(at)))
        .unwrap_or(obf.len());
    let number_end = (end..word_end)
        .find(|&at| obf.flags_at(at) & DIGIT == 0)
        .unwrap_or(word_end);
    if number_end == word_end {
        return true;
    }
    let number = obf
        .as_str()
        .as_bytes()
        .get(end..number_end)
        .unwrap_or_default();
    !obf.flags_in(name).any(|f| f & DIGIT != 0)
        && (number.len() >= 2
            || number.iter().any(u8::is_ascii_digit)
            || word_end - number_end <= 1)
}

/// Letters a name glued to an ordinary word must have as written
/// ([`ordinary_word_follows`]): shorter names are inside too many words.
const GLUED_NAME_MIN: usize = 5;

/// Whether the name at folded bytes `name` of the obfuscation fold `obf`
/// (of `text`) begins a hashtag (`#` or `＃`, what draws nothing aside)
/// and one or two ordinary words ([`vocabulary`]) of three letters or more
/// follow it, glued, to the hashtag's end or a number there
/// (`#aurellewatch`, `#VellanoBag`, `#aurellewatchstyle`,
/// `#aurellewatch2024`): a hashtag is words written without their
/// separators, as `LouisVuitton` is a name without its own. Only in a
/// hashtag: elsewhere a name inside a longer word is no mention
/// (`Aurelleton`, a place; whole-word matching, and detection the same in
/// any case, where a join shown by case, `AurelleWatch`, is not). Not
/// where the whole word is an ordinary word itself (`#stagecoach`). The
/// caller asks for [`GLUED_NAME_MIN`] letters as written.
fn ordinary_word_follows(text: &str, obf: &FoldedText, name: Range<usize>) -> bool {
    let end = name.end;
    let letter = |at: usize| obf.flags_at(at) & (WORD | DIGIT) == WORD;
    if !letter(end) || !letter(end - 1) {
        return false;
    }
    let before = &text[..obf.original_span(name.clone()).start];
    let tag = before.trim_end_matches(normalize::unseen);
    if !tag.ends_with(['#', '＃']) {
        return false;
    }
    let word_end = (end..obf.len())
        .find(|&at| obf.flags_at(at) & WORD == 0 || (at > end && obf.blank_before(at)))
        .unwrap_or(obf.len());
    // The letters, then digits to the word's end, if any.
    let letters_end = (end..word_end).find(|&at| !letter(at)).unwrap_or(word_end);
    if letters_end - end < 3 || (letters_end..word_end).any(|at| obf.flags_at(at) & DIGIT == 0) {
        return false;
    }
    let (mut words, mut word_chars, mut letters) = (Vec::new(), Vec::new(), Vec::new());
    let mut one_word = |range: Range<usize>| {
        split_words(obf, range, &mut words, &mut word_chars, &mut letters);
        match word_chars[..] {
            [(a, b)] => Some(letters[a..b].to_vec()),
            _ => None,
        }
    };
    let (Some(after), Some(whole)) = (
        one_word(end..letters_end),
        one_word(name.start..letters_end),
    ) else {
        return false;
    };
    // One or two ordinary words, each at most the longest's letters: a
    // longer run is neither, and is not looked up at each of its splits.
    if after.len() > 2 * vocabulary::longest() {
        return false;
    }
    let ordinary = |w: &[u32]| w.len() >= 3 && vocabulary::is_ordinary(w);
    !vocabulary::is_ordinary(&whole)
        && (ordinary(&after)
            || (3..after.len().saturating_sub(2))
                .any(|k| ordinary(&after[..k]) && ordinary(&after[k..])))
}

/// Whether folded byte `start` of the obfuscation fold `obf`, a letter, is
/// the first after digits that begin its word, glued to them as written
/// (`2024Aurelle`), where the fold allows a boundary
/// ([`FoldedText::keep_numbers`]); not where single characters were joined
/// (`1:1 L V`, where the letters were words of their own).
fn after_digits(obf: &FoldedText, start: usize) -> bool {
    start > 0
        && obf.flags_at(start) & DIGIT == 0
        && obf.flags_at(start - 1) & (WORD | DIGIT) == WORD | DIGIT
        && !obf.blank_before(start)
        && obf.original_span(start - 1..start).end == obf.original_span(start..start + 1).start
}

/// Whether `rest` begins with a domain name and no more (`klein.com`,
/// `erie-outdoor.co.uk`): labels of ASCII letters, digits and hyphens, the
/// last a top-level domain of two lowercase letters or more. After an `@`
/// glued to a word, the two are an email address, not a name.
fn is_domain(rest: &[u8]) -> bool {
    let end = rest
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'.'))
        .unwrap_or(rest.len());
    if rest.get(end).is_some_and(|&b| b >= 0x80) {
        return false;
    }
    let domain = rest[..end].strip_suffix(b".").unwrap_or(&rest[..end]);
    let mut labels = domain.split(|&b| b == b'.');
    let first = labels.next().unwrap_or_default();
    let Some(tld) = labels.next_back() else {
        return false;
    };
    !first.is_empty() && tld.len() >= 2 && tld.iter().all(u8::is_ascii_lowercase)
}

/// The other reading of leet symbol `c`, for every symbol of the fold
/// ([`normalize::leet_letter`], whose letter it takes) dropped inside a
/// word. At a word's start `@`, `|`, `$`, `¢`, `©` and `⊂` (`©oach`; these
/// three only before a lowercase letter), and the letters of upside-down
/// text used upright, `∩`, `∀`, `˥` and `⅂` (`∩erio`, `∀urelle`,
/// `˥ysette`), not the currencies `€ £ ¥` (`£50`) nor `+ ! ¡`; at its end
/// only `@` (`Orvant@`) and the tone bars `˥`, `⅂` (`Kestre˥`): a `$` there
/// is a currency (`HK$`), a `|` a separator glued to the word before
/// (`Matte| Red`). Set theory writes `∩` and `∀` between spaces (`A ∩ B`,
/// `∀ x`), and phonetics the tone bar after a syllable's letters (`ma˥`),
/// where no name is made.
fn leet_reading(c: char) -> Option<LeetReading> {
    let letter = u8::try_from(normalize::leet_letter(c)?).ok()?;
    // A full-width or small form reads as its symbol (`＠urelle`).
    let symbol = normalize::leet_symbol(c)?;
    let (leading, trailing) = match symbol {
        '@' | '˥' | '⅂' => (true, true),
        '|' | '$' | '¢' | '©' | '⊂' | '∩' | '⋂' | '∀' => (true, false),
        _ => (false, false),
    };
    let capital_only = matches!(symbol, '¢' | '©' | '⊂');
    Some(LeetReading {
        letter,
        leading,
        trailing,
        capital_only,
    })
}

/// Whether a compatibility phrase of the text as written (its exact fold)
/// comes before or after `span`, a name written upside down: `Strap for
/// 38mm ǝllǝɹnɐ` speaks of an accessory as `ǝllǝɹnɐ ɹoɟ dɐɹʇs` does.
fn written_nominative(exact: &FoldedText, span: &Range<usize>) -> bool {
    let folded = exact.folded_range(span.clone());
    !folded.is_empty() && nominative_use(exact, folded)
}

/// Whether `b` continues a UTF-8 character (no character begins there).
fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// Writes the obfuscation fold without its separator spaces into `joined`,
/// and the position in `obf` of each of its bytes into `at`.
///
/// Every byte is written, and the next one written over a space: no branch
/// that depends on the text, and no copy call per word (a word is a few
/// bytes; both cost more than the bytes themselves).
fn join_words(obf: &FoldedText, joined: &mut Vec<u8>, at: &mut Vec<u32>) {
    let text = obf.as_str().as_bytes();
    joined.clear();
    at.clear();
    joined.resize(text.len(), 0);
    at.resize(text.len(), 0);
    let mut kept = 0;
    for (i, &b) in text.iter().enumerate() {
        if let (Some(byte), Some(position)) = (joined.get_mut(kept), at.get_mut(kept)) {
            *byte = b;
            *position = offset(i);
        }
        kept += usize::from(b != b' ');
    }
    joined.truncate(kept);
    at.truncate(kept);
}

/// [`NameRec::gaps`] of a fold (words separated by single spaces).
fn separator_gaps(folded: &[u8]) -> u32 {
    let mut gaps = 0u32;
    let mut joined = 0usize;
    for (i, &b) in folded.iter().enumerate() {
        if b == b' ' {
            continue;
        }
        if i > 0 && folded[i - 1] == b' ' {
            if joined >= 32 {
                return NO_GAPS_KNOWN;
            }
            gaps |= 1 << joined;
        }
        joined += 1;
    }
    gaps
}

/// [`NameRec::gaps`] of a match of the joined text, whose bytes are at
/// positions `at` of the fold.
fn text_gaps(at: &[u32]) -> u32 {
    let mut gaps = 0u32;
    for (p, pair) in at.windows(2).enumerate() {
        if pair[1] != pair[0] + 1 {
            if p + 1 >= 32 {
                return NO_GAPS_KNOWN;
            }
            gaps |= 1 << (p + 1);
        }
    }
    gaps
}

/// A fold's words: their byte ranges in the fold, their ranges in the
/// letters, and the letters.
type TextWords<'a> = (&'a [(usize, usize)], &'a [(usize, usize)], &'a [u32]);

/// What a fuzzy lookup works in: the merged query, the hashing scratch,
/// the candidates, the verifier's pattern and a name's characters.
type LookupScratch<'a> = (
    &'a mut Vec<u32>,
    &'a mut HashScratch,
    &'a mut Vec<u32>,
    &'a mut Pattern,
    &'a mut Vec<u32>,
);

/// The letter a masked one (`*`, `#`, `•` between two words) reads as in a
/// fuzzy lookup: one no name has, so it costs a substitution against any.
const MASKED_LETTER: u32 = char::REPLACEMENT_CHARACTER as u32;

/// How many `l` bytes of an automaton match (at positions `at` of `obf`)
/// stand for an `i` where the name has an `l`, or the reverse; `name` is
/// the name's joined fold, which the matched bytes equal once `i` is read
/// as `l`. Two or more `i` in a row for as many `l` are no misspelling but
/// the look-alike of a doubled `l` (`VeIIano`, `AureIIe`, which UTS #39
/// reads as `l`; detection is case-insensitive, so `veiiano` too): they
/// cost nothing. A single one is a substitution (`Aurelie`, `AureIle`).
fn il_substitutions(obf: &FoldedText, at: &[u32], name: &str) -> usize {
    let i_for_l = |n: u8, p: u32| n == b'l' && obf.flags_at(p as usize) & I_ORIGIN != 0;
    let count = name
        .bytes()
        .zip(at)
        .filter(|&(n, &p)| i_for_l(n, p) || (n == b'i' && obf.flags_at(p as usize) & L_ORIGIN != 0))
        .count();
    if count < 2 {
        return count;
    }
    // Rows of two or more `i` read for `l` cost nothing.
    let mut free = 0;
    let mut row = 0;
    for (n, &p) in name.bytes().zip(at) {
        row = if i_for_l(n, p) { row + 1 } else { 0 };
        free += match row {
            2 => 2,
            3.. => 1,
            _ => 0,
        };
    }
    count - free
}

fn slice(arena: &str, s: Slice) -> &str {
    arena
        .get(s.start as usize..(s.start + s.len) as usize)
        .unwrap_or("")
}

/// A span where an exact or obfuscated match found a brand's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct NamedSpan {
    start: usize,
    end: usize,
    brand: u32,
    owner: u32,
}

/// Which brands' names, written in a text, hide the names of other owners'
/// brands they are misspellings of, and of which: for a listing check,
/// those in scope for the listing (`Flais`, registered for these goods, is
/// not a misspelt `Plais`), and only of brands registered since the time it
/// gives ([`BrandEntry::registered`]): since the name's own brand last
/// changed, so that a member who registers another's misspelling
/// (`Aurrelle`, beside `Aurelle`), with a trademark of its own for the
/// goods, hides nothing of that brand. `None` from it: the name hides
/// nothing. None given, every brand's name hides every other's.
pub type NamesHide<'a> = Option<&'a dyn Fn(u32) -> Option<i64>>;

/// Since when (the earliest [`BrandEntry::registered`] of a brand whose
/// misspellings they hide; `None`: of none) the names written at a span,
/// `names` (brands' strong matches there), hide the other owners' names
/// they are misspellings of ([`NamesHide`]).
fn hiding_since<'a>(
    hides: NamesHide<'_>,
    names: impl IntoIterator<Item = &'a NamedSpan>,
) -> Option<i64> {
    names
        .into_iter()
        .filter_map(|s| hides.map_or(Some(i64::MIN), |hides| hides(s.brand)))
        .min()
}

/// Whether names that hide other owners' misspellings since `since`
/// ([`hiding_since`]) hide a name whose brand was registered at
/// `registered` (read only when some name hides): at or after `since`.
fn hides_name(since: Option<i64>, registered: impl FnOnce() -> i64) -> bool {
    since.is_some_and(|since| registered() >= since)
}

/// Adds the exact and obfuscated matches among `matches`, of brands not in
/// `retired` (sorted), to `spans` (kept sorted, each once).
///
/// A word or run written as a registered name is that name, not a
/// misspelling of another of its owner's names, nor of another owner's
/// where the name's brand hides it ([`NamesHide`]): no such fuzzy match is
/// made at the span ([`BrandIndex::scan_fuzzy`]), also where the name is
/// then reported only as part of a longer name of its brand (`Lykai` in
/// `Lykai Prios`). A short name near many others had a hundred such
/// matches made, sorted and dropped. Otherwise both are reported, so that
/// no member takes another's misspellings out of review by registering
/// them as names of its own. Layered scans ([`super::Layers`]) add every
/// layer's spans before either looks for fuzzy matches, so that they find
/// what one index over every brand finds.
pub(super) fn add_strong_spans(matches: &[TextMatch], retired: &[u32], spans: &mut Vec<NamedSpan>) {
    spans.extend(
        matches
            .iter()
            .filter(|m| m.evidence.is_strong() && retired.binary_search(&m.brand).is_err())
            .map(|m| NamedSpan {
                start: m.span.start,
                end: m.span.end,
                brand: m.brand,
                owner: m.owner,
            }),
    );
    spans.sort_unstable();
    spans.dedup();
}

/// Keeps the strongest match per (brand, span), drops a match inside a
/// longer span of the same brand with evidence at least as strong, drops
/// fuzzy matches of brands with a stronger match, and sorts by span.
/// Allocates nothing for up to [`PACKED_ON_STACK`] matches.
fn finish(out: &mut Vec<TextMatch>) {
    let is_fuzzy = |m: &TextMatch| matches!(m.evidence, Evidence::TextFuzzy { .. });
    if brands_repeat(out) {
        sort_by_packed(out, by_brand_key, by_brand);
        let mut keep = 0;
        for i in 0..out.len() {
            if keep > 0 {
                let (last, m) = (&out[keep - 1], &out[i]);
                let inside = last.span.start <= m.span.start && m.span.end <= last.span.end;
                if last.brand == m.brand && inside && last.evidence.rank() <= m.evidence.rank() {
                    continue;
                }
            }
            out.swap(keep, i);
            keep += 1;
        }
        out.truncate(keep);
        let mut keep = 0;
        let mut i = 0;
        while i < out.len() {
            let brand = out[i].brand;
            let mut j = i;
            let mut strong = false;
            while j < out.len() && out[j].brand == brand {
                strong |= !is_fuzzy(&out[j]);
                j += 1;
            }
            for k in i..j {
                if !(strong && is_fuzzy(&out[k])) {
                    out.swap(keep, k);
                    keep += 1;
                }
            }
            i = j;
        }
        out.truncate(keep);
    }
    order(out);
}

/// Drops the matches that lie inside another brand's name as written, of
/// the same owner: a match inside a longer exact or obfuscated one (`路易`
/// inside `路易威登`, `Blanc` inside `Mont Blanc`), and a fuzzy match inside
/// the span of an exact or obfuscated one. Another owner's name hides
/// nothing here (see [`BrandEntry::owner`]): a longer one, as the listing
/// check decides by its scope, nor one with the very span of a fuzzy match,
/// which the scan made only where that name does not hide it
/// ([`add_strong_spans`]). `out` is in [`order`], which this keeps. Applied to a
/// scan's final matches, after layers are merged ([`super::Layers`]), since
/// it looks across brands. One pass by start where the names that hold
/// others are of a few owners (most texts), else O(n log n), sorted by
/// owner.
pub(super) fn drop_matches_inside_names(out: &mut Vec<TextMatch>) {
    let is_fuzzy = |m: &TextMatch| matches!(m.evidence, Evidence::TextFuzzy { .. });
    let n = out.len();
    if n < 2 || out.iter().all(is_fuzzy) {
        return;
    }
    // Most texts: their working space on the stack, and the matches of a
    // few owners, walked once by start keeping the farthest end per owner.
    let (mut inside_few, mut inside_many) = ([false; FEW_MATCHES], Vec::new());
    let inside = stack_or_heap(&mut inside_few, &mut inside_many, n);
    if !inside_few_owners(out, inside) {
        inside.fill(false);
        inside_by_owner(out, inside);
    }
    let mut k = 0;
    out.retain(|_| {
        let keep = !inside[k];
        k += 1;
        keep
    });
}

/// `n` values of working space: the first `n` of `few`, on the caller's
/// stack, when they fit, else `many` grown to `n` (all `T::default()`).
pub(crate) fn stack_or_heap<'a, T: Copy + Default, const N: usize>(
    few: &'a mut [T; N],
    many: &'a mut Vec<T>,
    n: usize,
) -> &'a mut [T] {
    if n <= N {
        &mut few[..n]
    } else {
        many.resize(n, T::default());
        many
    }
}

/// Matches whose working space [`drop_matches_inside_names`] keeps on the
/// stack.
const FEW_MATCHES: usize = 32;

/// [`drop_matches_inside_names`] where the strong matches that hold
/// another ([`mark_holders`]) are of at most [`OwnerEnds`]'s few owners
/// (and the strong ones starting at one place end at as few places):
/// marks in `inside` the matches to drop, in one pass by start. False past
/// that many, leaving `inside` to be cleared. Only holders can hide a
/// match, so a Chinese title's dozens of other brands' names at one place
/// (`仕宝` of twenty brands), inside one name or none, take this pass, not
/// a sort by owner.
fn inside_few_owners(out: &[TextMatch], inside: &mut [bool]) -> bool {
    let is_fuzzy = |m: &TextMatch| matches!(m.evidence, Evidence::TextFuzzy { .. });
    // Each group's flags are read below before its marks overwrite them.
    mark_holders(out, inside, true);
    let holds = inside;
    let mut reach = OwnerEnds::default(); // strong matches starting earlier
    let mut group = OwnerEnds::default(); // strong ones starting here
    let mut i = 0;
    while i < out.len() {
        let start = out[i].span.start;
        let mut j = i;
        group.clear();
        while j < out.len() && out[j].span.start == start {
            let m = &out[j];
            if holds[j] && !group.raise(m.owner, m.span.end) {
                return false;
            }
            j += 1;
        }
        for k in i..j {
            let m = &out[k];
            let earlier = reach.get(m.owner).is_some_and(|end| m.span.end <= end);
            let here = group.get(m.owner);
            holds[k] = if is_fuzzy(m) {
                earlier || here.is_some_and(|end| m.span.end <= end)
            } else {
                earlier || here.is_some_and(|end| m.span.end < end)
            };
        }
        if !reach.merge(&group) {
            return false;
        }
        i = j;
    }
    true
}

/// Sets `holds[k]` for each strong match `out[k]` (`out` in [`order`])
/// that may hold another: one inside its span with less text, or, with
/// `same_span_fuzzy`, a fuzzy one with its very span; clears it for the
/// rest. Only these can hide a match: inside a name of the same owner
/// ([`drop_matches_inside_names`], with `same_span_fuzzy`), or inside
/// another owner's name in scope (the listing check, without). One pass
/// from the end, by the smallest end of the matches starting later (one
/// starting later and ending no later is inside) and of those starting at
/// the same place (all, and the fuzzy ones). A few more may be set (a
/// later match's span may be empty, or a fuzzy one end earlier but start
/// later): they hide nothing more.
pub(crate) fn mark_holders(out: &[TextMatch], holds: &mut [bool], same_span_fuzzy: bool) {
    let is_fuzzy = |m: &TextMatch| matches!(m.evidence, Evidence::TextFuzzy { .. });
    debug_assert_eq!(out.len(), holds.len());
    let mut later = usize::MAX; // the smallest end of those starting later
    let mut j = out.len();
    while let Some(last) = j.checked_sub(1) {
        let start = out[last].span.start;
        let i = out[..j]
            .iter()
            .rposition(|m| m.span.start != start)
            .map_or(0, |k| k + 1);
        let (mut here, mut fuzzy) = (usize::MAX, usize::MAX);
        for m in &out[i..j] {
            here = here.min(m.span.end);
            if same_span_fuzzy && is_fuzzy(m) {
                fuzzy = fuzzy.min(m.span.end);
            }
        }
        for (m, h) in out[i..j].iter().zip(&mut holds[i..j]) {
            let end = m.span.end;
            *h = !is_fuzzy(m) && (here < end || fuzzy <= end || later <= end);
        }
        later = later.min(here);
        j = i;
    }
}

/// [`drop_matches_inside_names`] for any matches: marks in `inside` the
/// matches to drop, from their numbers sorted by owner, then start (linear
/// in the owners, however many a text's matches have).
fn inside_by_owner(out: &[TextMatch], inside: &mut [bool]) {
    let is_fuzzy = |m: &TextMatch| matches!(m.evidence, Evidence::TextFuzzy { .. });
    let n = out.len();
    let (mut by_owner_few, mut by_owner_many) = ([0usize; FEW_MATCHES], Vec::new());
    let by_owner = stack_or_heap(&mut by_owner_few, &mut by_owner_many, n);
    // Sorted as integers that pack (owner, start, number): one comparison
    // each, without reading the matches again.
    let (mut keys_few, mut keys_many) = ([0u128; FEW_MATCHES], Vec::new());
    let keys = stack_or_heap(&mut keys_few, &mut keys_many, n);
    for (k, (key, m)) in keys.iter_mut().zip(out).enumerate() {
        // Spans and numbers fit in 64 and 32 bits: folds are cut to
        // `u32::MAX` bytes, and a text has fewer matches than bytes.
        *key = u128::from(m.owner) << 96 | (m.span.start as u128) << 32 | k as u128;
    }
    keys.sort_unstable();
    for (slot, &key) in by_owner.iter_mut().zip(keys.iter()) {
        *slot = key as u32 as usize;
    }
    // Per owner, by span start: a strong match that starts earlier and ends
    // no earlier is longer; at the same start, one that ends later is.
    let mut i = 0;
    while i < n {
        let owner = out[by_owner[i]].owner;
        // The farthest end of this owner's strong matches starting earlier.
        let mut reach: Option<usize> = None;
        while i < n && out[by_owner[i]].owner == owner {
            let start = out[by_owner[i]].span.start;
            let mut j = i;
            let mut here: Option<usize> = None;
            while j < n && out[by_owner[j]].owner == owner && out[by_owner[j]].span.start == start {
                let m = &out[by_owner[j]];
                if !is_fuzzy(m) {
                    here = here.max(Some(m.span.end));
                }
                j += 1;
            }
            for &k in &by_owner[i..j] {
                let m = &out[k];
                let earlier = reach.is_some_and(|end| m.span.end <= end);
                inside[k] = earlier
                    || here.is_some_and(|end| {
                        if is_fuzzy(m) {
                            m.span.end <= end
                        } else {
                            m.span.end < end
                        }
                    });
            }
            reach = reach.max(here);
            i = j;
        }
    }
}

/// The farthest span end per owner, for the few owners most texts'
/// matches have: inline, without allocating ([`inside_few_owners`]).
#[derive(Default)]
struct OwnerEnds {
    few: [(u32, usize); 4],
    len: usize,
}

impl OwnerEnds {
    fn clear(&mut self) {
        self.len = 0;
    }

    fn get(&self, owner: u32) -> Option<usize> {
        self.few[..self.len]
            .iter()
            .find(|(o, _)| *o == owner)
            .map(|&(_, end)| end)
    }

    /// Raises `owner`'s end to `end`; false when a fifth owner comes.
    #[must_use]
    fn raise(&mut self, owner: u32, end: usize) -> bool {
        if let Some(slot) = self.few[..self.len].iter_mut().find(|(o, _)| *o == owner) {
            slot.1 = slot.1.max(end);
        } else if self.len < self.few.len() {
            self.few[self.len] = (owner, end);
            self.len += 1;
        } else {
            return false;
        }
        true
    }

    /// Raises the ends of `other`'s owners; false when that takes a fifth.
    #[must_use]
    fn merge(&mut self, other: &OwnerEnds) -> bool {
        other.few[..other.len]
            .iter()
            .all(|&(owner, end)| self.raise(owner, end))
    }
}

/// Whether two of `out` are matches of one brand: only then has
/// [`finish`] matches to drop. Sorting the brand numbers alone costs a
/// fraction of sorting the matches.
fn brands_repeat(out: &[TextMatch]) -> bool {
    const SMALL: usize = 64;
    if out.len() > SMALL {
        return true;
    }
    let mut brands = [0u32; SMALL];
    let brands = &mut brands[..out.len()];
    for (brand, m) in brands.iter_mut().zip(out) {
        *brand = m.brand;
    }
    brands.sort_unstable();
    brands.windows(2).any(|pair| pair[0] == pair[1])
}

/// Sorts `(brand, name)` pairs and keeps each brand once, with its first
/// name.
pub(super) fn first_name_per_brand(out: &mut Vec<(u32, NameId)>) {
    out.sort_unstable();
    out.dedup_by_key(|&mut (brand, _)| brand);
}

/// Sorts matches as scans report them: by span start, then strongest
/// evidence, then brand.
pub(super) fn order(out: &mut [TextMatch]) {
    sort_by_packed(out, by_start_key, by_start);
}

/// [`finish`]'s order: by brand, then span start, longest first, then
/// evidence, strongest first.
fn by_brand(a: &TextMatch, b: &TextMatch) -> std::cmp::Ordering {
    let key = |m: &TextMatch| {
        (
            m.brand,
            m.span.start,
            std::cmp::Reverse(m.span.end),
            m.evidence.rank(),
            m.name,
        )
    };
    key(a).cmp(&key(b))
}

/// [`by_brand`] packed ([`sort_by_packed`]).
fn by_brand_key(m: &TextMatch) -> Option<u128> {
    pack([
        (u128::from(m.brand), 32),
        (span_field(m.span.start)?, SPAN_BITS),
        ((1 << SPAN_BITS) - 1 - span_field(m.span.end)?, SPAN_BITS),
        (u128::from(m.evidence.rank()), RANK_BITS),
        (u128::from(m.name.0), 32),
    ])
}

/// [`order`]'s order.
fn by_start(a: &TextMatch, b: &TextMatch) -> std::cmp::Ordering {
    let key = |m: &TextMatch| (m.span.start, m.evidence.rank(), m.brand, m.span.end, m.name);
    key(a).cmp(&key(b))
}

/// [`by_start`] packed.
fn by_start_key(m: &TextMatch) -> Option<u128> {
    pack([
        (span_field(m.span.start)?, SPAN_BITS),
        (u128::from(m.evidence.rank()), RANK_BITS),
        (u128::from(m.brand), 32),
        (span_field(m.span.end)?, SPAN_BITS),
        (u128::from(m.name.0), 32),
    ])
}

/// Bits of a packed sort key ([`sort_by_packed`]) for a span's start or
/// end: texts up to 2 MiB (a listing's fields are far shorter).
const SPAN_BITS: u32 = 21;

/// Bits of a packed sort key for [`Evidence::rank`] (at most 26).
const RANK_BITS: u32 = 5;

/// Bits of a packed sort key below its fields: the match's index.
const INDEX_BITS: u32 = 16;

/// Matches whose packed keys [`sort_by_packed`] keeps on the stack.
const PACKED_ON_STACK: usize = 64;

/// A span's start or end as a packed key's field, if it fits.
fn span_field(at: usize) -> Option<u128> {
    u128::try_from(at).ok().filter(|&at| at < 1 << SPAN_BITS)
}

/// Fields `(value, bits)` packed into one integer, the first in the
/// highest bits, so that integers compare as the fields in turn; `None`
/// if a value does not fit its bits.
fn pack<const N: usize>(fields: [(u128, u32); N]) -> Option<u128> {
    fields.iter().try_fold(0u128, |packed, &(value, bits)| {
        (value < 1 << bits).then_some(packed << bits | value)
    })
}

/// Sorts `out` as `cmp` does, by keys that pack the same fields
/// (`key`, below `128 - INDEX_BITS` bits; `None` where a field does not
/// fit, and then by `cmp`). Each key holds its match's index in its low
/// bits; the keys are sorted as integers, then the matches moved to their
/// places, each once. A comparison is then one of two integers, not of
/// five fields read from two 40-byte matches, and a text with hundreds of
/// fuzzy hits (a short word near many names) spent most of its scan in
/// the comparator's sort.
fn sort_by_packed(
    out: &mut [TextMatch],
    key: impl Fn(&TextMatch) -> Option<u128>,
    mut cmp: impl FnMut(&TextMatch, &TextMatch) -> std::cmp::Ordering,
) {
    let n = out.len();
    if n < 2 {
        return;
    }
    // Below `1 << INDEX_BITS`, so no key is `DONE`.
    if n >= 1 << INDEX_BITS {
        out.sort_unstable_by(cmp);
        return;
    }
    let (mut few, mut many) = ([0u128; PACKED_ON_STACK], Vec::new());
    let keys = stack_or_heap(&mut few, &mut many, n);
    for (index, (slot, m)) in keys.iter_mut().zip(out.iter()).enumerate() {
        match key(m) {
            Some(packed) if packed < 1 << (128 - INDEX_BITS) => {
                *slot = packed << INDEX_BITS | index as u128;
            }
            _ => {
                out.sort_unstable_by(&mut cmp);
                return;
            }
        }
    }
    keys.sort_unstable();
    // Place `j` takes the match at index `keys[j]`: each cycle of that
    // permutation is walked once, a swap per place.
    const DONE: u128 = u128::MAX;
    let index_of = |key: u128| (key & ((1 << INDEX_BITS) - 1)) as usize;
    for first in 0..n {
        let mut j = first;
        while keys[j] != DONE {
            let from = index_of(keys[j]);
            keys[j] = DONE;
            if from == first {
                break;
            }
            out.swap(j, from);
            j = from;
        }
    }
}

#[cfg(test)]
mod packed_sort_tests {
    use super::{
        Evidence, NameId, TextMatch, by_brand, by_brand_key, by_start, by_start_key, sort_by_packed,
    };

    /// `count` matches in a scrambled order, every one with its own name
    /// (so that any two differ in a sort's last field), their spans
    /// shifted by `shift`.
    fn matches(count: u32, shift: usize) -> Vec<TextMatch> {
        (0..count)
            .map(|i| {
                let start = shift + (i as usize * 7) % 11;
                TextMatch {
                    brand: i % 3,
                    owner: i % 3,
                    evidence: match i % 4 {
                        0 => Evidence::TextExact,
                        1 => Evidence::TextObfuscated,
                        d => Evidence::TextFuzzy { distance: d - 1 },
                    },
                    name: NameId((i * 31) % count),
                    span: start..start + 1 + (i as usize % 5),
                    nominative_use: false,
                }
            })
            .collect()
    }

    /// On the stack and on the heap, and past the spans a packed key holds
    /// (where the comparator sorts).
    #[test]
    fn packed_sorts_sort_as_their_comparators() {
        type Cmp = fn(&TextMatch, &TextMatch) -> std::cmp::Ordering;
        type Key = fn(&TextMatch) -> Option<u128>;
        let sorts: [(Cmp, Key); 2] = [(by_brand, by_brand_key), (by_start, by_start_key)];
        for (count, shift) in [(20, 0), (200, 0), (20, 1 << 21), (200, usize::MAX / 2)] {
            for (cmp, key) in sorts {
                let mut packed = matches(count, shift);
                sort_by_packed(&mut packed, key, cmp);
                let mut expected = matches(count, shift);
                expected.sort_by(cmp);
                assert_eq!(packed, expected, "{count} matches from {shift}");
            }
        }
    }
}

#[cfg(test)]
mod memo_key_tests {
    use super::{memo_entry, short_key};

    #[test]
    fn keys_are_short_when_short_and_latin_1_and_found_either_way() {
        let chars = |s: &str| s.chars().map(u32::from).collect::<Vec<_>>();
        let keys = [
            (0, chars("cartirr")),
            (1, chars("cartirr")),
            (1, chars("cartirrz")),
            (1, chars(&"cartirr".repeat(5))),
            (1, chars("þcartirrÿ")),
            (1, chars("cartirrā")),
            (1, chars("cartirrжж")),
            (1, chars("")),
            (0, chars("")),
            (1, chars("abcdefghijklmn")),
            (1, chars("abcdefghijklmno")),
            (0, chars("abcdefghijklmno")),
            (256, chars("cartirr")),
        ];
        let short: Vec<bool> = keys
            .iter()
            .map(|(extras, k)| short_key(*extras, k).is_some())
            .collect();
        assert_eq!(
            short,
            [
                true, true, true, false, true, false, false, true, true, true, false, false, false
            ]
        );
        let mut map = hashbrown::HashMap::new();
        for (i, (extras, key)) in keys.iter().enumerate() {
            let (value, found) = memo_entry(&mut map, *extras, key, || i);
            assert!(!found, "{key:?} before it is added");
            assert_eq!(*value, i, "{key:?} as added");
        }
        assert_eq!(map.len(), keys.len(), "every key is distinct");
        for (i, (extras, key)) in keys.iter().enumerate() {
            let (value, found) = memo_entry(&mut map, *extras, key, || usize::MAX);
            assert!(found, "{key:?}");
            assert_eq!(*value, i, "{key:?}");
        }
    }

    proptest::proptest! {
        /// Two short keys are the same only for the same flag and word, on
        /// either side of the machine word the characters start a second
        /// one at (the seventh), and each element is its own byte.
        #[test]
        fn short_keys_are_equal_only_for_equal_words(
            a in "[abé]{0,14}",
            b in "[abé]{0,14}",
            extras_a in 0u32..2,
            extras_b in 0u32..2,
        ) {
            let chars = |s: &str| s.chars().map(u32::from).collect::<Vec<_>>();
            let (a, b) = (chars(&a), chars(&b));
            let (ka, kb) = (short_key(extras_a, &a), short_key(extras_b, &b));
            proptest::prop_assert!(ka.is_some() && kb.is_some());
            proptest::prop_assert_eq!(ka == kb, (extras_a, &a) == (extras_b, &b));
            let [low, high] = ka.unwrap_or_default();
            let bytes = (u128::from(low) | (u128::from(high) << 64)).to_le_bytes();
            let elements: Vec<u32> = std::iter::once(extras_a).chain(a.iter().copied()).collect();
            proptest::prop_assert_eq!(usize::from(bytes[15]), elements.len());
            for (i, &element) in elements.iter().enumerate() {
                proptest::prop_assert_eq!(u32::from(bytes[i]), element);
            }
        }
    }
}

#[cfg(test)]
mod split_tests {
    use proptest::prelude::*;

    use super::{fold_both, split_words_in, split_words_plain};
    use crate::detect::normalize::FoldedText;

    type Split = (Vec<(usize, usize)>, Vec<(usize, usize)>, Vec<u32>);

    fn split(text: &str, range: impl Fn(usize) -> std::ops::Range<usize>) -> (Split, Split) {
        let (mut exact, mut obf) = (FoldedText::new(), FoldedText::new());
        fold_both(text, &mut exact, &mut obf);
        let range = range(obf.len());
        let (mut fast, mut general) = (Split::default(), Split::default());
        split_words_plain(&obf, range.clone(), &mut fast.0, &mut fast.1, &mut fast.2);
        split_words_in::<false>(&obf, range, &mut general.0, &mut general.1, &mut general.2);
        (fast, general)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// The one-pass split reads every fold, and any part of one, as the
        /// byte-at-a-time loop does: words, their letters, `1` and `l` told
        /// apart by origin, CJK and accented letters, ranges that cut a
        /// character.
        #[test]
        fn the_one_pass_split_reads_folds_as_the_general_loop(
            text in "([ -~]|[éİıІіӏ｜１\u{200B}\u{0301}奥瑞尔ßŁ]){0,40}",
            cut in 0usize..8,
        ) {
            let (fast, general) = split(&text, |len| 0..len);
            prop_assert_eq!(fast, general);
            let (fast, general) = split(&text, |len| cut.min(len)..len.saturating_sub(cut));
            prop_assert_eq!(fast, general);
        }

        /// So does the split of ASCII folds, which takes no branch per
        /// byte: words of one letter, runs of separators, the text's edges,
        /// every origin of an `l` and the digit `1`.
        #[test]
        fn the_ascii_split_reads_folds_as_the_general_loop(
            text in "([ -~]|[il1|!L ]){0,60}",
            long in "[a-zA-Z1l|!]{14,40}([ .,-]{1,3}[a-zA-Z1l|]{1,24}){4,16}",
            cut in 0usize..8,
        ) {
            // Longer than the stack's buffers, with words longer than a
            // copy's chunk.
            let (fast, general) = split(&long, |len| 0..len);
            prop_assert_eq!(fast, general);
            let (fast, general) = split(&text, |len| 0..len);
            prop_assert_eq!(fast, general);
            let (fast, general) = split(&text, |len| cut.min(len)..len.saturating_sub(cut));
            prop_assert_eq!(fast, general);
        }
    }
}

#[cfg(test)]
mod pattern_order_tests {
    use super::number_in_order;

    /// Numbering the patterns in sorted order moves each pattern with its
    /// edges, and every (pattern, name) pair still names the same pattern.
    #[test]
    fn patterns_numbered_in_order_keep_their_edges_and_names() {
        let patterns: Vec<String> = ["vellano", "aurelle", "lumo", "aurellesports"]
            .map(String::from)
            .into();
        let edges = vec![1, 2, 3, 4];
        let mut pairs = vec![(0, 10), (1, 11), (2, 12), (0, 13), (3, 14)];
        let named = |patterns: &[String], edges: &[u8], pairs: &[(u32, u32)]| {
            pairs
                .iter()
                .map(|&(p, name)| (patterns[p as usize].clone(), edges[p as usize], name))
                .collect::<Vec<_>>()
        };
        let before = named(&patterns, &edges, &pairs);
        let (patterns, edges) = number_in_order(patterns, edges, &mut pairs);
        assert_eq!(patterns, ["aurelle", "aurellesports", "lumo", "vellano"]);
        assert_eq!(edges, [2, 4, 3, 1]);
        assert_eq!(named(&patterns, &edges, &pairs), before);
    }
}

#[cfg(test)]
mod anchored_tests {
    use std::sync::LazyLock;

    use proptest::prelude::*;

    use super::{BrandIndex, WalkMemo, fold_both, join_words};
    use crate::detect::BrandEntry;
    use crate::detect::normalize::FoldedText;

    /// Names whose patterns overlap, nest and end inside one another
    /// (`elle` in `aurelle`), several words, CJK edges.
    const NAMES: &[&str] = &[
        "Aurelle",
        "Elle",
        "Aurelle Sports",
        "Lumo",
        "Lu",
        "Maison Verlaine",
        "Verlaine",
        "路易威登",
        "威登",
        "Vellano 威",
        "登Vell",
        "Tessaro",
        "Tess",
        // Folded Hangul and Georgian begin with the same byte, and so do
        // supplementary CJK and Deseret: a walk from a CJK name's first byte
        // inside a word keeps only names without a left edge.
        "가방",
        "ბარი",
        "𠀀",
        "𐐨𐐯",
    ];

    static INDEX: LazyLock<BrandIndex> = LazyLock::new(|| {
        BrandIndex::build(NAMES.iter().zip(1u32..).map(|(name, id)| BrandEntry {
            id,
            names: vec![(*name).to_owned()],
            logos: Vec::new(),
            owner: 0,
            registered: 0,
        }))
        .expect("index builds")
    });

    /// A pattern found: (start, end, pattern).
    type Found = (usize, usize, usize);

    thread_local! {
        /// Walks remembered across a test's texts.
        static WALKS: std::cell::RefCell<WalkMemo> = std::cell::RefCell::default();
    }

    /// What the anchored walks find, and what an unanchored overlapping
    /// search finds whose start a name's left edge allows: the same.
    fn both(index: &BrandIndex, text: &str) -> (Vec<Found>, Vec<Found>) {
        let (mut exact, mut obf) = (FoldedText::new(), FoldedText::new());
        fold_both(text, &mut exact, &mut obf);
        let (mut joined, mut at) = (Vec::new(), Vec::new());
        join_words(&obf, &mut joined, &mut at);
        let as_found = |found: &[(u32, u32, u32)]| -> Vec<Found> {
            found
                .iter()
                .map(|&(pattern, start, end)| (start as usize, end as usize, pattern as usize))
                .collect()
        };
        let mut found = Vec::new();
        index.automaton_matches(&obf, &joined, &at, &mut WalkMemo::default(), &mut found);
        let mut anchored = as_found(&found);
        // The same with the walks this thread remembers from the texts
        // before (each test runs on a thread of its own, with one index).
        WALKS.with_borrow_mut(|walks| {
            let mut again = Vec::new();
            index.automaton_matches(&obf, &joined, &at, walks, &mut again);
            assert_eq!(as_found(&again), anchored, "{:?}", obf.as_str());
        });
        found.clear();
        index.overlapping_matches(&obf, &joined, &at, &mut found);
        let mut reference = as_found(&found);
        anchored.sort_unstable();
        reference.sort_unstable();
        (anchored, reference)
    }

    #[test]
    fn anchored_walks_find_what_an_overlapping_search_finds() {
        let index = &*INDEX;
        for text in [
            "Aurelle Sports watch by AURELLE, elle, Lu mo",
            "maison verlaine and Verlaine's Lumo",
            "正品路易威登包 威登 Vellano威 登Vell",
            "Tessaro Tess Tessarо T.e.s.s.a.r.o",
            "აბარი ბარი 𐐨𐐨𐐯 𐐨𐐯 가방",
            "",
        ] {
            let (anchored, reference) = both(index, text);
            assert!(!reference.is_empty() || text.is_empty(), "{text:?}");
            assert_eq!(anchored, reference, "{text:?}");
        }
    }

    /// A walk that read past its word, or to the text's end, is not
    /// remembered by the word: what follows the word decides it. One that
    /// found two patterns (`lu` and `lumo` in `lumos`) is not either.
    #[test]
    fn walks_past_their_word_are_not_remembered_by_it() {
        for text in [
            "blue maison",
            "maison blue",
            "Maison Verlaine",
            "tess",
            "tessaro",
            "lu",
            "Lu mo",
            "lumos",
            "lumos",
        ] {
            let (anchored, reference) = both(&INDEX, text);
            assert!(!reference.is_empty() || text.contains("maison"), "{text:?}");
            assert_eq!(anchored, reference, "{text:?}");
        }
    }

    #[test]
    fn a_long_text_repeating_a_long_name_is_searched_unanchored_and_finds_the_same() {
        let long = format!("{}b", "a".repeat(60));
        let index = BrandIndex::build([BrandEntry {
            id: 1,
            names: vec![long.clone(), "aa".to_owned()],
            logos: Vec::new(),
            owner: 0,
            registered: 0,
        }])
        .expect("index builds");
        // Every `a` begins a walk that reads up to 61 bytes: past the budget.
        let text = format!("{}{long}", "a ".repeat(500));
        let (anchored, reference) = both(&index, &text);
        assert_eq!(anchored, reference);
        // The long name's one match (patterns are numbered in sorted
        // order: `aa` before it).
        let long_found: Vec<(usize, usize)> = anchored
            .iter()
            .filter(|f| f.1 - f.0 == long.len())
            .map(|f| (f.0, f.1))
            .collect();
        assert_eq!(long_found, [(500, 561)]);
        // A short text with the same names stays within it.
        let (anchored, reference) = both(&index, &format!("a {long} aa"));
        assert_eq!(anchored, reference);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn anchored_walks_agree_on_any_mix_of_names_and_noise(
            pieces in proptest::collection::vec(
                prop_oneof![
                    proptest::sample::select(NAMES).prop_map(str::to_owned),
                    "[a-zA-Z路易威登 .\\-]{0,6}",
                    any::<String>(),
                ],
                0..8,
            )
        ) {
            let text = pieces.concat();
            let (anchored, reference) = both(&INDEX, &text);
            prop_assert_eq!(anchored, reference, "{:?}", text);
        }

        /// The fold joined is its words one after another, each byte with
        /// its position in the fold.
        #[test]
        fn joined_words_are_the_words_with_their_positions(
            text in "([a-z0-9]{1,5}|[路易]|[ .-]){0,16}"
        ) {
            let (mut exact, mut obf) = (FoldedText::new(), FoldedText::new());
            fold_both(&text, &mut exact, &mut obf);
            let (mut joined, mut at) = (vec![b'x'; 3], vec![7]);
            join_words(&obf, &mut joined, &mut at);
            let folded = obf.as_str().as_bytes();
            let positions: Vec<u32> = (0u32..).zip(folded).filter(|&(_, &b)| b != b' ').map(|(i, _)| i).collect();
            let words: Vec<u8> = folded.iter().copied().filter(|&b| b != b' ').collect();
            prop_assert_eq!(joined, words);
            prop_assert_eq!(at, positions);
        }
    }
}

//! Unicode folding with a map back to the original text.
//!
//! Two folds are computed in one pass over the text:
//!
//! - the **exact** fold: NFKC (compatibility forms, full-width letters),
//!   full Unicode case folding and diacritics removed (`Chloé` → `chloe`);
//! - the **obfuscation** fold: the exact fold, then confusables mapped to
//!   their UTS #39 skeleton prototype (Cyrillic `а` → `a`), or, for letters
//!   UTS #39 has no prototype for, decancer's (small capitals `ᴀ`, squared
//!   `🅲`, a regional indicator alone, `🇨 🇦`, and letters of other
//!   scripts in a word with Latin letters, `ΛURΞLLΞ`), or the letter
//!   drawn under a stroke or bar (`Ⱥ`, `ɇ`, `ŧ`: [`STROKED_LETTERS`]);
//!   the Hangul jamo `ㅣ` and `ㅇ` inside a Latin word or at its edge read
//!   as `l` and `o` (`Aureㅣㅣe`, `ㅇrvanta`; Korean text keeps them:
//!   [`Kind::LatinLeet`]), the Hebrew paseq `׀` and the katakana `ﾚ`
//!   (`レ`) as `l` between two Latin letters only (`Aure׀׀e`, `Aureﾚﾚe`;
//!   Hebrew and Japanese text keep them), and Bopomofo and Hangul letters
//!   drawn as Latin capitals (`ㄥ` and `ㄴ` as `L`, `ㄩ`, `ㄷ`, `ㅌ`) as
//!   those letters beside a Latin letter only (`ㄥysette`, `Lㄩmo`; Korean
//!   and Bopomofo text keep them); default-ignorable code points removed (zero-width space, soft
//!   hyphen, bidi controls, Hangul fillers), a word boundary staying allowed
//!   where one stood for a space (a zero-width space, a Hangul filler, a
//!   bidi control), and a text with bidi controls read in the order it is
//!   shown (`\u{202E}reitraC` is `Cartier`; letters of right-to-left scripts
//!   keep the order they are written and read in); combining
//!   marks the exact fold keeps are removed too
//!   (`A҉`); leetspeak digits mapped to letters (`0`→`o`, `1`→`l`, `3`→`e`,
//!   `4`→`a`, `5`→`s`, `7`→`t`) in a word with letters, a number keeping its
//!   digits (`Marvel 10` is not `Marvello`); `@`, `$`, `+` (for `t`), `|`,
//!   `!` (and `¡`), `€`, `£`, `¥`, `¢` and `©` (for `c`), `®` (for `r`) (a few in a row:
//!   `Te$$aro`) only inside a word, a word boundary
//!   staying allowed on either side (`Aurelle|Men's`); and separators between single
//!   letters (`C.a.r.t.i.e.r`) or single CJK characters (`奥 瑞 尔`, and
//!   `奥 瑞 尔手表`, where the last one touches the next word) removed;
//!   traditional Chinese characters read as simplified ones (OpenCC's
//!   character table: `奧瑞爾` is `奥瑞尔`).
//!
//! Symbols whose compatibility form is a word (`™` → `TM`, `℠`, `№`) are
//! separators at both levels, so `Aurelle™` is `Aurelle`; superscript and
//! subscript letters fold to their letters, a word boundary allowed where
//! they meet ordinary ones, so `Aurelleᵀᴹ` is `Aurelle` too. A word
//! boundary is allowed, at both levels, where a word's letters change
//! between Latin and another alphabet (Greek, Cyrillic, Hebrew, Arabic…),
//! three letters or more of each (`ЧасовникAurelle`).
//!
//! Case folding comes first, so the skeleton is UTS #39's case-insensitive
//! one: `I` folds to `i`, which is not a confusable of `l`. The letters `i`
//! and `l` still fold to one byte, `l`, so that `1`, `|` and `!` (which stand
//! for either) match both; each such byte records where it came from
//! (`I_ORIGIN`, `L_ORIGIN`, neither for the ambiguous ones), and the
//! matcher counts an `i` read for an `l`, or an `l` for an `i`, as a
//! substitution (`Aurelie` is a misspelling of `Aurelle`, not obfuscation),
//! but two or more `i` in a row for as many `l` as none: the look-alike of
//! a doubled `l` (`VeIIano`, and so `veiiano`).
//!
//! In both folds every run of separators (spaces, punctuation, symbols,
//! hyphens) becomes one ASCII space and leading/trailing separators are
//! dropped, so `G-Shock`, `G  shock` and `G shock` fold the same.
//!
//! Every byte of a folded text records the byte span of the original
//! character(s) it came from, so a match on the folded text maps back to a
//! span on character boundaries of the original ([`FoldedText::original_span`]).
//!
//! Folding is per character, so the same function folds registered names and
//! listing text; the results of the Unicode libraries are cached in a table
//! for the first two planes, built on first use ([`warm_up`]). ASCII
//! characters that fold to one character at each level are read from a
//! small side table (a proptest checks it folds as the full table does).

use std::ops::Range;
use std::sync::LazyLock;

use icu_casemap::CaseMapper;
use icu_properties::props::{
    DefaultIgnorableCodePoint, ExtendedPictographic, GeneralCategory, GeneralCategoryGroup, Script,
};
use icu_properties::{CodePointMapData, CodePointSetData};
use unicode_normalization::UnicodeNormalization;

/// The byte is part of a word character (letters, digits, not CJK).
pub(crate) const WORD: u8 = 1;
/// The byte is part of a CJK character (Han, Kana, Hangul, Bopomofo).
pub(crate) const CJK: u8 = 2;
/// A word boundary is allowed right before this byte even though the
/// previous byte is a word byte: set where separators between single
/// letters were removed.
pub(crate) const BOUNDARY: u8 = 4;
/// Obfuscation level: this `l` byte stands for the letter `i` (or a
/// confusable of it: `ı`, Cyrillic `і`, `í`).
pub(crate) const I_ORIGIN: u8 = 8;
/// Obfuscation level: this `l` byte stands for the letter `l`. An `l` byte
/// with neither origin came from `1`, `|`, `!` or a confusable of them, and
/// stands for either letter.
pub(crate) const L_ORIGIN: u8 = 16;
/// Obfuscation level: this byte came from a digit (read as a letter, `0` →
/// `o`, or kept, `2`). A word made only of such bytes is a number, and
/// keeps its digits ([`FoldedText::keep_numbers`]).
pub(crate) const DIGIT: u8 = 32;
/// The byte comes from a superscript or subscript letter (`ᵀᴹ`, `ᴬᵘ`): a
/// word boundary is allowed where letters change between these and
/// ordinary ones ([`BOUNDARY`] on the first byte after the change,
/// `Writer::soft_boundaries`), so `Aurelleᵀᴹ` shows `Aurelle`, as
/// `Aurelle™` does, while a name written wholly in small letters
/// (`ᴬᵁᴿᴱᴸᴸᴱ`) is still one word.
pub(crate) const SMALL: u8 = 64;
/// Obfuscation level: this byte comes from a letter of another script that
/// fancy-text generators write for a Latin one (Greek `Λ` for `A`, `Ξ` for
/// `E`, Cyrillic `Я` for `R`) and that UTS #39 has no Latin prototype for.
/// In a word that also has Latin letters (`ΛURΞLLΞ`, `AUЯELLE`) it is read
/// as that Latin letter ([`FoldedText::read_mixed_words`]); in a word of its
/// own script it stays itself, so Greek and Russian text keep their words.
const FANCY: u8 = 128;
/// Whether `c` is in the blocks of the alphabets other than Latin that
/// [`FoldedText::mark_script_changes`] reads (Greek to Georgian, Greek
/// Extended, the Cyrillic extensions): a title with none skips it.
/// Not Thai, Lao, Tibetan or Myanmar, written without spaces: they end a
/// Latin word as CJK does.
fn is_other_alphabet(c: char) -> bool {
    matches!(u32::from(c), 0x370..=0xDFF | 0x10A0..=0x10FF | 0x1C80..=0x1C8F | 0x1F00..=0x1FFF | 0x2DE0..=0x2DFF | 0xA640..=0xA69F)
}

/// The fewest letters of each alphabet on either side of a change between
/// Latin and another alphabet inside a word that allow a word boundary
/// there ([`FoldedText::mark_script_changes`]).
const SCRIPT_RUN_MIN: usize = 3;
/// The flags that say what a byte is, not where it came from.
const KIND_FLAGS: u8 = WORD | CJK;
/// In `Writer::last` only: a character that draws as a blank was removed
/// after the last character written ([`draws_as_blank`]; what draws
/// nothing may follow it), so a leet symbol there begins a word.
const AFTER_BLANK: u8 = 128;

/// Which fold to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// NFKC + case folding + diacritics removed.
    Exact,
    /// [`Level::Exact`] + confusables, invisible characters, leetspeak,
    /// separators between single letters.
    Obfuscation,
}

/// A folded text with, for every folded byte, the original byte span it
/// came from.
///
/// Reuse one value across calls: [`FoldedText::fold`] clears it and keeps
/// its buffers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FoldedText {
    /// The folded text: words separated by single ASCII spaces.
    text: String,
    /// Per folded byte: where it came from and what it is (one vector, so
    /// each byte costs one push besides its text).
    src: Vec<Source>,
    /// The characters are in display order, not text order (a text with
    /// bidi controls, [`fold_in_display_order`]): `src` may not be sorted by
    /// original position.
    reordered: bool,
    /// The text has a letter of another script with no UTS #39 prototype
    /// ([`FANCY`]), read or not ([`FoldedText::fancy_word_readings`]).
    fancy: bool,
    /// Obfuscation level: the text has a symbol that may mask a letter
    /// between two words (`Aur*lle`, [`is_mask`]; [`FoldedText::may_mask`]).
    masked: bool,
    /// Obfuscation level: the text has a character that marks a word as
    /// upside-down text ([`flip_marker`]; [`FoldedText::may_be_flipped`]).
    flipped: bool,
    /// Obfuscation level: the text has a letter of another script that
    /// may be read as a Latin one at a word's edge ([`Kind::LatinLeet`]
    /// with [`Entry::LATIN_EDGE`]: `Kestreㅣ`;
    /// [`FoldedText::reads_latin_look_alikes`]).
    latin_look_alikes: bool,
    /// A byte is part of a CJK character ([`CJK`]; [`FoldedText::has_cjk`]),
    /// noted as such a character is written, so that what only CJK text
    /// needs costs an ASCII title one test.
    cjk: bool,
    /// Obfuscation level: the folded bytes right after a character that
    /// draws as a blank ([`draws_as_blank`]: a Hangul filler) between word
    /// characters, sorted. The fold removes such characters; a word ends
    /// there all the same ([`FoldedText::blank_before`]), as a buyer sees
    /// it. While folding: where in the text a character follows one
    /// ([`FoldedText::place_blanks`]).
    blanks: Vec<u32>,
    /// Obfuscation level, while folding: the folded bytes where a word
    /// begins with a [`DIGIT`] byte, after a separator, a CJK character or
    /// a blank. Every number begins at one, so
    /// [`FoldedText::keep_numbers`] reads only these words (most titles
    /// have none, or one: `2024`).
    numbers: Vec<usize>,
    /// Obfuscation level, while folding: the first letters after digits
    /// that begin a word ([`FoldedText::keep_numbers`]; kept to reuse its
    /// buffer).
    glued: Vec<usize>,
}

/// The words of a fold: its runs of [`WORD`] bytes, as ranges of it, also
/// ended at its blanks (sorted folded bytes, [`FoldedText::blank_before`]).
fn words<'a>(src: &'a [Source], blanks: &'a [u32]) -> impl Iterator<Item = Range<usize>> + 'a {
    let (mut i, mut blanks) = (0, blanks.iter().map(|&b| b as usize).peekable());
    std::iter::from_fn(move || {
        while src.get(i).is_some_and(|x| x.flags & WORD == 0) {
            i += 1;
        }
        let start = i;
        while blanks.next_if(|&b| b <= start).is_some() {}
        let end = blanks.peek().copied().unwrap_or(usize::MAX);
        while i < end && src.get(i).is_some_and(|x| x.flags & WORD != 0) {
            i += 1;
        }
        (start < i).then_some(start..i)
    })
}

/// [`words`] of a fold without blanks: each run found with one search over
/// the flags for its start and one for its end.
fn plain_words(src: &[Source]) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let rest = src.get(i..)?;
        let start = i + rest.iter().position(|x| x.flags & WORD != 0)?;
        i = word_end(src, start);
        Some(start..i)
    })
}

/// Where the run of [`WORD`] bytes from `start` ends.
fn word_end(src: &[Source], start: usize) -> usize {
    let word = src.get(start..).unwrap_or_default();
    start
        + word
            .iter()
            .position(|x| x.flags & WORD == 0)
            .unwrap_or(word.len())
}

/// A piece of a word read by [`FoldedText::read_fancy_letters`].
enum Piece {
    /// A letter a fancy character stands for, folded, with its origin
    /// flags; `first` for the character's first.
    Fancy {
        x: Source,
        folded: u8,
        origin: u8,
        first: bool,
    },
    /// Bytes of the fold kept as they are.
    Plain(Range<usize>),
}

/// Where a folded byte came from, and what it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Source {
    /// Start of the original character(s) it came from.
    start: u32,
    /// End of the original character(s) it came from.
    end: u32,
    /// [`WORD`], [`CJK`], [`BOUNDARY`], origin bits.
    flags: u8,
}

impl FoldedText {
    /// An empty folded text.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds `text` at `level` into `self`, replacing its previous content.
    ///
    /// Texts longer than `u32::MAX` bytes are folded up to the last character
    /// boundary before that limit.
    pub fn fold(&mut self, text: &str, level: Level) {
        let mut other = Self::default();
        match level {
            Level::Exact => fold_exact_only(text, self, &mut other),
            Level::Obfuscation => fold_both(text, &mut other, self),
        }
    }

    /// The folded text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Length of the folded text in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether the folded text is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The span of the original text that the folded byte range `folded`
    /// came from. Both ends fall on character boundaries of the original.
    /// An empty or out-of-range `folded` gives an empty span.
    #[must_use]
    pub fn original_span(&self, folded: Range<usize>) -> Range<usize> {
        if folded.start >= folded.end || folded.end > self.text.len() {
            return 0..0;
        }
        if self.reordered {
            // Characters shown in another order than written: the span
            // covers all of them.
            let sources = &self.src[folded];
            let start = sources.iter().map(|s| s.start).min().unwrap_or(0) as usize;
            let end = sources.iter().map(|s| s.end).max().unwrap_or(0) as usize;
            return start..end.max(start);
        }
        let start = self.src[folded.start].start as usize;
        let end = self.src[folded.end - 1].end as usize;
        start..end.max(start)
    }

    /// The folded byte range whose characters come from inside the original
    /// span `original` (the inverse of [`FoldedText::original_span`]),
    /// trimmed of separator spaces. For a fold in text order (the exact
    /// fold is always one): a reordered one's sources are not sorted.
    #[must_use]
    pub fn folded_range(&self, original: Range<usize>) -> Range<usize> {
        let lo = self
            .src
            .partition_point(|s| (s.start as usize) < original.start);
        let hi = self
            .src
            .partition_point(|s| (s.start as usize) < original.end);
        let (mut lo, mut hi) = (lo, hi.max(lo));
        let bytes = self.text.as_bytes();
        while lo < hi && bytes[lo] == b' ' {
            lo += 1;
        }
        while hi > lo && bytes[hi - 1] == b' ' {
            hi -= 1;
        }
        lo..hi
    }

    /// Whether the characters are in display order rather than text order
    /// ([`fold_in_display_order`]).
    pub(crate) fn is_reordered(&self) -> bool {
        self.reordered
    }

    /// The flags ([`WORD`], [`CJK`], [`BOUNDARY`], origins) of folded byte
    /// `at`; 0 out of range.
    #[inline]
    pub(crate) fn flags_at(&self, at: usize) -> u8 {
        self.src.get(at).map_or(0, |s| s.flags)
    }

    /// The flags of every folded byte of `range` ([`FoldedText::flags_at`]),
    /// empty if it is out of range: for loops over many bytes, which read
    /// them without a bounds check each.
    #[inline]
    pub(crate) fn flags_in(
        &self,
        range: Range<usize>,
    ) -> impl ExactSizeIterator<Item = u8> + DoubleEndedIterator + Clone + '_ {
        self.src
            .get(range)
            .unwrap_or_default()
            .iter()
            .map(|s| s.flags)
    }

    /// Whether any folded byte is part of a CJK character (noted while
    /// folding, so reading it costs nothing).
    #[inline]
    pub(crate) fn has_cjk(&self) -> bool {
        self.cjk
    }

    /// Obfuscation level: whether the text has a letter of another script
    /// that may be read as a Latin one at a word's edge (the Hangul `ㅣ`,
    /// `ㅇ`: `Kestreㅣ`), where it may also be a divider
    /// ([`without_edge_look_alikes`]). Noted as the fold reads characters,
    /// as masks are: a text without one pays nothing more.
    pub(crate) fn reads_latin_look_alikes(&self) -> bool {
        self.latin_look_alikes
    }

    /// Whether a match may start at folded byte `at` (a word boundary or a
    /// position inside a non-word run).
    #[inline]
    pub(crate) fn boundary_before(&self, at: usize) -> bool {
        at == 0
            || at >= self.src.len()
            || self.src[at - 1].flags & WORD == 0
            || self.src[at].flags & (WORD | BOUNDARY) != WORD
    }

    /// Obfuscation level: whether the text has a symbol that may mask a
    /// letter between two words (`Aur*lle`, `Aur#lle`: [`is_mask`]).
    pub(crate) fn may_mask(&self) -> bool {
        self.masked
    }

    /// Obfuscation level: whether the text has a character that marks a
    /// word as upside-down text ([`flip_marker`], [`FlippedReadings::read`]).
    pub(crate) fn may_be_flipped(&self) -> bool {
        self.flipped
    }

    fn clear(&mut self) {
        self.text.clear();
        self.src.clear();
        self.reordered = false;
        self.fancy = false;
        self.masked = false;
        self.flipped = false;
        self.latin_look_alikes = false;
        self.cjk = false;
        self.blanks.clear();
        self.numbers.clear();
        self.glued.clear();
    }

    /// Whether the obfuscation fold removed a character that draws as a
    /// blank ([`draws_as_blank`]) right before folded byte `at`, after a
    /// word character: a word ends there, as at a space
    /// (`Vuiton\u{3164}bag`), though a name may go on across it, as across
    /// a space (`Aur\u{3164}elle`). Zero-width characters, which a buyer
    /// does not see, end none (`Tes\u{200B}aro` is one word).
    #[inline]
    pub(crate) fn blank_before(&self, at: usize) -> bool {
        !self.blanks.is_empty()
            && u32::try_from(at).is_ok_and(|at| self.blanks.binary_search(&at).is_ok())
    }

    /// Turns [`FoldedText::blanks`] from offsets of the text (a character
    /// follows a blank there) into the folded bytes those characters begin,
    /// while sources are in text order (after the fold's last change of its
    /// bytes, before a reordered fold's sources are mapped back).
    fn place_blanks(&mut self) {
        let FoldedText { src, blanks, .. } = self;
        let mut placed = 0;
        for k in 0..blanks.len() {
            let offset = blanks[k];
            let at = src.partition_point(|x| x.start < offset);
            // A word character follows, and another ends before the blank.
            if at > 0
                && src.get(at).is_some_and(|x| x.flags & WORD != 0)
                && src[at - 1].flags & WORD != 0
                && src[at - 1].end <= offset
            {
                blanks[placed] = u32::try_from(at).unwrap_or(u32::MAX);
                placed += 1;
            }
        }
        blanks.truncate(placed);
        blanks.dedup();
    }

    /// Whether [`FoldedText::blank_before`] holds anywhere.
    #[inline]
    pub(crate) fn has_blanks(&self) -> bool {
        !self.blanks.is_empty()
    }

    /// Appends `c` with its flags and original span to every byte it
    /// takes (always inlined, like [`Writer::ch`]).
    #[inline(always)]
    fn push(&mut self, c: char, flags: u8, start: u32, end: u32) {
        let n = c.len_utf8();
        self.text.push(c);
        if n == 1 {
            self.src.push(Source { start, end, flags });
        } else {
            let len = self.src.len() + n;
            self.src.resize(len, Source { start, end, flags });
        }
    }

    /// [`FoldedText::push`] of an ASCII byte. The side table holds only
    /// ASCII bytes; the check tells the compiler so, and spares the push
    /// its UTF-8 encoding.
    #[inline(always)]
    fn push_ascii(&mut self, b: u8, flags: u8, start: u32, end: u32) {
        if b.is_ascii() {
            self.text.push(char::from(b));
            self.src.push(Source { start, end, flags });
        }
    }

    fn reserve(&mut self, bytes: usize) {
        self.text.reserve(bytes);
        self.src.reserve(bytes);
    }

    /// Removes the separators between runs of two or more single-letter
    /// words (`c a r t i e r` → `cartier`), marking a [`BOUNDARY`] before
    /// each joined letter. A single letter is a word made from one original
    /// character (so `m` → `rn` still counts as one letter). Single CJK
    /// characters join the same way (`奥 瑞 尔` → `奥瑞尔`), and also with
    /// the CJK text right beside them, which has no word spaces (`奥 瑞
    /// 尔手表` → `奥瑞尔手表`), but never with a Latin letter. A letter
    /// after an apostrophe that follows a longer word is that word's
    /// ending, not a single letter (`men's 5`, a size, is not `s5`, read
    /// `ss`; `don't 7`). `original` is the text folded.
    fn join_single_letters(&mut self, original: &str) {
        let b = self.text.as_bytes();
        let n = b.len();
        // Word spans: (start, end) of maximal runs of WORD bytes.
        // Single-pass detection first: most texts have no such run.
        let is_single = |s: usize, e: usize| -> bool {
            e > s
                && self.src[s].flags & (WORD | CJK) != 0
                && self.src[s].start == self.src[e - 1].start
                && (s == 0 || b[s - 1] == b' ')
                && (e == n || b[e] == b' ')
        };
        let mut remove: Vec<usize> = Vec::new();
        let mut i = 0;
        // End, kind (CJK or not) and singleness of the previous word.
        let mut prev: Option<(usize, u8, bool)> = None;
        while i < n {
            if self.src[i].flags & (WORD | CJK) == 0 {
                i += 1;
                continue;
            }
            let s = i;
            while i < n
                && self.src[i].flags & (WORD | CJK) != 0
                && self.src[i].flags & CJK == self.src[s].flags & CJK
            {
                i += 1;
            }
            let e = i;
            let ending = s > 0
                && prev.is_some_and(|(pe, _, prev_single)| pe + 1 == s && !prev_single)
                && original
                    .get(self.src[s - 1].start as usize..self.src[s - 1].end as usize)
                    .is_some_and(|sep| matches!(sep, "'" | "\u{2019}" | "\u{02BC}"));
            let single = is_single(s, e) && !ending;
            let kind = self.src[s].flags & CJK;
            if let Some((pe, pk, prev_single)) = prev
                && pe + 1 == s
                && b[pe] == b' '
                && pk == kind
                && (single && prev_single || kind == CJK && (single || prev_single))
            {
                remove.push(pe);
            }
            prev = Some((e, kind, single));
        }
        if remove.is_empty() {
            return;
        }
        for &sp in &remove {
            self.src[sp + 1].flags |= BOUNDARY;
        }
        let mut bytes = std::mem::take(&mut self.text).into_bytes();
        let mut w = 0;
        let mut ri = 0;
        for r in 0..bytes.len() {
            if ri < remove.len() && remove[ri] == r {
                ri += 1;
                continue;
            }
            bytes[w] = bytes[r];
            self.src[w] = self.src[r];
            w += 1;
        }
        bytes.truncate(w);
        self.src.truncate(w);
        // Only ASCII spaces were removed, so the bytes are still UTF-8.
        self.text = String::from_utf8(bytes).unwrap_or_default();
    }
}

impl FoldedText {
    /// Allows a word boundary ([`BOUNDARY`]) inside a word where its
    /// letters change between Latin and another alphabet (Greek, Cyrillic,
    /// Armenian, Hebrew, Arabic, Devanagari…), with at least
    /// [`SCRIPT_RUN_MIN`] letters of each on either side (`ЧасовникAurelle`,
    /// `Lysetteнощен`, `שעוןAurelle`: a name glued to a word of another
    /// alphabet, which a buyer reads as two words). A name may begin or end
    /// with a look-alike of the other alphabet (`ЧасовникАurelle`, Cyrillic
    /// `А`), so a boundary is also allowed up to two letters into the other
    /// alphabet's run, where it keeps three of its own. A name may still
    /// run across the change, and look-alike spellings, which change script
    /// every letter or two (`Rерliса`), change nothing. `original` is the
    /// text folded, in the order the sources name.
    fn mark_script_changes(&mut self, original: &str) {
        /// A run of letters of one alphabet inside a word: whether Latin,
        /// the original bytes it spans (with its letters' marks), and the
        /// folded bytes where its first three and its last three letters
        /// begin.
        #[derive(Clone, Copy)]
        struct Run {
            latin: bool,
            from: u32,
            to: u32,
            firsts: usize,
            first: [usize; 3],
            last: [usize; 3],
        }
        let alphabet = |c: char| -> Option<bool> {
            if c.is_ascii_alphabetic() {
                return Some(true);
            }
            match CodePointMapData::<Script>::new().get(c) {
                Script::Latin => Some(true),
                Script::Common | Script::Inherited | Script::Unknown => None,
                _ => c.is_alphabetic().then_some(false),
            }
        };
        // Its letters as written, a mark counting as one (`घड़ी`: four).
        let letters = |r: &Run| {
            original
                .get(r.from as usize..r.to as usize)
                .map_or(0, |w| w.chars().count())
        };
        let mut marks = Vec::new();
        // A change between the run before and the run read, if both are
        // there and long enough.
        let mut change = |before: &Option<Run>, after: &Option<Run>| {
            let (Some(before), Some(after)) = (before, after) else {
                return;
            };
            let (n_before, n_after) = (letters(before), letters(after));
            if before.latin == after.latin || n_before < SCRIPT_RUN_MIN || n_after < SCRIPT_RUN_MIN
            {
                return;
            }
            marks.push(after.first[0]);
            // Up to two letters into the other alphabet, keeping three.
            if before.latin {
                let spare = (n_after - SCRIPT_RUN_MIN).min(2).min(after.firsts - 1);
                marks.extend_from_slice(&after.first[1..=spare]);
            } else {
                let spare = (n_before - SCRIPT_RUN_MIN).min(2).min(before.firsts - 1);
                marks.extend_from_slice(&before.last[3 - spare..]);
            }
        };
        // The run being read and the one right before it in the word.
        let (mut run, mut prev): (Option<Run>, Option<Run>) = (None, None);
        let mut last_start = u32::MAX;
        for at in 0..self.src.len() {
            let x = self.src[at];
            if x.flags & WORD == 0 {
                change(&prev, &run);
                (run, prev, last_start) = (None, None, u32::MAX);
                continue;
            }
            // The same character's next byte (whose source may span its
            // marks too), or a mark (`ड़ी`'s nukta and vowel sign): part
            // of the letter before.
            let same = x.start == last_start;
            let c = if same {
                ' '
            } else {
                original
                    .get(x.start as usize..)
                    .and_then(|w| w.chars().next())
                    .unwrap_or(' ')
            };
            if same || unicode_normalization::char::is_combining_mark(c) {
                if let Some(r) = &mut run {
                    r.to = r.to.max(x.end);
                }
                continue;
            }
            last_start = x.start;
            match (alphabet(c), &mut run) {
                (Some(latin), Some(r)) if r.latin == latin => {
                    r.to = r.to.max(x.end);
                    if r.firsts < 3 {
                        r.first[r.firsts] = at;
                        r.firsts += 1;
                    }
                    r.last = [r.last[1], r.last[2], at];
                }
                (Some(latin), _) => {
                    change(&prev, &run);
                    prev = run;
                    run = Some(Run {
                        latin,
                        from: x.start,
                        to: x.end,
                        firsts: 1,
                        first: [at; 3],
                        last: [at; 3],
                    });
                }
                // A digit or a symbol ends the runs.
                (None, _) => {
                    change(&prev, &run);
                    (run, prev) = (None, None);
                }
            }
        }
        change(&prev, &run);
        for at in marks {
            self.src[at].flags |= BOUNDARY;
        }
    }

    /// Reads the [`FANCY`] letters of a word of the obfuscation fold that
    /// also has Latin letters as the Latin letters they stand for
    /// (`ΛURΞLLΞ` → `aurelle`, `AUЯELLE` → `aurelle`): a word mixing
    /// scripts so is fancy text, not Greek or Russian. `original` is the
    /// text folded, whose characters the sources name. Each letter keeps
    /// its character's span.
    fn read_mixed_words(&mut self, original: &str) {
        let n = self.src.len();
        let bytes = self.text.as_bytes();
        let mut text: Vec<u8> = Vec::with_capacity(bytes.len());
        let mut src = Vec::with_capacity(n);
        let mut changed = false;
        let mut i = 0;
        while i < n {
            if self.src[i].flags & WORD == 0 {
                text.push(bytes[i]);
                src.push(self.src[i]);
                i += 1;
                continue;
            }
            let s = i;
            while i < n && self.src[i].flags & WORD != 0 {
                i += 1;
            }
            let word = s..i;
            let has = |flag: u8| self.src[word.clone()].iter().any(|x| x.flags & flag != 0);
            // Latin letters as written (not Cyrillic `а` read as `a`).
            let latin = self.src[word.clone()].iter().any(|x| {
                original
                    .get(x.start as usize..x.end as usize)
                    .and_then(|o| o.chars().next())
                    .is_some_and(is_latin_letter)
            });
            if !(latin && has(FANCY)) {
                text.extend_from_slice(&bytes[word.clone()]);
                src.extend_from_slice(&self.src[word]);
                continue;
            }
            self.read_fancy_letters(original, s..i, |piece| match piece {
                Piece::Fancy {
                    x,
                    folded,
                    origin,
                    first,
                } => {
                    let keep = if first { x.flags & BOUNDARY } else { 0 };
                    text.push(folded);
                    src.push(Source {
                        flags: WORD | origin | keep,
                        ..x
                    });
                    changed = true;
                }
                Piece::Plain(at) => {
                    text.extend_from_slice(&bytes[at.clone()]);
                    src.extend_from_slice(&self.src[at]);
                }
            });
        }
        if changed {
            // Whole characters were copied or replaced by ASCII letters.
            if let Ok(text) = String::from_utf8(text) {
                self.text = text;
                self.src = src;
            }
        }
    }

    /// The other reading of each word of the obfuscation fold that has
    /// [`FANCY`] letters (`ТЕЅЅАЯО`, all Cyrillic; `ΤΞЅЅΛЯΟ`, Greek and
    /// Cyrillic; the caller skips words with a Latin letter as written,
    /// which the fold has read already): those letters read as the
    /// Latin letters they stand for, as [`FoldedText::read_mixed_words`]
    /// reads them in a word that also has Latin letters (`tessaro`). The
    /// fold itself keeps such a word's letters (it may be Greek or Russian);
    /// a scan counts this reading only as a whole name. Calls `f` with the
    /// word's range in the fold and its reading.
    pub(crate) fn fancy_word_readings(
        &self,
        original: &str,
        mut f: impl FnMut(Range<usize>, &[u8]),
    ) {
        if !self.fancy || self.reordered {
            return;
        }
        let bytes = self.text.as_bytes();
        let mut reading = Vec::new();
        for word in words(&self.src, &self.blanks) {
            if !self.src[word.clone()].iter().any(|x| x.flags & FANCY != 0) {
                continue;
            }
            reading.clear();
            self.read_fancy_letters(original, word.clone(), |piece| match piece {
                Piece::Fancy { folded, .. } => reading.push(folded),
                Piece::Plain(at) => reading.extend_from_slice(&bytes[at]),
            });
            f(word, &reading);
        }
    }

    /// The characters of the word at bytes `word` of the fold, in order:
    /// each [`FANCY`] one as the Latin letters it stands for, each as the
    /// obfuscation fold writes it (`m` as `rn`, `i` as `l`), once per
    /// character (a skeleton may have given it several bytes); the others
    /// as their bytes.
    fn read_fancy_letters(&self, original: &str, word: Range<usize>, mut piece: impl FnMut(Piece)) {
        let table = &*TABLE;
        let mut done_up_to = 0;
        let mut at = word.start;
        while at < word.end {
            let x = self.src[at];
            let width = self.text[at..].chars().next().map_or(1, char::len_utf8);
            let letters = (x.flags & FANCY != 0)
                .then(|| original.get(x.start as usize..x.end as usize))
                .flatten()
                .and_then(|o| o.chars().next())
                .and_then(fancy_reading);
            match letters {
                Some(_) if x.start < done_up_to => {}
                Some(letters) => {
                    let mut first = true;
                    for letter in letters.chars() {
                        let entry = table.entries[letter as usize];
                        let items =
                            &table.items[entry.obf_start as usize..][..usize::from(entry.obf_len)];
                        for &(folded, _, origin) in items {
                            piece(Piece::Fancy {
                                x,
                                folded: folded as u8,
                                origin,
                                first,
                            });
                            first = false;
                        }
                    }
                    done_up_to = x.end;
                }
                None => piece(Piece::Plain(at..at + width)),
            }
            at += width;
        }
    }

    /// Gives back their digits to the words of the obfuscation fold made
    /// only of digits (`Marvel 10` stays `marvel 10`, not `marvel lo`,
    /// which joins into `Marvello`): leetspeak digits stand for letters only
    /// in a word that has letters (`C4rtier`, `Ve11ano`, `V e 1 1 a n o`
    /// once its single letters are joined).
    ///
    /// The words read are those that begin at [`FoldedText::numbers`],
    /// unless `moved`: a pass after the fold moved or rewrote its bytes
    /// (single letters joined, fancy letters read), and every word is read.
    ///
    /// A word that begins with digits and goes on with letters allows a word
    /// boundary ([`BOUNDARY`]) at its first letter (`2024Aurelle`: a number
    /// glued before a name). A name may then also end there; one read
    /// wholly from the digits is a number all the same (`14K` is not `LA`:
    /// the scan drops it).
    fn keep_numbers(&mut self, moved: bool) {
        let FoldedText {
            text,
            src,
            blanks,
            numbers,
            glued,
            ..
        } = self;
        if !blanks.is_empty() {
            give_numbers_their_digits(text, src, words(src, blanks), glued);
        } else if moved {
            give_numbers_their_digits(text, src, plain_words(src), glued);
        } else {
            // Each noted byte begins a word (a blank the fold did not
            // keep, `place_blanks`, began none).
            let word_at = |start: usize| {
                let begins = start == 0 || src.get(start - 1).is_some_and(|x| x.flags & WORD == 0);
                start..if begins { word_end(src, start) } else { start }
            };
            give_numbers_their_digits(
                text,
                src,
                numbers.iter().map(|&start| word_at(start)),
                glued,
            );
        }
        for &at in glued.iter() {
            src[at].flags |= BOUNDARY;
        }
    }
}

/// [`FoldedText::keep_numbers`] over the fold's `words`; the first letters
/// after the digits that begin a word into `glued`.
fn give_numbers_their_digits(
    text: &mut String,
    src: &[Source],
    words: impl Iterator<Item = Range<usize>>,
    glued: &mut Vec<usize>,
) {
    // Most titles have digits only inside words (`42mm`): the text is
    // taken apart only when a number needs its digits back.
    let mut bytes: Option<Vec<u8>> = None;
    for word in words {
        let Some(sources) = src.get(word.clone()).filter(|w| !w.is_empty()) else {
            continue;
        };
        match sources.iter().position(|x| x.flags & DIGIT == 0) {
            Some(0) => {}
            Some(letter) => glued.push(word.start + letter),
            None => {
                let bytes = bytes.get_or_insert_with(|| std::mem::take(text).into_bytes());
                for b in &mut bytes[word] {
                    if let Some(&(digit, _)) = LEET_DIGITS.iter().find(|&&(_, l)| l == *b) {
                        *b = digit;
                    }
                }
            }
        }
    }
    if let Some(bytes) = bytes {
        // Only ASCII letters became ASCII digits: still UTF-8.
        *text = String::from_utf8(bytes).unwrap_or_default();
    }
}

/// Folds `text` at the exact level into a new string (words separated by
/// single spaces). Convenience for tests and callers outside the hot path.
#[must_use]
pub fn fold_exact(text: &str) -> String {
    let mut f = FoldedText::new();
    f.fold(text, Level::Exact);
    f.text
}

/// Folds `text` at the obfuscation level into a new string.
#[must_use]
pub fn fold_obfuscated(text: &str) -> String {
    let mut f = FoldedText::new();
    f.fold(text, Level::Obfuscation);
    f.text
}

/// Builds the character table now (about 0.1 s) instead of on the first
/// fold. [`crate::detect::BrandIndex::build`] calls it, so checks never pay it.
pub fn warm_up() {
    LazyLock::force(&TABLE);
}

// ---------------------------------------------------------------------------
// Per-character folding.

/// Role of a folded character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Class {
    /// Letter or digit outside CJK scripts.
    Word = 0,
    /// Han, Hiragana, Katakana, Hangul, Bopomofo.
    Cjk = 1,
    /// Space, punctuation, symbol: a word boundary.
    Sep = 2,
    /// A combining mark that is kept (Indic vowel signs, kana voicing
    /// marks): it takes the class of the character before it.
    Attach = 3,
}

/// An invisible character that leaves a word boundary where the
/// obfuscation fold removes it ([`leaves_boundary`]).
const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// The invisible characters that stand for a space: U+200B ZERO WIDTH SPACE,
/// a word break, and the Hangul fillers, which draw as a blank (sellers write
/// them for spaces). Others (soft hyphen, joiners, variation selectors) sit
/// inside a word as shown (`Can\u{AD}dior` shows `Candior`), and leave none.
fn leaves_boundary(c: char) -> bool {
    matches!(
        c,
        ZERO_WIDTH_SPACE | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}'
    )
}

/// The characters that draw as a blank, though they are not spaces: the
/// Hangul fillers, which sellers write for spaces. A zero-width space or a
/// bidi control draws nothing.
pub(crate) fn draws_as_blank(c: char) -> bool {
    matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}')
}

/// The explicit bidi controls (embeddings, overrides, isolates and their
/// pops), which can show Latin letters or words in another order than they
/// are written (`\u{202E}reitraC` shows `Cartier`; `\u{202B}elle\u{200F}Aur`
/// shows `Aurelle`).
fn is_reordering_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text`, which has explicit bidi controls, in the order a buyer sees it:
/// the Unicode Bidirectional Algorithm (UAX #9, `unicode-bidi`) resolves
/// each paragraph, left to right as listing pages show titles, into runs in
/// visual order; the characters of a right-to-left run are put in reverse,
/// and each control becomes a U+200B ZERO WIDTH SPACE. With it, per byte of
/// the text shown, the original span of its character.
pub(crate) fn display_order(text: &str) -> (String, Vec<(u32, u32)>) {
    use unicode_bidi::BidiClass;
    let mut shown = String::with_capacity(text.len());
    let mut origin: Vec<(u32, u32)> = Vec::with_capacity(text.len());
    let mut push = |at: usize, c: char| {
        // A control is dropped, but as an invisible character that leaves
        // a word boundary (`Genuine\u{2066}Dior\u{2069}perfume`).
        let c = if is_reordering_control(c) {
            ZERO_WIDTH_SPACE
        } else {
            c
        };
        shown.push(c);
        // Both fit in u32: the text was cut to u32::MAX bytes.
        let span = (at as u32, (at + c.len_utf8()) as u32);
        origin.extend(std::iter::repeat_n(span, c.len_utf8()));
    };
    // Each paragraph (UAX #9's P1: each ends after a paragraph separator,
    // which it keeps) resolved on its own: `BidiInfo::visual_runs` copies
    // the whole text's levels for every paragraph, which made a text of
    // many lines (`\u{85}\u{202e}` repeated) quadratic.
    let mut from = 0;
    for paragraph in text.split_inclusive(|c| unicode_bidi::bidi_class(c) == BidiClass::B) {
        let own = unicode_bidi::ParagraphBidiInfo::new(paragraph, Some(unicode_bidi::Level::ltr()));
        let (levels, runs) = own.visual_runs(0..paragraph.len());
        for run in runs {
            let chars = own.text[run.clone()]
                .char_indices()
                .map(|(i, c)| (from + run.start + i, c));
            // A right-to-left run shows its characters in reverse. Letters
            // of a right-to-left script are read that way too, so their
            // order as written is their order as read: only runs without
            // them (Latin letters an override turns around) are reversed.
            let written_rtl = own.original_classes[run.clone()]
                .iter()
                .any(|class| matches!(class, BidiClass::R | BidiClass::AL));
            if levels[run.start].is_rtl() && !written_rtl {
                for (at, c) in chars.rev() {
                    push(at, c);
                }
            } else {
                for (at, c) in chars {
                    push(at, c);
                }
            }
        }
        from += paragraph.len();
    }
    (shown, origin)
}

/// The span of the original text that bytes `shown` of a text
/// [`display_order`] showed came from (`origin`, its second part): the
/// extent of their characters.
pub(crate) fn shown_span(origin: &[(u32, u32)], shown: Range<usize>) -> Range<usize> {
    let bytes = origin
        .get(shown.start..shown.end.max(shown.start + 1))
        .unwrap_or_default();
    let start = bytes.iter().map(|b| b.0).min().unwrap_or(0) as usize;
    let end = bytes.iter().map(|b| b.1).max().unwrap_or(0) as usize;
    start..end.max(start)
}

/// Folds `text`, which has explicit bidi controls, at the obfuscation level
/// into `obf` in the order a buyer sees it ([`display_order`]). Each folded
/// byte keeps the original span of its characters, so matches map back to
/// the characters as written ([`FoldedText::original_span`] takes their
/// extent).
fn fold_in_display_order(text: &str, obf: &mut FoldedText) {
    let (shown, origin) = display_order(text);
    let mut exact = FoldedText::new();
    fold_levels::<true, true>(&shown, &mut exact, obf);
    for source in &mut obf.src {
        let span = shown_span(&origin, source.start as usize..source.end as usize);
        // Both fit in u32, as the text's offsets do.
        source.start = span.start as u32;
        source.end = span.end as u32;
    }
    obf.reordered = true;
}

/// What an input character does, beyond its folded items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    /// Folds to its items at both levels.
    Normal = 0,
    /// Default-ignorable: a separator at the exact level, removed at the
    /// obfuscation level.
    Ignorable = 1,
    /// Folds to nothing (a diacritic): extends the previous character's span.
    Mark = 2,
    /// `@ $ + | ! ¡ € £ ¥ ¢ ©`: a separator, except inside a word at the obfuscation
    /// level where it stands for a letter.
    Leet = 3,
    /// [`Kind::Normal`], and a letter of another script that stands for a
    /// Latin one in fancy text ([`FANCY`]).
    Fancy = 4,
    /// A letter of another script drawn as a Latin letter is
    /// ([`latin_look_alike`]: the Hangul vowel `ㅣ` as `l`): its own
    /// items, except inside a word of Latin letters or at its edge at the
    /// obfuscation level, where it stands for that letter as a leet symbol
    /// does (`Aureㅣㅣe`, `ㅣysette`, `Kestreㅣ`). Korean text keeps it.
    LatinLeet = 5,
}

/// A table entry: ranges into the item pools.
#[derive(Clone, Copy, Debug)]
struct Entry {
    exact_start: u32,
    obf_start: u32,
    exact_len: u8,
    obf_len: u8,
    kind: Kind,
    /// [`Entry::MASK`]: the character may mask a letter ([`is_mask`]);
    /// [`Entry::ALPHABET`]: it is of an alphabet other than Latin, whose
    /// change to Latin inside a word may end one ([`is_other_alphabet`]);
    /// [`Entry::REGIONAL`]: a regional indicator, read as a letter where it
    /// stands alone ([`lone_regional_indicator`]). One byte for all keeps
    /// an entry at 16 bytes.
    bits: u8,
    /// For [`Kind::Leet`] and [`Kind::LatinLeet`], the letter it stands
    /// for.
    leet: char,
}

impl Entry {
    const MASK: u8 = 1;
    const ALPHABET: u8 = 2;
    const REGIONAL: u8 = 4;
    /// A leet symbol for its letter twice ([`bars_drawn`]).
    const DOUBLE: u8 = 8;
    /// A leet symbol for its letter three times ([`bars_drawn`]).
    const TRIPLE: u8 = 16;
    /// A [`Kind::LatinLeet`] letter read at a Latin word's edge too
    /// ([`latin_look_alike_at_edges`]).
    const LATIN_EDGE: u8 = 64;
    /// A [`Kind::LatinLeet`] letter read only between two Latin letters
    /// ([`latin_look_alike_between_latin_only`]); with [`Entry::LATIN_EDGE`],
    /// only beside one ([`Entry::LATIN_BESIDE`]).
    const LATIN_ONLY: u8 = 128;
    /// A [`Kind::LatinLeet`] letter read only beside a Latin letter, at a
    /// Latin word's edge too ([`latin_look_alike_beside_latin`]): both
    /// bits, as the entry has no byte to spare.
    const LATIN_BESIDE: u8 = Entry::LATIN_EDGE | Entry::LATIN_ONLY;
    /// A character that marks a word as upside-down text ([`flip_marker`]).
    const FLIPPED: u8 = 32;
}

/// The regional indicator symbols `🇦`..`🇿`, in alphabetical order.
const REGIONAL_INDICATORS: std::ops::RangeInclusive<char> = '\u{1F1E6}'..='\u{1F1FF}';

/// Whether the regional indicator at `start..end` of `text` stands alone:
/// no regional indicator right before or after it. Two side by side are a
/// flag (`🇫🇷`); one alone draws as its letter in a box, as fancy text
/// writes a name letter by letter (`🇦 🇺 🇷 🇪 🇱 🇱 🇪`), and is read as
/// the negative squared letter (`🅰`) is: a letter at the obfuscation level.
fn lone_regional_indicator(text: &str, start: usize, end: usize) -> bool {
    let regional = |c: Option<char>| c.is_some_and(|c| REGIONAL_INDICATORS.contains(&c));
    !regional(text.get(..start).and_then(|b| b.chars().next_back()))
        && !regional(text.get(end..).and_then(|a| a.chars().next()))
}

/// The negative squared letter (`🅰`) read for a lone regional indicator.
fn squared_for_regional(cp: u32) -> u32 {
    cp - u32::from(*REGIONAL_INDICATORS.start()) + u32::from(*NEGATIVE_SQUARED.start())
}

/// Cached per-character folds for U+0000..U+1FFFF.
struct Table {
    entries: Vec<Entry>,
    items: Vec<Item>,
    /// The ASCII characters that fold to one ASCII byte at each level
    /// (letters, digits, separators), read without walking the item pools.
    ascii: [Ascii; 128],
}

/// An ASCII character's folds when each level is one ASCII item of the same
/// class, word or separator ([`Kind::Normal`]).
#[derive(Clone, Copy, Debug, Default)]
struct Ascii {
    /// Whether the character folds this simply (if not, the table walk
    /// folds it).
    simple: bool,
    /// A word character (else a separator, whose items are not written).
    word: bool,
    /// Its exact fold.
    exact: u8,
    /// Its obfuscation fold and origin flags.
    obf: u8,
    origin: u8,
}

/// A folded character, its role and its origin flags ([`I_ORIGIN`],
/// [`L_ORIGIN`]; obfuscation level only).
type Item = (char, Class, u8);

const TABLE_SIZE: u32 = 0x2_0000;

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut items = Vec::with_capacity(TABLE_SIZE as usize + 4096);
    let mut entries = Vec::with_capacity(TABLE_SIZE as usize);
    let mut exact = Vec::new();
    let mut obf = Vec::new();
    for cp in 0..TABLE_SIZE {
        let c = char::from_u32(cp).unwrap_or('\u{FFFD}');
        let (kind, leet) = compute(c, &mut exact, &mut obf);
        let exact_start = u32::try_from(items.len()).unwrap_or(u32::MAX);
        items.extend_from_slice(&exact);
        let obf_start = u32::try_from(items.len()).unwrap_or(u32::MAX);
        items.extend_from_slice(&obf);
        entries.push(Entry {
            exact_start,
            obf_start,
            exact_len: u8::try_from(exact.len()).unwrap_or(u8::MAX),
            obf_len: u8::try_from(obf.len()).unwrap_or(u8::MAX),
            kind,
            bits: if masks_a_letter(c) { Entry::MASK } else { 0 }
                | if is_other_alphabet(c) {
                    Entry::ALPHABET
                } else {
                    0
                }
                | if REGIONAL_INDICATORS.contains(&c) {
                    Entry::REGIONAL
                } else {
                    0
                }
                | match bars_drawn(c) {
                    2 => Entry::DOUBLE,
                    3 => Entry::TRIPLE,
                    _ => 0,
                }
                | if flip_marker(c) { Entry::FLIPPED } else { 0 }
                | if latin_look_alike_at_edges(c) {
                    Entry::LATIN_EDGE
                } else {
                    0
                }
                | if latin_look_alike_between_latin_only(c) || latin_look_alike_beside_latin(c) {
                    Entry::LATIN_ONLY
                } else {
                    0
                },
            leet,
        });
    }
    let mut ascii = [Ascii::default(); 128];
    for (c, (slot, entry)) in ascii.iter_mut().zip(&entries).enumerate() {
        if entry.kind != Kind::Normal || entry.exact_len != 1 || entry.obf_len != 1 {
            continue;
        }
        let (exact, exact_class, _) = items[entry.exact_start as usize];
        let (obf, obf_class, origin) = items[entry.obf_start as usize];
        let word = exact_class == Class::Word;
        if exact_class == obf_class
            && (word || exact_class == Class::Sep)
            && exact.is_ascii()
            && obf.is_ascii()
        {
            *slot = Ascii {
                simple: true,
                word,
                exact: exact as u8,
                obf: obf as u8,
                // A separator has no origin; a mask's says it is one.
                origin: if word {
                    origin
                } else {
                    u8::from(u8::try_from(c).is_ok_and(|b| masks_a_letter(char::from(b))))
                },
            };
        }
    }
    Table {
        entries,
        items,
        ascii,
    }
});

static CASE: LazyLock<icu_casemap::CaseMapperBorrowed<'static>> = LazyLock::new(CaseMapper::new);

/// Traditional Chinese characters and the simplified ones OpenCC's
/// character table reads them as (`奧` → `奥`, `爾` → `尔`, `錶` → `表`),
/// which the obfuscation fold writes for them: a name or signal term
/// written in traditional characters reads as in simplified ones
/// (`奧瑞爾`, `複刻`). A character is converted alone, never as part of a
/// phrase, so each keeps its span. Built once, with the fold's table.
static SIMPLIFIED: LazyLock<rustc_hash::FxHashMap<char, char>> = LazyLock::new(|| {
    // The unified ideographs and extensions A to F, where OpenCC's table
    // has its characters.
    let chars: Vec<char> = [
        '\u{3400}'..='\u{4DBF}',
        '\u{4E00}'..='\u{9FFF}',
        '\u{20000}'..='\u{2EBEF}',
    ]
    .into_iter()
    .flatten()
    .collect();
    let Ok(opencc) =
        ferrous_opencc::OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::T2s)
    else {
        return rustc_hash::FxHashMap::default();
    };
    // One character a line: a phrase never spans a line break.
    let lines: String = chars.iter().flat_map(|&c| [c, '\n']).collect();
    let converted = opencc.convert(&lines);
    if converted.split('\n').count() != chars.len() + 1 {
        return rustc_hash::FxHashMap::default();
    }
    let mut map = rustc_hash::FxHashMap::default();
    for (&c, line) in chars.iter().zip(converted.split('\n')) {
        let mut simple = line.chars();
        if let (Some(s), None) = (simple.next(), simple.next())
            && s != c
        {
            map.insert(c, s);
        }
    }
    map
});

/// Whether `c` is default-ignorable (Unicode's `Default_Ignorable_Code_Point`:
/// zero-width characters, joiners, a soft hyphen, bidi controls) or a C1
/// control that Windows-1252 leaves undefined ([`windows_1252`]), which a
/// page draws as nothing too (`Aur\u{81}elle` shows `Aurelle`).
fn is_ignorable(c: char) -> bool {
    (matches!(c, '\u{80}'..='\u{9F}') && windows_1252(c).is_none())
        || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

/// Combining diacritical marks removed by the exact fold. Only the generic
/// diacritic blocks: marks that carry meaning in other scripts (kana voicing,
/// Indic vowel signs) are kept.
fn is_stripped_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// What decancer's homoglyph table reads `c` as, if one to three ASCII
/// letters or digits (lowercase).
fn homoglyph(c: char) -> Option<String> {
    let letters = cured(c, decancer::Options::PURE_HOMOGLYPH)?;
    (!letters.is_empty()
        && letters.len() <= 3
        && letters.bytes().all(|b| b.is_ascii_alphanumeric()))
    .then(|| letters.to_ascii_lowercase())
}

/// The Latin letters Unicode names TURNED (rotated half a turn: `ɐ` LATIN
/// SMALL LETTER TURNED A), and the reversed capital `Ǝ`, with the letter
/// each is turned from: upside-down text writes a name with them
/// (`ɐuɹǝllǝ`), and UTS #39 reads none as a Latin letter (it reads the
/// turned `ɯ` as `w`, as it looks). Phonetic letters, which a listing
/// writes for no sound.
const TURNED_LETTERS: [(char, char); 18] = [
    ('ɐ', 'a'),
    ('Ɐ', 'a'),
    ('ǝ', 'e'),
    ('Ǝ', 'e'),
    ('ɥ', 'h'),
    ('Ɥ', 'h'),
    ('ᴉ', 'i'),
    ('ʞ', 'k'),
    ('Ʞ', 'k'),
    ('ꞁ', 'l'),
    ('Ꞁ', 'l'),
    ('ɹ', 'r'),
    ('ʇ', 't'),
    ('Ʇ', 't'),
    ('ʌ', 'v'),
    ('Ʌ', 'v'),
    ('ʍ', 'w'),
    ('ʎ', 'y'),
];

/// Latin letters drawn as another with a stroke or bar through it (Unicode
/// names them WITH STROKE, WITH BAR, BARRED), in lower case as the case
/// fold leaves them (`Ⱥ` is `ⱥ`), and six capitals listed as well
/// (`Ⱥ Ƚ Ɨ Ʉ Ɇ Ȼ`), with that letter: written for it they keep
/// the name's shape (`Ⱥurelle`), and neither NFKD, UTS #39 nor decancer
/// reads them as it. Not `ɟ` and `ƃ`, turned letters of upside-down text
/// ([`FLIPPED`]). Those the skeleton already reads (`ø`, `ł`, `đ`) are
/// here too, and read the same.
const STROKED_LETTERS: [(char, char); 55] = [
    ('ⱥ', 'a'),
    ('ꬰ', 'a'),
    ('ƀ', 'b'),
    ('ᴃ', 'b'),
    ('ȼ', 'c'),
    ('ꞓ', 'c'),
    ('đ', 'd'),
    ('ƌ', 'd'),
    ('ꟈ', 'd'),
    ('ɇ', 'e'),
    ('ꬳ', 'e'),
    ('ꞙ', 'f'),
    ('ǥ', 'g'),
    ('ꞡ', 'g'),
    ('ħ', 'h'),
    ('ɨ', 'i'),
    ('ᵻ', 'i'),
    ('ɉ', 'j'),
    ('ꝁ', 'k'),
    ('ꝃ', 'k'),
    ('ꝅ', 'k'),
    ('ꞣ', 'k'),
    ('ł', 'l'),
    ('ƚ', 'l'),
    ('ᴌ', 'l'),
    ('ⱡ', 'l'),
    ('ꝉ', 'l'),
    ('ꞥ', 'n'),
    ('ø', 'o'),
    ('ǿ', 'o'),
    ('ɵ', 'o'),
    ('ꝋ', 'o'),
    ('ꬾ', 'o'),
    ('ᵽ', 'p'),
    ('ꝑ', 'p'),
    ('ꝗ', 'q'),
    ('ꝙ', 'q'),
    ('ɍ', 'r'),
    ('ꞧ', 'r'),
    ('ꞩ', 's'),
    ('ꟊ', 's'),
    ('ŧ', 't'),
    ('ⱦ', 't'),
    ('ʉ', 'u'),
    ('ᵾ', 'u'),
    ('ꞹ', 'u'),
    ('ꝟ', 'v'),
    ('ɏ', 'y'),
    ('ƶ', 'z'),
    ('Ⱥ', 'a'),
    ('Ƚ', 'l'),
    ('Ɨ', 'i'),
    ('Ʉ', 'u'),
    ('Ɇ', 'e'),
    ('Ȼ', 'c'),
];

/// What each character stands for in text turned upside down as flip-text
/// generators write it: every letter turned half a turn and the order
/// reversed, so that it reads upright with the page turned (`ǝllǝɹnɐ` is
/// `aurelle`, `ouɐllǝΛ` is `Vellano`). Beside [`TURNED_LETTERS`]: the
/// letters and symbols these generators write for the other letters
/// (`ɯ` for `m`, which read forward is a `w`; `∀ ⊥ ∩ ˥` for capitals), and
/// the letters a half turn makes into others (`u` for `n`, `p` for `d`,
/// `W` for `M`). A character not here stands for itself (`o`, `s`, `l`).
/// Read only backwards, in a word with a [`flip_marker`]
/// ([`FlippedReadings::read`]).
const FLIPPED: [(char, char); 34] = [
    ('ɯ', 'm'),
    ('Ɯ', 'm'),
    ('ɔ', 'c'),
    ('Ɔ', 'c'),
    ('ɟ', 'f'),
    ('Ⅎ', 'f'),
    ('ƃ', 'g'),
    ('ᵷ', 'g'),
    ('⅁', 'g'),
    ('ɾ', 'j'),
    ('ſ', 'j'),
    ('ı', 'i'),
    ('˥', 'l'),
    ('⅂', 'l'),
    ('∀', 'a'),
    ('ᴚ', 'r'),
    ('⅄', 'y'),
    ('⊥', 't'),
    ('ꓕ', 't'),
    ('∩', 'u'),
    ('Λ', 'v'),
    ('Ԁ', 'p'),
    ('ᗡ', 'd'),
    ('ꓘ', 'k'),
    ('b', 'q'),
    ('q', 'b'),
    ('d', 'p'),
    ('p', 'd'),
    ('n', 'u'),
    ('u', 'n'),
    ('M', 'W'),
    ('W', 'M'),
    ('6', '9'),
    ('9', '6'),
];

/// The letter `c` stands for in upside-down text ([`FLIPPED`],
/// [`TURNED_LETTERS`]), or `c` itself.
fn unflipped(c: char) -> char {
    TURNED_LETTERS
        .iter()
        .chain(&FLIPPED)
        .find(|&&(turned, _)| turned == c)
        .map_or(c, |&(_, letter)| letter)
}

/// Whether `c` marks a word as upside-down text: a letter or symbol of
/// [`TURNED_LETTERS`] or [`FLIPPED`] that is no letter of a living
/// alphabet (not Turkish `ı`, Greek `Λ`, Komi `Ԁ`, the long `ſ`) and no
/// ASCII character. A word is read backwards only with one
/// ([`FlippedReadings::read`]), so ordinary text is never turned around.
fn flip_marker(c: char) -> bool {
    !c.is_ascii()
        && !matches!(c, 'ı' | 'Λ' | 'Ԁ' | 'ſ')
        && TURNED_LETTERS
            .iter()
            .chain(&FLIPPED)
            .any(|&(turned, _)| turned == c)
}

/// The most words with no [`flip_marker`] in a row that a run of upside-down
/// text reads across ([`FlippedReadings::read`]): a model number or a size left
/// upright inside a flipped title (`ɐʇuɐʌɹO X12 ɹoɟ ǝsɐɔ`,
/// `ǝllǝɹnɐ 38mm ɹoɟ dɐɹʇs`).
const FLIPPED_GAP_WORDS: usize = 2;

/// Whether `c` is a letter that upside-down text writes as it is, or for
/// another Latin letter, so that a word of these alone has no
/// [`flip_marker`] either way up (`uo` is `on` turned, `xoq` is `box`):
/// the letters a half turn leaves a Latin letter (`o s x z l`, and `n u`,
/// `p d`, `b q`, `M W` for each other), and the capitals it leaves
/// themselves (`H I N O S X Z`). Not digits, nor `m` (turned `ɯ`) or
/// capital `L` (turned `˥`): a size or a model number left upright (`38mm`,
/// `X12`, `XL`) has one of those.
fn turns_into_a_letter(c: char) -> bool {
    matches!(
        c,
        'o' | 's'
            | 'x'
            | 'z'
            | 'l'
            | 'n'
            | 'u'
            | 'p'
            | 'd'
            | 'b'
            | 'q'
            | 'H'
            | 'I'
            | 'N'
            | 'O'
            | 'S'
            | 'X'
            | 'Z'
            | 'M'
            | 'W'
    )
}

/// Whether `word`, of letters a half turn leaves letters
/// ([`Turned::Either`]), is an ordinary word as written and not when read
/// turned (`on`, `so`, `up`, `sun`: turned, `uo`, `os`, `dn`, `uns`): a
/// word the seller left upright inside a run of upside-down text
/// (`ǝllǝɹnɐ on sale`), which the upright reading leaves out, as it does a
/// size, rather than adding a word that is none. One that reads as a word
/// either way (`pod`, `dos` and `sop`) stays a word of the run; so does a
/// single letter, which upside-down text writes as it is.
fn written_upright(word: &str) -> bool {
    const MAX: usize = 32;
    let len = word.len();
    if !(2..=MAX).contains(&len) || !word.is_ascii() {
        return false;
    }
    let mut turned = [0u8; MAX];
    for (slot, c) in turned.iter_mut().zip(word.chars().rev()) {
        *slot = u8::try_from(unflipped(c)).unwrap_or(b'?');
    }
    let turned = std::str::from_utf8(&turned[..len]).unwrap_or("");
    super::vocabulary::is_ordinary_ascii(word) && !super::vocabulary::is_ordinary_ascii(turned)
}

/// The runs of a text written upside down, read upright, made once per
/// text ([`FlippedReadings::read`]) for every step that reads them (names,
/// misspellings, [`FlippedReadings::iter`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct FlippedReadings {
    /// The readings, one after another.
    text: String,
    /// Per byte of `text`: the span of the original character it came from
    /// (as [`display_order`] gives, for [`shown_span`]).
    origin: Vec<(u32, u32)>,
    /// Where each reading ends in `text`.
    ends: Vec<usize>,
}

/// How a word of a text reads in a run of upside-down text
/// ([`FlippedReadings::read`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Turned {
    /// It has a [`flip_marker`]: written upside down.
    Marked,
    /// Only letters that a half turn leaves Latin letters
    /// ([`turns_into_a_letter`]): written upside down inside a run
    /// (`ǝsɐɔ uo`), upright outside one.
    Either,
    /// Neither: left upright (`X12`, `38mm`).
    Upright,
}

impl FlippedReadings {
    /// Reads the runs of `text` written upside down, upright (replacing
    /// what was read before): each run of whitespace-separated words with
    /// a word with a [`flip_marker`], that begins and ends with such a
    /// word or a word of letters that a half turn leaves letters
    /// ([`Turned::Either`]: `ɹoɟ ǝsɐɔ uo` is `on case for`), with at most
    /// [`FLIPPED_GAP_WORDS`] other words in a row between (left upright by
    /// the seller, `X12`), its words in reverse order, each one's
    /// characters in reverse order and read as the letters they stand for
    /// ([`unflipped`]); the words left upright are left out (the text as
    /// written has them: `case for Orvanta`, and `sinoL` is never `Louis`),
    /// but for single characters, which upside-down text writes as they
    /// are (`l`, `o`, `s`) or for another (`n` for `u`).
    pub(crate) fn read(&mut self, text: &str) {
        self.text.clear();
        self.origin.clear();
        self.ends.clear();
        // The words of the run so far.
        let mut run: Vec<(Range<usize>, Turned)> = Vec::new();
        // The word being read with how it reads, and how many words left
        // upright end the run so far.
        let mut word: Option<(usize, Turned)> = None;
        let mut upright = 0;
        for (at, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            if !c.is_whitespace() {
                let turned = if flip_marker(c) {
                    Turned::Marked
                } else if turns_into_a_letter(c) {
                    Turned::Either
                } else {
                    Turned::Upright
                };
                match &mut word {
                    Some((_, was)) => {
                        *was = match (*was, turned) {
                            (Turned::Marked, _) | (_, Turned::Marked) => Turned::Marked,
                            (Turned::Either, Turned::Either) => Turned::Either,
                            _ => Turned::Upright,
                        };
                    }
                    None => word = Some((at, turned)),
                }
                continue;
            }
            let Some((start, mut turned)) = word.take() else {
                continue;
            };
            if turned == Turned::Either && written_upright(&text[start..at]) {
                turned = Turned::Upright;
            }
            if turned != Turned::Upright {
                upright = 0;
                run.push((start..at, turned));
            } else if !run.is_empty() && upright < FLIPPED_GAP_WORDS {
                upright += 1;
                run.push((start..at, turned));
            } else {
                self.read_run(text, &mut run);
                upright = 0;
            }
        }
        self.read_run(text, &mut run);
    }

    /// Reads `run` (emptied) upright, if a word of it is written upside
    /// down ([`FlippedReadings::read`]).
    fn read_run(&mut self, text: &str, run: &mut Vec<(Range<usize>, Turned)>) {
        while run.last().is_some_and(|(_, t)| *t == Turned::Upright) {
            run.pop();
        }
        if !run.iter().any(|(_, t)| *t == Turned::Marked) {
            run.clear();
            return;
        }
        let mut push = |c: char, start: usize, letter: char| {
            let span = (offset_u32(start), offset_u32(start + c.len_utf8()));
            self.text.push(letter);
            self.origin
                .extend(std::iter::repeat_n(span, letter.len_utf8()));
        };
        for (k, (word, turned)) in run.iter().enumerate().rev() {
            // A word left upright is not read upright again (the forward
            // reading has it), but for a single character, which the run
            // may spell a name with (`ǝ l l ǝ ɹ n ɐ`, `n` for `u`).
            let single = text[word.clone()].chars().nth(1).is_none();
            if *turned != Turned::Upright || single {
                for (at, c) in text[word.clone()].char_indices().rev() {
                    push(c, word.start + at, unflipped(c));
                }
            }
            // The blank before this word, now after it.
            if let Some((before, _)) = k.checked_sub(1).and_then(|j| run.get(j)) {
                for (at, c) in text[before.end..word.start].char_indices().rev() {
                    push(c, before.end + at, c);
                }
            }
        }
        run.clear();
        self.ends.push(self.text.len());
    }

    /// Each reading, with the span of the original character each of its
    /// bytes came from.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &[(u32, u32)])> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let reading = (&self.text[start..end], &self.origin[start..end]);
            start = end;
            reading
        })
    }
}

/// `n` as a u32 offset of a text folded (cut to u32::MAX bytes).
fn offset_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Negative squared Latin capital letters `🅰`..`🆉`, in alphabetical order
/// (decancer leaves out the four that are also emoji: `🅰 🅱 🅾 🅿`).
const NEGATIVE_SQUARED: std::ops::RangeInclusive<char> = '\u{1F170}'..='\u{1F189}';

/// A letter that UTS #39 has no prototype for but that stands for an ASCII
/// letter, as fancy-text generators write names: Latin small capitals
/// (`ᴀ ʀ ʟ`) and open `ɛ` as decancer reads them, and squared letters of
/// the enclosed alphanumerics (`🅲 🆄`; regional indicators only where one
/// stands alone, [`lone_regional_indicator`]: two are a flag, `🇫🇷`).
fn look_alike(c: char) -> Option<String> {
    if let Some(&(_, letter)) = STROKED_LETTERS.iter().find(|&&(stroked, _)| stroked == c) {
        return Some(letter.to_string());
    }
    if let Some(&(_, letter)) = TURNED_LETTERS.iter().find(|&&(turned, _)| turned == c) {
        let mut buf = [0u8; 4];
        return Some(unicode_security::skeleton(letter.encode_utf8(&mut buf)).collect());
    }
    if NEGATIVE_SQUARED.contains(&c) {
        let offset = u32::from(c) - u32::from(*NEGATIVE_SQUARED.start());
        return u8::try_from(offset)
            .ok()
            .map(|o| char::from(b'a' + o).to_string());
    }
    let latin = CodePointMapData::<Script>::new().get(c) == Script::Latin && c.is_alphabetic();
    if latin || ('\u{1F100}'..='\u{1F1E5}').contains(&c) {
        homoglyph(c)
    } else {
        None
    }
}

/// The modifier letters written for an apostrophe (`ʼ` U+02BC, `ʻ`, `ʹ`,
/// `ʽ`, and the saltillo `ꞌ`) or a colon (`ː` U+02D0), which UTS #39 reads
/// as `'` and `:`. As punctuation they are between words (`dʼAurelle`,
/// `Aurelleʼs`, `1ː1`), not letters of one, so both folds read them as
/// separators. A list, not every letter whose skeleton is punctuation:
/// Katakana `ノ` (`/`) or Hebrew `י` (`'`) are letters of their words.
const PUNCTUATION_LETTERS: [char; 6] = ['ʼ', 'ʻ', 'ʹ', 'ʽ', 'ꞌ', 'ː'];

fn is_punctuation_letter(c: char) -> bool {
    PUNCTUATION_LETTERS.contains(&c)
}

/// A symbol whose compatibility form is a word of two or more letters (`™`
/// → `TM`, `℠`, `№`, `㎏`): written right after a name (`Aurelle™`), it
/// is a mark beside the word, not letters of it, so both folds read it as
/// a separator. Symbols that stand for one letter (`Ⓐ`, `🄰`) stay letters.
fn is_abbreviation_sign(c: char) -> bool {
    if CodePointMapData::<GeneralCategory>::new().get(c) != GeneralCategory::OtherSymbol {
        return false;
    }
    let mut letters = 0;
    for d in std::iter::once(c).nfkc() {
        if !d.is_alphabetic() {
            return false;
        }
        letters += 1;
    }
    letters >= 2
}

/// A superscript or subscript letter (`ᵀ`, `ᴹ`, `ⁿ`, `ₐ`): a modifier letter
/// whose compatibility form is another letter ([`SMALL`]).
fn is_small_letter(c: char) -> bool {
    CodePointMapData::<GeneralCategory>::new().get(c) == GeneralCategory::ModifierLetter
        && c.nfkc().ne(std::iter::once(c))
}

/// Whether `c` sits on the character before it, drawn with it: a combining
/// mark, or a zero-width joiner or non-joiner.
pub(crate) fn attaches(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
        || GeneralCategoryGroup::Mark.contains(CodePointMapData::<GeneralCategory>::new().get(c))
}

/// Whether `c` draws nothing of its own: it [`attaches`] to the character
/// before it, or it is default-ignorable (a zero-width space, a word
/// joiner, a soft hyphen, a bidi control) and does not draw as a blank.
pub(crate) fn unseen(c: char) -> bool {
    attaches(c) || (is_ignorable(c) && !draws_as_blank(c))
}

/// Whether `c` is a Latin letter (as written, not a look-alike).
pub(crate) fn is_latin_letter(c: char) -> bool {
    // The script first: its table is quicker than the alphabetic one,
    // which other scripts' letters would all be looked up in.
    c.is_ascii_alphabetic()
        || (CodePointMapData::<Script>::new().get(c) == Script::Latin && c.is_alphabetic())
}

/// Whether the word `written` mixes Greek and Cyrillic letters, or has a
/// Cyrillic letter that Russian does not and fancy-text generators write
/// for a Latin one (`Ѕ` for `S`, `Ӏ` for `l`, `Ј` for `J`, `Ԛ`, `Ԝ`): not
/// Greek or Russian text, whatever its letters read as.
pub(crate) fn foreign_to_its_script(written: &str) -> bool {
    let script = |c: char| CodePointMapData::<Script>::new().get(c);
    let greek = written.chars().any(|c| script(c) == Script::Greek);
    let cyrillic = written.chars().any(|c| script(c) == Script::Cyrillic);
    // Canadian syllabics: fancy-text generators' letters (`ᗩᑌᖇᗴᒪᒪᗴ`), in
    // no language a listing is written in.
    (greek && cyrillic)
        || written
            .chars()
            .any(|c| script(c) == Script::CanadianAboriginal)
        || written
            .chars()
            .any(|c| matches!(c, 'Ѕ' | 'ѕ' | 'Ӏ' | 'ӏ' | 'Ј' | 'ј' | 'Ԛ' | 'ԛ' | 'Ԝ' | 'ԝ'))
}

/// Whether `c` is written without spaces between words: CJK, and the
/// scripts of South-East Asia that run words together (Thai, Lao, Khmer,
/// Myanmar). Names in them match anywhere, and a Latin word glued to them
/// (`น้ำหอมLysette`) still has a word boundary.
pub(crate) fn is_cjk(c: char) -> bool {
    let script = CodePointMapData::<Script>::new().get(c);
    script == Script::Han
        || script == Script::Hiragana
        || script == Script::Katakana
        || script == Script::Hangul
        || script == Script::Bopomofo
        || script == Script::Thai
        || script == Script::Lao
        || script == Script::Khmer
        || script == Script::Myanmar
        // Prolonged sound mark and iteration marks (script Common).
        || matches!(c, '\u{30FC}' | '\u{3005}' | '\u{303B}' | '\u{309D}' | '\u{309E}' | '\u{30FD}' | '\u{30FE}')
}

/// Whether `c` is a precomposed Hangul syllable (`안`, U+AC00 to U+D7A3).
fn is_hangul_syllable(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7A3}')
}

/// Whether `c` is a Han character (a Chinese character, a kanji, a
/// hanja): a letter or digit between two of them is no part of ordinary
/// Chinese words, which write Latin letters beside characters (`T恤`,
/// `A字裙`), not inside a name (`奥x瑞x尔`, `BrandIndex::scan_cjk_insertions`).
pub(crate) fn is_han(c: char) -> bool {
    CodePointMapData::<Script>::new().get(c) == Script::Han
}

/// A character's role. A combining mark attaches to the character before it
/// whatever its script (a Thai tone mark takes the class of the Thai
/// letter it sits on, or of a Latin letter it decorates).
fn class_of(c: char) -> Class {
    if GeneralCategoryGroup::Mark.contains(CodePointMapData::<GeneralCategory>::new().get(c)) {
        Class::Attach
    } else if is_cjk(c) {
        Class::Cjk
    } else if c.is_alphanumeric() {
        Class::Word
    } else {
        Class::Sep
    }
}

/// NFKD, full case fold, NFKD again, diacritics removed.
fn exact_chars(s: &str, out: &mut String) {
    out.clear();
    let decomposed: String = s.nfkd().collect();
    let folded = CASE.fold_string(&decomposed);
    out.extend(folded.nfkd().filter(|&d| !is_stripped_mark(d)));
}

/// Whether `c` may mask a letter between two words (`Aur*lle`, `Aur#lle`,
/// `Aur•lle`, `Lys?tte`, `Aur\u{fffd}lle`), also in the full-width and small
/// forms NFKC reads as `*`, `_`, `#` or `?` (`Aur＊lle`, `Aur﹡lle`). Not a hyphen, a dot or
/// a middle dot, which join words (`T-shirt`, `蒙克·莱尔`). An emoji or
/// pictograph too (`Aur💎lle`, [`is_pictograph_mask`]). The fold's table
/// notes which characters are: a look-up.
pub(crate) fn is_mask(c: char) -> bool {
    TABLE
        .entries
        .get(c as usize)
        .is_some_and(|entry| entry.bits & Entry::MASK != 0)
}

/// [`is_mask`], computed (for the fold's table).
fn masks_a_letter(c: char) -> bool {
    is_pictograph_mask(c)
        || matches!(
            c,
            '*' | '_'
            | '#'
            | '?'
            | '＊'
            | '＿'
            | '＃'
            | '？'
            | '﹡'
            | '﹍'
            | '﹎'
            | '﹏'
            | '︳'
            | '︴'
            | '︖'
            | '﹟'
            | '﹖'
            | '•'
            | '★'
            | '☆'
            | '×'
            | '●'
            | '○'
            | '■'
            | '□'
            | '◆'
            | '◇'
            | '♦'
            // The replacement character a bad byte or a reference naming
            // no character shows (`Aur&#xD800;lle`).
            | '\u{fffd}'
        )
}

/// An emoji or pictograph (Unicode's Extended_Pictographic) written for a
/// letter, as `*` is (`Aur💎lle`, `Aur❤️lle`, `奥💎尔`): past the Latin-1
/// signs and the CJK symbols and punctuation (`©` is a leet `c`, `〰` a
/// dash), and none that NFKC reads as something else (`™` is `TM`, `ℹ`
/// an `i`, `Ⓜ` an `M`, `㊙` a CJK character), nor the enclosed
/// alphanumerics, which read as letters (`🅰`, `🆎`).
fn is_pictograph_mask(c: char) -> bool {
    c >= '\u{2000}'
        && !('\u{3000}'..='\u{303F}').contains(&c)
        && !('\u{1F100}'..='\u{1F1FF}').contains(&c)
        && leet_symbol(c).is_none()
        && CodePointSetData::new::<ExtendedPictographic>().contains(c)
        && std::iter::once(c).nfkc().eq(std::iter::once(c))
}

/// Characters written with an emoji that draw no letter of their own: the
/// emoji and text variation selectors, the keycap, the skin tones.
fn is_emoji_component(c: char) -> bool {
    matches!(
        c,
        '\u{FE0E}' | '\u{FE0F}' | '\u{20E3}' | '\u{1F3FB}'..='\u{1F3FF}'
    )
}

/// How many letters `gap`, the text between two words, masks: a mask once
/// or twice in a row ([`is_mask`], `Aur*lle`, `Aur**lle`), an emoji
/// counting once with its variation selector, skin tone, or the emoji a
/// zero-width joiner joins to it (`Aur❤️lle`, `Aur👍🏽lle`, `Aur👩‍🔧lle`).
pub(crate) fn mask_count(gap: &str) -> Option<u8> {
    let mut units: [char; 2] = ['\0'; 2];
    let mut count = 0usize;
    let mut joined = false;
    for c in gap.chars() {
        if count > 0 && is_emoji_component(c) {
            continue;
        }
        if count > 0 && c == '\u{200D}' {
            joined = true;
            continue;
        }
        if !is_mask(c) {
            return None;
        }
        if std::mem::take(&mut joined) && is_pictograph_mask(c) {
            continue;
        }
        *units.get_mut(count)? = c;
        count += 1;
    }
    match count {
        1 => Some(1),
        2 if units[0] == units[1] => Some(2),
        _ => None,
    }
}

/// Leetspeak digits and the letters they stand for (`1` for `l` or `i`:
/// both fold to `l`). [`FoldedText::keep_numbers`] reads them backwards.
const LEET_DIGITS: [(u8, u8); 6] = [
    (b'0', b'o'),
    (b'1', b'l'),
    (b'3', b'e'),
    (b'4', b'a'),
    (b'5', b's'),
    (b'7', b't'),
];

fn leet(c: char) -> char {
    // `i` is not a confusable of `l` (origins tell them apart), but `1`
    // stands for both: all three fold to `l`.
    if c == 'i' {
        return 'l';
    }
    LEET_DIGITS
        .iter()
        .find(|&&(digit, _)| char::from(digit) == c)
        .map_or(c, |&(_, letter)| char::from(letter))
}

/// The letter a leet symbol stands for (`@` for `a`, `|` for `l`), which
/// the obfuscation fold reads between word characters (`Te$$aro`).
pub(crate) fn leet_letter(c: char) -> Option<char> {
    match symbol_letter(c) {
        None if c >= '\u{FE50}' => symbol_letter(compatibility_symbol(c)?),
        letter => letter,
    }
}

/// The leet symbol `c` is: itself, or the one NFKC makes of a full-width
/// or small form (`＠` and `﹫` are `@`, `￥` is `¥`), which the fold reads
/// as NFKC does.
pub(crate) fn leet_symbol(c: char) -> Option<char> {
    match symbol_letter(c) {
        Some(_) => Some(c),
        None if c >= '\u{FE50}' => compatibility_symbol(c),
        None => None,
    }
}

/// The leet symbol NFKC makes of `c`, a full-width or small form of one.
/// Apart: the other characters a caller asks about are letters.
#[cold]
#[inline(never)]
fn compatibility_symbol(c: char) -> Option<char> {
    if !matches!(c, '\u{FE50}'..='\u{FE6B}' | '\u{FF01}'..='\u{FF5E}' | '\u{FFE0}'..='\u{FFEE}') {
        return None;
    }
    let mut nfkc = std::iter::once(c).nfkc();
    match (nfkc.next(), nfkc.next()) {
        (Some(symbol), None) if symbol_letter(symbol).is_some() => Some(symbol),
        _ => None,
    }
}

/// The letter a leet symbol as written in ASCII or Latin-1 (or `€`, `∪`,
/// `∨`, `∈`, `⊂`, `∩`, `˥`, `∀`, and bars drawn as `|` is) stands for.
fn symbol_letter(c: char) -> Option<char> {
    match c {
        '@' => Some('a'),
        '$' => Some('s'),
        '+' => Some('t'),
        '|' | '!' | '¡' => Some('l'),
        // Bars a keyboard or a symbol table gives for `|`: the broken bar
        // (UK keyboards), the divides sign, box drawing's and the
        // dentistry symbol's vertical lines (`Aure¦¦e`, `Ve││ano`), the
        // extension pieces of tall brackets and integrals, the vertical
        // box lines, the light vertical bar and the power-on symbol, each
        // drawn as one plain vertical stroke (`Aure⎪⎪e`).
        '¦' | '∣' | '│' | '┃' | '⏐' | '⎜' | '⎟' | '⎢' | '⎥' | '⎪' | '⎮' | '⎸' | '⎹' | '❘' | '⏽' => {
            Some('l')
        }
        // Double and triple bars: as many letters as the strokes they draw
        // ([`bars_drawn`]). UTS #39 reads the double ones as `ll`
        // (`Aure‖e`, `Aure∥e`); a triple bar is `lll` as `|||` is
        // (`Aure⫴e` is a misspelling of `Aurelle`, as `Aure|||e` is).
        '‖' | '∥' | '║' | '⫴' | '⦀' | '⫼' => Some('l'),
        '¢' | '©' => Some('c'),
        // The registered sign, a circled `R` as `©` is a circled `C`
        // (`Au®elle`); after a name, a separator as any leet symbol at a
        // word's edge (`Aurelle®`).
        '®' => Some('r'),
        '€' => Some('e'),
        '£' => Some('l'),
        '¥' => Some('y'),
        // The union sign, UTS #39's look-alike of `U`, which the fold
        // reads as a symbol (`L∪MO`).
        '∪' => Some('u'),
        // The logical or and its n-ary form, UTS #39's look-alikes of `v`
        // (`Mar∨ello`), as the union sign is of `U`.
        '∨' | '⋁' => Some('v'),
        // The element-of and subset signs, drawn as a round `E` and `C`
        // (`Aur∈lle`, `⊂oachlight`).
        '∈' => Some('e'),
        '⊂' => Some('c'),
        // The intersection sign (and its n-ary form), drawn as an `n`
        // (`∩erio`, `Mo∩tclaire`), and the tone bar `˥` and the turned
        // sans-serif `⅂`, each drawn as an `l` with a serif (`Ve˥˥ano`).
        // Upside-down text writes them for a turned `U` and `L`, and reads
        // them so backwards ([`FLIPPED`], a mark of such text); upright,
        // inside a word, they are leet symbols for the letters they look
        // like, as the union sign is.
        '∩' | '⋂' => Some('n'),
        // The for-all sign, a turned `A` (`∀urelle`).
        '∀' => Some('a'),
        '˥' | '⅂' => Some('l'),
        _ => None,
    }
}

/// How many strokes the bar `c` draws, each a letter of a leet reading: two
/// for the double vertical line, the parallel sign and box drawing's double
/// vertical (UTS #39's skeleton of the first two is `ll`), three for the
/// triple bars; one for any other character. Four strokes or more in a row
/// are more than [`HeldLeet::MAX`]: a divider (`Aure||||e`, `Aure‖‖e`), as
/// no name writes four letters of one kind in a row.
fn bars_drawn(c: char) -> usize {
    match c {
        '‖' | '∥' | '║' => 2,
        '⫴' | '⦀' | '⫼' => 3,
        _ => 1,
    }
}

/// A C1 control (U+0080 to U+009F) as the Windows-1252 character of its
/// byte (`\u{92}` is `’`, `\u{97}` is `—`, `\u{85}` is `…`): text
/// decoded as Latin-1 where it was Windows-1252 shows them so, as browsers
/// read `&#146;`. The five bytes Windows-1252 leaves undefined stay
/// controls, which draw nothing ([`is_ignorable`]).
fn windows_1252(c: char) -> Option<char> {
    let byte = u8::try_from(u32::from(c))
        .ok()
        .filter(|b| (0x80..=0x9f).contains(b))?;
    let bytes = [byte];
    let (decoded, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&bytes);
    decoded.chars().next().filter(|&d| d != c)
}

/// Computes one character's folds (uncached).
fn compute(c: char, exact: &mut Vec<Item>, obf: &mut Vec<Item>) -> (Kind, char) {
    if let Some(read) = windows_1252(c) {
        return compute(read, exact, obf);
    }
    exact.clear();
    obf.clear();
    if let Some(symbol) = leet_symbol(c)
        && let Some(letter) = symbol_letter(symbol)
    {
        exact.push((symbol, Class::Sep, 0));
        obf.push((' ', Class::Sep, 0));
        return (Kind::Leet, letter);
    }
    if is_ignorable(c) {
        return (Kind::Ignorable, '\0');
    }
    if is_abbreviation_sign(c) || is_punctuation_letter(c) {
        exact.push((c, Class::Sep, 0));
        obf.push((' ', Class::Sep, 0));
        return (Kind::Normal, '\0');
    }
    let mut buf = [0u8; 4];
    let mut s = String::new();
    exact_chars(c.encode_utf8(&mut buf), &mut s);
    if s.is_empty() {
        return (Kind::Mark, '\0');
    }
    let mut t = String::new();
    let mut kind = Kind::Normal;
    let mut stands_for = '\0';
    if let Some(letter) = latin_look_alike(c) {
        kind = Kind::LatinLeet;
        stands_for = letter;
    }
    let small = if is_small_letter(c) { SMALL } else { 0 };
    for d in s.chars() {
        let class = if is_ignorable(d) {
            Class::Sep
        } else {
            class_of(d)
        };
        let small = if class == Class::Word { small } else { 0 };
        exact.push((d, class, small));
        if class == Class::Sep {
            match look_alike(d) {
                Some(letters) => obf.extend(letters.chars().map(|e| (e, Class::Word, 0))),
                None => obf.push((' ', Class::Sep, 0)),
            }
            continue;
        }
        // A combining mark kept by the exact fold (`A҉`, a Thai tone mark
        // on a Latin letter) is dropped by the obfuscation fold: it
        // decorates the letter and would split the word.
        if class == Class::Attach {
            continue;
        }
        // A traditional character is read as its simplified form first,
        // then that form's skeleton: UTS #39 has its own readings of some
        // (`澤` is a confusable of `凙`), which are not OpenCC's.
        let written = match class {
            Class::Cjk => SIMPLIFIED.get(&d).copied().unwrap_or(d),
            _ => d,
        };
        // The jamo of a Hangul syllable (NFKD writes `안` as `ᄋ ᅡ ᆫ`) are
        // Korean letters, kept as they are: UTS #39 reads the initial `ᄋ`
        // as `o` (and `ᅵ` as `l`), which made any syllable that begins
        // with it, glued after a Latin word as Korean particles are, that
        // word's last letter (`Lum안`, `Marvel을`: `Lumo`, `Marvelo`). The
        // jamo written alone for a Latin letter are read so beside Latin
        // letters only ([`latin_look_alike`]).
        if is_hangul_syllable(c) {
            t.clear();
            t.push(d);
        } else {
            let skeleton: String =
                unicode_security::skeleton(written.encode_utf8(&mut buf)).collect();
            exact_chars(&skeleton, &mut t);
        }
        // A letter whose skeleton is a capital (Cherokee `Ꮇ`, Lisu `ꓟ`: `M`)
        // reads as that capital's lower case does (`m` is `rn`).
        if t.len() == 1 && t.is_ascii() && !d.is_ascii() {
            let lower: String = unicode_security::skeleton(&t).collect();
            if lower != t {
                exact_chars(&lower, &mut t);
            }
        }
        if !t.is_ascii()
            && let Some(letters) = look_alike(d)
        {
            t = letters;
        }
        // The turned capital `V` is drawn as the Greek `Λ` that fancy text
        // writes for `A` (`ɅURELLE`, as `ΛURΞLLΞ`): upright, it is read so.
        // Its small form, a `v` turned, stays `v` (`ʌᴉʞɥ`); upside-down
        // text reads both as `v` backwards ([`unflipped`]).
        if c == 'Ʌ' {
            t = String::from("a");
        }
        // A letter fancy text writes for another than its skeleton reads
        // (Greek `Λ`, which has none; Greek `Ν`, whose lower case `ν` is a
        // `v`): a Latin one in a Latin word.
        let fancy = match fancy_reading(c) {
            Some(reading) if class == Class::Word && (!t.is_ascii() || reading != t) => FANCY,
            _ => 0,
        };
        if fancy != 0 {
            kind = Kind::Fancy;
        }
        for e in t.chars() {
            if is_ignorable(e) {
                continue;
            }
            // `i` and `l` fold to `l`; remember which letter it was (a `1`
            // or `|` look-alike stands for either).
            let origin = match e {
                'i' => I_ORIGIN,
                // An `l` with a stroke is an `l` too (`Łysette`).
                'l' if d == 'l' || matches!(d, 'ł' | 'ƚ' | 'ᴌ' | 'ⱡ' | 'ꝉ') => L_ORIGIN,
                _ if d.is_ascii_digit() => DIGIT,
                _ => 0,
            };
            obf.push((leet(e), class, origin | small | fancy));
        }
    }
    (kind, stands_for)
}

/// The Latin letter a letter of another script is drawn as where it is
/// written inside or at the edge of a Latin word, read only there
/// ([`Kind::LatinLeet`]): the Hangul jamo `ㅣ` (U+3163, and the
/// conjoining U+1175), a plain vertical stroke, and the Han stroke `丨`
/// (with its Kangxi radical and the Hangzhou numeral one) for `l`
/// (`Aureㅣㅣe`, `Kestreㅣ`, `Aure丨丨e`), and `ㅇ` (U+3147, and the
/// conjoining U+110B), a plain circle, for `o` (`ㅇrvanta`). In Korean text
/// the conjoining ones follow or precede another jamo (NFD text, or NFKD
/// of a syllable, `이`), never a Latin letter: they stay Korean.
fn latin_look_alike(c: char) -> Option<char> {
    match c {
        'ㅣ' | 'ᅵ' | '丨' | '⼁' | '〡' => Some('l'),
        'ㅇ' | 'ᄋ' => Some('o'),
        _ if latin_look_alike_between_latin_only(c) => Some('l'),
        _ => drawn_as_latin_capital(c),
    }
}

/// The Latin letter that a Hangul or Bopomofo letter drawn as a Latin
/// capital stands for, read only beside a Latin letter
/// ([`latin_look_alike_beside_latin`]): the Bopomofo `ㄥ` and the Hangul
/// `ㄴ` (its conjoining and half-width forms too) for `L` (`ㄥysette`,
/// `ㄴysette`); the Bopomofo `ㄩ` for `U`, and the Hangul `ㄷ` and `ㅌ`, a
/// squared `C` and `E` (`Lㄩmo`, `ㄷoachlight`, `Aurㅌllㅌ`). (UTS #39 reads
/// the Bopomofo `ㄒ` as `T` already, everywhere.)
fn drawn_as_latin_capital(c: char) -> Option<char> {
    match c {
        'ㄥ' | 'ㄴ' | 'ᄂ' | 'ﾤ' => Some('l'),
        'ㄩ' => Some('u'),
        'ㄷ' | 'ᄃ' | 'ﾧ' => Some('c'),
        'ㅌ' | 'ᄐ' | 'ﾼ' => Some('e'),
        _ => None,
    }
}

/// Whether [`latin_look_alike`] reads `c` only beside a Latin letter
/// ([`beside_latin_letter`]: between two, or at a Latin word's edge with
/// no letter of another script on its other side): the Hangul and
/// Bopomofo letters drawn as Latin capitals ([`drawn_as_latin_capital`]:
/// `ㄥysette`, `ㄴysette`). Beside a letter of their own script, or of any
/// other, they stay what they are: Korean and Bopomofo text (`ㄴㄴ`,
/// `ㄅㄆㄇㄈ`, `안ㄴ`, `ㄷㄷ`) fold as before.
fn latin_look_alike_beside_latin(c: char) -> bool {
    drawn_as_latin_capital(c).is_some()
}

/// Whether [`latin_look_alike`] reads `c` only between two Latin letters
/// ([`between_latin_letters`]; a run of such characters in between,
/// `Aure׀׀e`): the Hebrew punctuation paseq `׀`, a plain vertical stroke
/// that Hebrew text writes between its own words, and the katakana `レ`
/// in its half-width form `ﾚ` (NFKC's full-width one too), drawn as an `l`
/// whose foot is bent (`Aureﾚﾚe`). Beside a letter of their own script,
/// or of any other, they stay what they are: Hebrew text and Japanese
/// text (`DVDレコーダー`) fold as before.
fn latin_look_alike_between_latin_only(c: char) -> bool {
    matches!(c, '\u{5C0}' | 'ﾚ' | 'レ')
}

/// Whether the character at `start..end` of `text` stands between two
/// Latin letters, past a run of letters read as Latin ones there
/// ([`latin_look_alike`]: `Aure׀ㅣe`) and what draws nothing ([`unseen`])
/// on either side. Apart: only these letters call it.
#[cold]
#[inline(never)]
fn between_latin_letters(text: &str, start: usize, end: usize) -> bool {
    let before = text
        .get(..start)
        .and_then(|b| past_look_alikes(b.chars().rev()));
    let after = text.get(end..).and_then(|a| past_look_alikes(a.chars()));
    before.is_some_and(is_latin_letter) && after.is_some_and(is_latin_letter)
}

/// The most characters read as Latin letters beside a Latin word, or
/// drawing nothing, that [`past_look_alikes`] walks over: more than any
/// word writes (`Aure׀׀e`), few enough that a text of thousands of them is
/// read in linear time, not walked whole at each.
const LOOK_ALIKE_RUN: usize = 16;

/// The first of `chars` past the characters read as Latin letters there
/// ([`latin_look_alike`]) and those that draw nothing ([`unseen`]); none
/// at the text's end, or past more than [`LOOK_ALIKE_RUN`] of them.
fn past_look_alikes(chars: impl Iterator<Item = char>) -> Option<char> {
    chars
        .take(LOOK_ALIKE_RUN + 1)
        .find(|&c| !unseen(c) && latin_look_alike(c).is_none())
}

/// Whether the character at `start..end` of `text` stands beside a Latin
/// letter, past a run of letters read as Latin ones there
/// ([`latin_look_alike`]) and what draws nothing ([`unseen`]), with no
/// letter of another script on its other side (`ㄥysette`, `Kestreㄴ`,
/// `Aureㄴㄴe`; not `ㄴ가`, `Kestreㄴ가`). Apart: only these letters call it.
#[cold]
#[inline(never)]
fn beside_latin_letter(text: &str, start: usize, end: usize) -> bool {
    let before = text
        .get(..start)
        .and_then(|b| past_look_alikes(b.chars().rev()));
    let after = text.get(end..).and_then(|a| past_look_alikes(a.chars()));
    let foreign = |c: Option<char>| c.is_some_and(|c| c.is_alphabetic() && !is_latin_letter(c));
    (before.is_some_and(is_latin_letter) && !foreign(after))
        || (after.is_some_and(is_latin_letter) && !foreign(before))
}

/// Whether [`latin_look_alike`] reads `c` at a Latin word's edge too
/// (`Kestreㅣ`, `ㅇrvanta`, `ㄥysette`), not only inside one: not the Han
/// stroke `丨` and its forms, which Chinese titles write as a divider
/// between words, glued to them (`Aurelle丨 男表`), as `|` is.
fn latin_look_alike_at_edges(c: char) -> bool {
    matches!(c, 'ㅣ' | 'ᅵ' | 'ㅇ' | 'ᄋ') || latin_look_alike_beside_latin(c)
}

/// Writes `text` into `out` (cleared first) with each run of letters that
/// the fold reads as Latin ones at a word's edge too
/// ([`latin_look_alike_at_edges`]) that touches a word on one side only
/// (`Aurrelleㅣ 남성`, `ㅣysette`) written as spaces, as many as its bytes,
/// so that the text keeps its byte offsets; returns whether it wrote any.
/// There the fold read the run as a word's first or last letters, and it
/// is as often a divider of Korean titles: the word without it is read
/// too ([`FoldedText::reads_latin_look_alikes`]).
pub(crate) fn without_edge_look_alikes(text: &str, out: &mut String) -> bool {
    out.clear();
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() && !is_cjk(c));
    let mut wrote = false;
    let mut rest = text;
    while let Some(at) = rest.find(latin_look_alike_at_edges) {
        let run = rest[at..]
            .find(|c| !latin_look_alike_at_edges(c))
            .map_or(rest.len(), |n| at + n);
        let before = rest[..at].chars().next_back().or(out.chars().next_back());
        let after = rest[run..].chars().next();
        out.push_str(&rest[..at]);
        if word(before) != word(after) {
            out.extend(std::iter::repeat_n(' ', run - at));
            wrote = true;
        } else {
            out.push_str(&rest[at..run]);
        }
        rest = &rest[run..];
    }
    out.push_str(rest);
    wrote
}

/// Whether `c` is a letter or digit of fancy text (circled, parenthesized,
/// mathematical, double-struck, small capital, superscript, modifier:
/// `Ⓐ`, `𝐀`, `ℂ`, `ᴀ`, `①`, `¹`, `ʰ`) that reads as one ASCII letter or
/// digit. Looked up only in the blocks that hold them, so that CJK text
/// costs a range test a character; not the regional indicators (`🇦`),
/// which draw flags in pairs.
pub(crate) fn fancy_alphanumeric(c: char) -> bool {
    if !matches!(
        c,
        '\u{AA}'
            | '\u{B2}'
            | '\u{B3}'
            | '\u{B9}'
            | '\u{BA}'
            | '\u{2B0}'..='\u{2FF}'
            | '\u{1D00}'..='\u{1DBF}'
            | '\u{2070}'..='\u{209F}'
            | '\u{2100}'..='\u{214F}'
            | '\u{2460}'..='\u{24FF}'
            | '\u{1D400}'..='\u{1D7FF}'
            | '\u{1F100}'..='\u{1F1E5}'
    ) {
        return false;
    }
    let mut nfkc = std::iter::once(c).nfkc();
    if let (Some(one), None) = (nfkc.next(), nfkc.next())
        && one.is_ascii_alphanumeric()
    {
        return true;
    }
    // Small capitals are Latin letters, which NFKC keeps.
    cured(c, decancer::Options::default())
        .is_some_and(|s| s.len() == 1 && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// What decancer reads `c` as with `options`, if anything.
fn cured(c: char, options: decancer::Options) -> Option<String> {
    match decancer::cure_char(c, options) {
        decancer::Translation::Character(ch) => Some(ch.to_string()),
        decancer::Translation::String(s) => Some(s.to_string()),
        decancer::Translation::None => None,
    }
}

/// The Latin letters decancer reads a letter of another script as, as
/// fancy-text generators use it (`Λ` → `a`, `Я` → `r`; [`FANCY`]), if one
/// to three ASCII letters.
fn fancy_reading(c: char) -> Option<String> {
    if c.is_ascii() || CodePointMapData::<Script>::new().get(c) == Script::Latin {
        return None;
    }
    let letters = cured(c, decancer::Options::default())?;
    (!letters.is_empty() && letters.len() <= 3 && letters.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| letters.to_ascii_lowercase())
}

// ---------------------------------------------------------------------------
// The fold driver.

/// Writes one level: collapses separators, resolves attached marks.
struct Writer<'a> {
    out: &'a mut FoldedText,
    /// Original span of the separator run waiting to be written as one
    /// space (only written if a character follows).
    pending_sep: Option<(u32, u32)>,
    /// Flags of the last character written ([`KIND_FLAGS`]; 0 after a
    /// separator or at start), and [`AFTER_BLANK`].
    last: u8,
    /// Original start of the current word's first character.
    word_src: u32,
    /// The current word comes from a single original character.
    word_single: bool,
    /// The previous word came from a single original character.
    prev_single: bool,
    /// Two single-letter words were seen in a row, or a single CJK
    /// character: the single-letter pass may have work to do.
    adjacent_singles: bool,
    /// A [`Kind::Fancy`] character was folded: the mixed-word pass may have
    /// work to do.
    fancy: bool,
    /// A bidi control that can reorder Latin text was seen
    /// ([`is_reordering_control`]): the obfuscation fold is made again in
    /// display order ([`fold_in_display_order`]).
    reorders: bool,

    /// Where a word boundary may be allowed after all: after a superscript
    /// letter ([`SMALL`]) and where an invisible character was removed
    /// ([`Writer::soft_boundaries`]). Empty for most texts, so the common
    /// path never looks at it.
    soft_at: Vec<usize>,
}

impl<'a> Writer<'a> {
    fn new(out: &'a mut FoldedText) -> Self {
        out.clear();
        Self {
            out,
            pending_sep: None,
            last: 0,
            word_src: 0,
            word_single: false,
            prev_single: false,
            adjacent_singles: false,
            fancy: false,
            reorders: false,
            soft_at: Vec::new(),
        }
    }

    /// Allows a word boundary ([`BOUNDARY`]) at each position of `soft_at`
    /// that falls between two word characters, unless both are small
    /// letters:
    /// - after a superscript or subscript letter followed by an ordinary
    ///   one (`Aurelleᵀᴹ` shows `Aurelle`; the change the other way is
    ///   marked as the small letter is written);
    /// - where the obfuscation fold removed an invisible character
    ///   (default-ignorable: a zero-width space, a Hangul filler): a seller
    ///   who writes fillers for spaces (`Genuine\u{3164}Aurelle\u{3164}watch`,
    ///   which a buyer reads with spaces) still shows `Aurelle` as a word,
    ///   while `Aur\u{200B}elle` is still `Aurelle`.
    fn soft_boundaries(&mut self) {
        let src = &mut self.out.src;
        for &at in &self.soft_at {
            if at == 0 || at >= src.len() {
                continue;
            }
            let (before, after) = (src[at - 1].flags, src[at].flags);
            if before & after & WORD != 0 && before & after & SMALL == 0 {
                src[at].flags |= BOUNDARY;
            }
        }
    }

    /// Closes the current word (if any) for the single-letter trigger.
    #[inline]
    fn close_word(&mut self) {
        if self.last != 0 {
            self.adjacent_singles |= self.word_single && (self.prev_single || self.last & CJK != 0);
            self.prev_single = self.word_single;
        }
    }

    #[inline]
    fn sep(&mut self, start: u32, end: u32) {
        self.close_word();
        match &mut self.pending_sep {
            Some(p) => p.1 = end,
            None => {
                if !self.out.text.is_empty() {
                    self.pending_sep = Some((start, end));
                }
            }
        }
        self.last = 0;
    }

    // Always inlined: it runs once per character and level, and a call
    // spent about as much on saving registers as on its work.
    #[inline(always)]
    fn ch(&mut self, c: char, class: Class, origin: u8, start: u32, end: u32) {
        let flags = match class {
            // A change between superscript and ordinary letters may end a
            // word ([`SMALL`]).
            Class::Word if origin & SMALL != 0 => {
                let after_ordinary = self.last & WORD != 0
                    && self.out.src.last().is_some_and(|s| s.flags & SMALL == 0);
                if after_ordinary {
                    WORD | BOUNDARY | origin
                } else {
                    WORD | origin
                }
            }
            Class::Word => WORD | origin,
            Class::Cjk => {
                self.out.cjk = true;
                CJK
            }
            Class::Attach => {
                if self.last == 0 {
                    WORD
                } else {
                    self.last & KIND_FLAGS
                }
            }
            Class::Sep => {
                self.sep(start, end);
                return;
            }
        };
        if let Some((s, e)) = self.pending_sep.take() {
            self.out.push(' ', 0, s, e);
        }
        if self.last == 0 {
            self.word_src = start;
            self.word_single = true;
        } else if start != self.word_src {
            self.word_single = false;
        }
        self.note_number(flags);
        self.out.push(c, flags, start, end);
        if flags & SMALL != 0 {
            // The letter after this small one may start a word
            // ([`Writer::soft_boundaries`]).
            self.soft_at.push(self.out.text.len());
        }
        self.last = flags & KIND_FLAGS;
    }

    /// Notes where a word begins with a [`DIGIT`] byte
    /// ([`FoldedText::numbers`]), before that byte (`flags`) is written.
    #[inline(always)]
    fn note_number(&mut self, flags: u8) {
        if flags & DIGIT != 0 && self.last & (WORD | AFTER_BLANK) != WORD {
            self.out.numbers.push(self.out.src.len());
        }
    }

    /// [`Writer::ch`] of a one-byte character folded to the ASCII word
    /// byte `b` (`flags`: [`WORD`] and origins).
    #[inline(always)]
    fn ascii_word(&mut self, b: u8, flags: u8, start: u32) {
        if self.last == 0 {
            // A separator is pending only after a separator (`last` 0).
            if let Some((s, e)) = self.pending_sep.take() {
                self.out.push_ascii(b' ', 0, s, e);
            }
            self.word_src = start;
            self.word_single = true;
        } else {
            // A later character than the word's first.
            self.word_single = false;
        }
        self.note_number(flags);
        self.out.push_ascii(b, flags, start, start + 1);
        self.last = WORD;
    }

    /// Writes the held leet characters (`@ $ + | ! ¡ € £ ¥ ¢ ©` after a word character,
    /// `Te$$aro`): the letters they stand for if a word character follows,
    /// else separators.
    ///
    /// The exact fold reads them as separators (`Aurelle|Men's`: two
    /// words), so a word boundary stays allowed before and after each
    /// letter ([`BOUNDARY`]): a name is found on either side of one
    /// (`Aurelle`) as well as across it (`Aure|le`). Returns the flag the
    /// character after them carries: [`BOUNDARY`] if they were letters.
    #[inline(always)]
    fn release_leet(&mut self, held: &mut HeldLeet, word_follows: bool) -> u8 {
        if held.len == 0 {
            return 0;
        }
        for &(letter, start, end) in &held.chars[..usize::from(held.len)] {
            if word_follows {
                self.ch(letter, Class::Word, BOUNDARY, start, end);
            } else {
                self.sep(start, end);
            }
        }
        held.len = 0;
        if word_follows { BOUNDARY } else { 0 }
    }

    /// Extends the last written character's span to `end` (a diacritic
    /// that folded to nothing).
    #[inline]
    fn extend(&mut self, end: u32) {
        if self.pending_sep.is_none()
            && self.last != 0
            && let Some(last) = self.out.src.last_mut()
        {
            last.end = end;
        }
    }
}

/// Leet characters held until we know whether a word character follows
/// them: at most [`HeldLeet::MAX`] in a row (`Marve||o`).
#[derive(Clone, Copy, Default)]
struct HeldLeet {
    chars: [(char, u32, u32); HeldLeet::MAX],
    len: u8,
    /// Every character held is a [`Kind::LatinLeet`] one: at a Latin
    /// word's edge too it is the letter it is drawn as (`Kestreㅣ`), unless
    /// CJK text follows, whose letter it is then.
    latin: bool,
}

impl HeldLeet {
    const MAX: usize = 3;

    /// Holds one more; false when full.
    fn push(&mut self, held: (char, u32, u32)) -> bool {
        let Some(slot) = self.chars.get_mut(usize::from(self.len)) else {
            return false;
        };
        *slot = held;
        self.len += 1;
        true
    }
}

/// Folds `text` into both levels at once.
pub(crate) fn fold_both(text: &str, exact: &mut FoldedText, obf: &mut FoldedText) {
    fold_levels::<true, true>(text, exact, obf);
}

/// Folds `text` at the exact level only (`obf` is left empty).
pub(crate) fn fold_exact_only(text: &str, exact: &mut FoldedText, obf: &mut FoldedText) {
    fold_levels::<false, true>(text, exact, obf);
}

/// The fold driver; the obfuscation level is skipped unless `OBF`, and the
/// ASCII shortcut ([`Table::ascii`]) unless `ASCII` (tests compare both).
fn fold_levels<const OBF: bool, const ASCII: bool>(
    text: &str,
    exact: &mut FoldedText,
    obf: &mut FoldedText,
) {
    let table = &*TABLE;
    let limit = u32::MAX as usize;
    let text = if text.len() > limit {
        let mut cut = limit;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        &text[..cut]
    } else {
        text
    };
    let mut ex = Writer::new(exact);
    let mut ob = Writer::new(obf);
    ex.out.reserve(text.len() + 8);
    if OBF {
        ob.out.reserve(text.len() + text.len() / 4 + 8);
    }
    // Leet characters held until we know whether a word character follows.
    let mut held = HeldLeet::default();
    let mut scratch_exact = Vec::new();
    let mut scratch_obf = Vec::new();
    let bytes = text.as_bytes();
    // A mask seen ([`Entry::MASK`]: [`is_mask`], [`FoldedText::may_mask`]),
    // a mark of upside-down text ([`Entry::FLIPPED`],
    // [`FoldedText::may_be_flipped`]), a letter that may be read as a Latin
    // one at a word's edge ([`Entry::LATIN_EDGE`],
    // [`FoldedText::reads_latin_look_alikes`]): one byte of all, so that
    // noting the others costs a character nothing more.
    let mut noted = 0u8;
    // A letter of an alphabet other than Latin (Greek to Georgian) seen
    // ([`FoldedText::mark_script_changes`]).
    let mut alphabets = false;
    let mut offset = 0;
    while offset < bytes.len() {
        // Both fit in u32: the text was cut to u32::MAX bytes.
        let start = offset as u32;
        // Most characters of a title: one ASCII byte per level, no leet or
        // mark, read without decoding.
        if ASCII
            && let Some(&fold) = table.ascii.get(usize::from(bytes[offset]))
            && fold.simple
        {
            offset += 1;
            if fold.word {
                ex.ascii_word(fold.exact, WORD, start);
            } else {
                noted |= fold.origin;
                ex.sep(start, start + 1);
            }
            if OBF {
                let letters = fold.word || held.latin;
                let after_leet = ob.release_leet(&mut held, letters);
                if fold.word {
                    ob.ascii_word(fold.obf, WORD | fold.origin | after_leet, start);
                } else {
                    ob.sep(start, start + 1);
                }
            }
            if fold.word {
                // The rest of the word's simple bytes: each only adds
                // itself to the word (no separator pending, no leet held, no
                // number begun), so the writers' state is left as it is.
                let first = offset;
                while let Some(&b) = bytes.get(offset)
                    && let Some(&next) = table.ascii.get(usize::from(b))
                    && next.simple
                    && next.word
                {
                    let at = offset as u32;
                    ex.out.push_ascii(next.exact, WORD, at, at + 1);
                    if OBF {
                        ob.out.push_ascii(next.obf, WORD | next.origin, at, at + 1);
                    }
                    offset += 1;
                }
                if offset > first {
                    ex.word_single = false;
                    if OBF {
                        ob.word_single = false;
                    }
                }
            }
            continue;
        }
        let Some(c) = text.get(offset..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        offset += c.len_utf8();
        let end = offset as u32;
        let cp = c as u32;
        let (entry, items): (Entry, &[Item]) = if cp < TABLE_SIZE {
            let mut entry = table.entries[cp as usize];
            if entry.bits & Entry::REGIONAL != 0
                && lone_regional_indicator(text, start as usize, offset)
            {
                // The squared letter's reading at the obfuscation level; the
                // exact fold reads the symbol as before (a separator).
                let squared = table.entries[squared_for_regional(cp) as usize];
                entry.obf_start = squared.obf_start;
                entry.obf_len = squared.obf_len;
            }
            (entry, &table.items)
        } else {
            let (kind, leet) = compute(c, &mut scratch_exact, &mut scratch_obf);
            let exact_len = scratch_exact.len();
            scratch_exact.extend_from_slice(&scratch_obf);
            let entry = Entry {
                exact_start: 0,
                obf_start: exact_len as u32,
                exact_len: exact_len as u8,
                obf_len: scratch_obf.len() as u8,
                kind,
                // Every mask and alphabet is in the table's range.
                bits: 0,
                leet,
            };
            (entry, scratch_exact.as_slice())
        };
        noted |= entry.bits & (Entry::MASK | Entry::FLIPPED | Entry::LATIN_EDGE);
        alphabets |= entry.bits & Entry::ALPHABET != 0;
        match entry.kind {
            Kind::Mark => {
                ex.extend(end);
                if OBF {
                    ob.extend(end);
                }
                continue;
            }
            Kind::Ignorable => {
                ex.sep(start, end);
                if OBF {
                    // Leet symbols before a blank end their word, as before
                    // a space (`Lu|\u{3164}mo`).
                    let blank = draws_as_blank(c);
                    if blank {
                        let latin = held.latin;
                        let _ = ob.release_leet(&mut held, latin);
                    }
                    if ob.last & WORD != 0 && leaves_boundary(c) {
                        ob.soft_at.push(ob.out.text.len());
                        if blank {
                            ob.out.blanks.push(end);
                            ob.last |= AFTER_BLANK;
                        }
                    }
                    ob.reorders |= is_reordering_control(c);
                }
                continue;
            }
            Kind::Fancy => {
                if OBF {
                    ob.fancy = true;
                }
            }
            Kind::Leet | Kind::Normal | Kind::LatinLeet => {}
        }
        let ex_items = &items[entry.exact_start as usize..][..usize::from(entry.exact_len)];
        for &(d, class, small) in ex_items {
            ex.ch(d, class, small, start, end);
        }
        if !OBF {
            continue;
        }
        // Obfuscation level: resolve a held leet character first.
        let ob_items = &items[entry.obf_start as usize..][..usize::from(entry.obf_len)];
        let starts_word = ob_items
            .first()
            .is_some_and(|&(_, class, _)| class == Class::Word);
        // After a word character, or after leet characters held after one:
        // a leet symbol is held (up to a few in a row). Not right after a
        // blank (`Lu\u{3164}|mo`): there a symbol begins a word, as after a
        // space.
        let after_word =
            || held.len > 0 || (ob.last & (WORD | AFTER_BLANK) == WORD && ob.pending_sep.is_none());
        // A letter drawn as a Latin one ([`Kind::LatinLeet`]) inside or at
        // the edge of a Latin word: after one (held as leet symbols are),
        // or before one, not after CJK text (`ㅣysette`).
        // One read only between two Latin letters, after one as written
        // and before another (`Aure׀׀e`), is held only there, so it is
        // always released as letters: elsewhere it is written as itself,
        // as before (`DVDレコーダー`, Hebrew text).
        // One read only beside a Latin letter (`ㄥysette`) is held at a
        // word's edge too, but only there, never beside CJK text.
        let edges = entry.bits & Entry::LATIN_EDGE != 0;
        let latin = entry.kind == Kind::LatinLeet
            && match entry.bits & Entry::LATIN_BESIDE {
                Entry::LATIN_ONLY => {
                    after_word() && between_latin_letters(text, start as usize, offset)
                }
                Entry::LATIN_BESIDE => {
                    ob.last & CJK == 0 && beside_latin_letter(text, start as usize, offset)
                }
                _ => {
                    after_word()
                        || (edges
                            && ob.last & CJK == 0
                            && text
                                .get(offset..)
                                .and_then(|rest| rest.chars().next())
                                .is_some_and(is_latin_letter))
                }
            };
        if entry.kind == Kind::Leet || latin {
            let after_word = after_word() || latin;
            let was_latin = held.len == 0 || held.latin;
            // `+` after a digit is arithmetic or a count (`10+12`, `2+1`):
            // the numbers keep their digits.
            let after_digit = entry.leet == 't'
                && held.len == 0
                && ob.out.src.last().is_some_and(|s| s.flags & DIGIT != 0);
            let held_one = !after_digit && after_word && held.push((entry.leet, start, end));
            // A double or triple bar is two or three letters, each with its
            // span (`Aure‖e`).
            let more = match entry.bits & (Entry::DOUBLE | Entry::TRIPLE) {
                Entry::DOUBLE => 1,
                Entry::TRIPLE => 2,
                _ => 0,
            };
            let held_all = held_one && (0..more).all(|_| held.push((entry.leet, start, end)));
            held.latin = latin && edges && was_latin;
            if !held_all {
                let _ = ob.release_leet(&mut held, false);
                ob.sep(start, end);
            }
            continue;
        }
        let starts_cjk = ob_items
            .first()
            .is_some_and(|&(_, class, _)| class == Class::Cjk);
        let letters = starts_word || (held.latin && !starts_cjk);
        let mut after_leet = ob.release_leet(&mut held, letters);
        if ob_items.is_empty() {
            // A kept mark of the exact fold (dropped here): part of the
            // character before it.
            ob.extend(end);
        }
        for &(d, class, origin) in ob_items {
            ob.ch(d, class, origin | after_leet, start, end);
            after_leet = 0;
        }
    }
    let latin = held.latin;
    let _ = ob.release_leet(&mut held, latin);
    ob.close_word();
    if OBF {
        ob.out.masked = noted & Entry::MASK != 0;
        ob.out.flipped = noted & Entry::FLIPPED != 0;
        ob.out.latin_look_alikes = noted & Entry::LATIN_EDGE != 0;
    }
    if !ex.soft_at.is_empty() {
        ex.soft_boundaries();
    }
    if alphabets {
        exact.mark_script_changes(text);
    }
    if ob.reorders {
        // The exact fold keeps the order written; the obfuscation fold
        // reads the text as shown.
        fold_in_display_order(text, obf);
        return;
    }
    if !ob.soft_at.is_empty() {
        ob.soft_boundaries();
    }
    let (join, fancy) = (ob.adjacent_singles, ob.fancy);
    if fancy {
        obf.fancy = true;
        obf.read_mixed_words(text);
    }
    if join {
        obf.join_single_letters(text);
    }
    if alphabets {
        obf.mark_script_changes(text);
    }
    obf.place_blanks();
    // A number's first byte is noted; a fancy letter read may have
    // changed which bytes are words. The table walk, the tests' reference,
    // reads every word.
    if fancy || !ASCII || !obf.numbers.is_empty() {
        obf.keep_numbers(join || fancy || !ASCII);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_mask_is_in_the_folds_table() {
        // The slow path past the table notes no mask and no other
        // alphabet ([`Entry::bits`]).
        let past = || (TABLE_SIZE..=u32::from(char::MAX)).filter_map(char::from_u32);
        assert_eq!(past().filter(|&c| masks_a_letter(c)).count(), 0);
        assert_eq!(past().filter(|&c| is_other_alphabet(c)).count(), 0);
        assert_eq!(past().filter(|&c| flip_marker(c)).count(), 0);
        for c in ['*', '＊', '﹡', '﹍', '︳', '︖', '♦'] {
            assert!(TABLE.entries[c as usize].bits & Entry::MASK != 0, "{c}");
        }
        assert_eq!(TABLE.entries['-' as usize].bits, 0);
        assert_eq!(TABLE.entries['ж' as usize].bits, Entry::ALPHABET);
        assert_eq!(std::mem::size_of::<Entry>(), 16);
    }

    #[test]
    fn letters_with_a_stroke_fold_to_their_letters() {
        for &(stroked, letter) in &STROKED_LETTERS {
            let (mut exact, mut obf) = (FoldedText::new(), FoldedText::new());
            fold_both(&format!("x{stroked}x"), &mut exact, &mut obf);
            assert_eq!(obf.as_str(), format!("x{}x", leet(letter)), "{stroked}");
            // Their capitals too.
            for upper in stroked.to_uppercase() {
                fold_both(&format!("x{upper}x"), &mut exact, &mut obf);
                assert_eq!(obf.as_str(), format!("x{}x", leet(letter)), "{upper}");
            }
        }
    }

    #[test]
    fn traditional_characters_read_as_simplified_ones_when_obfuscated() {
        for (text, obf) in [
            ("奧瑞爾 機械錶", "奥瑞尔 机械表"),
            ("蒙克萊爾鋼筆", "蒙克莱尔钢笔"),
            ("複刻 原單", "复刻 原单"),
            // Simplified before the skeleton, which reads `澤` as `凙`.
            ("澤菲琳", &fold_obfuscated("泽菲琳")),
            // Simplified text stays as it is.
            (
                "奥瑞尔 著名 后来 头发 干净 里面",
                "奥瑞尔 著名 后来 头发 干净 里面",
            ),
        ] {
            assert_eq!(fold_obfuscated(text), obf, "{text}");
        }
        // The exact fold keeps what is written.
        assert_eq!(fold_exact("奧瑞爾"), "奧瑞爾");
        // OpenCC's table has some four thousand such characters.
        assert!(SIMPLIFIED.len() > 3000, "{}", SIMPLIFIED.len());
    }

    #[test]
    fn listed_punctuation_letters_are_separators_other_such_letters_not() {
        for c in PUNCTUATION_LETTERS {
            let word = format!("ab{c}cd");
            assert_eq!(fold_exact(&word), "ab cd", "{c}");
            assert_eq!(fold_obfuscated(&word), "ab cd", "{c}");
        }
        // Letters whose skeleton is punctuation but which are letters of
        // their words: Katakana `ノ`, Hebrew `י`.
        for word in ["ブルーノ", "דיור"] {
            assert!(!fold_exact(word).contains(' '), "{word}");
            assert!(!fold_obfuscated(word).contains(' '), "{word}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// The ASCII shortcut folds exactly as the table walk does, at both
        /// levels and for the exact level alone. The table walk also reads
        /// every word for numbers, so the second kind of text holds the
        /// noted numbers to all of them: beside CJK characters, blanks,
        /// marks, joined single letters, fancy letters and leet symbols.
        #[test]
        fn the_ascii_shortcut_folds_as_the_table_walk(
            text in prop_oneof![
                "([ -~]|[éİıІіӏ｜１\u{200B}\u{0301}奥瑞尔]){0,40}",
                "([0-9]{1,4}|[a-z]{1,3}|[ .|@]|[奥\u{3164}\u{200B}\u{301}ΛЯ]|e\u{301}){0,24}",
            ]
        ) {
            let mut fast = (FoldedText::new(), FoldedText::new());
            let mut slow = (FoldedText::new(), FoldedText::new());
            fold_levels::<true, true>(&text, &mut fast.0, &mut fast.1);
            fold_levels::<true, false>(&text, &mut slow.0, &mut slow.1);
            prop_assert_eq!(&fast, &slow);
            fold_levels::<false, true>(&text, &mut fast.0, &mut fast.1);
            fold_levels::<false, false>(&text, &mut slow.0, &mut slow.1);
            prop_assert_eq!(&fast, &slow);
        }
    }

    proptest! {
        /// Words found by their runs' two searches are the words the
        /// general reader finds in a fold without blanks.
        #[test]
        fn plain_words_are_the_words_of_a_fold_without_blanks(
            text in "([ -~]|[é1İ奥瑞\u{200B}]){0,40}"
        ) {
            let (mut exact, mut obf) = (FoldedText::new(), FoldedText::new());
            fold_both(&text, &mut exact, &mut obf);
            for fold in [&exact, &obf] {
                let plain: Vec<_> = plain_words(&fold.src).collect();
                let general: Vec<_> = words(&fold.src, &[]).collect();
                prop_assert_eq!(plain, general);
            }
        }
    }

    /// The letter after an apostrophe ending a longer word is no single
    /// letter to join (`men's 5` is a size); single letters still join,
    /// apostrophes between them too.
    #[test]
    fn a_possessive_ending_is_no_single_letter() {
        for (text, folded) in [
            ("men's 5 shoes", "rnen s 5 shoes"),
            ("women’s 7 wide", "wornen s 7 wlde"),
            ("C a r t 1 e r", "cartler"),
            ("C'a'r't'i'e'r", "cartler"),
            ("Men 's 5", "rnen ss"),
        ] {
            assert_eq!(fold_obfuscated(text), folded, "{text:?}");
        }
    }

    /// Numbers keep their digits after a separator, a CJK character and a
    /// blank, and a word whose blank the fold did not keep (a mark after it
    /// extends the letter before) is no number.
    #[test]
    fn numbers_keep_their_digits_wherever_they_begin() {
        for (text, folded) in [
            ("Marvel 10", "rnarvel 10"),
            ("手表2024", "手表2024"),
            ("Aurelle\u{3164}2024", "aurelle2024"),
            ("C4rtier 4", "cartler 4"),
            ("a\u{3164}\u{301}0", "ao"),
        ] {
            let (mut exact, mut obf) = (FoldedText::new(), FoldedText::new());
            fold_levels::<true, true>(text, &mut exact, &mut obf);
            assert_eq!(obf.as_str(), folded, "{text:?}");
        }
    }

    /// Long words, leet and marks inside them, and a CJK character before
    /// letters: the ASCII shortcut folds them as the table walk does.
    #[test]
    fn long_words_fold_as_the_table_walk() {
        let long = "Abcdefghij".repeat(15);
        for text in [
            long.clone(),
            format!("x {long} y"),
            format!("{long}@{long}!"),
            format!("C4rt1er{long}e\u{301}{long}"),
            format!("奥{long} L0uis|Vuitton"),
        ] {
            let mut fast = (FoldedText::new(), FoldedText::new());
            let mut slow = (FoldedText::new(), FoldedText::new());
            fold_levels::<true, true>(&text, &mut fast.0, &mut fast.1);
            fold_levels::<true, false>(&text, &mut slow.0, &mut slow.1);
            assert_eq!(fast, slow, "{text}");
            fold_levels::<false, true>(&text, &mut fast.0, &mut fast.1);
            fold_levels::<false, false>(&text, &mut slow.0, &mut slow.1);
            assert_eq!(fast, slow, "{text}");
        }
    }
}

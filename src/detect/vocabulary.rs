//! Ordinary words: a word written as an ordinary word of the language is
//! not a misspelt brand name.
//!
//! In a registry of 100,000 brands, most ordinary title words are within
//! one edit of some name (`steel` of `Steal`, `strap` of `Steap`, `case`
//! of `Cease`): fuzzy matching them would send most clean listings to
//! review. So a fuzzy match ([`super::Evidence::TextFuzzy`]) is not
//! reported when every word of its run, as written, is an ordinary word
//! (`porch light` is not `Coachlight`); exact and obfuscated matches are
//! unaffected, and a run with one word that is not ordinary (`Maison
//! Verlain`) is still matched.
//!
//! The words are the lowercase entries of SCOWL's American and British
//! English lists as Debian ships them (`wamerican`, `wbritish`, size 50:
//! 65,525 words, inflections included, proper nouns excluded), in
//! `vocabulary/en.txt`; `vocabulary/COPYRIGHT` is their licence. They are
//! folded like listing text (the obfuscation fold, `i` and `l` told apart),
//! so a word is looked up by the letters the scan already has.

use std::sync::LazyLock;

use super::normalize::{FoldedText, Level};

/// The word list, one lowercase word a line.
const ENGLISH: &str = include_str!("vocabulary/en.txt");

/// Every word of [`ENGLISH`] as the scan's letters ([`super::index`]).
static ORDINARY: LazyLock<hashbrown::HashSet<Box<[u32]>>> = LazyLock::new(|| {
    let mut folded = FoldedText::new();
    folded.fold(ENGLISH, Level::Obfuscation);
    let mut words = Vec::new();
    let mut word_chars = Vec::new();
    let mut letters = Vec::new();
    super::index::split_words(
        &folded,
        0..folded.len(),
        &mut words,
        &mut word_chars,
        &mut letters,
    );
    word_chars
        .iter()
        .map(|&(a, b)| letters[a..b].into())
        .collect()
});

/// Whether `letters` (one word, as [`super::index`] reads it) is an
/// ordinary word.
pub(crate) fn is_ordinary(letters: &[u32]) -> bool {
    ORDINARY.contains(letters)
}

/// Builds the set now (tens of milliseconds) instead of on the first
/// fuzzy lookup; [`super::BrandIndex::build`] calls it.
pub(crate) fn warm_up() {
    LazyLock::force(&ORDINARY);
}

/// Words in the set.
#[cfg(test)]
pub(crate) fn len() -> usize {
    ORDINARY.len()
}

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
//! `vocabulary/en.txt`; `vocabulary/COPYRIGHT` is their licence. A
//! deployment adds other languages' words at start-up
//! ([`add_ordinary_words`], `marque serve --ordinary-words`). They are
//! folded like listing text (the obfuscation fold, `i` and `l` told apart),
//! so a word is looked up by the letters the scan already has.

use std::sync::OnceLock;

use super::normalize::{FoldedText, Level};

/// The word list, one lowercase word a line.
const ENGLISH: &str = include_str!("vocabulary/en.txt");

/// The words as the scan's letters ([`super::index`]): [`ENGLISH`] and
/// those given to [`add_ordinary_words`] before the first use.
static ORDINARY: OnceLock<hashbrown::HashSet<Box<[u32]>>> = OnceLock::new();

/// [`add_ordinary_words`] came after the words were first used: they are
/// fixed for the life of the process (a thread's memo of word lookups
/// remembers which words are ordinary).
#[derive(Debug, thiserror::Error)]
#[error("ordinary words can be added only at start-up, before any detection index is built")]
pub struct VocabularyInUse;

/// Every word of `texts` (any separators; folded as listing text) as the
/// scan's letters. Folded a line at a time, so a long list never needs a
/// fold of its whole text (12 bytes a byte).
fn words_of(texts: &[&str]) -> hashbrown::HashSet<Box<[u32]>> {
    let mut set = hashbrown::HashSet::new();
    let mut folded = FoldedText::new();
    let (mut words, mut word_chars, mut letters) = (Vec::new(), Vec::new(), Vec::new());
    for line in texts.iter().flat_map(|text| text.lines()) {
        folded.fold(line, Level::Obfuscation);
        super::index::split_words(
            &folded,
            0..folded.len(),
            &mut words,
            &mut word_chars,
            &mut letters,
        );
        set.extend(word_chars.iter().map(|&(a, b)| Box::from(&letters[a..b])));
    }
    set
}

fn ordinary() -> &'static hashbrown::HashSet<Box<[u32]>> {
    ORDINARY.get_or_init(|| words_of(&[ENGLISH]))
}

/// Adds words to the built-in English ones, for listings in other
/// languages: every word of `texts` (one a line, or any separators) is
/// ordinary. Call it once, at start-up, before any [`super::BrandIndex`]
/// is built (`marque serve --ordinary-words`). Returns how many words the
/// set then holds.
///
/// # Errors
/// [`VocabularyInUse`] once the words have been used (or set).
pub fn add_ordinary_words(texts: &[&str]) -> Result<usize, VocabularyInUse> {
    let mut all = vec![ENGLISH];
    all.extend_from_slice(texts);
    let set = words_of(&all);
    let len = set.len();
    ORDINARY.set(set).map_err(|_| VocabularyInUse)?;
    Ok(len)
}

/// Whether `letters` (one word, as [`super::index`] reads it) is an
/// ordinary word.
pub(crate) fn is_ordinary(letters: &[u32]) -> bool {
    ordinary().contains(letters)
}

/// Whether `word`, ASCII letters as written (any case), is an ordinary
/// word: its letters as the scan reads them (lower case, `m` as `rn`, `i`
/// and `l` told apart), without a fold. False for any other character, or
/// a word longer than any ordinary one.
pub(crate) fn is_ordinary_ascii(word: &str) -> bool {
    const MAX: usize = 64;
    let mut letters = [0u32; MAX];
    let mut n = 0;
    for b in word.bytes() {
        if !b.is_ascii_alphabetic() {
            return false;
        }
        let b = b.to_ascii_lowercase();
        let read: &[u8] = if b == b'm' {
            b"rn"
        } else {
            std::slice::from_ref(&b)
        };
        for &r in read {
            let Some(slot) = letters.get_mut(n) else {
                return false;
            };
            *slot = u32::from(r);
            n += 1;
        }
    }
    is_ordinary(&letters[..n])
}

/// The number of letters of the longest ordinary word: a longer run of
/// letters is no ordinary word, nor two of them glued when twice as long
/// (so a caller need not look up every split of a long run).
pub(crate) fn longest() -> usize {
    static LONGEST: OnceLock<usize> = OnceLock::new();
    *LONGEST.get_or_init(|| ordinary().iter().map(|w| w.len()).max().unwrap_or(0))
}

/// Builds the set now (about 50 ms) instead of on the first fuzzy lookup;
/// [`super::BrandIndex::build`] calls it.
pub(crate) fn warm_up() {
    ordinary();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letters(word: &str) -> Vec<u32> {
        let set = words_of(&[word]);
        set.into_iter().next().map(Vec::from).unwrap_or_default()
    }

    #[test]
    fn the_english_list_is_folded_as_listings_are() {
        assert!(ordinary().len() > 60_000, "{}", ordinary().len());
        for word in ["steel", "STEEL", "café", "carrier", "porch"] {
            assert!(is_ordinary(&letters(word)), "{word}");
        }
        for word in ["cartier", "montclair", "aurelle", "martello"] {
            assert!(!is_ordinary(&letters(word)), "{word}");
        }
        assert!((20..40).contains(&longest()), "{}", longest());
        assert!(ordinary().iter().all(|w| w.len() <= longest()));
    }

    #[test]
    fn ascii_words_are_looked_up_as_folded_ones() {
        for word in ["on", "so", "SO", "mom", "swim", "ill", "wood", "sun", "Nod"] {
            assert!(is_ordinary_ascii(word), "{word}");
            assert!(is_ordinary(&letters(word)), "{word}");
        }
        for word in ["uo", "os", "aurelle", "on2", "café", ""] {
            assert!(!is_ordinary_ascii(word), "{word}");
        }
    }

    #[test]
    fn words_of_reads_lines_and_any_separators() {
        let set = words_of(&["martello\nsac à main\n\n# cuir, montre"]);
        for word in ["martello", "sac", "a", "main", "cuir", "montre"] {
            assert!(set.contains(letters(word).as_slice()), "{word}");
        }
        assert_eq!(set.len(), 6);
    }

    #[test]
    fn words_cannot_be_added_once_in_use() {
        warm_up();
        assert!(add_ordinary_words(&["martello"]).is_err());
        assert!(!is_ordinary(&letters("martello")));
    }
}

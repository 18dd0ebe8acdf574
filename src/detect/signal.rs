//! Counterfeit signal terms and compatibility phrases.

use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use super::index::with_scratch;
use super::normalize::{FoldedText, WORD, fold_exact};

/// Words that advertise a copy (DESIGN.md, "counterfeit signal terms").
/// Folded at the exact level, so case, width and diacritics do not matter.
const SIGNAL_TERMS: &[&str] = &[
    "replica",
    "replicas",
    "fake",
    "fakes",
    "1:1",
    "AAA",
    "AAA+",
    "mirror quality",
    "super copy",
    "supercopy",
    "dupe",
    "dupes",
    "inspired by",
    "knockoff",
    "knock-off",
    "counterfeit",
    "imitation",
    "高仿",
    "复刻",
    "原单",
    "A货",
    "仿品",
    "精仿",
    "1比1",
];

/// Phrases that, right before a mention, make it nominative use ("case for
/// iPhone"). Exact-folded. The list is DESIGN.md's, which is closed (unlike
/// the signal terms): a wider one would let sellers weaken any mention.
const COMPATIBILITY_PHRASES: &[&str] = &["for", "compatible with", "fits", "适用于"];

/// A small automaton over folded terms, with per-pattern boundary needs.
struct TermSet {
    automaton: Option<AhoCorasick>,
    /// Per pattern: (needs a boundary before, needs a boundary after).
    edges: Vec<(bool, bool)>,
}

impl TermSet {
    fn new(terms: &[&str]) -> Self {
        let mut folded = Vec::new();
        let mut edges = Vec::new();
        let mut f = FoldedText::new();
        for term in terms {
            f.fold(term, super::normalize::Level::Exact);
            if f.is_empty() {
                continue;
            }
            edges.push((
                f.flags_at(0) & WORD != 0,
                f.flags_at(f.len() - 1) & WORD != 0,
            ));
            folded.push(f.as_str().to_owned());
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&folded)
            .ok();
        Self { automaton, edges }
    }
}

static SIGNALS: LazyLock<TermSet> = LazyLock::new(|| TermSet::new(SIGNAL_TERMS));
static COMPAT: LazyLock<Vec<(String, bool)>> = LazyLock::new(|| {
    COMPATIBILITY_PHRASES
        .iter()
        .map(|p| {
            let folded = fold_exact(p);
            let latin = folded
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic());
            (folded, latin)
        })
        .collect()
});

/// Byte spans (in `text`) of counterfeit signal terms: `replica`, `fake`,
/// `1:1`, `AAA`, `mirror quality`, `super copy`, `dupe`, `inspired by`,
/// `高仿`, `复刻`, `原单`, `A货`… Latin terms match as whole words after the
/// exact fold (`REPLICA`, `Réplica`); CJK terms match anywhere. Sorted,
/// overlapping spans merged.
#[must_use]
pub fn signal_terms(text: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    with_scratch(|scratch| signal_terms_in(scratch.fold_exact(text), &mut spans));
    spans
}

/// [`signal_terms`] of the text `exact` is the exact fold of, into `spans`
/// (cleared first): for a scan that has folded the text already.
pub(crate) fn signal_terms_in(exact: &FoldedText, spans: &mut Vec<Range<usize>>) {
    spans.clear();
    let set = &*SIGNALS;
    let Some(automaton) = &set.automaton else {
        return;
    };
    for m in automaton.find_overlapping_iter(exact.as_str()) {
        let (left, right) = set.edges[m.pattern().as_usize()];
        if (left && !exact.boundary_before(m.start())) || (right && !exact.boundary_before(m.end()))
        {
            continue;
        }
        spans.push(exact.original_span(m.range()));
    }
    spans.sort_unstable_by_key(|r| (r.start, r.end));
    // Merge overlapping spans in place.
    let mut kept = 0;
    for i in 0..spans.len() {
        if kept > 0 && spans[i].start < spans[kept - 1].end {
            spans[kept - 1].end = spans[kept - 1].end.max(spans[i].end);
        } else {
            spans[kept] = spans[i].clone();
            kept += 1;
        }
    }
    spans.truncate(kept);
}

/// Whether a compatibility phrase ends right before folded byte `at` of the
/// exact fold (one separator space may sit between).
pub(crate) fn compatibility_phrase_before(exact: &FoldedText, at: usize) -> bool {
    let text = exact.as_str();
    let Some(before) = text.get(..at) else {
        return false;
    };
    let before = before.strip_suffix(' ').unwrap_or(before);
    COMPAT.iter().any(|(phrase, latin)| {
        before.ends_with(phrase.as_str())
            && (!latin || exact.boundary_before(before.len() - phrase.len()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        signal_terms(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn latin_terms_match_whole_words_in_any_case() {
        assert_eq!(
            found("REPLICA bag, 1:1 Mirror  Quality"),
            ["REPLICA", "1:1", "Mirror  Quality"]
        );
        assert_eq!(found("Super-Copy watch AAA+ grade"), ["Super-Copy", "AAA"]);
        assert_eq!(found("a dupe! inspired by"), ["dupe", "inspired by"]);
        assert!(found("replicant fakery aaaa duped").is_empty());
    }

    #[test]
    fn cjk_terms_match_anywhere() {
        assert_eq!(found("卡地亚高仿手表"), ["高仿"]);
        assert_eq!(found("原单复刻A货"), ["原单", "复刻", "A货"]);
    }
}

//! Which runs of several words get a fuzzy lookup, and for which names.
//!
//! Looking up every run of 2–3 words with all the deletions its length
//! needs cost ~90 % of a scan (a 17-letter run makes 154 probes), and in a
//! dense registry almost everything it found was noise (`s with` within
//! distance 1 of `Saith`). A run is now looked up only for the names it can
//! match in one of three ways, each checked without probing the run:
//!
//! - **joined**: the run equals a name once joined (`Mont Blanc`,
//!   `Zephyr ine`): a Bloom filter over the names' exact hashes, then one
//!   probe;
//! - **word by word**: its first word is within distance 1 of the first
//!   word of a multi-word name and its last word within distance 1 of the
//!   name's last word (`Luois Vuiton`, `Maison de Verlaine`): the first and
//!   last words of multi-word names ("pieces") are in the fuzzy index, so
//!   the lookup each word makes anyway returns them, and the run's
//!   candidates are the intersection (no probe);
//! - **anchored**: its first word is an exact prefix of the name, or its
//!   last word an exact suffix, of at least [`ANCHOR_MIN_LETTERS`] letters
//!   and at least as long as the rest of the name minus 1 (`Mont Blanq`,
//!   `porch light` for `Coachlight`): exact "anchor markers" in the fuzzy
//!   index say so for every word; an anchor of at most
//!   [`ANCHOR_DIRECT_NAMES`] names lists them (no probe), a commoner one
//!   gives the lengths of its names, and the run is probed with deletions
//!   only on the other side of the anchor.
//!
//! Every candidate is then verified on the whole run as before, so a match
//! found is one the exhaustive lookup would have found. What it no longer
//! finds: a run within distance of a name in none of these ways, e.g. a
//! split single-word name whose exact part is under 4 letters with a typo
//! in the other part (`Mo ntblamc`), or a multi-word name with a typo
//! costing 2 in one word (`m` → `q`: the obfuscation fold reads `m` as
//! `rn`) and its other word too short to anchor.
//!
//! Ids of the fuzzy index: names (their `NameId`), then piece groups (one
//! per distinct first or last word), then shared anchor markers (side and
//! name length), then direct anchor markers (name and side).

use super::fuzzy::{self, ExactKey, FuzzyIndex, FuzzyName, HashScratch, key_hash};

/// A word of a run anchors a lookup (exact prefix or suffix of a name) only
/// from this many letters on.
pub(crate) const ANCHOR_MIN_LETTERS: usize = 4;
/// An anchor of at most this many names marks each of them (the run is then
/// verified against them directly); a commoner one marks the lengths of its
/// names (the run is then probed).
pub(crate) const ANCHOR_DIRECT_NAMES: usize = 4;
/// Pieces of this many letters or more match within distance 1, shorter
/// ones exactly (as names under 5 letters get no fuzzy matching).
const PIECE_FUZZY_LETTERS: usize = 5;
/// Shared marker codes: this bit for a suffix, plus the name length.
const SUFFIX_MARKER: u32 = 64;
/// Names longer than this get no anchor markers.
const ANCHOR_MAX_NAME: usize = 63;

/// Name lengths as a bit set (bit `m`: some name of `m` characters).
type Lengths = u64;

/// A name for [`build`].
pub(crate) struct RunName<'a> {
    /// Its `NameId`.
    pub(crate) id: u32,
    /// Joined obfuscation fold.
    pub(crate) chars: &'a [u32],
    /// Allowed edit distance (1–2).
    pub(crate) max_distance: usize,
    /// Characters of its first and last word if it has several (else 0).
    pub(crate) first_word: usize,
    pub(crate) last_word: usize,
}

impl<'a> RunName<'a> {
    /// The name as an entry of the fuzzy index.
    fn as_fuzzy(&self) -> FuzzyName<'a> {
        FuzzyName {
            id: self.id,
            chars: self.chars,
            max_distance: self.max_distance,
        }
    }
}

/// What the ids of the fuzzy index stand for.
#[derive(Debug, Default)]
pub(crate) struct FuzzyIds {
    /// First piece group id.
    pieces_from: u32,
    /// Per piece group, its names: `piece_names[starts[g]..starts[g + 1]]`
    /// (sorted).
    starts: Vec<u32>,
    piece_names: Vec<u32>,
    /// Per piece group: last words (else first words).
    last: Vec<bool>,
    /// First shared marker id: `markers_from + (SUFFIX_MARKER | length)`.
    markers_from: u32,
    /// First direct marker id: `direct_from + 2 * name + suffix`.
    direct_from: u32,
}

impl FuzzyIds {
    /// Whether `id` is a name (names come first).
    pub(crate) fn is_name(&self, id: u32) -> bool {
        id < self.pieces_from
    }

    fn group(&self, g: u32) -> &[u32] {
        let g = g as usize;
        match (self.starts.get(g), self.starts.get(g + 1)) {
            (Some(&a), Some(&b)) => &self.piece_names[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Heap bytes held.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.starts.capacity() * 4 + self.piece_names.capacity() * 4 + self.last.capacity()
    }
}

/// Whether `n` has pieces: a first and a last word, inside its length.
fn has_pieces(n: &RunName<'_>) -> bool {
    n.first_word != 0 && n.first_word + n.last_word <= n.chars.len()
}

/// The first anchor length of a name of `m` characters (anchors run from
/// there to `m - 1`).
fn first_anchor(m: usize) -> usize {
    ANCHOR_MIN_LETTERS.max(m.saturating_sub(1).div_ceil(2))
}

/// How many anchors `names` have: a prefix and a suffix for each length
/// from [`first_anchor`] to one short of the name, for names of at most
/// [`ANCHOR_MAX_NAME`] characters.
fn anchor_count(names: &[RunName<'_>]) -> usize {
    names
        .iter()
        .filter(|n| n.chars.len() <= ANCHOR_MAX_NAME)
        .map(|n| 2 * n.chars.len().saturating_sub(first_anchor(n.chars.len())))
        .sum()
}

/// Builds the fuzzy index over `names` with their pieces and anchor
/// markers. `names_len`: the number of `NameId`s (ids from there on are
/// pieces and markers).
///
/// The pieces and anchors are worked out on a thread of their own while
/// the names' deletion variants go into the table (the two take about a
/// third and two thirds of the time), so the table is sized from bounds
/// taken before they are known: a piece group takes at most the entries
/// of the pieces it stands for, and anchors give at most one key each.
pub(crate) fn build(names: &[RunName<'_>], names_len: usize) -> (FuzzyIndex, FuzzyIds) {
    let fuzzy_names: Vec<FuzzyName<'_>> = names.iter().map(RunName::as_fuzzy).collect();
    let mut entries: usize = names
        .iter()
        .map(|n| fuzzy::entry_bound(n.chars.len(), n.max_distance))
        .sum();
    let mut piece_groups = 0usize;
    for n in names.iter().filter(|n| has_pieces(n)) {
        piece_groups += 2;
        entries += fuzzy::entry_bound(n.first_word, 1) + fuzzy::entry_bound(n.last_word, 1);
    }
    let anchors = anchor_count(names);
    entries += anchors;
    // The largest id: a direct marker of the last name, after at most
    // `piece_groups` groups and the shared markers.
    let max_id = u32::try_from(
        names_len
            .saturating_add(piece_groups)
            .saturating_add(2 * SUFFIX_MARKER as usize)
            .saturating_add(2 * names_len),
    )
    .unwrap_or(u32::MAX);
    std::thread::scope(|scope| {
        let extras = scope.spawn(|| pieces_and_anchors(names, names_len, (piece_groups, anchors)));
        let mut table = fuzzy::Builder::new(entries, max_id);
        table.insert_names(&fuzzy_names);
        // A panic there is a bug: propagate it as is.
        let (ids, groups, keys) = extras
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        table.insert_words(&groups);
        table.insert_keys(&keys);
        (table.finish(&fuzzy_names, &groups, &keys), ids)
    })
}

/// The ids of `names`' pieces and anchor markers, the piece groups (as
/// words of the fuzzy index) and the anchor keys. `(pieces, anchors)`: how
/// many pieces (two per name with pieces) and anchors ([`anchor_count`])
/// `names` have, which the fuzzy table was sized from.
fn pieces_and_anchors<'a>(
    names: &[RunName<'a>],
    names_len: usize,
    (pieces_count, count): (usize, usize),
) -> (FuzzyIds, Vec<FuzzyName<'a>>, Vec<ExactKey>) {
    let mut ids = FuzzyIds {
        pieces_from: u32::try_from(names_len).unwrap_or(u32::MAX),
        ..FuzzyIds::default()
    };
    // Pieces: the first and last words of multi-word names, one group per
    // distinct (word, side). (hash, last, name, index in `names`)
    let mut pieces: Vec<(u64, bool, u32, usize)> = Vec::with_capacity(pieces_count);
    for (i, n) in names.iter().enumerate() {
        let m = n.chars.len();
        if !has_pieces(n) {
            continue;
        }
        pieces.push((key_hash(&n.chars[..n.first_word]), false, n.id, i));
        pieces.push((key_hash(&n.chars[m - n.last_word..]), true, n.id, i));
    }
    pieces.sort_unstable();
    let mut groups: Vec<FuzzyName<'_>> = Vec::new();
    let mut i = 0;
    while i < pieces.len() {
        let (hash, last, _, first) = pieces[i];
        let n = &names[first];
        let chars = if last {
            &n.chars[n.chars.len() - n.last_word..]
        } else {
            &n.chars[..n.first_word]
        };
        let id = ids
            .pieces_from
            .saturating_add(u32::try_from(groups.len()).unwrap_or(u32::MAX));
        groups.push(FuzzyName {
            id,
            chars,
            max_distance: usize::from(chars.len() >= PIECE_FUZZY_LETTERS),
        });
        ids.starts
            .push(u32::try_from(ids.piece_names.len()).unwrap_or(u32::MAX));
        ids.last.push(last);
        while i < pieces.len() && pieces[i].0 == hash && pieces[i].1 == last {
            ids.piece_names.push(pieces[i].2);
            i += 1;
        }
    }
    ids.starts
        .push(u32::try_from(ids.piece_names.len()).unwrap_or(u32::MAX));
    drop(pieces);
    ids.markers_from = ids
        .pieces_from
        .saturating_add(u32::try_from(groups.len()).unwrap_or(u32::MAX));
    ids.direct_from = ids.markers_from.saturating_add(2 * SUFFIX_MARKER);
    // Anchors: every prefix and suffix of at least ANCHOR_MIN_LETTERS
    // letters, at least as long as the rest of the name minus 1.
    // (hash, suffix, name, name length, anchor length)
    // Sized first: grown push by push, the vector (tens of megabytes)
    // would be copied at each doubling, into memory touched for the first
    // time.
    let mut anchors: Vec<(u64, bool, u32, u8, u8)> = Vec::with_capacity(count);
    for n in names {
        let m = n.chars.len();
        if m > ANCHOR_MAX_NAME {
            continue;
        }
        for p in first_anchor(m)..m {
            let (name_len, anchor_len) = (m as u8, p as u8);
            anchors.push((key_hash(&n.chars[..p]), false, n.id, name_len, anchor_len));
            anchors.push((
                key_hash(&n.chars[m - p..]),
                true,
                n.id,
                name_len,
                anchor_len,
            ));
        }
    }
    // The fuzzy table was sized from the same count.
    debug_assert_eq!(anchors.len(), count, "anchor_count counts every anchor");
    anchors.sort_unstable();
    // At most one key per anchor.
    let mut keys: Vec<ExactKey> = Vec::with_capacity(anchors.len());
    let mut i = 0;
    while i < anchors.len() {
        let (hash, suffix, ..) = anchors[i];
        let mut j = i;
        while j < anchors.len() && anchors[j].0 == hash && anchors[j].1 == suffix {
            j += 1;
        }
        let group = &anchors[i..j];
        let len = usize::from(group[0].4);
        if group.len() <= ANCHOR_DIRECT_NAMES {
            keys.extend(group.iter().map(|&(_, _, name, _, _)| {
                ExactKey {
                    hash,
                    len,
                    id: ids
                        .direct_from
                        .saturating_add(name.saturating_mul(2))
                        .saturating_add(u32::from(suffix)),
                }
            }));
        } else {
            let mut lengths: Lengths = group.iter().fold(0, |l, a| l | 1 << a.3);
            while lengths != 0 {
                let m = lengths.trailing_zeros();
                lengths &= lengths - 1;
                keys.push(ExactKey {
                    hash,
                    len,
                    id: ids
                        .markers_from
                        .saturating_add((u32::from(suffix) * SUFFIX_MARKER) | m),
                });
            }
        }
        i = j;
    }
    drop(anchors);
    (ids, groups, keys)
}

/// Per word of a text: its length, and where the word memo keeps what its
/// lookup found for the runs it starts or ends ([`ExtrasAt`]; most runs
/// are remembered, so what a word found is read only for the few that are
/// not). Reused between scans.
#[derive(Debug, Default)]
pub(crate) struct Words {
    info: Vec<WordInfo>,
}

const FIRSTS: usize = 0;
const LASTS: usize = 1;
const PREFIXED: usize = 2;
const SUFFIXED: usize = 3;

/// What a word's lookup found for runs of several words, besides names
/// (its candidate ids past the names, sorted, read once): a pure function
/// of the index and the word, so the word memo keeps it ([`ExtrasAt`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct WordExtras {
    /// The entries of [`FIRSTS`] (piece groups of first words within
    /// distance 1 of the word), [`LASTS`] (of last words), [`PREFIXED`] and
    /// [`SUFFIXED`] (names the word is a direct prefix or suffix anchor of),
    /// in that order, each sorted.
    ids: Box<[u32]>,
    /// Where each of the four ends in `ids`.
    ends: [u32; 4],
    /// Lengths of names the word is a shared-marker prefix / suffix anchor
    /// of.
    prefix: Lengths,
    suffix: Lengths,
}

/// Where a word's [`WordExtras`] are in the list its word memo keeps of
/// them, as the memo's lookup and [`Words`] both hold it: an index, so that
/// neither counts references, or [`NO_EXTRAS`] for a word that found
/// nothing for runs (most words), which costs no entry.
pub(crate) type ExtrasAt = u32;

/// The [`ExtrasAt`] of a word that found nothing for runs.
pub(crate) const NO_EXTRAS: ExtrasAt = u32::MAX;

impl WordExtras {
    /// [`WordExtras::of`], added to `list` unless it is empty: where it is.
    /// A memo holds far fewer than `u32::MAX` words; past that, a word's
    /// extras would read as none.
    pub(crate) fn add(ids: &FuzzyIds, extras: &[u32], list: &mut Vec<WordExtras>) -> ExtrasAt {
        let extras = Self::of(ids, extras);
        match u32::try_from(list.len()) {
            Ok(at) if at != NO_EXTRAS && extras != Self::default() => {
                list.push(extras);
                at
            }
            _ => NO_EXTRAS,
        }
    }

    /// Sorts a word's extra candidate ids (`extras`, sorted) into what runs
    /// read.
    pub(crate) fn of(ids: &FuzzyIds, extras: &[u32]) -> Self {
        let mut lists: [Vec<u32>; 4] = Default::default();
        let (mut prefix, mut suffix) = (0, 0);
        for &id in extras {
            if let Some(direct) = id.checked_sub(ids.direct_from) {
                let list = if direct & 1 == 1 { SUFFIXED } else { PREFIXED };
                lists[list].push(direct >> 1);
            } else if let Some(code) = id.checked_sub(ids.markers_from) {
                let length = 1 << (code & (SUFFIX_MARKER - 1));
                if code & SUFFIX_MARKER != 0 {
                    suffix |= length;
                } else {
                    prefix |= length;
                }
            } else if let Some(g) = id.checked_sub(ids.pieces_from) {
                match ids.last.get(g as usize) {
                    Some(true) => lists[LASTS].push(g),
                    Some(false) => lists[FIRSTS].push(g),
                    None => {}
                }
            }
        }
        // Ids come sorted, so each list is (pieces and shared markers are
        // distinct ids; direct markers map to ascending names).
        let mut all = Vec::with_capacity(lists.iter().map(Vec::len).sum());
        let mut ends = [0u32; 4];
        for (list, end) in lists.iter().zip(&mut ends) {
            all.extend_from_slice(list);
            *end = u32::try_from(all.len()).unwrap_or(u32::MAX);
        }
        Self {
            ids: all.into_boxed_slice(),
            ends,
            prefix,
            suffix,
        }
    }

    /// Heap bytes held by a memo's `list` of them.
    pub(crate) fn bytes(list: &Vec<WordExtras>) -> usize {
        list.capacity() * std::mem::size_of::<Self>()
            + list.iter().map(|e| 4 * e.ids.len()).sum::<usize>()
    }

    /// One of the four lists ([`FIRSTS`], [`LASTS`], [`PREFIXED`],
    /// [`SUFFIXED`]).
    fn list(&self, list: usize) -> &[u32] {
        let from = list.checked_sub(1).map_or(0, |l| self.ends[l] as usize);
        self.ids
            .get(from..self.ends[list] as usize)
            .unwrap_or_default()
    }
}

#[derive(Clone, Copy, Debug)]
struct WordInfo {
    /// Characters.
    len: usize,
    /// What the word's lookup found for runs.
    extras: ExtrasAt,
}

/// A word's extras as found in its memo's `list` ([`WordInfo::extras`]).
#[derive(Clone, Copy)]
struct Found<'a> {
    len: usize,
    extras: Option<&'a WordExtras>,
}

impl<'a> Found<'a> {
    fn of(info: &WordInfo, list: &'a [WordExtras]) -> Self {
        Self {
            len: info.len,
            extras: list.get(info.extras as usize),
        }
    }

    /// One of its lists ([`WordExtras::list`]); empty if it found nothing.
    fn list(self, list: usize) -> &'a [u32] {
        self.extras.map_or(&[], |e| e.list(list))
    }

    /// The lengths of names the word is an exact prefix anchor of (shared
    /// markers).
    fn prefix(self) -> Lengths {
        self.extras.map_or(0, |e| e.prefix)
    }

    /// The lengths of names the word is an exact suffix anchor of.
    fn suffix(self) -> Lengths {
        self.extras.map_or(0, |e| e.suffix)
    }
}

impl Words {
    /// Forgets every word.
    pub(crate) fn clear(&mut self) {
        self.info.clear();
    }

    /// Records the next word of `len` characters from where its memo
    /// keeps what its lookup found for runs ([`WordExtras`]).
    pub(crate) fn push(&mut self, len: usize, extras: ExtrasAt) {
        self.info.push(WordInfo { len, extras });
    }

    /// These words read with `list`, the word memo's list of extras they
    /// point into.
    pub(crate) fn reading<'a>(&'a self, list: &'a [WordExtras]) -> WordsIn<'a> {
        WordsIn { words: self, list }
    }
}

/// [`Words`] with their memo's list of extras ([`Words::reading`]).
#[derive(Clone, Copy)]
pub(crate) struct WordsIn<'a> {
    words: &'a Words,
    list: &'a [WordExtras],
}

impl<'a> WordsIn<'a> {
    /// Words `first` and `last` with their extras.
    fn ends(self, (first, last): (usize, usize)) -> Option<(Found<'a>, Found<'a>)> {
        let info = &self.words.info;
        let (f, l) = (info.get(first)?, info.get(last)?);
        Some((Found::of(f, self.list), Found::of(l, self.list)))
    }

    /// Whether the run of words `first..=last`, `len` characters joined,
    /// can have a candidate word by word or anchored (see
    /// [`WordsIn::run_candidates`]; the joined way is the Bloom filter's to
    /// tell). Most runs of three words cannot, and then need no lookup.
    pub(crate) fn may_reach(self, run: (usize, usize), len: usize) -> bool {
        let Some((f, l)) = self.ends(run) else {
            return false;
        };
        (!f.list(FIRSTS).is_empty() && !l.list(LASTS).is_empty())
            || (!f.list(PREFIXED).is_empty() && len <= listed_reach(f.len))
            || (!l.list(SUFFIXED).is_empty() && len <= listed_reach(l.len))
            || anchored_reach(f.prefix(), len).is_some()
            || anchored_reach(l.suffix(), len).is_some()
    }

    /// Candidate names (unverified, sorted, deduplicated) for the run of
    /// words `first..=last` whose joined characters are `query` into `out`.
    pub(crate) fn run_candidates(
        self,
        ids: &FuzzyIds,
        fuzzy: &FuzzyIndex,
        run: (usize, usize),
        query: &[u32],
        hash: &mut HashScratch,
        out: &mut Vec<u32>,
    ) {
        out.clear();
        let Some((f, l)) = self.ends(run) else {
            return;
        };
        let len = query.len();
        // Joined: exactly a name.
        if fuzzy.may_be_name(query) {
            fuzzy.run_candidates(query, 0..0, 0, hash, out);
        }
        // Word by word: names in a first-word group of the first word and a
        // last-word group of the last word.
        for &g in f.list(FIRSTS) {
            for &h in l.list(LASTS) {
                intersect(ids.group(g), ids.group(h), out);
            }
        }
        // Anchored: names listed by the anchor, or a probe with deletions
        // on the other side of it.
        // A direct anchor of `a` letters lists names of at most `2a + 1`
        // ([`first_anchor`]), and a name is at most 2 away from the run: a
        // run longer than `2a + 3` cannot reach any (runs of three words
        // mostly cannot).
        if len <= listed_reach(f.len) {
            out.extend_from_slice(f.list(PREFIXED));
        }
        if len <= listed_reach(l.len) {
            out.extend_from_slice(l.list(SUFFIXED));
        }
        if let Some(x) = anchored_reach(f.prefix(), len) {
            fuzzy.run_candidates(query, f.len.min(len)..len, x, hash, out);
        }
        if let Some(x) = anchored_reach(l.suffix(), len) {
            fuzzy.run_candidates(query, 0..len.saturating_sub(l.len), x, hash, out);
        }
        out.retain(|&id| ids.is_name(id));
        out.sort_unstable();
        out.dedup();
    }
}

/// The longest run a direct anchor of `anchor` letters can match a listed
/// name in: its names have at most `2 * anchor + 1` characters
/// ([`first_anchor`]), and distances are at most [`fuzzy::MAX_DISTANCE`].
fn listed_reach(anchor: usize) -> usize {
    2 * anchor + 1 + fuzzy::MAX_DISTANCE
}

/// The query deletions a run of `len` characters anchored at one end needs
/// to reach the names of `lengths` (within distance 2 at most), if any is
/// in reach: a name longer than the run needs fewer (see `fuzzy.rs`).
fn anchored_reach(lengths: Lengths, len: usize) -> Option<usize> {
    if lengths == 0 {
        return None;
    }
    let mut need = None;
    for m in len.saturating_sub(2)..=(len + 2).min(ANCHOR_MAX_NAME) {
        if lengths & (1 << m) != 0 {
            let x = 2usize.saturating_sub(m.saturating_sub(len));
            need = Some(need.map_or(x, |n: usize| n.max(x)));
        }
    }
    need
}

/// Appends the ids in both sorted slices to `out`.
fn intersect(a: &[u32], b: &[u32], out: &mut Vec<u32>) {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if small.len() * 8 < large.len() {
        out.extend(small.iter().filter(|&&x| large.binary_search(&x).is_ok()));
        return;
    }
    let (mut x, mut y) = (small, large);
    while let (Some(&p), Some(&q)) = (x.first(), y.first()) {
        if p == q {
            out.push(p);
        }
        if p <= q {
            x = &x[1..];
        }
        if q <= p {
            y = &y[1..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchored_runs_need_fewer_deletions_for_longer_names() {
        assert_eq!(anchored_reach(0, 10), None);
        assert_eq!(anchored_reach(1 << 10, 10), Some(2));
        assert_eq!(anchored_reach(1 << 11, 10), Some(1));
        assert_eq!(anchored_reach(1 << 12, 10), Some(0));
        assert_eq!(anchored_reach(1 << 13, 10), None);
        assert_eq!(anchored_reach(1 << 8 | 1 << 12, 10), Some(2));
    }

    /// A word's extra ids are sorted once into the lists runs read and
    /// kept in its memo's list (nothing kept for a word without any), and
    /// each word recorded from them reads its own lists there.
    #[test]
    fn word_extras_sort_ids_into_the_lists_runs_read() {
        let ids = FuzzyIds {
            pieces_from: 10,
            starts: vec![0, 1, 2, 3],
            piece_names: vec![0, 1, 2],
            last: vec![false, true, false],
            markers_from: 20,
            direct_from: 20 + 2 * SUFFIX_MARKER,
        };
        let direct = |name: u32, suffix: u32| ids.direct_from + 2 * name + suffix;
        // Sorted, as lookups give them: names first (not extras), then
        // pieces, shared markers and direct markers.
        let extras = [
            10,
            11,
            12,
            ids.markers_from + 3,
            ids.markers_from + (SUFFIX_MARKER | 5),
            direct(4, 0),
            direct(7, 1),
            direct(9, 0),
        ];
        let first = WordExtras::of(&ids, &extras);
        assert_eq!(&*first.ids, &[0, 2, 1, 4, 9, 7]);
        assert_eq!(first.ends, [2, 3, 5, 6]);
        assert_eq!((first.prefix, first.suffix), (1 << 3, 1 << 5));
        let mut list = vec![WordExtras::default()];
        let at_first = WordExtras::add(&ids, &extras, &mut list);
        let at_second = WordExtras::add(&ids, &[11, direct(2, 1)], &mut list);
        let none = WordExtras::of(&ids, &[]);
        assert_eq!(none, WordExtras::default());
        assert_eq!(
            WordExtras::add(&ids, &[], &mut list),
            NO_EXTRAS,
            "nothing to keep"
        );
        assert_eq!((at_first, at_second, list.len()), (1, 2, 3));
        assert_eq!(list[1], first);

        let mut words = Words::default();
        words.push(6, at_first);
        words.push(3, NO_EXTRAS);
        words.push(5, at_second);
        let found = |w: usize| Found::of(&words.info[w], &list);
        let lists =
            |w: usize| -> [Vec<u32>; 4] { std::array::from_fn(|l| found(w).list(l).to_vec()) };
        assert_eq!(lists(0), [vec![0, 2], vec![1], vec![4, 9], vec![7]]);
        assert!(lists(1).iter().all(Vec::is_empty));
        assert_eq!(lists(2), [vec![], vec![1], vec![], vec![2]]);
        assert_eq!(
            (0..3)
                .map(|w| (found(w).len, found(w).prefix(), found(w).suffix()))
                .collect::<Vec<_>>(),
            [(6, 1 << 3, 1 << 5), (3, 0, 0), (5, 0, 0)]
        );
    }

    /// `build` sizes its table from bounds, before the pieces and anchors
    /// are known; every word finds what it finds in a table sized for
    /// exactly the same entries.
    #[test]
    fn a_table_sized_from_bounds_finds_what_an_exact_one_does() {
        let spelled = [
            ("montblanc", 0, 0),
            ("maisondeverlaine", 6, 8),
            ("louisvuitton", 5, 7),
            ("louisphilippe", 5, 8),
            ("zephyrine", 0, 0),
            ("coachlight", 0, 0),
            ("verlaine", 0, 0),
        ];
        let chars: Vec<Vec<u32>> = spelled
            .iter()
            .map(|(s, ..)| s.chars().map(u32::from).collect())
            .collect();
        let names: Vec<RunName<'_>> = spelled
            .iter()
            .zip(&chars)
            .enumerate()
            .map(|(i, (&(_, first_word, last_word), chars))| RunName {
                id: u32::try_from(i).expect("few names"),
                chars,
                max_distance: if chars.len() >= 9 { 2 } else { 1 },
                first_word,
                last_word,
            })
            .collect();
        let (bounded, bounded_ids) = build(&names, names.len());
        let pieces = 2 * names.iter().filter(|n| has_pieces(n)).count();
        let (ids, groups, keys) =
            pieces_and_anchors(&names, names.len(), (pieces, anchor_count(&names)));
        let fuzzy_names: Vec<FuzzyName<'_>> = names.iter().map(RunName::as_fuzzy).collect();
        let exact = FuzzyIndex::build_with(&fuzzy_names, &groups, &keys);
        assert_eq!(bounded_ids.markers_from, ids.markers_from);
        assert_eq!(bounded_ids.piece_names, ids.piece_names);
        let mut scratch = HashScratch::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut found = 0;
        for word in [
            "montblanq",
            "maison",
            "maisom",
            "verlaine",
            "louis",
            "louls",
            "vuitton",
            "philippe",
            "zephyrlne",
            "coach",
            "light",
            "blanc",
            "nothing",
        ] {
            let query: Vec<u32> = word.chars().map(u32::from).collect();
            for extras in [false, true] {
                bounded.word_candidates(&query, extras, &mut scratch, &mut a);
                exact.word_candidates(&query, extras, &mut scratch, &mut b);
                assert_eq!(a, b, "{word} (extras: {extras})");
                found += a.len();
            }
        }
        assert!(
            found > 20,
            "the words find names, pieces and anchors: {found}"
        );
    }

    #[test]
    fn intersections_of_sorted_lists() {
        let mut out = Vec::new();
        intersect(&[1, 3, 5, 7], &[2, 3, 4, 7, 9], &mut out);
        assert_eq!(out, [3, 7]);
        out.clear();
        let large: Vec<u32> = (0..100).map(|i| i * 2).collect();
        intersect(&[4, 5, 198], &large, &mut out);
        assert_eq!(out, [4, 198]);
    }
}

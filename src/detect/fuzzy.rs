//! Edit-distance lookup by symmetric deletion.
//!
//! Two strings are within edit distance `d` (insertions, deletions,
//! substitutions, adjacent transpositions) only if deleting at most `d`
//! characters from each makes them equal. The index stores a hash of every
//! ≤ `d`-deletion variant of every name (`d` is the name's own distance);
//! a query probes the hashes of its own deletion variants, then verifies
//! the candidates with a real distance computation. The work per query
//! depends on the query's length (1 + L + L(L-1)/2 probes at distance 2),
//! never on the number of brands.
//!
//! A query needs fewer deletions than the largest distance it can reach:
//! with `x` deletions from a query of `L` characters and `y` from a name of
//! `m` matching, `x - y = L - m`, so a name longer than the query needs
//! `x ≤ d - (m - L)`. A query of 7 or 8 letters, say, reaches 9- and
//! 10-letter names (distance 2) with at most one deletion of its own; a
//! per-query-length table holds the largest `x` any indexed length needs,
//! which cuts the probes of such words from 29–37 to 8–9 (and those of a
//! 4-letter word, which reaches only 5-letter names, from 5 to 1).
//!
//! (Indexing only a fixed-length prefix would cut the probes to ≤ 29 per
//! query, but in a dense registry — 400k names of 5–12 letters — the
//! prefix neighbourhoods hold hundreds of names each and verification costs
//! far more than the probes saved: measured 1.4 ms per title instead of
//! ~0.3 ms.)
//!
//! Besides names, the table holds entries that only single words look up
//! (`words` and exact `keys` of [`Builder`]): the first and
//! last words of multi-word names and the anchor markers of `runs.rs`, so
//! the probes a single word makes anyway also tell which runs of several
//! words are worth a lookup. A Bloom filter over the names' exact hashes
//! (2 bytes per name) answers "is this run exactly a name?" without
//! touching the table.
//!
//! Variant hashes are polynomial, so each one costs O(1) from prefix hashes
//! instead of building the variant string. The table is open-addressed in
//! 64-byte lines of 16 `u32` slots (linear probing line by line, load
//! ≤ 0.75), each slot packing the entry id and as many fingerprint bits of
//! the variant hash as the id count leaves (11 bits for the 1.3M ids of
//! 400k names): a probe usually reads one or two cache lines (compared 16
//! slots at a time), and false candidates are rare. Probing first touches
//! every line of a query, so the cache misses overlap; building does the
//! same per batch of entries. Ids from [`MAX_NAMES`] on are not indexed.
//!
//! Candidates are verified with Hyyrö's bit-parallel optimal string
//! alignment distance ([`Pattern`]): the query is prepared once, then each
//! candidate costs a few operations per character.

/// Slots keep at least 8 fingerprint bits, so at most 2^24 - 1 ids.
pub(crate) const MAX_NAMES: u32 = (1 << 24) - 1;
/// Slots per line (one 64-byte cache line).
const SLOTS: usize = 16;
/// Entries inserted per batch when building.
const INSERT_BATCH: usize = 512;

/// One cache line of slots; 0 is an empty slot.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(64))]
struct Line([u32; SLOTS]);
/// Multiplier of the polynomial hash (odd).
const BASE: u64 = 0x9E37_79B9_7F4A_7C15;

/// The deletion-variant index.
#[derive(Debug, Default)]
pub(crate) struct FuzzyIndex {
    /// `(id + 1) << fp_bits | fingerprint` per slot, 0 when empty.
    lines: Vec<Line>,
    /// Fingerprint bits per slot.
    fp_bits: u32,
    /// Per query length: 1 + the deletions a query of that length needs
    /// to reach every name within its distance (0: no name in reach).
    name_reach: Vec<u8>,
    /// The same over names, words and exact keys.
    word_reach: Vec<u8>,
    /// Bloom filter over the exact hashes of the names (one `u64` word per
    /// key, three bits set).
    bloom: Vec<u64>,
    /// Longest query that can reach a name.
    pub(crate) max_query: usize,
}

/// An entry to index: id, folded characters (as `u32`), allowed distance
/// (1–2 for names, 0–1 for words).
pub(crate) struct FuzzyName<'a> {
    pub(crate) id: u32,
    pub(crate) chars: &'a [u32],
    pub(crate) max_distance: usize,
}

/// An entry found only by an exact single word: the key's hash
/// ([`key_hash`]), its length in characters and its id.
pub(crate) struct ExactKey {
    pub(crate) hash: u64,
    pub(crate) len: usize,
    pub(crate) id: u32,
}

/// Reusable buffers for hashing and probing.
#[derive(Debug, Default)]
pub(crate) struct HashScratch {
    prefix: Vec<u64>,
    powers: Vec<u64>,
    hashes: Vec<u64>,
    /// The table of [`drop_most_repeats`].
    seen: Vec<u32>,
}

/// The hash under which `s` itself (no deletion) is indexed.
pub(crate) fn key_hash(s: &[u32]) -> u64 {
    let h = s.iter().fold(0u64, |h, &c| {
        h.wrapping_mul(BASE).wrapping_add(u64::from(c) + 1)
    });
    mix(h, s.len())
}

impl HashScratch {
    /// Hashes of every variant of `s` with at most `d` (≤ 2) deletions into
    /// `self.hashes` (unsorted, may repeat).
    fn variants(&mut self, s: &[u32], d: usize) {
        self.variants_in(s, d, 0..s.len());
    }

    /// Hashes of every variant of `s` with at most `d` (≤ 2) deletions, all
    /// at positions in `within`, into `self.hashes` (unsorted, may repeat).
    fn variants_in(&mut self, s: &[u32], d: usize, within: std::ops::Range<usize>) {
        let n = s.len();
        self.hashes.clear();
        self.prefix.clear();
        self.prefix.push(0);
        for (i, &c) in s.iter().enumerate() {
            let h = self.prefix[i]
                .wrapping_mul(BASE)
                .wrapping_add(u64::from(c) + 1);
            self.prefix.push(h);
        }
        if self.powers.len() <= n {
            self.powers.clear();
            let mut p = 1u64;
            for _ in 0..=n.max(32) {
                self.powers.push(p);
                p = p.wrapping_mul(BASE);
            }
        }
        let (lo, hi) = (within.start.min(n), within.end.min(n));
        let pre = &self.prefix;
        let pw = &self.powers;
        let full = pre[n];
        // Hash of s[j..n].
        let suffix = |j: usize| full.wrapping_sub(pre[j].wrapping_mul(pw[n - j]));
        self.hashes.push(mix(full, n));
        // Deleting either of two equal characters side by side leaves the
        // same string, so a character equal to the one before it (in
        // `within`) is deleted only together with that one: every variant
        // is still made, and none twice for that reason.
        let repeats = |j: usize| j > lo && s[j - 1] == s[j];
        if d >= 1 && n >= 1 {
            for j in (lo..hi).filter(|&j| !repeats(j)) {
                let h = pre[j]
                    .wrapping_mul(pw[n - 1 - j])
                    .wrapping_add(suffix(j + 1));
                self.hashes.push(mix(h, n - 1));
            }
        }
        if d >= 2 && n >= 2 {
            for j in (lo..hi).filter(|&j| !repeats(j)) {
                for k in (j + 1..hi).filter(|&k| k == j + 1 || !repeats(k)) {
                    let mid = pre[k].wrapping_sub(pre[j + 1].wrapping_mul(pw[k - j - 1]));
                    let h = pre[j]
                        .wrapping_mul(pw[n - 2 - j])
                        .wrapping_add(mid.wrapping_mul(pw[n - 1 - k]))
                        .wrapping_add(suffix(k + 1));
                    self.hashes.push(mix(h, n - 2));
                }
            }
        }
    }
}

/// Slots of the table [`drop_most_repeats`] uses.
const SEEN_SLOTS: usize = 256;

/// Drops from `ids` most of the ids it has already kept, keeping the order
/// of the rest: each id kept is noted in `seen` at a slot picked by its
/// hash, so a repeat is dropped unless another id took its slot in
/// between. Ids are below [`MAX_NAMES`], so none is an empty slot's
/// `u32::MAX`.
fn drop_most_repeats(ids: &mut Vec<u32>, seen: &mut Vec<u32>) {
    seen.clear();
    seen.resize(SEEN_SLOTS, u32::MAX);
    ids.retain(|&id| {
        let slot = (id.wrapping_mul(0x9E37_79B9) >> 24) as usize;
        match seen.get_mut(slot) {
            Some(noted) if *noted == id => false,
            Some(noted) => {
                *noted = id;
                true
            }
            None => true,
        }
    });
}

/// Home line of a hash (multiply-shift over the high 32 bits; the
/// fingerprint uses the low bits).
fn home(h: u64, lines: usize) -> usize {
    (((h >> 32) * lines as u64) >> 32) as usize
}

/// The fingerprint of a hash in a slot: its low `fp_bits` bits, never 0
/// (so an empty slot never matches).
fn fingerprint(h: u64, fp_bits: u32) -> u32 {
    ((h & ((1 << fp_bits) - 1)) as u32).max(1)
}

/// Finalizes a polynomial hash with its length (murmur3 fmix64).
fn mix(h: u64, len: usize) -> u64 {
    let mut x = h ^ (len as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    x ^ (x >> 33)
}

/// Bloom word and bits of a hash (the word from bits 40.., three bit
/// positions from bits 8..26, independent of the table's home line and
/// fingerprint).
fn bloom_slot(h: u64, words: usize) -> (usize, u64) {
    let word = (((h >> 40) * words as u64) >> 24) as usize;
    let bits = (1u64 << ((h >> 8) & 63)) | (1u64 << ((h >> 14) & 63)) | (1u64 << ((h >> 20) & 63));
    (word, bits)
}

/// Per query length, 1 + the most deletions a query of that length needs
/// to reach an entry of `lengths` (bit `d` of `lengths[m]`: some entry of
/// `m` characters has distance `d`), 0 if none is in reach.
fn reach_table(lengths: &[u8]) -> Vec<u8> {
    let mut reach = vec![0u8; lengths.len() + MAX_DISTANCE + 1];
    for (len, r) in reach.iter_mut().enumerate() {
        let mut need: Option<usize> = None;
        for (m, &bits) in lengths
            .iter()
            .enumerate()
            .skip(len.saturating_sub(MAX_DISTANCE))
            .take(2 * MAX_DISTANCE + 1)
        {
            for d in 0..=MAX_DISTANCE {
                if bits & (1 << d) == 0 || m.abs_diff(len) > d {
                    continue;
                }
                // x - y = len - m with y ≤ d: a longer entry needs fewer
                // query deletions.
                let x = if m > len { d - (m - len) } else { d };
                need = Some(need.map_or(x, |n| n.max(x)));
            }
        }
        *r = need.map_or(0, |x| x as u8 + 1);
    }
    reach
}

/// Whether `n` is indexed as a name: distance 1–2, not empty, an id below
/// [`MAX_NAMES`].
fn indexed_name(n: &FuzzyName<'_>) -> bool {
    (1..=2).contains(&n.max_distance) && !n.chars.is_empty() && n.id < MAX_NAMES
}

/// Whether `n` is indexed as a word: distance 0–1, not empty, an id below
/// [`MAX_NAMES`].
fn indexed_word(n: &FuzzyName<'_>) -> bool {
    n.max_distance <= 1 && !n.chars.is_empty() && n.id < MAX_NAMES
}

/// How many table entries `n` takes at most: one per deletion variant.
pub(crate) fn entry_bound(chars: usize, max_distance: usize) -> usize {
    1 + if max_distance >= 1 { chars } else { 0 }
        + if max_distance >= 2 {
            chars * chars.saturating_sub(1) / 2
        } else {
            0
        }
}

/// A [`FuzzyIndex`] being built. The table is sized (and the fingerprint
/// width chosen) up front from bounds on the entries and their ids, so the
/// names can be inserted while the words and keys are still being worked
/// out on another thread ([`super::runs::build`]); then the words and the
/// keys, and [`Builder::finish`].
pub(crate) struct Builder {
    lines: Vec<Line>,
    fp_bits: u32,
    /// Entries the table was sized for, and inserted so far.
    capacity: usize,
    inserted: usize,
    /// Entries waiting to be inserted ([`Builder::flush`]).
    batch: Vec<(u64, u32)>,
    scratch: HashScratch,
}

impl Builder {
    /// A table for at most `entries` entries, with ids at most `max_id`.
    /// Ids from [`MAX_NAMES`] on are never inserted, so a bound past it
    /// keeps the 8 fingerprint bits that limit leaves.
    pub(crate) fn new(entries: usize, max_id: u32) -> Self {
        let line_count = (entries / (SLOTS * 3 / 4)).max(1) + 1;
        let max_id = max_id.min(MAX_NAMES - 1);
        Self {
            lines: vec![Line::default(); line_count],
            fp_bits: (max_id + 1).leading_zeros().min(24),
            capacity: entries,
            inserted: 0,
            batch: Vec::with_capacity(INSERT_BATCH + 256),
            scratch: HashScratch::default(),
        }
    }

    /// Inserts every deletion variant of the names of `names` that are
    /// indexed (distance 1–2).
    pub(crate) fn insert_names(&mut self, names: &[FuzzyName<'_>]) {
        self.insert(names, indexed_name);
    }

    /// Inserts every deletion variant of the words of `words` that are
    /// indexed (distance 0–1).
    pub(crate) fn insert_words(&mut self, words: &[FuzzyName<'_>]) {
        self.insert(words, indexed_word);
    }

    fn insert(&mut self, entries: &[FuzzyName<'_>], indexed: fn(&FuzzyName<'_>) -> bool) {
        for n in entries.iter().filter(|n| indexed(n)) {
            self.scratch.variants(n.chars, n.max_distance);
            self.scratch.hashes.sort_unstable();
            self.scratch.hashes.dedup();
            self.batch
                .extend(self.scratch.hashes.iter().map(|&h| (h, n.id)));
            if self.batch.len() >= INSERT_BATCH {
                self.flush();
            }
        }
    }

    /// Inserts the exact keys.
    pub(crate) fn insert_keys(&mut self, keys: &[ExactKey]) {
        for k in keys.iter().filter(|k| k.id < MAX_NAMES) {
            self.batch.push((k.hash, k.id));
            if self.batch.len() >= INSERT_BATCH {
                self.flush();
            }
        }
    }

    /// Inserts the batch, touching every home line of it first so that the
    /// cache misses overlap (the table is far larger than the caches).
    fn flush(&mut self) {
        self.inserted += self.batch.len();
        // Past this the table could fill up and insertion never end.
        assert!(
            self.inserted <= self.capacity,
            "fuzzy table sized for {} entries, {} inserted",
            self.capacity,
            self.inserted
        );
        let (lines, fp_bits) = (&mut self.lines, self.fp_bits);
        let line_count = lines.len();
        let mut touch = 0u32;
        for &(h, _) in &self.batch {
            touch ^= lines[home(h, line_count)].0[0];
        }
        std::hint::black_box(touch);
        for &(h, id) in &self.batch {
            debug_assert!(
                (id + 1).leading_zeros() >= fp_bits,
                "id {id} past the bound the table was sized for"
            );
            let entry = (id + 1) << fp_bits;
            let mut line = home(h, line_count);
            'insert: loop {
                for slot in &mut lines[line].0 {
                    if *slot == 0 {
                        *slot = entry | fingerprint(h, fp_bits);
                        break 'insert;
                    }
                }
                line = if line + 1 == line_count { 0 } else { line + 1 };
            }
        }
        self.batch.clear();
    }

    /// The index, once `names`, `words` and `keys` (the same as inserted)
    /// are in: the Bloom filter and the reach tables. Empty when no name is
    /// indexed.
    pub(crate) fn finish(
        mut self,
        names: &[FuzzyName<'_>],
        words: &[FuzzyName<'_>],
        keys: &[ExactKey],
    ) -> FuzzyIndex {
        self.flush();
        let names: Vec<&FuzzyName<'_>> = names.iter().filter(|n| indexed_name(n)).collect();
        let words: Vec<&FuzzyName<'_>> = words.iter().filter(|n| indexed_word(n)).collect();
        let keys: Vec<&ExactKey> = keys.iter().filter(|k| k.id < MAX_NAMES).collect();
        if names.is_empty() {
            return FuzzyIndex::default();
        }
        // Exact hashes of the names, ~16 bits each.
        let bloom_words = (names.len() * 16 / 64).next_power_of_two().max(1);
        let mut bloom = vec![0u64; bloom_words];
        for n in &names {
            let (word, bits) = bloom_slot(key_hash(n.chars), bloom_words);
            bloom[word] |= bits;
        }
        let longest = names
            .iter()
            .chain(&words)
            .map(|n| n.chars.len())
            .chain(keys.iter().map(|k| k.len))
            .max()
            .unwrap_or(0);
        let mut lengths = vec![0u8; longest + 1];
        for n in &names {
            lengths[n.chars.len()] |= 1 << n.max_distance;
        }
        let name_reach = reach_table(&lengths);
        for n in &words {
            lengths[n.chars.len()] |= 1 << n.max_distance;
        }
        for k in &keys {
            lengths[k.len] |= 1;
        }
        let word_reach = reach_table(&lengths);
        let max_query = names
            .iter()
            .map(|n| n.chars.len() + n.max_distance)
            .max()
            .unwrap_or(0);
        FuzzyIndex {
            lines: self.lines,
            fp_bits: self.fp_bits,
            name_reach,
            word_reach,
            bloom,
            max_query,
        }
    }
}

impl FuzzyIndex {
    /// Builds the index over names only.
    #[cfg(test)]
    pub(crate) fn build(names: &[FuzzyName<'_>]) -> Self {
        Self::build_with(names, &[], &[])
    }

    /// Builds the index: `names` (distance 1–2) are found by any query;
    /// `words` (distance 0–1) and exact `keys` only by the lookup of single
    /// words with extras ([`FuzzyIndex::word_candidates`]). The table is
    /// sized for exactly these entries; [`super::runs::build`] uses a
    /// [`Builder`] directly, to insert the names before it knows the rest.
    #[cfg(test)]
    pub(crate) fn build_with(
        names: &[FuzzyName<'_>],
        words: &[FuzzyName<'_>],
        keys: &[ExactKey],
    ) -> Self {
        let entries = names.iter().filter(|n| indexed_name(n));
        let words_in = words.iter().filter(|n| indexed_word(n));
        let keys_in = keys.iter().filter(|k| k.id < MAX_NAMES);
        let bound: usize = entries
            .clone()
            .chain(words_in.clone())
            .map(|n| entry_bound(n.chars.len(), n.max_distance))
            .sum::<usize>()
            + keys_in.clone().count();
        let max_id = entries
            .chain(words_in)
            .map(|n| n.id)
            .chain(keys_in.map(|k| k.id))
            .max()
            .unwrap_or(0);
        let mut builder = Builder::new(bound, max_id);
        builder.insert_names(names);
        builder.insert_words(words);
        builder.insert_keys(keys);
        builder.finish(names, words, keys)
    }

    /// Whether the index holds anything.
    pub(crate) fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Candidate entries of any kind (unverified, sorted, deduplicated) for
    /// the single word `query` into `out`.
    #[cfg(test)]
    pub(crate) fn candidates(&self, query: &[u32], scratch: &mut HashScratch, out: &mut Vec<u32>) {
        self.word_candidates(query, true, scratch, out);
    }

    /// Candidates (unverified, sorted, deduplicated) for the single word
    /// `query` into `out`: names, and words and keys too if `extras` (the
    /// query then makes as many deletions as these need).
    pub(crate) fn word_candidates(
        &self,
        query: &[u32],
        extras: bool,
        scratch: &mut HashScratch,
        out: &mut Vec<u32>,
    ) {
        out.clear();
        let n = query.len();
        let reach = if extras {
            &self.word_reach
        } else {
            &self.name_reach
        };
        let Some(&reach) = reach.get(n) else {
            return;
        };
        if reach == 0 || self.is_empty() {
            return;
        }
        scratch.variants(query, usize::from(reach - 1));
        self.probe(&scratch.hashes, out);
        if out.len() > 1 {
            // A name near the query shares several of its variants, so the
            // probe finds most candidates two or three times: most repeats
            // are dropped by a small table first, so that the sort has
            // fewer to order.
            if out.len() > 16 {
                drop_most_repeats(out, &mut scratch.seen);
            }
            out.sort_unstable();
            out.dedup();
        }
    }

    /// Candidate names for a run of several words, `query`, whose match
    /// differs from `query` only at positions in `within` and needs at most
    /// `deletions` of them: appended to `out` (unverified, unsorted, may
    /// repeat; other entries may appear).
    pub(crate) fn run_candidates(
        &self,
        query: &[u32],
        within: std::ops::Range<usize>,
        deletions: usize,
        scratch: &mut HashScratch,
        out: &mut Vec<u32>,
    ) {
        let Some(&reach) = self.name_reach.get(query.len()) else {
            return;
        };
        if reach == 0 || self.is_empty() {
            return;
        }
        scratch.variants_in(query, deletions.min(usize::from(reach - 1)), within);
        self.probe(&scratch.hashes, out);
    }

    /// Whether `query` may equal a name exactly (no false negatives; about
    /// 1 % false positives). Reads one word of a 1/16-byte-per-name filter.
    pub(crate) fn may_be_name(&self, query: &[u32]) -> bool {
        if self.bloom.is_empty() {
            return false;
        }
        let (word, bits) = bloom_slot(key_hash(query), self.bloom.len());
        self.bloom[word] & bits == bits
    }

    /// Appends the ids whose slots match `hashes`.
    fn probe(&self, hashes: &[u64], out: &mut Vec<u32>) {
        let line_count = self.lines.len();
        // Touch every line first: the loads are independent, so their cache
        // misses overlap instead of queueing behind each other.
        let mut touch = 0u32;
        for &h in hashes {
            touch ^= self.lines[home(h, line_count)].0[0];
        }
        std::hint::black_box(touch);
        let fp_mask = (1u32 << self.fp_bits) - 1;
        for &h in hashes {
            let fp = fingerprint(h, self.fp_bits);
            let mut line = home(h, line_count);
            loop {
                // All 16 slots at once (vectorizes). Slots fill in order and
                // are never removed, and no fingerprint is 0: an empty slot
                // never matches, and a line with an empty slot (the last
                // one) ends the probe.
                let slots = &self.lines[line].0;
                let mut hits = 0u32;
                for (i, &slot) in slots.iter().enumerate() {
                    hits |= u32::from(slot & fp_mask == fp) << i;
                }
                while hits != 0 {
                    let slot = slots[hits.trailing_zeros() as usize];
                    out.push((slot >> self.fp_bits) - 1);
                    hits &= hits - 1;
                }
                if slots[SLOTS - 1] == 0 {
                    break;
                }
                line = if line + 1 == line_count { 0 } else { line + 1 };
            }
        }
    }

    /// Heap bytes held.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.lines.capacity() * std::mem::size_of::<Line>()
            + self.name_reach.capacity()
            + self.word_reach.capacity()
            + self.bloom.capacity() * 8
    }
}

/// Largest distance [`distance_within`] computes.
pub(crate) const MAX_DISTANCE: usize = 2;
/// Band width of the dynamic programme: cells with `|i - j| <= 2`.
const BAND: usize = 2 * MAX_DISTANCE + 1;

/// Whether two characters match: equal, or one is `1` (a `1`, `|` or `!`
/// of the obfuscation fold, standing for either letter) and the other `i`
/// or `l`. The fold's `i` and `l` are otherwise different letters.
#[inline]
fn same(a: u32, b: u32) -> bool {
    let one = u32::from('1');
    let letter = |c: u32| c == u32::from('i') || c == u32::from('l');
    a == b || (a == one && letter(b)) || (b == one && letter(a))
}

/// Optimal string alignment distance (insertions, deletions,
/// substitutions, adjacent transpositions) between the query `a` and the
/// name `b` (characters equal as [`same`] says) if it is at most `max`
/// (at most 2), else `None`. A banded dynamic programme: only cells within
/// `max` of the diagonal can stay within `max`.
pub(crate) fn distance_within(a: &[u32], b: &[u32], max: usize) -> Option<usize> {
    let max = max.min(MAX_DISTANCE);
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > max {
        return None;
    }
    const INF: usize = usize::MAX / 4;
    const K: usize = MAX_DISTANCE;
    // rows[r][t] holds D[i][j] for j = i + t - K.
    let mut rows = [[INF; BAND]; 3];
    let (mut r0, mut r1, mut r2) = (0usize, 1usize, 2usize); // rows i-2, i-1, i
    for (t, cell) in rows[r1].iter_mut().enumerate() {
        if t >= K {
            *cell = t - K; // D[0][j] = j
        }
    }
    for i in 1..=n {
        let mut row_min = INF;
        for t in 0..BAND {
            let j = (i + t).wrapping_sub(K);
            let v = if i + t < K || j > m {
                INF
            } else if j == 0 {
                i
            } else {
                let cost = usize::from(!same(a[i - 1], b[j - 1]));
                let up = if t + 1 < BAND {
                    rows[r1][t + 1] + 1
                } else {
                    INF
                };
                let left = if t > 0 { rows[r2][t - 1] + 1 } else { INF };
                let mut v = up.min(left).min(rows[r1][t] + cost);
                if i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1]) {
                    v = v.min(rows[r0][t] + 1);
                }
                v
            };
            rows[r2][t] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        (r0, r1, r2) = (r1, r2, r0);
    }
    // After the last swap, row n is r1.
    let t = m + K - n;
    rows[r1].get(t).copied().filter(|&d| d <= max)
}

/// A query prepared for verifying many candidates against it: per
/// character, the set of its positions as bits (Hyyrö's bit-parallel
/// optimal string alignment distance, one 64-bit word per query).
#[derive(Debug)]
pub(crate) struct Pattern {
    /// Position bits of the ASCII characters.
    ascii: [u64; 128],
    /// Position bits of the other characters.
    other: Vec<(u32, u64)>,
    /// The query (also for queries over 64 characters, verified by
    /// [`distance_within`]).
    chars: Vec<u32>,
}

impl Default for Pattern {
    fn default() -> Self {
        Self {
            ascii: [0; 128],
            other: Vec::new(),
            chars: Vec::new(),
        }
    }
}

impl Pattern {
    /// Prepares `query`.
    pub(crate) fn set(&mut self, query: &[u32]) {
        for &c in &self.chars {
            if let Some(bits) = self.ascii.get_mut(c as usize) {
                *bits = 0;
            }
        }
        self.other.clear();
        self.chars.clear();
        self.chars.extend_from_slice(query);
        if query.len() > 64 {
            return;
        }
        for (i, &c) in query.iter().enumerate() {
            if let Some(bits) = self.ascii.get_mut(c as usize) {
                *bits |= 1 << i;
            } else if let Some(entry) = self.other.iter_mut().find(|e| e.0 == c) {
                entry.1 |= 1 << i;
            } else {
                self.other.push((c, 1 << i));
            }
        }
    }

    /// The query positions that match name character `c` ([`same`]).
    fn bits(&self, c: u32) -> u64 {
        let (i, l, one) = (usize::from(b'i'), usize::from(b'l'), usize::from(b'1'));
        match self.ascii.get(c as usize) {
            Some(&bits) if c == u32::from('i') || c == u32::from('l') => bits | self.ascii[one],
            Some(_) if c == u32::from('1') => self.ascii[i] | self.ascii[l] | self.ascii[one],
            Some(&bits) => bits,
            None => self.other.iter().find(|e| e.0 == c).map_or(0, |e| e.1),
        }
    }

    /// [`distance_within`] between the prepared query and `text` (whose
    /// characters are `text_chars`, for the check of lengths), using
    /// `scratch` for queries or texts over 64 characters.
    pub(crate) fn distance_within(
        &self,
        text: &str,
        text_chars: usize,
        max: usize,
        scratch: &mut Vec<u32>,
    ) -> Option<usize> {
        let max = max.min(MAX_DISTANCE);
        let n = self.chars.len();
        if n.abs_diff(text_chars) > max {
            return None;
        }
        if n > 64 || n == 0 {
            scratch.clear();
            scratch.extend(text.chars().map(u32::from));
            return distance_within(&self.chars, scratch, max);
        }
        // Hyyrö (2003), as in RapidFuzz's OSA: vertical deltas of the
        // column over the query, one bit per query character.
        let last = 1u64 << (n - 1);
        let (mut vp, mut vn, mut d0, mut pm_old) = (!0u64, 0u64, 0u64, 0u64);
        let mut dist = n;
        for (j, c) in text.chars().enumerate() {
            let pm = self.bits(u32::from(c));
            let tr = (((!d0) & pm) << 1) & pm_old;
            d0 = ((((pm & vp).wrapping_add(vp)) ^ vp) | pm | vn) | tr;
            let hp = vn | !(d0 | vp);
            let hn = d0 & vp;
            if hp & last != 0 {
                dist += 1;
            } else if hn & last != 0 {
                dist -= 1;
            }
            // The rest of the text lowers the distance by one per
            // character at most.
            if dist > max + text_chars.saturating_sub(j + 1) {
                return None;
            }
            let hp = (hp << 1) | 1;
            let hn = hn << 1;
            vp = hn | !(d0 | hp);
            vn = hp & d0;
            pm_old = pm;
        }
        Some(dist).filter(|&d| d <= max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<u32> {
        s.chars().map(u32::from).collect()
    }

    /// A query's characters, `*` standing for the fold's `1` (either
    /// letter).
    fn query(s: &str) -> Vec<u32> {
        s.chars()
            .map(|c| {
                if c == '*' {
                    u32::from('1')
                } else {
                    u32::from(c)
                }
            })
            .collect()
    }

    #[test]
    fn either_letter_matches_i_and_l_but_i_is_not_l() {
        let d = |q: &str, n: &str| distance_within(&query(q), &chars(n), 2);
        assert_eq!(d("aure*le", "aurelle"), Some(0));
        assert_eq!(d("cart*er", "cartier"), Some(0));
        assert_eq!(d("aurelie", "aurelle"), Some(1));
        assert_eq!(d("aurelia", "aurelle"), Some(2));
        assert_eq!(d("cartler", "cartier"), Some(1));
        // A name never matches the query's `*` with anything else.
        assert_eq!(d("*", "a"), Some(1));
        // A name's `1` (from `1`, `|`, `!`) is either letter.
        assert_eq!(d("baily", "ba1ly"), Some(0));
        assert_eq!(d("ba*ly", "ba1ly"), Some(0));
        assert_eq!(d("baaly", "ba1ly"), Some(1));
        let mut pattern = Pattern::default();
        pattern.set(&query("aure*ie"));
        assert_eq!(
            pattern.distance_within("aurelie", 7, 2, &mut Vec::new()),
            Some(0)
        );
        assert_eq!(
            pattern.distance_within("aurelle", 7, 2, &mut Vec::new()),
            Some(1)
        );
    }

    #[test]
    fn distance_counts_edits_and_transpositions() {
        let d = |a: &str, b: &str| distance_within(&chars(a), &chars(b), 2);
        assert_eq!(d("cartier", "cartier"), Some(0));
        assert_eq!(d("cartiier", "cartier"), Some(1));
        assert_eq!(d("catrier", "cartier"), Some(1));
        assert_eq!(d("montblanq", "montblanc"), Some(1));
        assert_eq!(d("montblnaq", "montblanc"), Some(2));
        assert_eq!(d("xyzzy", "xyzzyab"), Some(2));
        assert_eq!(d("kitten", "sitting"), None, "distance 3");
        assert_eq!(d("ab", "ba"), Some(1));
        assert_eq!(d("", "ab"), Some(2));
        assert_eq!(d("abc", ""), None);
        assert_eq!(
            distance_within(&chars("cartiier"), &chars("cartier"), 0),
            None
        );
    }

    #[test]
    fn deletion_hashes_equal_hashes_of_the_deleted_strings() {
        let mut a = HashScratch::default();
        let mut b = HashScratch::default();
        a.variants(&chars("abcde"), 2);
        for variant in [
            "abcde", "bcde", "acde", "abde", "abce", "abcd", "cde", "ade", "abe", "abc", "bde",
        ] {
            b.variants(&chars(variant), 0);
            assert!(a.hashes.contains(&b.hashes[0]), "{variant}");
        }
    }

    /// Every string `s` makes with at most `d` deletions, all at positions
    /// in `within`, by brute force.
    fn deleted_strings(
        s: &[u32],
        d: usize,
        within: std::ops::Range<usize>,
    ) -> std::collections::HashSet<Vec<u32>> {
        let without = |gone: &[usize]| -> Vec<u32> {
            (0..s.len())
                .filter(|i| !gone.contains(i))
                .map(|i| s[i])
                .collect()
        };
        let mut out = std::collections::HashSet::from([s.to_vec()]);
        for j in within.clone() {
            if d >= 1 {
                out.insert(without(&[j]));
            }
            for k in j + 1..within.end {
                if d >= 2 {
                    out.insert(without(&[j, k]));
                }
            }
        }
        out
    }

    proptest::proptest! {
        /// A character equal to the one before it is deleted only with
        /// that one, yet every string the deletions make is hashed, and
        /// nothing else.
        #[test]
        fn variants_hash_every_deleted_string_and_nothing_else(
            s in "[aab]{0,10}",
            d in 0usize..=2,
            cut in (0usize..=10, 0usize..=10),
        ) {
            let s = chars(&s);
            let within = cut.0.min(cut.1).min(s.len())..cut.0.max(cut.1).min(s.len());
            let mut scratch = HashScratch::default();
            scratch.variants_in(&s, d, within.clone());
            let made: std::collections::HashSet<u64> = scratch.hashes.iter().copied().collect();
            let expected: std::collections::HashSet<u64> = deleted_strings(&s, d, within)
                .iter()
                .map(|v| key_hash(v))
                .collect();
            proptest::prop_assert_eq!(made, expected);
        }
    }

    #[test]
    fn repeats_are_dropped_in_order_and_a_taken_slot_only_lets_one_through() {
        let mut seen = Vec::new();
        let mut ids = vec![7, 3, 7, 9, 3, 3, 12, 7, 9];
        drop_most_repeats(&mut ids, &mut seen);
        assert_eq!(ids, [7, 3, 9, 12]);
        // Two ids of one slot take it in turn: a repeat of the first gets
        // through after the second, and the sort and dedup after it remove
        // it.
        let slot = |id: u32| id.wrapping_mul(0x9E37_79B9) >> 24;
        let other = (1..)
            .find(|&id| slot(id) == slot(5) && id != 5)
            .expect("an id");
        let mut ids = vec![5, other, 5, 5];
        drop_most_repeats(&mut ids, &mut seen);
        assert_eq!(ids, [5, other, 5]);
    }

    fn lookup(index: &FuzzyIndex, query: &str) -> Vec<u32> {
        let q = chars(query);
        let mut out = Vec::new();
        index.candidates(&q, &mut HashScratch::default(), &mut out);

        let names = ["cartler", "rnontblanc", "xabcdefghij"];
        out.iter()
            .copied()
            .filter(|&c| {
                let d = if c == 0 { 1 } else { 2 };
                distance_within(&q, &chars(names[c as usize]), d).is_some()
            })
            .collect()
    }

    #[test]
    fn index_finds_names_within_their_distance_only() {
        let names = [chars("cartler"), chars("rnontblanc"), chars("xabcdefghij")];
        let index = FuzzyIndex::build(&[
            FuzzyName {
                id: 0,
                chars: &names[0],
                max_distance: 1,
            },
            FuzzyName {
                id: 1,
                chars: &names[1],
                max_distance: 2,
            },
            FuzzyName {
                id: 2,
                chars: &names[2],
                max_distance: 2,
            },
        ]);
        assert_eq!(lookup(&index, "cartller"), [0]);
        assert_eq!(lookup(&index, "cartlr"), [0]);
        assert_eq!(lookup(&index, "rnontblanq"), [1]);
        assert_eq!(lookup(&index, "rnomtblanq"), [1], "two substitutions");
        assert_eq!(lookup(&index, "abcdefghij"), [2], "deletion at the front");
        assert_eq!(
            lookup(&index, "yxabcdefghij"),
            [2],
            "insertion at the front"
        );
        assert_eq!(
            lookup(&index, "xyzabcdefghij"),
            [2],
            "two insertions at the front"
        );
        assert!(lookup(&index, "xyzzy").is_empty());
        assert!(
            lookup(&index, "cartlerxxx").is_empty(),
            "verified on the whole string"
        );
    }

    /// Full (unbanded) OSA distance, the reference.
    fn osa(a: &[u32], b: &[u32]) -> usize {
        let (n, m) = (a.len(), b.len());
        let mut d = vec![vec![0usize; m + 1]; n + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=n {
            for j in 1..=m {
                let cost = usize::from(!same(a[i - 1], b[j - 1]));
                d[i][j] = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1]) {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[n][m]
    }

    proptest::proptest! {
        #[test]
        fn banded_distance_agrees_with_the_full_one(a in "[abil*]{0,12}", b in "[abil1]{0,12}", max in 0usize..=2) {
            let (a, b) = (query(&a), chars(&b));
            let full = osa(&a, &b);
            proptest::prop_assert_eq!(distance_within(&a, &b, max), Some(full).filter(|&d| d <= max));
        }
    }

    proptest::proptest! {
        #[test]
        fn bit_parallel_distance_agrees_with_the_banded_one(a in "[abcéil*]{0,12}", b in "[abcéil1]{0,12}", max in 0usize..=2) {
            let (qa, qb) = (query(&a), chars(&b));
            let mut pattern = Pattern::default();
            pattern.set(&chars("some previous query"));
            pattern.set(&qa);
            proptest::prop_assert_eq!(
                pattern.distance_within(&b, qb.len(), max, &mut Vec::new()),
                distance_within(&qa, &qb, max)
            );
        }

        #[test]
        fn long_strings_fall_back_to_the_banded_distance(a in "[ab]{60,70}", b in "[ab]{60,70}") {
            let (qa, qb) = (chars(&a), chars(&b));
            let mut pattern = Pattern::default();
            pattern.set(&qa);
            proptest::prop_assert_eq!(
                pattern.distance_within(&b, qb.len(), 2, &mut Vec::new()),
                distance_within(&qa, &qb, 2)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn candidates_include_every_name_within_distance(
            names in proptest::collection::vec("[abcd]{2,12}", 1..40),
            queries in proptest::collection::vec("[abcd]{1,14}", 1..20),
        ) {
            let chars_of: Vec<Vec<u32>> = names.iter().map(|n| chars(n)).collect();
            let distance_of = |n: &[u32]| if n.len() >= 9 { 2 } else { 1 };
            let fuzzy: Vec<FuzzyName<'_>> = chars_of
                .iter()
                .enumerate()
                .map(|(i, c)| FuzzyName { id: i as u32, chars: c, max_distance: distance_of(c) })
                .collect();
            let index = FuzzyIndex::build(&fuzzy);
            let (mut scratch, mut out) = (HashScratch::default(), Vec::new());
            for q in &queries {
                let q = chars(q);
                index.candidates(&q, &mut scratch, &mut out);
                for (i, n) in chars_of.iter().enumerate() {
                    if distance_within(&q, n, distance_of(n)).is_some() {
                        proptest::prop_assert!(out.contains(&(i as u32)), "{:?} vs {:?}", q, n);
                    }
                }
            }
        }
    }
}

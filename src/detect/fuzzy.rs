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
//! (Indexing only a fixed-length prefix would cut the probes to ≤ 29 per
//! query, but in a dense registry — 400k names of 5–12 letters — the
//! prefix neighbourhoods hold hundreds of names each and verification costs
//! far more than the probes saved: measured 1.4 ms per title instead of
//! ~0.3 ms.)
//!
//! Variant hashes are polynomial, so each one costs O(1) from prefix hashes
//! instead of building the variant string. The table is open-addressed in
//! 64-byte lines of 16 `u32` slots (linear probing line by line, load
//! ≤ 0.75), each slot packing the name id and as many fingerprint bits of
//! the variant hash as the name count leaves (13 bits for 400k names): a
//! probe usually reads one cache line, and false candidates are rare.
//! Probing first touches every line of a query, so the cache misses overlap.
//! Names beyond [`MAX_NAMES`] are not indexed.

/// Slots keep at least 8 fingerprint bits, so at most 2^24 - 1 names.
pub(crate) const MAX_NAMES: u32 = (1 << 24) - 1;
/// Slots per line (one 64-byte cache line).
const SLOTS: usize = 16;

/// One cache line of slots; 0 is an empty slot.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(64))]
struct Line([u32; SLOTS]);
/// Multiplier of the polynomial hash (odd).
const BASE: u64 = 0x9E37_79B9_7F4A_7C15;

/// The deletion-variant index.
#[derive(Debug, Default)]
pub(crate) struct FuzzyIndex {
    /// `(name + 1) << fp_bits | fingerprint` per slot, 0 when empty.
    lines: Vec<Line>,
    /// Fingerprint bits per slot.
    fp_bits: u32,
    /// Per name length: some distance-1 name has it (bit 0), some
    /// distance-2 name has it (bit 1). Queries that no name length can
    /// reach are not probed.
    lengths: Vec<u8>,
    /// Longest query worth probing.
    pub(crate) max_query: usize,
}

/// A name to index: id, folded characters (as `u32`), allowed distance (1–2).
pub(crate) struct FuzzyName<'a> {
    pub(crate) id: u32,
    pub(crate) chars: &'a [u32],
    pub(crate) max_distance: usize,
}

/// Reusable buffers for hashing and probing.
#[derive(Debug, Default)]
pub(crate) struct HashScratch {
    prefix: Vec<u64>,
    powers: Vec<u64>,
    hashes: Vec<u64>,
}

impl HashScratch {
    /// Hashes of every variant of `s` with at most `d` (≤ 2) deletions into
    /// `self.hashes` (unsorted, may repeat).
    fn variants(&mut self, s: &[u32], d: usize) {
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
        let pre = &self.prefix;
        let pw = &self.powers;
        let full = pre[n];
        // Hash of s[j..n].
        let suffix = |j: usize| full.wrapping_sub(pre[j].wrapping_mul(pw[n - j]));
        self.hashes.push(mix(full, n));
        if d >= 1 && n >= 1 {
            for j in 0..n {
                let h = pre[j]
                    .wrapping_mul(pw[n - 1 - j])
                    .wrapping_add(suffix(j + 1));
                self.hashes.push(mix(h, n - 1));
            }
        }
        if d >= 2 && n >= 2 {
            for j in 0..n {
                for k in j + 1..n {
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

/// Home line of a hash (multiply-shift over the high 32 bits; the
/// fingerprint uses the low bits).
fn home(h: u64, lines: usize) -> usize {
    (((h >> 32) * lines as u64) >> 32) as usize
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

impl FuzzyIndex {
    /// Builds the index.
    pub(crate) fn build(names: &[FuzzyName<'_>]) -> Self {
        let names: Vec<&FuzzyName<'_>> = names
            .iter()
            .filter(|n| {
                (1..=2).contains(&n.max_distance) && !n.chars.is_empty() && n.id < MAX_NAMES
            })
            .collect();
        if names.is_empty() {
            return Self::default();
        }
        let mut scratch = HashScratch::default();
        let variants = |scratch: &mut HashScratch, n: &FuzzyName<'_>| {
            scratch.variants(n.chars, n.max_distance);
            scratch.hashes.sort_unstable();
            scratch.hashes.dedup();
        };
        // Upper bound of the entry count sizes the table (load ≤ 0.75).
        let bound: usize = names
            .iter()
            .map(|n| {
                let l = n.chars.len();
                1 + l
                    + if n.max_distance >= 2 {
                        l * l.saturating_sub(1) / 2
                    } else {
                        0
                    }
            })
            .sum();
        let line_count = (bound / (SLOTS * 3 / 4)).max(1) + 1;
        let max_id = names.iter().map(|n| n.id).max().unwrap_or(0);
        let fp_bits = (max_id + 1).leading_zeros().min(24);
        let fp_mask = (1u64 << fp_bits) - 1;
        let mut lines = vec![Line::default(); line_count];
        for n in &names {
            variants(&mut scratch, n);
            let entry = ((n.id + 1) << fp_bits) as u64;
            for &h in &scratch.hashes {
                let mut line = home(h, line_count);
                'insert: loop {
                    for slot in &mut lines[line].0 {
                        if *slot == 0 {
                            *slot = (entry | (h & fp_mask)) as u32;
                            break 'insert;
                        }
                    }
                    line = if line + 1 == line_count { 0 } else { line + 1 };
                }
            }
        }
        let max_query = names
            .iter()
            .map(|n| n.chars.len() + n.max_distance)
            .max()
            .unwrap_or(0);
        let mut lengths = vec![0u8; names.iter().map(|n| n.chars.len()).max().unwrap_or(0) + 1];
        for n in &names {
            lengths[n.chars.len()] |= if n.max_distance >= 2 { 2 } else { 1 };
        }
        Self {
            lines,
            fp_bits,
            lengths,
            max_query,
        }
    }

    /// Whether the index holds anything.
    pub(crate) fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The deletions a query of `len` characters needs (0: no name can be
    /// within reach).
    fn reach(&self, len: usize) -> usize {
        let has = |bit: u8, lo: usize, hi: usize| {
            self.lengths
                .get(lo..=hi.min(self.lengths.len().saturating_sub(1)))
                .is_some_and(|l| l.iter().any(|&b| b & bit != 0))
        };
        if has(2, len.saturating_sub(2), len + 2) {
            2
        } else if has(1, len.saturating_sub(1), len + 1) {
            1
        } else {
            0
        }
    }

    /// Candidate names (unverified, sorted, deduplicated) for `query` into
    /// `out`.
    pub(crate) fn candidates(&self, query: &[u32], scratch: &mut HashScratch, out: &mut Vec<u32>) {
        out.clear();
        let n = query.len();
        if self.is_empty() || n > self.max_query {
            return;
        }
        let d = self.reach(n);
        if d == 0 {
            return;
        }
        scratch.variants(query, d);
        let line_count = self.lines.len();
        // Touch every line first: the loads are independent, so their cache
        // misses overlap instead of queueing behind each other.
        let mut touch = 0u32;
        for &h in &scratch.hashes {
            touch ^= self.lines[home(h, line_count)].0[0];
        }
        std::hint::black_box(touch);
        let fp_mask = (1u32 << self.fp_bits) - 1;
        for &h in &scratch.hashes {
            let fp = h as u32 & fp_mask;
            let mut line = home(h, line_count);
            'probe: loop {
                for &slot in &self.lines[line].0 {
                    if slot == 0 {
                        break 'probe;
                    }
                    if slot & fp_mask == fp {
                        out.push((slot >> self.fp_bits) - 1);
                    }
                }
                line = if line + 1 == line_count { 0 } else { line + 1 };
            }
        }
        if out.len() > 1 {
            out.sort_unstable();
            out.dedup();
        }
    }

    /// Heap bytes held.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.lines.capacity() * std::mem::size_of::<Line>() + self.lengths.capacity()
    }
}

/// Largest distance [`distance_within`] computes.
const MAX_DISTANCE: usize = 2;
/// Band width of the dynamic programme: cells with `|i - j| <= 2`.
const BAND: usize = 2 * MAX_DISTANCE + 1;

/// Optimal string alignment distance (insertions, deletions,
/// substitutions, adjacent transpositions) between `a` and `b` if it is at
/// most `max` (at most 2), else `None`. A banded dynamic programme: only
/// cells within `max` of the diagonal can stay within `max`.
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
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let up = if t + 1 < BAND {
                    rows[r1][t + 1] + 1
                } else {
                    INF
                };
                let left = if t > 0 { rows[r2][t - 1] + 1 } else { INF };
                let mut v = up.min(left).min(rows[r1][t] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<u32> {
        s.chars().map(u32::from).collect()
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
                let cost = usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[n][m]
    }

    proptest::proptest! {
        #[test]
        fn banded_distance_agrees_with_the_full_one(a in "[abc]{0,12}", b in "[abc]{0,12}", max in 0usize..=2) {
            let (a, b) = (chars(&a), chars(&b));
            let full = osa(&a, &b);
            proptest::prop_assert_eq!(distance_within(&a, &b, max), Some(full).filter(|&d| d <= max));
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

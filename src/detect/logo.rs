//! Logo matching by Hamming distance over 64-bit perceptual hashes.
//!
//! With few logos a linear XOR + popcount scan is fastest. Past
//! [`MULTI_INDEX_MIN`] logos a multi-index answers instead: the hash is cut
//! into 4 bands of 16 bits, and since 4 × 3 > 10, any logo within distance
//! 10 differs from the query in at most 2 bits of some band. Each band has a
//! table from band value to logos, so a query probes the 137 values within
//! 2 bits of each of its 4 bands (548 lookups in 1 MiB of tables) instead
//! of 10k popcounts. (Eleven 6-bit bands with exact lookups, the other
//! pigeonhole split, would put ~150 logos behind every band value at 10k
//! logos: ~1,700 candidates per query.) Measured in `benches/detect.rs`.

use super::{LOGO_MATCH_DISTANCE, LogoMatch};

/// From this many logos on, scans use the multi-index.
const MULTI_INDEX_MIN: usize = 2048;
/// Bands of the multi-index.
const BANDS: usize = 4;
/// Bits per band.
const BAND_BITS: u32 = 16;
/// Differing bits allowed in the band that must be close (pigeonhole:
/// `BANDS * (BAND_SLACK + 1) > LOGO_MATCH_DISTANCE`).
const BAND_SLACK: u32 = 2;
const _: () = assert!(BANDS as u32 * (BAND_SLACK + 1) > LOGO_MATCH_DISTANCE);

/// Registered logo hashes and their brands, in parallel vectors.
#[derive(Debug, Default)]
pub(crate) struct LogoIndex {
    /// Logo hashes.
    hashes: Vec<u64>,
    /// `brands[i]` owns `hashes[i]`.
    brands: Vec<u32>,
    /// `positions[i]`: the index of `hashes[i]` among its brand's logos.
    positions: Vec<u32>,
    /// Per band: logos grouped by band value (empty below
    /// [`MULTI_INDEX_MIN`] logos).
    bands: Vec<Band>,
}

/// One band's table: logos whose band value is `v` are
/// `logos[starts[v]..starts[v + 1]]`.
#[derive(Debug, Default)]
struct Band {
    starts: Vec<u32>,
    logos: Vec<u32>,
}

/// The 137 16-bit masks with at most 2 bits set.
fn slack_masks() -> impl Iterator<Item = u64> {
    std::iter::once(0)
        .chain((0..BAND_BITS).map(|i| 1u64 << i))
        .chain(
            (0..BAND_BITS).flat_map(|i| (i + 1..BAND_BITS).map(move |j| (1u64 << i) | (1u64 << j))),
        )
}

fn band(hash: u64, b: usize) -> u64 {
    (hash >> (b as u32 * BAND_BITS)) & ((1 << BAND_BITS) - 1)
}

impl LogoIndex {
    /// Adds one logo, the `position`-th of its brand.
    pub(crate) fn push(&mut self, brand: u32, position: u32, hash: u64) {
        self.hashes.push(hash);
        self.brands.push(brand);
        self.positions.push(position);
    }

    /// Builds the multi-index once every logo is pushed (a no-op below
    /// [`MULTI_INDEX_MIN`] logos or past `u32::MAX`).
    pub(crate) fn finish(&mut self) {
        self.bands.clear();
        if self.hashes.len() < MULTI_INDEX_MIN || u32::try_from(self.hashes.len()).is_err() {
            return;
        }
        let values = 1usize << BAND_BITS;
        for b in 0..BANDS {
            let mut starts = vec![0u32; values + 1];
            for &h in &self.hashes {
                starts[band(h, b) as usize + 1] += 1;
            }
            for v in 0..values {
                starts[v + 1] += starts[v];
            }
            let mut fill = starts.clone();
            let mut logos = vec![0u32; self.hashes.len()];
            for (i, &h) in self.hashes.iter().enumerate() {
                let v = band(h, b) as usize;
                logos[fill[v] as usize] = i as u32;
                fill[v] += 1;
            }
            self.bands.push(Band { starts, logos });
        }
    }

    /// Number of logos.
    pub(crate) fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Appends, for each listing hash, every brand with a logo within
    /// [`LOGO_MATCH_DISTANCE`], keeping the closest logo per (brand, hash)
    /// (the brand's first among equally close ones). Sorted by hash index,
    /// then distance, then brand.
    pub(crate) fn scan(&self, queries: &[u64], out: &mut Vec<LogoMatch>) {
        out.clear();
        for (hash_index, &q) in queries.iter().enumerate() {
            let first = out.len();
            if self.bands.is_empty() {
                self.scan_linear(q, hash_index, out);
            } else {
                self.scan_bands(q, hash_index, out);
            }
            // Smallest distance per brand, then order by distance.
            out[first..].sort_unstable_by_key(|m| (m.brand, m.distance, m.logo));
            let mut keep = first;
            for i in first..out.len() {
                if keep == first || out[i].brand != out[keep - 1].brand {
                    out[keep] = out[i];
                    keep += 1;
                }
            }
            out.truncate(keep);
            out[first..].sort_unstable_by_key(|m| (m.distance, m.brand));
        }
    }

    fn scan_linear(&self, q: u64, hash_index: usize, out: &mut Vec<LogoMatch>) {
        for (i, &h) in self.hashes.iter().enumerate() {
            let distance = (h ^ q).count_ones();
            if distance <= LOGO_MATCH_DISTANCE {
                out.push(LogoMatch {
                    brand: self.brands[i],
                    logo: self.positions[i] as usize,
                    hash_index,
                    distance,
                });
            }
        }
    }

    fn scan_bands(&self, q: u64, hash_index: usize, out: &mut Vec<LogoMatch>) {
        for (b, table) in self.bands.iter().enumerate() {
            let v = band(q, b);
            for mask in slack_masks() {
                let w = (v ^ mask) as usize;
                let lo = table.starts[w] as usize;
                let hi = table.starts[w + 1] as usize;
                for &i in &table.logos[lo..hi] {
                    let h = self.hashes[i as usize];
                    // Report each logo once: from the first band that is close.
                    if (0..b).any(|earlier| {
                        (band(h, earlier) ^ band(q, earlier)).count_ones() <= BAND_SLACK
                    }) {
                        continue;
                    }
                    let distance = (h ^ q).count_ones();
                    if distance <= LOGO_MATCH_DISTANCE {
                        out.push(LogoMatch {
                            brand: self.brands[i as usize],
                            logo: self.positions[i as usize] as usize,
                            hash_index,
                            distance,
                        });
                    }
                }
            }
        }
    }

    /// Heap bytes held.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.hashes.capacity() * 8
            + self.brands.capacity() * 4
            + self.positions.capacity() * 4
            + self
                .bands
                .iter()
                .map(|b| b.starts.capacity() * 4 + b.logos.capacity() * 4)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn there_are_137_slack_masks() {
        assert_eq!(slack_masks().count(), 137);
    }

    fn index(hashes: &[u64]) -> LogoIndex {
        let mut index = LogoIndex::default();
        for (i, &h) in hashes.iter().enumerate() {
            index.push(i as u32 % 97, i as u32 / 97, h);
        }
        index.finish();
        index
    }

    proptest! {
        #[test]
        fn multi_index_finds_what_a_linear_scan_finds(
            seed in any::<u64>(),
            flips in prop::collection::vec(prop::collection::vec(0u32..64, 0..14), 1..8),
        ) {
            // Many random logos plus queries near some of them.
            let mut x = seed | 1;
            let mut hashes: Vec<u64> = (0..MULTI_INDEX_MIN + 100)
                .map(|_| { x ^= x << 13; x ^= x >> 7; x ^= x << 17; x })
                .collect();
            hashes[7] = 0;
            let queries: Vec<u64> = flips
                .iter()
                .enumerate()
                .map(|(i, bits)| bits.iter().fold(hashes[i * 31 % hashes.len()], |h, &b| h ^ (1 << b)))
                .collect();
            let multi = index(&hashes);
            prop_assert!(!multi.bands.is_empty());
            let mut linear = LogoIndex {
                hashes: multi.hashes.clone(),
                brands: multi.brands.clone(),
                positions: multi.positions.clone(),
                bands: Vec::new(),
            };
            linear.finish_linear_for_test();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            multi.scan(&queries, &mut a);
            linear.scan(&queries, &mut b);
            prop_assert_eq!(a, b);
        }
    }

    impl LogoIndex {
        fn finish_linear_for_test(&mut self) {
            self.bands.clear();
        }
    }
}

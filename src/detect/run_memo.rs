//! A thread's memo of what fuzzy runs of several words found.
//!
//! A run is remembered by the numbers its words have in the thread's word
//! memo ([`RunKey`]), so looking it up neither copies nor hashes its
//! characters. A title makes a few dozen such lookups, each in a table the
//! automaton's scan of the same title has just pushed out of the core's
//! cache; so the table is set-associative, four runs to a 64-byte line,
//! and a scan first touches the line of every run it will look up
//! ([`RunMemo::touch`]): the misses overlap instead of coming one after
//! another, and each lookup then reads one line.
//!
//! Most runs find nothing (no way of `runs.rs` reaches them); that is
//! remembered in the slot itself. The hits of the others are kept beside
//! the table. A full line gives up one of its runs, chosen by the new
//! run's hash; when the hits kept reach [`MEMO_RUNS`], everything is
//! forgotten at once.

/// Words in the longest run looked up.
pub(super) const RUN_WORDS: usize = 3;
/// A run of several words: the numbers of its words in the word memo,
/// then [`NO_WORD`] for a run shorter than [`RUN_WORDS`].
pub(super) type RunKey = [u32; RUN_WORDS];
/// No word: the rest of a [`RunKey`], and an empty slot's first word.
pub(super) const NO_WORD: u32 = u32::MAX;
/// A slot's `found` for a run that finds nothing.
const NOTHING: u32 = u32::MAX;
/// Runs per line.
const WAYS: usize = 4;
/// Lines in the table: 16,384 runs in 256 KiB.
const LINES: usize = 4096;

/// Runs with hits a thread remembers, at most: past them, every run is
/// forgotten at once.
pub(super) const MEMO_RUNS: usize = 32_768;
/// Verified candidate names with their distance.
pub(super) type Hits = Box<[(u32, u8)]>;

#[derive(Clone, Copy, Debug)]
struct Slot {
    key: RunKey,
    /// Where its hits are in [`RunMemo::found`], or [`NOTHING`].
    found: u32,
}

const EMPTY: Slot = Slot {
    key: [NO_WORD; RUN_WORDS],
    found: NOTHING,
};

/// One cache line of runs.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
struct Line([Slot; WAYS]);

/// What runs of several words found (module docs).
#[derive(Debug, Default)]
pub(super) struct RunMemo {
    /// Empty until the first run is remembered.
    lines: Vec<Line>,
    /// The hits of the runs that found some.
    found: Vec<Hits>,
}

/// The line of `key`, and the way a new run takes in a full line.
fn place(key: &RunKey) -> (usize, usize) {
    let mut h = 0u64;
    for &word in key {
        h = (h ^ u64::from(word)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    // The top bits are the best mixed.
    let line = (h >> 40) as usize & (LINES - 1);
    let way = (h >> 32) as usize & (WAYS - 1);
    (line, way)
}

impl RunMemo {
    /// Forgets every run.
    pub(super) fn clear(&mut self) {
        self.lines.fill(Line([EMPTY; WAYS]));
        self.found.clear();
    }

    /// Reads the line of `key`, so that a lookup soon after finds it in
    /// cache; returns something of it for the caller to fold into a value
    /// it keeps (`std::hint::black_box`), so the read is not left out.
    pub(super) fn touch(&self, key: &RunKey) -> u32 {
        self.lines
            .get(place(key).0)
            .map_or(0, |line| line.0[0].found)
    }

    /// What `key` found, if it is remembered: `Some(&[])` for nothing.
    pub(super) fn get(&self, key: &RunKey) -> Option<&[(u32, u8)]> {
        let line = self.lines.get(place(key).0)?;
        let slot = line.0.iter().find(|slot| slot.key == *key)?;
        Some(match slot.found {
            NOTHING => &[],
            i => self.found.get(i as usize).map_or(&[], |hits| &hits[..]),
        })
    }

    /// Remembers what `key` found (a run not yet remembered, of real
    /// words); returns it.
    #[inline]
    pub(super) fn insert(&mut self, key: RunKey, hits: Hits) -> &[(u32, u8)] {
        if self.lines.is_empty() {
            self.lines = vec![Line([EMPTY; WAYS]); LINES];
        }
        if !hits.is_empty() && self.found.len() >= MEMO_RUNS {
            self.clear();
        }
        let found = if hits.is_empty() {
            NOTHING
        } else {
            self.found.push(hits);
            u32::try_from(self.found.len() - 1).unwrap_or(NOTHING)
        };
        let (line, way) = place(&key);
        let slots = &mut self.lines[line].0;
        let way = slots
            .iter()
            .position(|slot| slot.key[0] == NO_WORD)
            .unwrap_or(way);
        slots[way] = Slot { key, found };
        match found {
            NOTHING => &[],
            i => &self.found[i as usize],
        }
    }

    /// Runs remembered (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lines
            .iter()
            .flat_map(|line| &line.0)
            .filter(|slot| slot.key[0] != NO_WORD)
            .count()
    }

    /// Heap bytes held.
    pub(super) fn bytes(&self) -> usize {
        std::mem::size_of::<Line>() * self.lines.capacity()
            + std::mem::size_of::<Hits>() * self.found.capacity()
            + self.found.iter().map(|hits| 8 * hits.len()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::{LINES, MEMO_RUNS, NO_WORD, RunKey, RunMemo, WAYS};

    fn key(i: u32) -> RunKey {
        [i, i + 1, if i.is_multiple_of(2) { NO_WORD } else { i + 2 }]
    }

    #[test]
    fn remembers_what_runs_found_and_that_some_found_nothing() {
        let mut memo = RunMemo::default();
        assert_eq!(memo.get(&key(1)), None);
        assert_eq!(memo.touch(&key(1)), 0);
        assert_eq!(memo.insert(key(1), Box::new([(7, 1)])), &[(7, 1)]);
        assert_eq!(memo.insert(key(2), Box::default()), &[]);
        assert_eq!(memo.get(&key(1)), Some(&[(7, 1)][..]));
        assert_eq!(memo.get(&key(2)), Some(&[][..]));
        assert_eq!(memo.get(&key(3)), None);
        // A run of two words is not the run of three that starts with them.
        assert_eq!(memo.get(&[1, 2, 4]), None);
        memo.clear();
        assert_eq!(memo.get(&key(1)), None);
        assert_eq!(memo.len(), 0);
    }

    #[test]
    fn a_full_table_gives_up_runs_but_never_answers_wrongly() {
        let mut memo = RunMemo::default();
        let n = u32::try_from(LINES * WAYS * 2).expect("fits");
        for i in 0..n {
            let hits: Box<[(u32, u8)]> = if i.is_multiple_of(3) {
                Box::new([(i, 1)])
            } else {
                Box::default()
            };
            memo.insert(key(i), hits);
        }
        assert!(memo.len() <= LINES * WAYS);
        let mut remembered = 0;
        for i in 0..n {
            if let Some(hits) = memo.get(&key(i)) {
                remembered += 1;
                let expected: &[(u32, u8)] = if i.is_multiple_of(3) { &[(i, 1)] } else { &[] };
                assert_eq!(hits, expected, "run {i}");
            }
        }
        // Most of the last table's worth is still there.
        assert!(remembered > LINES * WAYS / 2, "{remembered}");
    }

    #[test]
    fn hits_past_the_bound_forget_everything() {
        let mut memo = RunMemo::default();
        let n = u32::try_from(MEMO_RUNS).expect("fits");
        for i in 0..=n {
            memo.insert(key(i), Box::new([(i, 2)]));
        }
        // The last insert found the bound reached and started again.
        assert_eq!(memo.len(), 1);
        assert_eq!(memo.get(&key(n)), Some(&[(n, 2)][..]));
        assert_eq!(memo.get(&key(0)), None);
    }
}

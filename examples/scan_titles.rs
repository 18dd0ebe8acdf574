//! Scans the synthetic registry's titles with `BrandIndex::scan_text`, for
//! counting instructions: the figure callgrind gives is the same from run to
//! run, whatever else the machine is doing, where timings on a shared machine
//! scatter by ±30 %.
//!
//! ```sh
//! cargo build --release --example scan_titles
//! valgrind --tool=callgrind --collect-atstart=no '--toggle-collect=*scan_all*' \
//!     target/release/examples/scan_titles [fuzzy_max_words, default 3] [passes]
//! ```
//!
//! It builds the index of `benches/synthetic` (100k brands), scans its 1,000
//! titles once to fill the thread's word memo, then 3 more times; callgrind
//! counts only `scan_all` (all 4 passes). It prints the matches found in the
//! last 3 passes, so two builds can be checked to find the same.

#[path = "../benches/synthetic/mod.rs"]
mod synthetic;

use marque::detect::{BrandIndex, ScanOptions};

/// Scans every title `rounds` times; the number of matches found.
#[inline(never)]
fn scan_all(index: &BrandIndex, titles: &[String], options: ScanOptions, rounds: usize) -> usize {
    let mut out = Vec::new();
    let mut found = 0;
    for _ in 0..rounds {
        for title in titles {
            index.scan_text_with(title, options, &mut out);
            found += out.len();
        }
    }
    found
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fuzzy_max_words = match std::env::args().nth(1) {
        Some(words) => words.parse()?,
        None => 3,
    };
    let brands = synthetic::registry(synthetic::FULL);
    let titles = synthetic::titles(&brands, synthetic::FULL.titles);
    let index = BrandIndex::build(brands)?;
    let options = ScanOptions { fuzzy_max_words };
    scan_all(&index, &titles, options, 1);
    println!(
        "{} titles; matches in 3 passes: {}",
        titles.len(),
        scan_all(&index, &titles, options, 3)
    );
    // More passes, for a sampling profiler (`perf record`) to see the scan
    // rather than the build.
    let passes: usize = match std::env::args().nth(2) {
        Some(passes) => passes.parse()?,
        None => 0,
    };
    if passes > 0 {
        let started = std::time::Instant::now();
        let found = scan_all(&index, &titles, options, passes);
        let per_title = started.elapsed() / u32::try_from(passes * titles.len())?;
        println!("{passes} more passes: {found} matches, {per_title:?} a title");
        let (hits, misses) = BrandIndex::word_memo_counts();
        println!(
            "memo: {hits} lookups answered, {misses} made afresh, {} KiB",
            BrandIndex::word_memo_bytes() / 1024
        );
    }
    Ok(())
}

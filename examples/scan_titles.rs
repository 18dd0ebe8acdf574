//! Scans the synthetic registry's titles with `BrandIndex::scan_text`, for
//! counting instructions: the figure callgrind gives is the same from run to
//! run, whatever else the machine is doing, where timings on a shared machine
//! scatter by ±30 %.
//!
//! ```sh
//! cargo build --release --example scan_titles
//! valgrind --tool=callgrind --collect-atstart=no '--toggle-collect=*scan_all*' \
//!     target/release/examples/scan_titles [fuzzy_max_words, default 3] [passes] [stream]
//! valgrind --tool=callgrind --collect-atstart=no '--toggle-collect=*scan_stream*' \
//!     target/release/examples/scan_titles 3 0 20000
//! ```
//!
//! It builds the index of `benches/synthetic` (100k brands), scans its 1,000
//! titles once to fill the thread's word memo, then 3 more times; callgrind
//! counts only `scan_all` (all 4 passes). It prints the matches found in the
//! last 3 passes, so two builds can be checked to find the same.
//!
//! With a third argument, it then scans that many further titles of the
//! same generator once each (`scan_stream`), as the check bench's stream
//! does: most of their runs of words, and some of their words, are not in
//! the memo yet.

#[path = "../benches/synthetic/mod.rs"]
mod synthetic;

use marque::detect::{BrandIndex, ScanOptions, TextMatch};

/// Scans every title `rounds` times; the number of matches found.
#[inline(never)]
fn scan_all(index: &BrandIndex, titles: &[String], options: ScanOptions, rounds: usize) -> usize {
    let mut out = Vec::new();
    (0..rounds)
        .map(|_| scan_each(index, titles, options, &mut out))
        .sum()
}

/// Scans each title once; the number of matches found.
fn scan_each(
    index: &BrandIndex,
    titles: &[String],
    options: ScanOptions,
    out: &mut Vec<TextMatch>,
) -> usize {
    titles
        .iter()
        .map(|title| {
            index.scan_text_with(title, options, out);
            out.len()
        })
        .sum()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fuzzy_max_words = match std::env::args().nth(1) {
        Some(words) => words.parse()?,
        None => 3,
    };
    let stream_len: usize = match std::env::args().nth(3) {
        Some(count) => count.parse()?,
        None => 0,
    };
    let brands = synthetic::registry(synthetic::FULL);
    let mut titles = synthetic::titles(&brands, synthetic::FULL.titles + stream_len);
    let stream = titles.split_off(synthetic::FULL.titles);
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
    if !stream.is_empty() {
        let (hits, misses) = BrandIndex::word_memo_counts();
        let started = std::time::Instant::now();
        let found = scan_stream(&index, &stream, options);
        let per_title = started.elapsed() / u32::try_from(stream.len())?;
        let (stream_hits, stream_misses) = BrandIndex::word_memo_counts();
        println!(
            "a stream of {} titles not scanned before, once each: {found} matches, {per_title:?} \
             a title; memo: {} lookups answered, {} made afresh",
            stream.len(),
            stream_hits - hits,
            stream_misses - misses
        );
    }
    Ok(())
}

/// Scans each title of `stream` once, after the titles above: what a scan
/// costs where most runs of words, and some words, are new. (Apart from
/// `scan_all`, so that each has a callgrind toggle of its own.)
#[inline(never)]
fn scan_stream(index: &BrandIndex, stream: &[String], options: ScanOptions) -> usize {
    scan_each(index, stream, options, &mut Vec::new())
}

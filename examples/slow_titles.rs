//! The scan's tail: each of the synthetic registry's titles timed alone
//! with `BrandIndex::scan_text`, the fastest of 20 passes (so that a pass
//! the machine interrupted does not count), then the percentiles of those
//! times and the slowest titles, with and without fuzzy matching.
//!
//! ```sh
//! cargo build --release --example slow_titles
//! taskset -c 1 target/release/examples/slow_titles [slowest titles to list, default 10]
//! # Title number I (as listed) scanned N times, for a profiler or for
//! # counting its instructions:
//! perf stat -e instructions target/release/examples/slow_titles --repeat I N
//! ```
//!
//! It builds the index of `benches/synthetic` (100k brands) and scans its
//! 1,000 titles (the titles of `benches/detect.rs`). The first pass fills
//! the thread's word memo, as in the benchmarks.

#[path = "../benches/synthetic/mod.rs"]
mod synthetic;

use std::time::{Duration, Instant};

use marque::detect::{BrandIndex, ScanOptions};

const PASSES: usize = 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let repeat = match args.as_slice() {
        [flag, title, n] if flag == "--repeat" => {
            Some((title.parse::<usize>()?, n.parse::<u32>()?))
        }
        _ => None,
    };
    let listed: usize = match args.as_slice() {
        [n] => n.parse()?,
        _ => 10,
    };
    let brands = synthetic::registry(synthetic::FULL);
    let titles = synthetic::titles(&brands, synthetic::FULL.titles);
    let index = BrandIndex::build(brands)?;
    let no_fuzzy = ScanOptions { fuzzy_max_words: 0 };
    let mut out = Vec::new();
    let mut fastest = vec![Duration::MAX; titles.len()];
    let mut fastest_no_fuzzy = vec![Duration::MAX; titles.len()];
    for _ in 0..PASSES {
        for (i, title) in titles.iter().enumerate() {
            let started = Instant::now();
            index.scan_text(title, &mut out);
            fastest[i] = fastest[i].min(started.elapsed());
            let started = Instant::now();
            index.scan_text_with(title, no_fuzzy, &mut out);
            fastest_no_fuzzy[i] = fastest_no_fuzzy[i].min(started.elapsed());
        }
    }
    if let Some((title, times)) = repeat {
        let title = titles.get(title).ok_or("no such title")?;
        let started = Instant::now();
        let mut found = 0;
        for _ in 0..times {
            index.scan_text(title, &mut out);
            found += out.len();
        }
        println!(
            "{title:?} scanned {times} times: {:?} a scan, {found} matches",
            started.elapsed() / times.max(1)
        );
        return Ok(());
    }
    let mut order: Vec<usize> = (0..titles.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(fastest[i]));
    let mut sorted = fastest.clone();
    sorted.sort_unstable();
    let at = |q: f64| sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)];
    println!(
        "scan_text of {} titles alone, fastest of {PASSES} each: p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        titles.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
    for &i in order.iter().take(listed) {
        index.scan_text(&titles[i], &mut out);
        println!(
            "{i:>4}: {:>10.3?} (no fuzzy {:>9.3?}), {:>3} matches: {:?}",
            fastest[i],
            fastest_no_fuzzy[i],
            out.len(),
            titles[i]
        );
    }
    Ok(())
}

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
//! # The same over a base and an overlay of N changed brands (a layered
//! # scan, as while brands change; the check bench changes 600):
//! taskset -c 1 target/release/examples/slow_titles --overlay N [slowest]
//! ```
//!
//! It builds the index of `benches/synthetic` (100k brands) and scans its
//! 1,000 titles (the titles of `benches/detect.rs`). The first pass fills
//! the thread's word memo, as in the benchmarks. With `--overlay N`, N
//! brands changed as the check bench changes them (every 7,919th, each
//! given one more alias; the bench counts them in the snapshot's own
//! order, so they need not be the same brands) go into an overlay of their
//! own and are retired from the base, and the titles are scanned through
//! both layers
//! (`marque::detect::Layers`), with nothing else running: the check bench
//! builds a new base on another thread while it times layered checks.

#[path = "../benches/synthetic/mod.rs"]
mod synthetic;

use std::time::{Duration, Instant};

use marque::detect::{BrandEntry, BrandIndex, Layers, ScanOptions, TextMatch};

const PASSES: usize = 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let overlay_size = match args.iter().position(|a| a == "--overlay") {
        Some(at) if at + 1 < args.len() => {
            let n: usize = args[at + 1].parse()?;
            args.drain(at..at + 2);
            n
        }
        Some(_) => return Err("--overlay needs a number of brands".into()),
        None => 0,
    };
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
    // Brand writes made as the check bench makes them (`synthetic::changed`,
    // one alias more), each brand under an id of its own in the overlay.
    let count = brands.len();
    let mut retired: Vec<u32> = Vec::new();
    let changed: Vec<BrandEntry> = (0..overlay_size.min(count))
        .map(|i| {
            let mut brand = brands[synthetic::changed(i, count)].clone();
            retired.push(brand.id);
            let alias = synthetic::added_alias(&brand.names[0], i);
            brand.names.push(alias);
            brand.id = u32::try_from(count + i).unwrap_or(u32::MAX);
            brand
        })
        .collect();
    retired.sort_unstable();
    let index = BrandIndex::build(brands)?;
    let overlay = if changed.is_empty() {
        None
    } else {
        Some(BrandIndex::build(changed)?)
    };
    let layers = Layers {
        base: &index,
        retired: &retired,
        overlay: overlay.as_ref(),
    };
    let scan = |title: &str, options: ScanOptions, out: &mut Vec<TextMatch>| {
        if layers.overlay.is_some() {
            layers.scan_text_with(title, options, out);
        } else {
            index.scan_text_with(title, options, out);
        }
    };
    let no_fuzzy = ScanOptions { fuzzy_max_words: 0 };
    let mut out = Vec::new();
    let mut fastest = vec![Duration::MAX; titles.len()];
    let mut fastest_no_fuzzy = vec![Duration::MAX; titles.len()];
    for _ in 0..PASSES {
        for (i, title) in titles.iter().enumerate() {
            let started = Instant::now();
            scan(title, ScanOptions::default(), &mut out);
            fastest[i] = fastest[i].min(started.elapsed());
            let started = Instant::now();
            scan(title, no_fuzzy, &mut out);
            fastest_no_fuzzy[i] = fastest_no_fuzzy[i].min(started.elapsed());
        }
    }
    if let Some((title, times)) = repeat {
        let title = titles.get(title).ok_or("no such title")?;
        let started = Instant::now();
        let mut found = 0;
        for _ in 0..times {
            scan(title, ScanOptions::default(), &mut out);
            found += out.len();
        }
        println!(
            "{title:?} scanned {times} times: {:?} a scan, {found} matches",
            started.elapsed() / times.max(1)
        );
        return Ok(());
    }
    let (hits, misses) = BrandIndex::word_memo_counts();
    println!("word memo: {hits} lookups answered, {misses} made afresh");
    let mut order: Vec<usize> = (0..titles.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(fastest[i]));
    let mut sorted = fastest.clone();
    sorted.sort_unstable();
    let at = |q: f64| sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)];
    println!(
        "scan_text of {} titles alone{}, fastest of {PASSES} each: p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        titles.len(),
        match &overlay {
            Some(_) => format!(" over a base and an overlay of {overlay_size} brands"),
            None => String::new(),
        },
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
    for &i in order.iter().take(listed) {
        scan(&titles[i], ScanOptions::default(), &mut out);
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

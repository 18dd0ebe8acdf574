//! Detection benchmarks over a deterministic synthetic registry
//! (`benches/synthetic`, shared with `benches/check.rs`).
//!
//! 100k brands with pronounceable 5–12 letter names, 300k aliases (other
//! names, two-word names, CJK), 10k logos; 1,000 listing titles of about
//! 120 bytes, half of them mentioning a brand (exact, obfuscated or
//! misspelt), one in ten in Chinese.
//!
//! Run with `cargo bench --bench detect`. Groups:
//! - `scan_text`: `BrandIndex::scan_text` (fuzzy over runs of up to 3
//!   words, the default), fuzzy over single words only, and no fuzzy
//!   (exact + obfuscated only), per title;
//! - `floor`: raw `aho-corasick` over the same folded and joined titles
//!   and the same patterns (`find_iter`, and `find_overlapping_iter`, the
//!   search the index falls back to on long repetitive texts; it walks the
//!   automaton anchored from word starts otherwise), the lower bound for
//!   the ratio;
//! - `build`: `BrandIndex::build` for the whole registry;
//! - `logos`: `scan_logos` with 1 and 4 listing hashes against 10k logos.
//!
//! A plain-timer summary (checks/s, ratio, build time, memory) is printed
//! to stderr first; its last ratio line times the scan and the floor in
//! alternating rounds, which a machine's changing speed moves less. Under
//! `cargo test --benches` (no `--bench` argument) it runs the same code on
//! a small registry, so it cannot rot.

use std::hint::black_box;
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, MatchKind};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use marque::detect::normalize::fold_obfuscated;
use marque::detect::{BrandEntry, BrandIndex, LogoMatch, ScanOptions, TextMatch, signal_terms};

mod synthetic;

/// The same folded patterns the index uses (every name folded and joined
/// without separators).
fn floor_patterns(brands: &[BrandEntry]) -> Vec<String> {
    let mut patterns: Vec<String> = Vec::new();
    for b in brands {
        for n in &b.names {
            // The index's patterns: each name folded and joined without
            // separators.
            patterns.push(fold_obfuscated(n).replace(' ', ""));
        }
    }
    patterns.sort_unstable();
    patterns.dedup();
    patterns
}

fn time_per_call(mut f: impl FnMut(), calls: usize) -> Duration {
    // Warm up, then measure.
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(300) {
        f();
    }
    let rounds = 5;
    let start = Instant::now();
    for _ in 0..rounds {
        f();
    }
    start.elapsed() / (rounds * calls) as u32
}

/// The ratio of `floor`'s time to `scan`'s, each timed once a round, in
/// `rounds` alternating rounds after a warm-up of both: a machine whose
/// speed changes while it runs (other tenants, frequency) slows both alike
/// within a round, where the summary's separate timings, seconds apart,
/// each take their own moment. The median of the rounds' ratios, and the
/// middle half of them (quartiles).
fn interleaved_ratio(mut floor: impl FnMut(), mut scan: impl FnMut(), rounds: usize) -> [f64; 3] {
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_millis(300) {
        floor();
        scan();
    }
    // Each timed pass follows an untimed one of the same work, so that
    // neither is timed with the caches the other left.
    let timed = |f: &mut dyn FnMut()| {
        f();
        let started = Instant::now();
        f();
        started.elapsed().as_secs_f64().max(f64::MIN_POSITIVE)
    };
    let mut ratios: Vec<f64> = (0..rounds.max(1))
        .map(|_| timed(&mut floor) / timed(&mut scan))
        .collect();
    ratios.sort_by(f64::total_cmp);
    let at = |q: usize| ratios[(ratios.len() - 1) * q / 4];
    [at(1), at(2), at(3)]
}

fn bench(c: &mut Criterion) {
    // `cargo test --benches` runs the same code on a small registry.
    let sizes = if synthetic::benchmarking() {
        synthetic::FULL
    } else {
        synthetic::SMOKE
    };
    let brands = synthetic::registry(sizes);
    let titles = synthetic::titles(&brands, sizes.titles);
    let avg_len = titles.iter().map(String::len).sum::<usize>() / titles.len();

    // The index takes its brands: the copy is made before the timer, as
    // the check bench makes it.
    let brands_copy = brands.clone();
    let started = Instant::now();
    let index = BrandIndex::build(brands_copy).expect("index builds");
    let build_time = started.elapsed();
    let patterns = floor_patterns(&brands);
    // The index scans each title folded and joined the same way.
    let folded: Vec<String> = titles
        .iter()
        .map(|t| fold_obfuscated(t).replace(' ', ""))
        .collect();
    let floor = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(&patterns)
        .expect("floor automaton");
    let floor_ll = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&patterns)
        .expect("floor automaton");

    // Plain-timer summary.
    let mut out: Vec<TextMatch> = Vec::new();
    let mut hits = 0usize;
    let mut by_kind = std::collections::BTreeMap::<String, usize>::new();
    for t in &titles {
        index.scan_text(t, &mut out);
        hits += usize::from(!out.is_empty());
        for m in &out {
            let kind = format!("{:?}", m.evidence)
                .split([' ', '{'])
                .next()
                .unwrap_or("")
                .to_owned();
            *by_kind.entry(kind).or_default() += 1;
        }
    }
    // One pass of the scan over the titles (`scan_text` with its default
    // options, or fuzzy matching limited), and one of a floor automaton.
    let scan_pass = |options: ScanOptions, out: &mut Vec<TextMatch>| {
        for t in &titles {
            index.scan_text_with(black_box(t), options, out);
        }
    };
    let words = |fuzzy_max_words| ScanOptions { fuzzy_max_words };
    let floor_pass = |automaton: &AhoCorasick| {
        for f in &folded {
            black_box(automaton.find_iter(black_box(f.as_str())).count());
        }
    };
    let raw_pass = || floor_pass(&floor);
    let scan = time_per_call(|| scan_pass(ScanOptions::default(), &mut out), titles.len());
    let one_word = time_per_call(|| scan_pass(words(1), &mut out), titles.len());
    let strong = time_per_call(|| scan_pass(words(0), &mut out), titles.len());
    let raw = time_per_call(raw_pass, titles.len());
    let raw_ll = time_per_call(|| floor_pass(&floor_ll), titles.len());
    let fuzzy_ratio =
        interleaved_ratio(raw_pass, || scan_pass(ScanOptions::default(), &mut out), 41);
    let strong_ratio = interleaved_ratio(raw_pass, || scan_pass(words(0), &mut out), 41);
    let mut logo_out: Vec<LogoMatch> = Vec::new();
    let logo1 = time_per_call(
        || index.scan_logos(black_box(&[0x1234_5678_9ABC_DEF0]), &mut logo_out),
        1,
    );
    let per_s = |d: Duration| 1.0 / d.as_secs_f64();
    eprintln!(
        "--- detect summary ({} titles, avg {avg_len} bytes) ---",
        titles.len()
    );
    eprintln!(
        "registry: {} brands, {} names indexed, {} logos, {} automaton patterns",
        brands.len(),
        index.name_count(),
        index.logo_count(),
        patterns.len()
    );
    eprintln!("titles with a match: {hits}; matches by kind: {by_kind:?}");
    eprintln!(
        "build: {build_time:?}; memory_bytes: {:.1} MiB",
        index.memory_bytes() as f64 / 1048576.0
    );
    eprintln!(
        "scan_text (fuzzy 3 words): {scan:?}/title, {:.0} checks/s",
        per_s(scan)
    );
    eprintln!(
        "scan_text, fuzzy 1 word : {one_word:?}/title, {:.0} checks/s",
        per_s(one_word)
    );
    eprintln!(
        "scan_text, no fuzzy     : {strong:?}/title, {:.0} checks/s",
        per_s(strong)
    );
    eprintln!(
        "raw AC find_iter (standard)        : {raw:?}/title -> ratio: fuzzy 3 words {:.2}, no fuzzy {:.2}",
        raw.as_secs_f64() / scan.as_secs_f64(),
        raw.as_secs_f64() / strong.as_secs_f64()
    );
    eprintln!(
        "raw AC find_iter (leftmost-longest): {raw_ll:?}/title -> ratio: fuzzy 3 words {:.2}, no fuzzy {:.2}",
        raw_ll.as_secs_f64() / scan.as_secs_f64(),
        raw_ll.as_secs_f64() / strong.as_secs_f64()
    );
    eprintln!(
        "ratio to raw AC find_iter (standard), timed in 41 alternating rounds: fuzzy 3 words {:.2} \
         (middle half {:.2}-{:.2}), no fuzzy {:.2} (middle half {:.2}-{:.2})",
        fuzzy_ratio[1],
        fuzzy_ratio[0],
        fuzzy_ratio[2],
        strong_ratio[1],
        strong_ratio[0],
        strong_ratio[2]
    );
    eprintln!(
        "scan_logos (1 hash vs {} logos): {logo1:?}",
        index.logo_count()
    );

    let mut g = c.benchmark_group("scan_text");
    g.throughput(Throughput::Elements(titles.len() as u64));
    g.sample_size(20);
    g.bench_function("scan_text", |b| {
        b.iter(|| {
            for t in &titles {
                index.scan_text(black_box(t), &mut out);
            }
        })
    });
    g.bench_function("fuzzy_1_word", |b| {
        b.iter(|| {
            for t in &titles {
                index.scan_text_with(black_box(t), ScanOptions { fuzzy_max_words: 1 }, &mut out);
            }
        })
    });
    g.bench_function("no_fuzzy", |b| {
        b.iter(|| {
            for t in &titles {
                index.scan_text_with(black_box(t), ScanOptions { fuzzy_max_words: 0 }, &mut out);
            }
        })
    });
    g.bench_function("signal_terms", |b| {
        b.iter(|| {
            for t in &titles {
                black_box(signal_terms(black_box(t), &[]));
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("floor");
    g.throughput(Throughput::Elements(titles.len() as u64));
    g.bench_function("aho_corasick_find_iter", |b| {
        b.iter(|| {
            for f in &folded {
                black_box(floor.find_iter(black_box(f.as_str())).count());
            }
        })
    });
    g.bench_function("aho_corasick_find_iter_leftmost_longest", |b| {
        b.iter(|| {
            for f in &folded {
                black_box(floor_ll.find_iter(black_box(f.as_str())).count());
            }
        })
    });
    g.bench_function("aho_corasick_find_overlapping_iter", |b| {
        b.iter(|| {
            for f in &folded {
                black_box(floor.find_overlapping_iter(black_box(f.as_str())).count());
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("logos");
    g.bench_function("scan_logos_1_hash", |b| {
        b.iter(|| index.scan_logos(black_box(&[0x1234_5678_9ABC_DEF0]), &mut logo_out))
    });
    g.bench_function("scan_logos_4_hashes", |b| {
        b.iter(|| index.scan_logos(black_box(&[1, 2, 3, 0x1234_5678_9ABC_DEF0]), &mut logo_out))
    });
    g.finish();

    drop(floor);
    drop(floor_ll);
    let mut g = c.benchmark_group("build");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("build_100k_brands", |b| {
        // Each build gets its own copy of the brands, made (and the index
        // dropped) outside the timing.
        b.iter_batched(
            || brands.clone(),
            |brands| BrandIndex::build(black_box(brands)),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

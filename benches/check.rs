//! In-process `listing::check` benchmark over a snapshot of a full
//! deterministic synthetic registry (`benches/synthetic`, shared with
//! `benches/detect.rs`).
//!
//! The registry: an operator, 5,000 brand owners and 4 platforms; 100k brands
//! (the same names, aliases and logos as `benches/detect.rs`: 400k names in
//! all, 10k logos), about 1 in 200 flagged `common_word`; 1–4 trademarks per
//! brand with Nice classes, territories and expiry dates (most brands in
//! scope in most markets); 1,000,000 seller authorizations over the 4
//! platforms, with realistic seller account ids, classes, regions and
//! validity windows, some suspended or revoked. It is built with
//! `Snapshot::from_resources`, as a store's load does (detection index
//! included).
//!
//! The listings: the 1,000 titles of `benches/detect.rs` (~120 bytes, half
//! mentioning a brand exactly, by an alias, obfuscated or misspelt, one in
//! ten in Chinese), each with a seller on a platform (for half the titles
//! that mention a brand, one of that brand's authorized sellers), most with
//! a Nice class and a region; no description, declared brand or images.
//! Then a stream of 20,000 further titles from the same generator, each
//! checked once on a fresh thread, whose figures include how often the
//! detection's per-thread word memo answered (the 1,000 titles, checked in
//! rounds, have all their words in the memo after the first).
//!
//! Run with `cargo bench --bench check`. A plain-timer summary goes to
//! stderr first: snapshot build time, resident-memory growth per
//! authorization (`/proc/self/statm`), outcomes, checks/s on one thread and
//! p50/p99/max latency per check (each call timed; also over each listing's
//! fastest call, which a busy machine's preemptions hardly move), and the
//! parts of a check timed alone (the text scan, the registry lookups for
//! its matches). Then criterion's `check` group: `listing::check` per
//! title (all titles, titles mentioning a brand, titles without one).
//!
//! `listing::check` always scans with `ScanOptions::default()` (fuzzy
//! matching over runs of 1–3 words); the snapshot and listing API offer no
//! way to change it, so the summary shows the cheaper scans for detection
//! alone.
//!
//! Under `cargo test --benches` (no `--bench` argument) it runs the same
//! code on a small registry (1k brands, 10k authorizations), so it cannot
//! rot.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use marque::detect::BrandIndex;
use marque::detect::{ScanOptions, TextMatch};
use marque::listing::{self, Outcome};
use marque::model::{Actor, AuthorizationStatus, Change, ChangeEvent, Resource, Timestamp};
use marque::snapshot::{Detection, Snapshot};

mod synthetic;

use synthetic::{Mention, SyntheticListing, Title};

/// Resident set size of this process, from `/proc/self/statm` (Linux).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

/// The kernel's page size, from `/proc/self/smaps` (4 KiB if unreadable).
fn page_size() -> u64 {
    std::fs::read_to_string("/proc/self/smaps")
        .ok()
        .and_then(|smaps| {
            smaps
                .lines()
                .find_map(|l| l.strip_prefix("KernelPageSize:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(4096, |kib| kib * 1024)
}

/// Starts measuring the peak resident set afresh (Linux 4.0 on: writing
/// 5 to `/proc/self/clear_refs` resets `VmHWM`); whether it could.
fn reset_peak_resident() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The peak resident set since the last [`reset_peak_resident`] (`VmHWM`
/// of `/proc/self/status`).
fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kib * 1024)
}

/// Runs `run`; with the resident set before it and the peak resident set
/// during it, where `/proc` tells them.
fn with_peak<T>(run: impl FnOnce() -> T) -> (T, Option<(u64, u64)>) {
    let before = resident_bytes();
    let reset = reset_peak_resident();
    let result = run();
    let peak = peak_resident_bytes().filter(|_| reset);
    (result, before.zip(peak))
}

fn mib(bytes: i64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// Times every call of `rounds` passes over `listings` (after one warm-up
/// pass): the per-call latencies in call order, and the wall time of the
/// passes.
fn time_checks(
    snapshot: &Snapshot,
    listings: &[&SyntheticListing],
    rounds: usize,
) -> (Vec<Duration>, Duration) {
    let at = synthetic::at();
    for l in listings {
        black_box(listing::check(snapshot, &l.platform, &l.listing, at));
    }
    let mut latencies = Vec::with_capacity(listings.len() * rounds);
    let started = Instant::now();
    for _ in 0..rounds {
        for l in listings {
            let t = Instant::now();
            let outcome =
                listing::check(snapshot, black_box(&l.platform), black_box(&l.listing), at);
            let elapsed = t.elapsed();
            black_box(outcome);
            latencies.push(elapsed);
        }
    }
    (latencies, started.elapsed())
}

/// Nearest-rank percentile of sorted `latencies`.
fn percentile(latencies: &[Duration], p: f64) -> Duration {
    if latencies.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * latencies.len() as f64).ceil() as usize;
    latencies[rank.clamp(1, latencies.len()) - 1]
}

/// Prints checks/s and percentiles of `latencies` (`rounds` passes in call
/// order), and the same percentiles over each listing's fastest call, which
/// preemption by other processes on a busy machine hardly moves.
fn report(what: &str, latencies: &[Duration], wall: Duration, rounds: usize) {
    let n = latencies.len();
    let mut sorted = latencies.to_vec();
    sorted.sort_unstable();
    let per_listing = n / rounds.max(1);
    let mut best: Vec<Duration> = (0..per_listing)
        .map(|i| {
            (0..rounds)
                .map(|r| latencies[r * per_listing + i])
                .min()
                .unwrap_or_default()
        })
        .collect();
    best.sort_unstable();
    eprintln!(
        "{what:<28}: {n:>5} checks, {:>6.0} checks/s, mean {:>9.2?}; p50 {:>9.2?}, p99 {:>9.2?}, \
         max {:>9.2?}; fastest of {rounds} per listing: p50 {:>9.2?}, p99 {:>9.2?}, max {:>9.2?}",
        n as f64 / wall.as_secs_f64(),
        wall / n.max(1) as u32,
        percentile(&sorted, 50.0),
        percentile(&sorted, 99.0),
        sorted.last().copied().unwrap_or_default(),
        percentile(&best, 50.0),
        percentile(&best, 99.0),
        best.last().copied().unwrap_or_default(),
    );
}

/// Mean wall time per title of `f` over `rounds` passes over `titles`
/// (after a warm-up pass), comparable with the mean of a check.
fn time_per_title(titles: &[Title], rounds: usize, mut f: impl FnMut(&str)) -> Duration {
    for t in titles {
        f(&t.text);
    }
    let started = Instant::now();
    for _ in 0..rounds {
        for t in titles {
            f(black_box(&t.text));
        }
    }
    started.elapsed() / (rounds * titles.len()).max(1) as u32
}

/// The registry half of `listing::check` for `brands` (the detection
/// index's numbers of the brands one check matched), through the public
/// snapshot API: the brand, the first trademark in force covering the
/// listing's class and region, and, when in scope and not a common word
/// without a class, the seller check.
fn registry_lookups(
    snapshot: &Snapshot,
    detection: &Detection,
    l: &SyntheticListing,
    brands: &[u32],
    at: Timestamp,
) {
    let listing = &l.listing;
    for &number in brands {
        let Some(brand) = detection.brand(number) else {
            continue;
        };
        let trademark = snapshot.in_scope(number, listing.nice_class, listing.region, at);
        if trademark.is_some() && !(brand.common_word && listing.nice_class.is_none()) {
            black_box(snapshot.check_active_seller(
                &brand.id,
                &l.platform,
                &listing.seller_account,
                listing.nice_class,
                listing.region,
                at,
            ));
        }
        black_box(trademark);
    }
}

/// Applies the change of `before` into `after` to `state` as the next
/// revision (as the change feed does), and how long that took.
fn apply_timed(state: &mut Snapshot, at: Timestamp, before: Resource, after: Resource) -> Duration {
    let event = ChangeEvent {
        revision: state.revision() + 1,
        time: at,
        actor: Actor::System,
        request_id: None,
        request_fingerprint: None,
        request_fingerprint_as_read: None,
        changes: vec![Change {
            before: Some(before),
            after: Some(after),
        }],
    };
    let started = Instant::now();
    state.apply(&event);
    started.elapsed()
}

/// Applies `writes` brand changes, one revision each (an alias added to a
/// brand spread over the registry), to a copy of `snapshot`, as the change
/// feed does, timing each; then checks `listings` with the overlay those
/// changes built, and again once the new base is adopted.
fn brand_writes(snapshot: &Snapshot, listings: &[&SyntheticListing], at: Timestamp, writes: usize) {
    let mut state = snapshot.clone();
    let detection = state.detection().expect("the registry has brands");
    let count = detection.brand_count().max(1);
    let mut latencies = Vec::with_capacity(writes);
    let mut largest = (0, 0);
    for i in 0..writes {
        let number = u32::try_from(synthetic::changed(i, count)).unwrap_or(0);
        let Some(before) = detection.brand(number).cloned() else {
            continue;
        };
        let mut after = (*before).clone();
        after
            .aliases
            .push(synthetic::added_alias(&after.display_name, i));
        after.update_revision = state.revision() + 1;
        latencies.push(apply_timed(
            &mut state,
            at,
            Resource::Brand(before),
            Resource::Brand(Arc::new(after)),
        ));
        let size = state.detection().map_or((0, 0), |d| d.overlay_size());
        largest = largest.max(size);
    }
    let (overlay, touched) = state.detection().map_or((0, 0), |d| d.overlay_size());
    latencies.sort_unstable();
    let total: Duration = latencies.iter().sum();
    eprintln!(
        "brand writes: {} brand changes applied one revision each (Snapshot::apply, as the \
         change feed and a write do): mean {:.2?}, p50 {:.2?}, p99 {:.2?}, max {:.2?}; \
         overlay at most {} brands, {} at the end ({} changed since the base: a new base \
         adopted on the way when fewer than {writes})",
        latencies.len(),
        total / latencies.len().max(1) as u32,
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or_default(),
        largest.0,
        overlay,
        touched,
    );
    let rounds = 3;
    let (layered, layered_wall) = time_checks(&state, listings, rounds);
    report(
        "  checks, with that overlay",
        &layered,
        layered_wall,
        rounds,
    );
    let started = Instant::now();
    state.settle_detection();
    let settle = started.elapsed();
    let (_, touched) = state.detection().map_or((0, 0), |d| d.overlay_size());
    let (settled, settled_wall) = time_checks(&state, listings, rounds);
    eprintln!(
        "  waited {settle:.2?} for the new base being built on its own thread; {touched} \
         brands changed since it"
    );
    report("  checks, new base adopted", &settled, settled_wall, rounds);
}

/// Applies `writes` authorization changes (a status flip of one
/// authorization of a brand spread over the registry), one revision each,
/// to a copy of `snapshot`, timing each: enough of them to fold the
/// overlay into a new compact table, which runs on a thread of its own.
fn authorization_writes(snapshot: &Snapshot, at: Timestamp, writes: usize) {
    let mut state = snapshot.clone();
    let detection = state.detection().expect("the registry has brands");
    let count = detection.brand_count().max(1);
    let mut pending = state.authorization_changes_pending();
    let mut latencies = Vec::with_capacity(writes);
    let mut adopted_at = None;
    let mut adopting = Duration::ZERO;
    // The writes, then one every 50 ms until the new table is adopted
    // (at most 200 more).
    for i in 0..writes + 200 {
        if i >= writes {
            if adopted_at.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let number = u32::try_from(synthetic::changed(i, count)).unwrap_or(0);
        let Some(brand) = detection.brand(number) else {
            continue;
        };
        let (page, _) = state.list_authorizations(&brand.id, None, 1, |_| true);
        let Some(before) = page.into_iter().next() else {
            continue;
        };
        let mut after = (*before).clone();
        after.status = match after.status {
            AuthorizationStatus::Active => AuthorizationStatus::Suspended,
            _ => AuthorizationStatus::Active,
        };
        after.update_revision = state.revision() + 1;
        latencies.push(apply_timed(
            &mut state,
            at,
            Resource::Authorization(before),
            Resource::Authorization(Arc::new(after)),
        ));
        let now_pending = state.authorization_changes_pending();
        if adopted_at.is_none() && now_pending < pending {
            adopted_at = Some(i);
            adopting = latencies.last().copied().unwrap_or_default();
        }
        pending = now_pending;
    }
    latencies.sort_unstable();
    let total: Duration = latencies.iter().sum();
    eprintln!(
        "authorization writes: {} changes applied one revision each (Snapshot::apply): mean \
         {:.2?}, p50 {:.2?}, p99 {:.2?}, p99.9 {:.2?}, max {:.2?}; a new compact table, folded \
         on its own thread, adopted at change {:?} (that change took {adopting:.2?}, with the \
         overlay's entries changed since the fold started re-applied)",
        latencies.len(),
        total / latencies.len().max(1) as u32,
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 99.9),
        latencies.last().copied().unwrap_or_default(),
        adopted_at,
    );
}

fn kind(outcome_part: impl std::fmt::Debug) -> String {
    format!("{outcome_part:?}")
        .split([' ', '{', '('])
        .next()
        .unwrap_or("")
        .to_owned()
}

fn bench(c: &mut Criterion) {
    let benchmarking = synthetic::benchmarking();
    let sizes = if benchmarking {
        synthetic::FULL
    } else {
        synthetic::SMOKE
    };
    let at = synthetic::at();

    // Registry and listings; resident memory around generation and build.
    let entries = synthetic::registry(sizes);
    // The benchmark's titles, then a stream of others checked once each
    // (the generator is sequential: the first titles are the same either
    // way).
    let stream_len = if benchmarking { 20_000 } else { 200 };
    let mut titles = synthetic::listing_titles(&entries, sizes.titles + stream_len);
    let stream_titles = titles.split_off(sizes.titles);
    let rss_start = resident_bytes();
    let started = Instant::now();
    let mut registry = synthetic::resources(&entries, sizes);
    let generate_time = started.elapsed();
    let listings = synthetic::listings(&registry, &titles);
    let stream = synthetic::listings(&registry, &stream_titles);
    let resources = std::mem::take(&mut registry.resources);
    let resource_count = resources.len();
    let rss_generated = resident_bytes();
    let started = Instant::now();
    let snapshot = Snapshot::from_resources(registry.revision, resources);
    let build_time = started.elapsed();
    let rss_built = resident_bytes();
    let detection = snapshot.detection().expect("the registry has brands");

    // Outcomes, for the record (and to show the data does what it says).
    let mut verdicts = BTreeMap::<String, usize>::new();
    let mut verdicts_without_brand = BTreeMap::<String, usize>::new();
    let mut matched_brands: Vec<Vec<u32>> = Vec::with_capacity(listings.len());
    let mut reasons = BTreeMap::<String, usize>::new();
    let mut evidence = BTreeMap::<String, usize>::new();
    let mut found_by_mention = BTreeMap::<Mention, (usize, usize)>::new();
    let mut mentioned_reasons = BTreeMap::<String, usize>::new();
    let mut matches = 0usize;
    let mut granted_authorized = 0usize;
    for (t, l) in titles.iter().zip(&listings) {
        let outcome: Outcome = listing::check(&snapshot, &l.platform, &l.listing, at);
        *verdicts.entry(kind(outcome.verdict)).or_default() += 1;
        if t.mention.is_none() {
            *verdicts_without_brand
                .entry(kind(outcome.verdict))
                .or_default() += 1;
        }
        matched_brands.push(
            outcome
                .matches
                .iter()
                .filter_map(|m| detection.number_of(&m.brand.id))
                .collect(),
        );
        matches += outcome.matches.len();
        for m in &outcome.matches {
            *reasons.entry(kind(m.reason)).or_default() += 1;
            *evidence.entry(kind(m.evidence)).or_default() += 1;
        }
        if let Some(mention) = t.mention {
            let slug = synthetic::brand_slug(t.brand);
            let matched = outcome.matches.iter().find(|m| m.brand.id == slug);
            let entry = found_by_mention.entry(mention).or_default();
            entry.0 += usize::from(matched.is_some());
            entry.1 += 1;
            if let Some(m) = matched {
                *mentioned_reasons.entry(kind(m.reason)).or_default() += 1;
            }
            granted_authorized += usize::from(
                l.granted_seller
                    && matched.is_some_and(|m| m.reason == listing::Reason::Authorized),
            );
        }
    }

    // Timings: every title, then by kind of title.
    let rounds = if benchmarking { 5 } else { 1 };
    let select = |keep: fn(&Title) -> bool| -> Vec<&SyntheticListing> {
        titles
            .iter()
            .zip(&listings)
            .filter(|(t, _)| keep(t))
            .map(|(_, l)| l)
            .collect()
    };
    let all = select(|_| true);
    let with_brand = select(|t| t.mention.is_some());
    let without_brand = select(|t| t.mention.is_none());
    let chinese = select(|t| t.chinese);
    let (all_latencies, all_wall) = time_checks(&snapshot, &all, rounds);
    let (brand_latencies, brand_wall) = time_checks(&snapshot, &with_brand, rounds);
    let (plain_latencies, plain_wall) = time_checks(&snapshot, &without_brand, rounds);
    let (cn_latencies, cn_wall) = time_checks(&snapshot, &chinese, rounds);
    // Titles never seen before, each checked once, on a thread whose memo of
    // word lookups starts empty.
    let (stream_latencies, stream_wall, ((memo_hits, memo_misses), memo_bytes)) =
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut latencies = Vec::with_capacity(stream.len());
                let started = Instant::now();
                for l in &stream {
                    let t = Instant::now();
                    let outcome = listing::check(
                        &snapshot,
                        black_box(&l.platform),
                        black_box(&l.listing),
                        at,
                    );
                    latencies.push(t.elapsed());
                    black_box(outcome);
                }
                (
                    latencies,
                    started.elapsed(),
                    (
                        BrandIndex::word_memo_counts(),
                        BrandIndex::word_memo_bytes(),
                    ),
                )
            })
            .join()
            .expect("stream thread")
        });

    // The detection part alone, on the snapshot's own index.
    let mut out: Vec<TextMatch> = Vec::new();
    let scan_default = time_per_title(&titles, rounds, |t| {
        detection
            .layers()
            .scan_text_with(t, ScanOptions::default(), &mut out);
    });
    let scan_one_word = time_per_title(&titles, rounds, |t| {
        detection
            .layers()
            .scan_text_with(t, ScanOptions { fuzzy_max_words: 1 }, &mut out);
    });
    let scan_no_fuzzy = time_per_title(&titles, rounds, |t| {
        detection
            .layers()
            .scan_text_with(t, ScanOptions { fuzzy_max_words: 0 }, &mut out);
    });
    // What a check runs: the scan and the signal terms on one fold (every
    // name written hiding the misspellings it is of, where a check lets
    // only those in scope hide them).
    let mut signal_spans = Vec::new();
    let scan_and_signals = time_per_title(&titles, rounds, |t| {
        detection
            .layers()
            .scan_text_and_signals(t, &mut out, &mut signal_spans, &|_| Some(i64::MIN));
    });
    let signals = scan_and_signals.saturating_sub(scan_default);
    // The registry half alone: the lookups check makes for each match.
    for (l, brands) in listings.iter().zip(&matched_brands) {
        registry_lookups(&snapshot, &detection, l, brands, at);
    }
    let started = Instant::now();
    for _ in 0..rounds {
        for (l, brands) in listings.iter().zip(&matched_brands) {
            registry_lookups(&snapshot, &detection, black_box(l), brands, at);
        }
    }
    let lookups = started.elapsed() / (rounds * listings.len()).max(1) as u32;
    // The detection index alone, built again from the same brands (after
    // the memory figures, which it would disturb).
    let brands_copy = entries.clone();
    let ((index, index_build_time), peak) = with_peak(|| {
        let started = Instant::now();
        let index = BrandIndex::build(brands_copy).expect("index builds");
        (index, started.elapsed())
    });
    let build_peak = match peak {
        Some((before, peak)) => format!(
            "; its peak resident memory +{:.0} MiB above the {:.0} MiB before it, for an index of \
             {:.0} MiB",
            mib(peak as i64 - before as i64),
            mib(before as i64),
            mib(index.memory_bytes() as i64),
        ),
        None => String::new(),
    };
    drop(black_box(index));

    let auths = registry.authorizations.max(1) as i64;
    let avg_len = titles.iter().map(|t| t.text.len()).sum::<usize>() / titles.len().max(1);
    eprintln!(
        "--- check summary ({}; load average {}) ---",
        if benchmarking {
            "full registry"
        } else {
            "smoke: small registry, not a measurement"
        },
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    );
    eprintln!(
        "registry: {} members ({} platforms, {} sellers); {} brands ({} common_word, {} with a \
         trademark in force), {} names indexed; {} trademarks ({} in force); {} logos; {} \
         authorizations (active/suspended/revoked {:?}); {} resources at revision {}",
        registry.members,
        registry.platforms.len(),
        registry.sellers.iter().map(Vec::len).sum::<usize>(),
        entries.len(),
        registry.common_word_brands,
        registry.brands_in_force,
        detection.base_index().name_count(),
        registry.trademarks,
        registry.trademarks_in_force,
        registry.logos,
        registry.authorizations,
        registry.by_status,
        resource_count,
        snapshot.revision(),
    );
    eprintln!(
        "generating the resources: {generate_time:.2?}; Snapshot::from_resources (maps, seller \
         index, detection index): {build_time:.2?}, of which the detection index about \
         {index_build_time:.2?} (BrandIndex::build alone on the same brands{build_peak})"
    );
    if let (Some(start), Some(generated), Some(built)) = (rss_start, rss_generated, rss_built) {
        let (start, generated, built) = (start as i64, generated as i64, built as i64);
        eprintln!(
            "resident memory: +{:.0} MiB across from_resources ({} B per authorization); +{:.0} \
             MiB across generating the resources and building ({} B per authorization: the \
             snapshot's whole data, plus the generator's seller pools and listings, a few MiB); \
             detection index memory_bytes {:.0} MiB",
            mib(built - generated),
            (built - generated) / auths,
            mib(built - start),
            (built - start) / auths,
            mib(detection.base_index().memory_bytes() as i64),
        );
    } else {
        eprintln!("resident memory: /proc/self/statm not readable");
    }
    eprintln!(
        "listings: {} titles, avg {avg_len} bytes; {} mention a brand, {} in Chinese; {} sellers \
         taken from the mentioned brand's authorizations, {} of them authorized for it",
        titles.len(),
        with_brand.len(),
        chinese.len(),
        listings.iter().filter(|l| l.granted_seller).count(),
        granted_authorized,
    );
    eprintln!(
        "outcomes: verdicts {verdicts:?} (titles without a brand: {verdicts_without_brand:?}); \
         {matches} matches ({:.1} per listing), by reason \
         {reasons:?}, by evidence {evidence:?}",
        matches as f64 / listings.len().max(1) as f64
    );
    eprintln!(
        "mentioned brand among the matches (found, of): {found_by_mention:?}; its reasons \
         {mentioned_reasons:?}"
    );
    eprintln!(
        "scan options: listing::check scans with ScanOptions::default() (fuzzy_max_words {}: \
         fuzzy over runs of 1-3 words); not settable through Snapshot or listing::check",
        ScanOptions::default().fuzzy_max_words
    );
    eprintln!(
        "listing::check on a stream of {} titles not seen before, each checked once, on a fresh \
         thread: fuzzy lookups (words and runs) answered by its memo {:.1}% ({memo_hits} of {}); \
         the memo holds {:.1} MiB at the end",
        stream.len(),
        100.0 * memo_hits as f64 / (memo_hits + memo_misses).max(1) as f64,
        memo_hits + memo_misses,
        memo_bytes as f64 / (1024.0 * 1024.0)
    );
    report("  stream", &stream_latencies, stream_wall, 1);
    eprintln!(
        "listing::check, one thread, each call timed ({rounds} rounds after a warm-up; \
         the words of these titles are all in the thread's memo after the first):"
    );
    report("  all titles", &all_latencies, all_wall, rounds);
    report(
        "  titles mentioning a brand",
        &brand_latencies,
        brand_wall,
        rounds,
    );
    report(
        "  titles without a brand",
        &plain_latencies,
        plain_wall,
        rounds,
    );
    report("  Chinese titles", &cn_latencies, cn_wall, rounds);
    let mut slowest: Vec<(Duration, &Title, usize)> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let best = (0..rounds)
                .map(|r| all_latencies[r * titles.len() + i])
                .min()
                .unwrap_or_default();
            (best, t, matched_brands[i].len())
        })
        .collect();
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    for &(best, t, matches) in slowest.iter().take(3) {
        let i = titles
            .iter()
            .position(|x| std::ptr::eq(x, t))
            .unwrap_or_default();
        let fastest = |f: &mut dyn FnMut()| {
            (0..rounds.max(2))
                .map(|_| {
                    let started = Instant::now();
                    f();
                    started.elapsed()
                })
                .min()
                .unwrap_or_default()
        };
        let scan = fastest(&mut || {
            detection
                .layers()
                .scan_text_with(black_box(&t.text), ScanOptions::default(), &mut out);
        });
        let lookups = fastest(&mut || {
            registry_lookups(&snapshot, &detection, &listings[i], &matched_brands[i], at);
        });
        let whole = fastest(&mut || {
            black_box(listing::check(
                &snapshot,
                &listings[i].platform,
                black_box(&listings[i].listing),
                at,
            ));
        });
        eprintln!(
            "  slowest: {best:.2?}; alone and warm, the check {whole:.2?}, its scan_text \
             {scan:.2?} and registry lookups for its {matches} matches {lookups:.2?}; {:?} ({:?})",
            t.text, t.mention
        );
    }
    let per_check = all_wall / all_latencies.len().max(1) as u32;
    let share = |d: Duration| 100.0 * d.as_secs_f64() / per_check.as_secs_f64().max(1e-12);
    let rest = per_check.saturating_sub(scan_and_signals);
    eprintln!(
        "parts of a check (mean per title, {rounds} rounds; a check's mean is {per_check:.2?}): \
         scan_text default {scan_default:.2?} ({:.0}%); the signal terms on the same fold, \
         after it: {signals:.2?}; the rest \
         {rest:.2?} ({:.0}%): registry lookups for its {:.1} matches and the outcome. Those \
         lookups (brand, trademarks in scope, seller) timed alone: {lookups:.2?}; in a check \
         they run after the scan has cooled the caches. Cheaper scans, not reachable through \
         listing::check: fuzzy 1 word {scan_one_word:.2?}, no fuzzy {scan_no_fuzzy:.2?}",
        share(scan_default),
        share(rest),
        matches as f64 / listings.len().max(1) as f64,
    );

    // The peak while changes build a new detection base, then fold the
    // authorization table, on threads of their own: above the resident set
    // before each (the built snapshot, beside the benchmark's own data).
    let snapshot_bytes = rss_built
        .zip(rss_generated)
        .map(|(built, generated)| built as i64 - generated as i64);
    let peak_of = |what: &str, run: &mut dyn FnMut()| {
        let ((), peak) = with_peak(run);
        match (peak, snapshot_bytes) {
            (Some((before, peak)), Some(snapshot)) => {
                let above = peak as i64 - before as i64;
                eprintln!(
                    "  peak resident memory during the {what}: +{:.0} MiB above the {:.0} MiB \
                     before them; with the snapshot's own +{:.0} MiB, a server holding this \
                     registry peaks near {:.0} MiB of registry data then",
                    mib(above),
                    mib(before as i64),
                    mib(snapshot),
                    mib(snapshot + above),
                );
            }
            _ => eprintln!("  peak resident memory: /proc/self/clear_refs or VmHWM not available"),
        }
    };
    peak_of("brand writes (a new detection base built)", &mut || {
        brand_writes(&snapshot, &all, at, if benchmarking { 600 } else { 40 });
    });
    peak_of("authorization writes (the table folded)", &mut || {
        authorization_writes(&snapshot, at, if benchmarking { 80_000 } else { 200 });
    });

    let mut g = c.benchmark_group("check");
    g.sample_size(10);
    if benchmarking {
        g.measurement_time(Duration::from_secs(20));
    }
    for (name, set) in [
        ("all_titles", &all),
        ("titles_with_brand", &with_brand),
        ("titles_without_brand", &without_brand),
    ] {
        g.throughput(Throughput::Elements(set.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                for l in set {
                    black_box(listing::check(
                        &snapshot,
                        black_box(&l.platform),
                        black_box(&l.listing),
                        at,
                    ));
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

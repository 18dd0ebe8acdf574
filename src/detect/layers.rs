//! A detection index in two layers: a large base, built rarely, and a small
//! overlay over the brands changed since, built on every brand change.
//!
//! Building a [`BrandIndex`] for 100k brands takes seconds, so a registry
//! that rebuilt it on every brand change would make each such write wait
//! that long. Instead a snapshot keeps the base it has and builds an
//! overlay over just the changed brands (milliseconds). The base's own
//! entries for those brands are *retired*: their matches are dropped. A
//! scan asks both layers, folding the text once. A brand lives in exactly
//! one layer, and every rule that ranks or drops matches applies per brand
//! but one, which looks across brands (a match inside another brand's name
//! as written is dropped): it is applied once the layers' matches are
//! merged. So the answer is the one a single index over all brands would
//! give; `snapshot` tests compare the two under random change sequences.
//!
//! The overlay's brand ids follow the base's (the caller numbers them);
//! its name numbers are reported after the base's, so a [`NameId`] stays
//! unique across the layers.

use std::ops::Range;

use super::index::{
    NamesHide, Scratch, add_strong_spans, drop_matches_inside_names, first_name_per_brand, order,
    with_scratch,
};
use super::{BrandIndex, LogoMatch, NameId, ScanOptions, TextMatch};

/// A base index, the brands of it that no longer count, and an overlay.
#[derive(Clone, Copy, Debug)]
pub struct Layers<'a> {
    /// The large index.
    pub base: &'a BrandIndex,
    /// Brand ids of `base` whose matches are dropped, sorted.
    pub retired: &'a [u32],
    /// The index over the brands changed since `base` was built, with
    /// brand ids of its own (not in `base`).
    pub overlay: Option<&'a BrandIndex>,
}

impl<'a> Layers<'a> {
    /// Whether a match of `base` for `brand` counts.
    fn live(&self, brand: u32) -> bool {
        self.retired.binary_search(&brand).is_err()
    }

    /// The first name number of the overlay's names.
    fn overlay_names(&self) -> u32 {
        u32::try_from(self.base.name_count()).unwrap_or(u32::MAX)
    }

    /// The registered name or alias `name` of either layer.
    #[must_use]
    pub fn term(&self, name: NameId) -> &'a str {
        let first = self.overlay_names();
        match self.overlay {
            Some(overlay) if name.0 >= first => overlay.term(NameId(name.0 - first)),
            _ => self.base.term(name),
        }
    }

    /// [`BrandIndex::scan_text_and_signals`] over both layers, folding the
    /// text once, where a name written in the text hides the other owners'
    /// names it is a misspelling of only as `hides` says of its brand (a
    /// listing check: if it is in scope, of brands registered since it last
    /// changed; [`NamesHide`]); of its own owner's, always.
    pub fn scan_text_and_signals(
        &self,
        text: &str,
        out: &mut Vec<TextMatch>,
        signals: &mut Vec<Range<usize>>,
        hides: &dyn Fn(u32) -> Option<i64>,
    ) {
        self.scan(
            text,
            ScanOptions::default(),
            out,
            Some(signals),
            Some(hides),
        );
    }

    /// [`BrandIndex::scan_text_with`] over both layers.
    pub fn scan_text_with(&self, text: &str, options: ScanOptions, out: &mut Vec<TextMatch>) {
        self.scan(text, options, out, None, None);
    }

    fn scan(
        &self,
        text: &str,
        options: ScanOptions,
        out: &mut Vec<TextMatch>,
        signals: Option<&mut Vec<Range<usize>>>,
        hides: NamesHide<'_>,
    ) {
        with_scratch(|scratch| {
            scratch.fold(text);
            self.scan_layers(text, scratch, options, hides, out);
            drop_matches_inside_names(out);
            // After the scan: a term that introduces a name needs the names.
            if let Some(signals) = signals {
                scratch.signal_terms(text, out, signals);
            }
        });
    }

    /// Both layers' matches of the text folded into `scratch`, merged.
    fn scan_layers(
        &self,
        text: &str,
        scratch: &mut Scratch,
        options: ScanOptions,
        hides: NamesHide<'_>,
        out: &mut Vec<TextMatch>,
    ) {
        // Both layers' exact and obfuscated matches first: where either
        // found a name, neither makes a fuzzy match it hides
        // (`add_strong_spans`).
        self.base.scan_strong(text, scratch, out);
        scratch.strong_spans.clear();
        add_strong_spans(out, self.retired, &mut scratch.strong_spans);
        let mut layer = std::mem::take(&mut scratch.layer);
        if let Some(overlay) = self.overlay {
            overlay.scan_strong(text, scratch, &mut layer);
            add_strong_spans(&layer, &[], &mut scratch.strong_spans);
        }
        self.base
            .scan_fuzzy_and_finish(text, scratch, options, hides, out);
        if !self.retired.is_empty() {
            out.retain(|m| self.live(m.brand));
        }
        if let Some(overlay) = self.overlay {
            overlay.scan_fuzzy_and_finish(text, scratch, options, hides, &mut layer);
            if !layer.is_empty() {
                let first = self.overlay_names();
                out.extend(layer.drain(..).map(|mut m| {
                    m.name = NameId(m.name.0.saturating_add(first));
                    m
                }));
                order(out);
            }
        }
        layer.clear();
        scratch.layer = layer;
    }

    /// [`BrandIndex::declared_brands`] over both layers.
    pub fn declared_brands(&self, declared: &str, out: &mut Vec<(u32, NameId)>) {
        self.base.declared_brands(declared, out);
        out.retain(|&(b, _)| self.live(b));
        if let Some(overlay) = self.overlay {
            let mut more = Vec::new();
            overlay.declared_brands(declared, &mut more);
            if !more.is_empty() {
                let first = self.overlay_names();
                out.extend(
                    more.into_iter()
                        .map(|(b, name)| (b, NameId(name.0.saturating_add(first)))),
                );
                first_name_per_brand(out);
            }
        }
    }

    /// [`BrandIndex::scan_logos`] over both layers.
    pub fn scan_logos(&self, hashes: &[u64], out: &mut Vec<LogoMatch>) {
        self.base.scan_logos(hashes, out);
        out.retain(|m| self.live(m.brand));
        if let Some(overlay) = self.overlay {
            let mut more = Vec::new();
            overlay.scan_logos(hashes, &mut more);
            if !more.is_empty() {
                out.extend(more);
                out.sort_unstable_by_key(|m| (m.hash_index, m.distance, m.brand));
            }
        }
    }
}

//! The corpus file's rows (`tests/data/listings.toml`), shared by the corpus
//! test and the `corpus` example.

#![allow(dead_code)]

use serde::Deserialize;

/// The whole corpus file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corpus {
    /// The listings, in file order.
    pub listings: Vec<Row>,
}

/// One corpus listing with its expectations.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub id: String,
    pub category: String,
    pub platform: String,
    pub seller_account: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub declared_brand: String,
    pub nice_class: Option<i32>,
    pub region: Option<String>,
    #[serde(default)]
    pub image_hashes: Vec<String>,
    pub verdict: String,
    pub evidence: String,
    /// The strongest match's reason (`AUTHORIZED`, `UNAUTHORIZED`,
    /// `OUT_OF_SCOPE`, `COMMON_WORD`, `NOMINATIVE_USE`), where a listing's
    /// rule decides it; checked when given.
    #[serde(default)]
    pub reason: Option<String>,
    pub note: String,
    /// A known disagreement between the implementation and DESIGN.md:
    /// what is missing. The expectation stays DESIGN.md's.
    #[serde(default)]
    pub known_gap: Option<String>,
}

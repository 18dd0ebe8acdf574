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
    /// The strongest match's brand id; given for every listing whose
    /// evidence is not `NONE`.
    #[serde(default)]
    pub brand: Option<String>,
    /// The text the strongest match's span covers in its field, for text
    /// and brand-field evidence.
    #[serde(default)]
    pub shown: Option<String>,
    /// The span's byte offset, where `shown` occurs more than once in the
    /// field.
    #[serde(default)]
    pub shown_at: Option<usize>,
    /// For logo evidence, the index of the matching image hash.
    #[serde(default)]
    pub image: Option<usize>,
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

/// Where a listing's strongest match was found, as the corpus states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    DeclaredBrand,
    Title,
    Description,
    Image,
}

impl Row {
    /// The text of `field` as sent (empty for images).
    pub fn field_text(&self, field: Place) -> &str {
        match field {
            Place::DeclaredBrand => &self.declared_brand,
            Place::Title => &self.title,
            Place::Description => &self.description,
            Place::Image => "",
        }
    }

    /// Whether the strongest match, of `brand` found in `field` at byte
    /// `span`, is the one the row expects (`brand`, `shown`, `shown_at`,
    /// `image`); the difference when not. Rows without a `brand` expect no
    /// match; a match of theirs is reported by the evidence check.
    pub fn check_match(
        &self,
        brand: &str,
        field: Place,
        span: std::ops::Range<usize>,
    ) -> Result<(), String> {
        let Some(expected_brand) = &self.brand else {
            return Ok(());
        };
        if brand != expected_brand {
            return Err(format!("brand {brand}, expected {expected_brand}"));
        }
        if let Some(image) = self.image {
            return if field == Place::Image && span.start == image {
                Ok(())
            } else {
                Err(format!(
                    "found in {field:?} at {span:?}, expected image {image}"
                ))
            };
        }
        let Some(shown) = &self.shown else {
            return Ok(());
        };
        let text = self.field_text(field);
        let at = self.shown_at.or_else(|| text.find(shown.as_str()));
        match text.get(span.clone()) {
            Some(got) if got == shown && Some(span.start) == at => Ok(()),
            got => Err(format!(
                "{field:?} {span:?} shows {got:?}, expected {shown:?} at {at:?}"
            )),
        }
    }
}

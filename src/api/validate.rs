//! Collecting field violations: a handler checks every field, records each
//! problem under its AIP-193 field path, and fails once with all of them.

use super::ApiError;

/// The field violations found so far.
#[derive(Debug, Default)]
pub struct Violations(Vec<(String, String)>);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a violation of `field`.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push((field.into(), description.into()));
    }

    /// Keeps the value of a successful parse, records the error of a failed one.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(description) => {
                self.add(field, description);
                None
            }
        }
    }

    /// Records an error of a check that yields nothing.
    pub fn require(&mut self, field: &str, checked: Result<(), String>) {
        if let Err(description) = checked {
            self.add(field, description);
        }
    }

    /// Adds the violations `other` found, but none of a kind already
    /// recorded: the kind of `rows[7].regions[2]` is `rows[].regions[]`. A
    /// request that repeats one mistake in many elements then holds one
    /// violation per kind, in bounded memory, not one per element.
    pub fn add_new_kinds(&mut self, other: Violations) {
        for (field, description) in other.0 {
            let kind = kind_of(&field);
            if !self.0.iter().any(|(seen, _)| kind_of(seen) == kind) {
                self.0.push((field, description));
            }
        }
    }

    /// Adds every violation `other` found, after those found so far.
    pub fn extend(&mut self, other: Violations) {
        self.0.extend(other.0);
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many violations were found so far.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Ok when nothing was found, else INVALID_ARGUMENT with every violation.
    ///
    /// # Errors
    /// [`ApiError::Invalid`] with every recorded violation.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Invalid(self.0))
        }
    }

    /// Unwraps values that were parsed when no violation was recorded.
    ///
    /// # Errors
    /// [`ApiError::Invalid`] with every recorded violation, or INTERNAL if a
    /// value is missing without a violation (a handler bug).
    pub fn done<T>(self, value: Option<T>) -> Result<T, ApiError> {
        self.finish()?;
        value.ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "a field failed validation without a recorded violation"
            ))
        })
    }
}

/// A field path without its list indexes: `rows[7].regions[2]` →
/// `rows[].regions[]`.
fn kind_of(field: &str) -> String {
    let mut kind = String::with_capacity(field.len());
    let mut in_index = false;
    for c in field.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            _ if in_index => continue,
            _ => {}
        }
        kind.push(c);
    }
    kind
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_violation_of_each_kind_is_kept() {
        let mut v = Violations::new();
        for i in 0..1000 {
            let mut row = Violations::new();
            row.add(format!("rows[{i}].seller_account"), "too long");
            row.add(format!("rows[{i}].regions[{}]", i % 3), "not a region");
            v.add_new_kinds(row);
        }
        let mut last = Violations::new();
        last.add("rows[1000].platform", "not a member");
        v.add_new_kinds(last);
        let fields: Vec<&str> = v.0.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "rows[0].seller_account",
                "rows[0].regions[0]",
                "rows[1000].platform"
            ]
        );
    }
}

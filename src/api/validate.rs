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

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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

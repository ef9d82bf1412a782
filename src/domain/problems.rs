//! Field problems, collected across every field of a request so one 422 lists them all.

use std::collections::BTreeMap;

/// Every message of every field that failed to parse, keyed by the spec's field name.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut e = Self::default();
        e.add(field, message);
        e
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_default()
            .push(message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_map(self) -> BTreeMap<String, Vec<String>> {
        self.0
    }
}

/// Collects the outcome of each field's `parse` while the request is checked.
#[derive(Default)]
pub struct Problems(FieldErrors);

impl Problems {
    /// A required field: its value, or `None` with its messages recorded.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, Vec<String>>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(messages) => {
                for m in messages {
                    self.0.add(field, m);
                }
                None
            }
        }
    }

    /// An optional field: `Some(None)` when absent, `Some(Some(v))` when valid, `None` when not.
    pub fn optional<T>(
        &mut self,
        field: &str,
        parsed: Option<Result<T, Vec<String>>>,
    ) -> Option<Option<T>> {
        match parsed {
            None => Some(None),
            Some(r) => self.check(field, r).map(Some),
        }
    }

    /// The parsed fields when every one is valid, otherwise every problem at once.
    pub fn finish<T: AllParsed>(self, parsed: T) -> Result<T::Output, FieldErrors> {
        if !self.0.is_empty() {
            return Err(self.0);
        }
        // Every `None` recorded a message, so with no problems every field is `Some`.
        parsed
            .all()
            .ok_or_else(|| FieldErrors::single("body", "is invalid"))
    }
}

/// A tuple of parsed fields (`Option`s) that is complete only when every field parsed.
pub trait AllParsed {
    type Output;
    fn all(self) -> Option<Self::Output>;
}

macro_rules! all_parsed {
    ($($t:ident),+) => {
        impl<$($t),+> AllParsed for ($(Option<$t>,)+) {
            type Output = ($($t,)+);
            #[allow(non_snake_case)]
            fn all(self) -> Option<Self::Output> {
                let ($($t,)+) = self;
                Some(($($t?,)+))
            }
        }
    };
}
all_parsed!(A);
all_parsed!(A, B);
all_parsed!(A, B, C);
all_parsed!(A, B, C, D);
all_parsed!(A, B, C, D, E);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported_and_complete_input_passes() {
        let mut p = Problems::default();
        let a = p.check::<u8>("a", Err(vec!["x".into(), "y".into()]));
        let b = p.check::<u8>("b", Err(vec!["z".into()]));
        let c = p.check("c", Ok(1u8));
        let errors = p.finish((a, b, c)).unwrap_err().into_map();
        assert_eq!(errors["a"], ["x", "y"]);
        assert_eq!(errors["b"], ["z"]);
        assert!(!errors.contains_key("c"));
        let mut p = Problems::default();
        let a = p.check("a", Ok(1u8));
        let b = p.optional::<u8>("b", None);
        assert_eq!(p.finish((a, b)), Ok((1, None)));
    }
}

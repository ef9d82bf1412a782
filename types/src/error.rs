use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The error body of every failed request: `{"errors": {"field": ["message", …]}}`.
/// Errors that concern no single field use the key `body`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorResponse {
    pub errors: BTreeMap<String, Vec<String>>,
}

impl ErrorResponse {
    /// One message under one key.
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = BTreeMap::new();
        errors.insert(field.into(), vec![message.into()]);
        Self { errors }
    }
}

/// Serde helper for fields where "absent" and "explicitly null" mean different things.
pub(crate) mod nullable {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(
        value: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

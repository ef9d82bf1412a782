//! Request bodies are JSON objects at both levels (`{"user": {…}}`). serde's derive also reads a
//! struct from an array of its field values (`{"user": ["jake", …]}`), which the OpenAPI
//! document does not allow: the request wrappers refuse it, so the API answers 422.

use serde::de::{Deserialize, Deserializer, Visitor};

/// Reads the struct `T` from `d`, accepting a JSON object only.
pub fn only<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    T::deserialize(ObjectsOnly(d))
}

/// Asks for a map where a struct is wanted; everything else goes through unchanged.
struct ObjectsOnly<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectsOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// `Deserialize` for a request wrapper `{"<field>": {…}}` whose two levels must be objects.
macro_rules! object_request {
    ($wrapper:ident { $field:ident: $inner:ty }) => {
        impl<'de> serde::Deserialize<'de> for $wrapper {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // Same name, so error messages name the request type.
                #[derive(serde::Deserialize)]
                struct $wrapper {
                    #[serde(deserialize_with = "crate::object::only")]
                    $field: $inner,
                }
                let wire: $wrapper = crate::object::only(d)?;
                Ok(Self {
                    $field: wire.$field,
                })
            }
        }
    };
}
pub(crate) use object_request;

#[cfg(test)]
mod tests {
    use crate::{NewUserRequest, UpdateUserRequest};

    #[test]
    fn arrays_are_not_objects() {
        for body in [
            r#"{"user": [null, null]}"#,
            r#"[{"email": null}]"#,
            r#"{"user": ["jake", "jake@example.com", "password"]}"#,
        ] {
            assert!(
                serde_json::from_str::<UpdateUserRequest>(body).is_err(),
                "{body}"
            );
            assert!(
                serde_json::from_str::<NewUserRequest>(body).is_err(),
                "{body}"
            );
        }
        let ok = r#"{"user": {"username": "jake", "email": "jake@example.com", "password": "password"}}"#;
        assert_eq!(
            serde_json::from_str::<NewUserRequest>(ok)
                .unwrap()
                .user
                .username,
            "jake"
        );
        assert!(serde_json::from_str::<UpdateUserRequest>(r#"{"user": {}}"#).is_ok());
    }
}

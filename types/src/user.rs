use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The signed-in user, with a fresh token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct User {
    pub email: String,
    pub token: String,
    pub username: String,
    pub bio: Option<String>,
    pub image: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UserResponse {
    pub user: User,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoginUser {
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 254,
            pattern = r"^[^\x00]*[^\s\x00][^\x00]*$",
            example = "jake@example.com"
        )
    )]
    pub email: String,
    /// Any length up to 256 characters: longer ones can never match, and are a 401.
    #[cfg_attr(feature = "openapi", schema(format = Password, min_length = 1, max_length = 256, example = "jake-password"))]
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoginUserRequest {
    pub user: LoginUser,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NewUser {
    /// Letters, digits, `_`, `-` and `.`, not only dots.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = r"^[\w.-]*[\w-][\w.-]*$",
            example = "jake"
        )
    )]
    pub username: String,
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            max_length = 254,
            pattern = r"^[^@\s\x00]+@[^@\s.\x00][^@\s\x00]*\.[^@\s\x00]*[^@\s.\x00]$",
            example = "jake@example.com"
        )
    )]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(format = Password, min_length = 8, max_length = 256, example = "jake-password"))]
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NewUserRequest {
    pub user: NewUser,
}

/// Every field is optional; `bio` and `image` may be set to `null` to clear them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UpdateUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            max_length = 254,
            pattern = r"^[^@\s\x00]+@[^@\s.\x00][^@\s\x00]*\.[^@\s\x00]*[^@\s.\x00]$",
            example = "jake.new@example.com"
        )
    )]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = Password, min_length = 8, max_length = 256, example = "new-jake-password"))]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = r"^[\w.-]*[\w-][\w.-]*$",
            example = "jake.new"
        )
    )]
    pub username: Option<String>,
    #[serde(
        default,
        with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    /// At most 2,000 characters; blank or `null` clears it.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 2000, pattern = r"^[^\x00]*$", example = "I work at statefarm"))]
    pub bio: Option<Option<String>>,
    #[serde(
        default,
        with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    /// An `http(s)://` URL of at most 2,048 bytes without whitespace; blank or `null` clears it.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 2048, pattern = r"^\s*$|^\s*https?://[^\s\x00]*\s*$", example = "https://api.realworld.io/images/smiley-cyrus.jpg"))]
    pub image: Option<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UpdateUserRequest {
    pub user: UpdateUser,
}

crate::object::object_request!(LoginUserRequest { user: LoginUser });

crate::object::object_request!(NewUserRequest { user: NewUser });

crate::object::object_request!(UpdateUserRequest { user: UpdateUser });

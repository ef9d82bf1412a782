//! The OpenAPI 3.1 document, generated from the handlers' annotations and the shared types.

use super::{articles, comments, profiles, tags, users};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The whole document: the API's description and security, and each resource's paths.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in [
        users::Paths::openapi(),
        profiles::Paths::openapi(),
        articles::Paths::openapi(),
        comments::Paths::openapi(),
        tags::Paths::openapi(),
    ] {
        doc.merge(part);
    }
    doc
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Conduit API",
        description = "The RealWorld (Conduit) blogging API. Authenticate with `Authorization: Token <jwt>` \
                       from `POST /users` or `POST /users/login`. Errors are `{\"errors\": {\"field\": [\"message\"]}}`; \
                       a taken username or email is a 422.",
        license(name = "MIT", identifier = "MIT"),
    ),
    servers((url = "/api")),
    modifiers(&TokenScheme),
    tags(
        (name = "Articles"), (name = "Comments"), (name = "Favorites"), (name = "Profile"), (name = "Tags"),
        (name = "User and Authentication"),
    )
)]
pub struct ApiDoc;

struct TokenScheme;

impl Modify for TokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "Token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Token <jwt>`, as returned in `user.token`",
            ))),
        );
    }
}

//! The OpenAPI 3.1 document, generated from the handlers' annotations and the shared types.

use crate::routes::{articles, comments, profiles, tags, users};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
    paths(
        users::login, users::register, users::current, users::update, users::logout, users::revoke_all,
        profiles::get, profiles::follow, profiles::unfollow,
        articles::feed, articles::list, articles::create, articles::get, articles::update, articles::delete,
        articles::favorite, articles::unfavorite,
        comments::list, comments::create, comments::delete,
        tags::list,
    ),
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

//! The OpenAPI 3.1 document, generated from the handlers' annotations and the shared types.

use super::{articles, comments, profiles, tags, users};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// `GET /api/openapi.json`: the document, serialised once at start-up.
pub async fn serve(json: actix_web::web::Bytes) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(json)
}

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
    // After the merge: the shared refusals go on every operation of every resource.
    SharedRefusals.modify(&mut doc);
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

/// Refusals that come from the server's shared layers rather than from one handler, stated on
/// every operation they apply to: any JSON body over `CONDUIT_MAX_BODY_BYTES` is a 413 (the
/// JSON extractor), and any authenticated write may be a 429 (`writes_per_user`, checked where
/// the token is).
struct SharedRefusals;

impl Modify for SharedRefusals {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let reads = item.get.iter_mut().map(|op| (op, false));
            let writes = [&mut item.post, &mut item.put, &mut item.delete]
                .into_iter()
                .flatten()
                .map(|op| (op, true));
            for (op, write) in reads.chain(writes) {
                if op.request_body.is_some() {
                    refusal(op, "413", "Body too large");
                }
                if write && op.security.is_some() {
                    refusal(op, "429", "Too many writes by this user");
                }
            }
        }
    }
}

/// Adds `status` with the spec's error body, unless the handler documents it already.
fn refusal(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorResponse")))
                        .build(),
                )
                .build()
                .into()
        });
}

//! HTTP handlers, one module per resource, and the route table.

pub mod allowed_methods;
pub mod articles;
pub mod comments;
pub mod health;
pub mod profiles;
pub mod tags;
pub mod users;

use actix_web::web;
use allowed_methods::resource;

/// The RealWorld API under `/api`. `feed` comes before `{slug}` so it is not taken for one.
/// Every path is a [`resource`], so a known path with the wrong method is a 405 with `Allow`,
/// not a 404.
pub fn api(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .service(resource("/users").post(users::register))
            .service(resource("/users/login").post(users::login))
            .service(resource("/users/logout").post(users::logout))
            .service(resource("/user/sessions").delete(users::revoke_all))
            .service(resource("/user").get(users::current).put(users::update))
            .service(resource("/profiles/{username}").get(profiles::get))
            .service(
                resource("/profiles/{username}/follow")
                    .post(profiles::follow)
                    .delete(profiles::unfollow),
            )
            .service(resource("/articles/feed").get(articles::feed))
            .service(
                resource("/articles")
                    .get(articles::list)
                    .post(articles::create),
            )
            .service(
                resource("/articles/{slug}")
                    .get(articles::get)
                    .put(articles::update)
                    .delete(articles::delete),
            )
            .service(
                resource("/articles/{slug}/favorite")
                    .post(articles::favorite)
                    .delete(articles::unfavorite),
            )
            .service(
                resource("/articles/{slug}/comments")
                    .get(comments::list)
                    .post(comments::create),
            )
            .service(resource("/articles/{slug}/comments/{id}").delete(comments::delete))
            .service(resource("/tags").get(tags::list)),
    );
}

//! HTTP handlers, one module per resource, and the route table.

pub mod articles;
pub mod comments;
pub mod health;
pub mod profiles;
pub mod tags;
pub mod users;

use actix_web::web;

/// The RealWorld API under `/api`. `feed` comes before `{slug}` so it is not taken for one.
/// Every path is a `resource`, so a known path with the wrong method is a 405, not a 404.
pub fn api(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .service(web::resource("/users").post(users::register))
            .service(web::resource("/users/login").post(users::login))
            .service(web::resource("/users/logout").post(users::logout))
            .service(web::resource("/user/sessions").delete(users::revoke_all))
            .service(
                web::resource("/user")
                    .get(users::current)
                    .put(users::update),
            )
            .service(web::resource("/profiles/{username}").get(profiles::get))
            .service(
                web::resource("/profiles/{username}/follow")
                    .post(profiles::follow)
                    .delete(profiles::unfollow),
            )
            .service(web::resource("/articles/feed").get(articles::feed))
            .service(
                web::resource("/articles")
                    .get(articles::list)
                    .post(articles::create),
            )
            .service(
                web::resource("/articles/{slug}")
                    .get(articles::get)
                    .put(articles::update)
                    .delete(articles::delete),
            )
            .service(
                web::resource("/articles/{slug}/favorite")
                    .post(articles::favorite)
                    .delete(articles::unfavorite),
            )
            .service(
                web::resource("/articles/{slug}/comments")
                    .get(comments::list)
                    .post(comments::create),
            )
            .service(web::resource("/articles/{slug}/comments/{id}").delete(comments::delete))
            .service(web::resource("/tags").get(tags::list)),
    );
}

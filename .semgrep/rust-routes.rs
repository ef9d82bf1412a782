// Fixture for `semgrep --test`: each `ruleid:` line must be reported, each `ok:` line must not.

async fn login(body: Json<LoginRequest>, state: Data<State>) -> ApiResult<HttpResponse> {
    // ruleid: conduit.routes.no-unwrap
    let user = db::users::by_email(&state.db, &body.user.email).await.unwrap();
    // ruleid: conduit.routes.no-unwrap
    let limit: i64 = query.limit.parse().expect("a number");
    // ok: conduit.routes.no-unwrap
    let user = db::users::by_email(&state.db, &body.user.email).await?;
    // ok: conduit.routes.no-unwrap
    let limit = query.limit.unwrap_or(20);
    // ok: conduit.routes.no-unwrap
    let article = found.ok_or(ApiError::NotFound("article"))?;
    if article.deleted {
        // ruleid: conduit.routes.no-unwrap
        panic!("deleted article {}", article.slug);
    }
    // ruleid: conduit.routes.no-unwrap
    todo!();
    Ok(HttpResponse::Ok().json(user))
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        // ok: conduit.routes.no-unwrap
        let n: i64 = "20".parse().unwrap();
        assert_eq!(n, 20);
    }
}

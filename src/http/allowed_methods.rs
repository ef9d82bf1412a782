//! Resources that know their methods: a request with any other method is answered `405 Method
//! Not Allowed` with the `Allow` header RFC 9110 §15.5.6 requires, listing exactly the methods
//! registered, and the spec's JSON error body. Every route of the server is built with
//! [`resource`], so the header cannot drift from the handlers.

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, Handler, HttpResponse, Responder};
use conduit_types::ErrorResponse;

/// A resource at `path`; add its methods, then pass it to `.service(…)`.
pub fn resource(path: &str) -> Resource {
    Resource {
        inner: web::resource(path),
        allowed: Vec::new(),
    }
}

pub struct Resource {
    inner: actix_web::Resource,
    allowed: Vec<Method>,
}

impl Resource {
    /// Serves `method` with `handler`.
    pub fn on<F, Args>(mut self, method: Method, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.inner = self.inner.route(web::method(method.clone()).to(handler));
        self.allowed.push(method);
        self
    }

    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.on(Method::GET, handler)
    }

    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.on(Method::POST, handler)
    }

    pub fn put<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.on(Method::PUT, handler)
    }

    pub fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.on(Method::DELETE, handler)
    }
}

impl HttpServiceFactory for Resource {
    fn register(self, config: &mut AppService) {
        let allow = self
            .allowed
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        self.inner
            .default_service(web::to(move || {
                let allow = allow.clone();
                async move { method_not_allowed(&allow) }
            }))
            .register(config);
    }
}

fn method_not_allowed(allow: &str) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allow))
        .json(ErrorResponse::single(
            "method",
            "is not allowed on this route",
        ))
}

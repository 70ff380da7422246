//! The backtesting REST API: JSON over HTTP on its own port, the same Bearer tokens as gRPC,
//! an OpenAPI document at `/openapi.json`, Swagger UI at `/docs` and ReDoc at `/redoc`, all
//! served by the binary itself (no internet needed).

pub mod auth;
pub mod backtests;
pub mod datasets;
pub mod error;
pub mod optimizations;
pub mod report;
pub mod session;
pub mod strategies;

use std::sync::Arc;

use aetherion_model::UnixMicros;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::state::AppState;

/// Largest accepted request body: a CSV of a few million bars.
pub const MAX_BODY_BYTES: usize = 512 << 20;

const REDOC_JS: &[u8] = include_bytes!("../../assets/redoc/redoc.standalone.js");

#[derive(OpenApi)]
#[openapi(
    info(title = "Aetherion backtesting API", description = "Backtests of the platform's strategies over uploaded or platform data. Sign in with `POST /api/v1/auth/login` (or register), then press Authorize with the access token: every other endpoint needs `Authorization: Bearer <access token>`, the same tokens as the gRPC API. Amounts are decimal strings; times RFC 3339 in UTC."),
    modifiers(&BearerAuth),
    tags((name = "auth", description = "Sign in to get a Bearer token (then use Authorize)"), (name = "strategies", description = "Built-in strategies and their parameters"), (name = "datasets", description = "Uploaded OHLCV data"), (name = "backtests", description = "Strategy runs over data sets or the platform's candles"), (name = "optimizations", description = "Parameter sweeps on every core, ranked"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()));
    }
}

/// The REST router, with its OpenAPI document and the documentation pages.
pub fn router(state: Arc<AppState>) -> Router {
    let (api, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(session::register))
        .routes(routes!(session::login))
        .routes(routes!(strategies::list))
        .routes(routes!(datasets::upload, datasets::list))
        .routes(routes!(datasets::get, datasets::delete))
        .routes(routes!(backtests::create, backtests::list))
        .routes(routes!(backtests::get, backtests::delete))
        .routes(routes!(backtests::report))
        .routes(routes!(optimizations::create))
        .routes(routes!(optimizations::get, optimizations::delete))
        .with_state(state)
        .split_for_parts();
    api.merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .route("/redoc", get(redoc_page))
        .route("/redoc/redoc.standalone.js", get(redoc_script))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

async fn redoc_page() -> Html<&'static str> {
    Html(concat!(
        "<!DOCTYPE html><html><head><title>Aetherion API - ReDoc</title><meta charset=\"utf-8\"/>",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head><body>",
        "<redoc spec-url=\"/openapi.json\"></redoc><script src=\"/redoc/redoc.standalone.js\"></script></body></html>"
    ))
}

async fn redoc_script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/javascript"), (header::CACHE_CONTROL, "public, max-age=86400")], REDOC_JS)
}

/// RFC 3339 in UTC with microseconds, e.g. `2024-01-01T00:00:00.000000Z`.
pub fn iso(t: UnixMicros) -> String {
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_in_utc() {
        assert_eq!(iso(UnixMicros(0)), "1970-01-01T00:00:00.000000Z");
        assert_eq!(iso(UnixMicros(1_700_000_000_250_000)), "2023-11-14T22:13:20.250000Z");
        assert_eq!(iso(UnixMicros(1_709_164_800_000_000)), "2024-02-29T00:00:00.000000Z");
    }
}

//! The built-in strategies and their parameter schemas.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::rest::auth::Authenticated;

/// One parameter of a strategy.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParameterSchema {
    pub name: String,
    /// `int`, `float` or `bool` (0 or 1).
    #[serde(rename = "type")]
    pub kind: String,
    pub default: f64,
    pub min: f64,
    pub max: f64,
    pub description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StrategySchema {
    pub name: String,
    pub description: String,
    pub parameters: Vec<ParameterSchema>,
}

/// The built-in strategies, with the parameters each takes.
#[utoipa::path(get, path = "/api/v1/strategies", responses((status = 200, body = Vec<StrategySchema>), (status = 401, body = crate::rest::error::ErrorBody)), security(("bearer" = [])), tag = "strategies")]
pub async fn list(_: Authenticated) -> Json<Vec<StrategySchema>> {
    Json(
        aetherion_strategy::builtin()
            .iter()
            .map(|s| StrategySchema {
                name: s.name.to_owned(),
                description: s.description.to_owned(),
                parameters: s
                    .params
                    .iter()
                    .map(|p| ParameterSchema {
                        name: p.name.to_owned(),
                        kind: p.kind.as_str().to_owned(),
                        default: p.default,
                        min: p.min,
                        max: p.max,
                        description: p.description.to_owned(),
                    })
                    .collect(),
            })
            .collect(),
    )
}

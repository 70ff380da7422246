//! Data sets: OHLCV files uploaded for backtests.

use std::sync::Arc;

use aetherion_store::DatasetInfo;
use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::clock::now;
use crate::error::ServiceError;
use crate::rest::auth::Authenticated;
use crate::rest::error::{ApiError, ErrorBody};
use crate::rest::iso;
use crate::state::AppState;

/// A stored data set.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dataset {
    pub id: String,
    pub name: String,
    /// Number of bars.
    pub rows: u64,
    /// Open time of the first bar (RFC 3339, UTC).
    pub start: String,
    /// Open time of the last bar.
    pub end: String,
    pub created_at: String,
}

impl From<&DatasetInfo> for Dataset {
    fn from(d: &DatasetInfo) -> Self {
        Dataset { id: d.dataset_id.clone(), name: d.name.clone(), rows: d.rows, start: iso(d.start), end: iso(d.end), created_at: iso(d.created_at) }
    }
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The CSV file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadQuery {
    /// A name for the data set (1 to 128 characters).
    pub name: Option<String>,
}

/// Upload an OHLCV CSV file.
///
/// The body is the CSV itself (`Content-Type: text/csv`) or a multipart form with a `file`
/// field. Accepted: a header with a time column (`timestamp`, `time`, `date`, `datetime`,
/// `open_time`, or `date` and `time`) and `open`, `high`, `low`, `close`, optional `volume`;
/// or no header (`time, open, high, low, close, volume, ...`, as Binance kline files). Times
/// are epoch seconds, milliseconds, microseconds or ISO 8601. A malformed file is a 422 that
/// names the line and the column, and nothing is stored.
#[utoipa::path(
    post,
    path = "/api/v1/datasets",
    params(UploadQuery),
    request_body(content(
        (UploadForm = "multipart/form-data"),
        (String = "text/csv"),
    ), description = "The CSV file: a form with a `file` field (Swagger UI shows a file picker), or the CSV itself"),
    responses(
        (status = 201, description = "Stored", body = Dataset),
        (status = 401, description = "No valid access token", body = ErrorBody),
        (status = 422, description = "Malformed file: line and column named", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "datasets"
)]
pub async fn upload(
    State(state): State<Arc<AppState>>,
    Authenticated(caller): Authenticated,
    Query(query): Query<UploadQuery>,
    request: Request,
) -> Result<(StatusCode, Json<Dataset>), ApiError> {
    let name = query.name.as_deref().unwrap_or("").trim().to_owned();
    if name.is_empty() || name.chars().count() > 128 {
        return Err(ApiError::bad_request("name", "must be 1 to 128 characters"));
    }
    let multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let bytes = if multipart {
        let mut form = Multipart::from_request(request, &state).await.map_err(|e| ApiError::bad_request("file", e.body_text()))?;
        let mut file = None;
        while let Some(field) = form.next_field().await.map_err(|e| ApiError::bad_request("file", e.body_text()))? {
            if field.name() == Some("file") {
                file = Some(field.bytes().await.map_err(|e| ApiError::bad_request("file", e.body_text()))?);
                break;
            }
        }
        file.ok_or_else(|| ApiError::bad_request("file", "the form has no 'file' field"))?
    } else {
        axum::body::Bytes::from_request(request, &state).await.map_err(|e| ApiError::bad_request("body", e.body_text()))?
    };
    let parsed = tokio::task::spawn_blocking(move || aetherion_data::parse_ohlcv(&bytes).map(|bars| (bars.len(), bars.first().map(|b| b.time), bars.last().map(|b| b.time), aetherion_data::encode_bars(&bars))))
        .await
        .map_err(ServiceError::internal)?;
    let (rows, start, end, encoded) = parsed.map_err(|e| ApiError::unprocessable(e.to_string(), Some(e.column.clone()), Some(e.line)))?;
    let info = DatasetInfo {
        dataset_id: uuid::Uuid::now_v7().to_string(),
        user_id: caller.user_id,
        name,
        rows: rows as u64,
        start: start.unwrap_or_default(),
        end: end.unwrap_or_default(),
        created_at: now(),
    };
    state.store.insert_dataset(&info, &encoded).await?;
    Ok((StatusCode::CREATED, Json(Dataset::from(&info))))
}

/// List your data sets, newest first.
#[utoipa::path(get, path = "/api/v1/datasets", responses((status = 200, body = Vec<Dataset>), (status = 401, body = ErrorBody)), security(("bearer" = [])), tag = "datasets")]
pub async fn list(State(state): State<Arc<AppState>>, Authenticated(caller): Authenticated) -> Result<Json<Vec<Dataset>>, ApiError> {
    let sets = state.store.datasets(&caller.user_id).await?;
    Ok(Json(sets.iter().map(Dataset::from).collect()))
}

/// One of your data sets.
#[utoipa::path(get, path = "/api/v1/datasets/{id}", params(("id" = String, Path, description = "Data set id")), responses((status = 200, body = Dataset), (status = 404, body = ErrorBody)), security(("bearer" = [])), tag = "datasets")]
pub async fn get(State(state): State<Arc<AppState>>, Authenticated(caller): Authenticated, Path(id): Path<String>) -> Result<Json<Dataset>, ApiError> {
    let set = state.store.dataset(&caller.user_id, &id).await?.ok_or_else(|| not_found(&id))?;
    Ok(Json(Dataset::from(&set)))
}

/// Delete one of your data sets.
#[utoipa::path(delete, path = "/api/v1/datasets/{id}", params(("id" = String, Path, description = "Data set id")), responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])), tag = "datasets")]
pub async fn delete(State(state): State<Arc<AppState>>, Authenticated(caller): Authenticated, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    if state.store.delete_dataset(&caller.user_id, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

fn not_found(id: &str) -> ApiError {
    ServiceError::NotFound(format!("data set {id:?} does not exist")).into()
}

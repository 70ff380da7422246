//! The REST API: documentation pages, strategies, data sets; over plain HTTP/1.1.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;

use crate::harness::TestServer;

/// One HTTP/1.1 request; the status and the body.
async fn call(server: &TestServer, method: &str, path: &str, token: Option<&str>, content_type: Option<&str>, body: Vec<u8>) -> (u16, Bytes) {
    let stream = tokio::net::TcpStream::connect(server.rest_addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let mut request = http::Request::builder().method(method).uri(path).header("host", server.rest_addr.to_string());
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let response = sender.send_request(request.body(Full::new(Bytes::from(body))).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    (status, response.into_body().collect().await.unwrap().to_bytes())
}

fn json(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

#[tokio::test]
async fn documentation_is_served_by_the_binary() {
    let server = TestServer::start().await;
    let (status, body) = call(&server, "GET", "/openapi.json", None, None, vec![]).await;
    assert_eq!(status, 200);
    let doc = json(&body);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/api/v1/strategies", "/api/v1/datasets", "/api/v1/datasets/{id}"] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    let (status, body) = call(&server, "GET", "/docs/", None, None, vec![]).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("swagger"), "Swagger UI");
    let (status, body) = call(&server, "GET", "/redoc", None, None, vec![]).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("/redoc/redoc.standalone.js"));
    let (status, body) = call(&server, "GET", "/redoc/redoc.standalone.js", None, None, vec![]).await;
    assert_eq!(status, 200);
    assert!(body.len() > 500_000, "the ReDoc bundle comes from the binary, not a CDN");
}

#[tokio::test]
async fn strategies_need_a_token_and_list_their_parameters() {
    let server = TestServer::start().await;
    let (status, body) = call(&server, "GET", "/api/v1/strategies", None, None, vec![]).await;
    assert_eq!(status, 401);
    assert_eq!(json(&body)["error"]["code"], "unauthenticated");
    let (status, _) = call(&server, "GET", "/api/v1/strategies", Some("forged"), None, vec![]).await;
    assert_eq!(status, 401);
    let token = server.register("ada@example.com").await.access_token;
    let (status, body) = call(&server, "GET", "/api/v1/strategies", Some(&token), None, vec![]).await;
    assert_eq!(status, 200);
    let list = json(&body);
    let sma = list.as_array().unwrap().iter().find(|s| s["name"] == "sma_crossover").expect("sma_crossover");
    let names: Vec<&str> = sma["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for p in ["fast", "slow", "allow_short"] {
        assert!(names.contains(&p), "{p} in {names:?}");
    }
}

#[tokio::test]
async fn datasets_upload_list_get_delete_and_refuse_malformed_files() {
    let server = TestServer::start().await;
    let ada = server.register("ada@example.com").await.access_token;
    let bob = server.register("bob@example.com").await.access_token;
    let csv = "timestamp,open,high,low,close,volume\n2024-01-01T00:00:00Z,10,12,9,11,5\n2024-01-01T00:01:00Z,11,13,10,12,6\n";
    let (status, body) = call(&server, "POST", "/api/v1/datasets?name=mini", Some(&ada), Some("text/csv"), csv.into()).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let created = json(&body);
    assert_eq!((created["name"].as_str(), created["rows"].as_u64()), (Some("mini"), Some(2)));
    assert_eq!(created["start"], "2024-01-01T00:00:00.000000Z");
    let id = created["id"].as_str().unwrap().to_owned();

    // Multipart, as Swagger UI and browsers send it.
    let boundary = "XyZ";
    let form = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n");
    let (status, body) = call(&server, "POST", "/api/v1/datasets?name=form", Some(&ada), Some(&format!("multipart/form-data; boundary={boundary}")), form.into()).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));

    // Malformed: the line and the column are named, nothing is stored.
    let bad = "timestamp,open,high,low,close,volume\n2024-01-01T00:00:00Z,10,12,9,11,5\n2024-01-01T00:01:00Z,11,abc,10,12,6\n";
    let (status, body) = call(&server, "POST", "/api/v1/datasets?name=bad", Some(&ada), Some("text/csv"), bad.into()).await;
    assert_eq!(status, 422);
    let err = json(&body);
    assert_eq!((err["error"]["line"].as_u64(), err["error"]["field"].as_str()), (Some(3), Some("high")), "{err}");
    let (status, body) = call(&server, "POST", "/api/v1/datasets", Some(&ada), Some("text/csv"), csv.into()).await;
    assert_eq!(status, 400, "the name is required");
    assert_eq!(json(&body)["error"]["field"], "name");

    let (_, body) = call(&server, "GET", "/api/v1/datasets", Some(&ada), None, vec![]).await;
    assert_eq!(json(&body).as_array().unwrap().len(), 2);
    let (status, _) = call(&server, "GET", &format!("/api/v1/datasets/{id}"), Some(&bob), None, vec![]).await;
    assert_eq!(status, 404, "another user's data set is not found");
    let (status, _) = call(&server, "DELETE", &format!("/api/v1/datasets/{id}"), Some(&bob), None, vec![]).await;
    assert_eq!(status, 404);
    let (status, _) = call(&server, "DELETE", &format!("/api/v1/datasets/{id}"), Some(&ada), None, vec![]).await;
    assert_eq!(status, 204);
    let (status, _) = call(&server, "GET", &format!("/api/v1/datasets/{id}"), Some(&ada), None, vec![]).await;
    assert_eq!(status, 404);
}

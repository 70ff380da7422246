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

/// A CSV of `n` one-minute bars following a slow wave, so that moving averages cross often.
fn wave_csv(n: usize) -> String {
    let mut text = String::from("timestamp,open,high,low,close,volume\n");
    let mut previous = 100.0f64;
    for i in 0..n {
        let close = 100.0 + 10.0 * (i as f64 / 40.0).sin() + (i % 7) as f64 * 0.1;
        let (high, low) = (previous.max(close) + 0.5, previous.min(close) - 0.5);
        text.push_str(&format!("{},{previous:.4},{high:.4},{low:.4},{close:.4},{}\n", 1_700_000_000 + i as i64 * 60, 10 + i % 5));
        previous = close;
    }
    text
}

async fn upload(server: &TestServer, token: &str, csv: String) -> String {
    let (status, body) = call(server, "POST", "/api/v1/datasets?name=wave", Some(token), Some("text/csv"), csv.into()).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    json(&body)["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn backtests_run_are_stored_and_refuse_bad_requests() {
    let server = TestServer::start_with(|c| c.default_symbols = aetherion_server::config::default_symbols()).await;
    let ada = server.register("ada@example.com").await.access_token;
    let bob = server.register("bob@example.com").await.access_token;
    let dataset = upload(&server, &ada, wave_csv(2_000)).await;
    let request = serde_json::json!({
        "strategy": "sma_crossover", "parameters": {"fast": 5, "slow": 20}, "dataset_id": dataset,
        "initial_cash": "10000", "commission": 0.001
    });
    let (status, body) = call(&server, "POST", "/api/v1/backtests", Some(&ada), Some("application/json"), request.to_string().into()).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let run = json(&body);
    assert_eq!((run["status"].as_str(), run["progress"].as_f64()), (Some("completed"), Some(1.0)));
    let metrics = &run["result"]["metrics"];
    let trades = run["result"]["trades"].as_array().unwrap();
    assert!(metrics["num_trades"].as_u64().unwrap() > 10, "{metrics}");
    assert_eq!(metrics["num_trades"].as_u64().unwrap() as usize, trades.len());
    let final_equity: f64 = metrics["equity_final"].as_str().unwrap().parse().unwrap();
    assert!(final_equity > 0.0);
    assert_eq!(run["result"]["equity_curve"].as_array().unwrap().len(), 2_000);
    let id = run["id"].as_str().unwrap().to_owned();

    // Stored: listed, readable, private, deletable.
    let (_, body) = call(&server, "GET", "/api/v1/backtests", Some(&ada), None, vec![]).await;
    assert_eq!(json(&body).as_array().unwrap().len(), 1);
    let (status, body) = call(&server, "GET", &format!("/api/v1/backtests/{id}"), Some(&ada), None, vec![]).await;
    assert_eq!(status, 200);
    assert_eq!(json(&body)["result"]["metrics"], *metrics, "the stored result is the one returned");
    let (status, _) = call(&server, "GET", &format!("/api/v1/backtests/{id}"), Some(&bob), None, vec![]).await;
    assert_eq!(status, 404);

    // The same run again gives the same result (determinism).
    let (_, again) = call(&server, "POST", "/api/v1/backtests", Some(&ada), Some("application/json"), request.to_string().into()).await;
    assert_eq!(json(&again)["result"], run["result"]);

    // Platform candles as the data source.
    let platform = serde_json::json!({
        "strategy": "ema_crossover", "symbol": "BTC-USD", "interval": "1h",
        "start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"
    });
    let (status, body) = call(&server, "POST", "/api/v1/backtests", Some(&ada), Some("application/json"), platform.to_string().into()).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    assert!(json(&body)["result"]["equity_curve"].as_array().unwrap().len() >= 7 * 24, "a week of hourly bars");

    let bad = [
        (serde_json::json!({"strategy": "nope", "dataset_id": dataset}), 422, "strategy"),
        (serde_json::json!({"strategy": "sma_crossover", "parameters": {"slow": 1}, "dataset_id": dataset}), 422, "parameters.slow"),
        (serde_json::json!({"strategy": "sma_crossover", "parameters": {"speed": 3}, "dataset_id": dataset}), 422, "parameters.speed"),
        (serde_json::json!({"strategy": "sma_crossover", "dataset_id": dataset, "initial_cash": "-5"}), 422, "initial_cash"),
        (serde_json::json!({"strategy": "sma_crossover", "dataset_id": dataset, "commission": 2}), 422, "commission"),
        (serde_json::json!({"strategy": "sma_crossover"}), 422, "dataset_id"),
        (serde_json::json!({"strategy": "sma_crossover", "dataset_id": dataset, "finalize": "never"}), 422, "finalize"),
        (serde_json::json!({"strategy": "sma_crossover", "symbol": "BTC-USD", "interval": "7m", "start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}), 422, "interval"),
    ];
    for (request, code, field) in bad {
        let (status, body) = call(&server, "POST", "/api/v1/backtests", Some(&ada), Some("application/json"), request.to_string().into()).await;
        assert_eq!(status, code, "{request}: {}", String::from_utf8_lossy(&body));
        assert_eq!(json(&body)["error"]["field"], field, "{request}");
    }
    let (status, _) = call(&server, "POST", "/api/v1/backtests", Some(&ada), Some("application/json"), serde_json::json!({"strategy": "sma_crossover", "dataset_id": "nope"}).to_string().into()).await;
    assert_eq!(status, 404);
    let (status, _) = call(&server, "POST", "/api/v1/backtests", Some(&bob), Some("application/json"), serde_json::json!({"strategy": "sma_crossover", "dataset_id": dataset}).to_string().into()).await;
    assert_eq!(status, 404, "another user's data set");
    let (status, _) = call(&server, "POST", "/api/v1/backtests", Some(&ada), Some("application/json"), b"{not json".to_vec()).await;
    assert!((400..500).contains(&status));

    let (status, _) = call(&server, "DELETE", &format!("/api/v1/backtests/{id}"), Some(&ada), None, vec![]).await;
    assert_eq!(status, 204);
    let (status, _) = call(&server, "GET", &format!("/api/v1/backtests/{id}"), Some(&ada), None, vec![]).await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test]
async fn long_backtests_run_in_the_background_with_progress() {
    let server = TestServer::start().await;
    let ada = server.register("ada@example.com").await.access_token;
    let dataset = upload(&server, &ada, wave_csv(250_000)).await;
    let request = serde_json::json!({"strategy": "sma_crossover", "parameters": {"fast": 10, "slow": 30}, "dataset_id": dataset});
    let (status, body) = call(&server, "POST", "/api/v1/backtests", Some(&ada), Some("application/json"), request.to_string().into()).await;
    assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
    let id = json(&body)["id"].as_str().unwrap().to_owned();
    let mut last = Value::Null;
    for _ in 0..600 {
        let (_, body) = call(&server, "GET", &format!("/api/v1/backtests/{id}"), Some(&ada), None, vec![]).await;
        last = json(&body);
        if last["status"] == "completed" || last["status"] == "failed" {
            break;
        }
        let progress = last["progress"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&progress));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(last["status"], "completed", "{last}");
    assert_eq!(last["result"]["equity_curve"].as_array().unwrap().len(), 250_000);
    server.stop().await;
}

#[tokio::test]
async fn optimisations_sweep_a_grid_and_rank_it() {
    let server = TestServer::start().await;
    let ada = server.register("ada@example.com").await.access_token;
    let dataset = upload(&server, &ada, wave_csv(3_000)).await;
    let request = serde_json::json!({
        "strategy": "sma_crossover", "parameter_grid": {"fast": [5, 8, 10], "slow": [20, 30]},
        "dataset_id": dataset, "objective": "return_pct"
    });
    let (status, body) = call(&server, "POST", "/api/v1/optimizations", Some(&ada), Some("application/json"), request.to_string().into()).await;
    assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
    let id = json(&body)["id"].as_str().unwrap().to_owned();
    let mut run = Value::Null;
    for _ in 0..300 {
        let (_, body) = call(&server, "GET", &format!("/api/v1/optimizations/{id}"), Some(&ada), None, vec![]).await;
        run = json(&body);
        if run["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(run["status"], "completed", "{run}");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    let returns: Vec<f64> = results.iter().map(|r| r["metrics"]["return_pct"].as_f64().unwrap()).collect();
    assert!(returns.windows(2).all(|w| w[0] >= w[1]), "best first: {returns:?}");
    // The best combination, run alone, gives the same return.
    let best = &results[0]["parameters"];
    let single = serde_json::json!({"strategy": "sma_crossover", "parameters": best, "dataset_id": dataset});
    let (_, body) = call(&server, "POST", "/api/v1/backtests", Some(&ada), Some("application/json"), single.to_string().into()).await;
    assert_eq!(json(&body)["result"]["metrics"]["return_pct"].as_f64().unwrap(), returns[0]);

    for (request, field) in [
        (serde_json::json!({"strategy": "sma_crossover", "parameter_grid": {"fast": [40], "slow": [20]}, "dataset_id": dataset}), "parameter_grid."),
        (serde_json::json!({"strategy": "sma_crossover", "parameter_grid": {"fast": []}, "dataset_id": dataset}), "parameter_grid"),
        (serde_json::json!({"strategy": "sma_crossover", "parameter_grid": {"fast": [5]}, "dataset_id": dataset, "objective": "luck"}), "objective"),
    ] {
        let (status, body) = call(&server, "POST", "/api/v1/optimizations", Some(&ada), Some("application/json"), request.to_string().into()).await;
        assert_eq!(status, 422, "{request}");
        assert!(json(&body)["error"]["field"].as_str().unwrap().starts_with(field), "{}", String::from_utf8_lossy(&body));
    }
    let (status, _) = call(&server, "DELETE", &format!("/api/v1/optimizations/{id}"), Some(&ada), None, vec![]).await;
    assert_eq!(status, 204);
    let (status, _) = call(&server, "GET", &format!("/api/v1/optimizations/{id}"), Some(&ada), None, vec![]).await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test]
async fn the_docs_are_enough_sign_in_upload_a_file_run_and_read_the_report() {
    let server = TestServer::start().await;
    let (_, body) = call(&server, "GET", "/openapi.json", None, None, vec![]).await;
    let doc = json(&body);
    assert!(doc["paths"]["/api/v1/datasets"]["post"]["requestBody"]["content"].get("multipart/form-data").is_some(), "a file picker in Swagger UI");
    assert!(doc["paths"].get("/api/v1/auth/login").is_some());

    let creds = serde_json::json!({"email": "doc@example.com", "password": "correct horse"});
    let (status, body) = call(&server, "POST", "/api/v1/auth/register", None, Some("application/json"), creds.to_string().into()).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let (status, _) = call(&server, "POST", "/api/v1/auth/register", None, Some("application/json"), creds.to_string().into()).await;
    assert_eq!(status, 409, "duplicate email");
    let wrong = serde_json::json!({"email": "doc@example.com", "password": "wrong password"});
    let (status, _) = call(&server, "POST", "/api/v1/auth/login", None, Some("application/json"), wrong.to_string().into()).await;
    assert_eq!(status, 401);
    let (status, body) = call(&server, "POST", "/api/v1/auth/login", None, Some("application/json"), creds.to_string().into()).await;
    assert_eq!(status, 200);
    let token = json(&body)["access_token"].as_str().unwrap().to_owned();

    let dataset = upload(&server, &token, wave_csv(1_500)).await;
    let request = serde_json::json!({"strategy": "sma_crossover", "parameters": {"fast": 5, "slow": 20}, "dataset_id": dataset});
    let (_, body) = call(&server, "POST", "/api/v1/backtests", Some(&token), Some("application/json"), request.to_string().into()).await;
    let id = json(&body)["id"].as_str().unwrap().to_owned();
    let (status, html) = call(&server, "GET", &format!("/api/v1/backtests/{id}/report"), Some(&token), None, vec![]).await;
    assert_eq!(status, 200);
    let html = String::from_utf8_lossy(&html);
    assert!(html.contains("<svg") && html.contains("sma_crossover"));
    assert!(!html.contains("https://"), "the report loads nothing");
    server.stop().await;
}

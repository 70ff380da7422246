//! Transports: gRPC-Web over HTTP/1.1, CORS, TLS (h2 and HTTP/1.1), health and reflection.

use std::sync::Arc;

use aetherion_api::v1 as pb;
use aetherion_server::TlsMode;
use aetherion_server::tls::SELF_SIGNED_CERT;
use bytes::{Buf, Bytes};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use prost::Message;
use tokio::io::{AsyncRead, AsyncWrite};
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

use crate::harness::{TestServer, bearer};

/// A gRPC-Web response: the message frames and the trailers.
struct WebResponse {
    http_status: u16,
    headers: http::HeaderMap,
    messages: Vec<Bytes>,
    trailers: String,
}

/// One gRPC-Web call over an HTTP/1.1 connection on `io`.
async fn grpc_web_call<IO>(io: IO, authority: &str, path: &str, message: &impl Message, token: Option<&str>) -> WebResponse
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let payload = message.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(&payload);
    grpc_web_raw(io, authority, path, frame, token).await
}

/// A gRPC-Web request whose body is exactly `frame` (possibly malformed).
async fn grpc_web_raw<IO>(io: IO, authority: &str, path: &str, frame: Vec<u8>, token: Option<&str>) -> WebResponse
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await.unwrap();
    tokio::spawn(conn);
    let mut request = http::Request::post(path)
        .header("host", authority)
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .header("origin", "http://dashboard.example");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = sender.send_request(request.body(Full::new(Bytes::from(frame))).unwrap()).await.unwrap();
    let http_status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = response.into_body().collect().await.unwrap().to_bytes();
    let (mut messages, mut trailers) = (Vec::new(), String::new());
    while body.remaining() >= 5 {
        let flag = body.get_u8();
        let len = body.get_u32() as usize;
        let chunk = body.split_to(len);
        if flag & 0x80 != 0 {
            trailers.push_str(std::str::from_utf8(&chunk).unwrap());
        } else {
            messages.push(chunk);
        }
    }
    // A trailers-only error answer carries grpc-status in the HTTP headers.
    for name in ["grpc-status", "grpc-message"] {
        if let Some(v) = headers.get(name) {
            trailers.push_str(&format!("{name}:{}\r\n", v.to_str().unwrap()));
        }
    }
    WebResponse { http_status, headers, messages, trailers }
}

fn register_request(email: &str) -> pb::RegisterRequest {
    pb::RegisterRequest { email: email.into(), password: "correct horse battery".into(), display_name: "Web".into() }
}

#[tokio::test]
async fn grpc_web_over_http1_registers_logs_in_and_reports_errors() {
    let server = TestServer::start().await;
    let authority = server.addr.to_string();
    let connect = || tokio::net::TcpStream::connect(server.addr);

    let response = grpc_web_call(connect().await.unwrap(), &authority, "/aetherion.v1.AuthService/Register", &register_request("web@example.com"), None).await;
    assert_eq!(response.http_status, 200);
    assert_eq!(response.headers["access-control-allow-origin"], "http://dashboard.example");
    assert!(response.trailers.contains("grpc-status:0"), "{}", response.trailers);
    let auth = pb::AuthResponse::decode(response.messages[0].clone()).unwrap();
    assert_eq!(auth.user.unwrap().email, "web@example.com");

    let response = grpc_web_call(
        connect().await.unwrap(),
        &authority,
        "/aetherion.v1.AuthService/GetUser",
        &pb::GetUserRequest {},
        Some(&auth.access_token),
    )
    .await;
    let user = pb::User::decode(response.messages[0].clone()).unwrap();
    assert_eq!(user.email, "web@example.com");

    // Errors arrive as gRPC statuses, readable by the browser (exposed headers).
    let response = grpc_web_call(connect().await.unwrap(), &authority, "/aetherion.v1.AuthService/Register", &register_request("web@example.com"), None).await;
    assert!(response.trailers.contains("grpc-status:6"), "ALREADY_EXISTS: {}", response.trailers);
    let exposed = response.headers["access-control-expose-headers"].to_str().unwrap().to_owned();
    assert!(exposed.contains("grpc-status") && exposed.contains("grpc-message"), "{exposed}");
    let response = grpc_web_call(connect().await.unwrap(), &authority, "/aetherion.v1.AuthService/GetUser", &pb::GetUserRequest {}, None).await;
    assert!(response.trailers.contains("grpc-status:16"), "UNAUTHENTICATED: {}", response.trailers);
}

#[tokio::test]
async fn malformed_requests_get_clear_errors_and_the_server_carries_on() {
    let server = TestServer::start().await;
    let authority = server.addr.to_string();
    let connect = || tokio::net::TcpStream::connect(server.addr);
    let register = "/aetherion.v1.AuthService/Register";

    // Bytes that are not a RegisterRequest: field 1 announced as 100 bytes long, 3 given.
    let mut garbage = vec![0u8, 0, 0, 0, 5];
    garbage.extend_from_slice(&[0x0a, 100, b'a', b'b', b'c']);
    let response = grpc_web_raw(connect().await.unwrap(), &authority, register, garbage, None).await;
    assert!(response.trailers.contains("grpc-status:3"), "INVALID_ARGUMENT: {}", response.trailers);

    // A string field holding invalid UTF-8.
    let invalid_utf8 = vec![0u8, 0, 0, 0, 4, 0x0a, 2, 0xff, 0xfe];
    let response = grpc_web_raw(connect().await.unwrap(), &authority, register, invalid_utf8, None).await;
    assert!(response.trailers.contains("grpc-status:3"), "{}", response.trailers);

    // A frame that announces more bytes than the body holds.
    let truncated = vec![0u8, 0, 0, 1, 0, 0x0a];
    let response = grpc_web_raw(connect().await.unwrap(), &authority, register, truncated, None).await;
    assert!(!response.trailers.contains("grpc-status:0"), "{}", response.trailers);

    // An unknown method.
    let response = grpc_web_call(connect().await.unwrap(), &authority, "/aetherion.v1.AuthService/Nope", &pb::GetUserRequest {}, None).await;
    assert!(response.trailers.contains("grpc-status:12"), "UNIMPLEMENTED: {}", response.trailers);

    // Still serving.
    let response = grpc_web_call(connect().await.unwrap(), &authority, register, &register_request("after@example.com"), None).await;
    assert!(response.trailers.contains("grpc-status:0"), "{}", response.trailers);
}

#[tokio::test]
async fn cors_preflight_allows_grpc_web_headers() {
    let server = TestServer::start().await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let request = http::Request::builder()
        .method("OPTIONS")
        .uri("/aetherion.v1.AuthService/Login")
        .header("host", server.addr.to_string())
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,x-grpc-web,x-user-agent,authorization")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "http://localhost:5173");
    let allowed = headers["access-control-allow-headers"].to_str().unwrap();
    for h in ["content-type", "x-grpc-web", "x-user-agent", "authorization"] {
        assert!(allowed.contains(h), "{h} missing from {allowed}");
    }
}

#[tokio::test]
async fn self_signed_tls_serves_native_grpc_and_grpc_web_over_http1() {
    let server = TestServer::start_with(|c| c.tls = TlsMode::SelfSigned).await;
    let pem = std::fs::read(server.data_dir.join(SELF_SIGNED_CERT)).unwrap();

    // Native gRPC over HTTP/2 + TLS.
    let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&pem)).domain_name("localhost");
    let channel = Channel::from_shared(format!("https://localhost:{}", server.addr.port()))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut auth = aetherion_api::v1::auth_service_client::AuthServiceClient::new(channel);
    let session = auth.register(register_request("tls@example.com")).await.unwrap().into_inner();
    let user = auth.get_user(bearer(&session.access_token, pb::GetUserRequest {})).await.unwrap().into_inner();
    assert_eq!(user.email, "tls@example.com");

    // gRPC-Web over HTTP/1.1 + TLS, as a browser does.
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let tls_stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(rustls::pki_types::ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    assert_eq!(tls_stream.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let response = grpc_web_call(tls_stream, "localhost", "/aetherion.v1.AuthService/Login", &pb::LoginRequest {
        email: "tls@example.com".into(),
        password: "correct horse battery".into(),
    }, None)
    .await;
    assert!(response.trailers.contains("grpc-status:0"), "{}", response.trailers);
    let login = pb::AuthResponse::decode(response.messages[0].clone()).unwrap();
    assert_eq!(login.user.unwrap().email, "tls@example.com");

    // Plain text to a TLS port fails rather than leaking anything.
    let plain = Channel::from_shared(format!("http://{}", server.addr)).unwrap().connect().await;
    if let Ok(channel) = plain {
        let mut auth = aetherion_api::v1::auth_service_client::AuthServiceClient::new(channel);
        assert!(auth.login(pb::LoginRequest::default()).await.is_err());
    }
    server.stop().await;
}

#[tokio::test]
async fn health_and_reflection_describe_every_service() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;

    let server = TestServer::start().await;
    let mut health = HealthClient::new(server.channel().await);
    let status = health
        .check(tonic_health::pb::HealthCheckRequest { service: String::new() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.status(), ServingStatus::Serving);
    let status = health
        .check(tonic_health::pb::HealthCheckRequest { service: "aetherion.v1.AuthService".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.status(), ServingStatus::Serving);

    let mut reflection = ServerReflectionClient::new(server.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = reflection.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
    let response = stream.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection answer {response:?}");
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    for service in ["AuthService", "TradingService", "OrderService", "PortfolioService", "BotService", "RiskService"] {
        assert!(names.contains(&format!("aetherion.v1.{service}")), "{service} missing from {names:?}");
    }
    assert!(names.contains(&"grpc.health.v1.Health".to_owned()), "{names:?}");
}

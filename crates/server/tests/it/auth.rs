use aetherion_api::v1 as pb;
use aetherion_api::v1::trading_service_client::TradingServiceClient;
use aetherion_server::auth::TokenKeys;
use aetherion_server::auth::tokens::Claims;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tonic::Code;

use crate::harness::{SECRET, TestServer, bearer};

#[tokio::test]
async fn register_login_get_user_refresh_logout() {
    let server = TestServer::start().await;
    let mut auth = server.auth().await;

    let registered = server.register("Ada@Example.com").await;
    let user = registered.user.clone().unwrap();
    assert_eq!(user.email, "ada@example.com");
    assert_eq!(user.display_name, "ada");
    assert_eq!(user.role, pb::Role::Admin as i32, "the first user is the administrator");
    let expires = registered.access_token_expires_at.unwrap().seconds;
    let now = aetherion_server::clock::now().seconds();
    assert!((expires - now - 900).abs() <= 5, "access tokens live 15 minutes");
    let refresh_expires = registered.refresh_token_expires_at.unwrap().seconds;
    assert!((refresh_expires - now - 30 * 86_400).abs() <= 5, "refresh tokens live 30 days");

    let second = server.register("bob@example.com").await;
    assert_eq!(second.user.unwrap().role, pb::Role::User as i32);

    let login = auth
        .login(pb::LoginRequest { email: "ADA@example.com ".into(), password: "correct horse battery".into() })
        .await
        .unwrap()
        .into_inner();
    let me = auth.get_user(bearer(&login.access_token, pb::GetUserRequest {})).await.unwrap().into_inner();
    assert_eq!(me.user_id, user.user_id);

    let rotated = auth
        .refresh_token(pb::RefreshTokenRequest { refresh_token: login.refresh_token.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_ne!(rotated.refresh_token, login.refresh_token);
    let me = auth.get_user(bearer(&rotated.access_token, pb::GetUserRequest {})).await.unwrap().into_inner();
    assert_eq!(me.user_id, user.user_id);

    auth.logout(pb::LogoutRequest { refresh_token: rotated.refresh_token.clone() }).await.unwrap();
    let err = auth
        .refresh_token(pb::RefreshTokenRequest { refresh_token: rotated.refresh_token })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    // The registration's own session is a different family and still works.
    auth.refresh_token(pb::RefreshTokenRequest { refresh_token: registered.refresh_token }).await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn reusing_a_refresh_token_revokes_its_whole_family() {
    let server = TestServer::start().await;
    let mut auth = server.auth().await;
    let first = server.register("ada@example.com").await;
    let second = auth
        .refresh_token(pb::RefreshTokenRequest { refresh_token: first.refresh_token.clone() })
        .await
        .unwrap()
        .into_inner();

    // A thief replays the first token: refused, and the family is revoked...
    let err = auth
        .refresh_token(pb::RefreshTokenRequest { refresh_token: first.refresh_token })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert!(err.message().contains("already used"), "{}", err.message());
    // ...so the legitimate holder of the newest token must log in again too.
    let err = auth
        .refresh_token(pb::RefreshTokenRequest { refresh_token: second.refresh_token })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);

    let err = auth.refresh_token(pb::RefreshTokenRequest { refresh_token: "made-up".into() }).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = auth.refresh_token(pb::RefreshTokenRequest { refresh_token: " ".into() }).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn registration_rejects_bad_input_and_duplicates() {
    let server = TestServer::start().await;
    let mut auth = server.auth().await;
    let cases = [
        ("not-an-email", "long enough", "email"),
        ("", "long enough", "email"),
        ("ada@example.com", "short", "password"),
        ("ada@example.com", "", "password"),
    ];
    for (email, password, field) in cases {
        let err = auth
            .register(pb::RegisterRequest { email: email.into(), password: password.into(), display_name: String::new() })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{email:?}/{password:?}");
        assert!(err.message().starts_with(field), "{}", err.message());
    }
    let err = auth
        .register(pb::RegisterRequest {
            email: "ada@example.com".into(),
            password: "long enough".into(),
            display_name: "x".repeat(65),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    server.register("ada@example.com").await;
    let err = auth
        .register(pb::RegisterRequest {
            email: "ADA@example.com".into(),
            password: "another password".into(),
            display_name: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    // The failed attempt changed nothing: the original password still works.
    auth.login(pb::LoginRequest { email: "ada@example.com".into(), password: "correct horse battery".into() })
        .await
        .unwrap();
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same_and_failures_are_throttled() {
    let server = TestServer::start().await;
    let mut auth = server.auth().await;
    server.register("ada@example.com").await;

    let wrong = auth
        .login(pb::LoginRequest { email: "ada@example.com".into(), password: "wrong password".into() })
        .await
        .unwrap_err();
    let unknown = auth
        .login(pb::LoginRequest { email: "nobody@example.com".into(), password: "wrong password".into() })
        .await
        .unwrap_err();
    assert_eq!((wrong.code(), wrong.message()), (unknown.code(), unknown.message()));
    assert_eq!(wrong.code(), Code::Unauthenticated);

    for _ in 0..4 {
        let err = auth
            .login(pb::LoginRequest { email: "ada@example.com".into(), password: "wrong password".into() })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated);
    }
    // Five failures: now even the right password is refused for a while.
    let err = auth
        .login(pb::LoginRequest { email: "ada@example.com".into(), password: "correct horse battery".into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(err.message().contains("retry in"), "{}", err.message());
    // Other accounts are not affected.
    let err = auth
        .login(pb::LoginRequest { email: "nobody@example.com".into(), password: "x".into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

fn claims(sub: &str, exp_offset: i64) -> Claims {
    let now = aetherion_server::clock::now().seconds();
    Claims { sub: sub.into(), role: "admin".into(), iss: "aetherion".into(), iat: now - 60, exp: now + exp_offset }
}

#[tokio::test]
async fn protected_rpcs_need_a_valid_bearer_token() {
    let server = TestServer::start().await;
    let session = server.register("ada@example.com").await;
    let user_id = session.user.unwrap().user_id;
    let mut trading = TradingServiceClient::new(server.channel().await);
    let mut auth = server.auth().await;

    // No token at all.
    let err = trading.list_symbols(pb::ListSymbolsRequest {}).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert!(err.message().contains("authorization"), "{}", err.message());
    let err = auth.get_user(pb::GetUserRequest {}).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);

    let keys = TokenKeys::new(SECRET.as_bytes()).unwrap();
    let expired = keys.sign_claims(&claims(&user_id, -120)).unwrap();
    let forged = TokenKeys::new(b"some other server's secret, 32+ bytes").unwrap().sign_claims(&claims(&user_id, 600)).unwrap();
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(&user_id, 600)).unwrap());
    let alg_none = format!("{}.{body}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#));
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &claims(&user_id, 600),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    )
    .unwrap();
    for (name, token) in [("expired", &expired), ("forged", &forged), ("alg=none", &alg_none), ("HS512", &hs512)] {
        let err = trading.list_symbols(bearer(token, pb::ListSymbolsRequest {})).await.unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated, "{name}");
        let err = auth.get_user(bearer(token, pb::GetUserRequest {})).await.unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated, "{name}");
    }
    let err = auth.get_user(bearer(&expired, pb::GetUserRequest {})).await.unwrap_err();
    assert!(err.message().contains("expired"), "{}", err.message());

    // Not "Bearer <token>".
    let mut request = tonic::Request::new(pb::ListSymbolsRequest {});
    request.metadata_mut().insert("authorization", format!("Token {}", session.access_token).parse().unwrap());
    assert_eq!(trading.list_symbols(request).await.unwrap_err().code(), Code::Unauthenticated);

    // A valid token passes authentication and reaches the service.
    trading.list_symbols(bearer(&session.access_token, pb::ListSymbolsRequest {})).await.unwrap();
}

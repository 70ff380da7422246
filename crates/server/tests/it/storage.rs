//! The server on its storage backends: restarts keep users, PostgreSQL works the same.

use aetherion_api::v1 as pb;
use aetherion_store::testing::TestDatabase;

use crate::harness::{TestServer, bearer};

#[tokio::test]
async fn users_and_sessions_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |c| c.jwt_secret = None).await;
    let session = server.register("ada@example.com").await;
    server.stop().await;
    let secret = std::fs::read_to_string(dir.path().join("jwt_secret")).unwrap();

    let server = TestServer::start_in(dir.path(), |c| c.jwt_secret = None).await;
    assert_eq!(std::fs::read_to_string(dir.path().join("jwt_secret")).unwrap(), secret, "the secret is kept");
    let mut auth = server.auth().await;
    // The access token from before the restart is still valid...
    let me = auth.get_user(bearer(&session.access_token, pb::GetUserRequest {})).await.unwrap().into_inner();
    assert_eq!(me.email, "ada@example.com");
    assert_eq!(me.role, pb::Role::Admin as i32);
    // ...and so is the refresh token, and the password.
    auth.refresh_token(pb::RefreshTokenRequest { refresh_token: session.refresh_token }).await.unwrap();
    auth.login(pb::LoginRequest { email: "ada@example.com".into(), password: "correct horse battery".into() })
        .await
        .unwrap();
    // The first user stays the only administrator.
    assert_eq!(server.register("bob@example.com").await.user.unwrap().role, pb::Role::User as i32);
    server.stop().await;
}

#[tokio::test]
async fn the_whole_auth_flow_runs_on_postgresql() {
    let db = TestDatabase::create_postgres().await.unwrap();
    let url = db.url.clone();
    let server = TestServer::start_with(|c| c.database_url = Some(url)).await;
    let mut auth = server.auth().await;
    let session = server.register("pg@example.com").await;
    assert_eq!(session.user.as_ref().unwrap().role, pb::Role::Admin as i32);
    let err = auth
        .register(pb::RegisterRequest {
            email: "PG@example.com".into(),
            password: "another password".into(),
            display_name: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::AlreadyExists);
    let me = auth.get_user(bearer(&session.access_token, pb::GetUserRequest {})).await.unwrap().into_inner();
    assert_eq!(me.email, "pg@example.com");
    let next = auth
        .refresh_token(pb::RefreshTokenRequest { refresh_token: session.refresh_token.clone() })
        .await
        .unwrap()
        .into_inner();
    let reuse = auth.refresh_token(pb::RefreshTokenRequest { refresh_token: session.refresh_token }).await;
    assert_eq!(reuse.unwrap_err().code(), tonic::Code::Unauthenticated);
    let after = auth.refresh_token(pb::RefreshTokenRequest { refresh_token: next.refresh_token }).await;
    assert_eq!(after.unwrap_err().code(), tonic::Code::Unauthenticated, "family revoked");
    server.stop().await;
    db.drop_database().await.unwrap();
}

//! Starts a real server on 127.0.0.1:0 and hands out connected clients.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use aetherion_api::v1 as pb;
use aetherion_api::v1::auth_service_client::AuthServiceClient;
use aetherion_server::{Config, Server};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

pub const SECRET: &str = "integration-test-secret-0123456789abcdef";

pub struct TestServer {
    pub addr: SocketAddr,
    /// The REST API.
    pub rest_addr: SocketAddr,
    pub data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    /// A server with a fresh SQLite data directory and no symbols (quick to start).
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// A server whose config `adjust` may change (the data directory is a fresh temp dir).
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let temp = tempfile::tempdir().unwrap();
        let mut server = Self::start_in(temp.path(), adjust).await;
        server._temp = Some(temp);
        server
    }

    /// A server on an existing data directory (to test restarts).
    pub async fn start_in(data_dir: &Path, adjust: impl FnOnce(&mut Config)) -> TestServer {
        let mut config = Config::new(data_dir.to_path_buf());
        config.jwt_secret = Some(SECRET.to_owned());
        config.default_symbols = Vec::new();
        adjust(&mut config);
        let server = Server::build(config).await.unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let rest = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let rest_addr = rest.local_addr().unwrap();
        let task = tokio::spawn(server.serve(listener, Some(rest), async {
            let _ = stopped.await;
        }));
        TestServer { addr, rest_addr, data_dir: data_dir.to_path_buf(), _temp: None, stop: Some(stop), task: Some(task) }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url()).unwrap().connect().await.unwrap()
    }

    pub async fn auth(&self) -> AuthServiceClient<Channel> {
        AuthServiceClient::new(self.channel().await)
    }

    /// Registers `email` with a valid password and returns the tokens.
    pub async fn register(&self, email: &str) -> pb::AuthResponse {
        self.auth()
            .await
            .register(pb::RegisterRequest {
                email: email.to_owned(),
                password: "correct horse battery".to_owned(),
                display_name: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
    }

    /// Stops the server gracefully and waits until it has.
    pub async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        self.task.take().unwrap().await.unwrap().unwrap();
    }
}

/// `request` with `authorization: Bearer <token>`.
pub fn bearer<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

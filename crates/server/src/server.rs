use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aetherion_api::v1::auth_service_server::AuthServiceServer;
use aetherion_api::v1::bot_service_server::BotServiceServer;
use aetherion_api::v1::order_service_server::OrderServiceServer;
use aetherion_api::v1::portfolio_service_server::PortfolioServiceServer;
use aetherion_api::v1::risk_service_server::RiskServiceServer;
use aetherion_api::v1::trading_service_server::TradingServiceServer;
use aetherion_store::Store;
use anyhow::Context;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use http::{HeaderName, Method};
use tonic::service::Routes;
use tonic_web::GrpcWebLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::auth::password::PasswordHasherPool;
use crate::auth::throttle::LoginThrottle;
use crate::auth::{RequireAuth, TokenKeys, secret};
use crate::config::Config;
use crate::services::auth::AuthApi;
use crate::services::bots::BotsApi;
use crate::market::{MarketConfig, MarketHub};
use crate::services::orders::OrdersApi;
use crate::services::portfolio::PortfolioApi;
use crate::services::risk::RiskApi;
use crate::services::trading::TradingApi;
use crate::state::AppState;

/// How long in-flight requests get to finish after a shutdown signal.
const GRACE_PERIOD: Duration = Duration::from_secs(10);

/// A server ready to run: storage open and migrated, secrets and certificates loaded.
pub struct Server {
    state: Arc<AppState>,
    tls: Option<Arc<rustls::ServerConfig>>,
}

impl Server {
    pub async fn build(config: Config) -> anyhow::Result<Server> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = match &config.database_url {
            Some(url) => url.clone(),
            None => Store::sqlite_url(&config.data_dir),
        };
        let store = Store::connect(&url).await.context("opening the database")?;
        tracing::info!(backend = ?store.backend(), "database ready");
        let secret = secret::load_or_create(config.jwt_secret.as_deref(), &config.data_dir)?;
        let keys = Arc::new(TokenKeys::new(&secret)?);
        let tls = crate::tls::server_config(&config.tls, &config.data_dir)?;
        let market_config = MarketConfig { seed: config.market_seed, takers_per_second: config.market_rate, tick_buffer: config.tick_buffer };
        let now = crate::clock::now();
        let defaults: Vec<_> = config.default_symbols.iter().cloned().map(|mut s| {
            s.created_at = now;
            s
        }).collect();
        let market = MarketHub::start(store.clone(), market_config, &defaults).await.context("starting the market")?;
        tracing::info!(seed = config.market_seed, symbols = market.all().len(), "market running");
        let state = Arc::new(AppState {
            config,
            store,
            market,
            keys,
            passwords: PasswordHasherPool::new(4),
            throttle: LoginThrottle::default(),
            register_lock: tokio::sync::Mutex::new(()),
            backtests: std::sync::Mutex::new(std::collections::HashMap::new()),
        });
        Ok(Server { state, tls })
    }

    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Every gRPC service, plus health and reflection, as one HTTP router that also speaks
    /// gRPC-Web and answers CORS preflights.
    pub async fn router(&self) -> anyhow::Result<axum::Router> {
        let auth = RequireAuth::new(self.state.keys.clone());
        let (health, health_service) = tonic_health::server::health_reporter();
        health.set_serving::<AuthServiceServer<AuthApi>>().await;
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(aetherion_api::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(aetherion_api::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()?;

        let routes = Routes::new(AuthServiceServer::new(AuthApi::new(self.state.clone())))
            .add_service(TradingServiceServer::with_interceptor(TradingApi::new(self.state.clone()), auth.clone()))
            .add_service(OrderServiceServer::with_interceptor(OrdersApi::new(self.state.clone()), auth.clone()))
            .add_service(PortfolioServiceServer::with_interceptor(PortfolioApi::new(self.state.clone()), auth.clone()))
            .add_service(BotServiceServer::with_interceptor(BotsApi::new(self.state.clone()), auth.clone()))
            .add_service(RiskServiceServer::with_interceptor(RiskApi::new(self.state.clone()), auth))
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha);

        Ok(routes
            .prepare()
            .into_axum_router()
            .layer(GrpcWebLayer::new())
            .layer(cors())
            .layer(trace_layer()))
    }

    /// Serves on `listener` until `shutdown` resolves, then lets in-flight requests finish
    /// (up to ten seconds) and closes the database.
    pub async fn serve(
        self,
        listener: std::net::TcpListener,
        rest: Option<std::net::TcpListener>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        listener.set_nonblocking(true)?;
        let addr: SocketAddr = listener.local_addr()?;
        let app = self.router().await?.into_make_service();
        let handle = Handle::new();
        let rest_handle = Handle::new();
        let (stopper, rest_stopper) = (handle.clone(), rest_handle.clone());
        let state = self.state.clone();
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down: stopping the market, finishing in-flight requests");
            // Engines stop first, which ends the market-data streams.
            state.market.shutdown().await;
            stopper.graceful_shutdown(Some(GRACE_PERIOD));
            rest_stopper.graceful_shutdown(Some(GRACE_PERIOD));
        });
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        tracing::info!(%addr, "serving gRPC and gRPC-Web on {scheme}://{addr}");
        let rest_server = match rest {
            Some(listener) => {
                listener.set_nonblocking(true)?;
                let rest_addr = listener.local_addr()?;
                tracing::info!(%rest_addr, "serving the REST API on {scheme}://{rest_addr} (docs at /docs and /redoc)");
                let app = crate::rest::router(self.state.clone()).layer(rest_cors()).into_make_service();
                let tls = self.tls.clone();
                Some(tokio::spawn(async move {
                    match tls {
                        Some(tls) => axum_server::from_tcp_rustls(listener, RustlsConfig::from_config(tls))?.handle(rest_handle).serve(app).await,
                        None => axum_server::from_tcp(listener)?.handle(rest_handle).serve(app).await,
                    }
                }))
            }
            None => None,
        };
        match &self.tls {
            Some(tls) => {
                axum_server::from_tcp_rustls(listener, RustlsConfig::from_config(tls.clone()))?
                    .handle(handle)
                    .serve(app)
                    .await?
            }
            None => axum_server::from_tcp(listener)?.handle(handle).serve(app).await?,
        }
        if let Some(rest) = rest_server {
            rest.await??;
        }
        self.state.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The REST API also answers browsers from any origin (tokens are headers, not cookies).
fn rest_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([HeaderName::from_static("content-type"), HeaderName::from_static("authorization")])
        .max_age(Duration::from_secs(24 * 60 * 60))
}

/// A span per request; failures the client caused are not server errors, so they are logged at
/// debug level (internal errors are logged where they happen).
fn trace_layer() -> tower_http::trace::TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::GrpcErrorsAsFailures>,
> {
    use tower_http::trace::{DefaultOnFailure, TraceLayer};
    TraceLayer::new_for_grpc().on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG))
}

/// Browsers call from other origins (a dashboard, a notebook). Tokens travel in the
/// `authorization` header, never in cookies, so any origin may call.
fn cors() -> CorsLayer {
    let allow = ["content-type", "authorization", "x-grpc-web", "x-user-agent", "grpc-timeout"];
    let expose = ["grpc-status", "grpc-message", "grpc-status-details-bin"];
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers(allow.map(HeaderName::from_static))
        .expose_headers(expose.map(HeaderName::from_static))
        .max_age(Duration::from_secs(24 * 60 * 60))
}

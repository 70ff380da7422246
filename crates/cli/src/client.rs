//! `aetherion client`: a small gRPC client for the quick start and for scripts. Prints JSON.

use std::path::PathBuf;

use aetherion_api::v1 as pb;
use aetherion_api::v1::auth_service_client::AuthServiceClient;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

#[derive(Args, Debug)]
pub struct ClientArgs {
    /// Server URL: http://HOST:PORT, or https://HOST:PORT for a TLS server.
    #[arg(long, env = "AETHERION_SERVER", default_value = "http://127.0.0.1:50051")]
    server: String,
    /// PEM certificate to trust for https (for `serve --tls-self-signed`:
    /// DATA_DIR/tls/self-signed-cert.pem). Without it the system's roots are used.
    #[arg(long, env = "AETHERION_CA_CERT")]
    ca_cert: Option<PathBuf>,
    /// Access token for calls that need one (from register or login).
    #[arg(long, env = "AETHERION_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: ClientCommand,
}

#[derive(Subcommand, Debug)]
enum ClientCommand {
    /// Create an account; prints the tokens and the user.
    Register {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Print only the access token (for `export AETHERION_TOKEN=$(...)`).
        #[arg(long)]
        token_only: bool,
    },
    /// Sign in; prints the tokens and the user.
    Login {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        /// Print only the access token.
        #[arg(long)]
        token_only: bool,
    },
    /// Show the user the access token belongs to (GetUser).
    User,
    /// Exchange a refresh token for a new pair.
    Refresh {
        #[arg(long)]
        refresh_token: String,
    },
    /// Revoke a refresh token's session.
    Logout {
        #[arg(long)]
        refresh_token: String,
    },
}

pub async fn run(args: ClientArgs) -> anyhow::Result<()> {
    let channel = connect(&args.server, args.ca_cert.as_deref()).await?;
    let mut auth = AuthServiceClient::new(channel);
    let output = match args.command {
        ClientCommand::Register { email, password, name, token_only } => {
            let req = pb::RegisterRequest { email, password, display_name: name };
            let resp = auth.register(req).await.map_err(status_error)?.into_inner();
            auth_output(&resp, token_only)
        }
        ClientCommand::Login { email, password, token_only } => {
            let resp = auth.login(pb::LoginRequest { email, password }).await.map_err(status_error)?;
            auth_output(&resp.into_inner(), token_only)
        }
        ClientCommand::User => {
            let token = args.token.context("GetUser needs --token or AETHERION_TOKEN")?;
            let mut req = tonic::Request::new(pb::GetUserRequest {});
            req.metadata_mut().insert("authorization", format!("Bearer {token}").parse()?);
            let user = auth.get_user(req).await.map_err(status_error)?.into_inner();
            user_json(&user).to_string()
        }
        ClientCommand::Refresh { refresh_token } => {
            let resp = auth.refresh_token(pb::RefreshTokenRequest { refresh_token }).await.map_err(status_error)?;
            auth_output(&resp.into_inner(), false)
        }
        ClientCommand::Logout { refresh_token } => {
            auth.logout(pb::LogoutRequest { refresh_token }).await.map_err(status_error)?;
            json!({"logged_out": true}).to_string()
        }
    };
    println!("{output}");
    Ok(())
}

async fn connect(server: &str, ca_cert: Option<&std::path::Path>) -> anyhow::Result<Channel> {
    let mut endpoint = Endpoint::from_shared(server.to_owned()).with_context(|| format!("bad server URL {server:?}"))?;
    if server.starts_with("https://") {
        let mut tls = ClientTlsConfig::new();
        tls = match ca_cert {
            Some(path) => {
                let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                tls.ca_certificate(Certificate::from_pem(pem))
            }
            None => tls.with_native_roots(),
        };
        endpoint = endpoint.tls_config(tls)?;
    } else if ca_cert.is_some() {
        bail!("--ca-cert is for https:// servers");
    }
    endpoint.connect().await.with_context(|| format!("connecting to {server}"))
}

fn status_error(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", status.code(), status.message())
}

fn auth_output(resp: &pb::AuthResponse, token_only: bool) -> String {
    if token_only {
        return resp.access_token.clone();
    }
    let mut out = json!({
        "access_token": resp.access_token,
        "refresh_token": resp.refresh_token,
        "access_token_expires_at": resp.access_token_expires_at.as_ref().map(ToString::to_string),
    });
    if let Some(user) = &resp.user {
        out["user"] = user_json(user);
    }
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

fn user_json(user: &pb::User) -> Value {
    json!({
        "user_id": user.user_id,
        "email": user.email,
        "display_name": user.display_name,
        "role": pb::Role::try_from(user.role).map(|r| r.as_str_name()).unwrap_or("ROLE_UNSPECIFIED"),
        "created_at": user.created_at.as_ref().map(ToString::to_string),
    })
}

//! Services whose RPCs are part of the contract but not served yet: every call passes
//! authentication, then answers `UNIMPLEMENTED` naming what is missing. Each service moves to
//! its own module when it is implemented.

use aetherion_api::v1 as pb;
use tonic::{Request, Response, Status};

fn pending(rpc: &str) -> Status {
    Status::unimplemented(format!("{rpc} is part of the API contract but not served by this version yet"))
}

/// Answers every RPC of the services below with `UNIMPLEMENTED`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pending;

#[tonic::async_trait]
impl pb::risk_service_server::RiskService for Pending {
    async fn calculate_va_r(&self, _: Request<pb::CalculateVaRRequest>) -> Result<Response<pb::CalculateVaRResponse>, Status> {
        Err(pending("RiskService.CalculateVaR"))
    }
}

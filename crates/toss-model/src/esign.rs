//! The general e-signature (일반 전자서명) calls: ask a user to sign, follow the request,
//! fetch the signed result. One [`Endpoint`] type per call; the DTOs are the crate's
//! [`SignRequest`], [`StatusRequest`], [`ResultRequest`] and their responses.

use crate::endpoint::{Endpoint, Host, Operation, Spec};
use crate::{
    ResultRequest, ResultResponse, SignRequest, SignResponse, StatusRequest, StatusResponse,
};

/// `POST /api/v2/sign/doc/request`: asks the user to sign. Pushes a notification to the
/// user, so it is not idempotent.
#[allow(clippy::exhaustive_structs)] // a marker: there is nothing to add
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestSign;

impl Endpoint for RequestSign {
    type Request = SignRequest;
    type Response = SignResponse;
    const OPERATION: Operation = Operation {
        spec: &Spec::post_json(
            Host::Api,
            "/api/v2/sign/doc/request",
            "sign request",
            "toss_cert.request_signature",
        ),
    };
}

/// `POST /api/v2/sign/doc/status`: where a request stands, for progress only.
#[allow(clippy::exhaustive_structs)] // a marker: there is nothing to add
#[derive(Debug, Clone, Copy, Default)]
pub struct GetStatus;

impl Endpoint for GetStatus {
    type Request = StatusRequest;
    type Response = StatusResponse;
    const OPERATION: Operation = Operation {
        spec: &Spec::post_json(
            Host::Api,
            "/api/v2/sign/doc/status",
            "status request",
            "toss_cert.status",
        )
        .idempotent(),
    };
}

/// `POST /api/v2/sign/doc/result`: the signed result, at most twice per transaction, so
/// it is not idempotent.
#[allow(clippy::exhaustive_structs)] // a marker: there is nothing to add
#[derive(Debug, Clone, Copy, Default)]
pub struct GetResult;

impl Endpoint for GetResult {
    type Request = ResultRequest;
    type Response = ResultResponse;
    const OPERATION: Operation = Operation {
        spec: &Spec::post_json(
            Host::Api,
            "/api/v2/sign/doc/result",
            "result request",
            "toss_cert.result",
        ),
    };
}

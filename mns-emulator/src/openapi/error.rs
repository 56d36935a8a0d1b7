//! Errors of the control-plane OpenAPI and its JSON envelopes (reference mns-openapi-fifo-dlq
//! §2.6): `{"RequestId","HostId","Code","Message","Recommend"}` with the gateway's status.

use serde_json::{Value, json};

use crate::error::MnsError;

/// `HostId` of control-plane answers.
pub const OPENAPI_HOST_ID: &str = "mns-open.aliyuncs.com";

/// One control-plane error: HTTP status, code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenApiError {
    /// HTTP status.
    pub status: u16,
    /// The error code, e.g. `MissingQueueName`.
    pub code: String,
    /// The message.
    pub message: String,
}

impl std::fmt::Display for OpenApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl OpenApiError {
    /// An error with this status, code and message.
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        OpenApiError {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// 400 `Missing{Param}`: a required parameter is absent or empty.
    pub fn missing(param: &str) -> Self {
        Self::new(
            400,
            format!("Missing{param}"),
            format!("{param} is mandatory for this action."),
        )
    }

    /// 400 `Invalid{Param}`: a parameter's value cannot be read.
    pub fn invalid(param: &str, why: impl std::fmt::Display) -> Self {
        Self::new(
            400,
            format!("Invalid{param}"),
            format!("The specified parameter {param} is not valid: {why}"),
        )
    }

    /// The body of this error.
    pub fn document(&self, request_id: &str) -> Value {
        json!({
            "RequestId": request_id,
            "HostId": OPENAPI_HOST_ID,
            "Code": self.code,
            "Message": self.message,
            "Recommend": "",
        })
    }
}

impl From<MnsError> for OpenApiError {
    /// Engine errors keep their code and status (`QueueNotExist` 404, `QueueAlreadyExist` 409,
    /// ...), except the data plane's generic `InvalidArgument`, which the gateway spells
    /// `InvalidParameter` (reference §2.6, \[unconfirmed\]).
    fn from(e: MnsError) -> Self {
        let code = match e.code().as_str() {
            "InvalidArgument" => "InvalidParameter".to_owned(),
            other => other.to_owned(),
        };
        OpenApiError::new(e.status(), code, e.message())
    }
}

/// The success envelope around `data` (`Data` left out when `None`).
pub(super) fn success_document(request_id: &str, data: Option<Value>) -> Value {
    let mut doc = json!({
        "RequestId": request_id,
        "Code": 200,
        "Status": "Success",
        "Message": "operation success",
        "Success": true,
    });
    if let (Some(data), Value::Object(map)) = (data, &mut doc) {
        map.insert("Data".to_owned(), data);
    }
    doc
}

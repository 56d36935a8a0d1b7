//! The emulator's error type: an MNS error code plus the service's message text.
//!
//! [`MnsError`] is what every engine operation returns on failure. The HTTP layer renders it as
//! the service's `<Error>` document (adding `RequestId` and `HostId`) with the status from
//! [`MnsError::status`]. The code → HTTP status mapping lives in exactly one place:
//! [`ErrorCode::status`].
//!
//! The convenience constructors carry the message texts as the service publishes them
//! (including their grammar), so every caller produces the same wording.

use std::fmt;

/// An error answered by the emulator, in the service's terms: a [`ErrorCode`] and a message.
///
/// `Display` shows `Code: message`; receipt handles and secrets are never put into messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MnsError {
    code: ErrorCode,
    message: String,
    status_override: Option<u16>,
}

impl MnsError {
    /// Builds an error with the status from the code table ([`ErrorCode::status`]).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        MnsError {
            code,
            message: message.into(),
            status_override: None,
        }
    }

    /// Builds an error with an explicit HTTP status, overriding the code table.
    ///
    /// Meant for fault injection (e.g. a 503 with an unknown code); normal paths use [`MnsError::new`].
    pub fn with_status(code: ErrorCode, message: impl Into<String>, status: u16) -> Self {
        MnsError {
            code,
            message: message.into(),
            status_override: Some(status),
        }
    }

    /// The error code.
    pub fn code(&self) -> &ErrorCode {
        &self.code
    }

    /// The message text, as the service words it.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        self.status_override.unwrap_or_else(|| self.code.status())
    }

    /// 400 `InvalidArgument` with the given message.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidArgument, message)
    }

    /// 400 `InvalidArgument`: "The value of {element} should between {low} and {high} {unit}."
    ///
    /// `unit` is `"seconds"`, `"bytes"` or empty (then the sentence has no unit and no period,
    /// as in the service's verbatim "The value of Priority should between 1 and 16").
    pub fn out_of_range(
        element: &str,
        low: impl fmt::Display,
        high: impl fmt::Display,
        unit: &str,
    ) -> Self {
        let message = if unit.is_empty() {
            format!("The value of {element} should between {low} and {high}")
        } else {
            format!("The value of {element} should between {low} and {high} {unit}.")
        };
        Self::invalid_argument(message)
    }

    /// 400 `InvalidArgument`: "The XML you provided did not validate against our published schema, cause by {element}."
    pub fn schema_violation(element: &str) -> Self {
        Self::invalid_argument(format!(
            "The XML you provided did not validate against our published schema, cause by {element}."
        ))
    }

    /// 404 `QueueNotExist`.
    pub fn queue_not_exist() -> Self {
        Self::new(
            ErrorCode::QueueNotExist,
            "The queue name you provided is not exist.",
        )
    }

    /// 409 `QueueAlreadyExist`.
    pub fn queue_already_exist() -> Self {
        Self::new(
            ErrorCode::QueueAlreadyExist,
            "The queue you want to create is already exist.",
        )
    }

    /// 400 `QueueDeletedRecently`.
    pub fn queue_deleted_recently() -> Self {
        Self::new(
            ErrorCode::QueueDeletedRecently,
            "The queue you want to create is deleted recently.",
        )
    }

    /// 400 `InvalidQueueName`.
    pub fn invalid_queue_name() -> Self {
        Self::new(
            ErrorCode::InvalidQueueName,
            "The queue name you provided is invalid. QueueName should start with alpha and contain only alpha, digit or - .",
        )
    }

    /// 400 `QueueNameLengthError` naming the maximum length.
    pub fn queue_name_length_error(max_len: usize) -> Self {
        Self::new(
            ErrorCode::QueueNameLengthError,
            format!("Queue name length should between 1 and {max_len}."),
        )
    }

    /// 404 `MessageNotExist` ("Message not exist."): empty receive/peek, unknown or deleted message.
    pub fn message_not_exist() -> Self {
        Self::new(ErrorCode::MessageNotExist, "Message not exist.")
    }

    /// 404 `MessageNotExist` for a well-formed receipt handle that is no longer current.
    pub fn receipt_handle_expired() -> Self {
        Self::new(
            ErrorCode::MessageNotExist,
            "The receipt handle you provided has expired.",
        )
    }

    /// 400 `ReceiptHandleError`: malformed or never-issued receipt handle.
    pub fn receipt_handle_error() -> Self {
        Self::new(
            ErrorCode::ReceiptHandleError,
            "The receipt handle you provide is not valid.",
        )
    }

    /// 400 `MissingReceiptHandle`.
    pub fn missing_receipt_handle() -> Self {
        Self::new(
            ErrorCode::MissingReceiptHandle,
            "ReceiptHandle is required.",
        )
    }

    /// 400 `MissingVisibilityTimeout`.
    pub fn missing_visibility_timeout() -> Self {
        Self::new(
            ErrorCode::MissingVisibilityTimeout,
            "VisibilityTimeout is required.",
        )
    }

    /// 400 `MalformedXML`.
    pub fn malformed_xml() -> Self {
        Self::new(
            ErrorCode::MalformedXML,
            "The XML you provided was not well-formed.",
        )
    }

    /// 400 `InvalidRequestURL`.
    pub fn invalid_request_url() -> Self {
        Self::new(
            ErrorCode::InvalidRequestURL,
            "Http request URL format invalid.",
        )
    }

    /// 400 `InvalidQueryString` naming the offending item.
    pub fn invalid_query_string(item: &str) -> Self {
        Self::new(
            ErrorCode::InvalidQueryString,
            format!("Http request URL contains invalid querystring item \"{item}\"."),
        )
    }

    /// 403 `AccessDenied`.
    pub fn access_denied() -> Self {
        Self::new(
            ErrorCode::AccessDenied,
            "The OwnerId that your Access Key Id associated to is forbidden for this operation.",
        )
    }

    /// 403 `InvalidAccessKeyId`.
    pub fn invalid_access_key_id() -> Self {
        Self::new(
            ErrorCode::InvalidAccessKeyId,
            "The AccessKey Id you provided is not exist.",
        )
    }

    /// 403 `SignatureDoesNotMatch`.
    pub fn signature_does_not_match() -> Self {
        Self::new(
            ErrorCode::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        )
    }

    /// 408 `TimeExpired`.
    pub fn time_expired() -> Self {
        Self::new(
            ErrorCode::TimeExpired,
            "The http request you sent is expired.",
        )
    }

    /// 400 `InvalidAuthorizationHeader`.
    pub fn invalid_authorization_header() -> Self {
        Self::new(
            ErrorCode::InvalidAuthorizationHeader,
            "The Authorization header format is invalid.",
        )
    }

    /// 400 `MissingAuthorizationHeader`.
    pub fn missing_authorization_header() -> Self {
        Self::new(
            ErrorCode::MissingAuthorizationHeader,
            "Authorization header is required.",
        )
    }

    /// 400 `InvalidDateHeader`.
    pub fn invalid_date_header() -> Self {
        Self::new(
            ErrorCode::InvalidDateHeader,
            "The Date header format is invalid.",
        )
    }

    /// 400 `MissingDateHeader`.
    pub fn missing_date_header() -> Self {
        Self::new(ErrorCode::MissingDateHeader, "Date header is required.")
    }

    /// 400 `MissingVersionHeader` (text not published; ours).
    pub fn missing_version_header() -> Self {
        Self::new(
            ErrorCode::MissingVersionHeader,
            "x-mns-version header is required.",
        )
    }

    /// 400 `InvalidVersionHeader` (text not published; ours).
    pub fn invalid_version_header() -> Self {
        Self::new(
            ErrorCode::InvalidVersionHeader,
            "The x-mns-version header you provided is invalid.",
        )
    }

    /// 400 `InvalidDegist` (the service's spelling): bad `Content-MD5`.
    pub fn invalid_digest() -> Self {
        Self::new(
            ErrorCode::InvalidDegist,
            "The Content-MD5 you specified is invalid.",
        )
    }

    /// 500 `InternalError` ("Interal error.", the service's spelling). Never echoes the cause.
    pub fn internal_error() -> Self {
        Self::new(ErrorCode::InternalError, "Interal error.")
    }

    /// 429 `TooManyRequests` (throttling).
    pub fn too_many_requests() -> Self {
        Self::new(
            ErrorCode::TooManyRequests,
            "The request is throttled, please try again later.",
        )
    }

    /// 404 `TopicNotExist` (text as in the PublishMessage docs).
    pub fn topic_not_exist() -> Self {
        Self::new(
            ErrorCode::TopicNotExist,
            "The topic you provided does not exist.",
        )
    }

    /// 409 `TopicAlreadyExist`.
    pub fn topic_already_exist() -> Self {
        Self::new(
            ErrorCode::TopicAlreadyExist,
            "The topic you want to create is already exist.",
        )
    }

    /// 404 `SubscriptionNotExist` (text verbatim from the docs, including "exits").
    pub fn subscription_not_exist() -> Self {
        Self::new(
            ErrorCode::SubscriptionNotExist,
            "The subscription you provided does not exits.",
        )
    }

    /// 409 `SubscriptionAlreadyExist`.
    pub fn subscription_already_exist() -> Self {
        Self::new(
            ErrorCode::SubscriptionAlreadyExist,
            "The subscription you want to create is already exist.",
        )
    }
}

impl fmt::Display for MnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for MnsError {}

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident => $status:expr ),* $(,)?) => {
        /// An MNS error code as the service spells it in `<Code>` / `<ErrorCode>`.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $name, )*
            /// Any other code, kept verbatim (HTTP status 400 unless overridden, see [`MnsError::with_status`]).
            Other(String),
        }

        impl ErrorCode {
            /// The code as the service spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( ErrorCode::$name => stringify!($name), )*
                    ErrorCode::Other(s) => s,
                }
            }

            /// The HTTP status the service answers this code with. This is the only code → status table.
            pub fn status(&self) -> u16 {
                match self {
                    $( ErrorCode::$name => $status, )*
                    ErrorCode::Other(_) => 400,
                }
            }

            /// Parses a code; unknown codes become [`ErrorCode::Other`].
            pub fn parse(s: &str) -> ErrorCode {
                match s {
                    $( stringify!($name) => ErrorCode::$name, )*
                    "InvalidDigest" => ErrorCode::InvalidDegist,
                    other => ErrorCode::Other(other.to_owned()),
                }
            }
        }
    };
}

error_codes! {
    /// 403: RAM denies the action.
    AccessDenied => 403,
    /// 403: unknown or disabled AccessKeyId.
    InvalidAccessKeyId => 403,
    /// 403: the signature does not match.
    SignatureDoesNotMatch => 403,
    /// 408: the request's date is too far from the server clock.
    TimeExpired => 408,
    /// 400: malformed `Authorization` header.
    InvalidAuthorizationHeader => 400,
    /// 400: no `Authorization` header.
    MissingAuthorizationHeader => 400,
    /// 400: malformed `Date` header.
    InvalidDateHeader => 400,
    /// 400: no `Date` header.
    MissingDateHeader => 400,
    /// 400: no `x-mns-version` header.
    MissingVersionHeader => 400,
    /// 400: unsupported `x-mns-version`.
    InvalidVersionHeader => 400,
    /// 400: unsupported `Content-Type`.
    InvalidContentType => 400,
    /// 400: invalid `Content-MD5` (the service's own spelling).
    InvalidDegist => 400,
    /// 400: unknown request path.
    InvalidRequestURL => 400,
    /// 400: bad query string.
    InvalidQueryString => 400,
    /// 400: the body is not well-formed XML.
    MalformedXML => 400,
    /// 400: a value is out of range or the XML does not match the schema.
    InvalidArgument => 400,
    /// 400: `ReceiptHandle` is required.
    MissingReceiptHandle => 400,
    /// 400: `VisibilityTimeout` is required.
    MissingVisibilityTimeout => 400,
    /// 400: malformed or never-issued receipt handle.
    ReceiptHandleError => 400,
    /// 404: no message (empty receive/peek, expired receipt handle, deleted message).
    MessageNotExist => 404,
    /// 404: the queue does not exist.
    QueueNotExist => 404,
    /// 409: a queue with this name exists with different attributes.
    QueueAlreadyExist => 409,
    /// 400: the queue was deleted recently.
    QueueDeletedRecently => 400,
    /// 400: invalid queue name.
    InvalidQueueName => 400,
    /// 400: queue name too long or empty.
    QueueNameLengthError => 400,
    /// 400: throttled (older code).
    QpsLimitExceeded => 400,
    /// 429: throttled (current code).
    TooManyRequests => 429,
    /// 500: internal error.
    InternalError => 500,
    /// 500: internal error (newer spelling).
    InternalServerError => 500,
    /// 404: the topic does not exist.
    TopicNotExist => 404,
    /// 409: a topic with this name exists with different attributes.
    TopicAlreadyExist => 409,
    /// 404: the subscription does not exist.
    SubscriptionNotExist => 404,
    /// 409: a subscription with this name exists with different attributes.
    SubscriptionAlreadyExist => 409,
    /// 400: invalid topic name.
    TopicNameInvalid => 400,
    /// 400: topic name too long or empty.
    TopicNameLengthError => 400,
    /// 400: invalid subscription name.
    SubscriptionNameInvalid => 400,
    /// 400: subscription name too long or empty.
    SubscriptionNameLengthError => 400,
    /// 400: invalid subscription endpoint.
    EndpointInvalid => 400,
    /// 404: the subscriber does not exist.
    SubscriberNotExist => 404,
    /// 400: invalid STS security token.
    InvalidSecurityToken => 400,
    /// 400: expired STS security token.
    SecurityTokenExpired => 400,
    /// 400: a message sent or published to a FIFO queue or topic has no `MessageGroupId` (the
    /// code is documented; its HTTP status is unconfirmed, 400 like other request errors).
    FifoMissingMessageGroupId => 400,
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table_matches_reference() {
        assert_eq!(MnsError::queue_not_exist().status(), 404);
        assert_eq!(MnsError::message_not_exist().status(), 404);
        assert_eq!(MnsError::receipt_handle_error().status(), 400);
        assert_eq!(MnsError::queue_already_exist().status(), 409);
        assert_eq!(MnsError::time_expired().status(), 408);
        assert_eq!(MnsError::signature_does_not_match().status(), 403);
        assert_eq!(MnsError::internal_error().status(), 500);
        assert_eq!(MnsError::too_many_requests().status(), 429);
        assert_eq!(
            MnsError::with_status(ErrorCode::Other("X".into()), "m", 503).status(),
            503
        );
    }

    #[test]
    fn codes_round_trip() {
        for c in [
            "QueueNotExist",
            "InvalidDegist",
            "MalformedXML",
            "TooManyRequests",
        ] {
            assert_eq!(ErrorCode::parse(c).as_str(), c);
        }
        assert_eq!(ErrorCode::parse("InvalidDigest"), ErrorCode::InvalidDegist);
        assert_eq!(ErrorCode::parse("Nope"), ErrorCode::Other("Nope".into()));
    }

    #[test]
    fn range_messages_follow_the_service_template() {
        assert_eq!(
            MnsError::out_of_range("Priority", 1, 16, "").message(),
            "The value of Priority should between 1 and 16"
        );
        assert_eq!(
            MnsError::out_of_range("DelaySeconds", 0, 604800, "seconds").message(),
            "The value of DelaySeconds should between 0 and 604800 seconds."
        );
        assert_eq!(
            MnsError::queue_not_exist().to_string(),
            "QueueNotExist: The queue name you provided is not exist."
        );
    }
}

//! The crate's single public error type.
//!
//! [`Error`] separates what happened to a request so callers can decide what to do:
//! a [`ServiceError`] means MNS answered with an `<Error>` document; [`Error::Timeout`] means
//! the request may or may not have reached the service; [`Error::Transport`] means no response
//! arrived; [`Error::Decode`] means a response arrived but could not be understood;
//! [`Error::InvalidInput`] means the request was refused before anything was sent.

use std::fmt;

/// Boxed error used as a `source` so third-party types (the HTTP library) stay out of the public API.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result alias used throughout this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error this crate returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an MNS `<Error>` document.
    #[error(transparent)]
    Service(Box<ServiceError>),

    /// The request did not complete in time. It may or may not have been processed by the service.
    #[error("{operation} timed out after {elapsed:?}")]
    Timeout {
        /// The MNS operation, e.g. `SendMessage`.
        operation: &'static str,
        /// How long the last attempt waited.
        elapsed: std::time::Duration,
    },

    /// No response arrived (connection refused, reset, TLS failure, ...).
    #[error("{operation}: transport error")]
    Transport {
        /// The MNS operation, e.g. `SendMessage`.
        operation: &'static str,
        /// The underlying cause.
        #[source]
        source: BoxError,
    },

    /// A response arrived but could not be decoded.
    #[error("{operation}: could not decode response (HTTP {status}): {message}")]
    Decode {
        /// The MNS operation, e.g. `ReceiveMessage`.
        operation: &'static str,
        /// HTTP status of the response.
        status: u16,
        /// The request id from `x-mns-request-id`, when present.
        request_id: Option<String>,
        /// What was wrong with the body.
        message: String,
    },

    /// A message body's MD5 did not match the `MessageBodyMD5` the service reported.
    #[error(
        "MessageBodyMD5 mismatch for message {message_id}: service said {expected}, body hashes to {actual}"
    )]
    Md5Mismatch {
        /// The message id the mismatch was found on.
        message_id: String,
        /// The MD5 the service reported (upper-case hex).
        expected: String,
        /// The MD5 of the body as received (upper-case hex).
        actual: String,
    },

    /// The response body was longer than the client's cap
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)): the
    /// answer did not come from MNS (a broken proxy, a wrong host). Not retried.
    #[error("{operation}: response body exceeds the {limit}-byte cap (HTTP {status})")]
    ResponseTooLarge {
        /// The MNS operation, e.g. `ReceiveMessage`.
        operation: &'static str,
        /// HTTP status of the response.
        status: u16,
        /// The cap in bytes.
        limit: usize,
    },

    /// A text value holds a character XML 1.0 cannot carry (a control character other than tab,
    /// LF and CR, or U+FFFE/U+FFFF). Sent, it would be refused by MNS or, worse, stored and then
    /// make every answer carrying it unreadable: refused before any request is sent.
    #[error("{field} holds U+{code:04X} at character {index}, which XML 1.0 cannot carry")]
    InvalidXmlChar {
        /// What the text is, e.g. `MessageBody`.
        field: &'static str,
        /// The offending character's code point.
        code: u32,
        /// Its position, in characters from the start.
        index: usize,
    },

    /// The input was rejected before any request was sent (bad name, out-of-range value, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// A message property was refused before any request was sent (reference mns-queues §6).
    /// The value is never shown: it may carry trace or business data.
    #[error("message property {name:?}: {problem}")]
    InvalidProperty {
        /// The property's name (empty when the problem is the whole set, e.g. too many).
        name: String,
        /// What is wrong with it.
        problem: PropertyProblem,
    },

    /// The endpoint could not be used (bad URL, URL with a path or query, ...).
    #[error("invalid endpoint: {0}")]
    InvalidEndpoint(String),

    /// Credentials could not be obtained.
    #[error(transparent)]
    Credentials(#[from] crate::credentials::CredentialsError),
}

impl Error {
    /// The service error code, when the service answered with an `<Error>` document.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Service(e) => Some(&e.code),
            _ => None,
        }
    }

    /// The service's request id (`x-mns-request-id`), when a response arrived.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service(e) => Some(&e.request_id),
            Error::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The service error, when the service answered with an `<Error>` document.
    pub fn as_service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }

    /// Whether retrying the same request may succeed (5xx, throttling, timeouts, transport errors).
    ///
    /// A 5xx or 429 answer whose body could not be decoded (e.g. an HTML page from a proxy) is
    /// retryable too.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Service(e) => e.is_retryable(),
            Error::Timeout { .. } | Error::Transport { .. } => true,
            Error::Decode { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    /// Whether the error says the addressed queue, topic, subscription or message does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.code(),
            Some(
                ErrorCode::QueueNotExist
                    | ErrorCode::MessageNotExist
                    | ErrorCode::TopicNotExist
                    | ErrorCode::SubscriptionNotExist
            )
        )
    }
}

/// Why a message property was refused ([`Error::InvalidProperty`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PropertyProblem {
    /// The name is not allowed: user names are 1–256 characters of `[A-Za-z0-9_.-]`, not
    /// starting or ending with `.`, without `..`; system names must be known.
    #[error("invalid name")]
    InvalidName,
    /// A system property only the service sets (`DLQMessageType`, `DLQSourceArn`,
    /// `DLQOriginMessageId`).
    #[error("set by the service only; clients may set traceparent, tracestate and baggage")]
    ServiceOwned,
    /// The name appears more than once.
    #[error("duplicate name")]
    Duplicate,
    /// More properties than the service accepts on one message.
    #[error("at most {max} properties per message, got {got}")]
    TooMany {
        /// The limit.
        max: usize,
        /// How many were given.
        got: usize,
    },
    /// The value is longer than the service accepts.
    #[error("value longer than {max} characters")]
    ValueTooLong {
        /// The limit, in characters.
        max: usize,
    },
    /// The value's text does not fit its declared type (a `NUMBER` that is not a finite number,
    /// a `BOOLEAN` other than `true`/`false`, a `BINARY` that is not base64).
    #[error("value is not a valid {0}")]
    ValueNotOfType(String),
    /// A type the service does not accept here (user properties: `STRING`, `NUMBER`,
    /// `BOOLEAN`, `BINARY`; system properties: `STRING`).
    #[error("type {0:?} is not accepted")]
    UnknownType(String),
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Error::Service(Box::new(e))
    }
}

/// An `<Error>` document returned by MNS.
///
/// `Display` shows the code, message and request id, never request contents.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceError {
    /// HTTP status of the response.
    pub status: u16,
    /// The MNS error code.
    pub code: ErrorCode,
    /// The service's message text.
    pub message: String,
    /// The request id (`x-mns-request-id` / `<RequestId>`).
    pub request_id: String,
    /// The `<HostId>` element, opaque.
    pub host_id: String,
}

impl ServiceError {
    /// Builds a service error (mostly useful in tests and mocks).
    pub fn new(
        status: u16,
        code: ErrorCode,
        message: impl Into<String>,
        request_id: impl Into<String>,
        host_id: impl Into<String>,
    ) -> Self {
        ServiceError {
            status,
            code,
            message: message.into(),
            request_id: request_id.into(),
            host_id: host_id.into(),
        }
    }

    /// Whether this error is worth retrying: any 5xx, and throttling.
    pub fn is_retryable(&self) -> bool {
        self.status >= 500
            || self.status == 429
            || matches!(
                self.code,
                ErrorCode::InternalError
                    | ErrorCode::InternalServerError
                    | ErrorCode::QpsLimitExceeded
                    | ErrorCode::TooManyRequests
            )
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MNS error {} (HTTP {}): {} [request id {}]",
            self.code, self.status, self.message, self.request_id
        )
    }
}

impl std::error::Error for ServiceError {}

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident ),* $(,)?) => {
        /// An MNS error code, as found in `<Code>` (or `<ErrorCode>` in batch results).
        ///
        /// Known codes are variants; anything else is kept verbatim in [`ErrorCode::Other`].
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $name, )*
            /// A code this version of the crate does not know, kept verbatim.
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

            /// Parses a code as the service spells it; unknown codes become [`ErrorCode::Other`].
            pub fn parse(s: &str) -> ErrorCode {
                match s {
                    $( stringify!($name) => ErrorCode::$name, )*
                    // GO/.NET spell the Content-MD5 error correctly; the service spells it `InvalidDegist`.
                    "InvalidDigest" => ErrorCode::InvalidDegist,
                    other => ErrorCode::Other(other.to_owned()),
                }
            }
        }
    };
}

error_codes! {
    /// 403: RAM denies the action.
    AccessDenied,
    /// 403: unknown or disabled AccessKeyId.
    InvalidAccessKeyId,
    /// 403: the signature does not match.
    SignatureDoesNotMatch,
    /// 408: the request's date is more than 15 minutes from the service's clock.
    TimeExpired,
    /// 400: the `Authorization` header is malformed.
    InvalidAuthorizationHeader,
    /// 400: no `Authorization` header.
    MissingAuthorizationHeader,
    /// 400: the `Date` header is malformed.
    InvalidDateHeader,
    /// 400: no `Date` header.
    MissingDateHeader,
    /// 400: no `x-mns-version` header.
    MissingVersionHeader,
    /// 400: unsupported `x-mns-version`.
    InvalidVersionHeader,
    /// 400: unsupported `Content-Type`.
    InvalidContentType,
    /// 400: the `Content-MD5` is invalid (the service's own spelling; `InvalidDigest` parses to this too).
    InvalidDegist,
    /// 400: unknown request path.
    InvalidRequestURL,
    /// 400: bad query string.
    InvalidQueryString,
    /// 400: the body is not well-formed XML.
    MalformedXML,
    /// 400: a value is out of range or the XML does not match the schema.
    InvalidArgument,
    /// 400: `ReceiptHandle` is required.
    MissingReceiptHandle,
    /// 400: `VisibilityTimeout` is required.
    MissingVisibilityTimeout,
    /// 400: the receipt handle is malformed or was never issued.
    ReceiptHandleError,
    /// 404: no message (empty receive/peek, or an expired receipt handle).
    MessageNotExist,
    /// 404: the queue does not exist.
    QueueNotExist,
    /// 409: a queue with this name exists with different attributes.
    QueueAlreadyExist,
    /// 400: the queue was deleted recently.
    QueueDeletedRecently,
    /// 400: the queue name is invalid.
    InvalidQueueName,
    /// 400: the queue name is too long or empty.
    QueueNameLengthError,
    /// 400: throttled (older code).
    QpsLimitExceeded,
    /// 429: throttled (current code).
    TooManyRequests,
    /// 500: internal error.
    InternalError,
    /// 500: internal error (newer spelling).
    InternalServerError,
    /// 404: the topic does not exist.
    TopicNotExist,
    /// 409: a topic with this name exists with different attributes.
    TopicAlreadyExist,
    /// 404: the subscription does not exist.
    SubscriptionNotExist,
    /// 409: a subscription with this name exists with different attributes.
    SubscriptionAlreadyExist,
    /// 400: the topic name is invalid.
    TopicNameInvalid,
    /// 400: the topic name is too long or empty.
    TopicNameLengthError,
    /// 400: the subscription name is invalid.
    SubscriptionNameInvalid,
    /// 400: the subscription name is too long or empty.
    SubscriptionNameLengthError,
    /// 400: the subscription endpoint is invalid.
    EndpointInvalid,
    /// 404: the subscriber does not exist.
    SubscriberNotExist,
    /// 400/403: the STS security token is invalid.
    InvalidSecurityToken,
    /// 400/403: the STS security token has expired.
    SecurityTokenExpired,
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(ErrorCode::parse(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_kept() {
        for code in [
            "QueueNotExist",
            "MessageNotExist",
            "InvalidDegist",
            "TooManyRequests",
        ] {
            assert_eq!(ErrorCode::parse(code).as_str(), code);
        }
        assert_eq!(ErrorCode::parse("InvalidDigest"), ErrorCode::InvalidDegist);
        assert_eq!(
            ErrorCode::parse("SomethingNew"),
            ErrorCode::Other("SomethingNew".into())
        );
    }

    #[test]
    fn retryable_classification() {
        let e = |status, code| Error::from(ServiceError::new(status, code, "", "", ""));
        assert!(e(500, ErrorCode::InternalError).is_retryable());
        assert!(e(429, ErrorCode::TooManyRequests).is_retryable());
        assert!(e(400, ErrorCode::QpsLimitExceeded).is_retryable());
        assert!(!e(404, ErrorCode::QueueNotExist).is_retryable());
        assert!(!e(403, ErrorCode::SignatureDoesNotMatch).is_retryable());
        assert!(e(404, ErrorCode::QueueNotExist).is_not_found());
    }
}

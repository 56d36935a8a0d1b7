//! Printing results (tables or JSON), progress bars, errors and exit codes.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::SystemTime;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mns_client::{Error, ErrorCode};
use serde_json::{Value, json};

use crate::args::OutputFormat;

/// What kind of failure ended a command; each has its own exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Anything else (1).
    Other,
    /// Invalid input (2).
    InvalidInput,
    /// Not found (3).
    NotFound,
    /// Authentication or authorisation (4).
    Auth,
    /// Throttled (5).
    Throttled,
}

impl Failure {
    fn code(self) -> u8 {
        match self {
            Failure::Other => 1,
            Failure::InvalidInput => 2,
            Failure::NotFound => 3,
            Failure::Auth => 4,
            Failure::Throttled => 5,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Failure::Other => "other",
            Failure::InvalidInput => "invalid_input",
            Failure::NotFound => "not_found",
            Failure::Auth => "auth",
            Failure::Throttled => "throttled",
        }
    }
}

/// A command's failure: the kind, a message, and the service's details when it answered.
#[derive(Debug)]
pub(crate) struct CliError {
    pub(crate) kind: Failure,
    pub(crate) message: String,
    pub(crate) code: Option<String>,
    pub(crate) request_id: Option<String>,
}

impl CliError {
    pub(crate) fn other(message: impl Into<String>) -> Self {
        CliError {
            kind: Failure::Other,
            message: message.into(),
            code: None,
            request_id: None,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        CliError {
            kind: Failure::InvalidInput,
            ..CliError::other(message)
        }
    }
}

/// How a client error maps to a failure kind.
pub(crate) fn classify(e: &Error) -> Failure {
    match e {
        Error::Service(s) => {
            use ErrorCode as C;
            match &s.code {
                C::QueueNotExist
                | C::TopicNotExist
                | C::SubscriptionNotExist
                | C::MessageNotExist => Failure::NotFound,
                C::AccessDenied
                | C::InvalidAccessKeyId
                | C::SignatureDoesNotMatch
                | C::TimeExpired
                | C::InvalidAuthorizationHeader
                | C::MissingAuthorizationHeader => Failure::Auth,
                C::QpsLimitExceeded | C::TooManyRequests => Failure::Throttled,
                C::InvalidArgument
                | C::MalformedXML
                | C::InvalidQueueName
                | C::QueueNameLengthError
                | C::ReceiptHandleError
                | C::QueueAlreadyExist
                | C::TopicAlreadyExist
                | C::InvalidQueryString => Failure::InvalidInput,
                _ => match s.status {
                    401 | 403 => Failure::Auth,
                    404 => Failure::NotFound,
                    429 => Failure::Throttled,
                    _ => Failure::Other,
                },
            }
        }
        Error::InvalidInput(_) | Error::InvalidXmlChar { .. } | Error::InvalidEndpoint(_) => {
            Failure::InvalidInput
        }
        Error::Credentials(_) => Failure::Auth,
        _ => Failure::Other,
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        let (code, request_id, message) = match &e {
            Error::Service(s) => (
                Some(s.code.as_str().to_owned()),
                Some(s.request_id.clone()),
                s.message.clone(),
            ),
            other => (
                None,
                other.request_id().map(str::to_owned),
                error_chain(other),
            ),
        };
        CliError {
            kind: classify(&e),
            message,
            code,
            request_id,
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Where and how results go.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) format: OutputFormat,
    quiet: bool,
}

impl Output {
    pub(crate) fn new(format: OutputFormat, quiet: bool) -> Self {
        Output { format, quiet }
    }

    pub(crate) fn json(&self) -> bool {
        self.format == OutputFormat::Json
    }

    /// Prints one JSON document (pretty) or one JSON line.
    pub(crate) fn json_doc(&self, value: &Value) {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    }

    /// Prints one JSON object on its own line (for lists and message streams).
    pub(crate) fn json_line(&self, value: &Value) {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{value}");
    }

    /// Prints a table of `rows` under `headers`, columns padded to their widest cell.
    pub(crate) fn table(&self, headers: &[&str], rows: &[Vec<String>]) {
        print!("{}", render_table(headers, rows));
    }

    /// Prints `key  value` pairs, keys aligned.
    pub(crate) fn fields(&self, pairs: &[(&str, String)]) {
        let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in pairs {
            println!("{k:<width$}  {v}");
        }
    }

    /// A status line for humans (stderr in table mode; nothing in JSON mode).
    pub(crate) fn note(&self, text: &str) {
        if !self.json() {
            eprintln!("{text}");
        }
    }

    /// A progress bar on stderr, drawn only when stderr is a terminal and not `--quiet`.
    pub(crate) fn progress(&self, total: Option<u64>, what: &str) -> ProgressBar {
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), self.draw_target()),
            None => ProgressBar::with_draw_target(None, self.draw_target()),
        };
        let template = if total.is_some() {
            "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta})"
        } else {
            "{prefix} [{elapsed_precise}] {spinner} {pos} ({per_sec})"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_prefix(what.to_owned());
        bar
    }

    fn draw_target(&self) -> ProgressDrawTarget {
        if self.quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        }
    }

    /// Prints `err` on stderr (and as JSON with `--output json`) and returns its exit code.
    pub(crate) fn report(&self, err: &CliError) -> ExitCode {
        if self.json() {
            let doc = json!({"error": {
                "kind": err.kind.name(),
                "code": err.code,
                "message": err.message,
                "request_id": err.request_id,
            }});
            eprintln!("{doc}");
        } else {
            let mut line = String::from("error: ");
            if let Some(code) = &err.code {
                line.push_str(code);
                line.push_str(": ");
            }
            line.push_str(&err.message);
            if let Some(id) = &err.request_id {
                line.push_str(&format!(" (request id {id})"));
            }
            eprintln!("{line}");
        }
        ExitCode::from(err.kind.code())
    }
}

/// The text of a table: a header row, then the rows, columns separated by two spaces.
pub(crate) fn render_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut text = String::new();
    let mut line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        for (i, cell) in cells.iter().enumerate() {
            text.push_str(cell);
            if i < last {
                let pad = widths[i].saturating_sub(cell.chars().count()) + 2;
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        text.push('\n');
    };
    line(headers.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    text
}

/// RFC 3339 time in UTC, whole seconds.
pub(crate) fn time(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// A body for printing: the text, or `base64:...` when it is not UTF-8.
pub(crate) fn body_text(body: &[u8]) -> String {
    use base64::Engine as _;
    match std::str::from_utf8(body) {
        Ok(s) => s.to_owned(),
        Err(_) => format!(
            "base64:{}",
            base64::engine::general_purpose::STANDARD.encode(body)
        ),
    }
}

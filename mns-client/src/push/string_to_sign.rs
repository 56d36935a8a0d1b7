//! The push signature's string-to-sign (reference §6.4). Pure: no I/O, no clock.

use super::request::PushRequest;

/// Builds the string MNS signs for a push request:
///
/// ```text
/// METHOD \n Content-MD5 \n Content-Type \n Date \n
/// (x-mns-* headers, lower-cased names, sorted, "name:value\n" each)
/// request target (path + "?" + query, as received)
/// ```
///
/// A missing `Content-MD5`, `Content-Type` or `Date` contributes an empty line. Header names
/// are matched case-insensitively (unlike some official samples, reference §6.6).
///
/// ```
/// use mns_client::push::{PushRequest, string_to_sign};
/// let req = PushRequest::new("POST", "/notifications", "")
///     .with_header("Date", "Mon, 01 Jan 2024 12:00:00 GMT")
///     .with_header("X-MNS-Version", "2015-06-06")
///     .with_header("x-mns-request-id", "1");
/// assert_eq!(
///     string_to_sign(&req),
///     "POST\n\n\nMon, 01 Jan 2024 12:00:00 GMT\nx-mns-request-id:1\nx-mns-version:2015-06-06\n/notifications"
/// );
/// ```
pub fn string_to_sign(request: &PushRequest) -> String {
    let mut mns: Vec<(String, &str)> = request
        .headers()
        .filter_map(|(name, value)| {
            let lower = name.to_ascii_lowercase();
            lower.starts_with("x-mns-").then_some((lower, value))
        })
        .collect();
    mns.sort_by(|a, b| a.0.cmp(&b.0));

    let mut out = String::with_capacity(256);
    out.push_str(request.method());
    out.push('\n');
    for name in ["content-md5", "content-type", "date"] {
        out.push_str(request.header(name).unwrap_or(""));
        out.push('\n');
    }
    for (name, value) in mns {
        out.push_str(&name);
        out.push(':');
        out.push_str(value);
        out.push('\n');
    }
    out.push_str(request.target());
    out
}

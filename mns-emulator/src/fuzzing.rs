//! Entry points for the fuzz targets in the repository's `fuzz/` directory. Not a stable API.

/// Runs every queue/account request parser of the emulator (XML bodies, query strings, paths)
/// over `data`. Must never panic, whatever `data` is; errors are the expected outcome.
pub fn parse_request(data: &[u8]) {
    let _ = crate::xml::parse_queue_attributes(data);
    let _ = crate::xml::parse_send_request(data);
    let _ = crate::xml::parse_receipt_handles(data);
    let _ = crate::xml::parse_account_attributes(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let (path, query) = text.split_once('?').unwrap_or((text, ""));
        let _ = crate::http::request::Query::parse(query);
        let _ = crate::http::request::path_segments(path);
    }
}

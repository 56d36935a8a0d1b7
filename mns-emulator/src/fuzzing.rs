//! Entry points for the fuzz targets in the repository's `fuzz/` directory. Not a stable API.

/// Runs every request parser of the emulator over `data`: the queue, account, topic,
/// subscription and publish XML bodies, query strings, paths and routing, subscription
/// endpoints, and the STS form parameters and OIDC token claims. Must never panic, whatever
/// `data` is; errors are the expected outcome.
///
/// # Panics
///
/// When the one-pass SendMessage parser and the element-tree parser it replaced disagree (a
/// different message or a different error) on `data`: the answer must not depend on which runs.
pub fn parse_request(data: &[u8]) {
    let _ = crate::xml::parse_queue_attributes(data);
    assert_eq!(
        crate::xml::parse_send_request(data),
        crate::xml::parse_send_request_tree(data),
        "the SendMessage parsers disagree"
    );
    let _ = crate::xml::parse_receipt_handles(data);
    let _ = crate::xml::parse_account_attributes(data);
    let _ = crate::http::topic_xml::parse_topic_attributes(data);
    let _ = crate::http::topic_xml::parse_subscribe(data);
    let _ = crate::http::topic_xml::parse_subscription_update(data);
    let _ = crate::http::topic_xml::parse_publish(data);
    let mut form = std::collections::BTreeMap::new();
    crate::http::sts::parse_form(data, &mut form);
    if let Ok(text) = std::str::from_utf8(data) {
        let (path, query) = text.split_once('?').unwrap_or((text, ""));
        if let Ok(query) = crate::http::request::Query::parse(query) {
            for method in [
                axum::http::Method::GET,
                axum::http::Method::PUT,
                axum::http::Method::POST,
                axum::http::Method::DELETE,
            ] {
                let _ = crate::http::route::Route::resolve(&method, path, &query);
            }
        }
        let _ = crate::http::request::path_segments(path);
        let _ = crate::engine::Endpoint::parse(text);
        let _ = crate::sts::oidc::parse_claims(text);
    }
}

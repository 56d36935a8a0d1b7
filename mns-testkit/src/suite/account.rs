//! Account attributes (reference §4.14).

use crate::{CaseResult, RawRequest, Target};

fn account_body(bucket: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <Account xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\
         <LoggingBucket>{bucket}</LoggingBucket></Account>"
    )
}

/// SetAccountAttributes answers 204 and GetAccountAttributes then reports the `LoggingBucket`.
/// The previous value is restored afterwards (the account is shared).
pub async fn account_attributes_round_trip(t: &Target) -> CaseResult {
    let before = t.raw(RawRequest::new("GET", "/?accountmeta=true")).await?;
    assert_eq!(before.status, 200, "{}", before.body);
    let previous = before.text("LoggingBucket").unwrap_or_default();
    let bucket = t.unique_name("logs");
    let set = t
        .raw(RawRequest::new("PUT", "/?accountmeta=true").body(account_body(&bucket)))
        .await?;
    assert_eq!(set.status, 204, "{}", set.body);
    let after = t.raw(RawRequest::new("GET", "/?accountmeta=true")).await?;
    let got = after.text("LoggingBucket");
    let restore = t
        .raw(RawRequest::new("PUT", "/?accountmeta=true").body(account_body(&previous)))
        .await?;
    assert_eq!(got.as_deref(), Some(bucket.as_str()));
    assert_eq!(restore.status, 204);
    Ok(())
}

//! Service limits beyond single-value ranges (reference §6 user properties, §9).

use mns_client::QueueOptions;

use crate::{CaseResult, RawRequest, Target};

fn property(name: &str, value: &str) -> String {
    format!(
        "<PropertyValue><Name>{name}</Name><Value>{value}</Value><Type>STRING</Type></PropertyValue>"
    )
}

/// 50 user properties are accepted; 51 answer 400 `InvalidArgument`. \[unconfirmed: code\]
pub async fn user_properties_limit_is_50(t: &Target) -> CaseResult {
    let q = t.create_queue("props50", &QueueOptions::default()).await?;
    let path = format!("/queues/{}/messages", q.name());
    let props = |n: usize| -> String { (0..n).map(|i| property(&format!("p{i}"), "v")).collect() };
    let ok = t
        .raw(RawRequest::new("POST", path.clone()).body(format!(
            "<Message><MessageBody>x</MessageBody><UserProperties>{}</UserProperties></Message>",
            props(50)
        )))
        .await?;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let resp = t
        .raw(RawRequest::new("POST", path).body(format!(
            "<Message><MessageBody>x</MessageBody><UserProperties>{}</UserProperties></Message>",
            props(51)
        )))
        .await?;
    resp.assert_error(400, "InvalidArgument");
    Ok(())
}

/// A user property value over 4096 characters, or a name with characters outside
/// `[A-Za-z0-9_.-]`, answers 400 `InvalidArgument`. \[unconfirmed: code\]
pub async fn user_property_value_and_name_rules(t: &Target) -> CaseResult {
    let q = t.create_queue("propval", &QueueOptions::default()).await?;
    let path = format!("/queues/{}/messages", q.name());
    for p in [
        property("big", &"v".repeat(4097)),
        property("bad name", "v"),
    ] {
        let resp = t
            .raw(RawRequest::new("POST", path.clone()).body(format!(
                "<Message><MessageBody>x</MessageBody><UserProperties>{p}</UserProperties></Message>"
            )))
            .await?;
        resp.assert_error(400, "InvalidArgument");
    }
    assert!(q.peek_message().await?.is_none());
    Ok(())
}

/// A BatchSendMessage whose bodies total more than 64 KB answers 400 `InvalidArgument` and
/// enqueues nothing. \[unconfirmed: code\]
pub async fn batch_send_total_over_64_kib_is_invalid_argument(t: &Target) -> CaseResult {
    let q = t.create_queue("bbig", &QueueOptions::default()).await?;
    let body = "x".repeat(40_000);
    let resp = t
        .raw(
            RawRequest::new("POST", format!("/queues/{}/messages", q.name())).body(format!(
                "<Messages><Message><MessageBody>{body}</MessageBody></Message>\
                 <Message><MessageBody>{body}</MessageBody></Message></Messages>"
            )),
        )
        .await?;
    resp.assert_error(400, "InvalidArgument");
    assert!(q.peek_message().await?.is_none());
    Ok(())
}

/// `x-mns-ret-number` outside 1–1000 answers 400 `InvalidArgument`. \[unconfirmed\]
pub async fn list_page_size_out_of_range_is_invalid_argument(t: &Target) -> CaseResult {
    for n in ["0", "1001"] {
        let resp = t
            .raw(RawRequest::new("GET", "/queues").header("x-mns-ret-number", n))
            .await?;
        resp.assert_error(400, "InvalidArgument");
    }
    Ok(())
}

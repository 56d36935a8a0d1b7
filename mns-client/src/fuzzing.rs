//! Entry point for the fuzz targets in the repository's `fuzz/` directory. Not a stable API.

use crate::queue::BodyCodec;
use crate::queue::wire::{
    ChangeVisibilityXml, DeleteErrorsXml, MessageXml, MessagesXml, QueueXml, QueuesXml,
};
use crate::topic::wire::{PublishXml, SubscriptionXml, SubscriptionsXml, TopicXml, TopicsXml};
use crate::xml::{from_xml, root_name};

/// Runs every response decoder of the client that the public API does not already expose
/// (queue and topic attributes and lists, subscriptions, publish and send receipts, batch
/// errors, change-visibility answers, error documents) over `data`. Must never panic, whatever
/// `data` is; errors are the expected outcome.
pub fn decode_responses(data: &[u8]) {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let _ = root_name(body);
    if let Ok(q) = from_xml::<QueueXml>(body) {
        let _ = (q.url().map(str::len), q.has_meta());
        let _ = q.into_info("fallback");
    }
    if let Ok(list) = from_xml::<QueuesXml>(body) {
        for q in list.queues {
            let _ = q.into_info("fallback");
        }
    }
    if let Ok(m) = MessageXml::decode(body) {
        let _ = m.into_send_result(0, "sent");
    }
    if let Ok(m) = MessageXml::decode(body) {
        let _ = m.into_peeked(BodyCodec::Base64);
    }
    if let Ok(m) = MessageXml::decode(body) {
        let _ = m.into_received(BodyCodec::Raw);
    }
    if let Ok(ms) = MessagesXml::decode(body) {
        for (i, m) in ms.messages.into_iter().enumerate() {
            let _ = m.into_send_result(i, "sent");
        }
    }
    let _ = from_xml::<DeleteErrorsXml>(body);
    if let Ok(c) = from_xml::<ChangeVisibilityXml>(body) {
        let _ = c.into_model();
    }
    if let Ok(t) = from_xml::<TopicXml>(body) {
        let _ = (t.url(), t.has_meta());
        let _ = t.into_attributes("fallback");
    }
    if let Ok(mut list) = from_xml::<TopicsXml>(body) {
        let _ = list.next_marker();
        for t in list.topics {
            let _ = t.into_attributes("fallback");
        }
    }
    if let Ok(s) = from_xml::<SubscriptionXml>(body) {
        let _ = s.into_attributes("fallback", "topic");
    }
    if let Ok(mut list) = from_xml::<SubscriptionsXml>(body) {
        let _ = list.next_marker();
        for s in list.subscriptions {
            let _ = s.into_attributes("fallback", "topic");
        }
    }
    if let Ok(p) = from_xml::<PublishXml>(body) {
        let _ = p.into_receipt("sent");
    }
    let _ = crate::transport::decode_error_document(body);
}

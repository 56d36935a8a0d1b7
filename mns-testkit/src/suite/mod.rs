//! The conformance cases: plain `async fn(&Target) -> CaseResult`, one behaviour each, grouped by
//! area. [`CASES`] lists them all (the same list [`conformance_tests!`](crate::conformance_tests)
//! expands), with the reference section each rests on.
//!
//! Cases never assume an empty account: every queue and topic they use has a unique name from the
//! [`Target`], and the target deletes it afterwards. Time-dependent cases call
//! [`Target::elapse`], which is instant on the emulator's virtual clock and a short real sleep
//! against the live service.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use mns_client::{ErrorCode, Queue, ReceivedMessage, ServiceError};

use crate::{CaseResult, Target};

pub mod account;
pub mod batch;
pub mod control_plane;
pub mod credentials;
pub mod delay_priority;
pub mod errors;
pub mod fanout;
pub mod fifo_dlq;
pub mod limits;
pub mod long_poll;
pub mod messages;
pub mod properties;
pub mod push;
pub mod queue_admin;
pub mod signature_v4;
pub mod subscriptions;
pub mod topic_admin;
pub mod visibility;

/// One conformance case, as listed in `CONFORMANCE.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseInfo {
    /// The function name (also the test name).
    pub name: &'static str,
    /// The module (area) it lives in.
    pub module: &'static str,
    /// The reference section(s) it rests on.
    pub section: &'static str,
    /// What it checks.
    pub checks: &'static str,
}

impl CaseInfo {
    /// Whether the behaviour is marked \[unconfirmed\] in the reference.
    pub fn unconfirmed(&self) -> bool {
        self.checks.contains("[unconfirmed]")
    }
}

/// Implementation detail of [`conformance_tests!`](crate::conformance_tests): calls the named
/// macro with the argument block and the full case list.
#[doc(hidden)]
#[macro_export]
macro_rules! __with_cases {
    ($callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! { { $($args)* }
            // Queue administration (§4.1–§4.5, §5)
            queue_admin::create_queue_new_name_is_201_with_location => "Q§4.1, §11", "CreateQueue on a free name answers 201 with Location `scheme://host/queues/{name}`";
            queue_admin::create_queue_same_attributes_is_204 => "Q§4.1", "CreateQueue of an existing queue with the same attributes answers 204, with Location";
            queue_admin::create_queue_different_attributes_is_409 => "Q§4.1, §7.2", "CreateQueue with different attributes answers 409 QueueAlreadyExist with the service's text";
            queue_admin::create_queue_omitted_attribute_compares_as_default => "Q§4.1", "CreateQueue omitting an attribute set differently answers 409 (omitted = default) [unconfirmed]";
            queue_admin::create_queue_defaults => "Q§5", "An empty <Queue/> gets the documented defaults (0, 65536, 345600, 30, 0, False) and zero counters";
            queue_admin::get_queue_attributes_reports_custom_values => "Q§4.3, §5", "GetQueueAttributes reports every attribute given at creation";
            queue_admin::get_queue_attributes_document_has_twelve_elements => "Q§4.3, §11", "GetQueueAttributes has all twelve elements, non-empty; CreateTime in seconds";
            queue_admin::queue_counters_follow_message_states => "Q§8", "ActiveMessages / InactiveMessages / DelayMessages follow message states";
            queue_admin::set_queue_attributes_is_partial => "Q§4.2", "SetQueueAttributes changes only the attributes present";
            queue_admin::set_queue_attributes_updates_last_modify_time => "Q§4.2, §5", "SetQueueAttributes moves LastModifyTime, keeps CreateTime";
            queue_admin::set_queue_attributes_visibility_applies_to_next_receive => "Q§8", "A new VisibilityTimeout applies to the next receive";
            queue_admin::missing_queue_attributes_is_404 => "Q§4.2, §4.3, §7.2", "Get/SetQueueAttributes on a missing queue answer 404 QueueNotExist with the service's text";
            queue_admin::delete_queue_discards_messages => "Q§4.4", "DeleteQueue removes the queue; later operations answer QueueNotExist";
            queue_admin::delete_missing_queue_succeeds => "Q§4.4", "DeleteQueue of a missing queue answers 204 [unconfirmed]";
            queue_admin::list_queue_filters_by_prefix => "Q§4.5", "ListQueue with x-mns-prefix returns exactly the matching queues, sorted, with their URLs";
            queue_admin::list_queue_pages_with_marker => "Q§4.5", "ListQueue pages (x-mns-ret-number, NextMarker) cover every queue once";
            queue_admin::list_queues_stream_follows_markers => "Q§4.5", "The client's list stream follows markers to the end";
            queue_admin::list_queue_with_meta_has_attributes => "Q§4.5", "ListQueue with x-mns-with-meta returns attributes";
            queue_admin::list_queue_empty_result => "Q§4.5", "ListQueue with no match returns no queues and no NextMarker";
            queue_admin::invalid_queue_name_is_rejected => "Q§4.1, §7.2", "A queue name with '_' answers 400 InvalidQueueName";
            queue_admin::too_long_queue_name_is_rejected => "Q§4.1, §9", "A 121-character queue name answers 400 QueueNameLengthError";
            queue_admin::create_queue_out_of_range_attribute_is_invalid_argument => "Q§4.1, §5, §7.2", "Out-of-range queue attributes answer 400 InvalidArgument with the range message; nothing created";
            queue_admin::create_queue_malformed_xml_is_400 => "Q§4.1, §7.2", "A CreateQueue body that is not XML answers 400 MalformedXML";
            // Messages (§4.6, §4.8, §4.11, §6)
            messages::send_then_receive_round_trips => "Q§4.6, §4.8", "A sent message is received with the same body and id; no handle for an undelayed send";
            messages::send_reports_body_md5 => "Q§4.6, §6", "SendMessage reports the upper-case hex MD5 of the body and a 32-hex-character id";
            messages::body_non_ascii_round_trips => "Q§6", "Non-ASCII text round-trips; MD5 is over UTF-8";
            messages::body_xml_special_chars_round_trip => "Q§2.3, §6", "XML-special characters round-trip";
            messages::body_whitespace_is_preserved => "Q§6", "Leading/trailing whitespace and newlines in a body are kept";
            messages::body_base64_is_stored_as_transmitted => "Q§6", "The service stores base64 text as sent (never decodes)";
            messages::body_binary_round_trips_with_base64 => "Q§6", "All 256 byte values round-trip with the base64 codec";
            messages::body_size_limit_is_maximum_message_size => "Q§4.6, §9", "A body of MaximumMessageSize is accepted, one byte more answers 400 InvalidArgument [unconfirmed]";
            messages::body_of_64_kib_round_trips => "Q§9", "A 65536-byte body round-trips";
            messages::empty_body_is_rejected => "Q§4.6", "An empty MessageBody answers 400 InvalidArgument [unconfirmed]";
            messages::receive_sets_dequeue_fields => "Q§4.8, §8", "Receive sets DequeueCount 1, FirstDequeueTime, NextVisibleTime = now + VisibilityTimeout, Priority 8";
            messages::receive_on_empty_queue_is_message_not_exist => "Q§4.8, §7.2", "Receive on an empty queue answers 404 MessageNotExist \"Message not exist.\"";
            messages::user_properties_round_trip => "Q§4.6, §6", "User properties (STRING, NUMBER, BOOLEAN) come back on peek and receive";
            messages::message_ids_are_unique => "Q§6", "Message ids are unique within a queue";
            messages::send_to_missing_queue_is_queue_not_exist => "Q§4.6, §4.8, §4.10", "Send, receive and peek on a missing queue answer 404 QueueNotExist";
            messages::delete_message_removes_it => "Q§4.11", "DeleteMessage with the current handle removes the message for good";
            messages::delete_message_twice_is_message_not_exist => "Q§4.11", "Deleting a deleted message answers 404 MessageNotExist [unconfirmed]";
            messages::send_malformed_xml_is_400 => "Q§4.6, §7.2", "A send body that is not well-formed XML answers 400 MalformedXML; nothing enqueued";
            messages::request_xml_namespace_is_optional => "Q§2.3", "Request XML without declaration and with no or slash-less namespace is accepted";
            // Visibility and receipt handles (§4.11, §4.13, §8)
            visibility::received_message_reappears_after_visibility_timeout => "Q§8", "A received message reappears after its visibility timeout with DequeueCount 2 and a new handle";
            visibility::stale_handle_after_rereceive_cannot_delete => "Q§8, §4.11", "After a re-receive the old handle answers 404 MessageNotExist; the newest deletes";
            visibility::delete_after_visibility_expired_is_message_not_exist => "Q§4.11", "Deleting after the visibility timeout answers 404 MessageNotExist; the message stays";
            visibility::garbage_handle_is_receipt_handle_error => "Q§4.11, §4.13", "A never-issued handle answers 400 ReceiptHandleError with the service's text";
            visibility::change_visibility_extends_invisibility => "Q§4.13", "ChangeMessageVisibility sets NextVisibleTime = now + timeout and keeps the message hidden until then";
            visibility::change_visibility_can_shorten => "Q§4.13", "ChangeMessageVisibility can shorten the invisibility";
            visibility::change_visibility_issues_new_handle => "Q§4.13", "ChangeMessageVisibility returns a new handle; the old one stops working";
            visibility::change_visibility_keeps_dequeue_count => "Q§8", "ChangeMessageVisibility does not change DequeueCount";
            visibility::change_visibility_expired_handle_is_message_not_exist => "Q§4.13", "ChangeMessageVisibility with an expired handle answers 404 MessageNotExist";
            visibility::change_visibility_missing_parameters => "Q§4.0, §7.2", "ChangeMessageVisibility without handle / timeout answers 400 MissingReceiptHandle / MissingVisibilityTimeout";
            visibility::change_visibility_out_of_range_is_invalid_argument => "Q§4.13, §9", "ChangeMessageVisibility with 0 or 43201 answers 400 InvalidArgument and changes nothing";
            visibility::change_visibility_accepts_lower_camel_query_names => "Q§2.4", "receiptHandle/visibilityTimeout query names work like ReceiptHandle/VisibilityTimeout";
            visibility::delete_without_handle_is_missing_receipt_handle => "Q§4.11, §7.2", "DeleteMessage with an empty ReceiptHandle answers 400 MissingReceiptHandle [unconfirmed]";
            // Delay, priority, retention (§4.6, §5, §8)
            delay_priority::delayed_message_is_hidden_until_due => "Q§4.6, §8", "A delayed message is hidden from receive and peek until due; the send returns a handle";
            delay_priority::queue_delay_applies_by_default => "Q§5, §8", "The queue's DelaySeconds applies to messages without their own";
            delay_priority::message_delay_overrides_queue_delay => "Q§8", "A message's DelaySeconds (even 0) overrides the queue's";
            delay_priority::queue_delay_change_affects_only_later_sends => "Q§8", "Changing the queue's DelaySeconds affects only later sends [unconfirmed]";
            delay_priority::delayed_send_handle_deletes_delayed_message => "Q§8, §12.9", "The handle from a delayed send deletes the still-delayed message [unconfirmed]";
            delay_priority::delay_out_of_range_is_invalid_argument => "Q§4.6, §9", "DelaySeconds 604801 answers 400 InvalidArgument; nothing enqueued";
            delay_priority::higher_priority_is_received_first => "Q§8, §6", "Priority 1 is received before 8 before 16";
            delay_priority::equal_priority_is_received_in_send_order => "Q§8", "Equal priority comes out in send order (exact on the emulator, best effort live)";
            delay_priority::default_priority_is_8 => "Q§6", "A message sent without Priority has priority 8";
            delay_priority::priority_out_of_range_is_invalid_argument => "Q§4.6, §7.2", "Priority 0 or 17 answers 400 InvalidArgument \"The value of Priority should between 1 and 16\"";
            delay_priority::message_expires_after_retention_period => "Q§8 retention", "Messages older than MessageRetentionPeriod vanish from peek while younger ones stay";
            delay_priority::in_flight_message_expires_too => "Q§8 retention", "Retention removes in-flight messages; delete and change-visibility with their handle answer 404 MessageNotExist";
            delay_priority::delayed_message_expires_from_enqueue_time => "Q§8 retention", "Retention counts from the enqueue time even for a delayed message";
            // Long polling (§4.8, §4.9, §8)
            long_poll::long_poll_on_empty_queue_times_out_empty => "Q§4.8, §8", "A long poll on an empty queue waits its full wait, then answers empty";
            long_poll::long_poll_wakes_on_send => "Q§8", "A parked long poll returns as soon as a message is sent";
            long_poll::long_poll_wakes_when_delay_ends => "Q§8", "A parked long poll returns when a delayed message becomes due";
            long_poll::long_poll_wakes_when_visibility_ends => "Q§8", "A parked long poll returns when an in-flight message's visibility ends";
            long_poll::queue_polling_wait_applies_without_waitseconds => "Q§4.8, §5", "Without waitseconds the queue's PollingWaitSeconds applies";
            long_poll::wait_zero_returns_immediately => "Q§8", "waitseconds=0 answers at once despite the queue's PollingWaitSeconds";
            long_poll::batch_long_poll_returns_on_first_message => "Q§4.9", "A batch long poll returns on the first message, without filling the batch";
            long_poll::concurrent_long_polls_share_messages => "Q§8", "Parked polls each get a different message; none is delivered twice";
            long_poll::wait_seconds_out_of_range_is_invalid_argument => "Q§4.8, §9", "waitseconds=31 answers 400 InvalidArgument [unconfirmed]";
            // Batches and peek (§4.7, §4.9, §4.10, §4.12)
            batch::batch_send_returns_entries_in_order => "Q§4.7", "BatchSendMessage of 16 returns one id + MD5 per entry, in order";
            batch::batch_send_entry_options_apply => "Q§4.7", "Per-entry delay and priority in a batch apply to their own message";
            batch::batch_receive_returns_at_most_n => "Q§4.9", "BatchReceiveMessage returns at most numOfMessages and marks them in flight";
            batch::batch_receive_returns_what_is_available => "Q§4.9", "BatchReceiveMessage returns what is available; empty when nothing is";
            batch::batch_delete_all_valid => "Q§4.12", "BatchDeleteMessage with valid handles deletes them all";
            batch::batch_delete_partial_failure_reports_each_handle => "Q§4.12", "BatchDeleteMessage partial failure: valid ones deleted, each failure reported with its code";
            batch::batch_delete_error_document_shape => "Q§4.12, §11", "The <Errors> document has exactly ErrorCode, ErrorMessage, ReceiptHandle per failed handle";
            batch::batch_send_over_16_entries_is_invalid_argument => "Q§4.7, §9", "17 entries in BatchSendMessage answer 400 InvalidArgument; nothing enqueued [unconfirmed]";
            batch::batch_send_invalid_entry_rejects_whole_batch => "Q§4.7", "A batch with one invalid entry is rejected whole with 400 InvalidArgument [unconfirmed]";
            batch::batch_size_out_of_range_is_invalid_argument => "Q§4.9, §4.10", "numOfMessages 0 or 17 answers 400 InvalidArgument [unconfirmed]";
            batch::batch_delete_over_16_handles_is_invalid_argument => "Q§4.12, §9", "17 handles in BatchDeleteMessage answer 400 InvalidArgument [unconfirmed]";
            batch::peek_changes_nothing => "Q§4.10", "PeekMessage changes nothing: DequeueCount 0, FirstDequeueTime = EnqueueTime";
            batch::peek_document_has_no_handle => "Q§4.10, §11", "The peek document has the seven fields and no ReceiptHandle / NextVisibleTime";
            batch::peek_skips_in_flight_and_delayed => "Q§4.10, §8", "Peek shows only visible messages; empty is MessageNotExist";
            batch::batch_peek_returns_visible_messages => "Q§4.10", "BatchPeekMessage returns up to N visible messages with their DequeueCount";
            // Topic administration and publishing (topics §1–§2.5, §2.11, §3.1)
            topic_admin::create_topic_is_201_then_204 => "T§2.1", "CreateTopic answers 201 with Location, then 204 (with Location) for the same attributes";
            topic_admin::create_topic_different_attributes_is_409 => "T§2.1, §7", "CreateTopic with different attributes answers 409 TopicAlreadyExist";
            topic_admin::topic_defaults => "T§2.3, §3.1", "A new topic has MaximumMessageSize 65536, retention 86400, MessageCount 0, logging off";
            topic_admin::get_topic_attributes_document_has_seven_elements => "T§2.3", "GetTopicAttributes has all seven elements; CreateTime in seconds; LoggingEnabled False";
            topic_admin::set_topic_attributes_is_partial => "T§2.2", "SetTopicAttributes changes only what is given and moves LastModifyTime";
            topic_admin::missing_topic_is_topic_not_exist => "T§2.3, §2.11, §7", "Get/Set/Publish on a missing topic answer 404 TopicNotExist \"The topic you provided does not exist.\"";
            topic_admin::delete_topic_is_204_even_when_missing => "T§2.4", "DeleteTopic answers 204, also when the topic does not exist";
            topic_admin::list_topic_prefix_and_paging => "T§2.5", "ListTopic filters by prefix and pages with NextMarker over every topic once";
            topic_admin::list_topic_with_meta_has_attributes => "T§2.5", "ListTopic with x-mns-with-meta carries attributes";
            topic_admin::invalid_topic_names_are_rejected => "T§1.1, §7", "Topic names with '_' / of 256 characters answer 400 TopicNameInvalid / TopicNameLengthError [unconfirmed]";
            topic_admin::topic_out_of_range_size_is_invalid_argument => "T§2.1", "MaximumMessageSize 1023 or 65537 answers 400 InvalidArgument";
            topic_admin::publish_returns_id_and_md5 => "T§2.11", "PublishMessage answers 201 with a MessageId and the upper-case hex MD5 of the body";
            topic_admin::publish_over_maximum_size_is_invalid_argument => "T§2.11", "A body over the topic's MaximumMessageSize answers 400 InvalidArgument [unconfirmed]";
            topic_admin::publish_malformed_or_empty_is_rejected => "T§2.11, §7", "A publish that is not XML answers 400 MalformedXML; an empty body 400 InvalidArgument [unconfirmed]";
            topic_admin::publish_long_message_tag_is_invalid_argument => "T§2.11", "A MessageTag over 16 characters answers 400 InvalidArgument [unconfirmed]";
            // Subscriptions (topics §2.6–§2.10, §3.2, §3.3)
            subscriptions::subscribe_is_201_204_409 => "T§2.6", "Subscribe answers 201 with Location, 204 for the same, 409 SubscriptionAlreadyExist for different attributes";
            subscriptions::subscription_defaults_and_attributes => "T§2.6, §2.8", "A new subscription has BACKOFF_RETRY, XML, no filter tag, the owner account and the endpoint as given";
            subscriptions::get_subscription_document_shape => "T§2.8", "GetSubscriptionAttributes has every element the Python SDK requires, no FilterTag when unset";
            subscriptions::subscribe_options_are_stored => "T§2.6", "Strategy, format and filter tag given at Subscribe are stored";
            subscriptions::set_subscription_attributes_changes_strategy => "T§2.7", "SetSubscriptionAttributes changes NotifyStrategy and LastModifyTime, not the endpoint";
            subscriptions::set_subscription_filter_tag_applies => "T§2.7", "SetSubscriptionAttributes with FilterTag changes the filter [unconfirmed]";
            subscriptions::missing_subscription_is_subscription_not_exist => "T§2.7, §2.8, §7", "Missing subscription answers 404 SubscriptionNotExist; Subscribe to a missing topic 404 TopicNotExist";
            subscriptions::unsubscribe_is_204_even_when_missing => "T§2.9", "Unsubscribe answers 204, also when the subscription does not exist";
            subscriptions::list_subscriptions_prefix_paging_and_meta => "T§2.10", "ListSubscriptionByTopic filters by prefix, pages, and carries attributes with meta";
            subscriptions::delete_topic_removes_subscriptions => "T§2.4", "Deleting a topic removes its subscriptions";
            subscriptions::subscribe_invalid_endpoint_is_rejected => "T§3.3, §7", "An unknown endpoint form answers 400 EndpointInvalid; another account's queue 400 [unconfirmed]";
            subscriptions::subscribe_invalid_strategy_or_format_is_invalid_argument => "T§2.6", "Unknown NotifyStrategy / NotifyContentFormat answer 400 InvalidArgument";
            subscriptions::invalid_subscription_name_is_rejected => "T§1.1, §7", "A subscription name with '_' answers 400 SubscriptionNameInvalid [unconfirmed]";
            // Fan-out to queues, formats, filter tags (topics §3.5, §5)
            fanout::publish_fans_out_to_every_queue => "T§5.1", "One publish reaches every subscribed queue exactly once";
            fanout::xml_notification_fields => "T§5.2", "XML notification: owner, topic, subscriber, subscription, publish MessageId, Message verbatim, MD5, tag, PublishTime ms";
            fanout::xml_notification_omits_missing_tag => "T§5.2", "An untagged message's XML notification has no MessageTag";
            fanout::json_notification_fields_are_strings => "T§5.2", "JSON notification: the same fields, every value a JSON string";
            fanout::simplified_notification_is_the_body => "T§5.2", "SIMPLIFIED notification is exactly the published body";
            fanout::filter_tag_delivers_only_matching => "T§3.5", "A FilterTag subscription receives only messages with exactly that tag";
            fanout::no_filter_tag_receives_everything => "T§3.5", "Without FilterTag a subscription receives tagged and untagged messages";
            fanout::filter_tag_is_case_sensitive => "T§3.5", "Filter tags compare case-sensitively [unconfirmed]";
            fanout::only_later_messages_reach_a_new_subscription => "T§2.6, §5.1", "Only messages published after Subscribe reach the subscription";
            fanout::unsubscribe_stops_delivery => "T§2.9", "After Unsubscribe later publishes no longer reach the queue";
            fanout::base64_publish_arrives_as_transmitted => "T§2.11, §5.3", "The service never decodes: a base64 publish arrives as base64 text, MD5 over it";
            fanout::delivered_queue_message_is_ordinary => "T§5.3", "The delivered queue message is ordinary: DequeueCount 1, MD5 over the stored text";
            fanout::publish_without_subscriptions_succeeds => "T§2.11", "Publishing to a topic without subscriptions succeeds";
            // HTTP push (topics §3.4, §5.2, §6); emulator only: a live service cannot reach this machine
            push::http_push_is_signed_xml_notification => "T§6.1, §6.2, §6.4, §5.2", "An XML push is a POST to the endpoint path+query with Date, text/xml, base64(hex MD5), x-mns-* headers and a signature mns-client verifies";
            push::http_push_without_path_goes_to_notifications => "T§6.1", "An endpoint without a path is pushed to POST /notifications";
            push::http_push_simplified_has_metadata_headers => "T§5.2, §6.2", "A SIMPLIFIED push is the body alone (text/plain) with x-mns-message-id / x-mns-message-tag, and verifies";
            push::http_push_json_notification => "T§5.2, §6.2", "A JSON push has Content-Type application/json;charset=utf-8 [unconfirmed] and verifies";
            push::http_push_failure_is_retried_with_backoff => "T§3.4, §6.3", "A failed push is retried after 10-20 s (BACKOFF_RETRY) with the same notification";
            push::http_push_gives_up_after_three_retries => "T§3.4", "BACKOFF_RETRY makes 4 attempts in all, then drops the message";
            push::http_push_respects_filter_tag => "T§3.5", "Filter tags apply to HTTP subscriptions";
            // Limits (§6, §9)
            limits::user_properties_limit_is_50 => "Q§6, §9", "50 user properties are accepted, 51 answer 400 InvalidArgument [unconfirmed]";
            limits::user_property_value_and_name_rules => "Q§6", "A property value over 4096 characters or a bad name answers 400 InvalidArgument [unconfirmed]";
            limits::batch_send_total_over_64_kib_is_invalid_argument => "Q§4.7, §9", "BatchSendMessage bodies over 64 KB in total answer 400 InvalidArgument [unconfirmed]";
            limits::list_page_size_out_of_range_is_invalid_argument => "Q§4.5, §9", "x-mns-ret-number 0 or 1001 answers 400 InvalidArgument [unconfirmed]";
            // Temporary credentials (queues §3.5, topics §8.6, §8.9)
            credentials::sts_credentials_sign_requests => "Q§3.5, T§8.6, §8.9", "STS AssumeRole credentials (token in the unsigned security-token header) work like long-lived keys";
            credentials::sts_key_with_wrong_or_missing_token_is_refused => "Q§3.5", "A temporary key with a wrong or missing security-token is refused with a 4xx <Error> [unconfirmed]";
            // Account (§4.14)
            account::account_attributes_round_trip => "Q§4.14", "SetAccountAttributes (204) then GetAccountAttributes returns the LoggingBucket";
            // Authentication, headers, error envelope (§2.2, §3, §7)
            errors::every_response_has_request_id => "Q§2.2, §7.1", "Every response has a 24-hex x-mns-request-id and x-mns-version; errors repeat it";
            errors::wrong_secret_is_signature_does_not_match => "Q§3.4, §7.2", "A wrong secret answers 403 SignatureDoesNotMatch with the service's text";
            errors::signature_covers_the_query_string => "Q§3.1", "A signature over another query string does not match";
            errors::unknown_access_key_is_invalid_access_key_id => "Q§3.4, §7.2", "An unknown AccessKeyId answers 403 InvalidAccessKeyId";
            errors::missing_or_malformed_authorization => "Q§3.4, §7.2", "No / malformed Authorization answers 400 MissingAuthorizationHeader / InvalidAuthorizationHeader";
            errors::missing_or_invalid_date => "Q§3.4, §7.2", "No / unparsable Date answers 400 MissingDateHeader / InvalidDateHeader";
            errors::skewed_date_is_time_expired => "Q§3.6, §7.2", "A Date 16 minutes off either way answers 408 TimeExpired";
            errors::small_clock_skew_is_accepted => "Q§3.6", "A Date 10 minutes off is accepted";
            errors::x_mns_date_replaces_date => "Q§3.2", "x-mns-date may replace Date";
            errors::missing_version_header_is_rejected => "Q§3.4, §7.2", "No x-mns-version answers 400 MissingVersionHeader [unconfirmed]";
            errors::unknown_path_is_invalid_request_url => "Q§7.2", "An unknown path answers 400 InvalidRequestURL";
            errors::error_document_has_four_fields => "Q§7.1", "<Error> has Code, Message, RequestId, HostId, the slash-less v1 namespace, text/xml";
            // Message properties and group ids (§6, F§4.2, F§6)
            properties::every_property_type_round_trips => "Q§6, F§6", "STRING, NUMBER, BOOLEAN and BINARY (base64) user properties come back unchanged on peek and receive, typed";
            properties::system_properties_round_trip => "F§6", "traceparent, tracestate and baggage system properties come back unchanged on peek and receive";
            properties::group_id_is_echoed_on_send_and_batch => "F§4.2", "SendMessage echoes MessageGroupId; each batch entry's group arrives with its message (normal queue [unconfirmed])";
            properties::publish_carries_properties_and_echoes_group => "F§4.2, F§6", "PublishMessage takes user/system properties and echoes MessageGroupId; forwarding to a queue [unconfirmed]";
            properties::bad_property_names_and_types_are_invalid_argument => "Q§6, F§6", "Unknown or miscased system names, non-STRING system types and unknown user types answer 400 InvalidArgument [unconfirmed]";
            // Control-plane OpenAPI (F§2–3)
            control_plane::control_create_queue_with_type_dlq_and_tags => "F§3.2, §3.3", "CreateQueue with QueueType, DlqPolicy, TenantRateLimitPolicy and tags; GetQueueAttributes reads each back; the XML API sees the queue";
            control_plane::control_created_fifo_queue_has_fifo_and_dlq_semantics => "F§4.2, §5.1", "A FIFO queue with a DLQ created over the OpenAPI refuses sends without a group id and dead-letters after MaxReceiveCount receives";
            control_plane::control_set_queue_attributes_is_partial => "F§3.3", "SetQueueAttributes changes only the named attributes; {\"Enabled\":false} disables the DLQ and reads back";
            control_plane::control_list_queues_filters_and_pages => "F§3.3", "ListQueue pages by PageNum and filters by QueueName (prefix [unconfirmed]), QueueType and Tag";
            control_plane::control_delete_queue_then_get_is_404 => "F§2.6, §3.3", "DeleteQueue removes the queue from both planes; GetQueueAttributes then answers 404 QueueNotExist [unconfirmed]";
            control_plane::control_bad_dlq_policy_is_refused => "F§5.5", "A DlqPolicy naming the queue itself or a missing queue answers 400 and creates nothing (code [unconfirmed])";
            control_plane::control_topic_lifecycle => "F§3.4", "CreateTopic (TopicType, MaxMessageSize, tags), Get/SetTopicAttributes, ListTopic, DeleteTopic then 404 TopicNotExist";
            control_plane::control_subscription_lifecycle => "F§3.5", "Subscribe to a queue ARN with a strategy and DLQ, Get/SetSubscriptionAttributes, ListSubscriptionByTopic, Unsubscribe";
            control_plane::control_tag_and_untag_resources => "F§3.1", "TagResources adds tags (a present key gets the new value) and UntagResources removes them, on queues and topics (answers [unconfirmed])";
            control_plane::control_account_attributes_round_trip => "F§3.6", "SetAccountAttributes changes only what it names; GetAccountAttributes reads it back (restored afterwards)";
            // FIFO and dead-letter queues (F§4, F§5); set up through the control-plane OpenAPI
            fifo_dlq::fifo_missing_group_id_is_refused => "F§4.2", "A send without MessageGroupId to a FIFO queue answers 400 FifoMissingMessageGroupId and stores nothing (status [unconfirmed])";
            fifo_dlq::fifo_keeps_order_within_a_group => "F§4.3", "Messages of one group are received in send order, groups independently";
            fifo_dlq::fifo_group_lock_holds_until_delete_or_timeout => "F§4.3", "A group's later messages wait while one is in flight; delete releases the next, a timeout redelivers the same one";
            fifo_dlq::queue_dlq_moves_after_max_receives => "F§5.1, §5.3, §5.4", "A message received MaxReceiveCount times moves to the DLQ with DLQMessageType, DLQSourceArn, DLQOriginMessageId (moment and values [unconfirmed])";
            fifo_dlq::queue_cannot_be_its_own_dlq => "F§5.5", "A DLQ policy naming the queue itself is refused (error code [unconfirmed])";
            fifo_dlq::subscription_dlq_catches_the_last_failed_retry => "F§5.2", "After BACKOFF_RETRY's last failed retry the notification is in the subscription's DLQ with DLQ* properties";
            // The V4 signature (§3.8; Java SDK 2.0)
            signature_v4::v4_signed_requests_are_accepted => "Q§3.8", "A client signing with V4 sends, receives, changes visibility (raw handle in the query) and lists";
            signature_v4::v4_wrong_secret_is_signature_does_not_match => "Q§3.8, §7.2", "A V4 signature with a wrong secret answers 403 SignatureDoesNotMatch";
            signature_v4::v4_scope_with_another_region_is_refused => "Q§3.8", "A V4 scope naming another region answers 403 SignatureDoesNotMatch [unconfirmed]";
            signature_v4::v4_stale_date_is_time_expired => "Q§3.6, §3.8", "A V4 request dated 16 minutes off answers 408 TimeExpired";
            signature_v4::v4_with_sts_token => "Q§3.5, §3.8", "V4 with STS credentials works with the unsigned security-token, is refused without it [unconfirmed]";
        }
    };
}

crate::__with_cases!(__case_table! {});

/// Runs one case against `target`, then cleans up whatever happened, then reports: an `Err` or a
/// panic fails the test with the case's name and the backend.
pub async fn run(target: &Target, name: &str, case: impl Future<Output = CaseResult>) {
    let outcome = AssertUnwindSafe(case).catch_unwind().await;
    target.cleanup().await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("case {name} failed on {}: {e}", target.backend()),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Asserts that `r` failed with a service error of `status` and `code`, and returns it.
#[track_caller]
pub fn expect_code<T: std::fmt::Debug>(
    r: Result<T, mns_client::Error>,
    status: u16,
    code: ErrorCode,
) -> ServiceError {
    match r {
        Err(mns_client::Error::Service(e)) => {
            assert_eq!(
                (e.status, &e.code),
                (status, &code),
                "unexpected service error: {e}"
            );
            assert!(!e.request_id.is_empty(), "error without request id");
            *e
        }
        other => panic!("expected {status} {code:?}, got {other:?}"),
    }
}

/// Receives one message without waiting; panics if there is none.
pub async fn receive_now(q: &Queue) -> Result<ReceivedMessage, mns_client::Error> {
    Ok(q.receive_message(Some(Duration::ZERO))
        .await?
        .expect("a visible message"))
}

/// A namespaced `<Queue>` document with the given children.
pub fn xml_queue(children: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <Queue xmlns=\"http://mns.aliyuncs.com/doc/v1/\">{children}</Queue>"
    )
}

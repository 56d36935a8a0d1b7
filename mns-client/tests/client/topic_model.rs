//! The typed topic model: validation limits and exact wire strings.

use std::collections::BTreeMap;
use std::time::Duration;

use mns_client::Error;
use mns_client::topic::{
    DirectMailAttributes, DirectSmsAttributes, DmAttributes, DysmsAttributes, Endpoint, FilterTag,
    HttpEndpoint, MailAddressType, MessageAttributes, MessageTag, NotifyContentFormat,
    NotifyStrategy, QueueEndpoint, SmsContent, SmsEndpoint, SubscriptionName, TopicName,
    TopicOptions,
};

fn is_invalid_input<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    matches!(r, Err(Error::InvalidInput(_)))
}

#[test]
fn topic_and_subscription_names_follow_the_service_rules() {
    let longest = format!("a{}", "-".repeat(254));
    for ok in ["a", "9", "orders", "Orders-2024", longest.as_str()] {
        assert_eq!(TopicName::new(ok).unwrap().as_str(), ok);
        assert_eq!(SubscriptionName::new(ok).unwrap().as_str(), ok);
    }
    let too_long = "a".repeat(256);
    for bad in ["", "-a", "a_b", "a.b", "a b", "ä", too_long.as_str()] {
        assert!(is_invalid_input(TopicName::new(bad)), "{bad:?}");
        assert!(is_invalid_input(SubscriptionName::new(bad)), "{bad:?}");
    }
    let name: TopicName = "orders".parse().unwrap();
    assert_eq!(name.to_string(), "orders");
    assert_eq!(String::from(name), "orders");
}

#[test]
fn tags_are_one_to_sixteen_characters_without_control_characters() {
    for ok in [
        "a",
        "important",
        "sixteen-chars-xx",
        "订单已支付",
        "with space",
    ] {
        assert_eq!(MessageTag::new(ok).unwrap().as_str(), ok);
        assert_eq!(FilterTag::new(ok).unwrap().as_str(), ok);
    }
    // Sixteen characters is the limit even when they take more bytes.
    assert!(MessageTag::new("订".repeat(16)).is_ok());
    for bad in ["", "seventeen-chars-x", "tab\there", "nl\n"] {
        assert!(is_invalid_input(MessageTag::new(bad)), "{bad:?}");
        assert!(is_invalid_input(FilterTag::new(bad)), "{bad:?}");
    }
    assert!(is_invalid_input(MessageTag::new("订".repeat(17))));
}

#[test]
fn filter_tags_match_exactly_and_never_untagged_messages() {
    let filter = FilterTag::new("important").unwrap();
    assert!(filter.matches(Some(&MessageTag::new("important").unwrap())));
    assert!(!filter.matches(Some(&MessageTag::new("IMPORTANT").unwrap())));
    assert!(!filter.matches(Some(&MessageTag::new("important2").unwrap())));
    assert!(!filter.matches(None));
}

#[test]
fn notify_strategy_and_format_use_the_service_spelling() {
    for (s, v) in [
        ("BACKOFF_RETRY", NotifyStrategy::BackoffRetry),
        (
            "EXPONENTIAL_DECAY_RETRY",
            NotifyStrategy::ExponentialDecayRetry,
        ),
    ] {
        assert_eq!(s.parse::<NotifyStrategy>().unwrap(), v);
        assert_eq!(v.to_string(), s);
    }
    for (s, v) in [
        ("XML", NotifyContentFormat::Xml),
        ("JSON", NotifyContentFormat::Json),
        ("SIMPLIFIED", NotifyContentFormat::Simplified),
    ] {
        assert_eq!(s.parse::<NotifyContentFormat>().unwrap(), v);
        assert_eq!(v.to_string(), s);
    }
    assert_eq!(NotifyStrategy::default(), NotifyStrategy::BackoffRetry);
    assert_eq!(NotifyContentFormat::default(), NotifyContentFormat::Xml);
    assert!(is_invalid_input("backoff_retry".parse::<NotifyStrategy>()));
    assert!(is_invalid_input("STREAM".parse::<NotifyContentFormat>()));
}

#[test]
fn retry_schedules_match_the_documentation() {
    let backoff = NotifyStrategy::BackoffRetry;
    assert_eq!(backoff.max_retries(), 3);
    for n in 1..=3 {
        assert_eq!(
            backoff.retry_delay(n),
            Some((Duration::from_secs(10), Duration::from_secs(20)))
        );
    }
    assert_eq!(backoff.retry_delay(4), None);
    assert_eq!(backoff.retry_delay(0), None);

    let decay = NotifyStrategy::ExponentialDecayRetry;
    assert_eq!(decay.max_retries(), 176);
    let total: u64 = (1..=176)
        .map(|n| decay.retry_delay(n).unwrap().0.as_secs())
        .sum();
    assert_eq!(total, 86_015);
    assert_eq!(decay.retry_delay(9).unwrap().0, Duration::from_secs(256));
    assert_eq!(decay.retry_delay(177), None);
}

#[test]
fn endpoints_round_trip_through_their_exact_strings() {
    let cases = [
        ("http://example.com/mns/notify", "http"),
        ("http://example.com", "http"),
        ("http://example.com:8080/", "http"),
        ("https://example.com/hooks/mns?env=test", "http"),
        ("HTTP://Example.com/Path", "http"),
        ("http://127.0.0.1:9000/push", "http"),
        (
            "acs:mns:cn-hangzhou:1234567890123456:queues/orders-q",
            "queue",
        ),
        ("acs:mns:ap-southeast-1:9876543210:queues/Q1", "queue"),
        ("mail:directmail:ops@example.com", "mail"),
        ("sms:directsms:anonymous", "sms"),
        ("sms:directsms:13800000000", "sms"),
        ("sms:directsms:+8613800000000", "sms"),
        ("push:23456789", "push"),
    ];
    for (s, kind) in cases {
        let e: Endpoint = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(e.to_string(), s);
        assert_eq!(e.kind(), kind, "{s}");
        assert_eq!(Endpoint::try_from(s).unwrap(), e);
    }
}

#[test]
fn endpoint_parts_are_typed() {
    let Endpoint::Queue(q) = "acs:mns:cn-hangzhou:1234567890123456:queues/orders-q"
        .parse()
        .unwrap()
    else {
        panic!("queue expected")
    };
    assert_eq!(
        (q.region(), q.account_id(), q.queue_name()),
        ("cn-hangzhou", "1234567890123456", "orders-q")
    );
    assert_eq!(
        QueueEndpoint::new("cn-beijing", "42", "q")
            .unwrap()
            .to_string(),
        "acs:mns:cn-beijing:42:queues/q"
    );
    assert_eq!(
        Endpoint::mail("a@b.example").unwrap().to_string(),
        "mail:directmail:a@b.example"
    );
    assert_eq!(
        Endpoint::Sms(SmsEndpoint::phone("13800000000").unwrap()).to_string(),
        "sms:directsms:13800000000"
    );
    assert_eq!(
        Endpoint::Sms(SmsEndpoint::Anonymous).to_string(),
        "sms:directsms:anonymous"
    );
    let Endpoint::Http(h) = "https://example.com/x".parse().unwrap() else {
        panic!("http expected")
    };
    assert!(h.is_https());
    assert_eq!(h.url().host_str(), Some("example.com"));
}

#[test]
fn invalid_endpoints_are_refused() {
    for bad in [
        "",
        "example.com",
        "ftp://example.com/",
        "http://",
        "http://user:pw@example.com/",
        "http://example.com/#frag",
        "http://example.com/mns-reserved-x",
        "http://exa mple.com/",
        "acs:mns:cn-hangzhou:1234567890123456:queue/orders",
        "acs:mns:cn-hangzhou:1234567890123456:queues/",
        "acs:mns:cn-hangzhou:1234567890123456:queues/bad_name",
        "acs:mns:CN-HANGZHOU:1234567890123456:queues/q",
        "acs:mns:cn-hangzhou:acct:queues/q",
        "acs:mns:cn-hangzhou:queues/q",
        "mail:directmail:",
        "mail:directmail:no-at-sign",
        "mail:directmail:a@",
        "mail:directmail:a b@example.com",
        "sms:directsms:",
        "sms:directsms:phone",
        "push:",
        "push:app key",
        "dingtalk:robot:1",
    ] {
        assert!(is_invalid_input(bad.parse::<Endpoint>()), "{bad:?}");
    }
}

#[test]
fn http_endpoint_request_target_follows_the_push_rules() {
    for (url, target) in [
        ("http://example.com", "/notifications"),
        ("http://example.com:8080", "/notifications"),
        ("http://example.com?env=test", "/notifications?env=test"),
        ("http://example.com/", "/"),
        ("http://example.com/hooks/mns", "/hooks/mns"),
        (
            "https://example.com/hooks/mns?env=test",
            "/hooks/mns?env=test",
        ),
    ] {
        assert_eq!(
            HttpEndpoint::new(url).unwrap().request_target(),
            target,
            "{url}"
        );
    }
}

#[test]
fn topic_options_check_the_message_size_range() {
    for ok in [None, Some(1024), Some(65536)] {
        TopicOptions {
            maximum_message_size: ok,
            logging_enabled: Some(false),
        }
        .validate()
        .unwrap();
    }
    for bad in [0, 1023, 65537] {
        let opts = TopicOptions {
            maximum_message_size: Some(bad),
            ..Default::default()
        };
        assert!(is_invalid_input(opts.validate()), "{bad}");
    }
}

#[test]
fn message_attributes_serialise_to_the_documented_json() {
    let mut mail = DirectMailAttributes::new("no-reply@mail.example.com", "Hi");
    mail.address_type = MailAddressType::SenderAddress;
    mail.is_html = true;
    let attrs = MessageAttributes {
        direct_mail: Some(mail),
        direct_sms: Some(DirectSmsAttributes::new(
            "Shop",
            "SMS_1",
            SmsContent::Multi {
                params: BTreeMap::from([(
                    "13800000000".to_string(),
                    BTreeMap::from([("code".to_string(), "42".to_string())]),
                )]),
            },
        )),
        dm: Some(DmAttributes::new("user@example.com", "Receipt")),
        dysms: Some(DysmsAttributes::new("13800000000")),
    };
    assert!(!attrs.is_empty());
    assert!(MessageAttributes::default().is_empty());
    let elements = attrs.to_elements().unwrap();
    let names: Vec<_> = elements.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["DirectMail", "DirectSMS", "DM", "DYSMS"]);
    assert_eq!(
        elements[0].1,
        r#"{"AccountName":"no-reply@mail.example.com","Subject":"Hi","AddressType":1,"IsHtml":1,"ReplyToAddress":0}"#
    );
    assert_eq!(
        elements[1].1,
        r#"{"FreeSignName":"Shop","TemplateCode":"SMS_1","Type":"multiContent","SmsParams":"{\"13800000000\":{\"code\":\"42\"}}"}"#
    );
    assert_eq!(
        elements[2].1,
        r#"{"MailAddress":"user@example.com","Subject":"Receipt","IsHtml":0}"#
    );
    assert_eq!(elements[3].1, r#"{"PhoneNumber":"13800000000"}"#);
}

#[test]
fn invalid_message_attributes_are_refused() {
    let bad = [
        MessageAttributes {
            dysms: Some(DysmsAttributes::new("+86 138")),
            ..Default::default()
        },
        MessageAttributes {
            dm: Some(DmAttributes::new("not-an-address", "s")),
            ..Default::default()
        },
        MessageAttributes {
            direct_mail: Some(DirectMailAttributes::new("", "s")),
            ..Default::default()
        },
        MessageAttributes {
            direct_sms: Some(DirectSmsAttributes::new(
                "",
                "SMS_1",
                SmsContent::Single {
                    receivers: vec![],
                    params: BTreeMap::new(),
                },
            )),
            ..Default::default()
        },
    ];
    for attrs in bad {
        assert!(is_invalid_input(attrs.to_elements()), "{attrs:?}");
    }
}

//! Validated names and tags: topic and subscription names, message and filter tags.

use super::*;

string_newtype!(
    /// A topic name: 1–255 characters, letters, digits and `-`, starting with a letter or digit.
    ///
    /// ```
    /// use mns_client::topic::TopicName;
    /// let name: TopicName = "orders-2024".parse()?;
    /// assert_eq!(name.as_str(), "orders-2024");
    /// assert!(TopicName::new("-orders").is_err());
    /// assert!(TopicName::new("orders_2024").is_err());
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    TopicName,
    |s| check_name("topic name", s, limits::MAX_NAME_LEN)
);

string_newtype!(
    /// A subscription name: same rules as [`TopicName`] (1–255 characters, letters, digits and
    /// `-`, starting with a letter or digit), unique per topic.
    ///
    /// ```
    /// use mns_client::topic::SubscriptionName;
    /// let name = SubscriptionName::new("orders-http")?;
    /// assert_eq!(name.to_string(), "orders-http");
    /// assert!(SubscriptionName::new("").is_err());
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    SubscriptionName,
    |s| check_name("subscription name", s, limits::MAX_NAME_LEN)
);

/// Tags: 1–16 characters; control characters are refused (they cannot travel in XML 1.0 nor in
/// an HTTP header). The service documents no narrower character set (unconfirmed).
fn check_tag(kind: &str, s: &str) -> Result<()> {
    let len = s.chars().count();
    if len == 0 || len > limits::MAX_TAG_LEN {
        return Err(invalid(format!(
            "{kind} must be 1 to {} characters long, got {len}",
            limits::MAX_TAG_LEN
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{kind} {s:?} contains a control character"
        )));
    }
    Ok(())
}

string_newtype!(
    /// The tag a publisher attaches to a message (`MessageTag`), 1–16 characters.
    ///
    /// A subscription with a [`FilterTag`] receives only messages whose tag is equal to it.
    ///
    /// ```
    /// use mns_client::topic::MessageTag;
    /// let tag = MessageTag::new("important")?;
    /// assert_eq!(tag.as_str(), "important");
    /// assert!(MessageTag::new("seventeen-chars-x").is_err());
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    MessageTag,
    |s| check_tag("message tag", s)
);

string_newtype!(
    /// The tag a subscription filters on (`FilterTag`), 1–16 characters.
    ///
    /// ```
    /// use mns_client::topic::{FilterTag, MessageTag};
    /// let filter = FilterTag::new("important")?;
    /// assert!(filter.matches(Some(&MessageTag::new("important")?)));
    /// assert!(!filter.matches(Some(&MessageTag::new("Important")?)));
    /// assert!(!filter.matches(None));
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    FilterTag,
    |s| check_tag("filter tag", s)
);

impl TopicName {
    /// Wraps a name reported by the service without re-checking it: the service is the
    /// authority on names that already exist.
    pub(crate) fn from_service(value: impl Into<String>) -> Self {
        TopicName(value.into())
    }
}

impl SubscriptionName {
    /// Wraps a name reported by the service without re-checking it.
    pub(crate) fn from_service(value: impl Into<String>) -> Self {
        SubscriptionName(value.into())
    }
}

impl FilterTag {
    /// Wraps a tag reported by the service without re-checking it.
    pub(crate) fn from_service(value: impl Into<String>) -> Self {
        FilterTag(value.into())
    }
}

impl FilterTag {
    /// Whether a message with this tag is delivered to a subscription filtering on `self`:
    /// exact, case-sensitive equality; untagged messages never match (reference §3.5).
    pub fn matches(&self, tag: Option<&MessageTag>) -> bool {
        tag.is_some_and(|t| t.as_str() == self.as_str())
    }
}

//! System properties (reference mns-openapi-fifo-dlq §6): the W3C trace context a client may
//! set and the dead-letter stamps the service adds.

use super::properties::property_error;
use super::*;
use crate::error::PropertyProblem;

/// The system property names the reference knows (mns-openapi-fifo-dlq §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SystemPropertyName {
    /// W3C `traceparent` (client-settable).
    TraceParent,
    /// W3C `tracestate` (client-settable).
    TraceState,
    /// W3C `baggage` (client-settable).
    Baggage,
    /// `DLQMessageType`: `QUEUE` or `SUBSCRIPTION`, stamped by the service on dead letters.
    DlqMessageType,
    /// `DLQSourceArn`: where a dead letter came from, stamped by the service.
    DlqSourceArn,
    /// `DLQOriginMessageId`: the dead letter's original message id, stamped by the service.
    DlqOriginMessageId,
}

impl SystemPropertyName {
    /// Every known name.
    pub const ALL: [SystemPropertyName; 6] = [
        Self::TraceParent,
        Self::TraceState,
        Self::Baggage,
        Self::DlqMessageType,
        Self::DlqSourceArn,
        Self::DlqOriginMessageId,
    ];

    /// The name as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TraceParent => "traceparent",
            Self::TraceState => "tracestate",
            Self::Baggage => "baggage",
            Self::DlqMessageType => "DLQMessageType",
            Self::DlqSourceArn => "DLQSourceArn",
            Self::DlqOriginMessageId => "DLQOriginMessageId",
        }
    }

    /// The known name spelled `s` (case-sensitive, as the service compares them).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.as_str() == s)
    }

    /// Whether a client may set this property (the trace-context names); the `DLQ*` names are
    /// the service's own.
    pub fn is_client_settable(self) -> bool {
        matches!(self, Self::TraceParent | Self::TraceState | Self::Baggage)
    }
}

/// One system property (`<SystemProperties><SystemPropertyValue>`); its type is always `STRING`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SystemProperty {
    /// The name as transmitted.
    pub name: String,
    /// The value.
    pub value: String,
    /// The type as received (`STRING`; sent as `STRING`).
    pub kind: PropertyType,
}

impl SystemProperty {
    /// A property with a known name.
    pub fn new(name: SystemPropertyName, value: impl Into<String>) -> Self {
        SystemProperty {
            name: name.as_str().to_owned(),
            value: value.into(),
            kind: PropertyType::String,
        }
    }

    /// A W3C `traceparent` property.
    pub fn traceparent(value: impl Into<String>) -> Self {
        Self::new(SystemPropertyName::TraceParent, value)
    }

    /// A W3C `tracestate` property.
    pub fn tracestate(value: impl Into<String>) -> Self {
        Self::new(SystemPropertyName::TraceState, value)
    }

    /// A W3C `baggage` property.
    pub fn baggage(value: impl Into<String>) -> Self {
        Self::new(SystemPropertyName::Baggage, value)
    }

    /// The known name, if this is one.
    pub fn known_name(&self) -> Option<SystemPropertyName> {
        SystemPropertyName::parse(&self.name)
    }
}

/// A message's system properties, with accessors for the known names.
///
/// ```
/// use mns_client::{SystemProperties, SystemProperty};
/// let props: SystemProperties = [SystemProperty::traceparent(
///     "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
/// )]
/// .into_iter()
/// .collect();
/// assert!(props.traceparent().unwrap().starts_with("00-0af7"));
/// assert_eq!(props.dlq_source_arn(), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SystemProperties(Vec<SystemProperty>);

impl SystemProperties {
    /// No properties.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a property (checked when the message is sent).
    pub fn push(&mut self, p: SystemProperty) {
        self.0.push(p);
    }

    /// This set with one more property.
    pub fn with(mut self, p: SystemProperty) -> Self {
        self.0.push(p);
        self
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The properties in wire order.
    pub fn iter(&self) -> std::slice::Iter<'_, SystemProperty> {
        self.0.iter()
    }

    /// The properties in wire order.
    pub fn as_slice(&self) -> &[SystemProperty] {
        &self.0
    }

    /// The value of the property named `name` (exact, case-sensitive), if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_str())
    }

    /// The value of a known property, if present.
    pub fn get_known(&self, name: SystemPropertyName) -> Option<&str> {
        self.get(name.as_str())
    }

    /// `traceparent`, if present.
    pub fn traceparent(&self) -> Option<&str> {
        self.get_known(SystemPropertyName::TraceParent)
    }

    /// `tracestate`, if present.
    pub fn tracestate(&self) -> Option<&str> {
        self.get_known(SystemPropertyName::TraceState)
    }

    /// `baggage`, if present.
    pub fn baggage(&self) -> Option<&str> {
        self.get_known(SystemPropertyName::Baggage)
    }

    /// `DLQMessageType` (`QUEUE` or `SUBSCRIPTION`), present on dead letters.
    pub fn dlq_message_type(&self) -> Option<&str> {
        self.get_known(SystemPropertyName::DlqMessageType)
    }

    /// `DLQSourceArn`, present on dead letters.
    pub fn dlq_source_arn(&self) -> Option<&str> {
        self.get_known(SystemPropertyName::DlqSourceArn)
    }

    /// `DLQOriginMessageId`, present on dead letters.
    pub fn dlq_origin_message_id(&self) -> Option<&str> {
        self.get_known(SystemPropertyName::DlqOriginMessageId)
    }

    /// Only the properties a client may send (the trace context), e.g. to forward a received
    /// message's context when re-sending it: the service's `DLQ*` stamps would be refused.
    pub fn client_settable(&self) -> SystemProperties {
        self.0
            .iter()
            .filter(|p| {
                p.known_name()
                    .is_some_and(SystemPropertyName::is_client_settable)
            })
            .cloned()
            .collect()
    }

    /// Checks the set before sending: client-settable names only, each once, `STRING` type,
    /// bounded XML-safe values.
    pub(crate) fn validate_for_send(&self) -> Result<(), Error> {
        let mut seen = std::collections::HashSet::new();
        for p in &self.0 {
            match p.known_name() {
                Some(n) if n.is_client_settable() => {}
                Some(_) => return Err(property_error(&p.name, PropertyProblem::ServiceOwned)),
                None => return Err(property_error(&p.name, PropertyProblem::InvalidName)),
            }
            if !seen.insert(p.name.as_str()) {
                return Err(property_error(&p.name, PropertyProblem::Duplicate));
            }
            if p.kind != PropertyType::String {
                return Err(property_error(
                    &p.name,
                    PropertyProblem::UnknownType(p.kind.as_str().to_owned()),
                ));
            }
            if p.value.chars().count() > limits::SYSTEM_PROPERTY_VALUE_MAX_LEN {
                return Err(property_error(
                    &p.name,
                    PropertyProblem::ValueTooLong {
                        max: limits::SYSTEM_PROPERTY_VALUE_MAX_LEN,
                    },
                ));
            }
            crate::xml::check_text("SystemProperty value", &p.value)?;
        }
        Ok(())
    }
}

impl From<Vec<SystemProperty>> for SystemProperties {
    fn from(v: Vec<SystemProperty>) -> Self {
        SystemProperties(v)
    }
}

impl FromIterator<SystemProperty> for SystemProperties {
    fn from_iter<I: IntoIterator<Item = SystemProperty>>(iter: I) -> Self {
        SystemProperties(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a SystemProperties {
    type Item = &'a SystemProperty;
    type IntoIter = std::slice::Iter<'a, SystemProperty>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

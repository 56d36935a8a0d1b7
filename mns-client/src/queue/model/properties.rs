//! Message properties (reference mns-queues §6, mns-openapi-fifo-dlq §6): typed user properties
//! (`STRING`, `NUMBER`, `BOOLEAN`, `BINARY`) and system properties (W3C trace context and the
//! dead-letter stamps the service adds).

use super::*;
use crate::error::PropertyProblem;

/// The type of a user property value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PropertyType {
    /// Text.
    String,
    /// A number, as text.
    Number,
    /// `true` or `false`.
    Boolean,
    /// Base64-encoded bytes.
    Binary,
    /// A type this version of the crate does not know, kept verbatim.
    Other(String),
}

impl PropertyType {
    /// The type as the service spells it.
    pub fn as_str(&self) -> &str {
        match self {
            PropertyType::String => "STRING",
            PropertyType::Number => "NUMBER",
            PropertyType::Boolean => "BOOLEAN",
            PropertyType::Binary => "BINARY",
            PropertyType::Other(s) => s,
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s.trim() {
            "STRING" => PropertyType::String,
            "NUMBER" => PropertyType::Number,
            "BOOLEAN" => PropertyType::Boolean,
            "BINARY" => PropertyType::Binary,
            other => PropertyType::Other(other.to_owned()),
        }
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A Rust number that can be the value of a `NUMBER` property (the integer and float types).
pub trait PropertyNumber: sealed::Sealed {
    /// The number as property text.
    fn to_property_text(&self) -> String;
}

macro_rules! property_numbers {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl PropertyNumber for $t {
            fn to_property_text(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
property_numbers!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64
);

/// A user property's value read according to its type ([`UserProperty::typed_value`]).
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyValue {
    /// A `STRING` value.
    String(String),
    /// A `NUMBER` value (integers beyond 2^53 lose precision here; use
    /// [`UserProperty::as_i64`] for exact integers).
    Number(f64),
    /// A `BOOLEAN` value.
    Boolean(bool),
    /// A `BINARY` value, base64-decoded.
    Binary(Vec<u8>),
}

/// A user-defined message property (`<UserProperties><PropertyValue>`).
///
/// Build one with the typed constructors, which produce the text the service expects:
///
/// ```
/// use mns_client::{PropertyValue, UserProperty};
/// let p = UserProperty::binary("blob", [0u8, 1, 2]);
/// assert_eq!(p.value, "AAEC");
/// assert_eq!(p.typed_value(), Some(PropertyValue::Binary(vec![0, 1, 2])));
/// assert_eq!(UserProperty::number("n", 42).as_i64(), Some(42));
/// assert_eq!(UserProperty::boolean("ok", true).as_bool(), Some(true));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserProperty {
    /// Name: up to 256 characters of `[A-Za-z0-9_.-]`, not starting or ending with `.`, no `..`.
    pub name: String,
    /// Value as transmitted, up to 4096 characters (base64 text for `BINARY`).
    pub value: String,
    /// Type of the value.
    pub kind: PropertyType,
}

impl UserProperty {
    /// A `STRING` property.
    pub fn string(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::typed(name, value.into(), PropertyType::String)
    }

    /// A `NUMBER` property (a non-finite float is refused when the message is sent).
    pub fn number(name: impl Into<String>, value: impl PropertyNumber) -> Self {
        Self::typed(name, value.to_property_text(), PropertyType::Number)
    }

    /// A `BOOLEAN` property (`true` / `false` on the wire).
    pub fn boolean(name: impl Into<String>, value: bool) -> Self {
        let text = if value { "true" } else { "false" };
        Self::typed(name, text.to_owned(), PropertyType::Boolean)
    }

    /// A `BINARY` property: the bytes travel base64-encoded.
    pub fn binary(name: impl Into<String>, bytes: impl AsRef<[u8]>) -> Self {
        Self::typed(name, STANDARD.encode(bytes), PropertyType::Binary)
    }

    fn typed(name: impl Into<String>, value: String, kind: PropertyType) -> Self {
        UserProperty {
            name: name.into(),
            value,
            kind,
        }
    }

    /// The value read according to the type; `None` when the text does not fit the type or the
    /// type is unknown.
    pub fn typed_value(&self) -> Option<PropertyValue> {
        match self.kind {
            PropertyType::String => Some(PropertyValue::String(self.value.clone())),
            PropertyType::Number => self.as_f64().map(PropertyValue::Number),
            PropertyType::Boolean => self.as_bool().map(PropertyValue::Boolean),
            PropertyType::Binary => self.as_bytes().map(PropertyValue::Binary),
            PropertyType::Other(_) => None,
        }
    }

    /// The value of a `STRING` property.
    pub fn as_str(&self) -> Option<&str> {
        (self.kind == PropertyType::String).then_some(self.value.as_str())
    }

    /// The value of a `NUMBER` property as a finite float.
    pub fn as_f64(&self) -> Option<f64> {
        if self.kind != PropertyType::Number {
            return None;
        }
        self.value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
    }

    /// The value of a `NUMBER` property that is an integer in `i64` range.
    pub fn as_i64(&self) -> Option<i64> {
        if self.kind != PropertyType::Number {
            return None;
        }
        self.value.trim().parse().ok()
    }

    /// The value of a `BOOLEAN` property (`true` / `false`, any case).
    pub fn as_bool(&self) -> Option<bool> {
        if self.kind != PropertyType::Boolean {
            return None;
        }
        let v = self.value.trim();
        if v.eq_ignore_ascii_case("true") {
            Some(true)
        } else if v.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            None
        }
    }

    /// The bytes of a `BINARY` property (base64-decoded).
    pub fn as_bytes(&self) -> Option<Vec<u8>> {
        if self.kind != PropertyType::Binary {
            return None;
        }
        STANDARD.decode(self.value.trim()).ok()
    }

    /// Why the value does not fit the declared type, if it does not.
    fn value_problem(&self) -> Option<PropertyProblem> {
        let fits = match &self.kind {
            PropertyType::String => true,
            PropertyType::Number => self.as_f64().is_some(),
            PropertyType::Boolean => matches!(self.value.as_str(), "true" | "false"),
            PropertyType::Binary => self.as_bytes().is_some(),
            PropertyType::Other(t) => return Some(PropertyProblem::UnknownType(t.clone())),
        };
        (!fits).then(|| PropertyProblem::ValueNotOfType(self.kind.as_str().to_owned()))
    }
}

pub(super) fn property_error(name: &str, problem: PropertyProblem) -> Error {
    Error::InvalidProperty {
        name: name.to_owned(),
        problem,
    }
}

/// Checks user properties as the service does (count, names, uniqueness, value length) and,
/// beyond that, that each value fits its declared type.
pub(crate) fn validate_user_properties(props: &[UserProperty]) -> Result<(), Error> {
    if props.len() > limits::USER_PROPERTIES_MAX {
        return Err(property_error(
            "",
            PropertyProblem::TooMany {
                max: limits::USER_PROPERTIES_MAX,
                got: props.len(),
            },
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for p in props {
        let n = &p.name;
        let chars_ok = n
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
        if n.is_empty()
            || n.chars().count() > limits::USER_PROPERTY_NAME_MAX_LEN
            || !chars_ok
            || n.starts_with('.')
            || n.ends_with('.')
            || n.contains("..")
        {
            return Err(property_error(n, PropertyProblem::InvalidName));
        }
        if !seen.insert(n.as_str()) {
            return Err(property_error(n, PropertyProblem::Duplicate));
        }
        if p.value.chars().count() > limits::USER_PROPERTY_VALUE_MAX_LEN {
            return Err(property_error(
                n,
                PropertyProblem::ValueTooLong {
                    max: limits::USER_PROPERTY_VALUE_MAX_LEN,
                },
            ));
        }
        if let Some(problem) = p.value_problem() {
            return Err(property_error(n, problem));
        }
        crate::xml::check_text("UserProperty value", &p.value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(r: Result<(), Error>) -> PropertyProblem {
        match r {
            Err(Error::InvalidProperty { problem, .. }) => problem,
            other => panic!("expected InvalidProperty, got {other:?}"),
        }
    }

    #[test]
    fn typed_constructors_round_trip() {
        let props = [
            UserProperty::string("s", "a<b"),
            UserProperty::number("i", -7i64),
            UserProperty::number("f", 2.5f64),
            UserProperty::boolean("b", false),
            UserProperty::binary("x", b"\x00\xffhi"),
        ];
        validate_user_properties(&props).unwrap();
        assert_eq!(props[0].as_str(), Some("a<b"));
        assert_eq!(props[1].as_i64(), Some(-7));
        assert_eq!(props[2].typed_value(), Some(PropertyValue::Number(2.5)));
        assert_eq!(props[3].as_bool(), Some(false));
        assert_eq!(props[4].value, "AP9oaQ==");
        assert_eq!(props[4].as_bytes().unwrap(), b"\x00\xffhi");
        // Accessors of another type say nothing.
        assert_eq!(props[1].as_str(), None);
        assert_eq!(props[0].as_bool(), None);
    }

    #[test]
    fn values_must_fit_their_type() {
        let bad = [
            UserProperty::number("n", f64::NAN),
            UserProperty {
                kind: PropertyType::Number,
                ..UserProperty::string("n", "twelve")
            },
            UserProperty {
                kind: PropertyType::Boolean,
                ..UserProperty::string("b", "yes")
            },
            UserProperty {
                kind: PropertyType::Binary,
                ..UserProperty::string("x", "not base64!")
            },
        ];
        for p in bad {
            assert!(
                matches!(
                    problem(validate_user_properties(std::slice::from_ref(&p))),
                    PropertyProblem::ValueNotOfType(_)
                ),
                "{p:?}"
            );
        }
        let other = UserProperty {
            kind: PropertyType::Other("DATE".into()),
            ..UserProperty::string("d", "x")
        };
        assert_eq!(
            problem(validate_user_properties(&[other])),
            PropertyProblem::UnknownType("DATE".into())
        );
        let many: Vec<_> = (0..51)
            .map(|i| UserProperty::number(format!("p{i}"), i))
            .collect();
        assert!(matches!(
            problem(validate_user_properties(&many)),
            PropertyProblem::TooMany { max: 50, got: 51 }
        ));
        let long = UserProperty::string("l", "v".repeat(4097));
        assert!(matches!(
            problem(validate_user_properties(&[long])),
            PropertyProblem::ValueTooLong { max: 4096 }
        ));
    }

    #[test]
    fn system_properties_client_settable_only() {
        let ok = SystemProperties::new()
            .with(SystemProperty::traceparent("00-a-b-01"))
            .with(SystemProperty::tracestate("k=v"))
            .with(SystemProperty::baggage("u=1"));
        ok.validate_for_send().unwrap();
        let dlq = SystemProperties::from(vec![SystemProperty::new(
            SystemPropertyName::DlqSourceArn,
            "x",
        )]);
        assert_eq!(
            problem(dlq.validate_for_send()),
            PropertyProblem::ServiceOwned
        );
        let unknown = SystemProperties::from(vec![SystemProperty {
            name: "Traceparent".into(),
            value: "x".into(),
            kind: PropertyType::String,
        }]);
        assert_eq!(
            problem(unknown.validate_for_send()),
            PropertyProblem::InvalidName
        );
        let dup = ok.clone().with(SystemProperty::baggage("again"));
        assert_eq!(problem(dup.validate_for_send()), PropertyProblem::Duplicate);
        let typed = SystemProperties::from(vec![SystemProperty {
            kind: PropertyType::Number,
            ..SystemProperty::traceparent("1")
        }]);
        assert!(matches!(
            problem(typed.validate_for_send()),
            PropertyProblem::UnknownType(_)
        ));
        for n in SystemPropertyName::ALL {
            assert_eq!(SystemPropertyName::parse(n.as_str()), Some(n));
        }
    }
}

//! Validation of message user and system properties (shared by queues and topics).

use super::limits;
use super::types::{SystemProperty, UserProperty};
use crate::error::MnsError;

/// Checks system properties (names from `allowed`, each once, `STRING` type, bounded values)
/// and returns their size (names plus values), which counts towards `MaximumMessageSize`.
pub(crate) fn validate_system_properties(
    props: &[SystemProperty],
    allowed: &[&str],
) -> Result<usize, MnsError> {
    let mut seen = std::collections::HashSet::with_capacity(props.len());
    let mut size = 0;
    for p in props {
        if !allowed.contains(&p.name.as_str()) {
            return Err(MnsError::invalid_argument(format!(
                "The name of SystemProperty \"{}\" is invalid.",
                p.name
            )));
        }
        if !seen.insert(p.name.as_str()) {
            return Err(MnsError::invalid_argument(format!(
                "The name of SystemProperty \"{}\" is duplicated.",
                p.name
            )));
        }
        if p.value.chars().count() > limits::MAX_SYSTEM_PROPERTY_VALUE_LEN {
            return Err(MnsError::invalid_argument(format!(
                "The value of SystemProperty \"{}\" should not be longer than {} characters.",
                p.name,
                limits::MAX_SYSTEM_PROPERTY_VALUE_LEN
            )));
        }
        if !p.value_type.eq_ignore_ascii_case("STRING") {
            return Err(MnsError::schema_violation("SystemPropertyValue.Type"));
        }
        size += p.name.len() + p.value.len();
    }
    Ok(size)
}

/// Checks user properties and returns their size (names plus values).
pub(crate) fn validate_user_properties(props: &[UserProperty]) -> Result<usize, MnsError> {
    if props.len() > limits::MAX_USER_PROPERTIES {
        return Err(MnsError::invalid_argument(format!(
            "The count of UserProperties should between 0 and {}",
            limits::MAX_USER_PROPERTIES
        )));
    }
    let mut names = std::collections::HashSet::with_capacity(props.len());
    let mut size = 0;
    for p in props {
        let name_ok = !p.name.is_empty()
            && p.name.len() <= limits::MAX_USER_PROPERTY_NAME_LEN
            && p.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            && !p.name.starts_with('.')
            && !p.name.ends_with('.')
            && !p.name.contains("..");
        if !name_ok {
            return Err(MnsError::invalid_argument(format!(
                "The name of UserProperty \"{}\" is invalid.",
                p.name
            )));
        }
        if !names.insert(p.name.as_str()) {
            return Err(MnsError::invalid_argument(format!(
                "The name of UserProperty \"{}\" is duplicated.",
                p.name
            )));
        }
        if p.value.chars().count() > limits::MAX_USER_PROPERTY_VALUE_LEN {
            return Err(MnsError::invalid_argument(format!(
                "The value of UserProperty \"{}\" should not be longer than {} characters.",
                p.name,
                limits::MAX_USER_PROPERTY_VALUE_LEN
            )));
        }
        if !matches!(
            p.value_type.to_ascii_uppercase().as_str(),
            "STRING" | "NUMBER" | "BOOLEAN" | "BINARY"
        ) {
            return Err(MnsError::schema_violation("PropertyValue.Type"));
        }
        size += p.name.len() + p.value.len();
    }
    Ok(size)
}

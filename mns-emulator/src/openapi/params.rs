//! The parameters of one control-plane request, read from the query string **and** the form
//! body (the Python SDK splits CreateTopic's between them, Terraform sends everything in the body;
//! reference §2.1), with typed getters whose failures are the gateway's `Missing{Param}` /
//! `Invalid{Param}` errors.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::OpenApiError;
use crate::engine::ResourceTag;

/// Parameters by name (a later occurrence replaces an earlier one; the body comes after the
/// query).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(pub BTreeMap<String, String>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` text (`+` is a space) into `self`.
    pub fn extend_from_form(&mut self, raw: &[u8]) {
        for (k, v) in url::form_urlencoded::parse(raw) {
            self.0.insert(k.into_owned(), v.into_owned());
        }
    }

    /// A parameter, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A required, non-empty parameter.
    pub fn required(&self, name: &str) -> Result<&str, OpenApiError> {
        self.get(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| OpenApiError::missing(name))
    }

    /// An optional non-empty parameter.
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    /// An optional integer.
    pub fn int(&self, name: &str) -> Result<Option<i64>, OpenApiError> {
        self.optional(name)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| OpenApiError::invalid(name, format!("{v:?} is not an integer.")))
            })
            .transpose()
    }

    /// An optional boolean, case-insensitive: the Python SDK sends `True`/`False`, Go `true`.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, OpenApiError> {
        self.optional(name)
            .map(|v| match v.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(OpenApiError::invalid(
                    name,
                    format!("{v:?} is not a boolean."),
                )),
            })
            .transpose()
    }

    /// An optional JSON object parameter (`DlqPolicy`, `TenantRateLimitPolicy`).
    pub fn json_object(
        &self,
        name: &str,
    ) -> Result<Option<serde_json::Map<String, Value>>, OpenApiError> {
        self.optional(name)
            .map(|v| match serde_json::from_str::<Value>(v) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(OpenApiError::invalid(name, "it is not a JSON object.")),
            })
            .transpose()
    }

    /// The `Tag.N.Key` / `Tag.N.Value` list (N from 1), in N order. A value without its key,
    /// or an N that is not a positive number, is `InvalidTag`.
    pub fn tags(&self) -> Result<Vec<ResourceTag>, OpenApiError> {
        let mut by_index: BTreeMap<u32, (Option<&str>, Option<&str>)> = BTreeMap::new();
        for (k, v) in &self.0 {
            let Some(rest) = k.strip_prefix("Tag.") else {
                continue;
            };
            let (n, field) = rest
                .split_once('.')
                .ok_or_else(|| OpenApiError::invalid("Tag", format!("{k} is not Tag.N.Key.")))?;
            let n: u32 =
                n.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    OpenApiError::invalid("Tag", format!("{k}: N counts from 1."))
                })?;
            let slot = by_index.entry(n).or_default();
            match field {
                "Key" => slot.0 = Some(v),
                "Value" => slot.1 = Some(v),
                _ => {
                    return Err(OpenApiError::invalid(
                        "Tag",
                        format!("{k} is not Tag.N.Key."),
                    ));
                }
            }
        }
        by_index
            .into_iter()
            .map(|(n, (key, value))| match key.filter(|k| !k.is_empty()) {
                Some(key) => Ok(ResourceTag::new(key, value.unwrap_or(""))),
                None => Err(OpenApiError::invalid(
                    "Tag",
                    format!("Tag.{n}.Key is missing."),
                )),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(raw: &str) -> Params {
        let mut p = Params::default();
        p.extend_from_form(raw.as_bytes());
        p
    }

    #[test]
    fn typed_getters() {
        let p = params(
            "A=True&B=false&N=12&J=%7B%22Enabled%22%3Atrue%7D&Tag.2.Key=b&Tag.1.Key=a&Tag.1.Value=x+y",
        );
        assert_eq!(p.bool("A").unwrap(), Some(true));
        assert_eq!(p.bool("B").unwrap(), Some(false));
        assert_eq!(p.int("N").unwrap(), Some(12));
        assert!(
            p.json_object("J").unwrap().unwrap()["Enabled"]
                .as_bool()
                .unwrap()
        );
        assert_eq!(
            p.tags().unwrap(),
            vec![ResourceTag::new("a", "x y"), ResourceTag::new("b", "")]
        );
        assert_eq!(p.required("Missing").unwrap_err().code, "MissingMissing");
        assert_eq!(params("N=x").int("N").unwrap_err().code, "InvalidN");
        assert_eq!(params("A=yes").bool("A").unwrap_err().code, "InvalidA");
        assert_eq!(
            params("J=%5B%5D").json_object("J").unwrap_err().code,
            "InvalidJ"
        );
        assert_eq!(params("Tag.0.Key=a").tags().unwrap_err().code, "InvalidTag");
        assert_eq!(
            params("Tag.1.Value=a").tags().unwrap_err().code,
            "InvalidTag"
        );
    }
}

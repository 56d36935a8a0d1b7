//! The control-plane settings of a queue, topic or subscription in the state image: tags and the
//! rate-limit policy ([`crate::engine::ResourceMeta`]), which only the OpenAPI sets.

use serde::{Deserialize, Serialize};

use super::{ImageError, bad};
use crate::engine::{RateLimitPolicy, ResourceMeta, ResourceTag, validate_tags};

/// One tag of a queue or topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagImage {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: String,
}

/// A `TenantRateLimitPolicy` (stored, not enforced).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitImage {
    /// Whether the limit is on.
    pub enabled: bool,
    /// The cap per second, if set.
    pub max_per_second: Option<u32>,
}

/// The control-plane settings of one resource; empty (the default) for resources created over
/// the XML API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaImage {
    /// Tags, in the order given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagImage>,
    /// The rate-limit policy, if one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitImage>,
}

impl MetaImage {
    /// The row form of a resource's settings.
    pub(crate) fn of(meta: &ResourceMeta) -> Self {
        MetaImage {
            tags: meta
                .tags
                .iter()
                .map(|t| TagImage {
                    key: t.key.clone(),
                    value: t.value.clone(),
                })
                .collect(),
            rate_limit: meta.rate_limit.map(|r| RateLimitImage {
                enabled: r.enabled,
                max_per_second: r.max_receives_per_second,
            }),
        }
    }

    /// Whether nothing is set (the row leaves the field out).
    pub(crate) fn is_empty(&self) -> bool {
        *self == MetaImage::default()
    }

    /// The engine's settings, with the tags checked as the OpenAPI checks them.
    pub(crate) fn to_meta(&self, row: &str) -> Result<ResourceMeta, ImageError> {
        let tags: Vec<ResourceTag> = self
            .tags
            .iter()
            .map(|t| ResourceTag::new(t.key.clone(), t.value.clone()))
            .collect();
        validate_tags(&tags).map_err(|e| bad(format!("{row}: {e}")))?;
        Ok(ResourceMeta {
            tags,
            rate_limit: self.rate_limit.map(|r| RateLimitPolicy {
                enabled: r.enabled,
                max_receives_per_second: r.max_per_second,
            }),
        })
    }
}

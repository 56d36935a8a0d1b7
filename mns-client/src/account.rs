//! Account-level operations (reference mns-queues §4.14, §4.15): the account's logging
//! attributes and OpenService.
//!
//! ```no_run
//! # async fn demo(client: mns_client::Client) -> Result<(), mns_client::Error> {
//! use mns_client::account::AccountOptions;
//! client
//!     .set_account_attributes(&AccountOptions {
//!         logging_bucket: Some("my-log-bucket".into()),
//!         ..AccountOptions::default()
//!     })
//!     .await?;
//! let attrs = client.get_account_attributes().await?;
//! assert_eq!(attrs.logging_bucket, "my-log-bucket");
//! # Ok(())
//! # }
//! ```

use reqwest::Method;
use serde::Deserialize;

use crate::client::Client;
use crate::error::Error;
use crate::transport::Request;
use crate::xml::{XmlWriter, parse_bool};

/// The account's attributes, as `GetAccountAttributes` reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountAttributes {
    /// The OSS bucket that receives MNS logs; empty when logging is off.
    pub logging_bucket: String,
    /// Whether message tracing is on, when the service reports it (`TraceEnabled`, Java SDK 2.x).
    pub trace_enabled: Option<bool>,
}

/// What `SetAccountAttributes` changes; fields left `None` are not sent and stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountOptions {
    /// The OSS bucket for MNS logs (empty text turns logging off).
    pub logging_bucket: Option<String>,
    /// Message tracing (`TraceEnabled`, sent as `1` / `0` as the Java SDK does).
    pub trace_enabled: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct AccountXml {
    logging_bucket: Option<String>,
    trace_enabled: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct OpenServiceXml {
    order_id: Option<String>,
}

pub(crate) fn account_body(o: &AccountOptions) -> Result<String, Error> {
    let mut w = XmlWriter::new("Account", 128);
    if let Some(b) = &o.logging_bucket {
        crate::xml::check_text("LoggingBucket", b)?;
        w.elem("LoggingBucket", b);
    }
    if let Some(t) = o.trace_enabled {
        w.elem("TraceEnabled", if t { "1" } else { "0" });
    }
    Ok(w.finish())
}

impl Client {
    /// GetAccountAttributes (`GET /?accountmeta=true`).
    pub async fn get_account_attributes(&self) -> Result<AccountAttributes, Error> {
        const OP: &str = "GetAccountAttributes";
        let req = Request::new(OP, Method::GET, "/?accountmeta=true".to_owned());
        let resp = self.execute(req).await?;
        resp.expect_status(OP, &[200])?;
        let doc: AccountXml = resp.decode(OP)?;
        let trace_enabled = match doc.trace_enabled.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => Some(
                parse_bool(t)
                    .ok_or_else(|| resp.decode_error(OP, format!("TraceEnabled is {t:?}")))?,
            ),
        };
        Ok(AccountAttributes {
            logging_bucket: doc.logging_bucket.unwrap_or_default().trim().to_owned(),
            trace_enabled,
        })
    }

    /// SetAccountAttributes (`PUT /?accountmeta=true`): changes only what `options` sets.
    pub async fn set_account_attributes(&self, options: &AccountOptions) -> Result<(), Error> {
        const OP: &str = "SetAccountAttributes";
        let req = Request::new(OP, Method::PUT, "/?accountmeta=true".to_owned())
            .body(account_body(options)?);
        let resp = self.execute(req).await?;
        resp.expect_status(OP, &[204, 200])
    }

    /// OpenService (`POST /commonbuy/openservice`): activates MNS on the account and returns the
    /// order id the service reports.
    pub async fn open_service(&self) -> Result<String, Error> {
        const OP: &str = "OpenService";
        let req = Request::new(OP, Method::POST, "/commonbuy/openservice".to_owned());
        let resp = self.execute(req).await?;
        resp.expect_status(OP, &[200, 201, 204])?;
        if resp.status == 204 {
            return Ok(String::new());
        }
        let doc: OpenServiceXml = resp.decode(OP)?;
        Ok(doc.order_id.unwrap_or_default().trim().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_body_sends_only_what_is_set() {
        let both = AccountOptions {
            logging_bucket: Some("b&1".into()),
            trace_enabled: Some(true),
        };
        assert_eq!(
            account_body(&both).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Account xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\
             <LoggingBucket>b&amp;1</LoggingBucket><TraceEnabled>1</TraceEnabled></Account>"
        );
        let none = account_body(&AccountOptions::default()).unwrap();
        assert!(!none.contains("LoggingBucket") && !none.contains("TraceEnabled"));
        let bad = AccountOptions {
            logging_bucket: Some("a\u{1}".into()),
            ..AccountOptions::default()
        };
        assert!(matches!(
            account_body(&bad),
            Err(Error::InvalidXmlChar { .. })
        ));
    }
}

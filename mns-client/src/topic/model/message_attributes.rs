//! Per-endpoint extras of PublishMessage (`MessageAttributes`): direct mail and SMS.

use super::*;

/// Per-endpoint extras of `PublishMessage` (`<MessageAttributes>`, reference §4). Each present
/// field becomes one child element whose text is a JSON object. HTTP and queue endpoints ignore
/// them.
///
/// ```
/// use mns_client::topic::{DirectMailAttributes, MessageAttributes};
/// let attrs = MessageAttributes {
///     direct_mail: Some(DirectMailAttributes::new("no-reply@mail.example.com", "Hi")),
///     ..Default::default()
/// };
/// let elements = attrs.to_elements()?;
/// assert_eq!(elements[0].0, "DirectMail");
/// assert_eq!(
///     elements[0].1,
///     r#"{"AccountName":"no-reply@mail.example.com","Subject":"Hi","AddressType":0,"IsHtml":0,"ReplyToAddress":0}"#
/// );
/// # Ok::<(), mns_client::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageAttributes {
    /// `DirectMail`: mail sent by a `mail:directmail:` subscription.
    pub direct_mail: Option<DirectMailAttributes>,
    /// `DirectSMS`: SMS sent by a `sms:directsms:` subscription.
    pub direct_sms: Option<DirectSmsAttributes>,
    /// `DM` (newer SDKs): overrides a mail subscription's recipient for this message.
    pub dm: Option<DmAttributes>,
    /// `DYSMS` (newer SDKs): overrides an SMS subscription's recipient for this message.
    pub dysms: Option<DysmsAttributes>,
}

impl MessageAttributes {
    /// Whether no attribute is set (the `<MessageAttributes>` element is then omitted).
    pub fn is_empty(&self) -> bool {
        self.direct_mail.is_none()
            && self.direct_sms.is_none()
            && self.dm.is_none()
            && self.dysms.is_none()
    }

    /// The child elements of `<MessageAttributes>` as `(element name, JSON text)` pairs, in a
    /// fixed order. The caller XML-escapes the text.
    pub fn to_elements(&self) -> Result<Vec<(&'static str, String)>> {
        let mut out = Vec::new();
        if let Some(a) = &self.direct_mail {
            out.push(("DirectMail", a.to_json()?));
        }
        if let Some(a) = &self.direct_sms {
            out.push(("DirectSMS", a.to_json()?));
        }
        if let Some(a) = &self.dm {
            out.push(("DM", a.to_json()?));
        }
        if let Some(a) = &self.dysms {
            out.push(("DYSMS", a.to_json()?));
        }
        Ok(out)
    }
}

fn to_json<T: serde::Serialize>(what: &str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| invalid(format!("{what}: {e}")))
}

fn flag(b: bool) -> u8 {
    u8::from(b)
}

/// Which sender address DirectMail uses (`AddressType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum MailAddressType {
    /// `0`: a random account address.
    #[default]
    Random,
    /// `1`: the sender address given in `AccountName`.
    SenderAddress,
}

/// `DirectMail` attributes: sender, subject and flags of the mail.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirectMailAttributes {
    /// Sender address (`AccountName`), configured in DirectMail.
    pub account_name: String,
    /// Mail subject.
    pub subject: String,
    /// Sender address kind (`AddressType`).
    pub address_type: MailAddressType,
    /// Whether the body is HTML (`IsHtml`).
    pub is_html: bool,
    /// Whether replies go to the sender address (`ReplyToAddress`).
    pub reply_to_address: bool,
}

impl DirectMailAttributes {
    /// Plain-text mail from `account_name` with `subject`, random address type, no reply-to.
    pub fn new(account_name: impl Into<String>, subject: impl Into<String>) -> Self {
        DirectMailAttributes {
            account_name: account_name.into(),
            subject: subject.into(),
            address_type: MailAddressType::Random,
            is_html: false,
            reply_to_address: false,
        }
    }

    /// The JSON text of the `DirectMail` element.
    pub fn to_json(&self) -> Result<String> {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Wire<'a> {
            account_name: &'a str,
            subject: &'a str,
            address_type: u8,
            is_html: u8,
            reply_to_address: u8,
        }
        if self.account_name.is_empty() {
            return Err(invalid("DirectMail AccountName must not be empty"));
        }
        to_json(
            "DirectMail",
            &Wire {
                account_name: &self.account_name,
                subject: &self.subject,
                address_type: match self.address_type {
                    MailAddressType::Random => 0,
                    MailAddressType::SenderAddress => 1,
                },
                is_html: flag(self.is_html),
                reply_to_address: flag(self.reply_to_address),
            },
        )
    }
}

/// What a `DirectSMS` message sends and to whom.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmsContent {
    /// `singleContent`: the same template parameters for every receiver.
    Single {
        /// Receivers' phone numbers (`Receiver`, comma-separated on the wire); may be empty when
        /// the subscription names a fixed phone.
        receivers: Vec<String>,
        /// Template variables.
        params: BTreeMap<String, String>,
    },
    /// `multiContent`: per-phone template parameters (only for `sms:directsms:anonymous`).
    Multi {
        /// Template variables per phone number.
        params: BTreeMap<String, BTreeMap<String, String>>,
    },
}

/// `DirectSMS` attributes: signature, template and content.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirectSmsAttributes {
    /// SMS signature name (`FreeSignName`).
    pub free_sign_name: String,
    /// SMS template code (`TemplateCode`).
    pub template_code: String,
    /// Receivers and parameters.
    pub content: SmsContent,
}

impl DirectSmsAttributes {
    /// `DirectSMS` attributes with the given signature, template and content.
    pub fn new(
        free_sign_name: impl Into<String>,
        template_code: impl Into<String>,
        content: SmsContent,
    ) -> Self {
        DirectSmsAttributes {
            free_sign_name: free_sign_name.into(),
            template_code: template_code.into(),
            content,
        }
    }

    /// The JSON text of the `DirectSMS` element. `SmsParams` is itself a JSON *string*.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use mns_client::topic::{DirectSmsAttributes, SmsContent};
    /// let sms = DirectSmsAttributes::new("Shop", "SMS_1", SmsContent::Single {
    ///     receivers: vec!["13800000000".into(), "13900000000".into()],
    ///     params: BTreeMap::from([("code".to_string(), "42".to_string())]),
    /// });
    /// assert_eq!(
    ///     sms.to_json()?,
    ///     r#"{"FreeSignName":"Shop","TemplateCode":"SMS_1","Type":"singleContent","Receiver":"13800000000,13900000000","SmsParams":"{\"code\":\"42\"}"}"#
    /// );
    /// # Ok::<(), mns_client::Error>(())
    /// ```
    pub fn to_json(&self) -> Result<String> {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Wire<'a> {
            free_sign_name: &'a str,
            template_code: &'a str,
            #[serde(rename = "Type")]
            kind: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            receiver: Option<String>,
            sms_params: String,
        }
        if self.free_sign_name.is_empty() || self.template_code.is_empty() {
            return Err(invalid(
                "DirectSMS FreeSignName and TemplateCode must not be empty",
            ));
        }
        let (kind, receiver, sms_params) = match &self.content {
            SmsContent::Single { receivers, params } => (
                "singleContent",
                (!receivers.is_empty()).then(|| receivers.join(",")),
                to_json("DirectSMS SmsParams", params)?,
            ),
            SmsContent::Multi { params } => (
                "multiContent",
                None,
                to_json("DirectSMS SmsParams", params)?,
            ),
        };
        to_json(
            "DirectSMS",
            &Wire {
                free_sign_name: &self.free_sign_name,
                template_code: &self.template_code,
                kind,
                receiver,
                sms_params,
            },
        )
    }
}

/// `DM` attributes (newer SDKs): per-message mail recipient and subject.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DmAttributes {
    /// Recipient address (`MailAddress`).
    pub mail_address: String,
    /// Mail subject.
    pub subject: String,
    /// Whether the body is HTML (`IsHtml`).
    pub is_html: bool,
}

impl DmAttributes {
    /// Plain-text mail to `mail_address` with `subject`.
    pub fn new(mail_address: impl Into<String>, subject: impl Into<String>) -> Self {
        DmAttributes {
            mail_address: mail_address.into(),
            subject: subject.into(),
            is_html: false,
        }
    }

    /// The JSON text of the `DM` element.
    pub fn to_json(&self) -> Result<String> {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Wire<'a> {
            mail_address: &'a str,
            subject: &'a str,
            is_html: u8,
        }
        MailEndpoint::new(self.mail_address.clone())?;
        to_json(
            "DM",
            &Wire {
                mail_address: &self.mail_address,
                subject: &self.subject,
                is_html: flag(self.is_html),
            },
        )
    }
}

/// `DYSMS` attributes (newer SDKs): per-message SMS recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DysmsAttributes {
    /// Recipient phone number (`PhoneNumber`), digits.
    pub phone_number: String,
}

impl DysmsAttributes {
    /// SMS to `phone_number`.
    pub fn new(phone_number: impl Into<String>) -> Self {
        DysmsAttributes {
            phone_number: phone_number.into(),
        }
    }

    /// The JSON text of the `DYSMS` element.
    pub fn to_json(&self) -> Result<String> {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Wire<'a> {
            phone_number: &'a str,
        }
        if self.phone_number.is_empty() || !self.phone_number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!(
                "DYSMS PhoneNumber {:?} must be digits",
                self.phone_number
            )));
        }
        to_json(
            "DYSMS",
            &Wire {
                phone_number: &self.phone_number,
            },
        )
    }
}

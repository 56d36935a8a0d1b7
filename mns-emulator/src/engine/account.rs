//! Account-level settings: the data plane's `SetAccountAttributes` (`/?accountmeta=true`) and
//! the control plane's `SetAccountAttributes`. They are engine state, so they are in the state
//! image (snapshots, the data directory) and a full reset clears them.

use serde::{Deserialize, Serialize};

use super::Engine;

/// The settings of the control plane's `SetAccountAttributes` (plain values; no SLS is written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ControlAccountSettings {
    /// `LogEnabled`.
    pub log_enabled: bool,
    /// `LogStoreName`.
    pub log_store_name: String,
    /// `MessageTraceEnabled`.
    pub message_trace_enabled: bool,
    /// `ProjectName`.
    pub project_name: String,
}

/// Every account-level setting an emulator stores (also the `account` field of
/// [`GlobalsImage`](super::GlobalsImage); absent there while all are unset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountSettings {
    /// The data plane's `LoggingBucket` (empty when unset).
    pub logging_bucket: String,
    /// The data plane's `TraceEnabled`, as sent (`None` when never set).
    pub trace_enabled: Option<String>,
    /// The control plane's settings.
    pub control: ControlAccountSettings,
}

impl AccountSettings {
    /// Whether nothing was ever set (the default).
    pub fn is_default(&self) -> bool {
        *self == AccountSettings::default()
    }
}

impl Engine {
    /// The account-level settings.
    pub fn account_settings(&self) -> &AccountSettings {
        &self.account
    }

    /// Changes the account-level settings (marked changed for persistence).
    pub fn update_account_settings(&mut self, f: impl FnOnce(&mut AccountSettings)) {
        f(&mut self.account);
        self.log.globals();
    }
}

//! The conformance suite against real MNS. Ignored by default; run it with
//!
//! ```text
//! MNS_ENDPOINT=https://<account-id>.mns.<region>.aliyuncs.com \
//! ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=... \
//! cargo test --test conformance -- conformance_live:: --ignored --test-threads 4
//! ```
//!
//! (or `MNS_ACCOUNT_ID` + `MNS_REGION` instead of `MNS_ENDPOINT`; the two STS cases also need
//! `ALIBABA_CLOUD_ROLE_ARN`, a role the keys may assume). Every queue and topic a case
//! creates is named `mnsrs-conf-…` and deleted when the case ends, passed or failed. Without
//! configuration each test fails at once with a message naming what is missing.

mns_testkit::conformance_tests!(live: mns_testkit::Target::live_from_env());

//! Verification of MNS HTTP-push requests.

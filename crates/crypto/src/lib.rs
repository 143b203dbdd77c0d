//! Sealed secrets and Twilio webhook signatures.
//!
//! This crate is reusable on its own: it knows nothing of tenants, databases or HTTP
//! frameworks. It offers an AES-256-GCM keyring for secrets stored at rest (with key
//! rotation) and the `X-Twilio-Signature` algorithm exactly as the official SDKs compute it.

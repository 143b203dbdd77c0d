//! Typed async client for Twilio's phone-number REST surface.
//!
//! Reusable on its own: it knows nothing of tenants. Searches inventory, buys, lists,
//! updates and releases incoming phone numbers, reads pricing, and checks credentials.

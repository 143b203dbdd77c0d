//! Route handlers, one module per area.

pub mod channels;
pub mod console;
pub mod health;
pub mod legacy;
pub mod number;
pub mod ops;
pub mod phone_numbers;
pub mod purchase;
pub mod sandbox;
pub mod subscriptions;
pub mod webhooks;

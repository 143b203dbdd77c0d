//! Stateful in-memory emulator of Twilio's phone-number API.
//!
//! Serves Twilio's paths, status codes and JSON shapes on a loopback port, for tests,
//! benchmarks and the service's sandbox mode.

//! Benchmarks of webhook signature validation and of sealing/opening a token, each beside
//! its floor measured in the same run:
//!
//! - `signature/validate_voice_webhook`: a typical inbound-call webhook (23 form params in
//!   arbitrary order, 587 signed bytes) through `SignatureValidator::validate_form`, versus
//!   `signature/floor_hmac_sha1`: one bare HMAC-SHA1 over the exact signed bytes.
//!   `signature/validate_voice_webhook_presorted` is the same request with the fields already
//!   in signing order.
//! - `sealed/seal_32_byte_token` and `sealed/open_32_byte_token` through the `Keyring`, versus
//!   `sealed/floor_ring_seal` / `sealed/floor_ring_open`: the bare `ring` AES-256-GCM calls on
//!   the same token and owner (the seal floor includes drawing the random nonce, which any
//!   correct seal must do). `sealed/ring_seal_without_nonce_draw` (a fixed nonce, never
//!   acceptable in real use) shows how much of a seal is the system call for randomness.
//!
//! Run with `cargo bench -p numbers-crypto --bench crypto`; results go in `docs/benchmarks.md`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_main};
use hmac::{Hmac, Mac as _};
use numbers_crypto::sealed::{EncryptionKey, Keyring};
use numbers_crypto::signature::{SignatureValidator, compute_signature};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom as _, SystemRandom};
use secrecy::SecretString;
use sha1::Sha1;

const AUTH_TOKEN: &str = "0123456789abcdef0123456789abcdef";
const OWNER: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN_32: &[u8; 32] = b"f3a9c2e17b4d58a06e9b1c7d2f4a8e05";

/// The URL and form fields of an inbound voice call webhook. The fields are listed in no
/// particular order, so validation pays for a real sort (see `validate_voice_webhook_presorted`
/// for fields that arrive already in signing order).
fn voice_webhook() -> (String, Vec<(String, String)>) {
    let url = "https://numbers.example.com/webhooks/twilio/voice\
               ?channel_id=5f0c6a1e-8d2b-4c7a-9e3f-1b2d3c4e5f60"
        .to_owned();
    let params = [
        ("CallSid", "CA9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
        ("To", "+14155550123"),
        ("From", "+12125550199"),
        ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
        ("ApiVersion", "2010-04-01"),
        ("Called", "+14155550123"),
        ("Caller", "+12125550199"),
        ("ToCity", "SAN FRANCISCO"),
        ("FromCity", "NEW YORK"),
        ("CalledCity", "SAN FRANCISCO"),
        ("CallerCity", "NEW YORK"),
        ("ToCountry", "US"),
        ("FromCountry", "US"),
        ("CalledCountry", "US"),
        ("CallerCountry", "US"),
        ("CalledState", "CA"),
        ("CallerState", "NY"),
        ("CalledZip", "94105"),
        ("CallerZip", "10001"),
        ("StirVerstat", "TN-Validation-Passed-A"),
        (
            "CallToken",
            "%7B%22parentCallInfoToken%22%3A%22eyJhbGciOiJFUzI1NiJ9%22%7D",
        ),
    ];
    let params = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    (url, params)
}

/// The exact bytes Twilio signs for this request, built independently of the crate.
fn signed_bytes(url: &str, params: &[(String, String)]) -> Vec<u8> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut signed = url.as_bytes().to_vec();
    for (key, value) in sorted {
        signed.extend_from_slice(key.as_bytes());
        signed.extend_from_slice(value.as_bytes());
    }
    signed
}

fn signature(c: &mut Criterion) {
    let (url, params) = voice_webhook();
    let header = compute_signature(AUTH_TOKEN, &url, &params);
    let signed = signed_bytes(&url, &params);
    let validator = SignatureValidator::new(SecretString::from(AUTH_TOKEN));
    assert!(
        validator
            .validate_form(&url, &params, Some(&header))
            .is_ok()
    );
    eprintln!(
        "voice webhook: {} params, {} signed bytes",
        params.len(),
        signed.len()
    );

    let mut group = c.benchmark_group("signature");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("validate_voice_webhook", |b| {
        b.iter(|| {
            validator
                .validate_form(
                    black_box(&url),
                    black_box(&params),
                    Some(black_box(&header)),
                )
                .is_ok()
        });
    });
    let mut presorted = params.clone();
    presorted.sort();
    group.bench_function("validate_voice_webhook_presorted", |b| {
        b.iter(|| {
            validator
                .validate_form(
                    black_box(&url),
                    black_box(&presorted),
                    Some(black_box(&header)),
                )
                .is_ok()
        });
    });
    group.bench_function("floor_hmac_sha1", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha1>::new_from_slice(black_box(AUTH_TOKEN.as_bytes()))
                .expect("HMAC takes any key length");
            mac.update(black_box(&signed));
            mac.finalize().into_bytes()
        });
    });
    group.finish();
}

fn sealed(c: &mut Criterion) {
    let keyring = Keyring::new(EncryptionKey::from_bytes(&[0x42; 32]), []);
    let sealed = keyring.seal(TOKEN_32, OWNER).expect("seal");

    let rng = SystemRandom::new();
    let ring_key =
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[0x42; 32]).expect("32-byte AES-256 key"));
    let ring_seal = || {
        let mut nonce = [0u8; 12];
        rng.fill(&mut nonce).expect("random nonce");
        let mut out = Vec::with_capacity(12 + TOKEN_32.len() + 16);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(black_box(TOKEN_32));
        let tag = ring_key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(black_box(OWNER.as_bytes())),
                &mut out[12..],
            )
            .expect("seal");
        out.extend_from_slice(tag.as_ref());
        out
    };
    let ring_blob = ring_seal();
    let fixed_nonce_seal = || {
        let mut out = Vec::with_capacity(12 + TOKEN_32.len() + 16);
        out.extend_from_slice(&[7u8; 12]);
        out.extend_from_slice(black_box(TOKEN_32));
        let tag = ring_key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key([7u8; 12]),
                Aad::from(black_box(OWNER.as_bytes())),
                &mut out[12..],
            )
            .expect("seal");
        out.extend_from_slice(tag.as_ref());
        out
    };

    let mut group = c.benchmark_group("sealed");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("seal_32_byte_token", |b| {
        b.iter(|| {
            keyring
                .seal(black_box(TOKEN_32), black_box(OWNER))
                .expect("seal")
        });
    });
    group.bench_function("floor_ring_seal", |b| b.iter(ring_seal));
    // Not a floor (a fixed nonce is unusable): shows how much of a seal is the nonce draw.
    group.bench_function("ring_seal_without_nonce_draw", |b| b.iter(fixed_nonce_seal));
    group.bench_function("open_32_byte_token", |b| {
        b.iter(|| {
            keyring
                .open(black_box(&sealed), black_box(OWNER))
                .expect("open")
        });
    });
    group.bench_function("floor_ring_open", |b| {
        b.iter(|| {
            let mut nonce = [0u8; 12];
            nonce.copy_from_slice(&ring_blob[..12]);
            let mut buffer = black_box(&ring_blob[12..]).to_vec();
            let len = ring_key
                .open_in_place(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(black_box(OWNER.as_bytes())),
                    &mut buffer,
                )
                .expect("open")
                .len();
            buffer.truncate(len);
            buffer
        });
    });
    group.finish();
}

// `criterion_group!` defines a `pub fn` without docs; a private module keeps it out of the
// crate's public surface (and out of the `missing_docs` lint's reach).
mod group {
    criterion::criterion_group!(benches, super::signature, super::sealed);
}
criterion_main!(group::benches);

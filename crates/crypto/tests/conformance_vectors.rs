//! Conformance: the 55 signature vectors collected from the official Twilio SDKs' tests.
//!
//! The vectors live outside the repository, in the shared reference folder. Point
//! `NUMBERS_CONFORMANCE_DIR` at that folder (absolute, or relative to the workspace root, e.g.
//! `NUMBERS_CONFORMANCE_DIR=../shared`) to run these tests; without it they say so and pass.
//! With it set, a missing file is a failure.

use std::path::{Path, PathBuf};

use numbers_crypto::SignatureError;
use numbers_crypto::signature::{
    PortEdit, QuoteEdit, SignatureMatch, body_sha256_hex, compute_signature, compute_url_signature,
    validate_form, validate_get, validate_json,
};
use serde_json::Value;

const VECTORS_FILE: &str = "reference/twilio-signature-vectors.json";

/// The parsed vectors file, or `None` (after saying why) when the variable is unset.
fn load_vectors() -> Option<Value> {
    let Some(dir) = std::env::var_os("NUMBERS_CONFORMANCE_DIR") else {
        eprintln!(
            "skipped: NUMBERS_CONFORMANCE_DIR is not set, so the shared Twilio signature \
             vectors ({VECTORS_FILE}) cannot be found; set it to the shared folder to run this"
        );
        return None;
    };
    let dir = PathBuf::from(dir);
    let dir = if dir.is_absolute() {
        dir
    } else {
        // Relative paths are taken from the workspace root, two levels above this crate.
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(dir)
    };
    let path = dir.join(VECTORS_FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "NUMBERS_CONFORMANCE_DIR is set but {} cannot be read: {error}",
            path.display()
        )
    });
    Some(serde_json::from_str(&text).expect("the vectors file is valid JSON"))
}

fn str_field<'a>(vector: &'a Value, field: &str) -> &'a str {
    vector[field]
        .as_str()
        .unwrap_or_else(|| panic!("vector {} has no string field {field}", vector["id"]))
}

/// Ordered `(key, value)` pairs; a JSON `null` value is an empty value (key only).
fn params_pairs(vector: &Value) -> Vec<(String, String)> {
    vector["params_pairs"]
        .as_array()
        .expect("params_pairs is an array")
        .iter()
        .map(|pair| {
            let key = pair[0].as_str().expect("key is a string").to_owned();
            let value = pair[1].as_str().unwrap_or("").to_owned();
            (key, value)
        })
        .collect()
}

fn validate_vector(vector: &Value) -> Result<SignatureMatch, SignatureError> {
    let token = str_field(vector, "auth_token");
    let url = str_field(vector, "url");
    let header = Some(str_field(vector, "signature"));
    match vector["body"].as_str() {
        Some(body) => validate_json(token, url, body.as_bytes(), header),
        None => validate_form(token, url, &params_pairs(vector), header),
    }
}

fn vectors(file: &Value) -> &Vec<Value> {
    file["vectors"].as_array().expect("vectors is an array")
}

#[test]
fn all_vectors_give_the_expected_validity() {
    let Some(file) = load_vectors() else { return };
    let vectors = vectors(&file);
    assert_eq!(vectors.len(), 55);
    assert_eq!(file["vector_count"].as_u64(), Some(55));

    let mut wrong = Vec::new();
    for vector in vectors {
        let expected = vector["expected_valid"]
            .as_bool()
            .expect("expected_valid is a bool");
        let result = validate_vector(vector);
        if result.is_ok() != expected {
            wrong.push(format!(
                "{}: expected valid={expected}, got {result:?}",
                vector["id"]
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "vectors with the wrong result:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn valid_vectors_match_through_the_recorded_url_variant() {
    let Some(file) = load_vectors() else { return };
    let mut checked = 0;
    for vector in vectors(&file)
        .iter()
        .filter(|v| v["expected_valid"] == true)
    {
        let matched = validate_vector(vector).expect("valid vector validates");
        let variant = str_field(vector, "signed_url_variant");
        let expected_port = match variant {
            "as_given" | "normalised:as_given" => PortEdit::AsGiven,
            "port_removed" => PortEdit::Removed,
            "default_port_added" => PortEdit::DefaultAdded,
            other => panic!("vector {}: unknown variant {other}", vector["id"]),
        };
        assert_eq!(matched.port_edit, expected_port, "vector {}", vector["id"]);
        if variant.starts_with("normalised:") {
            assert_ne!(
                matched.quote_edit,
                QuoteEdit::AsGiven,
                "vector {}",
                vector["id"]
            );
        } else {
            assert_eq!(
                matched.quote_edit,
                QuoteEdit::AsGiven,
                "vector {}",
                vector["id"]
            );
        }
        assert_eq!(matched.token_index, 0);
        checked += 1;
    }
    assert_eq!(checked, 47);
}

#[test]
fn signed_strings_hash_to_the_recorded_signatures() {
    let Some(file) = load_vectors() else { return };
    for vector in vectors(&file)
        .iter()
        .filter(|v| v["expected_valid"] == true)
    {
        let token = str_field(vector, "auth_token");
        let signature = str_field(vector, "signature");
        // The signed string is the exact HMAC input: hashing it as a bare URL must reproduce
        // the header, which checks the HMAC and base64 steps apart from URL handling.
        assert_eq!(
            compute_url_signature(token, str_field(vector, "signed_string")),
            signature,
            "vector {}",
            vector["id"]
        );
        // Where the URL was signed as given, computing from URL and params gives the header.
        if vector["signed_url_variant"] == "as_given" && vector["body"].is_null() {
            assert_eq!(
                compute_signature(token, str_field(vector, "url"), &params_pairs(vector)),
                signature,
                "vector {}",
                vector["id"]
            );
        }
    }
}

#[test]
fn apostrophe_vectors_flagged_for_sdk_normalisation_are_accepted() {
    let Some(file) = load_vectors() else { return };
    let flagged: Vec<&Value> = vectors(&file)
        .iter()
        .filter(|v| v.get("sdk_normalization_needed").is_some())
        .collect();
    assert_eq!(flagged.len(), 3);
    for vector in flagged {
        assert_eq!(vector["expected_valid"], true);
        let matched = validate_vector(vector).expect("flagged vector validates");
        assert_ne!(
            matched.quote_edit,
            QuoteEdit::AsGiven,
            "vector {}",
            vector["id"]
        );
    }
}

#[test]
fn body_hash_vectors_agree_with_body_sha256_hex() {
    let Some(file) = load_vectors() else { return };
    let body_vectors = file["body_hash_vectors"]
        .as_array()
        .expect("body_hash_vectors is an array");
    assert!(!body_vectors.is_empty());
    for vector in body_vectors {
        let expected_valid = vector["expected_valid"].as_bool().unwrap_or(true);
        let matches = body_sha256_hex(str_field(vector, "body").as_bytes())
            == str_field(vector, "sha256_hex");
        assert_eq!(matches, expected_valid, "body hash vector {vector}");
    }
}

#[test]
fn json_vectors_are_refused_when_validated_as_form_or_get_requests() {
    let Some(file) = load_vectors() else { return };
    let mut checked = 0;
    for vector in vectors(&file)
        .iter()
        .filter(|v| str_field(v, "url").contains("bodySHA256="))
    {
        // Their bodies go through validate_json above; routed to the form or GET check, which
        // cannot look at a body, they must be refused whatever the signature says.
        let token = str_field(vector, "auth_token");
        let url = str_field(vector, "url");
        let header = Some(str_field(vector, "signature"));
        assert_eq!(
            validate_form(token, url, &params_pairs(vector), header),
            Err(SignatureError::BodyNotChecked),
            "vector {}",
            vector["id"]
        );
        assert_eq!(
            validate_get(token, url, header),
            Err(SignatureError::BodyNotChecked),
            "vector {}",
            vector["id"]
        );
        checked += 1;
    }
    assert_eq!(checked, 4);
}

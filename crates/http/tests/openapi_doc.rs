//! `docs/openapi.json` is the document the code generates; regenerate it with
//! `cargo run --bin api -- openapi > docs/openapi.json` when this fails.

#[test]
fn the_committed_openapi_document_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = numbers_http::openapi::document_json();
    assert!(
        committed == generated,
        "docs/openapi.json is stale: run `cargo run --bin api -- openapi > docs/openapi.json`"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    for path in [
        "/v1/phone-numbers",
        "/v1/phone-numbers/available",
        "/v1/phone-numbers/pricing",
        "/v1/channels",
        "/v1/tenants/{tenant_id}/phone-numbers",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

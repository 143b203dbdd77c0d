//! The OpenAPI document against the server (SPEC §5: it states every constraint the server
//! enforces, so a client generated from it sends nothing the server refuses).
//!
//! - Every parameter and body field the server validates has its rule in the document
//!   (a table of route, parameter and expected constraint), and every route lists the
//!   statuses it can answer.
//! - Over real HTTP: values the document allows are accepted and values it forbids are
//!   refused with `validation_failed` naming the parameter — hand-picked edge cases, values
//!   generated from the document's own patterns, and, for the rules the document states
//!   exactly, random strings whose two verdicts must agree. Successful answers conform to
//!   the document's response schemas.
//! - Every other method on a documented path is 405 with `Allow` listing the path's methods.

mod support;

use numbers_domain::{NumberStatus, NumberType};
use numbers_persistence::{Actor, NewReservation, both_backends};
use proptest::strategy::{Strategy as _, ValueTree as _};
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};
use support::{TestServer, TestTenant};

const COUNTRY_PARAM: &str = "^[A-Za-z]{2}$";
const CONTAINS: &str = r"^(?:\+|%+|\**)[0-9A-Za-z][0-9A-Za-z*]*[0-9A-Za-z](?:\$|%+|\**)$";
const KIND: &str = "^[a-z][a-z0-9_]{0,31}$";
const NAME: &str = r"[^\s\u0085]";

fn document() -> Value {
    serde_json::from_str(&numbers_http::openapi::document_json()).expect("the document is JSON")
}

/// `schema` with its `$ref` followed (directly or as the only member of a `oneOf`), for
/// reading its keywords.
fn resolved<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let reference =
        schema["$ref"]
            .as_str()
            .or_else(|| match schema["oneOf"].as_array().map(Vec::as_slice) {
                Some([only]) => only["$ref"].as_str(),
                _ => None,
            });
    match reference {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn parameter<'a>(doc: &'a Value, path: &str, name: &str) -> &'a Value {
    doc["paths"][path]["get"]["parameters"]
        .as_array()
        .and_then(|params| params.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("{path} documents the parameter {name}"))
}

fn channel_body_schema(doc: &Value) -> &Value {
    resolved(
        doc,
        &doc["paths"]["/v1/channels"]["post"]["requestBody"]["content"]["application/json"]["schema"],
    )
}

/// Asserts every keyword of `expected` appears in `schema` with that value.
#[track_caller]
fn assert_states(schema: &Value, expected: &Value, what: &str) {
    for (keyword, value) in expected.as_object().expect("an object of keywords") {
        assert_eq!(&schema[keyword], value, "{what}: {keyword} in {schema}");
    }
}

/// A JSON-Schema validator for `schema`, resolving `$ref`s into the document's components.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let root = json!({ "components": doc["components"], "allOf": [schema] });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .expect("a valid schema")
}

#[test]
fn every_rule_the_server_enforces_is_in_the_document() {
    let doc = document();
    let statuses: Vec<&str> = NumberStatus::ALL.map(NumberStatus::as_str).to_vec();
    let types: Vec<&str> = NumberType::ALL.map(NumberType::as_str).to_vec();
    let mut filters = statuses.clone();
    filters.push("all");

    // (path, parameter, required, what its schema must state)
    let rules = [
        (
            "/v1/phone-numbers",
            "status",
            false,
            json!({"type": "string", "enum": filters}),
        ),
        (
            "/v1/phone-numbers/available",
            "country",
            true,
            json!({"type": "string", "pattern": COUNTRY_PARAM}),
        ),
        (
            "/v1/phone-numbers/available",
            "type",
            false,
            json!({"type": "string", "enum": types}),
        ),
        (
            "/v1/phone-numbers/available",
            "contains",
            false,
            json!({"type": "string", "minLength": 2, "maxLength": 16, "pattern": CONTAINS}),
        ),
        (
            "/v1/phone-numbers/available",
            "limit",
            false,
            json!({"type": "integer", "minimum": 1, "maximum": 30, "default": 20}),
        ),
        (
            "/v1/phone-numbers/pricing",
            "country",
            true,
            json!({"type": "string", "pattern": COUNTRY_PARAM}),
        ),
        (
            "/v1/tenants/{tenant_id}/phone-numbers",
            "tenant_id",
            true,
            json!({"type": "string", "format": "uuid"}),
        ),
        (
            "/v1/phone-numbers/{id}/calls",
            "limit",
            false,
            json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
        ),
        (
            "/v1/phone-numbers/{id}/calls",
            "before",
            false,
            json!({"type": "string", "pattern": "^CA[0-9A-Fa-f]{32}$"}),
        ),
        (
            "/v1/phone-numbers/{id}/calls",
            "id",
            true,
            json!({"type": "string", "format": "uuid"}),
        ),
    ];
    for (path, name, required, expected) in &rules {
        let param = parameter(&doc, path, name);
        assert_eq!(param["required"], *required, "{path} {name}");
        assert_states(
            resolved(&doc, &param["schema"]),
            expected,
            &format!("{path} {name}"),
        );
    }
    // The parameters each route reads (and no other: the rest are refused).
    for (path, names) in [
        ("/v1/phone-numbers", vec!["status"]),
        (
            "/v1/phone-numbers/available",
            vec!["country", "type", "contains", "limit"],
        ),
        ("/v1/phone-numbers/pricing", vec!["country"]),
        ("/v1/tenants/{tenant_id}/phone-numbers", vec!["tenant_id"]),
        (
            "/v1/phone-numbers/{id}/calls",
            vec!["id", "limit", "before"],
        ),
    ] {
        let documented: Vec<&str> = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(documented, names, "{path}");
    }
    // `type` defaults to local (on the parameter or its schema).
    let number_type = parameter(&doc, "/v1/phone-numbers/available", "type");
    assert!(
        number_type["schema"]["default"] == "local" || number_type["default"] == "local",
        "{number_type}"
    );

    // The body of POST /v1/channels.
    let body = channel_body_schema(&doc);
    assert_states(
        body,
        &json!({"type": "object", "required": ["name"], "additionalProperties": false}),
        "channel body",
    );
    for (field, expected) in [
        (
            "name",
            json!({"type": "string", "minLength": 1, "maxLength": 100, "pattern": NAME}),
        ),
        ("kind", json!({"pattern": KIND})),
        (
            "agent_stream_url",
            json!({"format": "uri", "maxLength": 2048}),
        ),
    ] {
        assert_states(&body["properties"][field], &expected, field);
    }
    assert!(
        body["properties"]["agent_stream_url"]["pattern"]
            .as_str()
            .is_some_and(|p| p.starts_with("^wss?://")),
        "{body}"
    );
    let content = &doc["paths"]["/v1/channels"]["post"]["requestBody"]["content"];
    assert_eq!(
        content.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["application/json"]
    );

    // The body of POST /v1/phone-numbers/purchase, its Idempotency-Key, and the PATCH body.
    let purchase = &doc["paths"]["/v1/phone-numbers/purchase"]["post"];
    let body = resolved(
        &doc,
        &purchase["requestBody"]["content"]["application/json"]["schema"],
    );
    assert_states(
        body,
        &json!({"type": "object", "required": ["phone_number"], "additionalProperties": false}),
        "purchase body",
    );
    for (field, expected) in [
        ("phone_number", json!({"pattern": r"^\+[1-9][0-9]{7,14}$"})),
        ("channel_id", json!({"format": "uuid"})),
        ("iso_country", json!({"pattern": COUNTRY_PARAM})),
        (
            "monthly_price_usd",
            json!({"pattern": r"^[0-9]{1,8}(\.[0-9]{1,4})?$"}),
        ),
    ] {
        assert_states(&body["properties"][field], &expected, field);
    }
    let purchase_type = &body["properties"]["number_type"];
    let type_schema = purchase_type["oneOf"]
        .as_array()
        .and_then(|alternatives| alternatives.iter().find(|a| a["type"] != "null"))
        .unwrap_or(purchase_type);
    assert_eq!(
        resolved(&doc, type_schema)["enum"],
        json!(types),
        "{purchase_type}"
    );
    let key = purchase["parameters"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "Idempotency-Key"))
        .expect("the Idempotency-Key header is documented");
    assert_eq!(key["in"], "header");
    assert_states(
        &key["schema"],
        &json!({"minLength": 1, "maxLength": 255}),
        "Idempotency-Key",
    );
    let attach = resolved(
        &doc,
        &doc["paths"]["/v1/phone-numbers/{id}"]["patch"]["requestBody"]["content"]["application/json"]
            ["schema"],
    );
    assert_states(
        attach,
        &json!({"type": "object", "required": ["channel_id"], "additionalProperties": false}),
        "attach body",
    );
    assert_states(
        &attach["properties"]["channel_id"],
        &json!({"format": "uuid", "type": ["string", "null"]}),
        "attach channel_id",
    );
    let cancel = resolved(
        &doc,
        &doc["paths"]["/v1/subscriptions/{id}/cancel"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"],
    );
    assert_states(
        cancel,
        &json!({"type": "object", "required": ["immediate"], "additionalProperties": false}),
        "cancel body",
    );
    assert_states(
        &cancel["properties"]["immediate"],
        &json!({"type": "boolean"}),
        "cancel immediate",
    );
    for method in ["get", "delete", "patch"] {
        let id = doc["paths"]["/v1/phone-numbers/{id}"][method]["parameters"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["name"] == "id"))
            .unwrap_or_else(|| panic!("{method} documents id"));
        assert_eq!(id["in"], "path");
        assert_states(
            &id["schema"],
            &json!({"type": "string", "format": "uuid"}),
            method,
        );
    }

    // Names in answers.
    let schemas = &doc["components"]["schemas"];
    let enum_of = |schema: &Value| resolved(&doc, schema)["enum"].clone();
    assert_eq!(
        enum_of(&schemas["PhoneNumberView"]["properties"]["status"]),
        json!(statuses)
    );
    assert_eq!(
        enum_of(&schemas["PhoneNumberView"]["properties"]["number_type"]),
        json!(types)
    );
    assert_eq!(
        enum_of(&schemas["AvailableNumberList"]["properties"]["type"]),
        json!(types)
    );
    assert_eq!(
        enum_of(&schemas["AvailableNumberView"]["properties"]["address_requirements"]),
        json!(["none", "any", "local", "foreign"])
    );

    // Every status each route can answer, and no other.
    for (path, method, codes) in [
        (
            "/v1/phone-numbers",
            "get",
            &["200", "400", "401", "405", "500", "503"][..],
        ),
        (
            "/v1/phone-numbers/available",
            "get",
            &[
                "200", "400", "401", "403", "404", "405", "500", "502", "503",
            ],
        ),
        (
            "/v1/phone-numbers/pricing",
            "get",
            &["200", "400", "401", "403", "404", "405", "502", "503"],
        ),
        ("/v1/channels", "get", &["200", "401", "405", "500", "503"]),
        (
            "/v1/channels",
            "post",
            &[
                "201", "400", "401", "403", "405", "413", "415", "500", "503",
            ],
        ),
        (
            "/v1/tenants/{tenant_id}/phone-numbers",
            "get",
            &["200", "400", "401", "404", "405", "500", "503"],
        ),
        (
            "/v1/phone-numbers/purchase",
            "post",
            &[
                "201", "202", "400", "401", "402", "403", "404", "405", "409", "413", "415", "422",
                "500", "502", "503",
            ],
        ),
        (
            "/v1/phone-numbers/{id}",
            "get",
            &["200", "400", "401", "404", "405", "500", "503"],
        ),
        (
            "/v1/phone-numbers/{id}",
            "delete",
            &[
                "200", "400", "401", "403", "404", "405", "409", "500", "502", "503",
            ],
        ),
        (
            "/v1/phone-numbers/{id}",
            "patch",
            &[
                "200", "400", "401", "403", "404", "405", "409", "413", "415", "500", "502", "503",
            ],
        ),
        (
            "/v1/phone-numbers/{id}/calls",
            "get",
            &["200", "400", "401", "404", "405", "500", "503"],
        ),
        (
            "/v1/subscriptions/{id}/cancel",
            "post",
            &[
                "200", "400", "401", "403", "404", "405", "413", "415", "500", "503",
            ],
        ),
        ("/healthz", "get", &["200", "405"]),
        ("/readyz", "get", &["200", "405", "503"]),
        ("/metrics", "get", &["200", "405"]),
        ("/openapi.json", "get", &["200", "405"]),
    ] {
        let responses = doc["paths"][path][method]["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} is documented"));
        let mut documented: Vec<&str> = responses.keys().map(String::as_str).collect();
        documented.sort_unstable();
        assert_eq!(documented, codes, "{method} {path}");
        assert!(
            responses["405"]["headers"]["Allow"].is_object(),
            "{method} {path}: a 405 carries Allow"
        );
        if responses.contains_key("401") {
            assert!(
                responses["401"]["headers"]["WWW-Authenticate"].is_object(),
                "{path}"
            );
            assert!(
                !doc["paths"][path][method]["security"].is_null(),
                "{path} needs a token"
            );
        }
    }
}

/// Where a probed value goes.
#[derive(Clone, Copy)]
enum Target {
    /// A query parameter of a GET route, beside these valid ones.
    Query(
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    ),
    /// A field of the POST /v1/channels body (the others valid).
    Body(&'static str),
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Self::Query(_, name, _) | Self::Body(name) => name,
        }
    }
}

struct Probe<'a> {
    server: &'a TestServer,
    tenant: &'a TestTenant,
    doc: Value,
}

impl Probe<'_> {
    /// Whether the document allows `value` (a query value is read as an integer where the
    /// parameter is one and the text is a plain integer, as a client would have sent it).
    fn document_allows(&self, target: Target, value: &Value) -> bool {
        match target {
            Target::Query(path, name, _) => {
                let schema = &parameter(&self.doc, path, name)["schema"];
                let text = value.as_str().expect("query values are text");
                let is_integer = resolved(&self.doc, schema)["type"] == "integer";
                let instance = match text.parse::<i64>() {
                    Ok(n)
                        if is_integer && text.bytes().all(|b| b.is_ascii_digit() || b == b'-') =>
                    {
                        json!(n)
                    }
                    _ => json!(text),
                };
                validator(&self.doc, schema).is_valid(&instance)
            }
            Target::Body(_) => validator(&self.doc, channel_body_schema(&self.doc))
                .is_valid(&self.body(target, value)),
        }
    }

    fn body(&self, target: Target, value: &Value) -> Value {
        let mut body = json!({"name": "Probe"});
        body[target.name()] = value.clone();
        body
    }

    /// Sends `value` and returns the answer's status and body; checks a 2xx answer against the
    /// document's schema for it.
    async fn send(&self, target: Target, value: &Value) -> (u16, Value) {
        let s = self.server;
        let (path, method, request) = match target {
            Target::Query(path, name, others) => {
                let mut query: Vec<(&str, &str)> = others.to_vec();
                query.push((name, value.as_str().unwrap()));
                (path, "get", s.http.get(s.url(path)).query(&query))
            }
            Target::Body(_) => (
                "/v1/channels",
                "post",
                s.http
                    .post(s.url("/v1/channels"))
                    .json(&self.body(target, value)),
            ),
        };
        let response = request
            .bearer_auth(&self.tenant.admin)
            .send()
            .await
            .expect("an answer");
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            let schema = &self.doc["paths"][path][method]["responses"][status.to_string()]["content"]
                ["application/json"]["schema"];
            assert!(schema.is_object(), "{method} {path} documents {status}");
            let validator = validator(&self.doc, schema);
            let errors: Vec<String> = validator
                .iter_errors(&body)
                .map(|e| e.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "{method} {path}: the answer does not match the document: {errors:?}\n{body}"
            );
        }
        (status, body)
    }

    /// Checks that the document and the server both take `value` as `expected` (true:
    /// allowed and accepted; false: forbidden and refused with `validation_failed` naming the
    /// target). `None`: whatever the document says, the server must agree with it.
    async fn check(&self, target: Target, value: &Value, expected: Option<bool>) {
        let allowed = self.document_allows(target, value);
        if let Some(expected) = expected {
            assert_eq!(
                allowed,
                expected,
                "the document on {} = {value}",
                target.name()
            );
        }
        let (status, body) = self.send(target, value).await;
        assert!(status < 500, "{} = {value}: {status} {body}", target.name());
        let refused =
            status == 400 && body["code"] == "validation_failed" && body["field"] == target.name();
        assert_eq!(
            !refused,
            allowed,
            "{} = {value}: the document {} it, the server answered {status} {body}",
            target.name(),
            if allowed { "allows" } else { "forbids" },
        );
        if allowed {
            // Accepted, or a documented answer of a search Twilio has nothing for.
            assert!(
                (200..300).contains(&status) || status == 404,
                "{} = {value}: {status} {body}",
                target.name()
            );
        }
    }
}

/// Values drawn from a regular expression, the same on every run.
fn drawn(runner: &mut TestRunner, regex: &str, count: usize) -> Vec<String> {
    let regex = regex.trim_start_matches('^').trim_end_matches('$');
    let strategy = proptest::string::string_regex(regex).expect("a supported regex");
    (0..count)
        .map(|_| strategy.new_tree(runner).expect("a value").current())
        .collect()
}

const AVAILABLE: &[(&str, &str)] = &[("country", "US")];

both_backends! {
    async fn values_the_document_allows_are_accepted_and_values_it_forbids_are_refused(db) {
        let s = TestServer::start(db).await;
        let t = s.tenant(5).await;
        // One number, so the list's answer has a row to check against the document.
        s.db.store.phone_numbers().reserve(
            NewReservation {
                tenant_id: t.id,
                phone_number: "+14155550100".parse().unwrap(),
                account_sid: s.fake.account_sid().to_owned(),
                iso_country: "US".parse().unwrap(),
                number_type: NumberType::Local,
                channel_id: None,
                monthly_price_usd: Some("1.5".parse().unwrap()),
            },
            &Actor::api("seed", None),
        ).await.unwrap();
        let probe = Probe { server: &s, tenant: &t, doc: document() };
        let status = Target::Query("/v1/phone-numbers", "status", &[]);
        let country = Target::Query("/v1/phone-numbers/available", "country", &[]);
        let pricing_country = Target::Query("/v1/phone-numbers/pricing", "country", &[]);
        let number_type = Target::Query("/v1/phone-numbers/available", "type", AVAILABLE);
        let contains = Target::Query("/v1/phone-numbers/available", "contains", AVAILABLE);
        let limit = Target::Query("/v1/phone-numbers/available", "limit", AVAILABLE);
        let (name, kind, url) = (Target::Body("name"), Target::Body("kind"), Target::Body("agent_stream_url"));

        // Hand-picked edges: (target, value, allowed).
        let text = |v: &str| json!(v);
        let mut cases: Vec<(Target, Value, bool)> = Vec::new();
        for (v, ok) in [("pending", true), ("active", true), ("releasing", true), ("released", true), ("failed", true), ("all", true), ("ACTIVE", false), ("", false), ("gone", false), ("active ", false)] {
            cases.push((status, text(v), ok));
        }
        for target in [country, pricing_country] {
            for (v, ok) in [("US", true), ("gb", true), ("Ca", true), ("USA", false), ("U", false), ("", false), ("U1", false), ("ÜS", false), ("U ", false)] {
                cases.push((target, text(v), ok));
            }
        }
        for (v, ok) in [("local", true), ("toll_free", true), ("mobile", false), ("LOCAL", false), ("tollfree", false), ("", false), ("national", false)] {
            // `mobile` is allowed by both, and answered 404 (no US mobile inventory): checked apart.
            if v != "mobile" {
                cases.push((number_type, text(v), ok));
            }
        }
        for (v, ok) in [("1", true), ("30", true), ("20", true), ("07", true), ("0", false), ("31", false), ("-1", false), ("1.5", false), ("ten", false), ("", false), ("256", false), ("99999999999999999999", false)] {
            cases.push((limit, text(v), ok));
        }
        for (v, ok) in [
            ("55", true), ("+1415", true), ("%55", true), ("55%", true), ("%%55%%", true), ("55$", true), ("+55$", true),
            ("%55$", true), ("*55*", true), ("5**5", true), ("ABC", true), ("a1", true), ("5555555555555555", true),
            ("5", false), ("*5", false), ("55555555555555555", false), ("5+5", false), ("$55", false), ("5%5", false),
            ("*%55", false), ("+%55", false), ("55%$", false), ("55*$", false), ("+*55", false), ("55 5", false), ("", false),
            ("%%", false), ("5é", false),
        ] {
            cases.push((contains, text(v), ok));
        }
        let long_name = "n".repeat(100);
        for (v, ok) in [
            (json!("a"), true), (json!(long_name), true), (json!("  Support line "), true), (json!("☎ Ligne"), true),
            (json!(""), false), (json!("   "), false), (json!("\t\n"), false), (json!("\u{85}"), false), (json!(null), false),
            (json!(5), false), (json!(["a"]), false), (json!("n".repeat(101)), false),
        ] {
            cases.push((name, v, ok));
        }
        for (v, ok) in [
            (json!("voice"), true), (json!("web_chat"), true), (json!("a"), true), (json!(format!("a{}", "b".repeat(31))), true), (json!(null), true),
            (json!("Voice"), false), (json!("1voice"), false), (json!("_x"), false), (json!(""), false), (json!("voice!"), false),
            (json!(format!("a{}", "b".repeat(32))), false), (json!(5), false),
        ] {
            cases.push((kind, v, ok));
        }
        for (v, ok) in [
            (json!("wss://agents.example/support"), true), (json!("ws://127.0.0.1:8080/x?y=1#z"), true),
            (json!("wss://a-b.c-d.example:65535"), true), (json!(format!("wss://{}.example", "l".repeat(70))), true),
            (json!(format!("wss://x/{}", "p".repeat(2040))), true), (json!(null), true),
            (json!("https://agents.example"), false), (json!("wss://"), false), (json!("ftp://x"), false), (json!("agents.example"), false),
            (json!("wss://x:65536"), false), (json!("ws://300.1.1.1"), false), (json!(format!("wss://x/{}", "p".repeat(2050))), false),
            (json!(""), false), (json!(5), false),
        ] {
            cases.push((url, v, ok));
        }
        for (target, value, allowed) in &cases {
            probe.check(*target, value, Some(*allowed)).await;
        }
        // Allowed by both; Twilio (the fake) has no US mobile numbers: the documented 404.
        assert!(probe.document_allows(number_type, &text("mobile")));
        assert_eq!(probe.send(number_type, &text("mobile")).await.0, 404);

        // Values generated from the document's own patterns are accepted.
        let mut runner = TestRunner::deterministic();
        let doc = document();
        let pattern = |target: Target| -> String {
            let schema = match target {
                Target::Query(path, name, _) => resolved(&doc, &parameter(&doc, path, name)["schema"]).clone(),
                Target::Body(field) => channel_body_schema(&doc)["properties"][field].clone(),
            };
            schema["pattern"].as_str().expect("a pattern").to_owned()
        };
        for (target, count) in [(country, 20), (contains, 60), (kind, 30), (url, 30)] {
            for value in drawn(&mut runner, &pattern(target), count) {
                probe.check(target, &json!(value), None).await;
            }
        }
        // Where the document states the server's rule exactly, random text gets the same
        // verdict from both.
        for (target, alphabet, count) in [
            (contains, "[0-9A-Za-z*%+$ ]{0,18}", 150),
            (country, "[A-Za-z0-9 ]{0,3}", 40),
            (limit, "-?[0-9]{1,3}", 40),
            (kind, "[a-zA-Z0-9_!-]{0,34}", 60),
        ] {
            for value in drawn(&mut runner, alphabet, count) {
                probe.check(target, &json!(value), None).await;
            }
        }
    }

    async fn other_methods_are_405_with_allow_naming_the_documented_ones(db) {
        let s = TestServer::start(db).await;
        let t = s.tenant(5).await;
        let doc = document();
        let methods = ["GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"];
        for (path, item) in doc["paths"].as_object().unwrap() {
            let documented: Vec<&str> = methods.iter().copied().filter(|m| item[m.to_lowercase()].is_object()).collect();
            let allow = documented.join(", ");
            for (_, operation) in item.as_object().unwrap() {
                assert_eq!(
                    operation["responses"]["405"]["headers"]["Allow"]["schema"]["enum"],
                    json!([allow]),
                    "{path}"
                );
            }
            let url = s.url(&path.replace("{tenant_id}", &t.id.to_string()));
            for method in methods {
                let response = s.http
                    .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), &url)
                    .bearer_auth(&t.admin)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                if documented.contains(&method) {
                    assert_ne!(status, 405, "{method} {path}");
                    continue;
                }
                assert_eq!(status, 405, "{method} {path}");
                assert_eq!(response.headers()["allow"], allow.as_str(), "{method} {path}");
                if method != "HEAD" {
                    let body: Value = response.json().await.unwrap();
                    assert_eq!(body["code"], "method_not_allowed", "{method} {path}");
                }
            }
        }
    }
}

both_backends! {
    async fn purchase_and_attach_bodies_are_taken_as_the_document_says(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(1000).await;
        let doc = document();
        let body_validator = |path: &str, method: &str| {
            validator(
                &doc,
                &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"],
            )
        };
        let purchase = body_validator("/v1/phone-numbers/purchase", "post");
        let attach = body_validator("/v1/phone-numbers/{id}", "patch");
        // A number the fake does not sell: an accepted body is refused by Twilio (409), never
        // bought, so every probe is independent.
        let base = || json!({"phone_number": "+14155550100"});
        let mut purchases: Vec<(&str, Value)> = vec![("phone_number", base())];
        for (field, value) in [
            ("phone_number", json!("14155550100")),
            ("phone_number", json!("+0123456789")),
            ("phone_number", json!("+1415")),
            ("phone_number", json!("+1234567890123456")),
            ("phone_number", json!(14155550100_u64)),
            ("number_type", json!("local")),
            ("number_type", json!("toll_free")),
            ("number_type", json!("fax")),
            ("number_type", json!(3)),
            ("iso_country", json!("us")),
            ("iso_country", json!("USA")),
            ("iso_country", json!("1A")),
            ("monthly_price_usd", json!("1.15")),
            ("monthly_price_usd", json!("-1")),
            ("monthly_price_usd", json!("1.123456")),
            ("monthly_price_usd", json!("abc")),
            ("monthly_price_usd", json!(1.15)),
            ("channel_id", Value::Null),
            ("channel_id", json!(uuid::Uuid::new_v4().to_string())),
            ("channel_id", json!("not-a-uuid")),
            ("channel_id", json!(7)),
            ("unknown", json!("x")),
        ] {
            let mut body = base();
            body[field] = value;
            purchases.push((field, body));
        }
        let mut missing = base();
        missing.as_object_mut().unwrap().remove("phone_number");
        purchases.push(("phone_number", missing));
        for (field, body) in purchases {
            let allowed = purchase.is_valid(&body);
            let answer = server.post_json("/v1/phone-numbers/purchase", &tenant.admin, &body).await;
            check_verdict(field, &body, allowed, &answer);
        }
        let path = format!("/v1/phone-numbers/{}", uuid::Uuid::new_v4());
        for (field, body) in [
            ("channel_id", json!({"channel_id": null})),
            ("channel_id", json!({"channel_id": uuid::Uuid::new_v4().to_string()})),
            ("channel_id", json!({})),
            ("channel_id", json!({"channel_id": 5})),
            ("channel_id", json!({"channel_id": "x"})),
            ("extra", json!({"channel_id": null, "extra": 1})),
        ] {
            let allowed = attach.is_valid(&body);
            let answer = server
                .send(reqwest::Method::PATCH, &path, &tenant.admin, Some(&body))
                .await;
            check_verdict(field, &body, allowed, &answer);
        }
        // An unknown subscription: an accepted body is answered 404, never acted on.
        let cancel = body_validator("/v1/subscriptions/{id}/cancel", "post");
        let path = format!("/v1/subscriptions/{}/cancel", uuid::Uuid::new_v4());
        for (field, body) in [
            ("immediate", json!({"immediate": true})),
            ("immediate", json!({"immediate": false})),
            ("immediate", json!({})),
            ("immediate", json!({"immediate": null})),
            ("immediate", json!({"immediate": "true"})),
            ("immediate", json!({"immediate": 1})),
            ("extra", json!({"immediate": true, "extra": 1})),
        ] {
            let allowed = cancel.is_valid(&body);
            let answer = server.post_json(&path, &tenant.admin, &body).await;
            check_verdict(field, &body, allowed, &answer);
        }
    }
}

/// The server refuses with `validation_failed` naming `field` exactly when the document
/// forbids the body, and never answers 5xx.
#[track_caller]
fn check_verdict(field: &str, body: &Value, allowed: bool, (status, answer): &(u16, Value)) {
    assert!(*status < 500, "{body}: {status} {answer}");
    let refused =
        *status == 400 && answer["code"] == "validation_failed" && answer["field"] == field;
    assert_eq!(
        !refused,
        allowed,
        "{body}: the document {} it, the server answered {status} {answer}",
        if allowed { "allows" } else { "forbids" }
    );
}

//! The fake's JSON answers validate against the response schemas of Twilio's OpenAPI
//! documents.
//!
//! Every endpoint the fake serves is called for real (over HTTP, with the states that make
//! every optional part appear: purchased numbers with webhooks and bundles, several list
//! pages, paged pricing countries), and each body is checked against the schema the
//! document declares for that path, method and status, with a small validator for the
//! subset of JSON Schema the documents use: `$ref`, `type`, `nullable`, `properties`,
//! `items`, `enum`, `pattern` (Twilio's SID patterns), `minLength`/`maxLength`, and the
//! formats `date-time-rfc-2822`, `uri` (absolute http(s) or a path, as the 2010 API's
//! relative `uri` fields are), `phone-number` (E.164 or the display form of the documents'
//! own examples), `iso-country-code`, `currency`.
//!
//! The validator is stricter than JSON Schema in one way: a property the schema does not
//! declare is an error (it catches typos in the fake), except where listed per request.
//! It knowingly accepts three documented differences between the documents and live
//! Twilio, which the fake reproduces on purpose:
//!
//! - `number` values sent as decimal strings (`"19.720000"`, `"1.15"`): the documents'
//!   own examples do it, and prices carry `x-twilio.overrideType: string`;
//! - capability keys `SMS`/`MMS` in search results (`phone-number-capabilities` objects
//!   match keys case-insensitively): live Twilio spells them so;
//! - `""` for an unset nullable field, as the documents' own examples show (`"sms_url": ""`).
//!
//! The documents are not part of this repository. Point `NUMBERS_CONFORMANCE_DIR` at the
//! folder holding `twilio-oai/` (absolute, or relative to the workspace root). Without the
//! variable the test says it was skipped and passes; with it set and a file missing, it
//! fails.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;
use twilio_fake::{NumberKind, TwilioFake};

use common::{fake, sid};

const ENV: &str = "NUMBERS_CONFORMANCE_DIR";

fn conformance_dir() -> Option<PathBuf> {
    let raw = std::env::var_os(ENV).filter(|v| !v.is_empty())?;
    let dir = PathBuf::from(raw);
    if dir.is_absolute() {
        return Some(dir);
    }
    // The workspace root is two levels above this crate's manifest.
    Some(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(dir),
    )
}

fn load(dir: &Path, name: &str) -> Value {
    let path = dir.join("twilio-oai").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{ENV} is set but {} cannot be read: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

struct Docs {
    api: Value,
    pricing: Value,
}

fn docs() -> Option<Docs> {
    let Some(dir) = conformance_dir() else {
        eprintln!(
            "conformance_openapi skipped: {ENV} is not set (point it at the folder holding \
             twilio-oai/twilio_api_v2010.json and twilio_pricing_v1.json to run it)"
        );
        return None;
    };
    Some(Docs {
        api: load(&dir, "twilio_api_v2010.json"),
        pricing: load(&dir, "twilio_pricing_v1.json"),
    })
}

/// Validates JSON values against schemas of one document.
struct Validator<'a> {
    doc: &'a Value,
    /// Extra property names accepted anywhere (see the module docs).
    allowed_extra: &'a [&'a str],
    /// Leaf values checked, to prove the check was not vacuous.
    checked: usize,
    problems: Vec<String>,
}

impl<'a> Validator<'a> {
    fn new(doc: &'a Value, allowed_extra: &'a [&'a str]) -> Self {
        Self {
            doc,
            allowed_extra,
            checked: 0,
            problems: Vec::new(),
        }
    }

    fn resolve(&self, mut schema: &'a Value) -> &'a Value {
        while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let pointer = r.strip_prefix('#').expect("only local $ref");
            schema = self
                .doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {r}"));
        }
        schema
    }

    fn fail(&mut self, at: &str, msg: String) {
        self.problems.push(format!("{at}: {msg}"));
    }

    fn validate(&mut self, schema: &'a Value, value: &Value, at: &str) {
        let schema = self.resolve(schema);
        let nullable = schema.get("nullable") == Some(&Value::Bool(true));
        if value.is_null() {
            if !nullable {
                self.fail(at, "null where the schema is not nullable".into());
            }
            self.checked += 1;
            return;
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("object") => self.validate_object(schema, value, at),
            Some("array") => match value.as_array() {
                None => self.fail(at, format!("expected an array, got {value}")),
                Some(items) => {
                    if let Some(item_schema) = schema.get("items") {
                        for (i, item) in items.iter().enumerate() {
                            self.validate(item_schema, item, &format!("{at}[{i}]"));
                        }
                    }
                }
            },
            Some("string") => self.validate_string(schema, value, at, nullable),
            Some("integer") => {
                self.checked += 1;
                if !(value.is_i64() || value.is_u64()) {
                    self.fail(at, format!("expected an integer, got {value}"));
                }
            }
            Some("number") => {
                self.checked += 1;
                let ok = value.is_number()
                    || value
                        .as_str()
                        .is_some_and(|s| s.parse::<f64>().is_ok_and(f64::is_finite));
                if !ok {
                    self.fail(
                        at,
                        format!("expected a number (or decimal string), got {value}"),
                    );
                }
            }
            Some("boolean") => {
                self.checked += 1;
                if !value.is_boolean() {
                    self.fail(at, format!("expected a boolean, got {value}"));
                }
            }
            Some(other) => self.fail(
                at,
                format!("schema type {other} not handled by the validator"),
            ),
            None => self.checked += 1,
        }
    }

    fn validate_object(&mut self, schema: &'a Value, value: &Value, at: &str) {
        let Some(object) = value.as_object() else {
            self.fail(at, format!("expected an object, got {value}"));
            return;
        };
        // An object schema without properties (e.g. `uri-map`) takes any keys.
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            self.checked += 1;
            return;
        };
        let case_insensitive =
            schema.get("format").and_then(Value::as_str) == Some("phone-number-capabilities");
        for (key, v) in object {
            let declared = properties.get(key).or_else(|| {
                case_insensitive
                    .then(|| {
                        properties
                            .iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case(key))
                            .map(|(_, s)| s)
                    })
                    .flatten()
            });
            match declared {
                Some(prop) => self.validate(prop, v, &format!("{at}.{key}")),
                None if self.allowed_extra.contains(&key.as_str()) => {}
                None => self.fail(at, format!("property {key:?} is not declared")),
            }
        }
    }

    fn validate_string(&mut self, schema: &Value, value: &Value, at: &str, nullable: bool) {
        self.checked += 1;
        let Some(s) = value.as_str() else {
            self.fail(at, format!("expected a string, got {value}"));
            return;
        };
        if s.is_empty() && nullable {
            // Twilio's "unset" spelling.
            return;
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.iter().any(|o| o.as_str() == Some(s))
        {
            self.fail(at, format!("{s:?} is not one of {options:?}"));
        }
        let len = s.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && len < min
        {
            self.fail(at, format!("{s:?} shorter than {min}"));
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && len > max
        {
            self.fail(at, format!("{s:?} longer than {max}"));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            match check_sid_pattern(pattern, s) {
                Some(true) => {}
                Some(false) => self.fail(at, format!("{s:?} does not match {pattern}")),
                None => self.fail(
                    at,
                    format!("pattern {pattern} not handled by the validator"),
                ),
            }
        }
        let format_ok = match schema.get("format").and_then(Value::as_str) {
            Some("date-time-rfc-2822") => chrono::DateTime::parse_from_rfc2822(s).is_ok(),
            Some("uri") => {
                s.starts_with('/')
                    || reqwest::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
            }
            // Twilio uses this format for display forms too: its own example has
            // `"friendly_name": "(808) 925-1571"`. Digits with `+ ()-` and spaces.
            Some("phone-number") => {
                s.bytes().filter(u8::is_ascii_digit).count() >= 7
                    && s.bytes()
                        .all(|b| b.is_ascii_digit() || b" +()-".contains(&b))
            }
            Some("iso-country-code") => s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()),
            Some("currency") => s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic()),
            _ => true,
        };
        if !format_ok {
            self.fail(
                at,
                format!("{s:?} does not have format {}", schema["format"]),
            );
        }
    }
}

/// Checks patterns of the shape Twilio uses for SIDs, `^XX[0-9a-fA-F]{N}$`.
fn check_sid_pattern(pattern: &str, value: &str) -> Option<bool> {
    let body = pattern.strip_prefix('^')?.strip_suffix('$')?;
    let (prefix, rest) = body.split_once("[0-9a-fA-F]{")?;
    let count: usize = rest.strip_suffix('}')?.parse().ok()?;
    Some(
        value.len() == prefix.len() + count
            && value.starts_with(prefix)
            && value[prefix.len()..].bytes().all(|b| b.is_ascii_hexdigit()),
    )
}

/// The response schema a document declares for a path, method and status.
fn response_schema<'a>(doc: &'a Value, template: &str, method: &str, status: u16) -> &'a Value {
    let item = doc
        .pointer(&format!(
            "/paths/{}",
            template.replace('~', "~0").replace('/', "~1")
        ))
        .unwrap_or_else(|| panic!("{template} not in the document"));
    item.pointer(&format!(
        "/{method}/responses/{status}/content/application~1json/schema"
    ))
    .unwrap_or_else(|| panic!("{method} {template} declares no JSON {status} response"))
}

/// One request to make and the schema to check it against.
struct Call {
    method: reqwest::Method,
    path: String,
    form: Vec<(&'static str, String)>,
    template: &'static str,
    status: u16,
    extra: &'static [&'static str],
}

fn get(path: String, template: &'static str) -> Call {
    Call {
        method: reqwest::Method::GET,
        path,
        form: Vec::new(),
        template,
        status: 200,
        extra: &[],
    }
}

async fn send(fake: &TwilioFake, call: &Call) -> (u16, Vec<u8>) {
    let http = reqwest::Client::new();
    let response = http
        .request(
            call.method.clone(),
            format!("{}{}", fake.api_base_url(), call.path),
        )
        .basic_auth(fake.account_sid(), Some(fake.auth_token()))
        .form(&call.form)
        .send()
        .await
        .expect("fake answers");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body").to_vec())
}

/// A fake in a state where every optional part of every answer appears.
fn prepared_fake() -> TwilioFake {
    let fake = fake(2026);
    fake.control()
        .seed_owned_numbers(None, 120, Some("https://example.test/voice?channel_id=x"))
        .unwrap();
    fake
}

#[tokio::test]
async fn every_json_answer_of_the_fake_validates_against_twilio_openapi() {
    let Some(docs) = docs() else { return };
    let fake = prepared_fake();
    let ac = fake.account_sid().to_owned();
    let base = format!("/2010-04-01/Accounts/{ac}");
    let control = fake.control();
    let us = control.available_numbers("US", NumberKind::Local).unwrap();
    let gb_mobile = control.available_numbers("GB", NumberKind::Mobile).unwrap();
    let us_toll_free = control
        .available_numbers("US", NumberKind::TollFree)
        .unwrap();

    let full_purchase = |number: &str| {
        vec![
            ("PhoneNumber", number.to_owned()),
            ("FriendlyName", "tenant line".to_owned()),
            (
                "VoiceUrl",
                "https://example.test/webhooks/twilio/voice?channel_id=c1".to_owned(),
            ),
            ("VoiceMethod", "POST".to_owned()),
            (
                "VoiceFallbackUrl",
                "https://example.test/fallback".to_owned(),
            ),
            (
                "StatusCallback",
                "https://example.test/webhooks/twilio/status".to_owned(),
            ),
            ("StatusCallbackMethod", "GET".to_owned()),
            ("SmsUrl", "https://example.test/sms".to_owned()),
            ("AddressSid", sid("AD", 1)),
            ("BundleSid", sid("BU", 2)),
            ("IdentitySid", sid("RI", 3)),
        ]
    };
    let mut calls = vec![
        get(format!("{base}.json"), "/2010-04-01/Accounts/{Sid}.json"),
        get(
            format!("{base}/AvailablePhoneNumbers.json"),
            "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers.json",
        ),
        get(
            format!("{base}/AvailablePhoneNumbers/GB.json"),
            "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}.json",
        ),
    ];
    for (country, kind) in [
        ("US", NumberKind::Local),
        ("CA", NumberKind::Local),
        ("US", NumberKind::TollFree),
        ("GB", NumberKind::Local),
        ("GB", NumberKind::Mobile),
        ("PL", NumberKind::Mobile),
        ("DE", NumberKind::Local),
        ("FR", NumberKind::TollFree),
        ("AU", NumberKind::Mobile),
    ] {
        let template = match kind {
            NumberKind::Local => {
                "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json"
            }
            NumberKind::TollFree => {
                "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/TollFree.json"
            }
            NumberKind::Mobile => {
                "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Mobile.json"
            }
        };
        calls.push(get(
            format!(
                "{base}/AvailablePhoneNumbers/{country}/{}.json?SmsEnabled=true",
                kind.path_segment()
            ),
            template,
        ));
    }
    calls.push(Call {
        method: reqwest::Method::POST,
        path: format!("{base}/IncomingPhoneNumbers.json"),
        form: full_purchase(&us[0].phone_number),
        template: "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
        status: 201,
        extra: &[],
    });
    calls.push(Call {
        method: reqwest::Method::POST,
        path: format!("{base}/IncomingPhoneNumbers/Mobile.json"),
        form: full_purchase(&gb_mobile[0].phone_number),
        template: "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/Mobile.json",
        status: 201,
        // The typed sub-resource schemas omit `type`, which the generic one declares.
        extra: &["type"],
    });
    calls.push(Call {
        method: reqwest::Method::POST,
        path: format!("{base}/IncomingPhoneNumbers/TollFree.json"),
        form: vec![("PhoneNumber", us_toll_free[0].phone_number.clone())],
        template: "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/TollFree.json",
        status: 201,
        extra: &["type"],
    });
    for (i, (kind, template)) in [
        (
            "",
            "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
        ),
        (
            "/Local",
            "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/Local.json",
        ),
        (
            "/Mobile",
            "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/Mobile.json",
        ),
        (
            "/TollFree",
            "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/TollFree.json",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut call = get(
            format!("{base}/IncomingPhoneNumbers{kind}.json?PageSize=50"),
            template,
        );
        if i > 0 {
            call.extra = &["type"];
        }
        calls.push(call);
    }
    let pricing = [
        get(
            "/v1/PhoneNumbers/Countries".into(),
            "/v1/PhoneNumbers/Countries",
        ),
        get(
            "/v1/PhoneNumbers/Countries?PageSize=2".into(),
            "/v1/PhoneNumbers/Countries",
        ),
        get(
            "/v1/PhoneNumbers/Countries/US".into(),
            "/v1/PhoneNumbers/Countries/{IsoCountry}",
        ),
        get(
            "/v1/PhoneNumbers/Countries/GB".into(),
            "/v1/PhoneNumbers/Countries/{IsoCountry}",
        ),
    ];

    let mut problems = Vec::new();
    let mut checked = 0;
    let mut validated = 0;
    let mut check = |doc: &Value, call: &Call, status: u16, body: &[u8], schema: Option<&Value>| {
        assert_eq!(
            status,
            call.status,
            "{} {}: {}",
            call.method,
            call.path,
            String::from_utf8_lossy(body)
        );
        let value: Value = serde_json::from_slice(body).expect("JSON body");
        let schema = schema.unwrap_or_else(|| {
            response_schema(
                doc,
                call.template,
                &call.method.as_str().to_ascii_lowercase(),
                call.status,
            )
        });
        let mut v = Validator::new(doc, call.extra);
        v.validate(schema, &value, &format!("{} {}", call.method, call.path));
        checked += v.checked;
        validated += 1;
        problems.extend(v.problems);
        value
    };
    let mut first_page = None;
    for call in &calls {
        let (status, body) = send(&fake, call).await;
        let value = check(&docs.api, call, status, &body, None);
        if call.path.ends_with("IncomingPhoneNumbers.json?PageSize=50") {
            first_page = Some(value);
        }
    }
    // Second and last pages (previous_page_uri filled, next_page_uri null).
    let mut next = first_page.expect("listed")["next_page_uri"]
        .as_str()
        .map(str::to_owned);
    let mut pages = 1;
    while let Some(uri) = next {
        let call = get(
            uri,
            "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
        );
        let (status, body) = send(&fake, &call).await;
        let value = check(&docs.api, &call, status, &body, None);
        assert!(value["previous_page_uri"].is_string());
        next = value["next_page_uri"].as_str().map(str::to_owned);
        pages += 1;
    }
    assert_eq!(pages, 3, "122 numbers in pages of 50");
    // Fetch and update one owned number (fully configured).
    let owned = control.owned_number(&us[0].phone_number).expect("bought");
    let instance = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json";
    let fetch = get(
        format!("{base}/IncomingPhoneNumbers/{}.json", owned.sid),
        instance,
    );
    let (status, body) = send(&fake, &fetch).await;
    check(&docs.api, &fetch, status, &body, None);
    let update = Call {
        method: reqwest::Method::POST,
        path: fetch.path.clone(),
        form: vec![
            ("VoiceUrl", "https://example.test/v2".into()),
            ("SmsMethod", "GET".into()),
        ],
        template: instance,
        status: 200,
        extra: &[],
    };
    let (status, body) = send(&fake, &update).await;
    check(&docs.api, &update, status, &body, None);
    // Delete answers 204 with an empty body; the document declares no content for it.
    let delete = Call {
        method: reqwest::Method::DELETE,
        ..get(fetch.path.clone(), instance)
    };
    let (status, body) = send(&fake, &delete).await;
    assert_eq!(status, 204);
    assert!(body.is_empty());
    assert!(
        docs.api
            .pointer("/paths/~12010-04-01~1Accounts~1{AccountSid}~1IncomingPhoneNumbers~1{Sid}.json/delete/responses/204")
            .is_some_and(|r| r.get("content").is_none())
    );
    // Pricing, including the service root (declared only as a component schema).
    for call in &pricing {
        let (status, body) = send(&fake, call).await;
        let value = check(&docs.pricing, call, status, &body, None);
        if call.path.ends_with("PageSize=2") {
            let next = value["meta"]["next_page_url"].as_str().expect("more pages");
            assert!(next.starts_with(&fake.pricing_base_url()));
        }
    }
    let root = get("/v1/PhoneNumbers".into(), "/v1/PhoneNumbers");
    let (status, body) = send(&fake, &root).await;
    let schema = &docs.pricing["components"]["schemas"]["pricing.v1.phone_number"];
    check(&docs.pricing, &root, status, &body, Some(schema));

    assert!(
        problems.is_empty(),
        "schema mismatches:\n{}",
        problems.join("\n")
    );
    assert!(validated >= 28, "only {validated} answers validated");
    assert!(checked > 5000, "only {checked} values checked");
    eprintln!("conformance_openapi: {validated} answers, {checked} values validated");
}

/// The validator must catch what it claims to, or the test above proves nothing.
#[tokio::test]
async fn the_validator_rejects_wrong_types_formats_enums_patterns_and_unknown_keys() {
    let Some(docs) = docs() else { return };
    let fake = prepared_fake();
    let number = fake.control().owned_numbers(None, 1).unwrap().remove(0);
    let template = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json";
    let call = get(
        format!(
            "/2010-04-01/Accounts/{}/IncomingPhoneNumbers/{}.json",
            fake.account_sid(),
            number.sid
        ),
        template,
    );
    let (_, body) = send(&fake, &call).await;
    let good: Value = serde_json::from_slice(&body).unwrap();
    let schema = response_schema(&docs.api, template, "get", 200);
    let problems = |value: &Value| {
        let mut v = Validator::new(&docs.api, &[]);
        v.validate(schema, value, "x");
        v.problems
    };
    assert!(problems(&good).is_empty(), "{:?}", problems(&good));
    let mutations: [(&str, Value); 8] = [
        ("date_created", Value::from("yesterday")),
        ("sid", Value::from("PN123")),
        ("account_sid", Value::from(format!("XY{}", "0".repeat(32)))),
        ("address_requirements", Value::from("sometimes")),
        ("beta", Value::from("true")),
        ("voice_url", Value::from("not a url")),
        ("phone_number", Value::from("call me")),
        ("voice_urll", Value::from("typo")),
    ];
    for (key, bad) in mutations {
        let mut value = good.clone();
        value[key] = bad;
        assert!(!problems(&value).is_empty(), "{key} mutation not caught");
    }
    let mut value = good.clone();
    value["capabilities"]["voice"] = Value::from("yes");
    assert!(!problems(&value).is_empty(), "capability type not caught");
    let mut value = good;
    value["capabilities"] = Value::Null;
    assert!(problems(&value).is_empty(), "capabilities is nullable");
}

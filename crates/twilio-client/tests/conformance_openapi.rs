//! Conformance with Twilio's own OpenAPI documents.
//!
//! Every request the client can build (each operation and search kind, with every optional
//! parameter set, exactly as `describe_requests` produces it and as the wire tests prove the
//! client sends it) must use a path and method that exist in `twilio_api_v2010.json` or
//! `twilio_pricing_v1.json`, and only parameter names the document declares for that
//! operation, in the right place (path, query or form body), with values of the declared
//! type. The response fields the client decodes must be declared too.
//!
//! The documents are not part of this repository. Point `NUMBERS_CONFORMANCE_DIR` at the
//! folder holding `twilio-oai/` (absolute, or relative to the workspace root). Without the
//! variable the test says it was skipped and passes; with it set and a file missing, it
//! fails.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::de::{self, DeserializeOwned, Visitor};
use serde_json::Value;
use twilio_client::request::{ApiHost, HttpMethod, Operation, RequestSpec, describe_requests};
use twilio_client::{
    Account, AvailablePhoneNumber, DEFAULT_API_BASE_URL, DEFAULT_PRICING_BASE_URL,
    IncomingPhoneNumber, NumberPrice, PhoneNumberPricing, PricingCountry,
};

const ENV: &str = "NUMBERS_CONFORMANCE_DIR";

fn conformance_dir() -> Option<PathBuf> {
    let raw = std::env::var_os(ENV).filter(|v| !v.is_empty())?;
    let dir = PathBuf::from(raw);
    if dir.is_absolute() {
        return Some(dir);
    }
    // The workspace root is two levels above this crate's manifest.
    Some(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(dir),
    )
}

fn load(dir: &std::path::Path, name: &str) -> Value {
    let path = dir.join("twilio-oai").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{ENV} is set but {} cannot be read: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

struct Docs {
    api: Value,
    pricing: Value,
}

impl Docs {
    fn for_host(&self, host: ApiHost) -> (&Value, &'static str) {
        match host {
            ApiHost::Api => (&self.api, DEFAULT_API_BASE_URL),
            ApiHost::Pricing => (&self.pricing, DEFAULT_PRICING_BASE_URL),
        }
    }
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.strip_prefix('#').expect("only local $ref are used");
            resolve(
                doc,
                doc.pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling $ref {r}")),
            )
        }
        None => v,
    }
}

/// Placeholder names of a path template, in order.
fn placeholders(template: &str) -> Vec<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|s| s.split('}').next())
        .collect()
}

/// Matches `path` against `template`, returning each placeholder's value.
fn match_template<'p>(template: &str, path: &'p str) -> Option<Vec<(String, &'p str)>> {
    let mut values = Vec::new();
    let mut rest = path;
    let mut tpl = template;
    loop {
        let Some(open) = tpl.find('{') else {
            return (rest == tpl).then_some(values);
        };
        rest = rest.strip_prefix(&tpl[..open])?;
        let close = tpl[open..].find('}')? + open;
        let name = tpl[open + 1..close].to_owned();
        tpl = &tpl[close + 1..];
        // The value runs up to the next literal character of the template.
        let stop = tpl.chars().next();
        let end = match stop {
            Some(c) => rest.find(c)?,
            None => rest.len(),
        };
        let (value, after) = rest.split_at(end);
        if value.is_empty() || value.contains('/') {
            return None;
        }
        values.push((name, value));
        rest = after;
    }
}

/// Checks patterns of the shape Twilio uses for SIDs, `^XX[0-9a-fA-F]{N}$`. Other shapes
/// are reported as unchecked (`None`).
fn check_sid_pattern(pattern: &str, value: &str) -> Option<bool> {
    let body = pattern.strip_prefix('^')?.strip_suffix('$')?;
    let (prefix, rest) = body.split_once("[0-9a-fA-F]{")?;
    let count: usize = rest.strip_suffix('}')?.parse().ok()?;
    if !prefix.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(
        value.len() == prefix.len() + count
            && value.starts_with(prefix)
            && value[prefix.len()..].chars().all(|c| c.is_ascii_hexdigit()),
    )
}

/// Checks `value` (as sent on the wire) against a parameter or property schema.
fn check_value(doc: &Value, schema: &Value, value: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") => {
            let n: i64 = value
                .parse()
                .map_err(|_| format!("{value:?} is not an integer"))?;
            if let Some(min) = schema.get("minimum").and_then(Value::as_i64)
                && n < min
            {
                return Err(format!("{n} < minimum {min}"));
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_i64)
                && n > max
            {
                return Err(format!("{n} > maximum {max}"));
            }
        }
        Some("boolean") => {
            if value != "true" && value != "false" {
                return Err(format!("{value:?} is not true/false"));
            }
        }
        Some("string") | None => {
            let len = value.chars().count();
            if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
                && (len as u64) < min
            {
                return Err(format!("{value:?} shorter than {min}"));
            }
            if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
                && (len as u64) > max
            {
                return Err(format!("{value:?} longer than {max}"));
            }
            if let Some(p) = schema.get("pattern").and_then(Value::as_str)
                && check_sid_pattern(p, value) == Some(false)
            {
                return Err(format!("{value:?} does not match {p}"));
            }
        }
        Some(other) => return Err(format!("unexpected declared type {other}")),
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.iter().any(|o| o.as_str() == Some(value))
    {
        return Err(format!("{value:?} is not one of {options:?}"));
    }
    Ok(())
}

/// All problems with one request, as readable lines.
fn check_request(docs: &Docs, spec: &RequestSpec) -> Vec<String> {
    let mut problems = Vec::new();
    let label = format!(
        "{} {} ({})",
        spec.method, spec.path_template, spec.operation
    );
    let mut fail = |msg: String| problems.push(format!("{label}: {msg}"));
    let (doc, default_base) = docs.for_host(spec.host);

    let Some(item) = doc.pointer(&format!(
        "/paths/{}",
        spec.path_template.replace('~', "~0").replace('/', "~1")
    )) else {
        fail("path not in the OpenAPI document".into());
        return problems;
    };
    let servers = item.get("servers").or_else(|| doc.get("servers"));
    let server_urls: Vec<_> = servers
        .and_then(Value::as_array)
        .map(|s| s.iter().filter_map(|x| x["url"].as_str()).collect())
        .unwrap_or_default();
    if !server_urls.contains(&default_base) {
        fail(format!(
            "default base URL {default_base} is not among the servers {server_urls:?}"
        ));
    }
    let verb = match spec.method {
        HttpMethod::Get => "get",
        HttpMethod::Post => "post",
        HttpMethod::Delete => "delete",
    };
    let Some(op) = item.get(verb) else {
        fail("method not declared for this path".into());
        return problems;
    };

    let params: Vec<&Value> = item
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .chain(op.get("parameters").and_then(Value::as_array))
        .flatten()
        .map(|p| resolve(doc, p))
        .collect();
    let declared = |place: &str, name: &str| {
        params
            .iter()
            .find(|p| p["in"] == place && p["name"] == name)
            .copied()
    };

    // Path parameters: the template's placeholders are exactly the declared ones, and the
    // concrete path fills them with valid values.
    let names: BTreeSet<&str> = placeholders(spec.path_template).into_iter().collect();
    let declared_path: BTreeSet<&str> = params
        .iter()
        .filter(|p| p["in"] == "path")
        .filter_map(|p| p["name"].as_str())
        .collect();
    if names != declared_path {
        fail(format!(
            "path placeholders {names:?} differ from declared {declared_path:?}"
        ));
    }
    match match_template(spec.path_template, &spec.path) {
        None => fail(format!("path {:?} does not fit the template", spec.path)),
        Some(values) => {
            for (name, value) in values {
                if let Some(p) = declared("path", &name)
                    && let Err(e) = check_value(doc, &p["schema"], value)
                {
                    fail(format!("path parameter {name}: {e}"));
                }
            }
        }
    }

    // Query parameters.
    let mut seen = BTreeSet::new();
    for (name, value) in &spec.query {
        if !seen.insert(*name) {
            fail(format!("query parameter {name} sent twice"));
        }
        match declared("query", name) {
            None => fail(format!("query parameter {name} is not declared")),
            Some(p) => {
                if let Err(e) = check_value(doc, &p["schema"], value) {
                    fail(format!("query parameter {name}: {e}"));
                }
            }
        }
    }
    for p in params
        .iter()
        .filter(|p| p["in"] == "query" && p["required"] == true)
    {
        let name = p["name"].as_str().unwrap_or_default();
        if !spec.query.iter().any(|(n, _)| *n == name) {
            fail(format!("required query parameter {name} missing"));
        }
    }

    // Form body.
    let form_schema = op
        .pointer("/requestBody/content/application~1x-www-form-urlencoded/schema")
        .map(|s| resolve(doc, s));
    match form_schema {
        None if !spec.form.is_empty() => fail("form fields sent but no form body declared".into()),
        None => {}
        Some(schema) => {
            if spec.method != HttpMethod::Post {
                fail("form body on a method other than POST".into());
            }
            let mut seen = BTreeSet::new();
            for (name, value) in &spec.form {
                if !seen.insert(*name) {
                    fail(format!("form field {name} sent twice"));
                }
                match schema.pointer(&format!("/properties/{name}")) {
                    None => fail(format!("form field {name} is not declared")),
                    Some(prop) => {
                        if let Err(e) = check_value(doc, prop, value) {
                            fail(format!("form field {name}: {e}"));
                        }
                    }
                }
            }
            for name in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = name.as_str().unwrap_or_default();
                if !spec.form.iter().any(|(n, _)| *n == name) {
                    fail(format!("required form field {name} missing"));
                }
            }
        }
    }
    problems
}

/// Captures the field list serde derives for a struct, without any data.
struct FieldProbe<'a>(&'a mut Option<&'static [&'static str]>);

impl<'de> serde::Deserializer<'de> for FieldProbe<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(de::Error::custom("probe only"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

fn decoded_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields = None;
    let _ = T::deserialize(FieldProbe(&mut fields));
    fields.expect("a derived struct")
}

/// The JSON keys the client reads from each operation's success answer must be declared in
/// that answer's schema (a typo would silently decode as "unset").
fn check_response(docs: &Docs, spec: &RequestSpec) -> Vec<String> {
    let (doc, _) = docs.for_host(spec.host);
    let mut problems = Vec::new();
    let op = doc
        .pointer(&format!("/paths/{}", spec.path_template.replace('/', "~1")))
        .and_then(|item| item.get(spec.method.as_str().to_ascii_lowercase()));
    let Some(op) = op else { return problems };
    let status = match spec.operation {
        Operation::CreateIncomingPhoneNumber => "201",
        Operation::DeleteIncomingPhoneNumber => "204",
        _ => "200",
    };
    let Some(response) = op.pointer(&format!("/responses/{status}")) else {
        problems.push(format!("{}: no {status} response declared", spec.operation));
        return problems;
    };
    let body = response
        .pointer("/content/application~1json/schema")
        .map(|s| resolve(doc, s));
    let mut expect = |schema: Option<&Value>, fields: &[&str], what: &str| {
        let Some(schema) = schema.map(|s| resolve(doc, s)) else {
            problems.push(format!("{}: no schema for {what}", spec.operation));
            return;
        };
        for f in fields {
            if schema.pointer(&format!("/properties/{f}")).is_none() {
                problems.push(format!("{}: {what} has no field {f:?}", spec.operation));
            }
        }
    };
    let number_fields = decoded_fields::<IncomingPhoneNumber>();
    match spec.operation {
        Operation::SearchAvailablePhoneNumbers => {
            expect(body, &["available_phone_numbers"], "search answer");
            let item = body.and_then(|b| b.pointer("/properties/available_phone_numbers/items"));
            expect(
                item,
                decoded_fields::<AvailablePhoneNumber>(),
                "available number",
            );
        }
        Operation::CreateIncomingPhoneNumber
        | Operation::FetchIncomingPhoneNumber
        | Operation::UpdateIncomingPhoneNumber => expect(body, number_fields, "owned number"),
        Operation::ListIncomingPhoneNumbers => {
            expect(
                body,
                &["incoming_phone_numbers", "next_page_uri"],
                "list page",
            );
            let item = body.and_then(|b| b.pointer("/properties/incoming_phone_numbers/items"));
            expect(item, number_fields, "owned number");
        }
        Operation::DeleteIncomingPhoneNumber => {}
        Operation::FetchPhoneNumberPricing => {
            expect(
                body,
                decoded_fields::<PhoneNumberPricing>(),
                "country pricing",
            );
            let item = body.and_then(|b| b.pointer("/properties/phone_number_prices/items"));
            expect(item, decoded_fields::<NumberPrice>(), "number price");
        }
        Operation::ListPricingCountries => {
            expect(body, &["countries", "meta"], "pricing country page");
            let item = body.and_then(|b| b.pointer("/properties/countries/items"));
            expect(item, decoded_fields::<PricingCountry>(), "pricing country");
            let meta = body.and_then(|b| b.pointer("/properties/meta"));
            expect(meta, &["next_page_url"], "page meta");
        }
        Operation::FetchAccount => expect(body, decoded_fields::<Account>(), "account"),
    }
    problems
}

#[test]
fn every_request_the_client_builds_is_declared_in_twilio_openapi() {
    let Some(dir) = conformance_dir() else {
        eprintln!(
            "conformance_openapi skipped: {ENV} is not set (point it at the folder holding \
             twilio-oai/twilio_api_v2010.json and twilio_pricing_v1.json to run it)"
        );
        return;
    };
    let docs = Docs {
        api: load(&dir, "twilio_api_v2010.json"),
        pricing: load(&dir, "twilio_pricing_v1.json"),
    };
    let requests = describe_requests().expect("sample inputs are valid");
    for op in Operation::ALL {
        assert!(
            requests.iter().any(|r| r.operation == op),
            "{op} is not described"
        );
    }
    let mut problems = Vec::new();
    let mut checked_params = 0;
    for spec in &requests {
        problems.extend(check_request(&docs, spec));
        problems.extend(check_response(&docs, spec));
        checked_params += spec.query.len() + spec.form.len();
    }
    assert!(
        problems.is_empty(),
        "OpenAPI mismatches:\n{}",
        problems.join("\n")
    );
    // Guard against a vacuous pass: the samples set every optional parameter.
    assert!(
        checked_params > 3 * 19 + 9 + 2 + 8,
        "only {checked_params} parameters checked"
    );
    eprintln!(
        "conformance_openapi: {} requests, {checked_params} parameters checked",
        requests.len()
    );
}

/// The checker itself must catch mistakes, or the test above proves nothing.
#[test]
fn the_checker_rejects_undeclared_paths_methods_and_parameters() {
    let Some(dir) = conformance_dir() else {
        eprintln!("conformance_openapi checker self-test skipped: {ENV} is not set");
        return;
    };
    let docs = Docs {
        api: load(&dir, "twilio_api_v2010.json"),
        pricing: load(&dir, "twilio_pricing_v1.json"),
    };
    let good = describe_requests()
        .unwrap()
        .into_iter()
        .find(|r| r.operation == Operation::CreateIncomingPhoneNumber)
        .unwrap();
    assert!(check_request(&docs, &good).is_empty());

    let mut bad = good.clone();
    bad.form.push(("VoiceUrlTypo", "x".into()));
    assert!(
        check_request(&docs, &bad)
            .iter()
            .any(|p| p.contains("VoiceUrlTypo"))
    );

    let mut bad = good.clone();
    bad.form.push(("VoiceMethod", "PUT".into()));
    assert!(
        check_request(&docs, &bad)
            .iter()
            .any(|p| p.contains("not one of"))
    );

    let mut bad = good.clone();
    bad.method = HttpMethod::Delete;
    assert!(!check_request(&docs, &bad).is_empty());

    let mut bad = good.clone();
    bad.path_template = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers";
    assert!(
        !check_request(&docs, &bad).is_empty(),
        "the .json suffix is required"
    );

    let mut bad = good.clone();
    bad.path = "/2010-04-01/Accounts/ACnothex/IncomingPhoneNumbers.json".into();
    assert!(
        check_request(&docs, &bad)
            .iter()
            .any(|p| p.contains("AccountSid"))
    );

    let mut bad = good;
    bad.method = HttpMethod::Get;
    bad.form.clear();
    bad.query.push(("PageSize", "1001".into()));
    assert!(
        check_request(&docs, &bad)
            .iter()
            .any(|p| p.contains("maximum"))
    );
}

//! Wire details checked with a plain HTTP client: error bodies, paging links and tokens,
//! JSON spellings, purchase variants, and the `/_fake/` control API.

mod common;

use serde_json::{Value, json};
use twilio_fake::{FakeOperation, NumberKind, TwilioFake};

use common::fake;

struct Http<'a> {
    fake: &'a TwilioFake,
    client: reqwest::Client,
}

impl<'a> Http<'a> {
    fn new(fake: &'a TwilioFake) -> Self {
        Self {
            fake,
            client: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.fake.api_base_url())
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let response = request.send().await.expect("fake answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
        };
        (status, headers, value)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let req = self
            .client
            .get(self.url(path))
            .basic_auth(self.fake.account_sid(), Some(self.fake.auth_token()));
        let (status, _, value) = self.send(req).await;
        (status, value)
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let req = self
            .client
            .post(self.url(path))
            .basic_auth(self.fake.account_sid(), Some(self.fake.auth_token()))
            .form(form);
        let (status, _, value) = self.send(req).await;
        (status, value)
    }

    async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.fake.control_base_url()));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let (status, _, value) = self.send(req).await;
        (status, value)
    }

    fn base(&self) -> String {
        format!("/2010-04-01/Accounts/{}", self.fake.account_sid())
    }
}

fn assert_twilio_error(value: &Value, status: u16, code: u64) {
    assert_eq!(value["status"], json!(status), "{value}");
    assert_eq!(value["code"], json!(code), "{value}");
    assert_eq!(
        value["more_info"],
        json!(format!("https://www.twilio.com/docs/errors/{code}"))
    );
    assert!(value["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn errors_carry_twilio_status_code_message_and_more_info() {
    let fake = fake(20);
    let http = Http::new(&fake);
    // No credentials, and wrong ones: 401 with the challenge header.
    for req in [
        http.client.get(http.url(&format!("{}.json", http.base()))),
        http.client
            .get(http.url(&format!("{}.json", http.base())))
            .basic_auth(fake.account_sid(), Some("wrong")),
        http.client
            .get(http.url("/v1/PhoneNumbers/Countries/US"))
            .basic_auth("ACnobody", Some("x")),
    ] {
        let (status, headers, value) = http.send(req).await;
        assert_eq!(status, 401);
        assert_twilio_error(&value, 401, 20003);
        assert_eq!(value["message"], json!("Authenticate"));
        assert!(headers.get("www-authenticate").is_some());
    }
    // Unknown resource, a path without `.json`, an unknown number SID.
    for path in [
        format!("{}/Calls.json", http.base()),
        format!("{}/IncomingPhoneNumbers", http.base()),
        format!(
            "{}/IncomingPhoneNumbers/PN{}.json",
            http.base(),
            "0".repeat(32)
        ),
        format!("{}/IncomingPhoneNumbers/nonsense.json", http.base()),
        format!("{}/AvailablePhoneNumbers/US/National.json", http.base()),
        format!("{}/AvailablePhoneNumbers/us/Local.json", http.base()),
    ] {
        let (status, value) = http.get(&path).await;
        assert_eq!(status, 404, "{path}");
        assert_twilio_error(&value, 404, 20404);
        assert!(
            value["message"].as_str().unwrap().contains(&path),
            "{value}"
        );
    }
    // A method the resource does not have.
    let req = http
        .client
        .delete(http.url(&format!("{}/AvailablePhoneNumbers.json", http.base())))
        .basic_auth(fake.account_sid(), Some(fake.auth_token()));
    let (status, _, value) = http.send(req).await;
    assert_eq!(status, 405);
    assert_twilio_error(&value, 405, 20004);
}

#[tokio::test]
async fn search_and_owned_number_json_use_the_live_spellings() {
    let fake = fake(21);
    let http = Http::new(&fake);
    let (status, search) = http
        .get(&format!(
            "{}/AvailablePhoneNumbers/US/Local.json",
            http.base()
        ))
        .await;
    assert_eq!(status, 200);
    let first = &search["available_phone_numbers"][0];
    let caps = first["capabilities"].as_object().unwrap();
    assert!(caps.contains_key("SMS") && caps.contains_key("MMS") && caps.contains_key("voice"));
    assert!(!caps.contains_key("sms"));
    assert!(
        first["latitude"].as_str().unwrap().parse::<f64>().is_ok(),
        "coordinates are strings"
    );
    assert!(
        search.get("next_page_uri").is_none(),
        "live searches carry no paging fields"
    );
    assert_eq!(
        search["uri"],
        json!(format!(
            "{}/AvailablePhoneNumbers/US/Local.json",
            http.base()
        ))
    );

    let number = first["phone_number"].as_str().unwrap();
    let (status, owned) = http
        .post(
            &format!("{}/IncomingPhoneNumbers.json", http.base()),
            &[("PhoneNumber", number)],
        )
        .await;
    assert_eq!(status, 201);
    let caps = owned["capabilities"].as_object().unwrap();
    assert!(caps.contains_key("sms") && caps.contains_key("mms") && !caps.contains_key("SMS"));
    assert_eq!(owned["voice_url"], Value::Null);
    assert_eq!(owned["sms_url"], json!(""));
    assert_eq!(owned["status_callback"], json!(""));
    assert_eq!(owned["voice_method"], json!("POST"));
    assert_eq!(owned["status"], json!("in-use"));
    assert_eq!(owned["type"], json!("local"));
    assert!(owned["date_created"].as_str().unwrap().ends_with("+0000"));
    let sid = owned["sid"].as_str().unwrap();
    assert_eq!(
        owned["uri"],
        json!(format!("{}/IncomingPhoneNumbers/{sid}.json", http.base()))
    );
    // Countries.
    let (_, countries) = http
        .get(&format!("{}/AvailablePhoneNumbers.json", http.base()))
        .await;
    let us = countries["countries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["country_code"] == json!("US"))
        .unwrap();
    let subresources = us["subresource_uris"].as_object().unwrap();
    assert!(subresources.contains_key("local") && subresources.contains_key("toll_free"));
    assert!(
        !subresources.contains_key("mobile"),
        "US has no mobile inventory"
    );
}

#[tokio::test]
async fn list_pages_link_forward_and_back_with_opaque_tamper_evident_tokens() {
    let fake = fake(22);
    fake.control().seed_owned_numbers(None, 25, None).unwrap();
    let http = Http::new(&fake);
    let base = format!("{}/IncomingPhoneNumbers.json", http.base());
    let (status, page0) = http.get(&format!("{base}?PageSize=10")).await;
    assert_eq!(status, 200);
    assert_eq!(page0["page"], json!(0));
    assert_eq!(page0["page_size"], json!(10));
    assert_eq!(page0["start"], json!(0));
    assert_eq!(page0["end"], json!(9));
    assert_eq!(page0["previous_page_uri"], Value::Null);
    assert_eq!(
        page0["first_page_uri"],
        json!(format!("{base}?PageSize=10&Page=0"))
    );
    let next = page0["next_page_uri"].as_str().unwrap();
    assert!(
        next.starts_with(&base) && next.contains("Page=1") && next.contains("PageToken=PA"),
        "{next}"
    );

    let (_, page1) = http.get(next).await;
    assert_eq!(page1["page"], json!(1));
    assert_eq!(page1["start"], json!(10));
    let (_, page2) = http.get(page1["next_page_uri"].as_str().unwrap()).await;
    assert_eq!(page2["incoming_phone_numbers"].as_array().unwrap().len(), 5);
    assert_eq!(page2["next_page_uri"], Value::Null, "last page");
    // Back from page 2 lands on page 1's numbers exactly.
    let (_, back) = http.get(page2["previous_page_uri"].as_str().unwrap()).await;
    assert_eq!(
        back["incoming_phone_numbers"],
        page1["incoming_phone_numbers"]
    );
    assert_eq!(back["page"], json!(1));
    assert_eq!(back["next_page_uri"], page1["next_page_uri"]);
    let (_, back0) = http.get(back["previous_page_uri"].as_str().unwrap()).await;
    assert_eq!(
        back0["incoming_phone_numbers"],
        page0["incoming_phone_numbers"]
    );
    assert_eq!(back0["page"], json!(0));
    assert_eq!(
        back0["previous_page_uri"],
        Value::Null,
        "nothing before page 0"
    );
    assert!(back0["next_page_uri"].is_string());

    // A forged token, a token of another listing, and bad page sizes are refused.
    let token = next.split("PageToken=").nth(1).unwrap();
    let mut forged = token.to_owned();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    for bad in [
        format!("{base}?PageSize=10&Page=1&PageToken={forged}"),
        format!("{base}?PageSize=10&Page=1&PageToken=garbage"),
        format!("{base}?PageSize=10&Page=1&PhoneNumber=%2B1&PageToken={token}"),
    ] {
        let (status, value) = http.get(&bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_twilio_error(&value, 400, 21481);
    }
    for size in ["0", "1001", "many"] {
        let (status, value) = http.get(&format!("{base}?PageSize={size}")).await;
        assert_eq!(status, 400, "{size}");
        assert_eq!(value["code"], json!(20001));
    }
    // Filtered listings carry their filter in every link.
    let (_, filtered) = http
        .get(&format!("{base}?PhoneNumber=%2B1&PageSize=10"))
        .await;
    assert!(
        filtered["next_page_uri"]
            .as_str()
            .unwrap()
            .contains("PhoneNumber=%2B1")
    );
    let (_, none) = http
        .get(&format!("{base}?PhoneNumber=%2B19999999999"))
        .await;
    assert_eq!(none["incoming_phone_numbers"], json!([]));
    assert_eq!(none["end"], json!(0));
}

#[tokio::test]
async fn purchases_by_area_code_typed_paths_and_transfers_between_accounts() {
    let fake = fake(23);
    let http = Http::new(&fake);
    let collection = format!("{}/IncomingPhoneNumbers.json", http.base());
    let (status, bought) = http.post(&collection, &[("AreaCode", "415")]).await;
    assert_eq!(status, 201, "{bought}");
    assert!(
        bought["phone_number"]
            .as_str()
            .unwrap()
            .starts_with("+1415")
    );
    let (status, value) = http.post(&collection, &[("AreaCode", "123")]).await;
    assert_eq!(status, 400);
    assert_eq!(value["code"], json!(21451));
    let (status, value) = http.post(&collection, &[("AreaCode", "999")]).await;
    assert_eq!(status, 400);
    assert_eq!(value["code"], json!(21452));
    let (status, value) = http.post(&collection, &[]).await;
    assert_eq!(status, 400);
    assert_eq!(value["code"], json!(21421));

    // A number bought through the wrong typed path is not available there.
    let local = fake
        .control()
        .available_numbers("US", NumberKind::Local)
        .unwrap()[0]
        .phone_number
        .clone();
    let (status, value) = http
        .post(
            &format!("{}/IncomingPhoneNumbers/TollFree.json", http.base()),
            &[("PhoneNumber", local.as_str())],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(value["code"], json!(21422));
    let (status, typed) = http
        .post(
            &format!("{}/IncomingPhoneNumbers/Local.json", http.base()),
            &[("PhoneNumber", local.as_str()), ("VoiceMethod", "PUT")],
        )
        .await;
    assert_eq!(status, 400, "{typed}");
    let (status, _) = http
        .post(
            &format!("{}/IncomingPhoneNumbers/Local.json", http.base()),
            &[("PhoneNumber", local.as_str())],
        )
        .await;
    assert_eq!(status, 201);
    let (_, locals) = http
        .get(&format!("{}/IncomingPhoneNumbers/Local.json", http.base()))
        .await;
    assert_eq!(
        locals["incoming_phone_numbers"].as_array().unwrap().len(),
        2
    );
    let (_, mobiles) = http
        .get(&format!("{}/IncomingPhoneNumbers/Mobile.json", http.base()))
        .await;
    assert_eq!(mobiles["incoming_phone_numbers"], json!([]));

    // Moving a number to a subaccount.
    let sub = fake.control().create_subaccount(None);
    let sid = bought["sid"].as_str().unwrap();
    let (status, moved) = http
        .post(
            &format!("{}/IncomingPhoneNumbers/{sid}.json", http.base()),
            &[("AccountSid", sub.account_sid.as_str())],
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["account_sid"], json!(sub.account_sid));
    let owned = fake
        .control()
        .owned_number(bought["phone_number"].as_str().unwrap())
        .unwrap();
    assert_eq!(owned.account_sid, sub.account_sid);
    let (status, _) = http
        .get(&format!("{}/IncomingPhoneNumbers/{sid}.json", http.base()))
        .await;
    assert_eq!(status, 404, "gone from the master's listing");
    let (status, _) = http
        .get(&format!(
            "/2010-04-01/Accounts/{}/IncomingPhoneNumbers/{sid}.json",
            sub.account_sid
        ))
        .await;
    assert_eq!(status, 200, "the parent sees it under the subaccount");
}

#[tokio::test]
async fn pricing_country_list_pages_with_v1_meta_links() {
    let fake = fake(24);
    let http = Http::new(&fake);
    let mut url = Some(format!(
        "{}/v1/PhoneNumbers/Countries?PageSize=2",
        fake.pricing_base_url()
    ));
    let mut isos = Vec::new();
    let mut pages = 0;
    while let Some(u) = url {
        let path = u.strip_prefix(&fake.pricing_base_url()).unwrap().to_owned();
        let (status, page) = http.get(&path).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["meta"]["key"], json!("countries"));
        assert_eq!(page["meta"]["page"], json!(pages));
        assert_eq!(page["meta"]["page_size"], json!(2));
        isos.extend(
            page["countries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["iso_country"].as_str().unwrap().to_owned()),
        );
        if pages > 0 {
            assert!(page["meta"]["previous_page_url"].is_string());
        }
        url = page["meta"]["next_page_url"].as_str().map(str::to_owned);
        pages += 1;
    }
    assert_eq!(pages, 4);
    assert_eq!(isos, ["AU", "CA", "CZ", "DE", "FR", "GB", "PL", "US"]);
    let (_, gb) = http.get("/v1/PhoneNumbers/Countries/GB").await;
    let types: Vec<_> = gb["phone_number_prices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["number_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["local", "toll free", "mobile"]);
    assert!(
        gb["phone_number_prices"][0]["base_price"].is_string(),
        "prices are strings"
    );
}

#[tokio::test]
async fn the_control_api_over_http_seeds_inspects_and_injects_faults() {
    let fake = fake(25);
    let http = Http::new(&fake);
    use reqwest::Method;
    let (status, creds) = http.control(Method::GET, "/credentials", None).await;
    assert_eq!(status, 200);
    assert_eq!(creds["account_sid"], json!(fake.account_sid()));
    assert_eq!(creds["auth_token"], json!(fake.auth_token()));

    let (status, seeded) = http
        .control(
            Method::POST,
            "/numbers/seed",
            Some(json!({ "count": 3, "voice_url": "https://x.test/v" })),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(seeded["count"], json!(3));
    let (_, count) = http.control(Method::GET, "/numbers/count", None).await;
    assert_eq!(count["count"], json!(3));
    let (_, numbers) = http.control(Method::GET, "/numbers?limit=2", None).await;
    assert_eq!(numbers.as_array().unwrap().len(), 2);
    let phone = numbers[0]["phone_number"].as_str().unwrap();
    let (status, one) = http
        .control(Method::GET, &format!("/numbers/{phone}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["voice_url"], json!("https://x.test/v"));
    let (status, _) = http
        .control(Method::GET, "/numbers/+15550001111", None)
        .await;
    assert_eq!(status, 404);

    // Faults over HTTP reach the Twilio endpoints.
    let (status, _) = http
        .control(
            Method::POST,
            "/faults",
            Some(json!({
                "operation": "account",
                "fault": { "kind": "error", "status": 503, "code": 20503 },
                "times": 1,
            })),
        )
        .await;
    assert_eq!(status, 200);
    let (_, pending) = http.control(Method::GET, "/faults", None).await;
    assert_eq!(pending["account"].as_array().unwrap().len(), 1);
    let (status, value) = http.get(&format!("{}.json", http.base())).await;
    assert_eq!(status, 503);
    assert_eq!(value["code"], json!(20503));
    let (status, _) = http.get(&format!("{}.json", http.base())).await;
    assert_eq!(status, 200, "used up");
    http.control(
        Method::POST,
        "/faults",
        Some(json!({ "operation": "search", "fault": { "kind": "rate_limited", "retry_after_secs": 3 } })),
    )
    .await;
    let req = http
        .client
        .get(http.url(&format!(
            "{}/AvailablePhoneNumbers/US/Local.json",
            http.base()
        )))
        .basic_auth(fake.account_sid(), Some(fake.auth_token()));
    let (status, headers, value) = http.send(req).await;
    assert_eq!(status, 429);
    assert_eq!(value["code"], json!(20429));
    assert_eq!(headers.get("retry-after").unwrap(), "3");
    let (status, _) = http
        .control(Method::DELETE, "/faults?operation=search", None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = http
        .get(&format!(
            "{}/AvailablePhoneNumbers/US/Local.json",
            http.base()
        ))
        .await;
    assert_eq!(status, 200);
    let (_, stats) = http.control(Method::GET, "/stats", None).await;
    assert_eq!(stats["requests"]["account"], json!(2));
    assert_eq!(stats["requests"]["search"], json!(2));
    assert_eq!(fake.control().request_count(FakeOperation::Search), 2);

    // Inventory, regulation and prices.
    let (status, seeded) = http
        .control(
            Method::POST,
            "/inventory/seed",
            Some(json!({ "country": "PL", "type": "mobile", "count": 40 })),
        )
        .await;
    assert_eq!(status, 200, "{seeded}");
    assert_eq!(seeded["count"], json!(40));
    let (_, on_sale) = http
        .control(Method::GET, "/inventory?country=PL&type=mobile", None)
        .await;
    assert_eq!(on_sale.as_array().unwrap().len(), 40);
    let taken = on_sale[0]["phone_number"].as_str().unwrap();
    http.control(
        Method::POST,
        "/inventory/taken",
        Some(json!({ "phone_number": taken })),
    )
    .await;
    let (_, on_sale) = http
        .control(Method::GET, "/inventory?country=PL&type=mobile", None)
        .await;
    assert_eq!(on_sale.as_array().unwrap().len(), 39);
    let (status, _) = http
        .control(
            Method::POST,
            "/inventory/numbers",
            Some(
                json!({ "phone_number": "+48501234567", "iso_country": "PL", "type": "mobile",
                         "capabilities": { "voice": true, "sms": true } }),
            ),
        )
        .await;
    assert_eq!(status, 200);
    let (status, rule) = http
        .control(
            Method::PUT,
            "/regulations",
            Some(json!({ "country": "PL", "type": "mobile", "bundle_required": false })),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(rule["bundle_required"], json!(false));
    let (status, bought) = http
        .post(
            &format!("{}/IncomingPhoneNumbers.json", http.base()),
            &[("PhoneNumber", "+48501234567")],
        )
        .await;
    assert_eq!(status, 201, "{bought}");
    let (_, rule) = http
        .control(Method::GET, "/regulations?country=GB&type=local", None)
        .await;
    assert_eq!(rule["bundle_required"], json!(true));
    http.control(
        Method::PUT,
        "/prices",
        Some(json!({ "country": "PL", "type": "mobile", "base_price": "5.00", "current_price": "3.25" })),
    )
    .await;
    let (_, pl) = http.get("/v1/PhoneNumbers/Countries/PL").await;
    assert!(
        pl["phone_number_prices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["current_price"] == json!("3.25"))
    );

    // Accounts and keys.
    let (status, sub) = http
        .control(
            Method::POST,
            "/accounts",
            Some(json!({ "friendly_name": "t" })),
        )
        .await;
    assert_eq!(status, 201);
    let (status, key) = http
        .control(
            Method::POST,
            "/keys",
            Some(json!({ "account_sid": sub["account_sid"] })),
        )
        .await;
    assert_eq!(status, 200);
    let req = http
        .client
        .get(http.url(&format!(
            "/2010-04-01/Accounts/{}.json",
            sub["account_sid"].as_str().unwrap()
        )))
        .basic_auth(key["key_sid"].as_str().unwrap(), key["secret"].as_str());
    let (status, _, account) = http.send(req).await;
    assert_eq!(status, 200);
    assert_eq!(account["sid"], sub["account_sid"]);

    // Bad input.
    for (method, path, body) in [
        (
            Method::POST,
            "/faults",
            Some(json!({ "operation": "buy", "fault": { "kind": "hang" } })),
        ),
        (
            Method::POST,
            "/inventory/seed",
            Some(json!({ "country": "US", "type": "mobile", "count": 1 })),
        ),
        (
            Method::PUT,
            "/prices",
            Some(
                json!({ "country": "US", "type": "local", "base_price": "x", "current_price": "1" }),
            ),
        ),
    ] {
        let (status, value) = http.control(method, path, body).await;
        assert_eq!(status, 400, "{path}: {value}");
        assert!(value["error"].is_string());
    }
    let (status, _) = http
        .control(
            Method::POST,
            "/keys",
            Some(json!({ "account_sid": "ACnope" })),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = http.control(Method::GET, "/nothing-here", None).await;
    assert_eq!(status, 404);
}

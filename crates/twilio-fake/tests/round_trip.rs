//! Every twilio-client operation against the fake, checking that what the client reports
//! agrees with the fake's own state (read through the control API).

mod common;

use std::collections::HashSet;
use std::time::Duration;

use futures::TryStreamExt as _;
use twilio_client::{
    AddressRequirement as ClientAddress, AvailableNumberSearch, Credentials,
    IncomingPhoneNumberFilter, IncomingPhoneNumberUpdate, NewIncomingPhoneNumber, NumberType,
    SearchType, SecretString, WebhookMethod,
};
use twilio_fake::{AddressRequirement, NumberKind, Regulation};

use common::{client, client_with, fake, quick_retries, sid};

fn search_type(kind: NumberKind) -> SearchType {
    match kind {
        NumberKind::Local => SearchType::Local,
        NumberKind::TollFree => SearchType::TollFree,
        NumberKind::Mobile => SearchType::Mobile,
    }
}

#[tokio::test]
async fn search_returns_stocked_numbers_of_each_country_and_type_with_their_details() {
    let fake = fake(1);
    let client = client(&fake);
    let expected_prefix = [
        ("US", NumberKind::Local, "+1"),
        ("US", NumberKind::TollFree, "+18"),
        ("CA", NumberKind::Local, "+1"),
        ("GB", NumberKind::Local, "+44"),
        ("GB", NumberKind::Mobile, "+447"),
        ("GB", NumberKind::TollFree, "+448"),
        ("PL", NumberKind::Local, "+48"),
        ("PL", NumberKind::Mobile, "+48"),
        ("DE", NumberKind::Local, "+49"),
        ("DE", NumberKind::Mobile, "+491"),
        ("DE", NumberKind::TollFree, "+49800"),
        ("FR", NumberKind::Local, "+33"),
        ("FR", NumberKind::Mobile, "+33"),
        ("AU", NumberKind::Local, "+61"),
        ("AU", NumberKind::Mobile, "+614"),
        ("AU", NumberKind::TollFree, "+611800"),
        ("CZ", NumberKind::Local, "+420"),
        ("CZ", NumberKind::Mobile, "+420"),
        ("CZ", NumberKind::TollFree, "+420800"),
    ];
    for (country, kind, prefix) in expected_prefix {
        let found = client
            .search_available_phone_numbers(
                country,
                search_type(kind),
                &AvailableNumberSearch::default(),
            )
            .await
            .unwrap_or_else(|e| panic!("{country} {kind}: {e}"));
        assert_eq!(found.len(), 30, "{country} {kind}: capped at 30");
        let on_sale = fake.control().available_numbers(country, kind).unwrap();
        for n in &found {
            let number = n.phone_number.as_deref().unwrap();
            assert!(number.starts_with(prefix), "{number} for {country} {kind}");
            assert_eq!(n.iso_country.as_deref(), Some(country));
            let stocked = on_sale
                .iter()
                .find(|s| s.phone_number == number)
                .expect("on sale");
            // The client decoded the upper-case SMS/MMS keys into the same flags.
            assert_eq!(n.capabilities.sms, stocked.capabilities.sms);
            assert_eq!(n.capabilities.mms, stocked.capabilities.mms);
            assert_eq!(n.capabilities.voice, stocked.capabilities.voice);
            assert_eq!(n.locality, stocked.locality);
            assert_eq!(n.latitude.is_some(), stocked.latitude.is_some());
        }
    }
    // US/CA local numbers carry NANP details.
    let us = client
        .search_available_phone_numbers("US", SearchType::Local, &AvailableNumberSearch::default())
        .await
        .unwrap();
    assert!(
        us.iter()
            .all(|n| n.region.is_some() && n.postal_code.is_some() && n.latitude.is_some())
    );
    assert!(us[0].friendly_name.as_deref().unwrap().starts_with('('));
}

#[tokio::test]
async fn search_of_a_type_or_country_not_stocked_is_404_20404() {
    let fake = fake(2);
    let client = client(&fake);
    for (country, kind) in [
        ("US", SearchType::Mobile),
        ("CA", SearchType::Mobile),
        ("ZZ", SearchType::Local),
    ] {
        let e = client
            .search_available_phone_numbers(country, kind, &AvailableNumberSearch::default())
            .await
            .unwrap_err();
        assert!(e.is_not_found(), "{country}: {e}");
        assert_eq!(e.twilio_code(), Some(20404));
        assert_eq!(e.http_status(), Some(404));
    }
}

#[tokio::test]
async fn search_filters_contains_capabilities_address_and_page_size() {
    let fake = fake(3);
    let client = client(&fake);
    // Contains with a start anchor and wildcards.
    let found = client
        .search_available_phone_numbers(
            "US",
            SearchType::Local,
            &AvailableNumberSearch {
                contains: Some("+1415%".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|n| n.phone_number.as_deref().unwrap().starts_with("+1415"))
    );
    // Letters are keypad digits: "LO" is 56.
    let vanity = client
        .search_available_phone_numbers(
            "US",
            SearchType::Local,
            &AvailableNumberSearch {
                contains: Some("LO".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!vanity.is_empty());
    assert!(
        vanity
            .iter()
            .all(|n| n.phone_number.as_deref().unwrap()[1..].contains("56"))
    );
    // A malformed pattern is a 400.
    let e = client
        .search_available_phone_numbers(
            "US",
            SearchType::Local,
            &AvailableNumberSearch {
                contains: Some("5".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.http_status(), Some(400));
    // Capability filter.
    let sms = client
        .search_available_phone_numbers(
            "GB",
            SearchType::Mobile,
            &AvailableNumberSearch {
                sms_enabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!sms.is_empty() && sms.iter().all(|n| n.capabilities.sms));
    let fax = client
        .search_available_phone_numbers(
            "GB",
            SearchType::Local,
            &AvailableNumberSearch {
                fax_enabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(fax.is_empty(), "GB local numbers have no fax");
    // Address filters: DE local needs a local address.
    let de = client
        .search_available_phone_numbers("DE", SearchType::Local, &AvailableNumberSearch::default())
        .await
        .unwrap();
    assert!(
        de.iter()
            .all(|n| n.address_requirements == Some(ClientAddress::Local))
    );
    for exclude in [
        AvailableNumberSearch {
            exclude_all_address_required: Some(true),
            ..Default::default()
        },
        AvailableNumberSearch {
            exclude_local_address_required: Some(true),
            ..Default::default()
        },
    ] {
        let none = client
            .search_available_phone_numbers("DE", SearchType::Local, &exclude)
            .await
            .unwrap();
        assert!(none.is_empty());
    }
    let foreign = client
        .search_available_phone_numbers(
            "DE",
            SearchType::Local,
            &AvailableNumberSearch {
                exclude_foreign_address_required: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        foreign.len(),
        30,
        "a local requirement is not a foreign one"
    );
    // PageSize below the cap limits; above it is still 30.
    for (size, expected) in [(5, 5), (1000, 30)] {
        let n = client
            .search_available_phone_numbers(
                "US",
                SearchType::Local,
                &AvailableNumberSearch {
                    page_size: Some(size),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(n.len(), expected);
    }
    // Region and proximity filters (US/CA).
    let sf = client
        .search_available_phone_numbers(
            "US",
            SearchType::Local,
            &AvailableNumberSearch {
                near_lat_long: Some((37.77, -122.41)),
                distance: Some(50),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!sf.is_empty() && sf.iter().all(|n| n.region.as_deref() == Some("CA")));
    let tx = client
        .search_available_phone_numbers(
            "US",
            SearchType::Local,
            &AvailableNumberSearch {
                in_region: Some("TX".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!tx.is_empty() && tx.iter().all(|n| n.locality.as_deref() == Some("Austin")));
}

#[tokio::test]
async fn search_filters_by_area_code_locality_postal_code_proximity_and_beta() {
    let fake = fake(11);
    let client = client(&fake);
    let search = |filter: AvailableNumberSearch| {
        let client = client.clone();
        async move {
            client
                .search_available_phone_numbers("US", SearchType::Local, &filter)
                .await
        }
    };
    let ny = search(AvailableNumberSearch {
        area_code: Some(212),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(!ny.is_empty());
    assert!(
        ny.iter()
            .all(|n| n.phone_number.as_deref().unwrap().starts_with("+1212"))
    );
    assert!(ny.iter().all(|n| n.locality.as_deref() == Some("New York")));
    let chicago = search(AvailableNumberSearch {
        in_locality: Some("chicago".into()),
        in_postal_code: Some("60601".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(!chicago.is_empty());
    assert!(chicago.iter().all(|n| n.region.as_deref() == Some("IL")));
    let lata = search(AvailableNumberSearch {
        in_lata: Some("722".into()),
        in_rate_center: Some("SNFC CNTRL".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(!lata.is_empty());
    assert!(
        lata.iter()
            .all(|n| n.phone_number.as_deref().unwrap().starts_with("+1415"))
    );
    let e = search(AvailableNumberSearch {
        in_rate_center: Some("SNFC CNTRL".into()),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert_eq!(e.http_status(), Some(400), "InRateCenter needs InLata");
    // Near a San Francisco number: only Bay Area numbers.
    let near = search(AvailableNumberSearch {
        near_number: Some("+14155550100".into()),
        distance: Some(30),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(!near.is_empty());
    assert!(
        near.iter()
            .all(|n| n.locality.as_deref() == Some("San Francisco"))
    );
    // Beta=false leaves out numbers new to Twilio.
    let stocked = fake
        .control()
        .available_numbers("US", NumberKind::Local)
        .unwrap();
    let beta: HashSet<_> = stocked
        .iter()
        .filter(|n| n.beta)
        .map(|n| n.phone_number.clone())
        .collect();
    assert!(!beta.is_empty(), "the inventory has beta numbers");
    let no_beta = search(AvailableNumberSearch {
        beta: Some(false),
        contains: Some(beta.iter().next().unwrap()[1..].to_owned()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(no_beta.is_empty(), "the only match is a beta number");
    let with_beta = search(AvailableNumberSearch {
        contains: Some(beta.iter().next().unwrap()[1..].to_owned()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(with_beta.len(), 1);
    assert_eq!(with_beta[0].beta, Some(true));
}

#[tokio::test]
async fn buy_fetch_update_list_and_release_agree_with_the_fake() {
    let fake = fake(4);
    let client = client(&fake);
    let offer = fake
        .control()
        .available_numbers("US", NumberKind::Local)
        .unwrap()[0]
        .clone();

    let mut purchase = NewIncomingPhoneNumber::new(offer.phone_number.clone());
    purchase.friendly_name = Some("tenant line".into());
    purchase.voice_url = Some("https://example.test/webhooks/twilio/voice?channel_id=c1".into());
    purchase.voice_method = Some(WebhookMethod::Post);
    purchase.status_callback = Some("https://example.test/webhooks/twilio/status".into());
    purchase.status_callback_method = Some(WebhookMethod::Post);
    let bought = client
        .create_incoming_phone_number(&purchase)
        .await
        .unwrap();
    let sid = bought.sid.clone().unwrap();
    assert!(sid.starts_with("PN") && sid.len() == 34);
    assert_eq!(bought.account_sid.as_deref(), Some(fake.account_sid()));
    assert_eq!(
        bought.phone_number.as_deref(),
        Some(offer.phone_number.as_str())
    );
    assert_eq!(bought.number_type, Some(NumberType::Local));
    assert_eq!(bought.friendly_name.as_deref(), Some("tenant line"));
    assert!(bought.date_created.is_some());
    assert_eq!(bought.capabilities.sms, offer.capabilities.sms);

    let owned = fake
        .control()
        .owned_number(&offer.phone_number)
        .expect("owned after purchase");
    assert_eq!(owned.sid, sid);
    assert_eq!(owned.voice_url, purchase.voice_url);
    assert!(
        !fake
            .control()
            .available_numbers("US", NumberKind::Local)
            .unwrap()
            .iter()
            .any(|n| n.phone_number == offer.phone_number),
        "a bought number is off sale"
    );

    let fetched = client.fetch_incoming_phone_number(&sid).await.unwrap();
    assert_eq!(fetched, bought);

    let update = IncomingPhoneNumberUpdate {
        voice_url: Some("https://example.test/webhooks/twilio/voice?channel_id=c2".into()),
        status_callback: Some(String::new()),
        ..Default::default()
    };
    let updated = client
        .update_incoming_phone_number(&sid, &update)
        .await
        .unwrap();
    assert_eq!(updated.voice_url, update.voice_url);
    assert_eq!(
        updated.status_callback, None,
        "an empty value clears the URL"
    );
    assert_eq!(
        updated.friendly_name.as_deref(),
        Some("tenant line"),
        "untouched fields stay"
    );
    let owned = fake.control().owned_number(&offer.phone_number).unwrap();
    assert_eq!(owned.voice_url, update.voice_url);
    assert_eq!(owned.status_callback, None);

    let listed: Vec<_> = client
        .list_incoming_phone_numbers(&IncomingPhoneNumberFilter {
            phone_number: Some(offer.phone_number.clone()),
            page_size: Some(1000),
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0], updated);

    client.delete_incoming_phone_number(&sid).await.unwrap();
    assert!(fake.control().owned_number(&offer.phone_number).is_none());
    let again = client.delete_incoming_phone_number(&sid).await.unwrap_err();
    assert!(again.is_not_found(), "{again}");
    assert!(
        client
            .fetch_incoming_phone_number(&sid)
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        fake.control()
            .available_numbers("US", NumberKind::Local)
            .unwrap()
            .iter()
            .any(|n| n.phone_number == offer.phone_number),
        "a released number is on sale again"
    );
}

#[tokio::test]
async fn buying_a_taken_owned_or_unknown_number_is_21422_and_garbage_is_21421() {
    let fake = fake(5);
    let client = client(&fake);
    let offers = fake
        .control()
        .available_numbers("US", NumberKind::Local)
        .unwrap();
    // Seen in a search, then bought by someone else before our purchase.
    fake.control().mark_taken(&offers[0].phone_number).unwrap();
    // Already ours.
    client
        .create_incoming_phone_number(&NewIncomingPhoneNumber::new(offers[1].phone_number.clone()))
        .await
        .unwrap();
    for number in [
        offers[0].phone_number.as_str(),
        offers[1].phone_number.as_str(),
        "+15005550000",
    ] {
        let e = client
            .create_incoming_phone_number(&NewIncomingPhoneNumber::new(number))
            .await
            .unwrap_err();
        assert_eq!(e.twilio_code(), Some(21422), "{number}: {e}");
        assert_eq!(e.http_status(), Some(400));
        assert!(e.is_definitely_not_processed());
    }
    let e = client
        .create_incoming_phone_number(&NewIncomingPhoneNumber::new("0800 FLOWERS"))
        .await
        .unwrap_err();
    assert_eq!(e.twilio_code(), Some(21421));
    assert_eq!(fake.control().owned_count(None).unwrap(), 1);
}

#[tokio::test]
async fn regulated_pairs_refuse_purchases_without_an_acceptable_bundle_or_address() {
    let fake = fake(6);
    let client = client(&fake);
    let control = fake.control();
    let gb = control.available_numbers("GB", NumberKind::Local).unwrap();
    let e = client
        .create_incoming_phone_number(&NewIncomingPhoneNumber::new(gb[0].phone_number.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.twilio_code(), Some(21649), "{e}");
    let mut with_bundle = NewIncomingPhoneNumber::new(gb[0].phone_number.clone());
    with_bundle.bundle_sid = Some(sid("BU", 1));
    let bought = client
        .create_incoming_phone_number(&with_bundle)
        .await
        .unwrap();
    assert_eq!(bought.bundle_sid, with_bundle.bundle_sid);

    let de = control.available_numbers("DE", NumberKind::Local).unwrap();
    let e = client
        .create_incoming_phone_number(&NewIncomingPhoneNumber::new(de[0].phone_number.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.twilio_code(), Some(21631), "{e}");
    let mut with_address = NewIncomingPhoneNumber::new(de[0].phone_number.clone());
    with_address.address_sid = Some(sid("AD", 2));
    client
        .create_incoming_phone_number(&with_address)
        .await
        .unwrap();

    // Strict mode: only registered bundles/addresses for the right pair count.
    control.set_strict_regulatory(true);
    let mut unregistered = NewIncomingPhoneNumber::new(gb[1].phone_number.clone());
    unregistered.bundle_sid = Some(sid("BU", 3));
    let e = client
        .create_incoming_phone_number(&unregistered)
        .await
        .unwrap_err();
    assert_eq!(e.twilio_code(), Some(21649));
    control
        .register_bundle(&sid("BU", 3), "GB", NumberKind::Mobile)
        .unwrap();
    let e = client
        .create_incoming_phone_number(&unregistered)
        .await
        .unwrap_err();
    assert_eq!(
        e.twilio_code(),
        Some(21649),
        "a mobile bundle does not cover local numbers"
    );
    control
        .register_bundle(&sid("BU", 3), "GB", NumberKind::Local)
        .unwrap();
    client
        .create_incoming_phone_number(&unregistered)
        .await
        .unwrap();

    let mut foreign_address = NewIncomingPhoneNumber::new(de[1].phone_number.clone());
    foreign_address.address_sid = Some(sid("AD", 4));
    control.register_address(&sid("AD", 4), "FR").unwrap();
    let e = client
        .create_incoming_phone_number(&foreign_address)
        .await
        .unwrap_err();
    assert_eq!(
        e.twilio_code(),
        Some(21631),
        "DE local needs an address in Germany"
    );
    control.register_address(&sid("AD", 4), "DE").unwrap();
    client
        .create_incoming_phone_number(&foreign_address)
        .await
        .unwrap();

    // Regulation is configurable: US local made to need a bundle.
    control
        .set_regulation("US", NumberKind::Local, Regulation::BUNDLE)
        .unwrap();
    let us = control.available_numbers("US", NumberKind::Local).unwrap();
    let e = client
        .create_incoming_phone_number(&NewIncomingPhoneNumber::new(us[0].phone_number.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.twilio_code(), Some(21649));
    control
        .set_regulation(
            "US",
            NumberKind::Local,
            Regulation::address(AddressRequirement::Any),
        )
        .unwrap();
    let search = client
        .search_available_phone_numbers("US", SearchType::Local, &AvailableNumberSearch::default())
        .await
        .unwrap();
    assert!(
        search
            .iter()
            .all(|n| n.address_requirements == Some(ClientAddress::Any))
    );
}

#[tokio::test]
async fn wrong_credentials_are_401_20003_and_api_keys_work() {
    let fake = fake(7);
    let wrong = client_with(
        &fake,
        Credentials::auth_token(fake.account_sid(), SecretString::from("0".repeat(32))),
        quick_retries(3),
        Duration::from_secs(5),
    );
    for result in [
        wrong.fetch_account().await.map(drop),
        wrong.fetch_phone_number_pricing("US").await.map(drop),
        wrong
            .search_available_phone_numbers(
                "US",
                SearchType::Local,
                &AvailableNumberSearch::default(),
            )
            .await
            .map(drop),
    ] {
        let e = result.unwrap_err();
        assert!(e.is_auth_failure(), "{e}");
        assert_eq!(e.twilio_code(), Some(20003));
        assert_eq!(e.http_status(), Some(401));
    }
    assert_eq!(
        fake.control()
            .request_count(twilio_fake::FakeOperation::Account),
        0,
        "refused before routing"
    );

    let key = fake.control().create_api_key(None).unwrap();
    let with_key = client_with(
        &fake,
        Credentials::api_key(
            fake.account_sid(),
            key.key_sid.clone(),
            SecretString::from(key.secret.clone()),
        ),
        quick_retries(3),
        Duration::from_secs(5),
    );
    let account = with_key.fetch_account().await.unwrap();
    assert_eq!(account.sid.as_deref(), Some(fake.account_sid()));

    // A subaccount's key on the master's path: the resource is not visible → 404.
    let sub = fake.control().create_subaccount(Some("legacy tenant"));
    let sub_key = fake
        .control()
        .create_api_key(Some(&sub.account_sid))
        .unwrap();
    let foreign = client_with(
        &fake,
        Credentials::api_key(
            fake.account_sid(),
            sub_key.key_sid,
            SecretString::from(sub_key.secret),
        ),
        quick_retries(1),
        Duration::from_secs(5),
    );
    let e = foreign.fetch_account().await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
    // The master's credentials do reach the subaccount's resources.
    let parent_on_sub = client_with(
        &fake,
        Credentials::api_key(
            sub.account_sid.clone(),
            fake.account_sid(),
            SecretString::from(fake.auth_token()),
        ),
        quick_retries(1),
        Duration::from_secs(5),
    );
    let account = parent_on_sub.fetch_account().await.unwrap();
    assert_eq!(account.sid.as_deref(), Some(sub.account_sid.as_str()));
    assert_eq!(
        account.owner_account_sid.as_deref(),
        Some(fake.account_sid())
    );
}

#[tokio::test]
async fn listing_pages_through_every_owned_number_exactly_once() {
    let fake = fake(8);
    let client = client(&fake);
    fake.control()
        .seed_owned_numbers(None, 2345, Some("https://example.test/v"))
        .unwrap();
    // Another account's numbers never show up.
    let sub = fake.control().create_subaccount(None);
    fake.control()
        .seed_owned_numbers(Some(&sub.account_sid), 500, None)
        .unwrap();
    let listed: Vec<_> = client
        .list_incoming_phone_numbers(&IncomingPhoneNumberFilter {
            phone_number: None,
            page_size: Some(1000),
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2345);
    let sids: HashSet<_> = listed.iter().map(|n| n.sid.clone().unwrap()).collect();
    assert_eq!(sids.len(), 2345, "no duplicates");
    assert!(
        listed
            .iter()
            .all(|n| n.account_sid.as_deref() == Some(fake.account_sid()))
    );
    assert!(
        listed
            .iter()
            .all(|n| n.voice_url.as_deref() == Some("https://example.test/v"))
    );
    assert_eq!(
        fake.control()
            .request_count(twilio_fake::FakeOperation::List),
        3,
        "1000 + 1000 + 345"
    );
    let in_process: Vec<_> = fake
        .control()
        .owned_numbers(Some(fake.account_sid()), usize::MAX)
        .unwrap()
        .into_iter()
        .map(|n| n.sid)
        .collect();
    let listed_sids: Vec<_> = listed.iter().map(|n| n.sid.clone().unwrap()).collect();
    assert_eq!(
        listed_sids, in_process,
        "same order as the fake's own listing"
    );

    // A partial PhoneNumber filter with a wildcard.
    let some = &listed[0].phone_number.clone().unwrap()[..8];
    let filtered: Vec<_> = client
        .list_incoming_phone_numbers(&IncomingPhoneNumberFilter {
            phone_number: Some(format!("{some}*")),
            page_size: Some(50),
        })
        .try_collect()
        .await
        .unwrap();
    assert!(!filtered.is_empty());
    assert!(
        filtered
            .iter()
            .all(|n| n.phone_number.as_deref().unwrap().starts_with(some))
    );
    // Small pages still cover everything.
    let small: Vec<_> = client
        .list_incoming_phone_numbers(&IncomingPhoneNumberFilter {
            phone_number: None,
            page_size: Some(7),
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(small.len(), 2345);
}

#[tokio::test]
async fn pricing_lists_and_prices_every_stocked_country_with_toll_free_spelled_with_a_space() {
    let fake = fake(9);
    let client = client(&fake);
    let countries: Vec<_> = client.list_pricing_countries().try_collect().await.unwrap();
    let isos: HashSet<_> = countries
        .iter()
        .filter_map(|c| c.iso_country.clone())
        .collect();
    for iso in ["US", "CA", "CZ", "GB", "PL", "DE", "FR", "AU"] {
        assert!(isos.contains(iso), "{iso} missing");
        let pricing = client.fetch_phone_number_pricing(iso).await.unwrap();
        assert_eq!(pricing.iso_country.as_deref(), Some(iso));
        assert_eq!(pricing.price_unit.as_deref(), Some("USD"));
        assert!(
            pricing
                .phone_number_prices
                .iter()
                .any(|p| p.number_type == NumberType::Local)
        );
        assert!(
            pricing
                .phone_number_prices
                .iter()
                .any(|p| p.number_type == NumberType::TollFree)
        );
        assert!(
            pricing
                .phone_number_prices
                .iter()
                .all(|p| p.current_price.is_some())
        );
    }
    let us = client.fetch_phone_number_pricing("US").await.unwrap();
    assert_eq!(
        us.phone_number_prices[0].base_price,
        Some("1.15".parse().unwrap())
    );
    fake.control()
        .set_price("US", NumberKind::Local, "1.15", "0.99")
        .unwrap();
    let us = client.fetch_phone_number_pricing("us").await.unwrap();
    assert_eq!(
        us.phone_number_prices[0].current_price,
        Some("0.99".parse().unwrap())
    );
    let e = client.fetch_phone_number_pricing("ZZ").await.unwrap_err();
    assert!(e.is_not_found());
}

#[tokio::test]
async fn fetch_account_reports_the_master_account() {
    let fake = fake(10);
    let account = client(&fake).fetch_account().await.unwrap();
    assert_eq!(account.sid.as_deref(), Some(fake.account_sid()));
    assert_eq!(
        account.owner_account_sid.as_deref(),
        Some(fake.account_sid())
    );
    assert_eq!(account.status, Some(twilio_client::AccountStatus::Active));
    assert!(account.date_created.is_some());
}

#[tokio::test]
async fn the_same_seed_gives_the_same_credentials_inventory_and_sids() {
    async fn run(seed: u64) -> (String, String, Vec<String>, Vec<String>) {
        let fake = fake(seed);
        let client = client(&fake);
        let mut numbers = Vec::new();
        for (country, kind) in [
            ("US", SearchType::Local),
            ("GB", SearchType::Mobile),
            ("AU", SearchType::TollFree),
        ] {
            let found = client
                .search_available_phone_numbers(country, kind, &AvailableNumberSearch::default())
                .await
                .unwrap();
            numbers.extend(found.into_iter().filter_map(|n| n.phone_number));
        }
        let mut sids = Vec::new();
        for number in numbers.iter().take(3) {
            let mut p = NewIncomingPhoneNumber::new(number.clone());
            p.bundle_sid = Some(sid("BU", 9));
            sids.push(
                client
                    .create_incoming_phone_number(&p)
                    .await
                    .unwrap()
                    .sid
                    .unwrap(),
            );
        }
        fake.control().seed_owned_numbers(None, 5, None).unwrap();
        sids.extend(
            fake.control()
                .owned_numbers(None, 100)
                .unwrap()
                .into_iter()
                .map(|n| format!("{} {}", n.sid, n.phone_number)),
        );
        (
            fake.account_sid().to_owned(),
            fake.auth_token().to_owned(),
            numbers,
            sids,
        )
    }
    let a = run(1234).await;
    let b = run(1234).await;
    let c = run(1235).await;
    assert_eq!(a, b);
    assert_ne!(a.0, c.0);
    assert_ne!(a.2, c.2);
    assert_ne!(a.3, c.3);
}

//! Every repository operation, against PostgreSQL and SQLite.

mod support;

use chrono::{Duration, SubsecRound as _, Utc};
use numbers_domain::{
    AuditAction, AuditSource, Capabilities, ChannelKind, NumberStatus, PhoneNumberId,
    ReleaseReason, SubscriptionId, SubscriptionStatus, TenantId,
};
use numbers_persistence::testing::{tenant_with_quota, voice_channel};
use numbers_persistence::{
    Actor, AuditDetail, Changes, ChannelChange, Conflict, NewAuditEvent, NewChannel,
    PhoneNumberSummary, Reservation, StatusFilter, StoreError, both_backends,
};
use support::{actor, number, reservation};

/// What Twilio returns for a purchase.
fn purchased(sid: &str) -> Changes {
    Changes {
        twilio_sid: Some(sid.into()),
        friendly_name: Some("(415) 555-0001".into()),
        capabilities: Some(Capabilities {
            voice: true,
            sms: true,
            mms: false,
            fax: false,
        }),
        monthly_price_usd: Some("1.15".parse().unwrap()),
        voice_url: Some("https://api.example/webhooks/twilio/voice".into()),
        status_callback_url: Some("https://api.example/webhooks/twilio/status".into()),
        purchased_at: Some(Utc::now()),
        ..Changes::default()
    }
}

fn change(
    channel_id: Option<numbers_domain::ChannelId>,
    voice_url: &str,
    status_callback_url: &str,
    expected_voice_url: Option<String>,
) -> ChannelChange {
    ChannelChange {
        channel_id,
        voice_url: voice_url.into(),
        status_callback_url: status_callback_url.into(),
        expected_voice_url,
    }
}

async fn reserve_one(
    store: &numbers_persistence::Store,
    tenant: TenantId,
    n: u32,
) -> numbers_persistence::PhoneNumberRecord {
    match store
        .phone_numbers()
        .reserve(reservation(tenant, number(n)), &actor())
        .await
        .unwrap()
    {
        Reservation::Reserved(record) => *record,
        other => panic!("expected a reservation, got {other:?}"),
    }
}

both_backends! {
    async fn tenants_are_created_read_and_listed(db) {
        let tenants = db.store.tenants();
        let a = tenants.create("Acme").await.unwrap();
        let b = tenants.create_with_id(TenantId::new(), "Globex").await.unwrap();
        assert_eq!(tenants.get(a.id).await.unwrap(), Some(a.clone()));
        assert_eq!(tenants.get(TenantId::new()).await.unwrap(), None);
        let listed = tenants.list().await.unwrap();
        assert_eq!(listed, vec![a.clone(), b]);
        let duplicate = tenants.create_with_id(a.id, "Again").await;
        assert!(matches!(duplicate, Err(StoreError::Conflict(Conflict::Duplicate(_)))), "{duplicate:?}");
    }

    async fn plans_are_created_and_found_by_id_and_name(db) {
        let plans = db.store.plans();
        let starter = plans.create("starter", 5).await.unwrap();
        let pro = plans.create("pro", 50).await.unwrap();
        assert_eq!(starter.quota_phone_numbers, 5);
        assert_eq!(plans.get(starter.id).await.unwrap(), Some(starter.clone()));
        assert_eq!(plans.get_by_name("pro").await.unwrap(), Some(pro.clone()));
        assert_eq!(plans.get_by_name("missing").await.unwrap(), None);
        assert_eq!(plans.list().await.unwrap(), vec![pro, starter]);
        assert!(matches!(plans.create("starter", 1).await, Err(StoreError::Conflict(_))));
    }

    async fn subscriptions_track_status_and_cancellation(db) {
        let store = &db.store;
        let tenant = store.tenants().create("Acme").await.unwrap();
        let plan = store.plans().create("starter", 5).await.unwrap();
        let period_end = (Utc::now() + Duration::days(30)).trunc_subsecs(6);
        let sub = store
            .subscriptions()
            .create(tenant.id, plan.id, SubscriptionStatus::Trialing, period_end)
            .await
            .unwrap();
        assert_eq!(sub.current_period_end, period_end);
        assert_eq!(store.subscriptions().get(sub.id).await.unwrap(), Some(sub.clone()));
        assert_eq!(store.subscriptions().list_for_tenant(tenant.id).await.unwrap(), vec![sub.clone()]);
        let (current, current_plan) = store.subscriptions().current_for_tenant(tenant.id).await.unwrap().unwrap();
        assert_eq!((current.id, current_plan.id), (sub.id, plan.id));

        let past_due = store.subscriptions().set_status(sub.id, SubscriptionStatus::PastDue).await.unwrap();
        assert_eq!(past_due.status, SubscriptionStatus::PastDue);
        assert_eq!(store.subscriptions().current_for_tenant(tenant.id).await.unwrap(), None);

        // Cancellation at the end of the period is not due before that moment.
        let canceled = store.subscriptions().cancel(tenant.id, sub.id, period_end).await.unwrap();
        assert_eq!(canceled.status, SubscriptionStatus::Canceled);
        assert_eq!(canceled.canceled_at, Some(period_end));
        assert!(store.subscriptions().cancellations_due(Utc::now()).await.unwrap().is_empty());
        let due = store.subscriptions().cancellations_due(period_end + Duration::seconds(1)).await.unwrap();
        assert_eq!(due.iter().map(|s| s.id).collect::<Vec<_>>(), vec![sub.id]);

        // Another tenant cannot cancel it; unknown ids are not found.
        let other = store.tenants().create("Globex").await.unwrap();
        assert!(matches!(
            store.subscriptions().cancel(other.id, sub.id, Utc::now()).await,
            Err(StoreError::NotFound("subscription"))
        ));
        assert!(matches!(
            store.subscriptions().set_status(SubscriptionId::new(), SubscriptionStatus::Active).await,
            Err(StoreError::NotFound("subscription"))
        ));
        let orphan = store
            .subscriptions()
            .create(TenantId::new(), plan.id, SubscriptionStatus::Active, period_end)
            .await;
        assert!(matches!(orphan, Err(StoreError::MissingReference(_))), "{orphan:?}");
    }

    async fn channels_are_scoped_to_their_tenant(db) {
        let store = &db.store;
        let acme = store.tenants().create("Acme").await.unwrap();
        let globex = store.tenants().create("Globex").await.unwrap();
        let voice = voice_channel(store, acme.id).await;
        let chat = store
            .channels()
            .create(NewChannel {
                tenant_id: acme.id,
                kind: ChannelKind::Other("chat".into()),
                name: "Web chat".into(),
                agent_stream_url: None,
            })
            .await
            .unwrap();
        assert_eq!(store.channels().get(acme.id, voice.id).await.unwrap(), Some(voice.clone()));
        assert_eq!(store.channels().get(globex.id, voice.id).await.unwrap(), None);
        assert_eq!(store.channels().get_any(voice.id).await.unwrap(), Some(voice.clone()));
        assert_eq!(store.channels().list(acme.id).await.unwrap(), vec![voice, chat]);
        assert!(store.channels().list(globex.id).await.unwrap().is_empty());
    }

    async fn a_number_goes_through_its_whole_lifecycle_with_audit_events(db) {
        let store = &db.store;
        let (tenant, _) = tenant_with_quota(store, 3).await;
        let channel = voice_channel(store, tenant.id).await;
        let pending = reserve_one(store, tenant.id, 1).await;
        assert_eq!(pending.status, NumberStatus::Pending);
        assert_eq!(pending.monthly_price_usd.map(|m| m.to_string()), Some("1.15".into()));
        assert_eq!(store.phone_numbers().get(tenant.id, pending.id).await.unwrap(), Some(pending.clone()));

        let active = store.phone_numbers().mark_active(pending.id, purchased("PN1"), &actor()).await.unwrap();
        assert_eq!(active.status, NumberStatus::Active);
        assert_eq!(active.twilio_sid.as_deref(), Some("PN1"));
        assert!(active.capabilities.voice && active.capabilities.sms && !active.capabilities.mms);
        assert!(active.purchased_at.is_some());

        let attached = store
            .phone_numbers()
            .set_channel(tenant.id, active.id, change(Some(channel.id), "https://x/voice?channel_id=1", "https://x/status?channel_id=1", active.voice_url.clone()), &actor())
            .await
            .unwrap();
        assert_eq!(attached.channel_id, Some(channel.id));
        assert_eq!(attached.voice_url.as_deref(), Some("https://x/voice?channel_id=1"));
        // A change based on a stale read is refused and changes nothing.
        let stale = store
            .phone_numbers()
            .set_channel(tenant.id, active.id, change(None, "https://x/voice", "https://x/status", active.voice_url.clone()), &actor())
            .await;
        assert!(matches!(stale, Err(StoreError::Conflict(Conflict::ChangedConcurrently))), "{stale:?}");
        let detached = store
            .phone_numbers()
            .set_channel(tenant.id, active.id, change(None, "https://x/voice", "https://x/status", attached.voice_url.clone()), &actor())
            .await
            .unwrap();
        assert_eq!(detached.channel_id, None);

        let releasing = store.phone_numbers().mark_releasing(active.id, ReleaseReason::User, &actor()).await.unwrap();
        assert_eq!(releasing.status, NumberStatus::Releasing);
        assert_eq!(releasing.release_reason, Some(ReleaseReason::User), "the reason is kept from the start");
        let retried = store.phone_numbers().mark_releasing(active.id, ReleaseReason::User, &Actor::drift_sync()).await.unwrap();
        assert_eq!(retried.status, NumberStatus::Releasing);
        let released = store.phone_numbers().mark_released(active.id, ReleaseReason::User, &actor()).await.unwrap();
        assert_eq!(released.status, NumberStatus::Released);
        assert_eq!(released.release_reason, Some(ReleaseReason::User));
        assert!(released.released_at.is_some());
        // Fields set earlier survive later transitions.
        assert_eq!(released.twilio_sid.as_deref(), Some("PN1"));

        let history = store.audit_events().list_for_number(active.id).await.unwrap();
        let actions: Vec<_> = history.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, [
            "purchase.reserved", "purchase.completed", "channel.attached", "channel.detached",
            "release.started", "release.started", "release.completed",
        ]);
        assert_eq!(history[1].from_status, Some(NumberStatus::Pending));
        assert_eq!(history[1].to_status, Some(NumberStatus::Active));
        assert_eq!(history[0].request_id.as_deref(), Some("req-1"));
        assert_eq!(history[5].source, AuditSource::DriftSync);
        assert_eq!(history[2].detail, Some(AuditDetail { channel_id: Some(channel.id), ..AuditDetail::default() }));
        assert_eq!(history[3].detail, None, "a detach names no channel");
    }

    async fn forbidden_transitions_are_refused_and_change_nothing(db) {
        let store = &db.store;
        let (tenant, _) = tenant_with_quota(store, 3).await;
        let pending = reserve_one(store, tenant.id, 1).await;
        let refused = store.phone_numbers().mark_releasing(pending.id, ReleaseReason::User, &actor()).await;
        assert!(matches!(refused, Err(StoreError::InvalidTransition(_))), "{refused:?}");
        let failed = store.phone_numbers().mark_failed(pending.id, Some(21422), &actor()).await.unwrap();
        assert_eq!((failed.status, failed.failure_code), (NumberStatus::Failed, Some(21422)));
        let again = store.phone_numbers().mark_active(pending.id, purchased("PN2"), &actor()).await;
        assert!(matches!(again, Err(StoreError::InvalidTransition(_))), "{again:?}");
        let unchanged = store.phone_numbers().get(tenant.id, pending.id).await.unwrap().unwrap();
        assert_eq!(unchanged, failed);
        // Attaching is only for active numbers.
        let attach = store.phone_numbers().set_channel(tenant.id, pending.id, change(None, "v", "s", None), &actor()).await;
        assert!(matches!(attach, Err(StoreError::InvalidTransition(_))), "{attach:?}");
        let missing = store.phone_numbers().mark_failed(PhoneNumberId::new(), None, &actor()).await;
        assert!(matches!(missing, Err(StoreError::NotFound("phone number"))), "{missing:?}");
        let events = store.audit_events().list_for_number(pending.id).await.unwrap();
        assert_eq!(events.len(), 2, "only the reservation and the failure are recorded");
        assert_eq!(events[1].action, AuditAction::PurchaseFailed);
        assert_eq!(events[1].detail.as_ref().and_then(|d| d.twilio_code), Some(21422), "Twilio's code is in the audit detail");
    }

    async fn a_second_live_row_for_a_number_is_a_typed_conflict(db) {
        let store = &db.store;
        let (acme, _) = tenant_with_quota(store, 3).await;
        let (globex, _) = tenant_with_quota(store, 3).await;
        let first = reserve_one(store, acme.id, 7).await;
        for tenant in [acme.id, globex.id] {
            let second = store.phone_numbers().reserve(reservation(tenant, number(7)), &actor()).await;
            assert!(matches!(second, Err(StoreError::Conflict(Conflict::NumberAlreadyLive))), "{second:?}");
        }
        // The refused attempts left nothing behind.
        assert_eq!(store.phone_numbers().count_live(globex.id).await.unwrap(), 0);
        // Once the first row is final, the number can be held again.
        store.phone_numbers().mark_failed(first.id, Some(21422), &actor()).await.unwrap();
        let again = reserve_one(store, globex.id, 7).await;
        assert_eq!(store.phone_numbers().find_live(&number(7)).await.unwrap().map(|r| r.id), Some(again.id));
    }

    async fn a_twilio_sid_cannot_be_recorded_twice(db) {
        let store = &db.store;
        let (tenant, _) = tenant_with_quota(store, 3).await;
        let a = reserve_one(store, tenant.id, 1).await;
        let b = reserve_one(store, tenant.id, 2).await;
        store.phone_numbers().mark_active(a.id, purchased("PNsame"), &actor()).await.unwrap();
        let clash = store.phone_numbers().mark_active(b.id, purchased("PNsame"), &actor()).await;
        assert!(matches!(clash, Err(StoreError::Conflict(Conflict::TwilioSidTaken))), "{clash:?}");
        assert_eq!(store.phone_numbers().get(tenant.id, b.id).await.unwrap().unwrap().status, NumberStatus::Pending);
    }

    async fn instants_survive_the_round_trip(db) {
        // Written by diesel's chrono encoding, read by our own decoding (PostgreSQL) or text
        // parsing (SQLite): before and after PostgreSQL's epoch (2000-01-01), at the epochs,
        // with and without microseconds.
        let store = &db.store;
        let (tenant, _) = tenant_with_quota(store, 10).await;
        let instants = [
            "1970-01-01T00:00:00Z",
            "1999-12-31T23:59:59.999999Z",
            "2000-01-01T00:00:00Z",
            "2000-01-01T00:00:00.000001Z",
            "2026-11-25T15:41:07.123456Z",
            "2262-04-11T23:47:16.854775Z",
        ];
        for (n, text) in (20..).zip(instants) {
            let at = chrono::DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc);
            let row = reserve_one(store, tenant.id, n).await;
            let bought = Changes { purchased_at: Some(at), ..purchased(&format!("PNtime{n}")) };
            store.phone_numbers().mark_active(row.id, bought, &actor()).await.unwrap();
            let read = store.phone_numbers().get(tenant.id, row.id).await.unwrap().unwrap();
            assert_eq!(read.purchased_at, Some(at), "{text}");
        }
        let listed = store.phone_numbers().list_for_tenant(tenant.id, StatusFilter::All).await.unwrap();
        let mut seen: Vec<_> = listed.iter().filter_map(|n| n.purchased_at).collect();
        seen.sort();
        let written: Vec<_> = instants.iter().map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc)).collect();
        assert_eq!(seen, written, "the list reads the same instants");
    }

    async fn amounts_survive_the_round_trip_exactly(db) {
        // PostgreSQL's numeric (through rust_decimal) and SQLite's decimal text: digit groups
        // around the point, the largest price with four decimals, and zero.
        let store = &db.store;
        let (tenant, _) = tenant_with_quota(store, 10).await;
        let prices = ["0", "0.0001", "0.0075", "1.15", "10000", "12345.6789", "20000.0001", "99999999.9999"];
        for (n, text) in (40..).zip(prices) {
            let new = numbers_persistence::NewReservation { monthly_price_usd: Some(text.parse().unwrap()), ..reservation(tenant.id, number(n)) };
            let Reservation::Reserved(row) = store.phone_numbers().reserve(new, &actor()).await.unwrap() else { panic!("quota") };
            let read = store.phone_numbers().get(tenant.id, row.id).await.unwrap().unwrap();
            assert_eq!(read.monthly_price_usd.map(|m| m.amount().to_string()), Some(text.to_owned()), "{text}");
            assert_eq!(read, *row, "{text}: the returned row is the stored one");
        }
    }

    async fn a_row_whose_stored_values_do_not_parse_is_reported_corrupt(db) {
        // Nothing in the schema stops an operator's hand edit from writing a malformed number;
        // the list names the value and the type instead of showing it or panicking.
        let store = &db.store;
        let (tenant, _) = tenant_with_quota(store, 10).await;
        reserve_one(store, tenant.id, 30).await;
        let edit = "UPDATE phone_numbers SET phone_number = 'call me maybe'";
        match &db.url {
            numbers_persistence::DatabaseUrl::Postgres(url) => {
                use diesel_async::{AsyncConnection as _, RunQueryDsl as _};
                let mut conn = diesel_async::AsyncPgConnection::establish(url).await.unwrap();
                diesel::sql_query(edit).execute(&mut conn).await.unwrap();
            }
            numbers_persistence::DatabaseUrl::Sqlite(path) => {
                use diesel::{Connection as _, RunQueryDsl as _};
                let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
                diesel::sql_query(edit).execute(&mut conn).unwrap();
            }
        }
        let listed = store.phone_numbers().list_for_tenant(tenant.id, StatusFilter::All).await;
        let Err(StoreError::Corrupt(message)) = listed else { panic!("expected a corrupt row, got {listed:?}") };
        assert!(message.contains("\"call me maybe\"") && message.contains("E164"), "{message}");
    }

    async fn listing_filters_by_status_and_tenant(db) {
        let store = &db.store;
        let (acme, _) = tenant_with_quota(store, 10).await;
        let (globex, _) = tenant_with_quota(store, 10).await;
        let a1 = reserve_one(store, acme.id, 1).await;
        let a2 = reserve_one(store, acme.id, 2).await;
        let a3 = reserve_one(store, acme.id, 3).await;
        let g1 = reserve_one(store, globex.id, 4).await;
        let numbers = store.phone_numbers();
        numbers.mark_active(a2.id, purchased("PNa2"), &actor()).await.unwrap();
        numbers.mark_active(a3.id, purchased("PNa3"), &actor()).await.unwrap();
        numbers.mark_releasing(a3.id, ReleaseReason::User, &actor()).await.unwrap();
        numbers.mark_released(a3.id, ReleaseReason::User, &actor()).await.unwrap();

        let ids = |rows: Vec<PhoneNumberSummary>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(numbers.list_for_tenant(acme.id, StatusFilter::NotReleased).await.unwrap()), vec![a1.id, a2.id]);
        assert_eq!(ids(numbers.list_for_tenant(acme.id, StatusFilter::All).await.unwrap()), vec![a1.id, a2.id, a3.id]);
        assert_eq!(ids(numbers.list_for_tenant(acme.id, StatusFilter::Only(NumberStatus::Active)).await.unwrap()), vec![a2.id]);
        assert_eq!(ids(numbers.list_for_tenant(globex.id, StatusFilter::NotReleased).await.unwrap()), vec![g1.id]);
        assert_eq!(numbers.count_live(acme.id).await.unwrap(), 2);
        assert_eq!(numbers.list_live().await.unwrap().into_iter().map(|r| r.id).collect::<Vec<_>>(), vec![a1.id, a2.id, g1.id]);
        // The list reads only the summary's columns, and they hold what the full record holds
        // (a pending, an active and a released row: prices, dates and the reason included).
        for summary in numbers.list_for_tenant(acme.id, StatusFilter::All).await.unwrap() {
            let record = numbers.get(acme.id, summary.id).await.unwrap().unwrap();
            assert_eq!(summary, PhoneNumberSummary::from(record));
        }
        // Tenant scoping: Globex cannot see Acme's row; the unscoped lookup can.
        assert_eq!(numbers.get(globex.id, a1.id).await.unwrap(), None);
        assert_eq!(numbers.get_any(a1.id).await.unwrap().map(|r| r.id), Some(a1.id));
        assert_eq!(numbers.find_live(&number(3)).await.unwrap(), None);
    }

    async fn reservations_need_a_known_tenant_with_a_buying_subscription(db) {
        let store = &db.store;
        let unknown = store.phone_numbers().reserve(reservation(TenantId::new(), number(1)), &actor()).await;
        assert!(matches!(unknown, Err(StoreError::NotFound("tenant"))), "{unknown:?}");
        let tenant = store.tenants().create("Acme").await.unwrap();
        let none = store.phone_numbers().reserve(reservation(tenant.id, number(1)), &actor()).await.unwrap();
        assert_eq!(none, Reservation::NoActiveSubscription);
        let plan = store.plans().create("starter", 2).await.unwrap();
        let sub = store.subscriptions().create(tenant.id, plan.id, SubscriptionStatus::Active, Utc::now()).await.unwrap();
        store.subscriptions().cancel(tenant.id, sub.id, Utc::now() + Duration::days(3)).await.unwrap();
        let canceled = store.phone_numbers().reserve(reservation(tenant.id, number(1)), &actor()).await.unwrap();
        assert_eq!(canceled, Reservation::NoActiveSubscription, "a canceled subscription cannot buy");
        assert_eq!(store.phone_numbers().count_live(tenant.id).await.unwrap(), 0);
    }

    async fn audit_events_are_recorded_and_listed_per_tenant(db) {
        let store = &db.store;
        let acme = store.tenants().create("Acme").await.unwrap();
        let globex = store.tenants().create("Globex").await.unwrap();
        let first = store
            .audit_events()
            .record(NewAuditEvent { tenant_id: acme.id, phone_number_id: None, action: AuditAction::SubscriptionCanceled, detail: AuditDetail { immediate: Some(true), ..AuditDetail::default() } }, &Actor::cancellation())
            .await
            .unwrap();
        let second = store
            .audit_events()
            .record(NewAuditEvent { tenant_id: acme.id, phone_number_id: None, action: AuditAction::SubscriptionCanceled, detail: AuditDetail::default() }, &actor())
            .await
            .unwrap();
        let listed = store.audit_events().list_for_tenant(acme.id, 10).await.unwrap();
        assert_eq!(listed, vec![second.clone(), first.clone()]);
        assert_eq!(store.audit_events().list_for_tenant(acme.id, 1).await.unwrap(), vec![second.clone()]);
        assert!(store.audit_events().list_for_tenant(globex.id, 10).await.unwrap().is_empty());
        assert_eq!(first.source, AuditSource::Cancellation);
        assert_eq!(first.detail.as_ref().and_then(|d| d.immediate), Some(true));
        assert_eq!(second.detail, None, "an empty detail is stored as NULL");
        // Every source the domain knows is accepted by the schema of both backends.
        let operator = store
            .audit_events()
            .record(NewAuditEvent { tenant_id: acme.id, phone_number_id: None, action: AuditAction::SubscriptionCanceled, detail: AuditDetail::default() }, &Actor::operator("ops"))
            .await
            .unwrap();
        assert_eq!(store.audit_events().list_for_tenant(acme.id, 1).await.unwrap(), vec![operator.clone()]);
        assert_eq!((operator.source, operator.actor.as_str()), (AuditSource::Operator, "ops"));
        let orphan = store
            .audit_events()
            .record(NewAuditEvent { tenant_id: TenantId::new(), phone_number_id: None, action: AuditAction::SubscriptionCanceled, detail: AuditDetail::default() }, &actor())
            .await;
        assert!(matches!(orphan, Err(StoreError::MissingReference(_))), "{orphan:?}");
    }

    async fn ping_answers_on_a_live_database(db) {
        db.store.ping().await.unwrap();
    }
}

mod more {
    use super::*;
    use numbers_domain::{IsoCountry, NumberType};
    use numbers_persistence::{RegulatoryRequirement, TwilioAccount};

    both_backends! {
        async fn regulatory_requirements_are_upserted_per_country_and_type(db) {
            let regulatory = db.store.regulatory();
            let gb: IsoCountry = "GB".parse().unwrap();
            assert_eq!(regulatory.get(gb, NumberType::Local).await.unwrap(), None);
            let mut local = RegulatoryRequirement { iso_country: gb, number_type: NumberType::Local, bundle_sid: Some("BU1".into()), address_sid: None };
            regulatory.upsert(local.clone()).await.unwrap();
            assert_eq!(regulatory.get(gb, NumberType::Local).await.unwrap(), Some(local.clone()));
            local.address_sid = Some("AD1".into());
            regulatory.upsert(local.clone()).await.unwrap();
            let mobile = RegulatoryRequirement { iso_country: gb, number_type: NumberType::Mobile, bundle_sid: Some("BU2".into()), address_sid: Some("AD2".into()) };
            regulatory.upsert(mobile.clone()).await.unwrap();
            assert_eq!(regulatory.list_for_country(gb).await.unwrap(), vec![local, mobile]);
            assert!(regulatory.list_for_country("US".parse().unwrap()).await.unwrap().is_empty());
        }

        async fn a_purchase_reservation_checks_the_channel_and_reads_the_regulatory_requirement(db) {
            use numbers_persistence::NewReservation;
            let store = &db.store;
            let numbers = store.phone_numbers();
            let (acme, _) = tenant_with_quota(store, 1).await;
            let (globex, _) = tenant_with_quota(store, 1).await;
            let acme_voice = voice_channel(store, acme.id).await;
            let globex_voice = voice_channel(store, globex.id).await;
            let acme_chat = store.channels().create(NewChannel { tenant_id: acme.id, kind: ChannelKind::Other("chat".into()), name: "chat".into(), agent_stream_url: None }).await.unwrap();
            let us: IsoCountry = "US".parse().unwrap();
            let requirement = RegulatoryRequirement { iso_country: us, number_type: NumberType::Local, bundle_sid: Some("BU1".into()), address_sid: Some("AD1".into()) };
            store.regulatory().upsert(requirement.clone()).await.unwrap();
            let buy = |n: u32, channel_id| NewReservation { channel_id, ..reservation(acme.id, number(n)) };

            // Another tenant's voice channel, a channel of another kind, an unknown id.
            for channel in [globex_voice.id, acme_chat.id, numbers_domain::ChannelId::new()] {
                let refused = numbers.reserve_purchase(buy(1, Some(channel)), &actor()).await;
                assert!(matches!(refused, Err(StoreError::NotFound("voice channel"))), "{refused:?}");
            }
            assert_eq!(numbers.count_live(acme.id).await.unwrap(), 0, "nothing reserved");

            let (reserved, found) = numbers.reserve_purchase(buy(1, Some(acme_voice.id)), &actor()).await.unwrap();
            let Reservation::Reserved(row) = reserved else { panic!("expected a reservation, got {reserved:?}") };
            assert_eq!((row.status, row.channel_id), (NumberStatus::Pending, Some(acme_voice.id)));
            assert_eq!(found, Some(requirement.clone()));
            let audit = store.audit_events().list_for_tenant(acme.id, 10).await.unwrap();
            assert_eq!(audit.len(), 1);
            assert_eq!((audit[0].action, audit[0].to_status), (AuditAction::PurchaseReserved, Some(NumberStatus::Pending)));

            // The plan is full now; the channel is still checked first.
            let refused = numbers.reserve_purchase(buy(2, Some(globex_voice.id)), &actor()).await;
            assert!(matches!(refused, Err(StoreError::NotFound("voice channel"))), "{refused:?}");
            let (full, _) = numbers.reserve_purchase(buy(2, Some(acme_voice.id)), &actor()).await.unwrap();
            assert_eq!(full, Reservation::QuotaExceeded { used: 1, quota: 1 });

            // No channel, and a pair with nothing on file.
            let mobile = NewReservation { number_type: NumberType::Mobile, ..reservation(globex.id, number(3)) };
            let (reserved, found) = numbers.reserve_purchase(mobile, &actor()).await.unwrap();
            assert!(matches!(reserved, Reservation::Reserved(ref row) if row.channel_id.is_none()), "{reserved:?}");
            assert_eq!(found, None);
        }

        async fn shared_pool_numbers_are_listed_per_tenant(db) {
            let acme = db.store.tenants().create("Acme").await.unwrap();
            let globex = db.store.tenants().create("Globex").await.unwrap();
            let pool = db.store.shared_pool();
            let b = pool.add(Some(acme.id), &number(2), Some("two".into()), "US".parse().unwrap()).await.unwrap();
            let a = pool.add(Some(acme.id), &number(1), None, "US".parse().unwrap()).await.unwrap();
            pool.add(None, &number(3), None, "US".parse().unwrap()).await.unwrap();
            assert_eq!(pool.list_for_tenant(acme.id).await.unwrap(), vec![a, b]);
            assert!(pool.list_for_tenant(globex.id).await.unwrap().is_empty());
            let duplicate = pool.add(Some(globex.id), &number(1), None, "US".parse().unwrap()).await;
            assert!(matches!(duplicate, Err(StoreError::Conflict(_))), "{duplicate:?}");
        }

        async fn sealed_tokens_are_replaced_only_if_unchanged(db) {
            let accounts = db.store.twilio_accounts();
            let tenant = db.store.tenants().create("Acme").await.unwrap();
            let sealed = accounts
                .insert(TwilioAccount { sid: "AC1".into(), tenant_id: Some(tenant.id), kind: "subaccount".into(), sealed_auth_token: Some("old".into()), key_id: Some("k1".into()), created_at: Utc::now() })
                .await
                .unwrap();
            accounts
                .insert(TwilioAccount { sid: "AC2".into(), tenant_id: None, kind: "master".into(), sealed_auth_token: None, key_id: None, created_at: Utc::now() })
                .await
                .unwrap();
            assert_eq!(accounts.get("AC1").await.unwrap(), Some(sealed.clone()));
            assert_eq!(accounts.get("AC9").await.unwrap(), None);
            assert_eq!(accounts.list_sealed().await.unwrap(), vec![sealed]);
            accounts.replace_sealed_token("AC1", "old", "new", "k2").await.unwrap();
            let stale = accounts.replace_sealed_token("AC1", "old", "newer", "k3").await;
            assert!(matches!(stale, Err(StoreError::NotFound(_))), "{stale:?}");
            let now = accounts.get("AC1").await.unwrap().unwrap();
            assert_eq!((now.sealed_auth_token.as_deref(), now.key_id.as_deref()), (Some("new"), Some("k2")));
            let duplicate = accounts
                .insert(TwilioAccount { sid: "AC1".into(), tenant_id: None, kind: "tenant".into(), sealed_auth_token: None, key_id: None, created_at: Utc::now() })
                .await;
            assert!(matches!(duplicate, Err(StoreError::Conflict(_))), "{duplicate:?}");
        }
    }
}

/// SQLite keeps the text forms it always had: the schema and its data are unchanged by how
/// the Rust side reads and writes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_stores_ids_instants_amounts_and_names_as_text() {
    use diesel::{Connection as _, RunQueryDsl as _};

    #[derive(diesel::QueryableByName)]
    struct Stored {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        price: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        created_at: String,
    }

    let db = numbers_persistence::testing::TestDb::sqlite().await;
    let (tenant, _) = tenant_with_quota(&db.store, 1).await;
    let row = reserve_one(&db.store, tenant.id, 1).await;
    let numbers_persistence::DatabaseUrl::Sqlite(path) = &db.url else {
        unreachable!()
    };
    let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let stored: Stored = diesel::sql_query(
        "SELECT id, status, typeof(monthly_price_usd) || ':' || monthly_price_usd AS price, created_at FROM phone_numbers",
    )
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(stored.id, row.id.to_string());
    assert_eq!(stored.status, "pending");
    assert_eq!(stored.price, "text:1.15");
    assert_eq!(
        stored.created_at,
        numbers_persistence::sql_types::sqlite_time_text(row.created_at)
    );
}

both_backends! {
    async fn idempotency_keys_are_claimed_once_replayed_and_scoped_to_the_tenant(db) {
        use numbers_persistence::{Claim, StoredAnswer};
        use std::time::Duration as StdDuration;
        let store = &db.store;
        let (acme, _) = tenant_with_quota(store, 1).await;
        let (globex, _) = tenant_with_quota(store, 1).await;
        let keys = store.idempotency_keys();
        let day = StdDuration::from_secs(24 * 3600);
        assert_eq!(keys.claim(acme.id, "k1", "f1", day).await.unwrap(), Claim::Owned);
        assert_eq!(keys.claim(acme.id, "k1", "f1", day).await.unwrap(), Claim::InFlight);
        assert_eq!(keys.claim(acme.id, "k1", "f2", day).await.unwrap(), Claim::Mismatch);
        // Another tenant's key of the same name is its own.
        assert_eq!(keys.claim(globex.id, "k1", "f2", day).await.unwrap(), Claim::Owned);
        let answer = StoredAnswer { status: 201, body: "{\"id\":\"x\",\"é\":1}".into() };
        keys.complete(acme.id, "k1", &answer).await.unwrap();
        assert_eq!(keys.claim(acme.id, "k1", "f1", day).await.unwrap(), Claim::Replay(answer.clone()));
        assert_eq!(keys.answer(acme.id, "k1").await.unwrap(), Some(answer.clone()));
        // Releasing an answered key does nothing; an unanswered one is freed.
        keys.release(acme.id, "k1").await.unwrap();
        assert_eq!(keys.claim(acme.id, "k1", "f1", day).await.unwrap(), Claim::Replay(answer));
        keys.release(globex.id, "k1").await.unwrap();
        assert_eq!(keys.claim(globex.id, "k1", "f3", day).await.unwrap(), Claim::Owned);
        // Past the time to live a key is free again, and purged.
        assert_eq!(keys.claim(acme.id, "k1", "f9", StdDuration::ZERO).await.unwrap(), Claim::Owned);
        tokio::time::sleep(StdDuration::from_millis(5)).await;
        assert_eq!(keys.purge_expired(StdDuration::from_millis(1)).await.unwrap(), 2);
        assert_eq!(keys.answer(acme.id, "k1").await.unwrap(), None);
    }
}

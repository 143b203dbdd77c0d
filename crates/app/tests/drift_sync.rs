//! drift-sync against a real database (both backends) and the Twilio fake over real HTTP:
//! each reconciliation case of SPEC §10, the dry run, the brake, the lock, a tenant's
//! failure, a second run, and a world that moves during the listing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use futures::StreamExt as _;
use numbers_app::drift::{DriftOptions, DriftOutcome, DriftReport};
use numbers_app::numbers::{Purchase, PurchaseOutcome};
use numbers_app::{App, AppBuilder, TwilioAuth, TwilioSettings};
use numbers_domain::reconcile::{Percent, SafetyBrake};
use numbers_domain::{
    AvailableNumber, AvailableQuery, Carrier, CarrierError, CountryPricing, E164, IsoCountry,
    NumberStatus, OwnedNumber, OwnedNumbers, PurchaseOrder, ReleaseReason, SubscriptionId,
    TenantId, Webhooks,
};
use numbers_persistence::testing::{self, TestDb};
use numbers_persistence::{Actor, NewReservation, PhoneNumberRecord, Reservation, StatusFilter};
use secrecy::SecretString;
use twilio_fake::{FakeConfig, FakeOperation, Fault, NumberKind, TwilioFake};

struct World {
    db: TestDb,
    fake: TwilioFake,
    app: App,
    offers: std::sync::Mutex<Vec<String>>,
}

async fn world(db: TestDb) -> World {
    let fake = TwilioFake::start(FakeConfig::with_seed(13)).expect("fake");
    let settings = TwilioSettings {
        account_sid: fake.account_sid().to_owned(),
        auth: TwilioAuth::AuthToken(SecretString::from(fake.auth_token().to_owned())),
        api_base_url: fake.api_base_url(),
        pricing_base_url: fake.pricing_base_url(),
    };
    let app = AppBuilder::new(db.store.clone(), db.url.clone())
        .twilio(&settings)
        .expect("twilio")
        .public_base_url("https://numbers.example")
        .build();
    let mut offers: Vec<String> = fake
        .control()
        .available_numbers("US", NumberKind::Local)
        .expect("stock")
        .into_iter()
        .map(|n| n.phone_number)
        .collect();
    offers.reverse();
    World {
        db,
        fake,
        app,
        offers: std::sync::Mutex::new(offers),
    }
}

/// Options for case tests: no brake, pending rows settled at once.
fn options() -> DriftOptions {
    DriftOptions {
        brake: SafetyBrake {
            max_share: None,
            max_count: None,
            force: false,
        },
        pending_grace: TimeDelta::zero(),
        ..DriftOptions::default()
    }
}

impl World {
    fn next_number(&self) -> E164 {
        self.offers
            .lock()
            .unwrap()
            .pop()
            .expect("offers left")
            .parse()
            .unwrap()
    }

    async fn tenant(&self, quota: u32) -> (TenantId, SubscriptionId) {
        let (tenant, _) = testing::tenant_with_quota(&self.db.store, quota).await;
        let sub = self
            .db
            .store
            .subscriptions()
            .list_for_tenant(tenant.id)
            .await
            .unwrap()[0]
            .id;
        (tenant.id, sub)
    }

    /// Buys a number for the tenant through the app (row `active`, number on the fake).
    async fn buy(&self, tenant: TenantId) -> PhoneNumberRecord {
        let purchase = Purchase {
            phone_number: self.next_number(),
            channel_id: None,
            number_type: None,
            iso_country: None,
            monthly_price_usd: None,
        };
        match self
            .app
            .purchase(tenant, purchase, Actor::operator("test"))
            .await
            .expect("purchase")
        {
            PurchaseOutcome::Bought(record) => record,
            PurchaseOutcome::Unsettled(_) => panic!("unsettled purchase"),
        }
    }

    /// A `pending` row (a purchase under way or whose answer was lost).
    async fn pending(&self, tenant: TenantId, number: E164) -> PhoneNumberRecord {
        let reservation = NewReservation {
            tenant_id: tenant,
            phone_number: number,
            account_sid: self.fake.account_sid().to_owned(),
            iso_country: "US".parse().unwrap(),
            number_type: numbers_domain::NumberType::Local,
            channel_id: None,
            monthly_price_usd: None,
        };
        match self
            .db
            .store
            .phone_numbers()
            .reserve(reservation, &Actor::operator("test"))
            .await
            .unwrap()
        {
            Reservation::Reserved(record) => *record,
            other => panic!("{other:?}"),
        }
    }

    /// Buys a number on Twilio behind the database's back.
    async fn buy_on_twilio(&self, number: E164) -> String {
        let order = PurchaseOrder {
            phone_number: number,
            webhooks: Webhooks {
                voice_url: "https://elsewhere.example/voice".into(),
                status_callback_url: "https://elsewhere.example/status".into(),
            },
            bundle_sid: None,
            address_sid: None,
        };
        self.app.carrier().buy(&order).await.expect("buy").sid
    }

    async fn delete_on_twilio(&self, record: &PhoneNumberRecord) {
        self.app
            .carrier()
            .release(record.twilio_sid.as_deref().unwrap())
            .await
            .expect("delete");
    }

    async fn mark_releasing(&self, record: &PhoneNumberRecord) -> PhoneNumberRecord {
        self.db
            .store
            .phone_numbers()
            .mark_releasing(record.id, ReleaseReason::User, &Actor::operator("test"))
            .await
            .unwrap()
    }

    async fn row(&self, record: &PhoneNumberRecord) -> PhoneNumberRecord {
        self.db
            .store
            .phone_numbers()
            .get_any(record.id)
            .await
            .unwrap()
            .unwrap()
    }

    fn on_twilio(&self, record: &PhoneNumberRecord) -> bool {
        self.fake
            .control()
            .owned_number(record.phone_number.as_str())
            .is_some()
    }

    async fn run(&self, options: &DriftOptions) -> DriftReport {
        match self.app.drift_sync(options).await.expect("run") {
            DriftOutcome::Ran(report) => report,
            DriftOutcome::Locked => panic!("locked"),
        }
    }

    /// Every row, by id, with its status and reason.
    async fn rows(&self, tenants: &[TenantId]) -> BTreeMap<String, (NumberStatus, Option<String>)> {
        let mut all = BTreeMap::new();
        for &tenant in tenants {
            for row in self
                .db
                .store
                .phone_numbers()
                .list_for_tenant(tenant, StatusFilter::All)
                .await
                .unwrap()
            {
                let full = self
                    .db
                    .store
                    .phone_numbers()
                    .get_any(row.id)
                    .await
                    .unwrap()
                    .unwrap();
                all.insert(
                    row.id.to_string(),
                    (
                        full.status,
                        full.release_reason.map(|r| r.as_str().to_owned()),
                    ),
                );
            }
        }
        all
    }

    async fn audit_count(&self, tenants: &[TenantId]) -> usize {
        let mut n = 0;
        for &tenant in tenants {
            n += self
                .db
                .store
                .audit_events()
                .list_for_tenant(tenant, 10_000)
                .await
                .unwrap()
                .len();
        }
        n
    }

    /// A tenant's active number gone from Twilio, and more than one page of the listing
    /// (1,000 a page) of numbers no row holds.
    async fn gone_among_many(&self) -> (TenantId, PhoneNumberRecord) {
        let (tenant, _) = self.tenant(10).await;
        let gone = self.buy(tenant).await;
        self.delete_on_twilio(&gone).await;
        self.fake
            .control()
            .seed_owned_numbers(None, 1500, None)
            .unwrap();
        (tenant, gone)
    }

    fn owned(&self) -> Vec<String> {
        let mut owned: Vec<String> = self
            .fake
            .control()
            .owned_numbers(None, 100_000)
            .unwrap()
            .into_iter()
            .map(|n| format!("{} {:?}", n.phone_number, n.voice_url))
            .collect();
        owned.sort();
        owned
    }
}

/// The fake behind the app's own carrier, except that the listing's task panics after
/// `after` numbers: the listing neither fails nor completes.
#[derive(Debug)]
struct ListingPanics {
    app: App,
    after: usize,
}

#[async_trait::async_trait]
impl Carrier for ListingPanics {
    fn account_sid(&self) -> &str {
        self.app.carrier().account_sid()
    }
    async fn search_available(
        &self,
        query: &AvailableQuery,
    ) -> Result<Vec<AvailableNumber>, CarrierError> {
        self.app.carrier().search_available(query).await
    }
    async fn pricing(&self, country: IsoCountry) -> Result<CountryPricing, CarrierError> {
        self.app.carrier().pricing(country).await
    }
    async fn buy(&self, order: &PurchaseOrder) -> Result<OwnedNumber, CarrierError> {
        self.app.carrier().buy(order).await
    }
    async fn find_owned(&self, number: &E164) -> Result<Option<OwnedNumber>, CarrierError> {
        self.app.carrier().find_owned(number).await
    }
    async fn set_webhooks(&self, sid: &str, hooks: &Webhooks) -> Result<OwnedNumber, CarrierError> {
        self.app.carrier().set_webhooks(sid, hooks).await
    }
    async fn release(&self, sid: &str) -> Result<(), CarrierError> {
        self.app.carrier().release(sid).await
    }
    fn list_owned(&self) -> OwnedNumbers {
        let after = self.after;
        self.app
            .carrier()
            .list_owned()
            .enumerate()
            .map(move |(i, item)| {
                assert!(i < after, "the listing's task dies part way");
                item
            })
            .boxed()
    }
}

fn reason(record: &PhoneNumberRecord) -> Option<&str> {
    record.release_reason.as_ref().map(ReleaseReason::as_str)
}

numbers_persistence::both_backends! {
    async fn an_active_number_gone_from_twilio_is_drift_released(db) {
        let w = world(db).await;
        let (tenant, _) = w.tenant(10).await;
        let kept = w.buy(tenant).await;
        let gone = w.buy(tenant).await;
        w.delete_on_twilio(&gone).await;
        let report = w.run(&options()).await;
        assert_eq!((report.drift_released, report.exit_code), (1, 0), "{report:?}");
        let gone = w.row(&gone).await;
        assert_eq!((gone.status, reason(&gone)), (NumberStatus::Released, Some("drift")));
        assert!(gone.released_at.is_some());
        assert_eq!(w.row(&kept).await.status, NumberStatus::Active);
        let history = w.db.store.audit_events().list_for_number(gone.id).await.unwrap();
        let last = history.last().unwrap();
        assert_eq!(last.source, numbers_domain::AuditSource::DriftSync);
        assert_eq!(last.to_status, Some(NumberStatus::Released));
    }

    async fn a_pending_row_twilio_has_is_adopted(db) {
        let w = world(db).await;
        let (tenant, _) = w.tenant(10).await;
        let number = w.next_number();
        let row = w.pending(tenant, number.clone()).await;
        let sid = w.buy_on_twilio(number).await;
        let report = w.run(&options()).await;
        assert_eq!((report.adopted, report.orphans), (1, 0), "{report:?}");
        let row = w.row(&row).await;
        assert_eq!(row.status, NumberStatus::Active);
        assert_eq!(row.twilio_sid.as_deref(), Some(sid.as_str()));
    }

    async fn a_pending_row_within_its_grace_period_is_left_alone(db) {
        let w = world(db).await;
        let (tenant, _) = w.tenant(10).await;
        let row = w.pending(tenant, w.next_number()).await;
        let report = w.run(&DriftOptions { pending_grace: TimeDelta::hours(1), ..options() }).await;
        assert_eq!((report.adopted, report.failed_pending), (0, 0), "{report:?}");
        assert_eq!(w.row(&row).await.status, NumberStatus::Pending);
    }

    async fn a_pending_row_twilio_lacks_is_closed(db) {
        let w = world(db).await;
        let (tenant, _) = w.tenant(10).await;
        let row = w.pending(tenant, w.next_number()).await;
        let report = w.run(&options()).await;
        assert_eq!(report.failed_pending, 1, "{report:?}");
        let row = w.row(&row).await;
        assert_eq!((row.status, reason(&row)), (NumberStatus::Released, Some("purchase_not_completed")));
    }

    async fn a_releasing_row_still_on_twilio_is_deleted_there_and_released(db) {
        let w = world(db).await;
        let (tenant, _) = w.tenant(10).await;
        let row = w.buy(tenant).await;
        let row = w.mark_releasing(&row).await;
        let report = w.run(&options()).await;
        assert_eq!(report.retried_releases, 1, "{report:?}");
        assert!(!w.on_twilio(&row));
        let row = w.row(&row).await;
        assert_eq!((row.status, reason(&row)), (NumberStatus::Released, Some("user")));
    }

    async fn a_releasing_row_gone_from_twilio_is_marked_released(db) {
        let w = world(db).await;
        let (tenant, _) = w.tenant(10).await;
        let row = w.buy(tenant).await;
        let row = w.mark_releasing(&row).await;
        w.delete_on_twilio(&row).await;
        let deletes = w.fake.control().request_count(FakeOperation::Delete);
        let report = w.run(&options()).await;
        assert_eq!((report.marked_released, report.retried_releases), (1, 0), "{report:?}");
        assert_eq!(w.fake.control().request_count(FakeOperation::Delete), deletes, "no delete needed");
        let row = w.row(&row).await;
        assert_eq!((row.status, reason(&row)), (NumberStatus::Released, Some("user")));
    }

    async fn an_orphan_is_reported_and_left_alone(db) {
        let w = world(db).await;
        let (tenant, _) = w.tenant(10).await;
        w.buy(tenant).await;
        let number = w.next_number();
        w.buy_on_twilio(number.clone()).await;
        let report = w.run(&options()).await;
        assert_eq!(report.orphans, 1, "{report:?}");
        assert_eq!(report.orphan_numbers.len(), 1);
        assert!(!report.orphan_numbers[0].contains(number.as_str()), "masked");
        assert!(w.fake.control().owned_number(number.as_str()).is_some(), "not released");
        assert!(w.db.store.phone_numbers().find_live(&number).await.unwrap().is_none(), "not adopted");
    }

    async fn webhook_drift_is_reported_and_repaired_only_with_the_flag(db) {
        let w = world(db).await;
        let (tenant, _) = w.tenant(10).await;
        let row = w.buy(tenant).await;
        let sid = row.twilio_sid.clone().unwrap();
        let wrong = Webhooks {
            voice_url: "https://attacker.example/voice".into(),
            status_callback_url: "https://attacker.example/status".into(),
        };
        w.app.carrier().set_webhooks(&sid, &wrong).await.unwrap();
        let report = w.run(&options()).await;
        assert_eq!((report.webhook_drift, report.webhooks_repaired), (1, 0), "{report:?}");
        let on_twilio = || w.fake.control().owned_number(row.phone_number.as_str()).unwrap().voice_url;
        assert_eq!(on_twilio().as_deref(), Some("https://attacker.example/voice"));
        let report = w.run(&DriftOptions { repair_webhooks: true, ..options() }).await;
        assert_eq!((report.webhook_drift, report.webhooks_repaired), (1, 1), "{report:?}");
        assert_eq!(on_twilio(), row.voice_url);
        let report = w.run(&options()).await;
        assert_eq!(report.webhook_drift, 0, "{report:?}");
    }

    async fn canceled_subscriptions_release_their_numbers_once_the_cancellation_takes_effect(db) {
        let w = world(db).await;
        let (tenant, sub) = w.tenant(10).await;
        let (other, _) = w.tenant(10).await;
        let a = w.buy(tenant).await;
        let b = w.buy(tenant).await;
        let keep = w.buy(other).await;
        // Canceled at the end of the period (30 days away): nothing happens yet.
        let done = w.app.cancel_subscription(tenant, sub, false, Actor::operator("test")).await.unwrap();
        assert_eq!(done.releasing, 0);
        assert!(done.subscription.canceled_at.unwrap() > Utc::now());
        let report = w.run(&options()).await;
        assert_eq!(report.bulk_released, 0, "{report:?}");
        assert_eq!(w.row(&a).await.status, NumberStatus::Active);
        assert!(w.on_twilio(&a));
        // The period ends (the effective time moves into the past).
        w.db.store.subscriptions().cancel(tenant, sub, Utc::now() - TimeDelta::seconds(1)).await.unwrap();
        let report = w.run(&options()).await;
        assert_eq!((report.bulk_released, report.drift_released, report.exit_code), (2, 0, 0), "{report:?}");
        for row in [&a, &b] {
            let row = w.row(row).await;
            assert_eq!((row.status, reason(&row)), (NumberStatus::Released, Some("subscription_canceled")));
            assert!(!w.on_twilio(&row));
        }
        assert_eq!(w.row(&keep).await.status, NumberStatus::Active);
    }

    async fn a_dry_run_changes_nothing_and_plans_what_the_real_run_does(db) {
        let w = world(db).await;
        let (t1, sub) = w.tenant(20).await;
        let (t2, _) = w.tenant(20).await;
        let tenants = [t1, t2];
        // Every kind of drift.
        w.buy(t1).await;
        w.buy(t1).await;
        let gone = w.buy(t2).await;
        w.delete_on_twilio(&gone).await;
        let number = w.next_number();
        w.pending(t2, number.clone()).await;
        w.buy_on_twilio(number).await;
        w.pending(t2, w.next_number()).await;
        let releasing = w.buy(t2).await;
        w.mark_releasing(&releasing).await;
        let drifted = w.buy(t2).await;
        w.app.carrier().set_webhooks(drifted.twilio_sid.as_deref().unwrap(), &Webhooks {
            voice_url: "https://x.example/v".into(), status_callback_url: "https://x.example/s".into(),
        }).await.unwrap();
        w.buy_on_twilio(w.next_number()).await;
        w.db.store.subscriptions().cancel(t1, sub, Utc::now() - TimeDelta::seconds(1)).await.unwrap();

        let rows = w.rows(&tenants).await;
        let owned = w.owned();
        let audits = w.audit_count(&tenants).await;
        let requests = w.fake.control().request_counts();
        let dry = w.run(&DriftOptions { dry_run: true, repair_webhooks: true, ..options() }).await;
        assert_eq!(w.rows(&tenants).await, rows, "rows unchanged");
        assert_eq!(w.owned(), owned, "Twilio unchanged");
        assert_eq!(w.audit_count(&tenants).await, audits, "no audit event");
        let after = w.fake.control().request_counts();
        for op in [FakeOperation::Create, FakeOperation::Update, FakeOperation::Delete] {
            assert_eq!(after[&op], requests[&op], "{op}");
        }
        let real = w.run(&DriftOptions { repair_webhooks: false, ..options() }).await;
        let figures = |r: &DriftReport| {
            (r.tenants_checked, r.drift_released, r.bulk_released, r.adopted, r.failed_pending,
             r.retried_releases, r.marked_released, r.orphans, r.webhook_drift)
        };
        assert_eq!(figures(&dry), (2, 1, 2, 1, 1, 1, 0, 1, 1), "{dry:?}");
        assert_eq!(figures(&real), figures(&dry), "{real:?}");
        assert!(dry.dry_run && !real.dry_run);
        assert_ne!(w.rows(&tenants).await, rows, "the real run changed rows");
    }

    async fn the_brake_trips_and_nothing_is_drift_released(db) {
        let w = world(db).await;
        let (tenant, _) = w.tenant(20).await;
        let mut rows = Vec::new();
        for _ in 0..5 {
            rows.push(w.buy(tenant).await);
        }
        for row in &rows[..3] {
            w.delete_on_twilio(row).await;
        }
        let brake = DriftOptions {
            brake: SafetyBrake { max_share: Percent::new(10), max_count: Some(100), force: false },
            ..options()
        };
        let report = w.run(&brake).await;
        assert!(report.brake_tripped, "{report:?}");
        assert_eq!((report.drift_released, report.withheld, report.exit_code), (0, 3, 1));
        for row in &rows {
            assert_eq!(w.row(row).await.status, NumberStatus::Active);
        }
        // Forced by the operator, the drift is released.
        let forced = DriftOptions { brake: SafetyBrake { force: true, ..brake.brake }, ..options() };
        let report = w.run(&forced).await;
        assert_eq!((report.drift_released, report.exit_code), (3, 0), "{report:?}");
    }

    async fn a_second_run_started_meanwhile_exits_at_once(db) {
        let w = world(db).await;
        let (tenant, _) = w.tenant(10).await;
        w.buy(tenant).await;
        w.fake.control().inject_fault(FakeOperation::List, Fault::Latency { ms: 3000 }, Some(1));
        let lists = w.fake.control().request_count(FakeOperation::List);
        let app = w.app.clone();
        let first = tokio::spawn(async move { app.drift_sync(&options()).await.unwrap() });
        while w.fake.control().request_count(FakeOperation::List) == lists {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let second = w.app.drift_sync(&options()).await.unwrap();
        assert_eq!(second, DriftOutcome::Locked);
        assert!(!first.is_finished(), "the second run did not wait for the first");
        assert!(matches!(first.await.unwrap(), DriftOutcome::Ran(_)));
        // The lock is free again.
        assert!(matches!(w.app.drift_sync(&options()).await.unwrap(), DriftOutcome::Ran(_)));
    }

    async fn one_tenant_failing_stops_none_of_the_others(db) {
        let w = world(db).await;
        let (t1, _) = w.tenant(10).await;
        let (t2, _) = w.tenant(10).await;
        let a = w.buy(t1).await;
        let b = w.buy(t2).await;
        w.mark_releasing(&a).await;
        w.mark_releasing(&b).await;
        let gone = w.buy(t2).await;
        w.delete_on_twilio(&gone).await;
        w.fake.control().inject_fault(
            FakeOperation::Delete,
            Fault::Error { status: 400, code: 21000, message: None },
            Some(1),
        );
        let report = w.run(&DriftOptions { concurrency: 1, ..options() }).await;
        assert_eq!(
            (report.tenants_checked, report.tenants_failed, report.retried_releases, report.drift_released, report.exit_code),
            (2, 1, 1, 1, 1),
            "{report:?}"
        );
        let statuses = [w.row(&a).await.status, w.row(&b).await.status];
        assert!(statuses.contains(&NumberStatus::Released) && statuses.contains(&NumberStatus::Releasing), "{statuses:?}");
        // The next run finishes the failed one.
        let report = w.run(&options()).await;
        assert_eq!((report.retried_releases, report.exit_code), (1, 0), "{report:?}");
    }

    async fn a_second_run_after_a_clean_run_changes_nothing(db) {
        let w = world(db).await;
        let (tenant, _) = w.tenant(10).await;
        w.buy(tenant).await;
        let gone = w.buy(tenant).await;
        w.delete_on_twilio(&gone).await;
        w.pending(tenant, w.next_number()).await;
        w.buy_on_twilio(w.next_number()).await;
        let first = w.run(&options()).await;
        assert_eq!(first.exit_code, 0, "{first:?}");
        let rows = w.rows(&[tenant]).await;
        let audits = w.audit_count(&[tenant]).await;
        let owned = w.owned();
        let second = w.run(&options()).await;
        assert_eq!(
            (second.drift_released, second.bulk_released, second.adopted, second.failed_pending,
             second.retried_releases, second.marked_released, second.webhook_drift, second.exit_code),
            (0, 0, 0, 0, 0, 0, 0, 0),
            "{second:?}"
        );
        assert_eq!(second.orphans, 1, "the orphan is still reported");
        assert_eq!(w.rows(&[tenant]).await, rows);
        assert_eq!(w.audit_count(&[tenant]).await, audits);
        assert_eq!(w.owned(), owned);
        assert_eq!(w.db.store.drift().run_count().await.unwrap(), 2);
    }

    async fn a_purchase_and_a_release_during_the_listing_are_left_alone(db) {
        let w = world(db).await;
        let (tenant, _) = w.tenant(10).await;
        w.buy(tenant).await;
        let released = w.buy(tenant).await;
        w.fake.control().inject_fault(FakeOperation::List, Fault::Latency { ms: 2000 }, Some(1));
        let lists = w.fake.control().request_count(FakeOperation::List);
        let app = w.app.clone();
        let run = tokio::spawn(async move { app.drift_sync(&options()).await.unwrap() });
        while w.fake.control().request_count(FakeOperation::List) == lists {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The listing has begun (its page is held back): the world moves.
        let bought = w.buy(tenant).await;
        let done = w.app.release(tenant, released.id, Actor::operator("test")).await.unwrap();
        assert_eq!(done.status, NumberStatus::Released);
        assert!(!run.is_finished(), "the listing was still under way");
        let DriftOutcome::Ran(report) = run.await.unwrap() else { panic!("locked") };
        assert_eq!(
            (report.drift_released, report.orphans, report.adopted, report.exit_code),
            (0, 0, 0, 0),
            "{report:?}"
        );
        assert_eq!(report.skipped_changed, 1, "the released row was re-checked: {report:?}");
        assert_eq!(w.row(&bought).await.status, NumberStatus::Active);
        let released = w.row(&released).await;
        assert_eq!((released.status, reason(&released)), (NumberStatus::Released, Some("user")));
    }

    async fn a_listing_that_fails_part_way_releases_nothing(db) {
        let w = world(db).await;
        let (_, gone) = w.gone_among_many().await;
        w.fake.control().inject_fault(FakeOperation::List, Fault::Latency { ms: 1000 }, Some(1));
        let lists = w.fake.control().request_count(FakeOperation::List);
        let app = w.app.clone();
        let run = tokio::spawn(async move { app.drift_sync(&options()).await.unwrap() });
        while w.fake.control().request_count(FakeOperation::List) == lists {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The first page is on its way; the second fails.
        w.fake.control().inject_fault(
            FakeOperation::List,
            Fault::Error { status: 400, code: 20001, message: None },
            None,
        );
        let DriftOutcome::Ran(report) = run.await.unwrap() else { panic!("locked") };
        assert_eq!(w.fake.control().request_count(FakeOperation::List), lists + 2, "failed on page 2");
        assert!(!report.listing_complete);
        assert_eq!((report.drift_released, report.exit_code), (0, 1), "{report:?}");
        assert_eq!(w.row(&gone).await.status, NumberStatus::Active);
    }

    async fn a_listing_whose_task_dies_part_way_releases_nothing(db) {
        let w = world(db).await;
        let (tenant, gone) = w.gone_among_many().await;
        let dying = AppBuilder::new(w.db.store.clone(), w.db.url.clone())
            .carrier(Arc::new(ListingPanics { app: w.app.clone(), after: 1200 }))
            .public_base_url("https://numbers.example")
            .build();
        let before = w.audit_count(&[tenant]).await;
        let DriftOutcome::Ran(report) = dying.drift_sync(&options()).await.unwrap() else {
            panic!("locked")
        };
        assert!(!report.listing_complete, "{report:?}");
        assert_eq!((report.drift_released, report.orphans, report.exit_code), (0, 0, 1), "{report:?}");
        assert_eq!(w.row(&gone).await.status, NumberStatus::Active);
        assert_eq!(w.audit_count(&[tenant]).await, before, "no transition was recorded");
        // The same world with a listing that completes does release it.
        let report = w.run(&options()).await;
        assert_eq!(report.drift_released, 1, "{report:?}");
        assert_eq!(w.row(&gone).await.status, NumberStatus::Released);
    }

    async fn concurrency_limits_the_twilio_calls_of_both_passes_together(db) {
        let w = world(db).await;
        let (canceled, sub) = w.tenant(10).await;
        let (other, _) = w.tenant(10).await;
        let mut rows = Vec::new();
        for _ in 0..6 {
            rows.push(w.buy(canceled).await);
        }
        for _ in 0..6 {
            let row = w.buy(other).await;
            rows.push(w.mark_releasing(&row).await);
        }
        w.db.store.subscriptions().cancel(canceled, sub, Utc::now() - TimeDelta::seconds(1)).await.unwrap();
        // Slow deletes: the canceled tenant's are still under way when the listing is done
        // and the second pass retries the other tenant's.
        w.fake.control().inject_fault(FakeOperation::Delete, Fault::Latency { ms: 150 }, None);
        let report = w.run(&DriftOptions { concurrency: 2, ..options() }).await;
        assert_eq!((report.bulk_released, report.retried_releases, report.exit_code), (6, 6, 0), "{report:?}");
        for row in &rows {
            assert_eq!(w.row(row).await.status, NumberStatus::Released);
        }
        assert_eq!(w.fake.control().peak_in_flight(FakeOperation::Delete), 2, "--concurrency 2 in all");
    }
}

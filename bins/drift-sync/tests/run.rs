//! The `drift-sync` binary against a real database (both backends) and the Twilio fake over
//! HTTP: the summary line and exit code, `--json`, `--dry-run`, and exit 75 while another
//! run holds the lock.

use std::process::{Command, Output};

use numbers_app::numbers::{Purchase, PurchaseOutcome};
use numbers_app::{App, AppBuilder, TwilioAuth, TwilioSettings};
use numbers_domain::NumberStatus;
use numbers_persistence::testing::{self, TestDb};
use numbers_persistence::{Actor, DatabaseUrl, PhoneNumberRecord};
use secrecy::SecretString;
use twilio_fake::{FakeConfig, NumberKind, TwilioFake};

struct Setup {
    db: TestDb,
    fake: TwilioFake,
    app: App,
    rows: Vec<PhoneNumberRecord>,
}

/// A tenant with two numbers; the second is deleted on Twilio behind the database's back.
async fn setup(db: TestDb) -> Setup {
    let fake = TwilioFake::start(FakeConfig::with_seed(3)).expect("fake");
    let settings = TwilioSettings {
        account_sid: fake.account_sid().to_owned(),
        auth: TwilioAuth::AuthToken(SecretString::from(fake.auth_token().to_owned())),
        api_base_url: fake.api_base_url(),
        pricing_base_url: fake.pricing_base_url(),
    };
    let app = AppBuilder::new(db.store.clone(), db.url.clone())
        .twilio(&settings)
        .unwrap()
        .build();
    let (tenant, _) = testing::tenant_with_quota(&db.store, 5).await;
    let offers = fake
        .control()
        .available_numbers("US", NumberKind::Local)
        .unwrap();
    let mut rows = Vec::new();
    for offer in &offers[..2] {
        let purchase = Purchase {
            phone_number: offer.phone_number.parse().unwrap(),
            channel_id: None,
            number_type: None,
            iso_country: None,
            monthly_price_usd: None,
        };
        match app
            .purchase(tenant.id, purchase, Actor::operator("test"))
            .await
            .unwrap()
        {
            PurchaseOutcome::Bought(row) => rows.push(row),
            PurchaseOutcome::Unsettled(_) => panic!("unsettled"),
        }
    }
    app.carrier()
        .release(rows[1].twilio_sid.as_deref().unwrap())
        .await
        .unwrap();
    Setup {
        db,
        fake,
        app,
        rows,
    }
}

impl Setup {
    fn drift_sync(&self, args: &[&str]) -> Output {
        let url = match &self.db.url {
            DatabaseUrl::Postgres(raw) => raw.clone(),
            DatabaseUrl::Sqlite(path) => path.display().to_string(),
        };
        Command::new(env!("CARGO_BIN_EXE_drift-sync"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", url)
            .env("TWILIO_ACCOUNT_SID", self.fake.account_sid())
            .env("TWILIO_AUTH_TOKEN", self.fake.auth_token())
            .env("TWILIO_API_BASE_URL", self.fake.api_base_url())
            .env("TWILIO_PRICING_BASE_URL", self.fake.pricing_base_url())
            .env("RUST_LOG", "warn")
            .args(args)
            .output()
            .expect("run drift-sync")
    }

    async fn status(&self, i: usize) -> NumberStatus {
        self.db
            .store
            .phone_numbers()
            .get_any(self.rows[i].id)
            .await
            .unwrap()
            .unwrap()
            .status
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

numbers_persistence::both_backends! {
    async fn a_run_prints_the_summary_line_and_exits_0(db) {
        let s = setup(db).await;
        let dry = s.drift_sync(&["--dry-run", "--json", "--max-drift-share", "100"]);
        assert_eq!(dry.status.code(), Some(0), "{}", String::from_utf8_lossy(&dry.stderr));
        let report: serde_json::Value = serde_json::from_str(stdout(&dry).trim()).expect("one JSON object");
        assert_eq!((report["driftReleased"].as_u64(), report["dryRun"].as_bool()), (Some(1), Some(true)), "{report}");
        assert_eq!(s.status(1).await, NumberStatus::Active, "a dry run changes nothing");

        let run = s.drift_sync(&["--max-drift-share", "100%"]);
        assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
        let line = stdout(&run);
        assert!(
            line.starts_with("phone_numbers_drift_sync tenantsChecked=1 tenantsFailed=0 driftReleased=1 bulkReleased=0 adopted=0 orphans=0 webhookDrift=0 durationMs="),
            "{line}"
        );
        assert_eq!(line.lines().count(), 1);
        assert_eq!(s.status(0).await, NumberStatus::Active);
        assert_eq!(s.status(1).await, NumberStatus::Released);
        assert_eq!(s.db.store.drift().run_count().await.unwrap(), 2);
    }

    async fn the_brake_exits_1_and_a_held_lock_exits_75(db) {
        let s = setup(db).await;
        // One of two numbers gone is over the default 10 %.
        let braked = s.drift_sync(&[]);
        assert_eq!(braked.status.code(), Some(1), "{}", stdout(&braked));
        assert!(stdout(&braked).contains("brakeTripped=true"), "{}", stdout(&braked));
        assert_eq!(s.status(1).await, NumberStatus::Active);

        let lock = s.db.store.try_run_lock(&s.db.url).await.unwrap().expect("the lock is free");
        let locked = s.drift_sync(&["--max-drift-share", "100"]);
        assert_eq!(locked.status.code(), Some(75), "{}", String::from_utf8_lossy(&locked.stderr));
        assert!(String::from_utf8_lossy(&locked.stderr).contains("another run holds the lock"));
        assert_eq!(s.status(1).await, NumberStatus::Active);
        drop(lock);
        let run = s.drift_sync(&["--max-drift-share", "100"]);
        assert_eq!(run.status.code(), Some(0), "{}", stdout(&run));
        let _ = &s.app;
    }
}

//! `api adopt-number`: an orphan (a number the master account owns that no row holds) is
//! given to a tenant by an operator, against its quota, and audited. Both backends, the
//! Twilio fake over HTTP, the real binary.

use std::process::{Command, Output};

use numbers_app::{AppBuilder, TwilioAuth, TwilioSettings};
use numbers_domain::{AuditSource, NumberStatus, PurchaseOrder, Webhooks};
use numbers_persistence::DatabaseUrl;
use numbers_persistence::testing::{self, TestDb};
use secrecy::SecretString;
use twilio_fake::{FakeConfig, NumberKind, TwilioFake};

fn adopt(db: &TestDb, fake: &TwilioFake, tenant: &str, number: &str, twilio: bool) -> Output {
    let url = match &db.url {
        DatabaseUrl::Postgres(raw) => raw.clone(),
        DatabaseUrl::Sqlite(path) => path.display().to_string(),
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_api"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", url);
    if twilio {
        command
            .env("TWILIO_ACCOUNT_SID", fake.account_sid())
            .env("TWILIO_AUTH_TOKEN", fake.auth_token())
            .env("TWILIO_API_BASE_URL", fake.api_base_url())
            .env("TWILIO_PRICING_BASE_URL", fake.pricing_base_url());
    }
    command
        .args([
            "adopt-number",
            "--tenant",
            tenant,
            "--phone-number",
            number,
            "--operator",
            "ops-alice",
        ])
        .output()
        .expect("run api")
}

numbers_persistence::both_backends! {
    async fn an_orphan_is_adopted_against_the_quota_and_audited(db) {
        let fake = TwilioFake::start(FakeConfig::with_seed(21)).expect("fake");
        let settings = TwilioSettings {
            account_sid: fake.account_sid().to_owned(),
            auth: TwilioAuth::AuthToken(SecretString::from(fake.auth_token().to_owned())),
            api_base_url: fake.api_base_url(),
            pricing_base_url: fake.pricing_base_url(),
        };
        let app = AppBuilder::new(db.store.clone(), db.url.clone()).twilio(&settings).unwrap().build();
        let (tenant, _) = testing::tenant_with_quota(&db.store, 1).await;
        let offers = fake.control().available_numbers("US", NumberKind::Local).unwrap();
        // Two orphans, bought on Twilio behind the database's back.
        let mut orphans = Vec::new();
        for offer in &offers[..2] {
            let order = PurchaseOrder {
                phone_number: offer.phone_number.parse().unwrap(),
                webhooks: Webhooks {
                    voice_url: "https://old.example/voice".into(),
                    status_callback_url: "https://old.example/status".into(),
                },
                bundle_sid: None,
                address_sid: None,
            };
            orphans.push(app.carrier().buy(&order).await.unwrap());
        }
        let tenant_id = tenant.id.to_string();

        // Without Twilio credentials it refuses, naming the variable.
        let out = adopt(&db, &fake, &tenant_id, orphans[0].phone_number.as_str(), false);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("TWILIO_ACCOUNT_SID"));

        let out = adopt(&db, &fake, &tenant_id, orphans[0].phone_number.as_str(), true);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let row: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(row["status"], "active");
        assert_eq!(row["twilio_sid"], orphans[0].sid.as_str());
        let record = db.store.phone_numbers().find_live(&orphans[0].phone_number).await.unwrap().expect("a row");
        assert_eq!((record.tenant_id, record.status), (tenant.id, NumberStatus::Active));
        let history = db.store.audit_events().list_for_number(record.id).await.unwrap();
        assert!(!history.is_empty());
        assert!(history.iter().all(|e| e.source == AuditSource::Operator && e.actor == "ops-alice"), "{history:?}");
        assert_eq!(history.last().unwrap().to_status, Some(NumberStatus::Active));

        // The plan allows one number: the second orphan is refused and stays an orphan.
        let out = adopt(&db, &fake, &tenant_id, orphans[1].phone_number.as_str(), true);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("allows 1"), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(db.store.phone_numbers().find_live(&orphans[1].phone_number).await.unwrap().is_none());

        // Adopting again, or a number Twilio does not list, is refused.
        let out = adopt(&db, &fake, &tenant_id, orphans[0].phone_number.as_str(), true);
        assert!(!out.status.success());
        let out = adopt(&db, &fake, &tenant_id, offers[5].phone_number.as_str(), true);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("not found"), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

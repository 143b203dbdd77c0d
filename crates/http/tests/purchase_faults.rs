//! The purchase fault matrix (SPEC §6), over real HTTP on both backends with Twilio played by
//! the fake: each way Twilio or the database can fail, and a client that goes away at each
//! step, leaves the row in the state SPEC §6 requires, and never a number on Twilio that
//! drift-sync could not settle (checked with the drift-sync planner on the fake's listing).

mod support;

use std::time::{Duration, Instant};

use numbers_domain::NumberStatus;
use numbers_persistence::{PhoneNumberRecord, both_backends};
use serde_json::json;
use support::{RawDb, TestServer, TestTenant, assert_error};
use twilio_fake::{FakeOperation, Fault, LostResponse, NumberKind};

/// How long a test waits for something that must happen; exceeding it fails the test.
const PATIENCE: Duration = Duration::from_secs(30);

async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < PATIENCE, "waited {PATIENCE:?} for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The tenant's row for `number` once it has left `pending`.
async fn settled_row(server: &TestServer, tenant: &TestTenant, number: &str) -> PhoneNumberRecord {
    wait_until("the row to settle", async || {
        server
            .rows(tenant.id)
            .await
            .iter()
            .any(|r| r.phone_number.as_str() == number && r.status != NumberStatus::Pending)
    })
    .await;
    server.row(tenant.id, number).await
}

fn error_with(status: u16, code: u32) -> Fault {
    Fault::Error {
        status,
        code,
        message: None,
    }
}

/// Sends a purchase on a task of its own and drops it (closing the connection) once
/// `reached` says the operation got to the step under test.
async fn purchase_abandoned_when(
    server: &TestServer,
    tenant: &TestTenant,
    number: &str,
    reached: impl AsyncFnMut() -> bool,
) {
    let request = server
        .http
        .post(server.url("/v1/phone-numbers/purchase"))
        .bearer_auth(&tenant.admin)
        .json(&json!({ "phone_number": number }))
        .send();
    let client = tokio::spawn(request);
    wait_until("the purchase to reach the step", reached).await;
    assert!(
        !client.is_finished(),
        "the purchase answered before the client went away"
    );
    client.abort();
    assert!(client.await.is_err_and(|e| e.is_cancelled()));
}

/// Something that holds one step of a purchase back in the database until opened.
struct Gate {
    raw: RawDb,
}

impl Gate {
    /// Holds back the quota reservation: the tenant's row lock on PostgreSQL, the write
    /// lock on SQLite.
    async fn on_reservation(server: &TestServer, tenant: &TestTenant) -> Self {
        let mut raw = RawDb::connect(&server.db.url).await;
        if raw.is_postgres() {
            raw.exec(&format!(
                "BEGIN; SELECT id FROM tenants WHERE id = '{}' FOR UPDATE",
                tenant.id
            ))
            .await;
        } else {
            raw.exec("BEGIN IMMEDIATE").await;
        }
        Self { raw }
    }

    /// Holds back marking a row `active`. PostgreSQL: a trigger on that update waits for
    /// an advisory lock the test holds. SQLite: the write lock, taken now (call it after
    /// the reservation and before Twilio answers).
    async fn on_activation(server: &TestServer) -> Self {
        let mut raw = RawDb::connect(&server.db.url).await;
        if raw.is_postgres() {
            raw.exec(
                "CREATE FUNCTION test_gate() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN NEW; END $$; \
                 CREATE TRIGGER test_gate BEFORE UPDATE ON phone_numbers FOR EACH ROW \
                 WHEN (NEW.status = 'active') EXECUTE FUNCTION test_gate(); \
                 SELECT pg_advisory_lock(4242)",
            )
            .await;
        } else {
            raw.exec("BEGIN IMMEDIATE").await;
        }
        Self { raw }
    }

    /// Waits until the purchase is held at the gate. PostgreSQL shows the waiting lock;
    /// SQLite cannot, so this gives it a moment.
    async fn wait_held(&mut self) {
        if self.raw.is_postgres() {
            let raw = &mut self.raw;
            wait_until("a purchase to wait at the gate", async || {
                raw.count("SELECT count(*) AS n FROM pg_locks WHERE NOT granted")
                    .await
                    > 0
            })
            .await;
        } else {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    async fn open(mut self) {
        if self.raw.is_postgres() {
            self.raw
                .exec("COMMIT; SELECT pg_advisory_unlock_all()")
                .await;
        } else {
            self.raw.exec("COMMIT").await;
        }
    }
}

both_backends! {
    async fn twilio_21422_fails_the_row_and_answers_409_with_the_code(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let number = server.offers("US", NumberKind::Local, 1).remove(0);
        server.fake.control().inject_fault(FakeOperation::Create, error_with(400, 21422), Some(1));

        let answer = server.purchase(&tenant, &number).await;

        let body = assert_error(&answer, 409, "phone_number_unavailable");
        assert_eq!(body["twilio_code"], 21422);
        let row = server.row(tenant.id, &number).await;
        assert_eq!((row.status, row.failure_code), (NumberStatus::Failed, Some(21422)));
        assert_eq!(server.fake.control().owned_count(None).unwrap(), 0);
        assert_eq!(server.db.store.phone_numbers().count_live(tenant.id).await.unwrap(), 0);
        server.assert_drift_can_settle().await;
    }

    async fn twilio_21649_fails_the_row_and_answers_422_with_the_code(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let number = server.offers("US", NumberKind::Local, 1).remove(0);
        server.fake.control().inject_fault(FakeOperation::Create, error_with(400, 21649), Some(1));

        let answer = server.purchase(&tenant, &number).await;

        let body = assert_error(&answer, 422, "regulatory_requirements_missing");
        assert_eq!(body["twilio_code"], 21649);
        let row = server.row(tenant.id, &number).await;
        assert_eq!((row.status, row.failure_code), (NumberStatus::Failed, Some(21649)));
        assert_eq!(server.fake.control().owned_count(None).unwrap(), 0);
        server.assert_drift_can_settle().await;
    }

    async fn twilio_500_leaves_the_row_pending_for_drift_sync(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let number = server.offers("US", NumberKind::Local, 1).remove(0);
        server.fake.control().inject_fault(FakeOperation::Create, error_with(500, 20500), Some(1));

        let (status, body) = server.purchase(&tenant, &number).await;

        // A 5xx to a POST is an unknown outcome: the number was looked up, not found yet,
        // and the row keeps its quota slot until drift-sync settles it.
        assert_eq!(status, 202, "{body}");
        assert_eq!(body["status"], "pending");
        let row = server.row(tenant.id, &number).await;
        assert_eq!(row.status, NumberStatus::Pending);
        assert_eq!(server.fake.control().request_count(FakeOperation::Create), 1, "never repeated");
        assert_eq!(server.fake.control().owned_count(None).unwrap(), 0);
        assert_eq!(server.db.store.phone_numbers().count_live(tenant.id).await.unwrap(), 1);
        server.assert_drift_can_settle().await;
        assert_eq!(server.drift_actions_for(row.id).await, ["abandon_pending"]);
    }

    async fn a_twilio_timeout_leaves_the_row_pending_for_drift_sync(db) {
        let server = TestServer::start_with_client(db, |client| {
            client.request_timeout(Duration::from_millis(500))
        })
        .await;
        let tenant = server.tenant(5).await;
        let number = server.offers("US", NumberKind::Local, 1).remove(0);
        server.fake.control().inject_fault(FakeOperation::Create, Fault::Hang { ms: Some(3000) }, Some(1));

        let (status, body) = server.purchase(&tenant, &number).await;

        assert_eq!(status, 202, "{body}");
        let row = server.row(tenant.id, &number).await;
        assert_eq!(row.status, NumberStatus::Pending);
        assert_eq!(server.fake.control().owned_count(None).unwrap(), 0);
        server.assert_drift_can_settle().await;
        assert_eq!(server.drift_actions_for(row.id).await, ["abandon_pending"]);
    }

    async fn a_purchase_whose_answer_is_lost_is_looked_up_and_recorded(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let number = server.offers("US", NumberKind::Local, 1).remove(0);
        server.fake.control().inject_fault(
            FakeOperation::Create,
            Fault::CommitThenLose { lose: LostResponse::DropConnection },
            Some(1),
        );

        let (status, body) = server.purchase(&tenant, &number).await;

        assert_eq!(status, 201, "{body}");
        let on_fake = server.fake.control().owned_number(&number).expect("bought");
        let row = server.row(tenant.id, &number).await;
        assert_eq!(row.status, NumberStatus::Active);
        assert_eq!(row.twilio_sid.as_deref(), Some(on_fake.sid.as_str()));
        assert_eq!(row.voice_url, on_fake.voice_url);
        assert_eq!(server.fake.control().request_count(FakeOperation::Create), 1, "never bought twice");
        server.assert_drift_can_settle().await;
        assert!(server.drift_actions_for(row.id).await.is_empty());
    }

    async fn a_lost_answer_that_cannot_be_looked_up_stays_pending_and_drift_sync_adopts_it(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let number = server.offers("US", NumberKind::Local, 1).remove(0);
        let control = server.fake.control();
        control.inject_fault(
            FakeOperation::Create,
            Fault::CommitThenLose { lose: LostResponse::ServerError },
            Some(1),
        );
        control.inject_fault(FakeOperation::List, error_with(500, 20500), None);

        let (status, body) = server.purchase(&tenant, &number).await;
        control.clear_faults(None);

        assert_eq!(status, 202, "{body}");
        let row = server.row(tenant.id, &number).await;
        assert_eq!(row.status, NumberStatus::Pending);
        assert!(control.owned_number(&number).is_some(), "Twilio bought it");
        server.assert_drift_can_settle().await;
        assert_eq!(server.drift_actions_for(row.id).await, ["adopt"]);
    }

    async fn the_database_failing_after_twilio_bought_leaves_the_row_pending_for_drift_sync(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let number = server.offers("US", NumberKind::Local, 1).remove(0);
        let mut raw = RawDb::connect(&server.db.url).await;
        let refuse_activation = if raw.is_postgres() {
            "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$; \
             CREATE TRIGGER test_refuse BEFORE UPDATE ON phone_numbers FOR EACH ROW \
             WHEN (NEW.status = 'active') EXECUTE FUNCTION test_refuse()"
        } else {
            "CREATE TRIGGER test_refuse BEFORE UPDATE ON phone_numbers \
             WHEN NEW.status = 'active' BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        };
        raw.exec(refuse_activation).await;

        let (status, body) = server.purchase(&tenant, &number).await;
        let drop = if raw.is_postgres() { "DROP TRIGGER test_refuse ON phone_numbers" } else { "DROP TRIGGER test_refuse" };
        raw.exec(drop).await;

        // Bought on Twilio, not recorded: the client is told the purchase is not settled,
        // and the row holds the number for drift-sync to adopt.
        assert_eq!(status, 202, "{body}");
        assert_eq!(body["status"], "pending");
        let row = server.row(tenant.id, &number).await;
        assert_eq!(row.status, NumberStatus::Pending);
        assert!(server.fake.control().owned_number(&number).is_some());
        assert_eq!(server.fake.control().request_count(FakeOperation::Create), 1);
        server.assert_drift_can_settle().await;
        assert_eq!(server.drift_actions_for(row.id).await, ["adopt"]);
    }

    async fn a_client_gone_before_the_reservation_still_gets_the_number_bought_and_recorded(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let number = server.offers("US", NumberKind::Local, 1).remove(0);
        let mut gate = Gate::on_reservation(&server, &tenant).await;

        let control = server.fake.control();
        purchase_abandoned_when(&server, &tenant, &number, async || {
            // Past validation and pricing, waiting for the quota transaction.
            control.request_count(FakeOperation::Pricing) > 0 && {
                gate.wait_held().await;
                true
            }
        })
        .await;
        assert!(server.rows(tenant.id).await.is_empty(), "nothing reserved yet");
        gate.open().await;

        let row = settled_row(&server, &tenant, &number).await;
        assert_eq!(row.status, NumberStatus::Active);
        assert!(control.owned_number(&number).is_some());
        server.assert_drift_can_settle().await;
    }

    async fn a_client_gone_while_twilio_buys_still_gets_the_number_recorded(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let number = server.offers("US", NumberKind::Local, 1).remove(0);
        let control = server.fake.control();
        control.inject_fault(FakeOperation::Create, Fault::Latency { ms: 500 }, Some(1));

        purchase_abandoned_when(&server, &tenant, &number, async || {
            control.request_count(FakeOperation::Create) > 0
        })
        .await;

        let row = settled_row(&server, &tenant, &number).await;
        assert_eq!(row.status, NumberStatus::Active);
        assert_eq!(row.twilio_sid, control.owned_number(&number).map(|n| n.sid));
        server.assert_drift_can_settle().await;
    }

    async fn a_client_gone_while_a_lost_answer_is_looked_up_still_gets_the_number_recorded(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let number = server.offers("US", NumberKind::Local, 1).remove(0);
        let control = server.fake.control();
        control.inject_fault(
            FakeOperation::Create,
            Fault::CommitThenLose { lose: LostResponse::DropConnection },
            Some(1),
        );
        control.inject_fault(FakeOperation::List, Fault::Latency { ms: 500 }, Some(1));

        purchase_abandoned_when(&server, &tenant, &number, async || {
            control.request_count(FakeOperation::List) > 0
        })
        .await;

        let row = settled_row(&server, &tenant, &number).await;
        assert_eq!(row.status, NumberStatus::Active);
        assert_eq!(row.twilio_sid, control.owned_number(&number).map(|n| n.sid));
        server.assert_drift_can_settle().await;
    }

    async fn a_client_gone_after_twilio_bought_before_the_row_is_active_still_gets_it_recorded(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let number = server.offers("US", NumberKind::Local, 1).remove(0);
        let control = server.fake.control();
        let postgres = server.db.url.backend() == numbers_persistence::Backend::Postgres;
        // PostgreSQL: the gate is a trigger on activation, closed from the start. SQLite:
        // the write lock, taken while Twilio takes its time to buy (after the reservation).
        control.inject_fault(FakeOperation::Create, Fault::Latency { ms: 1000 }, Some(1));
        let mut gate = if postgres { Some(Gate::on_activation(&server).await) } else { None };

        let mut held = false;
        purchase_abandoned_when(&server, &tenant, &number, async || {
            if control.request_count(FakeOperation::Create) == 0 {
                return false;
            }
            if gate.is_none() {
                gate = Some(Gate::on_activation(&server).await);
            }
            if control.owned_number(&number).is_none() {
                return false;
            }
            if !held {
                gate.as_mut().unwrap().wait_held().await;
                held = true;
            }
            true
        })
        .await;
        let row = server.row(tenant.id, &number).await;
        assert_eq!(row.status, NumberStatus::Pending, "bought, not yet recorded");
        gate.unwrap().open().await;

        let row = settled_row(&server, &tenant, &number).await;
        assert_eq!(row.status, NumberStatus::Active);
        assert_eq!(row.twilio_sid, control.owned_number(&number).map(|n| n.sid));
        server.assert_drift_can_settle().await;
    }
}

/// PostgreSQL only (a sequence counts outside the failing transaction; SQLite has nothing
/// like it): the database refuses to record the first two attempts after Twilio bought,
/// and the purchase's retries record it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_failure_after_twilio_bought_is_retried_until_recorded() {
    let server = TestServer::start(numbers_persistence::testing::TestDb::postgres().await).await;
    let tenant = server.tenant(5).await;
    let number = server.offers("US", NumberKind::Local, 1).remove(0);
    let mut raw = RawDb::connect(&server.db.url).await;
    raw.exec(
        "CREATE SEQUENCE test_attempts; \
         CREATE FUNCTION test_refuse_twice() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN IF nextval('test_attempts') <= 2 THEN RAISE EXCEPTION 'injected failure'; \
         END IF; RETURN NEW; END $$; \
         CREATE TRIGGER test_refuse_twice BEFORE UPDATE ON phone_numbers FOR EACH ROW \
         WHEN (NEW.status = 'active') EXECUTE FUNCTION test_refuse_twice()",
    )
    .await;

    let (status, body) = server.purchase(&tenant, &number).await;

    assert_eq!(status, 201, "{body}");
    assert_eq!(
        raw.count("SELECT last_value AS n FROM test_attempts").await,
        3,
        "two refused attempts, then the one recorded"
    );
    let row = server.row(tenant.id, &number).await;
    assert_eq!(row.status, NumberStatus::Active);
    assert_eq!(
        server.fake.control().request_count(FakeOperation::Create),
        1
    );
    server.assert_drift_can_settle().await;
}

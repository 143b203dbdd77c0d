//! Both migration sets produce the same logical schema.

use numbers_persistence::introspect::UniqueRule;
use numbers_persistence::testing::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_and_sqlite_migrations_define_the_same_logical_schema() {
    let pg = TestDb::postgres().await;
    let lite = TestDb::sqlite().await;
    let pg_schema = pg.store.describe_schema().await.unwrap();
    let lite_schema = lite.store.describe_schema().await.unwrap();

    let expected_tables = [
        "audit_events",
        "call_events",
        "calls",
        "channels",
        "drift_runs",
        "idempotency_keys",
        "phone_numbers",
        "pricing_tiers",
        "regulatory_requirements",
        "shared_pool_numbers",
        "subscriptions",
        "tenants",
        "twilio_accounts",
    ];
    assert_eq!(
        pg_schema.tables().into_iter().collect::<Vec<_>>(),
        expected_tables
    );

    let only_pg: Vec<_> = pg_schema.columns.difference(&lite_schema.columns).collect();
    let only_lite: Vec<_> = lite_schema.columns.difference(&pg_schema.columns).collect();
    assert!(
        only_pg.is_empty() && only_lite.is_empty(),
        "columns differ:\npostgres only: {only_pg:#?}\nsqlite only: {only_lite:#?}"
    );

    let only_pg: Vec<_> = pg_schema
        .unique_rules
        .difference(&lite_schema.unique_rules)
        .collect();
    let only_lite: Vec<_> = lite_schema
        .unique_rules
        .difference(&pg_schema.unique_rules)
        .collect();
    assert!(
        only_pg.is_empty() && only_lite.is_empty(),
        "unique rules differ:\npostgres only: {only_pg:#?}\nsqlite only: {only_lite:#?}"
    );

    // The rule SPEC §4 demands is there (and partial) on both.
    let live_rule = UniqueRule {
        table: "phone_numbers".into(),
        columns: vec!["phone_number".into()],
        primary: false,
        partial: true,
    };
    assert!(pg_schema.unique_rules.contains(&live_rule));
    assert!(lite_schema.unique_rules.contains(&live_rule));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_twice_runs_nothing_the_second_time() {
    for db in [TestDb::postgres().await, TestDb::sqlite().await] {
        assert_eq!(
            numbers_persistence::Store::migrate(&db.url).await.unwrap(),
            0
        );
    }
}

#[tokio::test]
async fn an_unreachable_postgres_fails_the_test_with_instructions_to_start_it() {
    let outcome = tokio::spawn(numbers_persistence::testing::TestDb::postgres_at(
        "postgres://postgres@127.0.0.1:1/test".into(),
    ))
    .await;
    let panic = outcome.expect_err("an unreachable server must fail the test, not skip it");
    let payload = panic.into_panic();
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    assert!(message.contains("PostgreSQL is not reachable"), "{message}");
    assert!(message.contains("pg_ctlcluster"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_killed_by_the_server_are_replaced_without_failing_requests() {
    use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};
    let db = TestDb::postgres().await;
    // Open a few pooled connections, then have the server end every one of them.
    for _ in 0..4 {
        db.store.ping().await.unwrap();
    }
    let numbers_persistence::DatabaseUrl::Postgres(url) = &db.url else {
        unreachable!()
    };
    let name = url.rsplit('/').next().unwrap().to_owned();
    let mut admin = AsyncPgConnection::establish(&numbers_persistence::testing::admin_url())
        .await
        .unwrap();
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // The pool notices the closed sockets when it hands connections out again.
    for _ in 0..8 {
        db.store
            .tenants()
            .list()
            .await
            .expect("a fresh connection serves the request");
    }
}

//! The serialised "check quota and insert a pending row" transaction under concurrency,
//! and its behaviour when callers give up half-way.

mod support;

use std::time::Duration;

use futures::FutureExt as _;
use numbers_domain::TenantId;
use numbers_persistence::testing::tenant_with_quota;
use numbers_persistence::{Reservation, Store, StoreError, both_backends};
use support::{actor, number, reservation};

#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    reserved: u32,
    refused: u32,
}

/// Starts one reservation per (tenant, number) at once, on the runtime's worker threads.
async fn reserve_all(
    store: &Store,
    requests: Vec<(TenantId, u32)>,
) -> Vec<(TenantId, Reservation)> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|(tenant, n)| {
            let store = store.clone();
            tokio::spawn(async move {
                let outcome = store
                    .phone_numbers()
                    .reserve(reservation(tenant, number(n)), &actor())
                    .await;
                (tenant, outcome)
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        let (tenant, outcome) = task.await.expect("task");
        outcomes.push((
            tenant,
            outcome.unwrap_or_else(|e| panic!("reservation errored: {e}")),
        ));
    }
    outcomes
}

fn tally(outcomes: &[(TenantId, Reservation)], tenant: TenantId, quota: u32) -> Tally {
    let mut tally = Tally::default();
    for (owner, outcome) in outcomes.iter().filter(|(owner, _)| *owner == tenant) {
        match outcome {
            Reservation::Reserved(record) => {
                assert_eq!(record.tenant_id, *owner);
                tally.reserved += 1;
            }
            Reservation::QuotaExceeded { used, quota: q } => {
                assert_eq!((*used, *q), (quota, quota), "a refusal reports a full plan");
                tally.refused += 1;
            }
            Reservation::NoActiveSubscription => panic!("the tenant is subscribed"),
        }
    }
    tally
}

both_backends! {
    async fn fifty_parallel_reservations_fill_a_quota_of_five_exactly(db) {
        let (tenant, _) = tenant_with_quota(&db.store, 5).await;
        let outcomes = reserve_all(&db.store, (0..50).map(|n| (tenant.id, n)).collect()).await;
        assert_eq!(tally(&outcomes, tenant.id, 5), Tally { reserved: 5, refused: 45 });
        assert_eq!(db.store.phone_numbers().count_live(tenant.id).await.unwrap(), 5);
        let audited = db.store.audit_events().list_for_tenant(tenant.id, 100).await.unwrap();
        assert_eq!(audited.len(), 5, "one audit event per reservation, none for refusals");
    }

    async fn two_tenants_interleaved_never_mix_their_counts(db) {
        let (acme, _) = tenant_with_quota(&db.store, 5).await;
        let (globex, _) = tenant_with_quota(&db.store, 3).await;
        let requests = (0..50)
            .flat_map(|n| [(acme.id, n), (globex.id, 100 + n)])
            .collect();
        let outcomes = reserve_all(&db.store, requests).await;
        assert_eq!(tally(&outcomes, acme.id, 5), Tally { reserved: 5, refused: 45 });
        assert_eq!(tally(&outcomes, globex.id, 3), Tally { reserved: 3, refused: 47 });
        assert_eq!(db.store.phone_numbers().count_live(acme.id).await.unwrap(), 5);
        assert_eq!(db.store.phone_numbers().count_live(globex.id).await.unwrap(), 3);
    }

    async fn reservations_abandoned_mid_flight_finish_and_leave_the_pool_healthy(db) {
        let (tenant, _) = tenant_with_quota(&db.store, 30).await;
        // Twenty callers give up at once or after a few hundred microseconds, the way a
        // disconnecting HTTP client cancels its handler.
        for n in 0..20_u32 {
            let store = db.store.clone();
            let attempt = async move {
                store.phone_numbers().reserve(reservation(tenant.id, number(n)), &actor()).await
            };
            if n % 2 == 0 {
                // Almost always still under way after one poll; on a loaded machine the
                // thread polling it can be pre-empted long enough for another worker to run
                // the whole reservation (one blocking hand-over on SQLite), which is fine
                // too: what is checked below is that none is lost.
                let _ = attempt.now_or_never();
            } else {
                let _ = tokio::time::timeout(Duration::from_micros(u64::from(n) * 50), attempt).await;
            }
        }
        // Nothing is lost: every abandoned reservation still completes.
        let mut live = 0;
        for _ in 0..500 {
            live = db.store.phone_numbers().count_live(tenant.id).await.unwrap();
            if live == 20 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(live, 20);
        // No connection came back with a dangling transaction: more parallel work succeeds,
        // up to the quota and not beyond.
        let outcomes = reserve_all(&db.store, (100..130).map(|n| (tenant.id, n)).collect()).await;
        assert_eq!(tally(&outcomes, tenant.id, 30), Tally { reserved: 10, refused: 20 });
        db.store.ping().await.unwrap();
    }
}

#[tokio::test]
async fn an_unreachable_database_is_reported_unavailable_not_empty() {
    let url =
        numbers_persistence::DatabaseUrl::parse("postgres://postgres@127.0.0.1:1/none").unwrap();
    let options = numbers_persistence::StoreOptions {
        acquire_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let store = Store::connect(&url, &options).unwrap();
    let error = store.tenants().list().await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    assert!(error.is_unavailable());
    assert!(store.ping().await.is_err());
}

//! The drift-sync reconciliation planner, through its public API: one test per case of
//! SPEC §10, the brake, the grace period, sids, idempotence, and properties over arbitrary
//! rows and listings.

use std::collections::BTreeSet;
use std::convert::Infallible;

use chrono::{DateTime, TimeDelta, TimeZone as _, Utc};
use numbers_domain::reconcile::{
    Action, ActionKind, BrakeVerdict, ListingComplete, ListingScan, LocalNumber, Percent, Plan,
    ReconcileSettings, SafetyBrake, reconcile,
};
use numbers_domain::{
    Capabilities, E164, NumberStatus, OwnedNumber, PhoneNumberId, ReleaseReason, TenantId, Webhooks,
};
use proptest::prelude::*;

const MASTER: &str = "ACmaster";
const LEGACY: &str = "AClegacy";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 3, 15, 0).unwrap()
}

fn number(n: u32) -> E164 {
    format!("+1415555{n:04}").parse().unwrap()
}

fn voice_url(channel: u32) -> String {
    format!("https://api.example.com/webhooks/twilio/voice?channel_id={channel}")
}

fn status_url(channel: u32) -> String {
    format!("https://api.example.com/webhooks/twilio/status?channel_id={channel}")
}

fn tenant(n: u128) -> TenantId {
    TenantId::from_uuid(uuid::Uuid::from_u128(n))
}

/// A row of tenant 1 on the master account, wired to channel `n`, three days old.
fn row(status: NumberStatus, n: u32, sid: Option<&str>) -> LocalNumber {
    LocalNumber {
        id: PhoneNumberId::new(),
        tenant_id: tenant(1),
        phone_number: number(n),
        status,
        twilio_sid: sid.map(str::to_owned),
        account_sid: MASTER.to_owned(),
        voice_url: Some(voice_url(n)),
        status_callback_url: Some(status_url(n)),
        release_reason: None,
        created_at: now() - TimeDelta::days(3),
        updated_at: now() - TimeDelta::days(2),
    }
}

/// What Twilio lists for number `n` bought as `sid`, wired as [`row`] wires it.
fn entry(n: u32, sid: &str) -> OwnedNumber {
    OwnedNumber {
        sid: sid.to_owned(),
        account_sid: MASTER.to_owned(),
        phone_number: number(n),
        friendly_name: Some(format!("(415) 555-{n:04}")),
        capabilities: Capabilities {
            voice: true,
            sms: true,
            mms: false,
            fax: false,
        },
        voice_url: Some(voice_url(n)),
        status_callback_url: Some(status_url(n)),
        created_at: Some(now() - TimeDelta::days(3)),
    }
}

/// Default settings without brake limits, for the tests of single cases.
fn unbraked() -> ReconcileSettings {
    let mut settings = ReconcileSettings::new(MASTER, now());
    settings.brake = SafetyBrake {
        max_share: None,
        max_count: None,
        force: false,
    };
    settings
}

fn plan_with(
    rows: Vec<LocalNumber>,
    listing: Vec<OwnedNumber>,
    settings: ReconcileSettings,
) -> Plan {
    match reconcile(rows, listing.into_iter().map(Ok::<_, Infallible>), settings) {
        Ok(plan) => plan,
        Err(never) => match never {},
    }
}

fn plan(rows: Vec<LocalNumber>, listing: Vec<OwnedNumber>) -> Plan {
    plan_with(rows, listing, unbraked())
}

fn only_action(plan: &Plan) -> &Action {
    let actions: Vec<&Action> = plan.actions().collect();
    assert_eq!(actions.len(), 1, "{plan:#?}");
    actions[0]
}

fn kinds(plan: &Plan) -> Vec<&'static str> {
    plan.actions().map(|a| a.kind.name()).collect()
}

// --- One test per case of SPEC §10 -------------------------------------------------------

#[test]
fn active_number_absent_on_twilio_is_drift_released() {
    let gone = row(NumberStatus::Active, 1, Some("PN1"));
    let kept = row(NumberStatus::Active, 2, Some("PN2"));
    let plan = plan(vec![gone.clone(), kept], vec![entry(2, "PN2")]);

    let action = only_action(&plan);
    assert_eq!(action.kind, ActionKind::DriftRelease);
    assert_eq!(action.id, gone.id);
    assert_eq!(action.tenant_id, gone.tenant_id);
    assert_eq!(action.phone_number, gone.phone_number);
    assert_eq!(action.seen_status, NumberStatus::Active);
    assert_eq!(action.seen_updated_at, gone.updated_at);
    assert_eq!(action.target_status(), Some(NumberStatus::Released));
    assert_eq!(action.release_reason(), Some(ReleaseReason::Drift));
    assert!(action.kind.rests_on_absence());
    assert_eq!(plan.summary.drift_released, 1);
    assert_eq!(plan.brake, BrakeVerdict::Clear);
}

#[test]
fn active_number_listed_with_the_voice_url_we_wrote_needs_nothing() {
    let plan = plan(
        vec![row(NumberStatus::Active, 1, Some("PN1"))],
        vec![entry(1, "PN1")],
    );
    assert_eq!(kinds(&plan), Vec::<&str>::new());
    assert!(!plan.changes_anything());
    assert!(plan.orphans.is_empty());
}

#[test]
fn an_empty_url_and_no_url_are_the_same() {
    let mut ours = row(NumberStatus::Active, 1, Some("PN1"));
    ours.voice_url = Some(String::new());
    let mut theirs = entry(1, "PN1");
    theirs.voice_url = None;
    assert!(plan(vec![ours], vec![theirs]).tenants[0].actions.is_empty());
}

#[test]
fn webhook_drift_is_reported_without_repair_by_default() {
    let ours = row(NumberStatus::Active, 1, Some("PN1"));
    let mut theirs = entry(1, "PN1");
    theirs.voice_url = Some("https://elsewhere.example/voice".into());
    let plan = plan(vec![ours], vec![theirs]);

    let ActionKind::WebhookDrift(drift) = &only_action(&plan).kind else {
        panic!("expected webhook drift: {plan:#?}");
    };
    assert_eq!(drift.sid, "PN1");
    assert_eq!(drift.written.as_deref(), Some(voice_url(1).as_str()));
    assert_eq!(
        drift.found.as_deref(),
        Some("https://elsewhere.example/voice")
    );
    assert_eq!(drift.repair, None);
    assert!(!plan.changes_anything());
    assert_eq!(only_action(&plan).target_status(), None);
    assert_eq!(
        (plan.summary.webhook_drift, plan.summary.webhook_repairs),
        (1, 0)
    );
}

#[test]
fn webhook_drift_with_the_repair_flag_says_what_to_write() {
    let ours = row(NumberStatus::Active, 1, Some("PN1"));
    let mut theirs = entry(1, "PN1");
    theirs.voice_url = None;
    let mut settings = unbraked();
    settings.repair_webhooks = true;
    let plan = plan_with(vec![ours], vec![theirs], settings);

    let ActionKind::WebhookDrift(drift) = &only_action(&plan).kind else {
        panic!("expected webhook drift: {plan:#?}");
    };
    assert_eq!(
        drift.repair,
        Some(Webhooks {
            voice_url: voice_url(1),
            status_callback_url: status_url(1),
        })
    );
    assert!(plan.changes_anything());
    assert_eq!(
        (plan.summary.webhook_drift, plan.summary.webhook_repairs),
        (1, 1)
    );
}

#[test]
fn webhook_drift_without_urls_we_wrote_cannot_be_repaired() {
    let mut ours = row(NumberStatus::Active, 1, Some("PN1"));
    ours.voice_url = None;
    let mut settings = unbraked();
    settings.repair_webhooks = true;
    let plan = plan_with(vec![ours], vec![entry(1, "PN1")], settings);

    let ActionKind::WebhookDrift(drift) = &only_action(&plan).kind else {
        panic!("expected webhook drift: {plan:#?}");
    };
    assert_eq!(drift.written, None);
    assert_eq!(drift.repair, None);
}

#[test]
fn old_pending_number_that_twilio_has_is_adopted_with_twilios_data() {
    let pending = row(NumberStatus::Pending, 1, None);
    let mut listed = entry(1, "PNnew");
    listed.voice_url = Some(voice_url(7));
    let plan = plan(vec![pending.clone()], vec![listed.clone()]);

    let action = only_action(&plan);
    assert_eq!(action.id, pending.id);
    assert_eq!(action.kind, ActionKind::Adopt(Box::new(listed)));
    assert_eq!(action.target_status(), Some(NumberStatus::Active));
    assert_eq!(action.release_reason(), None);
    assert_eq!(plan.summary.adopted, 1);
    assert!(plan.orphans.is_empty());
}

#[test]
fn old_pending_number_that_twilio_lacks_is_released_as_purchase_not_completed() {
    let pending = row(NumberStatus::Pending, 1, None);
    let plan = plan(vec![pending.clone()], vec![entry(2, "PN2")]);

    let action = only_action(&plan);
    assert_eq!(action.id, pending.id);
    assert_eq!(action.kind, ActionKind::AbandonPending);
    assert_eq!(action.target_status(), Some(NumberStatus::Released));
    assert_eq!(
        action.release_reason(),
        Some(ReleaseReason::PurchaseNotCompleted)
    );
    assert!(NumberStatus::Pending.can_become(NumberStatus::Released));
    assert_eq!(plan.summary.failed_pending, 1);
}

#[test]
fn young_pending_number_is_left_alone_listed_or_not() {
    let mut listed = row(NumberStatus::Pending, 1, None);
    listed.created_at = now() - TimeDelta::minutes(5);
    let mut unlisted = row(NumberStatus::Pending, 2, None);
    unlisted.created_at = now() - TimeDelta::minutes(5);
    let plan = plan(vec![listed, unlisted], vec![entry(1, "PN1")]);

    assert_eq!(kinds(&plan), Vec::<&str>::new());
    assert_eq!(plan.summary.pending_in_grace, 2);
    // Its listing entry is ours, not an orphan.
    assert!(plan.orphans.is_empty());
}

#[test]
fn grace_period_boundary_is_strict() {
    let decide = |age: TimeDelta| {
        let mut pending = row(NumberStatus::Pending, 1, None);
        pending.created_at = now() - age;
        kinds(&plan(vec![pending], vec![]))
    };
    assert_eq!(decide(TimeDelta::minutes(15)), Vec::<&str>::new());
    assert_eq!(
        decide(TimeDelta::minutes(15) + TimeDelta::milliseconds(1)),
        ["abandon_pending"]
    );
    assert_eq!(decide(TimeDelta::zero()), Vec::<&str>::new());
    // A row stamped after `now` (clock skew) is young, not old.
    assert_eq!(decide(TimeDelta::minutes(-30)), Vec::<&str>::new());
}

#[test]
fn grace_period_is_configurable_and_never_negative() {
    let mut pending = row(NumberStatus::Pending, 1, None);
    pending.created_at = now() - TimeDelta::minutes(20);
    let mut settings = unbraked();
    settings.pending_grace = TimeDelta::hours(1);
    assert_eq!(
        kinds(&plan_with(vec![pending.clone()], vec![], settings.clone())),
        Vec::<&str>::new()
    );
    settings.pending_grace = TimeDelta::minutes(-5);
    pending.created_at = now();
    assert_eq!(
        kinds(&plan_with(vec![pending], vec![], settings)),
        Vec::<&str>::new()
    );
}

#[test]
fn releasing_number_still_on_twilio_is_deleted_again_with_its_reason() {
    let mut releasing = row(NumberStatus::Releasing, 1, Some("PN1"));
    releasing.release_reason = Some(ReleaseReason::SubscriptionCanceled);
    let plan = plan(vec![releasing.clone()], vec![entry(1, "PN1")]);

    let action = only_action(&plan);
    assert_eq!(action.id, releasing.id);
    assert_eq!(
        action.kind,
        ActionKind::RetryRelease {
            sid: "PN1".into(),
            reason: ReleaseReason::SubscriptionCanceled,
        }
    );
    assert!(!action.kind.rests_on_absence());
    assert_eq!(plan.summary.retried_releases, 1);
}

#[test]
fn releasing_number_gone_from_twilio_is_marked_released() {
    let mut with_reason = row(NumberStatus::Releasing, 1, Some("PN1"));
    with_reason.release_reason = Some(ReleaseReason::User);
    let without_reason = row(NumberStatus::Releasing, 2, Some("PN2"));
    let plan = plan(vec![with_reason, without_reason], vec![]);

    let kinds: Vec<&ActionKind> = plan.actions().map(|a| &a.kind).collect();
    assert_eq!(
        kinds,
        [
            &ActionKind::MarkReleased {
                reason: ReleaseReason::User
            },
            // An interrupted drift-release leaves `releasing` with no reason recorded.
            &ActionKind::MarkReleased {
                reason: ReleaseReason::Drift
            },
        ]
    );
    assert_eq!(plan.summary.marked_released, 2);
}

#[test]
fn orphans_are_reported_and_never_acted_on() {
    let ours = row(NumberStatus::Active, 1, Some("PN1"));
    let stranger = entry(9, "PN9");
    let plan = plan(vec![ours], vec![stranger.clone(), entry(1, "PN1")]);

    assert_eq!(plan.orphans, [stranger]);
    assert_eq!(plan.summary.orphans, 1);
    assert!(plan.actions().all(|a| a.phone_number != number(9)));
    assert!(!plan.changes_anything());
}

#[test]
fn a_listing_of_only_orphans_plans_nothing_even_with_an_empty_database() {
    let plan = plan_with(
        vec![],
        (0..50).map(|n| entry(n, &format!("PN{n}"))).collect(),
        ReconcileSettings::new(MASTER, now()),
    );
    assert_eq!(plan.orphans.len(), 50);
    assert!(plan.tenants.is_empty());
    assert_eq!(plan.brake, BrakeVerdict::Clear);
    assert!(!plan.changes_anything());
}

// --- Sids ------------------------------------------------------------------------------

#[test]
fn same_number_with_another_sid_is_another_purchase() {
    // Our PN1 was released on Twilio and the number bought again into the account as PN2.
    let active = row(NumberStatus::Active, 1, Some("PN1"));
    let plan_active = plan(vec![active.clone()], vec![entry(1, "PN2")]);
    assert_eq!(only_action(&plan_active).kind, ActionKind::DriftRelease);
    assert_eq!(plan_active.orphans, [entry(1, "PN2")]);

    // A release of PN1 is complete; PN2 is not ours to delete.
    let releasing = row(NumberStatus::Releasing, 1, Some("PN1"));
    let plan_releasing = plan(vec![releasing], vec![entry(1, "PN2")]);
    assert!(matches!(
        only_action(&plan_releasing).kind,
        ActionKind::MarkReleased { .. }
    ));
    assert_eq!(plan_releasing.orphans, [entry(1, "PN2")]);

    // A pending row that somehow has a sid is not adopted onto another purchase.
    let pending = row(NumberStatus::Pending, 1, Some("PN1"));
    let plan_pending = plan(vec![pending], vec![entry(1, "PN2")]);
    assert_eq!(only_action(&plan_pending).kind, ActionKind::AbandonPending);
    assert_eq!(plan_pending.orphans, [entry(1, "PN2")]);
}

#[test]
fn rows_without_a_sid_match_by_number() {
    let releasing = row(NumberStatus::Releasing, 1, None);
    let active = row(NumberStatus::Active, 2, None);
    let plan = plan(
        vec![releasing, active],
        vec![entry(1, "PN1"), entry(2, "PN2")],
    );
    assert_eq!(
        only_action(&plan).kind,
        ActionKind::RetryRelease {
            sid: "PN1".into(),
            reason: ReleaseReason::Drift
        }
    );
    assert!(plan.orphans.is_empty());
}

#[test]
fn a_row_without_a_sid_takes_the_first_listed_purchase_of_its_number() {
    let pending = row(NumberStatus::Pending, 1, None);
    let plan = plan(vec![pending], vec![entry(1, "PNa"), entry(1, "PNb")]);
    assert_eq!(
        only_action(&plan).kind,
        ActionKind::Adopt(Box::new(entry(1, "PNa")))
    );
    assert_eq!(plan.orphans, [entry(1, "PNb")]);
}

#[test]
fn a_number_listed_twice_counts_once() {
    // A listing page served twice while paging.
    let active = row(NumberStatus::Active, 1, Some("PN1"));
    let pending = row(NumberStatus::Pending, 2, None);
    let plan = plan(
        vec![active, pending],
        vec![
            entry(1, "PN1"),
            entry(2, "PN2"),
            entry(1, "PN1"),
            entry(2, "PN2"),
            entry(9, "PN9"),
            entry(9, "PN9"),
        ],
    );
    assert_eq!(kinds(&plan), ["adopt"]);
    assert_eq!(plan.orphans, [entry(9, "PN9")]);
    assert_eq!(plan.summary.listed, 6);
}

// --- Rows that are not compared ----------------------------------------------------------

#[test]
fn rows_of_another_account_are_left_alone() {
    let mut legacy = row(NumberStatus::Active, 1, Some("PN1"));
    legacy.account_sid = LEGACY.into();
    let mut legacy_pending = row(NumberStatus::Pending, 2, None);
    legacy_pending.account_sid = LEGACY.into();
    let plan = plan_with(
        vec![legacy, legacy_pending],
        vec![entry(2, "PN2")],
        ReconcileSettings::new(MASTER, now()),
    );
    assert_eq!(kinds(&plan), Vec::<&str>::new());
    assert_eq!(plan.summary.not_covered, 2);
    // Not absent, so not counted by the brake either.
    assert_eq!(plan.brake, BrakeVerdict::Clear);
    // The master account lists a number no master row claims.
    assert_eq!(plan.orphans, [entry(2, "PN2")]);
    assert_eq!(plan.tenants[0].rows, 2);
}

#[test]
fn rows_in_a_final_status_are_left_alone() {
    let released = row(NumberStatus::Released, 1, Some("PN1"));
    let failed = row(NumberStatus::Failed, 2, None);
    let plan = plan(vec![released, failed], vec![]);
    assert_eq!(kinds(&plan), Vec::<&str>::new());
    assert_eq!(plan.summary.not_covered, 2);
}

#[test]
fn a_released_row_does_not_hide_the_live_row_of_its_number() {
    let released = row(NumberStatus::Released, 1, Some("PN0"));
    let active = row(NumberStatus::Active, 1, Some("PN1"));
    let plan = plan(vec![released, active.clone()], vec![]);
    assert_eq!(only_action(&plan).id, active.id);
}

#[test]
fn live_rows_sharing_a_number_are_reported_not_acted_on() {
    let first = row(NumberStatus::Active, 1, Some("PN1"));
    let second = row(NumberStatus::Pending, 1, None);
    let plan = plan(vec![first.clone(), second.clone()], vec![entry(1, "PN1")]);
    assert_eq!(kinds(&plan), Vec::<&str>::new());
    let expected: BTreeSet<_> = [first.id, second.id].into();
    assert_eq!(
        plan.duplicates.iter().copied().collect::<BTreeSet<_>>(),
        expected
    );
    assert_eq!(plan.summary.duplicates, 2);
}

// --- The brake ---------------------------------------------------------------------------

fn braked(max_share: Option<u8>, max_count: Option<usize>, force: bool) -> ReconcileSettings {
    let mut settings = ReconcileSettings::new(MASTER, now());
    settings.brake = SafetyBrake {
        max_share: max_share.map(|p| Percent::new(p).unwrap()),
        max_count,
        force,
    };
    settings
}

/// Ten active rows of which `gone` are missing from the listing, plus one old pending row
/// on Twilio, one old pending row not on Twilio, a releasing row on Twilio and one gone.
fn fleet(gone: u32) -> (Vec<LocalNumber>, Vec<OwnedNumber>) {
    let mut rows: Vec<LocalNumber> = (0..10)
        .map(|n| row(NumberStatus::Active, n, Some(&format!("PN{n}"))))
        .collect();
    let mut listing: Vec<OwnedNumber> = (gone..10).map(|n| entry(n, &format!("PN{n}"))).collect();
    rows.push(row(NumberStatus::Pending, 20, None));
    listing.push(entry(20, "PN20"));
    rows.push(row(NumberStatus::Pending, 21, None));
    rows.push(row(NumberStatus::Releasing, 22, Some("PN22")));
    listing.push(entry(22, "PN22"));
    rows.push(row(NumberStatus::Releasing, 23, Some("PN23")));
    (rows, listing)
}

#[test]
fn brake_allows_drift_up_to_the_share() {
    let (rows, listing) = fleet(1);
    let plan = plan_with(rows, listing, braked(Some(10), None, false));
    assert_eq!(plan.brake, BrakeVerdict::Clear);
    assert_eq!(plan.summary.drift_released, 1);
    assert!(plan.withheld.is_empty());
}

#[test]
fn brake_trips_over_the_share_and_withholds_what_rests_on_absence() {
    let (rows, listing) = fleet(2);
    let plan = plan_with(rows, listing, braked(Some(10), None, false));

    assert_eq!(
        plan.brake,
        BrakeVerdict::Tripped {
            drift_found: 2,
            active_rows: 10
        }
    );
    assert!(plan.brake.is_tripped());
    // Presence-based actions go ahead.
    assert_eq!(kinds(&plan), ["adopt", "retry_release"]);
    let mut withheld: Vec<&str> = plan.withheld.iter().map(|a| a.kind.name()).collect();
    withheld.sort_unstable();
    assert_eq!(
        withheld,
        [
            "abandon_pending",
            "drift_release",
            "drift_release",
            "mark_released"
        ]
    );
    assert_eq!(plan.summary.drift_released, 0);
    assert_eq!(plan.summary.failed_pending, 0);
    assert_eq!(plan.summary.marked_released, 0);
    assert_eq!(plan.summary.withheld, 4);
}

#[test]
fn brake_trips_over_the_count() {
    let (rows, listing) = fleet(3);
    let at_limit = plan_with(rows.clone(), listing.clone(), braked(None, Some(3), false));
    assert_eq!(at_limit.brake, BrakeVerdict::Clear);
    assert_eq!(at_limit.summary.drift_released, 3);

    let over = plan_with(rows, listing, braked(None, Some(2), false));
    assert!(over.brake.is_tripped());
    assert_eq!(over.summary.drift_released, 0);
    assert!(over.actions().all(|a| a.kind != ActionKind::DriftRelease));
}

#[test]
fn forced_run_keeps_the_drift_releases_and_says_it_was_forced() {
    let (rows, listing) = fleet(10);
    let plan = plan_with(rows, listing, braked(Some(10), Some(2), true));
    assert_eq!(
        plan.brake,
        BrakeVerdict::Forced {
            drift_found: 10,
            active_rows: 10
        }
    );
    assert!(!plan.brake.is_tripped());
    assert_eq!(plan.summary.drift_released, 10);
    assert!(plan.withheld.is_empty());
}

#[test]
fn default_brake_stops_an_empty_listing_from_releasing_everything() {
    let (rows, _) = fleet(0);
    let plan = plan_with(rows, vec![], ReconcileSettings::new(MASTER, now()));
    assert!(plan.brake.is_tripped());
    assert!(!plan.changes_anything());
    assert_eq!(plan.withheld.len(), 14);
}

#[test]
fn brake_limits_are_strict_and_count_only_active_rows() {
    let share = SafetyBrake {
        max_share: Some(Percent::new(10).unwrap()),
        max_count: None,
        force: false,
    };
    assert!(!share.exceeded_by(0, 0));
    assert!(!share.exceeded_by(1, 10));
    assert!(share.exceeded_by(2, 10));
    assert!(share.exceeded_by(1, 9));
    assert!(!share.exceeded_by(10_000, 100_000));
    assert!(share.exceeded_by(10_001, 100_000));
    let none = SafetyBrake {
        max_share: None,
        max_count: None,
        force: false,
    };
    assert!(!none.exceeded_by(usize::MAX, usize::MAX));
    let zero = SafetyBrake {
        max_share: Some(Percent::new(0).unwrap()),
        max_count: None,
        force: false,
    };
    assert!(!zero.exceeded_by(0, 5));
    assert!(zero.exceeded_by(1, usize::MAX));
}

#[test]
fn percent_reads_whole_percentages() {
    assert_eq!("10".parse::<Percent>().unwrap().get(), 10);
    assert_eq!("100%".parse::<Percent>().unwrap().get(), 100);
    assert_eq!("0%".parse::<Percent>().unwrap().to_string(), "0%");
    for bad in ["101", "-1", "", "%", "10.5", "ten", "1000"] {
        assert!(bad.parse::<Percent>().is_err(), "{bad}");
    }
    assert_eq!(Percent::new(101), None);
}

// --- The listing must be complete ------------------------------------------------------

#[test]
fn a_listing_that_fails_plans_nothing() {
    let rows = vec![row(NumberStatus::Active, 1, Some("PN1"))];
    let listing = vec![
        Ok(entry(2, "PN2")),
        Err("page 2 failed"),
        Ok(entry(1, "PN1")),
    ];
    assert_eq!(
        reconcile(rows, listing, unbraked()).unwrap_err(),
        "page 2 failed"
    );
}

#[test]
fn scanning_by_hand_gives_the_same_plan() {
    let (rows, listing) = fleet(2);
    let mut scan = ListingScan::new(rows.clone(), unbraked());
    for owned in listing.clone() {
        scan.observe(owned);
    }
    let by_hand = scan.finish(ListingComplete::stream_ended_without_error());
    assert_eq!(by_hand, plan(rows, listing));
}

// --- Tenants -----------------------------------------------------------------------------

#[test]
fn actions_are_grouped_by_tenant() {
    let mut a1 = row(NumberStatus::Active, 1, Some("PN1"));
    a1.tenant_id = tenant(2);
    let mut a2 = row(NumberStatus::Active, 2, Some("PN2"));
    a2.tenant_id = tenant(2);
    let mut b1 = row(NumberStatus::Releasing, 3, Some("PN3"));
    b1.tenant_id = tenant(1);
    let mut quiet = row(NumberStatus::Active, 4, Some("PN4"));
    quiet.tenant_id = tenant(3);
    let plan = plan(
        vec![a2.clone(), quiet, b1.clone(), a1.clone()],
        vec![entry(3, "PN3"), entry(4, "PN4")],
    );

    let tenants: Vec<(TenantId, usize, Vec<PhoneNumberId>)> = plan
        .tenants
        .iter()
        .map(|t| {
            (
                t.tenant_id,
                t.rows,
                t.actions.iter().map(|a| a.id).collect(),
            )
        })
        .collect();
    assert_eq!(
        tenants,
        [
            (tenant(1), 1, vec![b1.id]),
            (tenant(2), 2, vec![a1.id, a2.id]),
            (tenant(3), 1, vec![]),
        ]
    );
    assert_eq!(plan.summary.tenants, 3);
    assert!(
        plan.tenants
            .iter()
            .all(|t| t.actions.iter().all(|a| a.tenant_id == t.tenant_id))
    );
}

#[test]
fn summary_serialises_with_the_names_of_the_summary_line() {
    let (rows, listing) = fleet(1);
    let plan = plan(rows, listing);
    let json = serde_json::to_value(plan.summary).unwrap();
    assert_eq!(json["driftReleased"], 1);
    assert_eq!(json["adopted"], 1);
    assert_eq!(json["failedPending"], 1);
    assert_eq!(json["retriedReleases"], 1);
    assert_eq!(json["markedReleased"], 1);
    assert_eq!(json["webhookDrift"], 0);
    assert_eq!(json["orphans"], 0);
    assert_eq!(
        serde_json::to_value(BrakeVerdict::Tripped {
            drift_found: 2,
            active_rows: 10
        })
        .unwrap(),
        serde_json::json!({ "state": "tripped", "drift_found": 2, "active_rows": 10 })
    );
}

// --- Idempotence -------------------------------------------------------------------------

/// What the world looks like after the executor carried the plan out in full.
fn apply(plan: &Plan, rows: &mut [LocalNumber], listing: &mut Vec<OwnedNumber>) {
    for action in plan.actions() {
        let row = rows.iter_mut().find(|r| r.id == action.id).unwrap();
        assert_eq!(row.status, action.seen_status);
        match &action.kind {
            ActionKind::Adopt(listed) => {
                row.twilio_sid = Some(listed.sid.clone());
                row.voice_url = listed.voice_url.clone();
                row.status_callback_url = listed.status_callback_url.clone();
            }
            ActionKind::RetryRelease { sid, .. } => listing.retain(|e| e.sid != *sid),
            ActionKind::WebhookDrift(drift) => {
                if let Some(webhooks) = &drift.repair {
                    let listed = listing.iter_mut().find(|e| e.sid == drift.sid).unwrap();
                    listed.voice_url = Some(webhooks.voice_url.clone());
                    listed.status_callback_url = Some(webhooks.status_callback_url.clone());
                }
            }
            ActionKind::DriftRelease
            | ActionKind::AbandonPending
            | ActionKind::MarkReleased { .. } => {}
        }
        if let Some(status) = action.target_status() {
            row.status = status;
        }
        row.updated_at = now();
    }
}

#[test]
fn carrying_out_a_plan_leaves_nothing_to_do() {
    let (mut rows, mut listing) = fleet(3);
    let mut drifted = row(NumberStatus::Active, 30, Some("PN30"));
    drifted.voice_url = Some(voice_url(99));
    rows.push(drifted);
    listing.push(entry(30, "PN30"));
    listing.push(entry(40, "PN40"));
    let mut settings = unbraked();
    settings.repair_webhooks = true;

    let first = plan_with(rows.clone(), listing.clone(), settings.clone());
    assert_eq!(
        kinds(&first),
        [
            "drift_release",
            "drift_release",
            "drift_release",
            "adopt",
            "abandon_pending",
            "retry_release",
            "mark_released",
            "webhook_drift"
        ]
    );
    apply(&first, &mut rows, &mut listing);
    let second = plan_with(rows, listing, settings);
    assert!(second.actions().next().is_none(), "{second:#?}");
    assert_eq!(second.orphans, first.orphans);
}

// --- Properties --------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct World {
    rows: Vec<LocalNumber>,
    listing: Vec<OwnedNumber>,
    settings: ReconcileSettings,
}

fn sid(number: u32, purchase: u8) -> String {
    format!("PN{number:02}x{purchase}")
}

fn url(channel: Option<u8>) -> Option<String> {
    channel.map(|c| voice_url(u32::from(c)))
}

prop_compose! {
    fn arb_row(index: u128)(
        n in 0..12u32,
        status in proptest::sample::select(NumberStatus::ALL.to_vec()),
        purchase in proptest::option::weighted(0.8, 0..3u8),
        legacy in proptest::bool::weighted(0.1),
        tenant_n in 1..4u128,
        // Around the 15-minute grace period, to hit its boundary.
        age_minutes in -5..40i64,
        voice in proptest::option::weighted(0.9, 0..3u8),
        status_cb in proptest::bool::weighted(0.9),
        reason in proptest::option::of(proptest::sample::select(vec![
            ReleaseReason::User,
            ReleaseReason::SubscriptionCanceled,
            ReleaseReason::Drift,
        ])),
    ) -> LocalNumber {
        LocalNumber {
            id: PhoneNumberId::from_uuid(uuid::Uuid::from_u128(index)),
            tenant_id: tenant(tenant_n),
            phone_number: number(n),
            status,
            twilio_sid: purchase.map(|p| sid(n, p)),
            account_sid: if legacy { LEGACY } else { MASTER }.to_owned(),
            voice_url: url(voice),
            status_callback_url: status_cb.then(|| status_url(n)),
            release_reason: reason,
            created_at: now() - TimeDelta::minutes(age_minutes),
            updated_at: now() - TimeDelta::minutes(age_minutes / 2),
        }
    }
}

fn arb_rows() -> impl Strategy<Value = Vec<LocalNumber>> {
    (0..24usize).prop_flat_map(|len| (0..len).map(|i| arb_row(i as u128 + 1)).collect::<Vec<_>>())
}

/// The listing of one account: each number at most once, as Twilio lists it.
fn arb_listing() -> impl Strategy<Value = Vec<OwnedNumber>> {
    proptest::collection::btree_map(
        0..12u32,
        (0..3u8, proptest::option::weighted(0.9, 0..3u8)),
        0..12,
    )
    .prop_map(|numbers| {
        numbers
            .into_iter()
            .map(|(n, (purchase, voice))| {
                let mut listed = entry(n, &sid(n, purchase));
                listed.voice_url = url(voice);
                listed
            })
            .collect()
    })
    .prop_shuffle()
}

fn arb_settings() -> impl Strategy<Value = ReconcileSettings> {
    (
        proptest::option::of(0..=100u8),
        proptest::option::of(0..6usize),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(share, count, force, repair)| {
            let mut settings = braked(share, count, force);
            settings.repair_webhooks = repair;
            settings
        })
}

fn arb_world() -> impl Strategy<Value = World> {
    (arb_rows(), arb_listing(), arb_settings()).prop_map(|(rows, listing, settings)| World {
        rows,
        listing,
        settings,
    })
}

/// Whether the planner compares this row with the listing (checked naively).
fn covered(rows: &[LocalNumber], row: &LocalNumber) -> bool {
    row.status.is_live()
        && row.account_sid == MASTER
        && rows
            .iter()
            .filter(|r| r.status.is_live() && r.phone_number == row.phone_number)
            .count()
            == 1
}

/// The listing entry of a row's purchase, found naively.
fn listed<'a>(listing: &'a [OwnedNumber], row: &LocalNumber) -> Option<&'a OwnedNumber> {
    listing.iter().find(|e| {
        e.phone_number == row.phone_number
            && row.twilio_sid.as_ref().is_none_or(|sid| *sid == e.sid)
    })
}

fn blank(url: Option<&String>) -> Option<&str> {
    url.map(String::as_str).filter(|u| !u.is_empty())
}

/// What SPEC §10 asks for one row, from the table of the module docs.
fn expected_kind(world: &World, row: &LocalNumber) -> Option<&'static str> {
    if !covered(&world.rows, row) {
        return None;
    }
    let young = now() - row.created_at <= TimeDelta::minutes(15);
    match (row.status, listed(&world.listing, row)) {
        (NumberStatus::Pending, _) if young => None,
        (NumberStatus::Pending, Some(_)) => Some("adopt"),
        (NumberStatus::Pending, None) => Some("abandon_pending"),
        (NumberStatus::Active, None) => Some("drift_release"),
        (NumberStatus::Active, Some(e)) => (blank(row.voice_url.as_ref())
            != blank(e.voice_url.as_ref()))
        .then_some("webhook_drift"),
        (NumberStatus::Releasing, Some(_)) => Some("retry_release"),
        (NumberStatus::Releasing, None) => Some("mark_released"),
        (NumberStatus::Released | NumberStatus::Failed, _) => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_row_gets_the_action_spec_asks_for_and_no_other(world in arb_world()) {
        let plan = plan_with(world.rows.clone(), world.listing.clone(), world.settings.clone());
        let all: Vec<&Action> = plan.actions().chain(plan.withheld.iter()).collect();

        // No action for a row absent from the input, at most one per row.
        let mut seen = BTreeSet::new();
        for action in &all {
            prop_assert!(seen.insert(action.id), "two actions for {:?}", action.id);
            let row = world.rows.iter().find(|r| r.id == action.id);
            prop_assert!(row.is_some(), "action for an unknown row");
            let row = row.unwrap();
            prop_assert_eq!(action.tenant_id, row.tenant_id);
            prop_assert_eq!(&action.phone_number, &row.phone_number);
            prop_assert_eq!(action.seen_status, row.status);
            prop_assert_eq!(action.seen_updated_at, row.updated_at);
            // Every planned change is one the lifecycle allows (a drift-release goes
            // through `releasing`).
            if let Some(target) = action.target_status() {
                let allowed = if action.kind == ActionKind::DriftRelease {
                    row.status.can_become(NumberStatus::Releasing)
                        && NumberStatus::Releasing.can_become(target)
                } else {
                    row.status.can_become(target)
                };
                prop_assert!(allowed, "{} -> {}", row.status, target);
            }
        }
        for row in &world.rows {
            let got = all.iter().find(|a| a.id == row.id).map(|a| a.kind.name());
            prop_assert_eq!(got, expected_kind(&world, row), "row {:#?}", row);
        }
    }

    #[test]
    fn orphans_are_exactly_the_listed_numbers_no_covered_row_claims(world in arb_world()) {
        let plan = plan_with(world.rows.clone(), world.listing.clone(), world.settings.clone());
        let expected: BTreeSet<&str> = world
            .listing
            .iter()
            .filter(|e| {
                !world.rows.iter().any(|r| {
                    covered(&world.rows, r)
                        && e.phone_number == r.phone_number
                        && r.twilio_sid.as_ref().is_none_or(|sid| *sid == e.sid)
                })
            })
            .map(|e| e.sid.as_str())
            .collect();
        let got: Vec<&str> = plan.orphans.iter().map(|e| e.sid.as_str()).collect();
        prop_assert_eq!(got.len(), expected.len());
        prop_assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), expected);
        prop_assert_eq!(plan.summary.orphans, plan.orphans.len());
        // Never acted on: no action names an orphan's purchase or number.
        for orphan in &plan.orphans {
            let untouched = plan.actions().chain(plan.withheld.iter()).all(|a| {
                a.phone_number != orphan.phone_number
                    || match &a.kind {
                        ActionKind::Adopt(e) => e.sid != orphan.sid,
                        ActionKind::RetryRelease { sid, .. } => *sid != orphan.sid,
                        ActionKind::WebhookDrift(d) => d.sid != orphan.sid,
                        _ => true,
                    }
            });
            prop_assert!(untouched, "an action on orphan {}", orphan.sid);
        }
    }

    #[test]
    fn the_brake_withholds_exactly_what_rests_on_absence(world in arb_world()) {
        let plan = plan_with(world.rows.clone(), world.listing.clone(), world.settings.clone());
        let active = world
            .rows
            .iter()
            .filter(|r| covered(&world.rows, r) && r.status == NumberStatus::Active)
            .count();
        let drift = plan
            .actions()
            .chain(plan.withheld.iter())
            .filter(|a| a.kind == ActionKind::DriftRelease)
            .count();
        let over = world.settings.brake.exceeded_by(drift, active);
        prop_assert_eq!(
            plan.brake.is_tripped(),
            over && !world.settings.brake.force
        );
        if plan.brake.is_tripped() {
            prop_assert!(plan.actions().all(|a| !a.kind.rests_on_absence()));
            prop_assert!(plan.withheld.iter().all(|a| a.kind.rests_on_absence()));
            prop_assert_eq!(plan.summary.drift_released, 0);
        } else {
            prop_assert!(plan.withheld.is_empty());
            prop_assert_eq!(plan.summary.drift_released, drift);
        }
        prop_assert_eq!(plan.summary.withheld, plan.withheld.len());
    }

    #[test]
    fn summary_counts_the_plan(world in arb_world()) {
        let plan = plan_with(world.rows.clone(), world.listing.clone(), world.settings.clone());
        let count = |name: &str| plan.actions().filter(|a| a.kind.name() == name).count();
        let s = plan.summary;
        prop_assert_eq!(s.rows, world.rows.len());
        prop_assert_eq!(s.listed, world.listing.len());
        prop_assert_eq!(s.drift_released, count("drift_release"));
        prop_assert_eq!(s.adopted, count("adopt"));
        prop_assert_eq!(s.failed_pending, count("abandon_pending"));
        prop_assert_eq!(s.retried_releases, count("retry_release"));
        prop_assert_eq!(s.marked_released, count("mark_released"));
        prop_assert_eq!(s.webhook_drift, count("webhook_drift"));
        let tenants: BTreeSet<TenantId> = world.rows.iter().map(|r| r.tenant_id).collect();
        prop_assert_eq!(
            plan.tenants.iter().map(|t| t.tenant_id).collect::<Vec<_>>(),
            tenants.into_iter().collect::<Vec<_>>()
        );
        prop_assert_eq!(plan.tenants.iter().map(|t| t.rows).sum::<usize>(), world.rows.len());
    }

    #[test]
    fn the_order_of_rows_and_listing_does_not_matter(world in arb_world()) {
        let plan = plan_with(world.rows.clone(), world.listing.clone(), world.settings.clone());
        let mut rows = world.rows;
        rows.reverse();
        let mut listing = world.listing;
        listing.reverse();
        prop_assert_eq!(plan_with(rows, listing, world.settings), plan);
    }

    #[test]
    fn carrying_out_a_forced_plan_leaves_nothing_to_change(world in arb_world()) {
        let mut settings = world.settings;
        settings.brake.force = true;
        settings.repair_webhooks = true;
        let first = plan_with(world.rows.clone(), world.listing.clone(), settings.clone());
        let (mut rows, mut listing) = (world.rows, world.listing);
        apply(&first, &mut rows, &mut listing);
        let second = plan_with(rows, listing, settings);
        prop_assert!(!second.changes_anything(), "{:#?}", second);
        prop_assert_eq!(second.orphans, first.orphans);
    }
}

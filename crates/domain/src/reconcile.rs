//! The drift-sync reconciliation planner (SPEC §10, step 2): compares the live phone number
//! rows with the carrier's complete listing of one account and says, as data, what to do.
//!
//! Pure: no I/O, no clock, no async. The drift-sync executor loads the live rows, pages
//! through the listing feeding each number to a [`ListingScan`], and carries out the
//! [`Plan`] tenant by tenant, re-checking each row before touching it: every [`Action`]
//! names the status and `updated_at` it was planned from, so a row bought, attached or
//! released during the run is left alone.
//!
//! ```
//! use chrono::{TimeZone as _, Utc};
//! use numbers_domain::reconcile::{
//!     ActionKind, ListingComplete, ListingScan, LocalNumber, ReconcileSettings, reconcile,
//! };
//! use numbers_domain::{CarrierError, NumberStatus, OwnedNumber, PhoneNumberId, TenantId};
//!
//! let now = Utc.with_ymd_and_hms(2026, 5, 1, 3, 15, 0).unwrap();
//! let month_ago = now - chrono::TimeDelta::days(30);
//! let gone = LocalNumber {
//!     id: PhoneNumberId::new(),
//!     tenant_id: TenantId::new(),
//!     phone_number: "+14155550123".parse().unwrap(),
//!     status: NumberStatus::Active,
//!     twilio_sid: Some("PN01".into()),
//!     account_sid: "AC01".into(),
//!     voice_url: None,
//!     status_callback_url: None,
//!     release_reason: None,
//!     created_at: month_ago,
//!     updated_at: month_ago,
//! };
//! let mut scan = ListingScan::new(vec![gone.clone()], ReconcileSettings::new("AC01", now));
//! // The executor reads `Carrier::list_owned` the same way, with
//! // `while let Some(item) = listing.next().await`: the first error returns early, the
//! // scan is dropped and nothing is planned.
//! let listing: Vec<Result<OwnedNumber, CarrierError>> = Vec::new();
//! for item in listing {
//!     scan.observe(item?);
//! }
//! let plan = scan.finish(ListingComplete::stream_ended_without_error());
//! // One active row of one is gone: over the default brake (10 % of the active rows).
//! assert!(plan.brake.is_tripped());
//! assert!(matches!(plan.withheld[0].kind, ActionKind::DriftRelease));
//! assert_eq!(plan.summary.drift_released, 0);
//!
//! // The same, forced by the operator, with the listing as an iterator.
//! let mut forced = ReconcileSettings::new("AC01", now);
//! forced.brake.force = true;
//! let plan = reconcile(vec![gone], Vec::<Result<OwnedNumber, CarrierError>>::new(), forced)?;
//! assert_eq!(plan.summary.drift_released, 1);
//! assert!(matches!(plan.tenants[0].actions[0].kind, ActionKind::DriftRelease));
//! # Ok::<(), CarrierError>(())
//! ```
//!
//! # Matching
//!
//! A row is *covered* when it is live (`pending`, `active`, `releasing`), belongs to the
//! listed account ([`ReconcileSettings::account_sid`]; rows of legacy subaccounts are not in
//! the master's listing and must not look gone) and is the only live row with its number.
//! A listing entry matches a covered row with the same phone number and, when the row has a
//! Twilio sid, the same sid. A row without a sid (a purchase whose answer was lost) matches
//! the first entry with its number.
//!
//! The sid matters because a number can be released on Twilio and bought again into the
//! same account (by a person in the console, or another system): the number is the same,
//! the purchase is not. Our row refers to a purchase that no longer exists, so it is
//! treated as absent (an `active` row is drift-released locally, with nothing deleted on
//! Twilio; a `releasing` row is marked released, and the new purchase is never deleted),
//! while the new purchase is an orphan, for an operator to look at.
//!
//! # Decisions
//!
//! | row | on Twilio | action |
//! |---|---|---|
//! | `active` | absent | [`ActionKind::DriftRelease`] (reason `drift`) |
//! | `active` | present, other voice URL | [`ActionKind::WebhookDrift`] (repair only with the flag) |
//! | `active` | present, same voice URL | none |
//! | `pending`, created more than the grace period ago | present | [`ActionKind::Adopt`] |
//! | `pending`, created more than the grace period ago | absent | [`ActionKind::AbandonPending`] |
//! | `pending`, within the grace period (or created "in the future") | either | none: its purchase may still be under way |
//! | `releasing` | present | [`ActionKind::RetryRelease`] |
//! | `releasing` | absent | [`ActionKind::MarkReleased`] |
//! | not covered (other account, final status, duplicate number) | either | none |
//! | — | entry matching no row | reported in [`Plan::orphans`], never acted on |
//!
//! An abandoned `pending` row becomes `released` with reason `purchase_not_completed`, not
//! `failed`: the lifecycle keeps `failed` (with Twilio's code) for purchases Twilio refused,
//! and here nobody knows whether Twilio refused it or never heard of it; only that the
//! number is not ours. The summary still counts these as failed pending purchases.
//!
//! # The safety brake
//!
//! An empty or wrong listing (another account's credentials, a bug in paging) would make
//! every row look gone. When the drift-releases exceed the [`SafetyBrake`]'s share of the
//! covered `active` rows or its count, and the run is not forced, the brake trips: every
//! action that rests on a number being *absent* ([`ActionKind::rests_on_absence`]:
//! drift-release, abandoned pending, mark released) is moved to [`Plan::withheld`], because
//! the listing that suggested them is suspect. Actions that rest on a number being
//! *present* (adopt, retry the delete of our own sid, webhook drift) stay in the plan: an
//! entry Twilio listed with our number and sid is good evidence however the rest of the
//! listing looks.
//!
//! # Cost
//!
//! With `n` rows and `m` listed numbers: building the scan packs each row as it arrives
//! (the number as an integer, a `PN…` sid in 16 bytes, each distinct URL kept once: about
//! 120 bytes a row, against some 400 for a [`LocalNumber`] with its strings) and sorts them
//! by number, `O(n log n)`; [`ListingScan::observe`] is a binary search in an array of the
//! rows' numbers (8 bytes each, so it stays in the cache), and keeps an entry only when a
//! decision needs it; [`ListingScan::finish`] is `O(n log t)` for `t` tenants plus sorting
//! the orphans. Memory is the packed rows, the listing entries that a decision needs
//! (pending rows past the grace period, rows without a sid, active rows whose voice URL
//! differs) and the orphans; the rest of the listing is dropped as it is observed, so a
//! million listed numbers that match their rows cost no more than the rows do.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use crate::{E164, NumberStatus, OwnedNumber, PhoneNumberId, ReleaseReason, TenantId, Webhooks};

/// How long a `pending` row is left alone by default: its purchase may still be under way.
pub const DEFAULT_PENDING_GRACE: TimeDelta = TimeDelta::minutes(15);

/// One live phone number row, as drift-sync read it before the listing began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalNumber {
    /// The row's id.
    pub id: PhoneNumberId,
    /// The owning tenant.
    pub tenant_id: TenantId,
    /// The number.
    pub phone_number: E164,
    /// Its status. Rows in a final status are accepted and left alone.
    pub status: NumberStatus,
    /// Twilio's `PN…` sid, once known.
    pub twilio_sid: Option<String>,
    /// The Twilio account that owns it (rows of other accounts than the listed one are
    /// left alone).
    pub account_sid: String,
    /// The voice URL we last wrote on Twilio.
    pub voice_url: Option<String>,
    /// The status callback URL we last wrote on Twilio.
    pub status_callback_url: Option<String>,
    /// Why the number is being released, when the store recorded it as the release began;
    /// completed releases keep it (see [`ActionKind::MarkReleased`]).
    pub release_reason: Option<ReleaseReason>,
    /// When the row was created (for a `pending` row: when the purchase began).
    pub created_at: DateTime<Utc>,
    /// When the row last changed.
    pub updated_at: DateTime<Utc>,
}

/// A whole percentage, 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u8);

/// Why a string or number is not a [`Percent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a share must be a whole percentage from 0 to 100, such as 10 or 10%")]
pub struct PercentError;

impl Percent {
    /// `value` percent; `None` above 100.
    #[must_use]
    pub const fn new(value: u8) -> Option<Self> {
        if value <= 100 {
            Some(Self(value))
        } else {
            None
        }
    }

    /// The percentage as a number from 0 to 100.
    #[must_use]
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl FromStr for Percent {
    type Err = PercentError;

    /// Reads `10` or `10%`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_suffix('%').unwrap_or(s);
        let value: u8 = digits.parse().map_err(|_| PercentError)?;
        Self::new(value).ok_or(PercentError)
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

/// Limits on drift-releases in one run (SPEC §10 step 3). Going over either limit trips the
/// brake unless `force` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SafetyBrake {
    /// Most drift-releases allowed, as a share of the covered `active` rows; `None` for no
    /// share limit.
    pub max_share: Option<Percent>,
    /// Most drift-releases allowed; `None` for no count limit.
    pub max_count: Option<usize>,
    /// Plan the drift-releases even over the limits (the operator's explicit override).
    pub force: bool,
}

impl SafetyBrake {
    /// The default share limit: 10 % of the covered active rows.
    pub const DEFAULT_MAX_SHARE: Percent = Percent(10);
    /// The default count limit: 100 numbers.
    pub const DEFAULT_MAX_COUNT: usize = 100;

    /// Whether `drift_releases` out of `active_rows` goes over a limit (strictly: exactly
    /// the limit is allowed). `force` is not considered here.
    #[must_use]
    pub fn exceeded_by(&self, drift_releases: usize, active_rows: usize) -> bool {
        let over_count = self.max_count.is_some_and(|max| drift_releases > max);
        // Integer arithmetic: `drift / active > share / 100` without rounding.
        let over_share = self.max_share.is_some_and(|share| {
            widen(drift_releases) * 100 > u128::from(share.get()) * widen(active_rows)
        });
        over_count || over_share
    }
}

impl Default for SafetyBrake {
    /// 10 % of the active rows or 100 numbers, not forced.
    fn default() -> Self {
        Self {
            max_share: Some(Self::DEFAULT_MAX_SHARE),
            max_count: Some(Self::DEFAULT_MAX_COUNT),
            force: false,
        }
    }
}

fn widen(count: usize) -> u128 {
    // usize is at most 64 bits on every target Rust supports.
    u128::try_from(count).unwrap_or(u128::MAX)
}

/// What the planner needs besides the rows and the listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileSettings {
    /// The account whose numbers the listing holds (the master account). Rows of any other
    /// account are left alone.
    pub account_sid: String,
    /// The time the run uses for the grace period, normally when the rows were read.
    pub now: DateTime<Utc>,
    /// How long a `pending` row is left alone after its creation. A negative value counts
    /// as zero.
    pub pending_grace: TimeDelta,
    /// The safety brake.
    pub brake: SafetyBrake,
    /// Whether webhook drift is to be repaired (the `--repair-webhooks` flag) or only
    /// reported.
    pub repair_webhooks: bool,
}

impl ReconcileSettings {
    /// Settings for a listing of `account_sid` at `now`, with the default grace period and
    /// brake, and webhook drift only reported.
    #[must_use]
    pub fn new(account_sid: impl Into<String>, now: DateTime<Utc>) -> Self {
        Self {
            account_sid: account_sid.into(),
            now,
            pending_grace: DEFAULT_PENDING_GRACE,
            brake: SafetyBrake::default(),
            repair_webhooks: false,
        }
    }

    /// Whether a `pending` row created at `created_at` is past the grace period (strictly
    /// older than it).
    #[must_use]
    pub fn past_grace(&self, created_at: DateTime<Utc>) -> bool {
        let grace = self.pending_grace.max(TimeDelta::zero());
        self.now.signed_duration_since(created_at) > grace
    }
}

/// The caller's word that the listing fed to a [`ListingScan`] is complete: the carrier's
/// stream ended (yielded `None`) and none of its items was an error. A listing that failed
/// or was cut short must never be finished: its missing numbers would look released.
#[derive(Debug)]
pub struct ListingComplete(());

impl ListingComplete {
    /// Says that the stream ended without an error. Call it only after the stream returned
    /// `None` and every item before was `Ok`.
    #[must_use]
    pub fn stream_ended_without_error() -> Self {
        Self(())
    }
}

/// A reconciliation under way: the rows, indexed by number, and what the listing has shown
/// so far. Start one with [`ListingScan::new`], or row by row with [`ListingScan::builder`];
/// feed it every listed number with [`ListingScan::observe`], then [`ListingScan::finish`]
/// it once the listing is known to be complete.
#[derive(Debug)]
pub struct ListingScan {
    /// Sorted by `(number, id)`.
    rows: Vec<Row>,
    /// The rows' numbers, same order: the listing is looked up in these 8 bytes a row
    /// rather than in the rows themselves (a binary search over the rows missed the cache
    /// at every step and took a quarter of a run's CPU at 100,000 rows).
    numbers: Vec<u64>,
    /// The listing entries kept because a decision needs them, by row index.
    kept: HashMap<usize, OwnedNumber>,
    urls: Urls,
    orphans: Vec<OwnedNumber>,
    listed: usize,
    settings: ReconcileSettings,
}

/// Collects the rows of a [`ListingScan`] one by one, packing each as it arrives, so that
/// the caller never holds the rows as [`LocalNumber`]s all at once.
#[derive(Debug)]
pub struct ScanBuilder {
    rows: Vec<Row>,
    urls: Urls,
    settings: ReconcileSettings,
}

impl ScanBuilder {
    /// Adds one row (the live rows as they stood before the listing began; any order).
    pub fn push(&mut self, row: LocalNumber) {
        let packed = Row {
            id: row.id,
            tenant_id: row.tenant_id,
            number: row.phone_number.digits_value(),
            sid: row.twilio_sid.as_deref().map(Sid::new),
            voice_url: self.urls.intern(row.voice_url),
            status_callback_url: self.urls.intern(row.status_callback_url),
            release_reason: row.release_reason.map(Box::new),
            created_at: row.created_at,
            updated_at: row.updated_at,
            status: row.status,
            listed_account: row.account_sid == self.settings.account_sid,
            slot: Slot::NotCovered,
        };
        self.rows.push(packed);
    }

    /// Indexes the rows and starts the scan.
    #[must_use]
    pub fn start(self) -> ListingScan {
        let Self {
            mut rows,
            urls,
            settings,
        } = self;
        rows.sort_unstable_by(|a, b| a.number.cmp(&b.number).then_with(|| a.id.cmp(&b.id)));
        for same_number in rows.chunk_by_mut(|a, b| a.number == b.number) {
            let live = same_number.iter().filter(|r| r.status.is_live()).count();
            for row in same_number {
                row.slot = if !row.status.is_live() {
                    Slot::NotCovered
                } else if live > 1 {
                    Slot::Duplicate
                } else if !row.listed_account {
                    Slot::NotCovered
                } else {
                    Slot::Unseen
                };
            }
        }
        ListingScan {
            numbers: rows.iter().map(|r| r.number).collect(),
            rows,
            kept: HashMap::new(),
            urls,
            orphans: Vec::new(),
            listed: 0,
            settings,
        }
    }
}

/// One row as a scan holds it. A [`LocalNumber`] owns five strings, some 400 bytes a row
/// with their allocations, which for a million rows would not fit drift-sync's memory
/// budget; here the number is an integer, a `PN…` sid 16 bytes, and each distinct URL is
/// kept once (most rows share a handful), about 120 bytes a row in all with its entry in
/// [`ListingScan::numbers`].
#[derive(Debug)]
struct Row {
    id: PhoneNumberId,
    tenant_id: TenantId,
    /// [`E164::digits_value`].
    number: u64,
    sid: Option<Sid>,
    voice_url: UrlRef,
    status_callback_url: UrlRef,
    /// Boxed: only `releasing` rows have one.
    release_reason: Option<Box<ReleaseReason>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    status: NumberStatus,
    /// Whether the row belongs to the listed account.
    listed_account: bool,
    slot: Slot,
}

/// What is known of one row during a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Another account's row, or a final one: compared with nothing.
    NotCovered,
    /// One of several live rows with the same number: left alone.
    Duplicate,
    /// Covered and not (yet) seen in the listing.
    Unseen,
    /// Seen in the listing; the decision needs nothing of the entry.
    Seen,
    /// Seen in the listing; the entry is in [`ListingScan::kept`] because the decision
    /// needs it.
    Kept,
}

impl Slot {
    fn is_covered(self) -> bool {
        matches!(self, Self::Unseen | Self::Seen | Self::Kept)
    }
}

/// A Twilio sid, packed when it has the usual form (`PN` and 32 lowercase hex digits).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sid {
    Pn([u64; 2]),
    Other(Box<str>),
}

impl Sid {
    fn new(sid: &str) -> Self {
        let packed = sid
            .strip_prefix("PN")
            .filter(|hex| {
                hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            })
            .and_then(|hex| {
                let high = u64::from_str_radix(hex.get(..16)?, 16).ok()?;
                let low = u64::from_str_radix(hex.get(16..)?, 16).ok()?;
                Some([high, low])
            });
        packed.map_or_else(|| Self::Other(sid.into()), Self::Pn)
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pn([high, low]) => write!(f, "PN{high:016x}{low:016x}"),
            Self::Other(sid) => f.write_str(sid),
        }
    }
}

/// A URL kept once in [`Urls`]; 0 for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UrlRef(u32);

/// The distinct URLs of the rows.
#[derive(Debug, Default)]
struct Urls {
    index: HashMap<Arc<str>, u32>,
    all: Vec<Arc<str>>,
}

impl Urls {
    fn intern(&mut self, url: Option<String>) -> UrlRef {
        let Some(url) = url else {
            return UrlRef(0);
        };
        if let Some(&id) = self.index.get(url.as_str()) {
            return UrlRef(id);
        }
        let url: Arc<str> = url.into();
        self.all.push(Arc::clone(&url));
        // Every distinct URL is held in memory, so there are far fewer than 2^32 of them.
        let id = u32::try_from(self.all.len()).unwrap_or(u32::MAX);
        self.index.insert(url, id);
        UrlRef(id)
    }

    fn get(&self, url: UrlRef) -> Option<&str> {
        let index = usize::try_from(url.0).ok()?.checked_sub(1)?;
        self.all.get(index).map(|u| &**u)
    }
}

impl ListingScan {
    /// Starts a scan of `rows` (the live rows as they stood before the listing began; any
    /// order).
    #[must_use]
    pub fn new(rows: Vec<LocalNumber>, settings: ReconcileSettings) -> Self {
        let mut builder = Self::builder(settings, rows.len());
        for row in rows {
            builder.push(row);
        }
        builder.start()
    }

    /// Starts collecting the rows of a scan one by one, with room for `capacity` of them.
    #[must_use]
    pub fn builder(settings: ReconcileSettings, capacity: usize) -> ScanBuilder {
        ScanBuilder {
            rows: Vec::with_capacity(capacity),
            urls: Urls::default(),
            settings,
        }
    }

    /// Takes in one number of the listing, in any order. A number matching no covered row
    /// is kept as an orphan; one repeated by the listing (a page served twice) counts once.
    pub fn observe(&mut self, entry: OwnedNumber) {
        self.listed += 1;
        let number = entry.phone_number.digits_value();
        let start = self.numbers.partition_point(|&n| n < number);
        let len = self.numbers[start..]
            .iter()
            .take_while(|&&n| n == number)
            .count();
        let covered = (start..start + len).find(|&i| self.rows[i].slot.is_covered());
        let Some(i) = covered else {
            self.orphans.push(entry);
            return;
        };
        let row = &self.rows[i];
        let same_purchase = match (&row.sid, row.slot) {
            (Some(ours), _) => *ours == Sid::new(&entry.sid),
            // A row without a sid took the sid of the first entry with its number.
            (None, Slot::Kept) => self
                .kept
                .get(&i)
                .is_some_and(|first| first.sid == entry.sid),
            (None, _) => true,
        };
        if !same_purchase {
            self.orphans.push(entry);
            return;
        }
        if row.slot == Slot::Unseen {
            if needs_entry(row, &entry, &self.urls, &self.settings) {
                self.rows[i].slot = Slot::Kept;
                self.kept.insert(i, entry);
            } else {
                self.rows[i].slot = Slot::Seen;
            }
        }
    }

    /// Decides every row and applies the brake. `complete` is the caller's word that every
    /// number of the account was observed.
    #[must_use]
    pub fn finish(self, complete: ListingComplete) -> Plan {
        let ListingComplete(()) = complete;
        let Self {
            rows,
            numbers,
            mut kept,
            urls,
            mut orphans,
            listed,
            settings,
        } = self;
        drop(numbers);
        let row_count = rows.len();
        let mut tenants: BTreeMap<TenantId, TenantPlan> = BTreeMap::new();
        let mut planned = Vec::new();
        let mut duplicates = Vec::new();
        let mut pending_in_grace = 0;
        let mut not_covered = 0;
        let mut active_rows = 0;
        for (i, row) in rows.into_iter().enumerate() {
            tenants
                .entry(row.tenant_id)
                .or_insert_with(|| TenantPlan {
                    tenant_id: row.tenant_id,
                    rows: 0,
                    actions: Vec::new(),
                })
                .rows += 1;
            let listed = match row.slot {
                Slot::NotCovered => {
                    not_covered += 1;
                    continue;
                }
                Slot::Duplicate => {
                    duplicates.push(row.id);
                    continue;
                }
                Slot::Unseen => Listed::Absent,
                Slot::Seen => Listed::Plain,
                Slot::Kept => kept.remove(&i).map_or(Listed::Plain, Listed::Entry),
            };
            if row.status == NumberStatus::Active {
                active_rows += 1;
            }
            match decide(row, listed, &urls, &settings) {
                Decision::Act(action) => planned.push(action),
                Decision::Wait => pending_in_grace += 1,
                Decision::Nothing => {}
            }
        }

        let drift_found = planned
            .iter()
            .filter(|a: &&Action| matches!(a.kind, ActionKind::DriftRelease))
            .count();
        let brake = if !settings.brake.exceeded_by(drift_found, active_rows) {
            BrakeVerdict::Clear
        } else if settings.brake.force {
            BrakeVerdict::Forced {
                drift_found,
                active_rows,
            }
        } else {
            BrakeVerdict::Tripped {
                drift_found,
                active_rows,
            }
        };
        let (actions, withheld): (Vec<Action>, Vec<Action>) = if brake.is_tripped() {
            planned
                .into_iter()
                .partition(|a| !a.kind.rests_on_absence())
        } else {
            (planned, Vec::new())
        };

        orphans.sort_unstable_by(|a, b| {
            a.phone_number
                .cmp(&b.phone_number)
                .then_with(|| a.sid.cmp(&b.sid))
        });
        orphans.dedup_by(|a, b| a.phone_number == b.phone_number && a.sid == b.sid);

        let mut summary = PlanSummary {
            rows: row_count,
            listed,
            tenants: tenants.len(),
            orphans: orphans.len(),
            pending_in_grace,
            not_covered,
            duplicates: duplicates.len(),
            withheld: withheld.len(),
            ..PlanSummary::default()
        };
        for action in actions {
            summary.count(&action.kind);
            if let Some(tenant) = tenants.get_mut(&action.tenant_id) {
                tenant.actions.push(action);
            }
        }
        Plan {
            tenants: tenants.into_values().collect(),
            orphans,
            duplicates,
            withheld,
            brake,
            summary,
        }
    }
}

/// Plans from a listing given as an iterator of the carrier's items, stopping at the first
/// error: the plan exists only if the whole listing came through. For listings that arrive
/// as an async stream, drive a [`ListingScan`] instead.
///
/// # Errors
/// The listing's first error; nothing is planned then.
pub fn reconcile<E>(
    rows: Vec<LocalNumber>,
    listing: impl IntoIterator<Item = Result<OwnedNumber, E>>,
    settings: ReconcileSettings,
) -> Result<Plan, E> {
    let mut scan = ListingScan::new(rows, settings);
    for entry in listing {
        scan.observe(entry?);
    }
    Ok(scan.finish(ListingComplete::stream_ended_without_error()))
}

/// Whether deciding `row` will need the listing entry itself, not only the fact that it
/// was listed.
fn needs_entry(row: &Row, entry: &OwnedNumber, urls: &Urls, settings: &ReconcileSettings) -> bool {
    if row.sid.is_none() {
        // Its sid is the entry's: kept to adopt it, delete it, or recognise a repeat.
        return true;
    }
    match row.status {
        NumberStatus::Active => !same_url(urls.get(row.voice_url), entry.voice_url.as_deref()),
        NumberStatus::Pending => settings.past_grace(row.created_at),
        NumberStatus::Releasing | NumberStatus::Released | NumberStatus::Failed => false,
    }
}

/// URLs compare as written, with an empty one meaning none (Twilio writes unset URLs as
/// `""` or `null`).
fn same_url(ours: Option<&str>, theirs: Option<&str>) -> bool {
    ours.filter(|u| !u.is_empty()) == theirs.filter(|u| !u.is_empty())
}

enum Decision {
    Act(Action),
    /// A `pending` row within its grace period.
    Wait,
    Nothing,
}

/// The decision for one covered row (see the table in the module docs).
fn decide(row: Row, listed: Listed, urls: &Urls, settings: &ReconcileSettings) -> Decision {
    let release_reason = || {
        row.release_reason
            .as_deref()
            .cloned()
            .unwrap_or(ReleaseReason::Drift)
    };
    let kind = match (row.status, listed) {
        (NumberStatus::Pending, _) if !settings.past_grace(row.created_at) => {
            return Decision::Wait;
        }
        (NumberStatus::Active, Listed::Absent) => ActionKind::DriftRelease,
        (NumberStatus::Active, Listed::Plain) => return Decision::Nothing,
        (NumberStatus::Active, Listed::Entry(entry)) => {
            let voice_url = urls.get(row.voice_url);
            if same_url(voice_url, entry.voice_url.as_deref()) {
                return Decision::Nothing;
            }
            let status_callback_url = urls.get(row.status_callback_url);
            let repair = match (settings.repair_webhooks, voice_url, status_callback_url) {
                (true, Some(voice), Some(status)) if !voice.is_empty() && !status.is_empty() => {
                    Some(Webhooks {
                        voice_url: voice.to_owned(),
                        status_callback_url: status.to_owned(),
                    })
                }
                _ => None,
            };
            ActionKind::WebhookDrift(Box::new(WebhookDrift {
                sid: entry.sid,
                written: voice_url.map(str::to_owned),
                found: entry.voice_url,
                repair,
            }))
        }
        (NumberStatus::Pending, Listed::Absent) => ActionKind::AbandonPending,
        (NumberStatus::Pending, Listed::Entry(entry)) => ActionKind::Adopt(Box::new(entry)),
        // A pending row past its grace period always keeps its entry; nothing to adopt from.
        (NumberStatus::Pending, Listed::Plain) => return Decision::Nothing,
        (NumberStatus::Releasing, Listed::Absent) => ActionKind::MarkReleased {
            reason: release_reason(),
        },
        (NumberStatus::Releasing, listed @ (Listed::Plain | Listed::Entry(_))) => {
            // Delete our purchase: the row's sid, or for a row without one the sid of the
            // entry that matched it by number.
            let sid = match (&row.sid, listed) {
                (Some(sid), _) => sid.to_string(),
                (None, Listed::Entry(entry)) => entry.sid,
                (None, _) => return Decision::Nothing,
            };
            ActionKind::RetryRelease {
                sid,
                reason: release_reason(),
            }
        }
        (NumberStatus::Released | NumberStatus::Failed, _) => return Decision::Nothing,
    };
    Decision::Act(Action {
        id: row.id,
        tenant_id: row.tenant_id,
        phone_number: E164::from_digits_value(row.number),
        seen_status: row.status,
        seen_updated_at: row.updated_at,
        kind,
    })
}

/// What the listing showed of a row.
enum Listed {
    Absent,
    /// Listed; its entry was not kept.
    Plain,
    Entry(OwnedNumber),
}

/// The outcome of a reconciliation: what to do per tenant, what to report, and the brake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Plan {
    /// One entry per tenant with at least one input row, by tenant id, each with its
    /// actions by phone number. The executor counts `tenantsChecked` and `tenantsFailed`
    /// over these and runs each tenant's actions on their own, so one tenant's failure
    /// stops none of the others.
    pub tenants: Vec<TenantPlan>,
    /// Listed numbers that match no covered row, by number: log them (masked) for an
    /// operator; never release or adopt them automatically. A number bought while the
    /// listing ran is here too (its row was not read); the executor may drop orphans that
    /// now have a live row before reporting them.
    pub orphans: Vec<OwnedNumber>,
    /// Live rows sharing their number with another live row (the store forbids it): left
    /// alone, for an operator.
    pub duplicates: Vec<PhoneNumberId>,
    /// Actions held back because the brake tripped (empty otherwise): to report, not to
    /// carry out.
    pub withheld: Vec<Action>,
    /// The brake's verdict.
    pub brake: BrakeVerdict,
    /// The counts of the plan.
    pub summary: PlanSummary,
}

impl Plan {
    /// Every action to carry out (withheld ones excluded), tenant by tenant.
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.tenants.iter().flat_map(|t| t.actions.iter())
    }

    /// Whether carrying out the plan would change any row or anything on Twilio (a webhook
    /// drift that is only reported changes nothing).
    #[must_use]
    pub fn changes_anything(&self) -> bool {
        self.actions().any(|a| a.kind.changes_anything())
    }
}

/// One tenant's share of a [`Plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantPlan {
    /// The tenant.
    pub tenant_id: TenantId,
    /// How many of its rows were given to the planner.
    pub rows: usize,
    /// What to do, by phone number; possibly none.
    pub actions: Vec<Action>,
}

/// One thing to do to one row.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Action {
    /// The row.
    pub id: PhoneNumberId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its number (log it masked).
    pub phone_number: E164,
    /// The row's status when it was read. Before acting, the executor re-reads the row and
    /// leaves it alone if the status or [`Action::seen_updated_at`] changed.
    pub seen_status: NumberStatus,
    /// The row's `updated_at` when it was read.
    pub seen_updated_at: DateTime<Utc>,
    /// What to do.
    pub kind: ActionKind,
}

impl Action {
    /// The status the row ends in; `None` when it keeps its status (webhook drift).
    #[must_use]
    pub fn target_status(&self) -> Option<NumberStatus> {
        match self.kind {
            ActionKind::Adopt(_) => Some(NumberStatus::Active),
            ActionKind::DriftRelease
            | ActionKind::AbandonPending
            | ActionKind::RetryRelease { .. }
            | ActionKind::MarkReleased { .. } => Some(NumberStatus::Released),
            ActionKind::WebhookDrift(_) => None,
        }
    }

    /// The release reason to record, for actions that end in `released`.
    #[must_use]
    pub fn release_reason(&self) -> Option<ReleaseReason> {
        match &self.kind {
            ActionKind::DriftRelease => Some(ReleaseReason::Drift),
            ActionKind::AbandonPending => Some(ReleaseReason::PurchaseNotCompleted),
            ActionKind::RetryRelease { reason, .. } | ActionKind::MarkReleased { reason } => {
                Some(reason.clone())
            }
            ActionKind::Adopt(_) | ActionKind::WebhookDrift(_) => None,
        }
    }
}

/// What to do to a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    /// An `active` number absent from Twilio: mark it `released` with reason `drift`.
    /// Nothing to delete on Twilio. The lifecycle goes through `releasing`
    /// (`active → releasing → released`); a run interrupted between the two leaves a
    /// `releasing` row that the next run marks released.
    DriftRelease,
    /// A `pending` row past its grace period whose number Twilio has: make it `active`
    /// with what Twilio holds (sid, friendly name, capabilities, webhook URLs, its
    /// `created_at` as the purchase time).
    Adopt(Box<OwnedNumber>),
    /// A `pending` row past its grace period whose number Twilio does not have: the
    /// purchase never completed. Mark it `released` with reason `purchase_not_completed`
    /// (counted as a failed pending purchase).
    AbandonPending,
    /// A `releasing` row whose number Twilio still has: delete `sid` on Twilio (a 404 means
    /// it is already gone), then mark the row `released` with `reason`.
    RetryRelease {
        /// The purchase to delete: the row's sid (never another purchase of the same
        /// number), or for a row without one the sid Twilio listed for its number.
        sid: String,
        /// The row's recorded release reason, or `drift` when the store recorded none.
        reason: ReleaseReason,
    },
    /// A `releasing` row whose number Twilio no longer has: mark it `released` with
    /// `reason`.
    MarkReleased {
        /// The row's recorded release reason, or `drift` when the store recorded none.
        reason: ReleaseReason,
    },
    /// An `active` number whose voice URL on Twilio is not the one we wrote: report it,
    /// and rewrite it when [`WebhookDrift::repair`] says what to write.
    WebhookDrift(Box<WebhookDrift>),
}

impl ActionKind {
    /// A stable snake_case name for logs and reports.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::DriftRelease => "drift_release",
            Self::Adopt(_) => "adopt",
            Self::AbandonPending => "abandon_pending",
            Self::RetryRelease { .. } => "retry_release",
            Self::MarkReleased { .. } => "mark_released",
            Self::WebhookDrift(_) => "webhook_drift",
        }
    }

    /// Whether the action follows from the number being absent from the listing: these are
    /// withheld when the brake trips.
    #[must_use]
    pub fn rests_on_absence(&self) -> bool {
        matches!(
            self,
            Self::DriftRelease | Self::AbandonPending | Self::MarkReleased { .. }
        )
    }

    /// Whether carrying it out changes a row or Twilio (false for webhook drift that is
    /// only reported).
    #[must_use]
    pub fn changes_anything(&self) -> bool {
        match self {
            Self::WebhookDrift(drift) => drift.repair.is_some(),
            _ => true,
        }
    }
}

/// A voice URL on Twilio that differs from the one we wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDrift {
    /// Twilio's sid of the number.
    pub sid: String,
    /// The voice URL we last wrote, if any.
    pub written: Option<String>,
    /// The voice URL Twilio has, if any.
    pub found: Option<String>,
    /// What to write back (the voice and status callback URLs we last wrote), when repair
    /// was asked for and both are known; `None` means report only.
    pub repair: Option<Webhooks>,
}

/// The brake's verdict on a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BrakeVerdict {
    /// The drift-releases are within the limits.
    Clear,
    /// Over the limits, but forced: the drift-releases are in the plan.
    Forced {
        /// Drift-releases found.
        drift_found: usize,
        /// Covered `active` rows.
        active_rows: usize,
    },
    /// Over the limits: the actions resting on absence are in [`Plan::withheld`]. The run
    /// should end with exit code 1.
    Tripped {
        /// Drift-releases found.
        drift_found: usize,
        /// Covered `active` rows.
        active_rows: usize,
    },
}

impl BrakeVerdict {
    /// True when actions were withheld.
    #[must_use]
    pub fn is_tripped(self) -> bool {
        matches!(self, Self::Tripped { .. })
    }
}

/// The counts of a plan: what is planned (withheld actions excluded), not what the executor
/// achieved. Serialised with the camelCase names of the SPEC §10 summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSummary {
    /// Rows given to the planner.
    pub rows: usize,
    /// Numbers observed in the listing (repeats included).
    pub listed: usize,
    /// Tenants with at least one row (`tenantsChecked` before failures).
    pub tenants: usize,
    /// [`ActionKind::DriftRelease`] actions (`driftReleased`).
    pub drift_released: usize,
    /// [`ActionKind::Adopt`] actions (`adopted`).
    pub adopted: usize,
    /// [`ActionKind::AbandonPending`] actions: pending purchases that never completed.
    pub failed_pending: usize,
    /// [`ActionKind::RetryRelease`] actions.
    pub retried_releases: usize,
    /// [`ActionKind::MarkReleased`] actions.
    pub marked_released: usize,
    /// Distinct orphans (`orphans`).
    pub orphans: usize,
    /// [`ActionKind::WebhookDrift`] findings, repaired or not (`webhookDrift`).
    pub webhook_drift: usize,
    /// Webhook drift findings with a repair planned.
    pub webhook_repairs: usize,
    /// `pending` rows left alone within their grace period.
    pub pending_in_grace: usize,
    /// Rows not compared: another account's, or in a final status.
    pub not_covered: usize,
    /// Live rows sharing their number with another live row.
    pub duplicates: usize,
    /// Actions withheld by the brake.
    pub withheld: usize,
}

impl PlanSummary {
    fn count(&mut self, kind: &ActionKind) {
        match kind {
            ActionKind::DriftRelease => self.drift_released += 1,
            ActionKind::Adopt(_) => self.adopted += 1,
            ActionKind::AbandonPending => self.failed_pending += 1,
            ActionKind::RetryRelease { .. } => self.retried_releases += 1,
            ActionKind::MarkReleased { .. } => self.marked_released += 1,
            ActionKind::WebhookDrift(drift) => {
                self.webhook_drift += 1;
                if drift.repair.is_some() {
                    self.webhook_repairs += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_pack_and_print_as_written() {
        let usual = format!("PN{}", "0123456789abcdef".repeat(2));
        assert!(matches!(Sid::new(&usual), Sid::Pn(_)));
        assert_eq!(Sid::new(&usual).to_string(), usual);
        assert_eq!(
            Sid::new("PN00000000000000000000000000000001").to_string(),
            "PN00000000000000000000000000000001"
        );
        // Anything else is kept as written, and never equal to a packed sid.
        for other in [
            format!("PN{}", "0123456789ABCDEF".repeat(2)),
            "PN123".to_owned(),
            format!("PX{}", "0".repeat(32)),
            String::new(),
        ] {
            assert!(matches!(Sid::new(&other), Sid::Other(_)), "{other}");
            assert_eq!(Sid::new(&other).to_string(), other);
        }
        assert_ne!(
            Sid::new(&usual),
            Sid::new(&format!("PN{}", "0123456789ABCDEF".repeat(2)))
        );
    }

    #[test]
    fn numbers_pack_into_integers_and_back() {
        for written in [
            "+14155550123",
            "+4420711111",
            "+999999999999999",
            "+10000000",
        ] {
            let number: E164 = written.parse().unwrap();
            let value = number.digits_value();
            assert_eq!(E164::from_digits_value(value), number);
            assert_eq!(value.to_string(), written[1..]);
        }
    }

    #[test]
    fn urls_are_kept_once() {
        let mut urls = Urls::default();
        let a = urls.intern(Some("https://x.example/a".into()));
        let b = urls.intern(Some("https://x.example/b".into()));
        assert_eq!(urls.intern(Some("https://x.example/a".into())), a);
        assert_ne!(a, b);
        assert_eq!(urls.intern(None), UrlRef(0));
        assert_eq!(urls.get(a), Some("https://x.example/a"));
        assert_eq!(urls.get(UrlRef(0)), None);
        assert_eq!(urls.all.len(), 2);
    }

    #[test]
    fn a_row_stays_compact() {
        // The budget behind drift-sync's memory goal (under 200 MB for a million rows).
        assert!(size_of::<Row>() <= 112, "{} bytes", size_of::<Row>());
    }
}

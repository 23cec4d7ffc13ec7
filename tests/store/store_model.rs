//! Model-based test of store mode (issue 23: proof that the tests catch
//! bugs): random interleavings of what browsers and an admin do to the
//! `store_mode` example, on every backend, each step checked against a small
//! reference model of the documented rules.
//!
//! Five devices (cookie jars of the test kit's `TestClient`) act for three
//! users: login (also over a live session, possibly as another user),
//! `/me`, `/visit`, `/renew`, `/logout`, `/logout-all`, `/logout-others`,
//! `/devices`, and an admin's `/admin/ban/{user}` from outside any session.
//! Before each step a shared test clock advances: a little, past
//! `touch_after` (exactly onto its boundary, or one second either side),
//! by hours, exactly onto a row's expiry, or past every session's
//! `max_age`. Now and then a device loses a response (its jar keeps what
//! it had while the store changed), so cookies trail their rows or name
//! rows that are gone. Steps run one at a time to completion, so the
//! interleaving is the order a seeded PRNG chose; nothing runs concurrently
//! and nothing sleeps.
//!
//! After every step the test compares with the model:
//!
//! - the response: status, exact body (the counts of ended sessions
//!   included), and whether it sets, clears or leaves the session cookie;
//! - every device's jar: whether it holds a live cookie, which row its
//!   sealed id names, and the cookie's expiry (in the seal and in the jar);
//! - every row the store may hold, loaded by key: user, payload (device
//!   name, visit count), revision, created / touched / expiry times; rows
//!   that were ended or expired must not load;
//! - every user's `list_user` (what `/devices` shows): exactly the live rows,
//!   oldest first, with their times, never more than `max_per_user`.
//!
//! The model's rules (from the facade's "Store mode" docs,
//! `session-axum/src/store_mode.rs` and `session-core/src/store/per_user.rs`):
//! a row expires `max_age` after its last touch (`expires_at <= now` is
//! gone, in the store and in the jar); a read touches it only when its last
//! touch is at least `touch_after` old, and the cookie is re-sealed (for
//! `max_age` from now) whenever it would expire before its row; `update` and
//! `renew` set the last touch to now; a login replaces the browser's live session (its row is deleted)
//! and then, like a renewal, applies the cap: while the user holds more
//! than `max_per_user` live sessions, the one touched least recently (then
//! created earliest) is ended, never the new one. A cookie whose row is gone
//! reads as `revoked` and is cleared.
//!
//! Where the model would otherwise be ambiguous the generator avoids it:
//! the clock advances at least one second per step, so no two rows of a
//! user share a `created_at` or a `touched_at` and the LRU order (and the
//! oldest-first listing) never depends on the store's tie-break by key.
//! The one latitude the store contract itself grants, whether a backend
//! has already dropped an expired row when a log-out-everywhere counts the
//! rows it removed, is modelled per backend: Redis (real TTLs of hours) and
//! the SQL stores (no cleanup task here) keep expired rows, so their counts
//! are exact; the memory store sweeps expired rows at most once a minute
//! on a write, so its counts may be anything from the live rows to the live
//! plus the expired ones.
//!
//! Seeds: `SESSION_SEAL_MODEL_SEED` is the first case's seed (decimal or
//! `0x` hex; default a fixed one), case `i` uses that plus `i`;
//! `SESSION_SEAL_MODEL_CASES` (default 20) and `SESSION_SEAL_MODEL_STEPS`
//! (default 60) size the run. A failure panics with the backend, the seed,
//! the step, the mismatch, the whole step history and the model's state, and
//! the command that replays exactly that case.
//!
//! `every_mutant_store_is_caught` is the proof the checks bite: memory
//! stores with one deliberate bug each (touch, expiry, listing, per-user
//! delete, id move, delete) must each fail within the same cases.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use http::StatusCode;
use session_redis::RedisStore;
use session_seal::store::{
    MemoryStore, Move, MoveOutcome, Record, SaveOutcome, SessionStore, SessionStoreExt as _,
    StoreFuture, StoreKey, UserSession,
};
use session_seal::testing::{TestClient, TestClock, TestResponse};
use session_seal::{Keyring, SessionLayer, SessionPayload, SessionSpec};
use session_sql::PostgresStore;

use crate::app::{self, AccountSession, AppStore, StoreSessions};
use crate::common;

/// Where the test clock starts (as in `store_http`): any time
/// works, since the stores take `now` from the layer and Redis derives its
/// TTLs from `expires_at - now`.
const START: u64 = 1_700_000_000;
/// The account session's cookie name.
const COOKIE: &str = "account_sid";
/// The simulated users (user ids in the routes).
const USERS: [u64; 3] = [1, 2, 3];
/// How likely each user is picked for a login or a ban: skewed, so the
/// first user often reaches the per-user cap and evictions happen.
const USER_WEIGHTS: [u32; 3] = [6, 2, 2];
/// The simulated devices (one cookie jar each).
const DEVICES: usize = 5;
/// Cases per backend unless `SESSION_SEAL_MODEL_CASES` says otherwise:
/// small, so CI stays fast.
const DEFAULT_CASES: u64 = 20;
/// Steps per case unless `SESSION_SEAL_MODEL_STEPS` says otherwise.
const DEFAULT_STEPS: u64 = 60;
/// The first case's seed unless `SESSION_SEAL_MODEL_SEED` says otherwise
/// (fixed, so CI runs the same cases every time).
const DEFAULT_FIRST_SEED: u64 = 0x5EA1_0023_0000_0000;

/// The session type under test.
const SPEC: &SessionSpec = &AccountSession::SPEC;

/// `max_age` of the example's session (8 h).
fn max_age() -> u64 {
    SPEC.max_age_secs()
}

/// `touch_after` of the example's session (5 min).
fn touch_after() -> u64 {
    SPEC.touch_after_secs()
}

/// `max_per_user` of the example's session (3).
fn cap() -> usize {
    SPEC.max_per_user()
        .and_then(|max| usize::try_from(max).ok())
        .expect("the example caps sessions per user")
}

// ------------------------------------------------------------ the PRNG

/// splitmix64: a tiny seeded generator of our own, so a seed replays the
/// same case on every platform and dependency version.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    /// The next 64 random bits.
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (> 0); the modulo bias is irrelevant here.
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `low..=high`.
    fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }

    /// An index below `n` (> 0).
    fn index(&mut self, n: usize) -> usize {
        usize::try_from(self.below(n as u64)).expect("below a usize")
    }

    /// One of `choices`, each as likely as its weight.
    fn weighted<T: Copy>(&mut self, choices: &[(u32, T)]) -> T {
        let total: u64 = choices.iter().map(|(weight, _)| u64::from(*weight)).sum();
        let mut roll = self.below(total);
        for (weight, choice) in choices {
            if roll < u64::from(*weight) {
                return *choice;
            }
            roll -= u64::from(*weight);
        }
        unreachable!("the roll is below the total weight")
    }
}

// ------------------------------------------------------------ operations

/// One request of a step.
#[derive(Clone, Debug)]
enum Op {
    /// `/login/{user}/{label}` on a device (over its session, if it has one).
    Login {
        /// The device.
        device: usize,
        /// Who logs in.
        user: u64,
        /// The payload's device name: unique per step, so a replaced
        /// session cannot be mistaken for its successor.
        label: String,
    },
    /// `/me`: a plain read (which may touch the row).
    Me(usize),
    /// `/visit`: an update (the visit counter).
    Visit(usize),
    /// `/renew`: the same session under a new id.
    Renew(usize),
    /// `/logout`.
    Logout(usize),
    /// `/logout-all`: every session of this device's user.
    LogoutAll(usize),
    /// `/logout-others`: every other session of this device's user.
    LogoutOthers(usize),
    /// `/devices`: this device's user's sessions.
    Devices(usize),
    /// `/admin/ban/{user}` from a client without a session: a store-level
    /// log-out-everywhere from outside any session.
    Ban(u64),
}

impl Op {
    /// The device sending the request; `None` for the admin.
    fn device(&self) -> Option<usize> {
        match self {
            Op::Login { device, .. }
            | Op::Me(device)
            | Op::Visit(device)
            | Op::Renew(device)
            | Op::Logout(device)
            | Op::LogoutAll(device)
            | Op::LogoutOthers(device)
            | Op::Devices(device) => Some(*device),
            Op::Ban(_) => None,
        }
    }

    /// The request path.
    fn path(&self) -> String {
        match self {
            Op::Login { user, label, .. } => format!("/login/{user}/{label}"),
            Op::Me(_) => "/me".into(),
            Op::Visit(_) => "/visit".into(),
            Op::Renew(_) => "/renew".into(),
            Op::Logout(_) => "/logout".into(),
            Op::LogoutAll(_) => "/logout-all".into(),
            Op::LogoutOthers(_) => "/logout-others".into(),
            Op::Devices(_) => "/devices".into(),
            Op::Ban(user) => format!("/admin/ban/{user}"),
        }
    }
}

impl fmt::Display for Op {
    /// `d2 GET /visit`, `admin GET /admin/ban/1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.device() {
            Some(device) => write!(f, "d{device} GET {}", self.path()),
            None => write!(f, "admin GET {}", self.path()),
        }
    }
}

/// The kinds of operation the generator picks from (a relogin is a login on
/// a device that holds a live session, so insert-over happens often).
#[derive(Clone, Copy, Debug)]
enum OpKind {
    /// A login on any device.
    Login,
    /// A login on a device with a live session.
    Relogin,
    /// A login, as the user with the most live sessions, on a device
    /// without a session of that user: pushes the user past the cap.
    Crowd,
    /// `/me`.
    Me,
    /// `/visit`.
    Visit,
    /// `/renew`.
    Renew,
    /// `/logout`.
    Logout,
    /// `/logout-all`.
    LogoutAll,
    /// `/logout-others`.
    LogoutOthers,
    /// `/devices`.
    Devices,
    /// `/admin/ban/{user}`.
    Ban,
}

/// How far the clock moves before a step.
#[derive(Clone, Copy, Debug)]
enum Advance {
    /// 1 to 60 s: within `touch_after` of most last touches.
    Small,
    /// 61 s to 20 min: often past `touch_after`.
    Medium,
    /// Onto `touched_at + touch_after` of the step's row, or one second
    /// before or after: the touch boundary (at least `touch_after` old touches).
    TouchEdge,
    /// 1 h to just under `max_age`.
    Long,
    /// Onto a row's `expires_at`, or one second before or after: the expiry
    /// boundary (`expires_at <= now` is gone).
    ExpiryEdge,
    /// Past `max_age`: every session not touched in this step expires.
    PastAll,
}

/// One executed step, for the failure report.
struct Step {
    /// Seconds the clock moved before it, and why.
    advance: (u64, Advance),
    /// The clock when it ran.
    now: u64,
    /// The request.
    op: Op,
    /// Whether the device lost the response (its jar ignores the response's
    /// cookies, as after a dropped connection).
    lost: bool,
    /// The response body and what it did to the cookie (filled in once run).
    outcome: Option<(String, CookieChange)>,
}

impl fmt::Display for Step {
    /// One line of the history.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (secs, why) = self.advance;
        write!(f, "+{secs}s ({why:?}) now={}: {}", self.now, self.op)?;
        if self.lost {
            write!(f, " (response lost)")?;
        }
        match &self.outcome {
            Some((body, cookie)) => write!(f, " -> {body:?}, cookie {cookie:?}"),
            None => write!(f, " -> (not run)"),
        }
    }
}

// ------------------------------------------------------------ the model

/// A row the store holds (or, once expired, may still hold) in the model.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Row {
    /// Its user.
    user: u64,
    /// The payload's device name.
    device: String,
    /// The payload's visit count.
    visits: u32,
    /// The compare-and-set revision: 1 for a login, +1 per update or renewal.
    revision: u64,
    /// When the session started (kept across renewals).
    created_at: u64,
    /// The last touch (a due read, an update, a renewal, the login).
    touched_at: u64,
    /// `touched_at + max_age`.
    expires_at: u64,
}

/// The session cookie a device holds in the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Held {
    /// The row its sealed id names.
    key: StoreKey,
    /// When it expires (in the seal and in the jar alike).
    expires_at: u64,
}

/// What a response does to the session cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CookieChange {
    /// No `Set-Cookie` for it.
    Unchanged,
    /// A new value (login, update, renewal, re-seal after a touch).
    Set,
    /// A removal (logout, a revoked cookie).
    Removed,
}

/// What the request's session cookie turned out to be, in the model.
#[derive(Clone, Copy, Debug)]
enum Found {
    /// No live cookie was sent.
    Absent,
    /// The cookie's row is gone: `revoked`, cleared.
    Revoked,
    /// A live session, under this key; `resealed` if the cookie was sealed
    /// again because it would have expired before its (just touched) row.
    Valid {
        /// Its row.
        key: StoreKey,
        /// Whether the read re-sealed the cookie.
        resealed: bool,
    },
}

/// The expected response body.
#[derive(Clone, Debug)]
enum Body {
    /// Exactly this.
    Exact(String),
    /// `{before}{n}{after}` with `min <= n <= max` (a count of removed rows
    /// on a backend that may already have dropped expired ones).
    Counted {
        /// The text before the number.
        before: String,
        /// The fewest rows it may report.
        min: usize,
        /// The most rows it may report.
        max: usize,
        /// The text after the number.
        after: &'static str,
    },
}

impl Body {
    /// A count that is exact when `min == max`.
    fn counted(before: impl Into<String>, (min, max): (usize, usize), after: &'static str) -> Self {
        Body::Counted {
            before: before.into(),
            min,
            max,
            after,
        }
    }

    /// Whether `body` is what was expected.
    fn matches(&self, body: &str) -> bool {
        match self {
            Body::Exact(expected) => body == expected,
            Body::Counted {
                before,
                min,
                max,
                after,
            } => body
                .strip_prefix(before.as_str())
                .and_then(|rest| rest.strip_suffix(after))
                .and_then(|number| number.parse::<usize>().ok())
                .is_some_and(|n| (*min..=*max).contains(&n)),
        }
    }
}

impl fmt::Display for Body {
    /// The expected text, with a range for an inexact count.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Exact(expected) => write!(f, "{expected:?}"),
            Body::Counted {
                before,
                min,
                max,
                after,
            } if min == max => write!(f, "{:?}", format!("{before}{min}{after}")),
            Body::Counted {
                before,
                min,
                max,
                after,
            } => write!(f, "{:?}", format!("{before}<{min}..={max}>{after}")),
        }
    }
}

/// What the model expects of one request, and what it still needs from it.
struct Plan {
    /// The response body.
    body: Body,
    /// What it does to the cookie.
    cookie: CookieChange,
    /// A row the request creates under a key the model cannot predict (a
    /// login or renewal): bound to the key in the device's new cookie.
    new_row: Option<Row>,
    /// Rows this step ended: they must not load any more.
    retired: Vec<StoreKey>,
}

/// How often each rule fired, to show what the cases covered.
#[derive(Clone, Copy, Debug, Default)]
struct Coverage {
    /// Steps run.
    steps: u64,
    /// Logins.
    logins: u64,
    /// Logins over a live session of the same user.
    relogins_same_user: u64,
    /// Logins over a live session of another user.
    relogins_other_user: u64,
    /// Sessions ended by the per-user cap.
    evictions: u64,
    /// Evictions of a session that was not the oldest one: the least
    /// recently used differs from the first created (touch times matter).
    evictions_not_oldest: u64,
    /// Reads that touched their row.
    touches: u64,
    /// Touches exactly `touch_after` after the last one (the boundary).
    touches_at_boundary: u64,
    /// Reads of a live session within `touch_after` (no touch).
    untouched_reads: u64,
    /// Requests whose cookie named a row that was gone.
    revoked: u64,
    /// Of those, rows that had expired (not been deleted): the cookie
    /// outlived its row (a re-seal touches the row, so this stays 0).
    revoked_by_expiry: u64,
    /// Rows that expired.
    expired: u64,
    /// Renewals.
    renewals: u64,
    /// Responses a device lost.
    lost_responses: u64,
    /// Reads within `touch_after` that re-sealed the cookie and touched
    /// the row with it: the response that should have carried the newer
    /// cookie was lost.
    reseals_after_loss: u64,
    /// Updates.
    visits: u64,
    /// Log-out-everywhere counts (logout-all, logout-others, ban) that
    /// included rows already expired.
    counts_with_expired_rows: u64,
    /// Sessions ended by logout-all, logout-others and bans.
    ended_by_user_logout: u64,
}

impl Coverage {
    /// Adds `other`'s counts.
    fn add(&mut self, other: &Coverage) {
        self.steps += other.steps;
        self.logins += other.logins;
        self.relogins_same_user += other.relogins_same_user;
        self.relogins_other_user += other.relogins_other_user;
        self.evictions += other.evictions;
        self.evictions_not_oldest += other.evictions_not_oldest;
        self.touches += other.touches;
        self.touches_at_boundary += other.touches_at_boundary;
        self.untouched_reads += other.untouched_reads;
        self.revoked += other.revoked;
        self.revoked_by_expiry += other.revoked_by_expiry;
        self.expired += other.expired;
        self.renewals += other.renewals;
        self.lost_responses += other.lost_responses;
        self.reseals_after_loss += other.reseals_after_loss;
        self.visits += other.visits;
        self.counts_with_expired_rows += other.counts_with_expired_rows;
        self.ended_by_user_logout += other.ended_by_user_logout;
    }
}

/// The reference model: what the store holds and what each jar holds.
#[derive(Debug)]
struct Model {
    /// The test clock.
    now: u64,
    /// The clock before the last advance: rows that expired in between are
    /// checked once more (an expired row never comes back, so checking
    /// each one at the step it expires is enough).
    before: u64,
    /// Every row the store holds or may hold: live ones, and expired ones
    /// no delete has removed yet (backends may keep those until a cleanup).
    rows: BTreeMap<StoreKey, Row>,
    /// Each device's session cookie (possibly expired: the jar ignores it).
    jars: [Option<Held>; DEVICES],
    /// Whether the backend may drop expired rows on its own during a case
    /// (the memory store's sweep), which makes log-out-everywhere counts a range.
    drops_expired: bool,
    /// Every key ever bound: new sessions must get fresh ids.
    seen: HashSet<StoreKey>,
    /// What fired so far.
    coverage: Coverage,
}

impl Model {
    /// An empty store and empty jars at `START`.
    fn new(drops_expired: bool) -> Self {
        Model {
            now: START,
            before: START,
            rows: BTreeMap::new(),
            jars: [None; DEVICES],
            drops_expired,
            seen: HashSet::new(),
            coverage: Coverage::default(),
        }
    }

    /// Whether `row` is live now.
    fn is_live(&self, row: &Row) -> bool {
        row.expires_at > self.now
    }

    /// The live row `device`'s live cookie names, if any.
    fn live_session(&self, device: usize) -> Option<(StoreKey, &Row)> {
        let held = self.jars[device].filter(|held| held.expires_at > self.now)?;
        let row = self.rows.get(&held.key).filter(|row| self.is_live(row))?;
        Some((held.key, row))
    }

    /// `user`'s live rows, oldest first (as `list_user` returns them).
    fn listing(&self, user: u64) -> Vec<(StoreKey, &Row)> {
        let mut rows: Vec<(StoreKey, &Row)> = self
            .rows
            .iter()
            .filter(|(_, row)| row.user == user && self.is_live(row))
            .map(|(key, row)| (*key, row))
            .collect();
        rows.sort_by_key(|(_, row)| row.created_at);
        rows
    }

    /// Moves the clock; counts rows that expire on the way.
    fn advance(&mut self, secs: u64) {
        let before = self.now;
        self.before = before;
        self.now += secs;
        let now = self.now;
        self.coverage.expired += self
            .rows
            .values()
            .filter(|row| row.expires_at > before && row.expires_at <= now)
            .count() as u64;
    }

    /// Picks the next operation. Requests that need a session mostly come
    /// from devices whose jar holds a cookie (live or revoked), and most
    /// logins from devices without a live session, so sessions accumulate
    /// up to the per-user cap and past it; the rest pick any device, so
    /// requests without a session are covered too.
    fn gen_op(&self, rng: &mut Rng, index: usize) -> Op {
        let user = rng.weighted(&[
            (USER_WEIGHTS[0], USERS[0]),
            (USER_WEIGHTS[1], USERS[1]),
            (USER_WEIGHTS[2], USERS[2]),
        ]);
        let any = rng.index(DEVICES);
        let among = |devices: Vec<usize>, rng: &mut Rng, percent: u64| {
            if devices.is_empty() || rng.below(100) >= percent {
                any
            } else {
                devices[rng.index(devices.len())]
            }
        };
        let with_cookie: Vec<usize> = (0..DEVICES)
            .filter(|device| self.jars[*device].is_some_and(|held| held.expires_at > self.now))
            .collect();
        let with_session: Vec<usize> = (0..DEVICES)
            .filter(|device| self.live_session(*device).is_some())
            .collect();
        let without_session: Vec<usize> = (0..DEVICES)
            .filter(|device| self.live_session(*device).is_none())
            .collect();
        // The user with the most live sessions (the first on a tie) and
        // the devices not logged in as them.
        let crowded = USERS
            .into_iter()
            .rev()
            .max_by_key(|user| self.listing(*user).len())
            .expect("there are users");
        let outside: Vec<usize> = (0..DEVICES)
            .filter(|device| {
                self.live_session(*device)
                    .is_none_or(|(_, row)| row.user != crowded)
            })
            .collect();
        let kind = rng.weighted(&[
            (16, OpKind::Login),
            (6, OpKind::Relogin),
            (5, OpKind::Crowd),
            (16, OpKind::Me),
            (14, OpKind::Visit),
            (6, OpKind::Renew),
            (4, OpKind::Logout),
            (2, OpKind::LogoutAll),
            (3, OpKind::LogoutOthers),
            (8, OpKind::Devices),
            (2, OpKind::Ban),
        ]);
        let device = match kind {
            OpKind::Login => among(without_session, rng, 70),
            OpKind::Relogin => among(with_session, rng, 100),
            OpKind::Crowd => among(outside, rng, 100),
            OpKind::Ban => any,
            _ => among(with_cookie, rng, 80),
        };
        let user = match kind {
            OpKind::Crowd => crowded,
            _ => user,
        };
        match kind {
            OpKind::Login | OpKind::Relogin | OpKind::Crowd => Op::Login {
                device,
                user,
                label: format!("d{device}s{index}"),
            },
            OpKind::Me => Op::Me(device),
            OpKind::Visit => Op::Visit(device),
            OpKind::Renew => Op::Renew(device),
            OpKind::Logout => Op::Logout(device),
            OpKind::LogoutAll => Op::LogoutAll(device),
            OpKind::LogoutOthers => Op::LogoutOthers(device),
            OpKind::Devices => Op::Devices(device),
            OpKind::Ban => Op::Ban(user),
        }
    }

    /// Picks how far the clock moves before `op`: always at least one
    /// second, so no two rows of a user share a creation or touch time
    /// (the LRU order and the listing order then never tie).
    fn gen_advance(&self, rng: &mut Rng, op: &Op) -> (u64, Advance) {
        let kind = rng.weighted(&[
            (64, Advance::Small),
            (14, Advance::Medium),
            (10, Advance::TouchEdge),
            (3, Advance::Long),
            (3, Advance::ExpiryEdge),
            (1, Advance::PastAll),
        ]);
        // Any live row, in creation order, not key order: keys are
        // random, and the seed alone must decide the case.
        let mut live: Vec<&Row> = self.rows.values().filter(|r| self.is_live(r)).collect();
        live.sort_by_key(|row| (row.created_at, row.user));
        let any_row = (!live.is_empty()).then(|| live[rng.index(live.len())]);
        // The touch boundary is aimed at the row of the device making the
        // request, so the read lands on it; the expiry boundary at any
        // row (the requester's own, whose cookie then just expires, or
        // another, which then just drops out of listings and counts).
        let own_row = op
            .device()
            .and_then(|device| self.live_session(device))
            .map(|(_, row)| row)
            .or(any_row);
        let edge = |at: u64, rng: &mut Rng| {
            let at = (at + rng.range(0, 2)).saturating_sub(1);
            at.checked_sub(self.now).filter(|secs| *secs >= 1)
        };
        let secs = match kind {
            Advance::Small => Some(rng.range(1, 60)),
            Advance::Medium => Some(rng.range(61, 1200)),
            Advance::TouchEdge => own_row.and_then(|row| edge(row.touched_at + touch_after(), rng)),
            Advance::Long => Some(rng.range(3600, max_age() - 1)),
            Advance::ExpiryEdge => any_row.and_then(|row| edge(row.expires_at, rng)),
            Advance::PastAll => Some(max_age() + rng.range(1, 600)),
        };
        match secs {
            Some(secs) => (secs, kind),
            None => (rng.range(1, 60), Advance::Small),
        }
    }

    /// The layer's extraction for `device`'s request: the jar sends its
    /// cookie if live; a live row is touched if its last touch is at least
    /// `touch_after` old, and the cookie re-sealed if it would expire before
    /// the row; a cookie whose row is gone is revoked and cleared.
    fn open(&mut self, device: usize) -> Found {
        let now = self.now;
        let Some(held) = self.jars[device].filter(|held| held.expires_at > now) else {
            // An expired cookie is not sent (and is gone from the jar's view).
            self.jars[device] = None;
            return Found::Absent;
        };
        let Some(row) = self
            .rows
            .get_mut(&held.key)
            .filter(|row| row.expires_at > now)
        else {
            self.jars[device] = None;
            self.coverage.revoked += 1;
            if self.rows.contains_key(&held.key) {
                self.coverage.revoked_by_expiry += 1;
            }
            return Found::Revoked;
        };
        let expiry = now + max_age();
        let idle = now - row.touched_at;
        // A cookie that lags its row (a lost response) is re-sealed, and
        // the row touched with it whatever its idle time.
        let lags = held.expires_at < row.expires_at;
        let touch = (idle >= touch_after() || lags) && expiry > row.expires_at;
        if lags && idle < touch_after() {
            self.coverage.reseals_after_loss += 1;
        }
        if touch {
            row.touched_at = now;
            row.expires_at = expiry;
            self.coverage.touches += 1;
            if idle == touch_after() {
                self.coverage.touches_at_boundary += 1;
            }
        } else {
            self.coverage.untouched_reads += 1;
        }
        // Re-sealing seals the id afresh, so the cookie expires `max_age`
        // from now, as the row just touched does.
        let resealed = held.expires_at < row.expires_at;
        if resealed {
            self.jars[device] = Some(Held {
                key: held.key,
                expires_at: now + max_age(),
            });
        }
        Found::Valid {
            key: held.key,
            resealed,
        }
    }

    /// `delete_user(user, keep)`: removes every row of `user` but `keep`
    /// and returns the range of counts the store may report (expired rows
    /// not yet dropped count; see `drops_expired`).
    fn delete_user(
        &mut self,
        user: u64,
        keep: Option<StoreKey>,
        retired: &mut Vec<StoreKey>,
    ) -> (usize, usize) {
        let keys: Vec<StoreKey> = self
            .rows
            .iter()
            .filter(|(key, row)| row.user == user && Some(**key) != keep)
            .map(|(key, _)| *key)
            .collect();
        let (mut live, mut expired) = (0, 0);
        for key in &keys {
            let row = self.rows.remove(key).expect("listed above");
            if self.is_live(&row) {
                live += 1;
            } else {
                expired += 1;
            }
        }
        retired.extend(keys);
        if expired > 0 {
            self.coverage.counts_with_expired_rows += 1;
        }
        self.coverage.ended_by_user_logout += live as u64;
        let min = if self.drops_expired {
            live
        } else {
            live + expired
        };
        (min, live + expired)
    }

    /// The per-user cap after a new row of `user` (not yet in `rows`) is
    /// written: while the user holds more than `max_per_user` live rows, the
    /// least recently touched (then earliest created) of the others ends.
    fn apply_cap(&mut self, user: u64, retired: &mut Vec<StoreKey>) {
        let mut others: Vec<(u64, u64, StoreKey)> = self
            .listing(user)
            .into_iter()
            .map(|(key, row)| (row.touched_at, row.created_at, key))
            .collect();
        let total = others.len() + 1;
        if total <= cap() {
            return;
        }
        let oldest = others.iter().map(|(_, created, _)| *created).min();
        others.sort();
        for (_, created, key) in others.into_iter().take(total - cap()) {
            self.rows.remove(&key);
            retired.push(key);
            self.coverage.evictions += 1;
            if Some(created) != oldest {
                self.coverage.evictions_not_oldest += 1;
            }
        }
    }

    /// A row as a fresh login of `user` on a device named `label` writes it.
    fn login_row(&self, user: u64, label: &str) -> Row {
        Row {
            user,
            device: label.to_owned(),
            visits: 0,
            revision: 1,
            created_at: self.now,
            touched_at: self.now,
            expires_at: self.now + max_age(),
        }
    }

    /// What `op` should answer and do, applied to the model (except the
    /// binding of a new row to its key, which the response reveals). If
    /// the response is `lost`, the store changes all the same but the
    /// device's jar stays as it was.
    fn plan(&mut self, op: &Op, lost: bool) -> Plan {
        let mut retired = Vec::new();
        let Some(device) = op.device() else {
            let Op::Ban(user) = op else {
                unreachable!("only the ban has no device")
            };
            let counts = self.delete_user(*user, None, &mut retired);
            return Plan {
                body: Body::counted(format!("user {user}: ended "), counts, " sessions\n"),
                cookie: CookieChange::Unchanged,
                new_row: None,
                retired,
            };
        };
        let jar_before = self.jars[device];
        let found = self.open(device);
        let mut cookie = match found {
            Found::Absent
            | Found::Valid {
                resealed: false, ..
            } => CookieChange::Unchanged,
            Found::Revoked => CookieChange::Removed,
            Found::Valid { resealed: true, .. } => CookieChange::Set,
        };
        let session = match found {
            Found::Valid { key, .. } => Some(key),
            Found::Absent | Found::Revoked => None,
        };
        let now = self.now;
        let mut new_row = None;
        let body = match op {
            Op::Login { user, label, .. } => {
                self.coverage.logins += 1;
                if let Some(key) = session {
                    let old = self.rows.remove(&key).expect("a valid session has a row");
                    retired.push(key);
                    if old.user == *user {
                        self.coverage.relogins_same_user += 1;
                    } else {
                        self.coverage.relogins_other_user += 1;
                    }
                }
                self.jars[device] = None;
                self.apply_cap(*user, &mut retired);
                new_row = Some(self.login_row(*user, label));
                cookie = CookieChange::Set;
                Body::Exact(format!("user {user} signed in on {label}\n"))
            }
            Op::Me(_) => Body::Exact(match session {
                Some(key) => {
                    let row = &self.rows[&key];
                    format!(
                        "user {} on {}, {} visits\n",
                        row.user, row.device, row.visits
                    )
                }
                None => match found {
                    Found::Revoked => "no session: rejected (revoked)\n".into(),
                    _ => "no session: none\n".into(),
                },
            }),
            Op::Visit(_) => Body::Exact(match session {
                Some(key) => {
                    self.coverage.visits += 1;
                    let row = self.rows.get_mut(&key).expect("a valid session has a row");
                    row.visits += 1;
                    row.revision += 1;
                    row.touched_at = now;
                    row.expires_at = now + max_age();
                    let visits = row.visits;
                    self.jars[device] = Some(Held {
                        key,
                        expires_at: now + max_age(),
                    });
                    cookie = CookieChange::Set;
                    format!("visit {visits}\n")
                }
                None => "no session\n".into(),
            }),
            Op::Renew(_) => Body::Exact(match session {
                Some(key) => {
                    self.coverage.renewals += 1;
                    let mut row = self.rows.remove(&key).expect("a valid session has a row");
                    retired.push(key);
                    row.revision += 1;
                    row.touched_at = now;
                    row.expires_at = now + max_age();
                    self.jars[device] = None;
                    self.apply_cap(row.user, &mut retired);
                    new_row = Some(row);
                    cookie = CookieChange::Set;
                    "renewed\n".into()
                }
                None => "no session\n".into(),
            }),
            Op::Logout(_) => {
                if let Some(key) = session {
                    self.rows.remove(&key);
                    retired.push(key);
                }
                self.jars[device] = None;
                cookie = CookieChange::Removed;
                Body::Exact("signed out\n".into())
            }
            Op::LogoutAll(_) => match session {
                Some(key) => {
                    let user = self.rows[&key].user;
                    let counts = self.delete_user(user, None, &mut retired);
                    self.jars[device] = None;
                    cookie = CookieChange::Removed;
                    Body::counted("signed out ", counts, " sessions\n")
                }
                None => Body::Exact("signed out 0 sessions\n".into()),
            },
            Op::LogoutOthers(_) => match session {
                Some(key) => {
                    let user = self.rows[&key].user;
                    let counts = self.delete_user(user, Some(key), &mut retired);
                    Body::counted("signed out ", counts, " other sessions\n")
                }
                None => Body::Exact("signed out 0 other sessions\n".into()),
            },
            Op::Devices(_) => Body::Exact(match session {
                Some(key) => {
                    let user = self.rows[&key].user;
                    self.listing(user)
                        .into_iter()
                        .map(|(listed, row)| {
                            let marker = if listed == key { " (this one)" } else { "" };
                            format!(
                                "session {} started {} last seen {} from unknown address (unknown browser); sign out: POST /devices/{}/logout{marker}\n",
                                short(&listed),
                                row.created_at,
                                row.touched_at,
                                listed.to_hex()
                            )
                        })
                        .collect()
                }
                None => "no sessions\n".into(),
            }),
            Op::Ban(_) => unreachable!("handled above"),
        };
        if lost {
            self.jars[device] = jar_before;
            self.coverage.lost_responses += 1;
        }
        Plan {
            body,
            cookie,
            new_row,
            retired,
        }
    }

    /// Binds the row a login or renewal created to the key its new cookie
    /// names (the key must never have been used before); the device holds
    /// that cookie unless it lost the response.
    fn bind(&mut self, device: usize, lost: bool, new: Held, row: Row) -> Result<(), String> {
        if !self.seen.insert(new.key) {
            return Err(format!(
                "d{device}'s new session reuses the id of an earlier one ({})",
                short(&new.key)
            ));
        }
        if new.expires_at != row.expires_at {
            return Err(format!(
                "d{device}'s new cookie expires at {}, its row at {}",
                new.expires_at, row.expires_at
            ));
        }
        if !lost {
            self.jars[device] = Some(new);
        }
        self.rows.insert(new.key, row);
        Ok(())
    }
}

/// The first eight hex digits of a key (what `/devices` shows).
fn short(key: &StoreKey) -> String {
    key.to_hex()[..8].to_owned()
}

// ------------------------------------------------------------ checks

/// What a response did to the session cookie; an error if it sent several
/// `Set-Cookie`s for it.
fn cookie_change(response: &TestResponse) -> Result<CookieChange, String> {
    let lines: Vec<&str> = response
        .set_cookies()
        .into_iter()
        .filter(|line| {
            line.split_once('=')
                .is_some_and(|(name, _)| name.trim() == COOKIE)
        })
        .collect();
    match lines.as_slice() {
        [] => Ok(CookieChange::Unchanged),
        [line] => {
            let value = line
                .split(';')
                .next()
                .and_then(|pair| pair.split_once('='))
                .map_or("", |(_, value)| value.trim());
            Ok(if value.is_empty() {
                CookieChange::Removed
            } else {
                CookieChange::Set
            })
        }
        _ => Err(format!("several Set-Cookie for {COOKIE}: {lines:?}")),
    }
}

/// The key the session cookie a response sets names, with its sealed expiry.
fn set_cookie_key(response: &TestResponse, keyring: &Keyring, now: u64) -> Result<Held, String> {
    let value = response
        .set_cookie(COOKIE)
        .and_then(|line| line.split(';').next())
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
        .ok_or("a new session without a cookie")?;
    held(value, keyring, now)
}

/// The key a sealed session cookie value names, with its sealed expiry.
fn held(value: &str, keyring: &Keyring, now: u64) -> Result<Held, String> {
    let opened = keyring
        .open_id_at(SPEC, value, now)
        .map_err(|error| format!("a session cookie does not open: {error}"))?;
    Ok(Held {
        key: StoreKey::derive(SPEC.namespace(), &opened.payload),
        expires_at: opened.expires_at,
    })
}

/// The key the live session cookie of `client` names, with its sealed expiry.
fn cookie_key(client: &TestClient, keyring: &Keyring, now: u64) -> Result<Option<Held>, String> {
    client
        .cookie(COOKIE)
        .map(|value| held(value, keyring, now))
        .transpose()
}

/// Whether the stored `record` is the model's `row`.
fn check_record(key: &StoreKey, row: &Row, record: &Record) -> Result<(), String> {
    let payload: AccountSession = serde_json::from_slice(&record.data)
        .map_err(|error| format!("row {}: data does not decode: {error}", short(key)))?;
    let expected_payload = AccountSession {
        user_id: row.user,
        device: row.device.clone(),
        visits: row.visits,
    };
    let user = row.user.to_string();
    let actual = (
        record.namespace.as_str(),
        record.user.as_deref(),
        record.revision,
        record.created_at,
        record.touched_at,
        record.expires_at,
    );
    let expected = (
        SPEC.namespace(),
        Some(user.as_str()),
        row.revision,
        row.created_at,
        row.touched_at,
        row.expires_at,
    );
    if payload != expected_payload || actual != expected {
        return Err(format!(
            "row {}: the store holds {payload:?} {record:?}, the model {row:?}",
            short(key)
        ));
    }
    Ok(())
}

/// Compares everything observable after a step with the model, without
/// touching anything (direct store reads, not requests, so checking does
/// not move touch times): every jar, every live row (as modelled) and
/// every row that expired in this step's clock move (must not load), the
/// rows this step ended (must not load), and every user's listing.
async fn observe(
    model: &Model,
    store: &AppStore,
    keyring: &Keyring,
    devices: &[TestClient],
    retired: &[StoreKey],
) -> Result<(), String> {
    let now = model.now;
    for (device, client) in devices.iter().enumerate() {
        let expected = model.jars[device].filter(|held| held.expires_at > now);
        let actual = cookie_key(client, keyring, now).map_err(|e| format!("d{device}: {e}"))?;
        if actual != expected {
            return Err(format!(
                "d{device}'s jar: holds {actual:?}, the model {expected:?}"
            ));
        }
        if let Some(held) = expected {
            let in_jar = client
                .jar()
                .iter()
                .find(|cookie| {
                    cookie.name == COOKIE && cookie.expires_at.is_some_and(|at| at > now)
                })
                .and_then(|cookie| cookie.expires_at);
            if in_jar != Some(held.expires_at) {
                return Err(format!(
                    "d{device}'s jar: the cookie expires at {in_jar:?}, the model {}",
                    held.expires_at
                ));
            }
        }
    }
    let checked = model
        .rows
        .iter()
        .filter(|(_, row)| row.expires_at > model.before);
    for (key, row) in checked {
        let loaded = store
            .load(key, now)
            .await
            .map_err(|error| format!("load {}: {error}", short(key)))?;
        match (model.is_live(row), loaded) {
            (true, Some(record)) => check_record(key, row, &record)?,
            (true, None) => {
                return Err(format!(
                    "row {} ({row:?}) should be live, the store has none",
                    short(key)
                ));
            }
            (false, None) => {}
            (false, Some(record)) => {
                return Err(format!(
                    "row {} expired at {} but still loads at {now}: {record:?}",
                    short(key),
                    row.expires_at
                ));
            }
        }
    }
    for key in retired {
        if let Some(record) = store
            .load(key, now)
            .await
            .map_err(|error| format!("load {}: {error}", short(key)))?
        {
            return Err(format!(
                "row {} was ended in this step but still loads: {record:?}",
                short(key)
            ));
        }
    }
    for user in USERS {
        let listed: Vec<(String, u64, u64, u64)> = store
            .list_sessions::<AccountSession>(&user.to_string(), now)
            .await
            .map_err(|error| format!("list_user {user}: {error}"))?
            .into_iter()
            .map(|s| (short(&s.key), s.created_at, s.touched_at, s.expires_at))
            .collect();
        let expected: Vec<(String, u64, u64, u64)> = model
            .listing(user)
            .into_iter()
            .map(|(key, row)| (short(&key), row.created_at, row.touched_at, row.expires_at))
            .collect();
        if listed != expected {
            return Err(format!(
                "user {user}'s sessions (key, created, touched, expires): the store lists \
                 {listed:?}, the model {expected:?}"
            ));
        }
        if expected.len() > cap() {
            return Err(format!(
                "the model broke the cap for user {user}: {expected:?}"
            ));
        }
    }
    Ok(())
}

// ------------------------------------------------------------ one case

/// Where a case failed.
struct Failure {
    /// The step (0-based) whose check failed.
    step: usize,
    /// The mismatch.
    message: String,
    /// Every step up to and including the failing one.
    history: Vec<Step>,
    /// The model after the failing step's planning.
    model: String,
}

/// Runs one case of `steps` steps from `seed` on `store` (fresh, empty).
async fn run_case(
    store: AppStore,
    drops_expired: bool,
    seed: u64,
    steps: u64,
) -> Result<(Coverage, Vec<Step>), Box<Failure>> {
    let clock = TestClock::at(START);
    let keyring = common::dev_keyring();
    let layer = SessionLayer::<StoreSessions>::new(keyring.clone())
        .clock(clock.reader())
        .store(Arc::clone(&store));
    let mut admin =
        TestClient::new(app::router(layer, Arc::clone(&store))).with_clock(clock.clone());
    let mut devices: Vec<TestClient> = (0..DEVICES).map(|_| admin.device()).collect();
    let mut model = Model::new(drops_expired);
    let mut rng = Rng(seed);
    let mut history: Vec<Step> = Vec::new();
    for index in 0..usize::try_from(steps).expect("steps fit a usize") {
        let op = model.gen_op(&mut rng, index);
        let advance = model.gen_advance(&mut rng, &op);
        // Now and then a device loses a response: the store changed, the
        // jar did not (so its cookie may trail its row, or name a gone one).
        let lost = op.device().is_some() && rng.below(100) < 4;
        clock.advance(advance.0);
        model.advance(advance.0);
        model.coverage.steps += 1;
        history.push(Step {
            advance,
            now: model.now,
            op: op.clone(),
            lost,
            outcome: None,
        });
        let plan = model.plan(&op, lost);
        let client = match op.device() {
            Some(device) => &mut devices[device],
            None => &mut admin,
        };
        let jar_before = client.jar().clone();
        let response = client.get(&op.path()).await;
        if lost {
            *client.jar_mut() = jar_before;
        }
        let body = response.text();
        let checked = async {
            let change = cookie_change(&response)?;
            if let Some(step) = history.last_mut() {
                step.outcome = Some((body.clone(), change));
            }
            if response.status != StatusCode::OK {
                return Err(format!("status {}, expected 200", response.status));
            }
            if !plan.body.matches(&body) {
                return Err(format!("body {body:?}, the model expects {}", plan.body));
            }
            if change != plan.cookie {
                return Err(format!(
                    "the response's cookie change is {change:?}, the model expects {:?}",
                    plan.cookie
                ));
            }
            if let (Some(row), Some(device)) = (plan.new_row.clone(), op.device()) {
                let new = set_cookie_key(&response, &keyring, model.now)?;
                model.bind(device, lost, new, row)?;
            }
            observe(&model, &store, &keyring, &devices, &plan.retired).await
        }
        .await;
        if let Err(message) = checked {
            return Err(Box::new(Failure {
                step: index,
                message,
                history,
                model: format!("{model:#?}"),
            }));
        }
    }
    Ok((model.coverage, history))
}

// ------------------------------------------------------------ backends

/// A store backend the model runs on.
#[derive(Clone, Copy, Debug)]
enum Backend {
    /// `MemoryStore`.
    Memory,
    /// `RedisStore` on the shared test server.
    Redis,
    /// `RedisStore` on the shared test cluster.
    RedisCluster,
    /// `SqliteStore` in a temporary file.
    Sqlite,
    /// `PostgresStore` on a fresh table of the shared test database.
    Postgres,
}

/// A fresh store for one case, and what to tidy after it.
struct Fixture {
    /// The store.
    store: AppStore,
    /// What to remove when the case ends.
    tidy: Tidy,
}

/// What a case leaves behind on its backend.
enum Tidy {
    /// Nothing (memory).
    Nothing,
    /// Keys under this store's prefix on the shared server.
    Redis(RedisStore),
    /// Keys under this store's prefix on every cluster node.
    RedisCluster(RedisStore),
    /// The temporary file (removed when dropped).
    Sqlite(common::sql::TempDb),
    /// This table of the shared database.
    Postgres(PostgresStore, String),
}

impl Backend {
    /// The test's name, for skip messages and the replay command.
    fn name(self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::Redis => "redis",
            Backend::RedisCluster => "redis_cluster",
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Whether expired rows may vanish on their own during a case: the
    /// memory store sweeps on writes; Redis's real TTLs (hours, from
    /// `expires_at - now`) never run out during a test and the SQL stores
    /// delete expired rows only when asked.
    fn drops_expired(self) -> bool {
        matches!(self, Backend::Memory)
    }

    /// A fresh, empty store, or `None` (after the helpers' skip message)
    /// when the server is not there and not required.
    async fn open(self) -> Option<Fixture> {
        let test = format!("store_model_{}", self.name());
        Some(match self {
            Backend::Memory => Fixture {
                store: Arc::new(MemoryStore::new()),
                tidy: Tidy::Nothing,
            },
            Backend::Redis => {
                let store = common::store::redis_store(&test).await?;
                Fixture {
                    store: Arc::new(store.clone()),
                    tidy: Tidy::Redis(store),
                }
            }
            Backend::RedisCluster => {
                let store = common::store::redis_cluster_store(&test).await?;
                Fixture {
                    store: Arc::new(store.clone()),
                    tidy: Tidy::RedisCluster(store),
                }
            }
            Backend::Sqlite => {
                let (store, file) = common::sql::sqlite_store(&test).await;
                Fixture {
                    store: Arc::new(store),
                    tidy: Tidy::Sqlite(file),
                }
            }
            Backend::Postgres => {
                let table = common::sql::unique_table(&test);
                let config = common::sql::test_config(&table);
                let store = common::sql::postgres_store_with(&test, config).await?;
                Fixture {
                    store: Arc::new(store.clone()),
                    tidy: Tidy::Postgres(store, table),
                }
            }
        })
    }
}

impl Fixture {
    /// Removes what the case wrote.
    async fn tidy(self) {
        drop(self.store);
        match self.tidy {
            Tidy::Nothing => {}
            Tidy::Redis(store) => common::store::remove_keys(&common::store::redis_url(), &store),
            Tidy::RedisCluster(store) => common::store::remove_cluster_keys(&store),
            Tidy::Sqlite(file) => drop(file),
            Tidy::Postgres(store, table) => common::sql::drop_table(&store, &table).await,
        }
    }
}

/// The run's size and seeds, from the environment.
struct Config {
    /// The first case's seed.
    first_seed: u64,
    /// How many cases.
    cases: u64,
    /// Steps per case.
    steps: u64,
}

impl Config {
    /// `SESSION_SEAL_MODEL_SEED`, `_CASES` and `_STEPS`, or the defaults.
    fn from_env() -> Self {
        Config {
            first_seed: env_number("SESSION_SEAL_MODEL_SEED").unwrap_or(DEFAULT_FIRST_SEED),
            cases: env_number("SESSION_SEAL_MODEL_CASES").unwrap_or(DEFAULT_CASES),
            steps: env_number("SESSION_SEAL_MODEL_STEPS").unwrap_or(DEFAULT_STEPS),
        }
    }
}

/// A number from the environment (decimal or `0x` hex). A value that does
/// not parse fails the test: a typo must not silently run the defaults.
fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    let value = value.trim();
    let parsed = match value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
    {
        Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
        None => value.replace('_', "").parse(),
    };
    Some(parsed.unwrap_or_else(|error| panic!("{name}={value:?} is not a number: {error}")))
}

/// Runs every case on `backend` and reports what they covered; panics with
/// the replay details at the first mismatch.
async fn run_backend(backend: Backend) {
    assert_eq!(
        (max_age(), touch_after(), cap()),
        (8 * 3600, 300, 3),
        "the model's clock choices assume the example's settings"
    );
    let config = Config::from_env();
    let started = Instant::now();
    let mut total = Coverage::default();
    for case in 0..config.cases {
        let seed = config.first_seed.wrapping_add(case);
        let Some(fixture) = backend.open().await else {
            return;
        };
        let outcome = run_case(
            Arc::clone(&fixture.store),
            backend.drops_expired(),
            seed,
            config.steps,
        )
        .await;
        fixture.tidy().await;
        match outcome {
            Ok((coverage, _)) => total.add(&coverage),
            Err(failure) => {
                let history: String = failure
                    .history
                    .iter()
                    .enumerate()
                    .map(|(index, step)| format!("  #{index} {step}\n"))
                    .collect();
                panic!(
                    "store model on {backend}: seed {seed:#x}, step #{step}: {message}\n\
                     replay: SESSION_SEAL_MODEL_SEED={seed:#x} SESSION_SEAL_MODEL_CASES=1 \
                     SESSION_SEAL_MODEL_STEPS={steps} cargo test --test store -- --exact store_model::{backend}\n\
                     history:\n{history}model after step #{step}:\n{model}",
                    backend = backend.name(),
                    step = failure.step,
                    message = failure.message,
                    steps = config.steps,
                    model = failure.model,
                );
            }
        }
    }
    eprintln!(
        "store model on {}: {} cases x {} steps (seeds {:#x}..) in {:.2?}\n  {total:?}",
        backend.name(),
        config.cases,
        config.steps,
        config.first_seed,
        started.elapsed()
    );
}

/// The model on the memory store.
#[tokio::test]
async fn memory() {
    run_backend(Backend::Memory).await;
}

/// The model on Redis (one server).
#[tokio::test]
async fn redis() {
    run_backend(Backend::Redis).await;
}

/// The model on a Redis Cluster (a login as another user moves a session across slots).
#[tokio::test]
async fn redis_cluster() {
    run_backend(Backend::RedisCluster).await;
}

/// The model on SQLite.
#[tokio::test]
async fn sqlite() {
    run_backend(Backend::Sqlite).await;
}

/// The model on PostgreSQL.
#[tokio::test]
async fn postgres() {
    run_backend(Backend::Postgres).await;
}

// ------------------------------------------------------------ mutants

/// A deliberate bug in a store, to prove the model notices it.
#[derive(Clone, Copy, Debug)]
enum Mutation {
    /// `touch` reports success but writes nothing (sliding expiry broken).
    TouchIgnored,
    /// `load` returns rows past their expiry.
    LoadIgnoresExpiry,
    /// `list_user` includes rows past their expiry (so the cap counts them).
    ListIncludesExpired,
    /// `list_user` returns the newest session first.
    ListNewestFirst,
    /// `delete_user` ignores `keep` (log out others also logs out this one).
    DeleteUserIgnoresKeep,
    /// `move_session` writes the new row but leaves the old one (a renewed
    /// or replaced id keeps working).
    MoveKeepsOldRow,
    /// `delete` reports success but removes nothing (logout and eviction
    /// leave the row).
    DeleteIsNoop,
}

/// A memory store with one [`Mutation`].
struct Mutant {
    /// The correct store underneath.
    inner: MemoryStore,
    /// The bug.
    mutation: Mutation,
}

/// The memory store's behaviour, except where the mutation breaks it.
impl SessionStore for Mutant {
    fn load<'a>(&'a self, key: &'a StoreKey, now: u64) -> StoreFuture<'a, Option<Record>> {
        match self.mutation {
            Mutation::LoadIgnoresExpiry => self.inner.load(key, 0),
            _ => self.inner.load(key, now),
        }
    }

    fn save<'a>(
        &'a self,
        key: &'a StoreKey,
        record: &'a Record,
        expected: Option<u64>,
        now: u64,
    ) -> StoreFuture<'a, SaveOutcome> {
        self.inner.save(key, record, expected, now)
    }

    fn move_session<'a>(&'a self, change: &'a Move) -> StoreFuture<'a, MoveOutcome> {
        match self.mutation {
            Mutation::MoveKeepsOldRow => Box::pin(async move {
                let saved = self
                    .inner
                    .save(change.to(), change.record(), None, change.now())
                    .await?;
                Ok(match saved {
                    SaveOutcome::Saved => MoveOutcome::Moved,
                    SaveOutcome::Conflict => MoveOutcome::Conflict,
                })
            }),
            _ => self.inner.move_session(change),
        }
    }

    fn delete<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, bool> {
        match self.mutation {
            Mutation::DeleteIsNoop => Box::pin(async { Ok(true) }),
            _ => self.inner.delete(key),
        }
    }

    fn touch<'a>(&'a self, key: &'a StoreKey, expires_at: u64, now: u64) -> StoreFuture<'a, bool> {
        match self.mutation {
            Mutation::TouchIgnored => Box::pin(async { Ok(true) }),
            _ => self.inner.touch(key, expires_at, now),
        }
    }

    fn list_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<UserSession>> {
        match self.mutation {
            Mutation::ListIncludesExpired => self.inner.list_user(namespace, user, 0),
            Mutation::ListNewestFirst => Box::pin(async move {
                let mut sessions = self.inner.list_user(namespace, user, now).await?;
                sessions.reverse();
                Ok(sessions)
            }),
            _ => self.inner.list_user(namespace, user, now),
        }
    }

    fn delete_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        keep: Option<&'a StoreKey>,
    ) -> StoreFuture<'a, usize> {
        match self.mutation {
            Mutation::DeleteUserIgnoresKeep => self.inner.delete_user(namespace, user, None),
            _ => self.inner.delete_user(namespace, user, keep),
        }
    }
}

/// The proof that the model catches bugs: each deliberately broken store
/// fails a case within the configured cases (the default run's seeds), and
/// the correct store passes the same cases (the `memory` test).
#[tokio::test]
async fn every_mutant_store_is_caught() {
    let config = Config::from_env();
    for mutation in [
        Mutation::TouchIgnored,
        Mutation::LoadIgnoresExpiry,
        Mutation::ListIncludesExpired,
        Mutation::ListNewestFirst,
        Mutation::DeleteUserIgnoresKeep,
        Mutation::MoveKeepsOldRow,
        Mutation::DeleteIsNoop,
    ] {
        let mut caught = None;
        for case in 0..config.cases {
            let seed = config.first_seed.wrapping_add(case);
            let store: AppStore = Arc::new(Mutant {
                inner: MemoryStore::new(),
                mutation,
            });
            if let Err(failure) = run_case(store, true, seed, config.steps).await {
                caught = Some((seed, failure.step, failure.message));
                break;
            }
        }
        let (seed, step, message) = caught.unwrap_or_else(|| {
            panic!(
                "the mutant {mutation:?} passed {} cases of {} steps",
                config.cases, config.steps
            )
        });
        eprintln!("mutant {mutation:?}: caught by seed {seed:#x} at step #{step}: {message}");
    }
}

/// A seed replays exactly the same case (the same clock moves and
/// requests), whatever ids the sessions get: what the replay command in a
/// failure report relies on.
#[tokio::test]
async fn a_seed_replays_the_same_case() {
    let config = Config::from_env();
    let mut runs = Vec::new();
    for _ in 0..2 {
        let store: AppStore = Arc::new(MemoryStore::new());
        let (_, history) = run_case(store, true, config.first_seed, config.steps)
            .await
            .unwrap_or_else(|failure| panic!("step #{}: {}", failure.step, failure.message));
        let steps: Vec<String> = history
            .iter()
            .map(|step| format!("{:?} {} {}", step.advance, step.now, step.op))
            .collect();
        runs.push(steps);
    }
    assert_eq!(runs[0], runs[1]);
}

//! The simulated user of one transaction: when they open the request, sign it, or let it
//! expire, computed from timestamps when asked.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha512;
use time::OffsetDateTime;
use toss_model::SignStatus;
use zeroize::Zeroizing;

use crate::clock::saturating_add as add;
use crate::config::UserBehaviour;
use crate::state::Signer;

/// The fictional person of `USER_CI` results, as in the provider's test environment.
pub(crate) const TEST_PERSON_NAME: &str = "김토스";
/// Their birthday.
pub(crate) const TEST_PERSON_BIRTHDAY: &str = "19930324";
/// Their gender.
pub(crate) const TEST_PERSON_GENDER: &str = "FEMALE";

/// The fixed key CI and DI are derived with, so that they are stable across runs.
const IDENTITY_SECRET: &[u8] = b"toss-emulator: fixed secret for fictional CI/DI, v1";

/// Where a transaction stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// The request was sent; the user has not opened it.
    Requested,
    /// The user opened the request and has not signed yet.
    InProgress,
    /// The user signed at `at`.
    Completed { at: OffsetDateTime },
    /// The user did not sign in time (or the request was expired by hand).
    Expired,
}

impl Stage {
    /// The wire status.
    pub(crate) fn status(self) -> SignStatus {
        match self {
            Self::Requested => SignStatus::Requested,
            Self::InProgress => SignStatus::InProgress,
            Self::Completed { .. } => SignStatus::Completed,
            Self::Expired => SignStatus::Expired,
        }
    }
}

/// What the user of one transaction did or will do.
///
/// Planned moments come from the [`UserBehaviour`] at creation; manual moments from the
/// control endpoints. The earlier of the two counts.
#[derive(Debug, Clone)]
pub(crate) struct SimulatedUser {
    planned_open: Option<OffsetDateTime>,
    planned_complete: Option<OffsetDateTime>,
    planned_decline: Option<OffsetDateTime>,
    opened: Option<OffsetDateTime>,
    completed: Option<OffsetDateTime>,
    declined: Option<OffsetDateTime>,
    expired: Option<OffsetDateTime>,
    expires_at: OffsetDateTime,
}

impl SimulatedUser {
    /// The user of a request made at `requested_at` that expires at `expires_at`.
    pub(crate) fn new(
        behaviour: &UserBehaviour,
        requested_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Self {
        let (planned_open, planned_complete, planned_decline) = match behaviour {
            UserBehaviour::Completes {
                open_after,
                complete_after,
            } => {
                let complete = add(requested_at, *complete_after);
                let open = add(requested_at, *open_after).min(complete);
                (Some(open), Some(complete), None)
            }
            UserBehaviour::Declines { after } => {
                let at = add(requested_at, *after);
                (Some(at), None, Some(at))
            }
            UserBehaviour::OpensAndExpires { open_after } => {
                (Some(add(requested_at, *open_after)), None, None)
            }
            UserBehaviour::NeverAnswers | UserBehaviour::Manual => (None, None, None),
        };
        Self {
            planned_open,
            planned_complete,
            planned_decline,
            opened: None,
            completed: None,
            declined: None,
            expired: None,
            expires_at,
        }
    }

    /// The moment the request expires unless the user signed before it.
    pub(crate) fn expiry(&self) -> OffsetDateTime {
        earliest(Some(self.expires_at), self.expired).unwrap_or(self.expires_at)
    }

    /// When the user declined (취소), if they did by `now`.
    pub(crate) fn declined_by(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        earliest(self.planned_decline, self.declined).filter(|at| *at <= now)
    }

    /// Where the transaction stands at `now`.
    ///
    /// A user who declined has opened the request and never signs it: the provider has no
    /// declined status, so it stays `IN_PROGRESS` until it expires.
    pub(crate) fn progress(&self, now: OffsetDateTime) -> Stage {
        let expiry = self.expiry();
        let declined = earliest(self.planned_decline, self.declined);
        if let Some(at) = earliest(self.planned_complete, self.completed)
            && at <= now
            && at < expiry
            && declined.is_none_or(|declined| at < declined)
        {
            return Stage::Completed { at };
        }
        if now >= expiry {
            return Stage::Expired;
        }
        match earliest(earliest(self.planned_open, self.opened), declined) {
            Some(at) if at <= now => Stage::InProgress,
            _ => Stage::Requested,
        }
    }

    /// The user opens the request now. Refused (with where it stands) once it is completed
    /// or expired.
    pub(crate) fn open(&mut self, now: OffsetDateTime) -> Result<Stage, Stage> {
        match self.progress(now) {
            Stage::Requested => {
                self.opened = Some(now);
                Ok(Stage::InProgress)
            }
            Stage::InProgress => Ok(Stage::InProgress),
            done => Err(done),
        }
    }

    /// The user signs now. Refused once the request expired or the user declined it; a
    /// no-op once completed.
    pub(crate) fn complete(&mut self, now: OffsetDateTime) -> Result<Stage, Stage> {
        match self.progress(now) {
            stage @ Stage::InProgress if self.declined_by(now).is_some() => Err(stage),
            Stage::Requested | Stage::InProgress => {
                self.opened = Some(self.opened.map_or(now, |at| at.min(now)));
                self.completed = Some(now);
                Ok(Stage::Completed { at: now })
            }
            completed @ Stage::Completed { .. } => Ok(completed),
            Stage::Expired => Err(Stage::Expired),
        }
    }

    /// The user declines (취소) now: they opened it and will not sign it. Refused once it
    /// is completed or expired; a no-op once declined.
    pub(crate) fn decline(&mut self, now: OffsetDateTime) -> Result<Stage, Stage> {
        match self.progress(now) {
            Stage::Requested | Stage::InProgress => {
                self.opened = Some(self.opened.map_or(now, |at| at.min(now)));
                if self.declined_by(now).is_none() {
                    self.declined = Some(now);
                }
                Ok(Stage::InProgress)
            }
            done => Err(done),
        }
    }

    /// The request expires now. Refused once it is completed; a no-op once expired.
    pub(crate) fn expire(&mut self, now: OffsetDateTime) -> Result<Stage, Stage> {
        match self.progress(now) {
            Stage::Requested | Stage::InProgress => {
                self.expired = Some(now);
                Ok(Stage::Expired)
            }
            Stage::Expired => Ok(Stage::Expired),
            completed @ Stage::Completed { .. } => Err(completed),
        }
    }
}

/// The person who signs, as the result reports them.
pub(crate) struct Person {
    /// The name on the certificate and in `personalData.name`.
    pub(crate) name: Zeroizing<String>,
    /// `YYYYMMDD`.
    pub(crate) birthday: Zeroizing<String>,
    /// `MALE` or `FEMALE`.
    pub(crate) gender: &'static str,
    /// `LOCAL` or `FOREIGNER`.
    pub(crate) nationality: &'static str,
    /// CI and DI, absent for `USER_CI` (the provider sends none then).
    pub(crate) ci_di: Option<(Zeroizing<String>, Zeroizing<String>)>,
    /// What their key and certificate are cached under: their CI.
    pub(crate) identity_key: Zeroizing<String>,
}

impl Person {
    /// The person behind `signer`: the requested person for `USER_PERSONAL` (with a CI and
    /// DI derived from name, phone and birthday), the fixed test person for `USER_CI`.
    pub(crate) fn of(signer: &Signer) -> Self {
        match signer {
            Signer::Personal {
                name,
                phone,
                birthday,
            } => {
                let ci = derive(b"CI", &[name, phone, birthday]);
                let di = derive(b"DI", &[name, phone, birthday]);
                let gender = if di[0] & 1 == 0 { "MALE" } else { "FEMALE" };
                let ci = Zeroizing::new(STANDARD.encode(&ci[..]));
                let di = Zeroizing::new(STANDARD.encode(&di[..48]));
                Self {
                    name: name.clone(),
                    birthday: birthday.clone(),
                    gender,
                    nationality: "LOCAL",
                    identity_key: ci.clone(),
                    ci_di: Some((ci, di)),
                }
            }
            Signer::Ci { ci } => Self {
                name: Zeroizing::new(TEST_PERSON_NAME.to_owned()),
                birthday: Zeroizing::new(TEST_PERSON_BIRTHDAY.to_owned()),
                gender: TEST_PERSON_GENDER,
                nationality: "LOCAL",
                ci_di: None,
                identity_key: ci.clone(),
            },
        }
    }
}

/// HMAC-SHA512 under the fixed secret of `label` and the `\0`-separated fields: 64 bytes,
/// 88 characters of base64 like a real CI.
fn derive(label: &[u8], fields: &[&Zeroizing<String>]) -> Zeroizing<Vec<u8>> {
    // HMAC accepts keys of any length, so this cannot fail; fall back to an empty MAC input
    // rather than panic.
    let Ok(mut mac) = Hmac::<Sha512>::new_from_slice(IDENTITY_SECRET) else {
        return Zeroizing::new(vec![0; 64]);
    };
    mac.update(label);
    for field in fields {
        mac.update(&[0]);
        mac.update(field.as_bytes());
    }
    Zeroizing::new(mac.finalize().into_bytes().to_vec())
}

fn earliest(a: Option<OffsetDateTime>, b: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(start: OffsetDateTime, millis: u64) -> OffsetDateTime {
        add(start, Duration::from_millis(millis))
    }

    #[test]
    fn completes_on_schedule() {
        let start = OffsetDateTime::now_utc();
        let user = SimulatedUser::new(
            &UserBehaviour::completes(Duration::from_millis(300), Duration::from_millis(600)),
            start,
            at(start, 10_000),
        );
        assert_eq!(user.progress(start), Stage::Requested);
        assert_eq!(user.progress(at(start, 299)), Stage::Requested);
        assert_eq!(user.progress(at(start, 300)), Stage::InProgress);
        assert_eq!(
            user.progress(at(start, 600)),
            Stage::Completed { at: at(start, 600) }
        );
        // Completion is for good: it never turns into an expiry.
        assert!(matches!(
            user.progress(at(start, 100_000)),
            Stage::Completed { .. }
        ));
    }

    #[test]
    fn zero_delays_complete_at_once() {
        let start = OffsetDateTime::now_utc();
        let user = SimulatedUser::new(
            &UserBehaviour::completes(Duration::ZERO, Duration::ZERO),
            start,
            at(start, 1000),
        );
        assert_eq!(user.progress(start), Stage::Completed { at: start });
    }

    #[test]
    fn too_slow_a_user_expires() {
        let start = OffsetDateTime::now_utc();
        let user = SimulatedUser::new(
            &UserBehaviour::completes(Duration::ZERO, Duration::from_secs(20)),
            start,
            at(start, 10_000),
        );
        assert_eq!(user.progress(at(start, 9_999)), Stage::InProgress);
        assert_eq!(user.progress(at(start, 10_000)), Stage::Expired);
        assert_eq!(user.progress(at(start, 30_000)), Stage::Expired);
    }

    #[test]
    fn never_answers_expires() {
        let start = OffsetDateTime::now_utc();
        let user = SimulatedUser::new(&UserBehaviour::NeverAnswers, start, at(start, 1000));
        assert_eq!(user.progress(at(start, 999)), Stage::Requested);
        assert_eq!(user.progress(at(start, 1000)), Stage::Expired);
    }

    #[test]
    fn manual_moves() {
        let start = OffsetDateTime::now_utc();
        let mut user = SimulatedUser::new(&UserBehaviour::Manual, start, at(start, 10_000));
        assert_eq!(user.open(at(start, 10)), Ok(Stage::InProgress));
        assert_eq!(user.progress(at(start, 20)), Stage::InProgress);
        assert_eq!(
            user.complete(at(start, 30)),
            Ok(Stage::Completed { at: at(start, 30) })
        );
        assert!(user.expire(at(start, 40)).is_err());
        assert!(user.open(at(start, 40)).is_err());

        let mut other = SimulatedUser::new(&UserBehaviour::Manual, start, at(start, 10_000));
        assert_eq!(other.expire(at(start, 5)), Ok(Stage::Expired));
        assert_eq!(other.progress(at(start, 6)), Stage::Expired);
        assert_eq!(other.complete(at(start, 7)), Err(Stage::Expired));
    }

    #[test]
    fn a_decline_is_never_signed_and_expires() {
        let start = OffsetDateTime::now_utc();
        let user = SimulatedUser::new(
            &UserBehaviour::Declines {
                after: Duration::from_millis(100),
            },
            start,
            at(start, 1000),
        );
        assert_eq!(user.progress(at(start, 99)), Stage::Requested);
        assert_eq!(user.declined_by(at(start, 99)), None);
        assert_eq!(user.progress(at(start, 100)), Stage::InProgress);
        assert_eq!(user.declined_by(at(start, 500)), Some(at(start, 100)));
        assert_eq!(user.progress(at(start, 1000)), Stage::Expired);

        let mut manual = SimulatedUser::new(&UserBehaviour::Manual, start, at(start, 1000));
        assert_eq!(manual.decline(at(start, 10)), Ok(Stage::InProgress));
        assert_eq!(manual.complete(at(start, 20)), Err(Stage::InProgress));
        assert_eq!(manual.progress(at(start, 30)), Stage::InProgress);
        // A plan to sign later than the decline does not count either.
        let mut late = SimulatedUser::new(
            &UserBehaviour::completes(Duration::ZERO, Duration::from_millis(50)),
            start,
            at(start, 1000),
        );
        assert_eq!(late.decline(at(start, 10)), Ok(Stage::InProgress));
        assert_eq!(late.progress(at(start, 60)), Stage::InProgress);
    }

    #[test]
    fn opens_and_lets_expire() {
        let start = OffsetDateTime::now_utc();
        let user = SimulatedUser::new(
            &UserBehaviour::OpensAndExpires {
                open_after: Duration::from_millis(10),
            },
            start,
            at(start, 1000),
        );
        assert_eq!(user.progress(at(start, 9)), Stage::Requested);
        assert_eq!(user.progress(at(start, 10)), Stage::InProgress);
        assert_eq!(user.progress(at(start, 1000)), Stage::Expired);
    }

    #[test]
    fn ci_and_di_are_stable_and_shaped_like_real_ones() {
        let signer = |name: &str| Signer::Personal {
            name: Zeroizing::new(name.to_owned()),
            phone: Zeroizing::new("01012345678".to_owned()),
            birthday: Zeroizing::new("19900101".to_owned()),
        };
        let a = Person::of(&signer("홍길동"));
        let b = Person::of(&signer("홍길동"));
        let c = Person::of(&signer("김철수"));
        let (ci, di) = a.ci_di.clone().unwrap();
        assert_eq!(ci.len(), 88);
        assert_eq!(di.len(), 64);
        assert_eq!(a.ci_di.as_ref().map(|p| p.0.clone()), b.ci_di.map(|p| p.0));
        assert_ne!(Some(ci), c.ci_di.map(|p| p.0));

        let fixed = Person::of(&Signer::Ci {
            ci: Zeroizing::new("some-ci".to_owned()),
        });
        assert_eq!(*fixed.name, TEST_PERSON_NAME);
        assert!(fixed.ci_di.is_none());
        assert_eq!(*fixed.identity_key, "some-ci");
    }
}

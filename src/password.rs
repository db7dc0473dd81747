//! Console passwords on the access keys' path: when a user's password is
//! listed in the owner's notice, at which stage, and as what.
//!
//! Pure, like [`decision`](crate::decision): the caller passes what IAM
//! says of the password (the credential report's columns in the sweep;
//! GetUser and GetLoginProfile for a Config event) and the account's
//! password policy. A listed password is a [`DueKey`] whose `id` is
//! `password:USERID` and whose [`Credential`] is the console password, so
//! the ledger, the stages, the owner's one mail, the digest, the
//! exemptions, the announced date and the cap treat it as they treat a
//! key.
//!
//! The rules, in the order they are applied:
//!
//! 1. **Only a user's own password.** A user without a login profile has
//!    nothing listed; the root user never is (the report's
//!    `<root_account>` row is not a user).
//! 2. **Unused** (`UNUSED_PASSWORD_DAYS`, 0 = off): a password whose last
//!    use, or when never used its last change, is that many calendar days
//!    or more before today is unused, by the rules of
//!    [`unused`](crate::unused) (one stage per unused period,
//!    `password_unused_since_<date>`). A password IAM cannot date (no last
//!    use and no last change) is never unused: no notice rests on a guess.
//! 3. **Expiry** (`PASSWORD_NOTICE_DAYS`, empty = off): with an account
//!    password policy that has `MaxPasswordAge`, the password expires at
//!    the report's `password_next_rotation`, or else its last change plus
//!    `MaxPasswordAge`. No policy, no `MaxPasswordAge`, or no date IAM
//!    gives (`N/A`, `not_supported`): no expiry, and nothing is sent. A
//!    password expiring within a tier N (N or fewer days left, N from the
//!    list) is listed at the closest such tier, once per tier and expiry
//!    date (`password_expires_<date>_tier_<n>`): a password changed since
//!    has another date. An expired password is not listed (there is
//!    nothing left to do before the date).
//! 4. **Both.** An unused password that also expires is listed once, for
//!    its unused period (the one removal applies to); the notice still
//!    gives its expiry.
//! 5. **Removal** (`ENFORCE_UNUSED_PASSWORDS`) is enforcement's: the rules
//!    of [`enforcement`](crate::enforcement) for an unused key, with
//!    DeleteLoginProfile for UpdateAccessKey; nothing else about the user
//!    is ever changed.

use chrono::{DateTime, Duration, Utc};

use crate::decision::Policy;
use crate::model::{
    ConsolePassword, Credential, DaysLeft, DueKey, PasswordExpiry, PasswordFacts, PasswordPolicy,
    Stage, clamp_days,
};
use crate::unused;

/// The ledger's name for a user's console password: `password:USERID`
/// (the UserId is stable across renames; an access key id never starts
/// so).
pub fn subject(user_id: &str) -> String {
    format!("password:{user_id}")
}

/// Rules 1 to 4: the password of the user `user_id` as the notice lists
/// it, or `None`.
pub fn due_password(
    policy: &Policy,
    account: Option<&PasswordPolicy>,
    user_id: &str,
    password: &ConsolePassword,
    now: DateTime<Utc>,
) -> Option<DueKey> {
    let today = policy.date_of(now);
    let tz = policy.time_zone;
    let unused = password.last_changed.and_then(|changed| {
        unused::unused(
            policy.unused_password_days,
            true,
            changed,
            Some(&password.last_used),
            today,
            tz,
        )
    });
    let expiry = expiry(policy, account, password, now);
    let tier = expiry.as_ref().and_then(|e| tier(policy, e.days));
    let stage = match (&unused, &expiry, tier) {
        (Some(u), _, _) => Stage::PasswordUnused(u.period),
        (None, Some(e), Some(tier)) => Stage::PasswordExpiry {
            expires: e.date,
            tier,
        },
        _ => return None,
    };
    let created = password
        .last_changed
        .or(password.last_used.time)
        .unwrap_or(now);
    // Without an expiry a password has no deadline: it is due now (what
    // the ledger keeps of it is kept from now), and the views print its
    // expiry, or nothing.
    let deadline = expiry.map_or(now, |e| e.at);
    let created_date = policy.date_of(created);
    let deadline_date = policy.date_of(deadline);
    Some(DueKey {
        id: subject(user_id),
        created,
        deadline,
        created_date,
        deadline_date,
        days: DaysLeft::between(today, deadline_date),
        age_days: clamp_days((today - created_date).num_days()),
        stage,
        deactivation_from: None,
        for_unused: unused.is_some(),
        unused,
        last_used: Some(password.last_used.clone()),
        rotation: None,
        credential: Credential::ConsolePassword(PasswordFacts { expiry }),
    })
}

/// Rule 3: when the password expires, if the account's policy dates it.
fn expiry(
    policy: &Policy,
    account: Option<&PasswordPolicy>,
    password: &ConsolePassword,
    now: DateTime<Utc>,
) -> Option<PasswordExpiry> {
    let account = account?;
    let max_age = account.max_age_days?;
    let at = password.next_rotation.or_else(|| {
        password
            .last_changed
            .map(|t| t + Duration::days(i64::from(max_age)))
    })?;
    let date = policy.date_of(at);
    Some(PasswordExpiry {
        at,
        date,
        days: DaysLeft::between(policy.date_of(now), date),
        hard: account.hard_expiry,
    })
}

/// Rule 3: the closest tier the password is within, before it expires.
fn tier(policy: &Policy, days: DaysLeft) -> Option<u32> {
    if days.is_overdue() {
        return None;
    }
    policy
        .password_notice_days
        .iter()
        .copied()
        .filter(|n| days.remaining() <= *n)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LastUsed;
    use chrono::{NaiveDate, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
    }

    fn policy(notice: &[u32], unused_days: u32) -> Policy {
        let mut p = crate::config::Config::from_lookup(|k| {
            (k == "SENDER_ADDRESS").then(|| "n@example.com".to_string())
        })
        .unwrap()
        .policy;
        p.password_notice_days = notice.to_vec();
        p.unused_password_days = unused_days;
        p
    }

    fn password(changed_days_ago: i64, used_days_ago: Option<i64>) -> ConsolePassword {
        ConsolePassword {
            last_used: LastUsed {
                time: used_days_ago.map(|d| now() - Duration::days(d)),
                ..LastUsed::default()
            },
            last_changed: Some(now() - Duration::days(changed_days_ago)),
            next_rotation: None,
        }
    }

    const NINETY: PasswordPolicy = PasswordPolicy {
        max_age_days: Some(90),
        hard_expiry: true,
    };

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    #[test]
    fn an_expiring_password_is_listed_at_its_closest_tier_once_per_expiry_date() {
        let p = policy(&[14, 7], 0);
        let stage = |changed| {
            due_password(
                &p,
                Some(&NINETY),
                "AIDAX",
                &password(changed, Some(1)),
                now(),
            )
            .map(|k| k.stage)
        };
        assert_eq!(stage(70), None, "20 days left: no tier yet");
        assert_eq!(
            stage(76),
            Some(Stage::PasswordExpiry {
                expires: date(12, 7),
                tier: 14
            })
        );
        assert_eq!(
            stage(85),
            Some(Stage::PasswordExpiry {
                expires: date(11, 28),
                tier: 7
            })
        );
        assert_eq!(
            stage(90).map(|s| s.code()).as_deref(),
            Some("password_expires_2026-11-23_tier_7")
        );
        assert_eq!(
            stage(91),
            None,
            "expired: nothing left to tell before the date"
        );
        // The report's next rotation wins over the last change.
        let mut pw = password(10, Some(1));
        pw.next_rotation = Some(now() + Duration::days(3));
        let k = due_password(&p, Some(&NINETY), "AIDAX", &pw, now()).unwrap();
        assert_eq!(k.id, "password:AIDAX");
        assert_eq!(k.deadline_date, date(11, 26));
        let Credential::ConsolePassword(facts) = &k.credential else {
            panic!()
        };
        assert!(facts.expiry.unwrap().hard);
    }

    #[test]
    fn no_policy_no_max_age_or_no_date_means_no_expiry_notice() {
        let p = policy(&[14, 7], 0);
        let pw = password(85, Some(1));
        assert_eq!(due_password(&p, None, "AIDAX", &pw, now()), None);
        let never = PasswordPolicy {
            max_age_days: None,
            hard_expiry: false,
        };
        assert_eq!(due_password(&p, Some(&never), "AIDAX", &pw, now()), None);
        let undated = ConsolePassword {
            last_changed: None,
            ..pw.clone()
        };
        assert_eq!(
            due_password(&p, Some(&NINETY), "AIDAX", &undated, now()),
            None
        );
        assert_eq!(
            due_password(&policy(&[], 0), Some(&NINETY), "AIDAX", &pw, now()),
            None,
            "PASSWORD_NOTICE_DAYS off"
        );
    }

    #[test]
    fn an_unused_password_is_listed_for_its_period_and_says_when_it_expires() {
        let p = policy(&[14, 7], 90);
        // Set 120 days ago, last used 95 days ago: unused since then, and
        // expiring in 10 days under a 130-day policy.
        let long = PasswordPolicy {
            max_age_days: Some(130),
            hard_expiry: false,
        };
        let k = due_password(&p, Some(&long), "AIDAX", &password(120, Some(95)), now()).unwrap();
        assert_eq!(k.stage, Stage::PasswordUnused(date(8, 20)));
        assert!(k.listed_unused());
        assert_eq!(k.unused.as_ref().unwrap().days, 95);
        let Credential::ConsolePassword(facts) = &k.credential else {
            panic!()
        };
        assert_eq!(
            facts.expiry.unwrap().date,
            date(12, 3),
            "its expiry, told too"
        );
        // Never used: counted from its last change.
        let never = due_password(&p, None, "AIDAX", &password(100, None), now()).unwrap();
        assert_eq!(never.stage, Stage::PasswordUnused(date(8, 15)));
        // Used recently: nothing.
        assert_eq!(
            due_password(&p, None, "AIDAX", &password(100, Some(3)), now()),
            None
        );
        assert_eq!(
            never.password_clock_stage(),
            Some(Stage::PasswordUnused(date(8, 15)))
        );
    }
}

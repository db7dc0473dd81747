//! The Organization's digest: one mail to `DIGEST_RECIPIENTS` after the
//! day's per-account sweeps, every account served on one page, worst
//! first ([`worst_first`]), with the accounts whose sweep left no summary
//! at the top.

use crate::outcome::summary::{AccountState, AccountSummary, worst_first};

/// What the Organization's digest says.
#[derive(Debug, Clone)]
pub(crate) struct OrganizationView {
    pub today: String,
    pub time_zone: String,
    pub dry_run: bool,
    pub accounts: usize,
    pub not_swept: Vec<String>,
    pub swept: Vec<AccountSummary>,
    pub overdue: usize,
    pub within_tier: usize,
    pub notices_sent: usize,
    pub deactivated: usize,
    pub users_failed: usize,
    pub rotated: usize,
    pub rotations_blocked: usize,
    pub rotations_failed: usize,
    /// Keys listed as unused, in every account.
    pub unused: usize,
    /// The accounts whose root user has an active access key.
    pub root_keys: Vec<String>,
}

impl OrganizationView {
    /// The view of `states`, ordered worst first.
    pub(crate) fn new(
        mut states: Vec<AccountState>,
        today: &str,
        time_zone: &str,
        dry_run: bool,
    ) -> Self {
        worst_first(&mut states);
        let mut view = OrganizationView {
            today: today.to_string(),
            time_zone: time_zone.to_string(),
            dry_run,
            accounts: states.len(),
            not_swept: Vec::new(),
            swept: Vec::new(),
            overdue: 0,
            within_tier: 0,
            notices_sent: 0,
            deactivated: 0,
            users_failed: 0,
            rotated: 0,
            rotations_blocked: 0,
            rotations_failed: 0,
            unused: 0,
            root_keys: Vec::new(),
        };
        for state in states {
            match state {
                AccountState::NotSwept { account } => view.not_swept.push(account),
                AccountState::Swept(s) => {
                    view.overdue += s.overdue;
                    view.within_tier += s.within_tier;
                    view.notices_sent += s.notices_sent;
                    view.deactivated += s.deactivated;
                    view.users_failed += s.users_failed;
                    view.rotated += s.rotated;
                    view.rotations_blocked += s.rotations_blocked;
                    view.rotations_failed += s.rotations_failed;
                    view.unused += s.unused;
                    if s.root_key_active {
                        view.root_keys.push(s.label.clone());
                    }
                    view.swept.push(s);
                }
            }
        }
        view
    }
}

super::localized_mail!(
    OrganizationView,
    d,
    en: ["org_digest/en/subject.txt", "org_digest/en/body.txt", "org_digest/en/body.html"],
    ja: ["org_digest/ja/subject.txt", "org_digest/ja/body.txt", "org_digest/ja/body.html"],
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Locale;

    fn swept(account: &str, unused: usize, root_key_active: bool) -> AccountState {
        AccountState::Swept(AccountSummary {
            account: account.into(),
            label: account.into(),
            users: 10,
            keys: 10,
            overdue: 0,
            most_days_overdue: 0,
            within_tier: 0,
            notices_sent: 0,
            deactivated: 0,
            owner_problems: 0,
            users_failed: 0,
            rotated: 0,
            rotations_blocked: 0,
            rotations_failed: 0,
            unused,
            root_key_active,
            worst: Vec::new(),
        })
    }

    #[test]
    fn the_organization_s_digest_counts_unused_keys_and_names_each_active_root_key() {
        let states = vec![
            swept("111111111111", 3, false),
            swept("222222222222", 2, true),
        ];
        let view = OrganizationView::new(states, "2026-12-04", "UTC", false);
        assert_eq!(view.unused, 5);
        assert_eq!(view.root_keys, vec!["222222222222".to_string()]);
        for locale in [Locale::En, Locale::Ja] {
            let mail = render(&view, locale).unwrap();
            assert!(mail.text.contains("222222222222"), "{}", mail.text);
            let (unused, root) = match locale {
                Locale::En => (
                    "5 unused keys",
                    "THE ROOT USER OF 222222222222 HAS AN ACTIVE ACCESS KEY",
                ),
                Locale::Ja => (
                    "未使用のキー 5 件",
                    "222222222222 のルートユーザーに有効なアクセスキーがあります",
                ),
            };
            assert!(mail.text.contains(unused), "{}", mail.text);
            assert!(mail.text.contains(root), "{}", mail.text);
            assert!(mail.html.contains("has an active access key") || locale == Locale::Ja);
        }
    }

    #[test]
    fn the_organization_s_chat_summary_lists_accounts_worst_first_and_each_root_key() {
        let mut worse = swept("333333333333", 0, false);
        if let AccountState::Swept(s) = &mut worse {
            s.overdue = 4;
        }
        let states = vec![
            swept("111111111111", 3, false),
            worse,
            swept("222222222222", 2, true),
            AccountState::NotSwept {
                account: "444444444444".into(),
            },
        ];
        let view = OrganizationView::new(states, "2026-12-04", "UTC", false);
        for locale in [Locale::En, Locale::Ja] {
            let m = crate::views::chat::organization(&view, locale);
            let title = m["content"]["title"].as_str().unwrap();
            let text = m["content"]["description"].as_str().unwrap();
            assert!(title.contains('4') && title.contains('5'), "{title}");
            let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s} in {text}"));
            assert!(at("`444444444444`") < at("`333333333333` "), "{text}");
            assert!(at("`333333333333` ") < at("`111111111111` "), "{text}");
            let root = match locale {
                Locale::En => "The root user of `222222222222` has an active access key",
                Locale::Ja => "`222222222222` のルートユーザーに有効なアクセスキーがあります",
            };
            assert!(text.contains(root), "{text}");
            assert_eq!(
                m["metadata"]["threadId"],
                "access-key-notifier-organization-2026-12-04"
            );
        }
    }
}

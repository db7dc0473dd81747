//! Email address validation for values that come from outside: IAM user tags
//! (writable by anyone with `iam:TagUser`) and the function's configuration.
//!
//! An address is accepted only when it is exactly one plain mailbox:
//! `local@domain.tld`, ASCII (SES requires 7-bit addresses), at most 254
//! characters with a local part of at most 64, no display name, no list, no
//! header tricks (CR/LF, encoded words), no domain literal, no old relay
//! route in the local part (`%` and `!` route mail on to another domain,
//! past `ALLOWED_RECIPIENT_DOMAINS`), and a domain that is a hostname:
//! letters, digits and hyphens in dot-separated labels, under a top-level
//! label of letters (or an IDN `xn--` label), never an IP address.
//! Surrounding
//! spaces are trimmed: they are a common slip when tags are typed by hand.
//! Syntax is checked by the `email_address` crate after the cheaper checks
//! that name a precise reason.

use std::fmt;

use email_address::{EmailAddress, Options};

/// RFC 5321 limits.
const MAX_ADDRESS_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;

/// A validated, lower-cased-domain mailbox address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(String);

impl Address {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain part, lower case.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }

    /// Case-insensitive identity, used to drop duplicates between To and Cc.
    pub(crate) fn same_mailbox(&self, other: &Address) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Why a value is not accepted as an address. The code is logged instead of
/// the raw value, which may be hostile or personal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Empty,
    TooLong,
    ControlCharacter,
    NonAscii,
    MultipleAddresses,
    DisplayName,
    EncodedWord,
    RelayRoute,
    InvalidDomain,
    InvalidSyntax,
    DomainNotAllowed,
}

impl Rejection {
    pub fn code(self) -> &'static str {
        match self {
            Rejection::Empty => "empty",
            Rejection::TooLong => "too_long",
            Rejection::ControlCharacter => "control_character",
            Rejection::NonAscii => "non_ascii",
            Rejection::MultipleAddresses => "multiple_addresses",
            Rejection::DisplayName => "display_name",
            Rejection::EncodedWord => "encoded_word",
            Rejection::RelayRoute => "relay_route",
            Rejection::InvalidDomain => "invalid_domain",
            Rejection::InvalidSyntax => "invalid_syntax",
            Rejection::DomainNotAllowed => "domain_not_allowed",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Parses one plain mailbox address (see the module doc for the rules).
pub fn parse(raw: &str) -> Result<Address, Rejection> {
    // Checked on the raw value so that "a@b.com\r\nBcc: x" is named for what it is.
    if raw.chars().any(char::is_control) {
        return Err(Rejection::ControlCharacter);
    }
    let value = raw.trim_matches(' ');
    if value.is_empty() {
        return Err(Rejection::Empty);
    }
    if value.len() > MAX_ADDRESS_LEN {
        return Err(Rejection::TooLong);
    }
    if !value.is_ascii() {
        return Err(Rejection::NonAscii);
    }
    if value.contains("=?") {
        return Err(Rejection::EncodedWord);
    }
    if value.contains(['<', '>', '"']) {
        return Err(Rejection::DisplayName);
    }
    if value.contains([',', ';', ' ', '\t']) || value.matches('@').count() > 1 {
        return Err(Rejection::MultipleAddresses);
    }
    if value
        .split_once('@')
        .is_some_and(|(local, _)| local.len() > MAX_LOCAL_LEN)
    {
        return Err(Rejection::TooLong);
    }
    if let Some((local, domain)) = value.split_once('@') {
        if local.contains(['%', '!']) {
            return Err(Rejection::RelayRoute);
        }
        if !is_hostname(domain) {
            return Err(Rejection::InvalidDomain);
        }
    }
    let options = Options::default()
        .without_display_text()
        .without_domain_literal()
        .with_required_tld();
    let parsed =
        EmailAddress::parse_with_options(value, options).map_err(|_| Rejection::InvalidSyntax)?;
    Ok(Address(format!(
        "{}@{}",
        parsed.local_part(),
        parsed.domain().to_ascii_lowercase()
    )))
}

/// Whether `domain` is a hostname mail can go to: at most 253 characters,
/// two or more labels of 1-63 letters, digits and inner hyphens (LDH), the
/// last one letters only or an IDN A-label (`xn--…`), so no IP address.
pub(crate) fn is_hostname(domain: &str) -> bool {
    let ldh = |label: &str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    // ASCII first: the `xn--` test below slices bytes.
    if !domain.is_ascii() {
        return false;
    }
    let Some((_, top)) = domain.rsplit_once('.') else {
        return false;
    };
    let top_ok = (top.len() >= 2 && top.bytes().all(|b| b.is_ascii_alphabetic()))
        || (top.len() > 4 && top[..4].eq_ignore_ascii_case("xn--") && ldh(top));
    domain.len() <= 253 && top_ok && domain.split('.').all(ldh)
}

/// Parses an address that must also belong to one of `allowed_domains`
/// (exact, case-insensitive domain match; an empty list allows any domain).
pub fn parse_within(raw: &str, allowed_domains: &[String]) -> Result<Address, Rejection> {
    let address = parse(raw)?;
    if allowed_domains.is_empty() || allowed_domains.iter().any(|d| d == address.domain()) {
        Ok(address)
    } else {
        Err(Rejection::DomainNotAllowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_plain_address_and_lowercases_only_the_domain() {
        let a = parse(" Alice.Smith+keys@Example.COM ").unwrap();
        assert_eq!(a.as_str(), "Alice.Smith+keys@example.com");
        assert_eq!(a.domain(), "example.com");
    }

    #[test]
    fn rejects_each_hostile_or_malformed_form_with_its_reason() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_total = format!("a@{}.com", "b".repeat(250));
        let cases: &[(&str, Rejection)] = &[
            ("", Rejection::Empty),
            ("   ", Rejection::Empty),
            (
                "alice@example.com\r\nBcc: eve@evil.test",
                Rejection::ControlCharacter,
            ),
            ("alice@example.com\n", Rejection::ControlCharacter),
            ("alice@example.com\0", Rejection::ControlCharacter),
            (
                "alice@example.com, eve@evil.test",
                Rejection::MultipleAddresses,
            ),
            (
                "alice@example.com;eve@evil.test",
                Rejection::MultipleAddresses,
            ),
            (
                "alice@example.com eve@evil.test",
                Rejection::MultipleAddresses,
            ),
            ("alice@eve@example.com", Rejection::MultipleAddresses),
            ("Alice <alice@example.com>", Rejection::DisplayName),
            ("<alice@example.com>", Rejection::DisplayName),
            ("\"alice\"@example.com", Rejection::DisplayName),
            ("=?utf-8?q?eve?=@example.com", Rejection::EncodedWord),
            ("ålice@example.com", Rejection::NonAscii),
            ("alice@例え.jp", Rejection::NonAscii),
            ("alice", Rejection::InvalidSyntax),
            ("alice@localhost", Rejection::InvalidDomain),
            ("alice@[127.0.0.1]", Rejection::InvalidDomain),
            ("@example.com", Rejection::InvalidSyntax),
            ("alice@", Rejection::InvalidDomain),
            ("alice@127.0.0.1", Rejection::InvalidDomain),
            ("alice@example.123", Rejection::InvalidDomain),
            ("alice@ex_ample.com", Rejection::InvalidDomain),
            ("alice@example.c-m", Rejection::InvalidDomain),
            ("alice@-example.com", Rejection::InvalidDomain),
            ("alice@example-.com", Rejection::InvalidDomain),
            ("alice@example..com", Rejection::InvalidDomain),
            ("alice@example.com.", Rejection::InvalidDomain),
            ("alice@.example.com", Rejection::InvalidDomain),
            ("alice@example.c", Rejection::InvalidDomain),
            ("alice%evil.example@example.com", Rejection::RelayRoute),
            ("evil.example!alice@example.com", Rejection::RelayRoute),
            (long_local.as_str(), Rejection::TooLong),
            (long_total.as_str(), Rejection::TooLong),
        ];
        for (raw, want) in cases {
            assert_eq!(parse(raw), Err(*want), "input {raw:?}");
        }
    }

    #[test]
    fn a_non_ascii_domain_is_not_a_hostname() {
        // Configuration values reach is_hostname without the ASCII check of
        // parse; a multi-byte character where `xn--` would be is refused.
        for domain in ["example.xéé", "example.日本", "例え.jp"] {
            assert!(!is_hostname(domain), "{domain}");
        }
    }

    #[test]
    fn hostnames_of_every_real_shape_are_accepted() {
        for ok in [
            "bob@example.com",
            "bob@mail.example.co.jp",
            "bob@xn--r8jz45g.xn--zckzah",
            "bob@a-b.example.museum",
            "bob@123.example.com",
            "bob@EXAMPLE.COM",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn allowed_domains_match_exactly_and_case_insensitively() {
        let allowed = vec!["example.com".to_string()];
        assert!(parse_within("bob@EXAMPLE.com", &allowed).is_ok());
        assert_eq!(
            parse_within("bob@mail.example.com", &allowed),
            Err(Rejection::DomainNotAllowed)
        );
        assert_eq!(
            parse_within("bob@example.com.evil.test", &allowed),
            Err(Rejection::DomainNotAllowed)
        );
        assert!(parse_within("bob@anywhere.test", &[]).is_ok());
    }
}

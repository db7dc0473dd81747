//! The rotation section: `ROTATE`, `ROTATE_TAG`, `ROTATE_SECRET_PREFIX`,
//! `ROTATE_KMS_KEY_ID` (rotation for machine users, `rotation`).

use super::{ConfigError, err, parse_tag_key};
use crate::mask::quote;
use crate::rotation::RotationSettings;

/// The rotation variables, checked. `ROTATE` (`true`, `false` or
/// `dry_run`) needs the ledger: one rotation per old key is claimed in it
/// before anything is created.
pub(super) fn rotation(
    get: &impl Fn(&str) -> Option<String>,
    ledger_table: Option<&str>,
) -> Result<RotationSettings, ConfigError> {
    let mode = super::mode_with_ledger(
        get,
        "ROTATE",
        ledger_table,
        "each old key is rotated once, claimed in the ledger before anything is created",
    )?;
    let tag = parse_tag_key(
        "ROTATE_TAG",
        get("ROTATE_TAG"),
        RotationSettings::DEFAULT_TAG,
    )?;
    let secret_prefix = match get("ROTATE_SECRET_PREFIX") {
        None => RotationSettings::DEFAULT_SECRET_PREFIX.to_string(),
        Some(v) => {
            let v = v.trim().to_string();
            // Secrets Manager names: letters, digits and /_+=.@-, at most
            // 512 characters (its CreateSecret `Name`); the account and the
            // user name (at most 12 + 1 + 3 × 64) follow the prefix.
            let ok = (1..=256).contains(&v.len())
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
            if !ok {
                return Err(err(
                    "ROTATE_SECRET_PREFIX",
                    format!(
                        "`{}` is not a Secrets Manager name prefix (1 to 256 of letters, digits and /_+=.@-)",
                        quote(&v)
                    ),
                    "access-key-notifier/",
                ));
            }
            v
        }
    };
    let kms_key_id = match get("ROTATE_KMS_KEY_ID") {
        None => None,
        Some(v) => {
            let v = v.trim().to_string();
            // A key id, a key ARN, an alias name or an alias ARN.
            let ok = (1..=2048).contains(&v.len())
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ":/_-".contains(c));
            if !ok {
                return Err(err(
                    "ROTATE_KMS_KEY_ID",
                    format!("`{}` is not a KMS key id, ARN or alias", quote(&v)),
                    "alias/access-key-notifier",
                ));
            }
            Some(v)
        }
    };
    Ok(RotationSettings {
        mode,
        tag,
        secret_prefix,
        kms_key_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enforcement::EnforceMode;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> Result<RotationSettings, ConfigError> {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        let ledger = map.get("LEDGER_TABLE").map(|s| s.to_string());
        rotation(&|k| map.get(k).map(|v| v.to_string()), ledger.as_deref())
    }

    #[test]
    fn rotation_is_off_by_default_and_reads_every_variable() {
        assert_eq!(read(&[]).unwrap(), RotationSettings::off());
        let s = read(&[
            ("ROTATE", " True "),
            ("LEDGER_TABLE", "akn-ledger"),
            ("ROTATE_TAG", "MachineUser"),
            ("ROTATE_SECRET_PREFIX", "ci/keys/"),
            (
                "ROTATE_KMS_KEY_ID",
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            ),
        ])
        .unwrap();
        assert_eq!(s.mode, EnforceMode::On);
        assert_eq!(s.tag, "MachineUser");
        assert_eq!(s.secret_prefix, "ci/keys/");
        assert!(s.kms_key_id.unwrap().ends_with("1234567890ab"));
        let dry = read(&[("ROTATE", "dry_run"), ("LEDGER_TABLE", "t")]).unwrap();
        assert_eq!(dry.mode, EnforceMode::DryRun);
    }

    #[test]
    fn each_bad_value_is_refused_naming_its_variable_and_an_example() {
        for (vars, variable, example) in [
            (vec![("ROTATE", "yes")], "ROTATE", "dry_run"),
            (vec![("ROTATE", "true")], "ROTATE", "dry_run"),
            (
                vec![("ROTATE_SECRET_PREFIX", "keys with spaces/")],
                "ROTATE_SECRET_PREFIX",
                "access-key-notifier/",
            ),
            (
                vec![("ROTATE_KMS_KEY_ID", "alias/keys;drop")],
                "ROTATE_KMS_KEY_ID",
                "alias/access-key-notifier",
            ),
        ] {
            let e = read(&vars).unwrap_err();
            assert_eq!((e.variable, e.example), (variable, example), "{vars:?}");
        }
        let e = read(&[("ROTATE", "true")]).unwrap_err();
        assert!(e.problem.contains("LEDGER_TABLE"), "{}", e.problem);
        let long = "p".repeat(257);
        assert_eq!(
            read(&[("ROTATE_SECRET_PREFIX", long.as_str())])
                .unwrap_err()
                .variable,
            "ROTATE_SECRET_PREFIX"
        );
    }
}

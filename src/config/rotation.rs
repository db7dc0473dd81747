//! The rotation section: `ROTATE`, `ROTATE_TAG`, `ROTATE_SECRET_PREFIX`,
//! `ROTATE_KMS_KEY_ID` (rotation for machine users, `rotation`).

use super::{ConfigError, err, parse_tag_key};
use crate::enforcement::EnforceMode;
use crate::mask::quote;
use crate::rotation::RotationSettings;

/// The rotation variables, checked. `ROTATE` (`true`, `false` or
/// `dry_run`) needs the ledger: one rotation per old key is claimed in it
/// before anything is created.
pub(super) fn rotation(
    get: &impl Fn(&str) -> Option<String>,
    ledger_table: Option<&str>,
) -> Result<RotationSettings, ConfigError> {
    let mode = match get("ROTATE").map(|v| v.trim().to_ascii_lowercase()) {
        None => EnforceMode::Off,
        Some(v) if v == "true" => EnforceMode::On,
        Some(v) if v == "false" => EnforceMode::Off,
        Some(v) if v == "dry_run" => EnforceMode::DryRun,
        Some(v) => {
            return Err(err(
                "ROTATE",
                format!("`{}` is not true, false or dry_run", quote(&v)),
                "dry_run",
            ));
        }
    };
    if mode != EnforceMode::Off && ledger_table.is_none() {
        return Err(err(
            "ROTATE",
            "needs the notice ledger (LEDGER_TABLE): each old key is rotated once, claimed in the ledger before anything is created",
            "dry_run",
        ));
    }
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

//! Damaged answers, adapter by adapter: an answer that lacks a part the
//! service always sends is a retryable error in every adapter, never a
//! default that looks safe ("never used", "nobody is exempt", "no such
//! account"). The real SDK clients talk HTTP to the stand-in endpoint
//! (`tests/common/standin.rs`), which answers each operation as the test
//! says.

mod common;

use access_key_notifier::aws::accounts::IamAccounts;
use access_key_notifier::aws::dynamodb::DynamoDbLedger;
use access_key_notifier::aws::iam::IamDirectory;
use access_key_notifier::aws::sns::SnsChat;
use access_key_notifier::aws::ssm::SsmExemptionSource;
use access_key_notifier::aws::{self, MAX_RESPONSE_BYTES};
use access_key_notifier::credential_report::MAX_ANSWER_BYTES;
use access_key_notifier::error::Error;
use access_key_notifier::exemption::ExemptionListing;
use access_key_notifier::ports::accounts::Accounts;
use access_key_notifier::ports::channel::ChatChannel;
use access_key_notifier::ports::directory::UserDirectory;
use access_key_notifier::ports::exemptions::{ExemptionSource, Exemptions};
use access_key_notifier::ports::ledger::{ClaimRequest, NoticeKey, NoticeLedger};
use chrono::{Duration, Utc};
use common::rfc3339;
use common::standin::{ALICE_KEY, Call, Reply, StandIn, iam_ok};

/// The stand-in answering `action` with `reply`, everything else healthy.
fn only(action: &'static str, reply: impl Fn(&Call) -> Reply + Send + Sync + 'static) -> StandIn {
    StandIn::start(move |call| (call.action == action).then(|| reply(call)))
}

async fn directory(standin: &StandIn) -> IamDirectory {
    let sdk = standin.sdk_config().await;
    IamDirectory::new(aws::iam_client(&sdk), aws::sts_client(&sdk))
}

/// A retryable error of `service` `operation` that mentions `needle`.
fn damaged<T: std::fmt::Debug>(result: Result<T, Error>, error_type: &str, needle: &str) {
    let e = result.expect_err("a damaged answer is an error");
    assert!(e.is_retryable(), "{e}");
    assert_eq!(e.error_type(), error_type, "{e}");
    assert!(e.to_string().contains(needle), "{e}");
}

#[tokio::test]
async fn a_last_use_answer_without_its_record_is_damaged_never_never_used() {
    // Without AccessKeyLastUsed: read as "never used", a key in daily use
    // would be unused since its creation, and its re-read before a
    // deactivation would agree.
    let missing = only("GetAccessKeyLastUsed", |_| {
        iam_ok("GetAccessKeyLastUsed", "<UserName>alice</UserName>")
    });
    damaged(
        directory(&missing).await.last_used(ALICE_KEY).await,
        "Retryable.IamError",
        "no AccessKeyLastUsed",
    );
    // With the record but neither a date nor IAM's "N/A" of a key never used.
    let blank = only("GetAccessKeyLastUsed", |_| {
        iam_ok(
            "GetAccessKeyLastUsed",
            "<UserName>alice</UserName><AccessKeyLastUsed><ServiceName></ServiceName><Region></Region></AccessKeyLastUsed>",
        )
    });
    damaged(
        directory(&blank).await.last_used(ALICE_KEY).await,
        "Retryable.IamError",
        "neither a LastUsedDate",
    );
    // IAM's own answer for a key never used is read as such.
    let never = only("GetAccessKeyLastUsed", |_| {
        iam_ok(
            "GetAccessKeyLastUsed",
            "<UserName>alice</UserName><AccessKeyLastUsed><ServiceName>N/A</ServiceName><Region>N/A</Region></AccessKeyLastUsed>",
        )
    });
    let used = directory(&never).await.last_used(ALICE_KEY).await.unwrap();
    assert_eq!((used.time, used.service, used.region), (None, None, None));
}

#[tokio::test]
async fn a_key_listed_without_its_status_is_damaged_never_inactive() {
    let standin = only("ListAccessKeys", |_| {
        iam_ok(
            "ListAccessKeys",
            &format!(
                "<AccessKeyMetadata><member><UserName>alice</UserName><AccessKeyId>{ALICE_KEY}</AccessKeyId><CreateDate>{}</CreateDate></member></AccessKeyMetadata><IsTruncated>false</IsTruncated>",
                rfc3339(Utc::now() - Duration::days(120))
            ),
        )
    });
    damaged(
        directory(&standin).await.access_keys("alice").await,
        "Retryable.IamError",
        "without its id, creation date or status",
    );
}

#[tokio::test]
async fn an_exemption_parameter_without_its_value_is_damaged_never_nobody_exempt() {
    let standin = only("GetParameter", |_| {
        Reply::json(
            200,
            r#"{"Parameter":{"Name":"/akn/exempt-users","Type":"StringList","Version":3}}"#,
        )
    });
    let sdk = standin.sdk_config().await;
    let source = SsmExemptionSource::new(aws::ssm_client(&sdk), "/akn/exempt-users");
    damaged(
        source.read().await,
        "Retryable.SsmError",
        "without its value",
    );
    // And the list is unusable (enforcement stops), not an empty one.
    let exemptions = Exemptions::new(Some(source));
    let listing = exemptions.listing(Utc::now()).await;
    assert!(
        matches!(listing, ExemptionListing::Unavailable(_)),
        "{listing:?}"
    );
    assert!(listing.known().is_err());
}

#[tokio::test]
async fn a_publish_answer_without_a_message_id_is_damaged_as_ses_s_is() {
    let standin = only("Publish", |_| {
        Reply::xml(
            200,
            r#"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult></PublishResult><ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></PublishResponse>"#,
        )
    });
    let sdk = standin.sdk_config().await;
    let chat = SnsChat::new(
        aws::sns_client(&sdk),
        "arn:aws:sns:us-east-1:123456789012:akn-chat",
    );
    damaged(
        chat.publish("{}").await,
        "Retryable.SnsError",
        "no message id",
    );
}

#[tokio::test]
async fn an_account_listed_without_its_id_is_damaged_never_left_out() {
    let standin = only("ListAccounts", |_| {
        Reply::json(
            200,
            r#"{"Accounts":[{"Id":"111111111111","Status":"ACTIVE"},{"Status":"ACTIVE","Name":"payments"}]}"#,
        )
    });
    let sdk = standin.sdk_config().await;
    let accounts = IamAccounts::new(&sdk, Some("akn-member"), true, None);
    damaged(
        accounts.organization_accounts().await,
        "Retryable.OrganizationsError",
        "without its id or status",
    );
}

#[tokio::test]
async fn a_failed_claim_without_the_item_that_holds_it_is_damaged() {
    let standin = only("PutItem", |_| {
        Reply::json(
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}"#,
        )
    });
    let sdk = standin.sdk_config().await;
    let ledger = DynamoDbLedger::new(aws::dynamodb_client(&sdk), "akn-ledger");
    let now = Utc::now();
    let key = NoticeKey {
        account: "123456789012".into(),
        access_key_id: ALICE_KEY.into(),
        stage: access_key_notifier::model::Stage::Tier(7),
    };
    let request = ClaimRequest {
        owner: "test".into(),
        now,
        until: now + Duration::seconds(60),
    };
    damaged(
        ledger.claim(&key, &request).await,
        "Retryable.DynamoDbError",
        "without the item",
    );
}

/// GetCredentialReport's answer carrying `csv`, generated now.
fn report_answer(csv: &str) -> Reply {
    iam_ok(
        "GetCredentialReport",
        &format!(
            "<Content>{}</Content><ReportFormat>text/csv</ReportFormat><GeneratedTime>{}</GeneratedTime>",
            aws_smithy_types::base64::encode(csv),
            rfc3339(Utc::now())
        ),
    )
}

/// The stand-in answering the report's two calls, the report being `csv`.
fn serving_report(csv: String) -> StandIn {
    StandIn::start(move |call| match call.action.as_str() {
        "GenerateCredentialReport" => Some(iam_ok(
            "GenerateCredentialReport",
            "<State>COMPLETE</State>",
        )),
        "GetCredentialReport" => Some(report_answer(&csv)),
        _ => None,
    })
}

const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";
const ROOT: &str = "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,no_information,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";

#[tokio::test]
async fn a_credential_report_of_its_header_alone_is_damaged() {
    let standin = serving_report(format!("{HEADER}\n"));
    damaged(
        directory(&standin)
            .await
            .credential_report(Utc::now())
            .await,
        "Retryable.IamError",
        "holds no <root_account> row",
    );
}

#[tokio::test]
async fn a_real_report_of_five_thousand_users_with_long_paths_is_read_whole() {
    // 5,000 users (IAM's quota) whose ARNs carry 512-character paths: more
    // than 3 MiB of CSV, more than the 4 MiB every other answer may be.
    let path = format!("/{}/", "p".repeat(510));
    let mut csv = format!("{HEADER}\n{ROOT}\n");
    for i in 0..5_000 {
        csv.push_str(&format!(
            "user-{i:05},arn:aws:iam::123456789012:user{path}user-{i:05},2025-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2026-08-25T09:00:00+00:00,2026-11-22T10:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
        ));
    }
    let answer = report_answer(&csv).body.len();
    assert!(answer > MAX_RESPONSE_BYTES, "{answer} bytes");
    assert!(answer < MAX_ANSWER_BYTES, "{answer} bytes");
    let standin = serving_report(csv);
    let report = directory(&standin)
        .await
        .credential_report(Utc::now())
        .await
        .unwrap();
    assert_eq!(report.users.len(), 5_000);
    // Every other answer keeps the 4 MiB bound.
    let big = only("GetUser", |_| {
        Reply::xml(200, vec![b'x'; MAX_RESPONSE_BYTES + 1])
    });
    damaged(
        directory(&big).await.user("alice").await,
        "Retryable.IamError",
        &format!("larger than {MAX_RESPONSE_BYTES} bytes"),
    );
}

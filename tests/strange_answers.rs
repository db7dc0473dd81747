//! AWS answering strangely: the real handler and SDK clients against a
//! stand-in endpoint (`tests/common/standin.rs`) that loops its listings,
//! cuts answers short, sends HTML, answers slowly or with megabytes. Each
//! answer ends in the error the classification table of `docs/reliability.md`
//! gives, within bounded work, and no key id leaves unmasked.

mod common;

use std::time::{Duration, Instant};

use access_key_notifier::app::deps_from_sdk;
use access_key_notifier::config::Config;
use access_key_notifier::error::Error;
use access_key_notifier::flow::Invocation;
use access_key_notifier::flow::config_event::Handled;
use access_key_notifier::flow::config_event::handle;
use access_key_notifier::mask::MESSAGE_LIMIT;
use common::standin::{
    ALICE_KEY, Call, Reply, StandIn, iam_error, iam_ok, key_member, keys_result, last_used_result,
    user_member,
};
use common::{SENDER, fixture_event, fixture_path, notifier};

fn config() -> Config {
    Config::from_lookup(|k| (k == "SENDER_ADDRESS").then(|| SENDER.to_string())).unwrap()
}

/// The 7-day rule's fixture event for alice, through the real handler.
async fn run_with(standin: &StandIn, invocation: &Invocation) -> Result<Handled, Error> {
    let deps = deps_from_sdk(config(), &standin.sdk_config().await);
    handle(fixture_event("noncompliant-7-days.json"), &deps, invocation).await
}

async fn run(standin: &StandIn) -> Result<Handled, Error> {
    run_with(standin, &Invocation::local()).await
}

/// The error, which must be retryable, of `error_type`, and mention `needle`.
fn retryable(result: Result<Handled, Error>, error_type: &str, needle: &str) -> String {
    let err = result.expect_err("an error");
    let message = err.safe_message();
    assert_eq!(err.error_type(), error_type, "{message}");
    assert!(
        message.contains(needle),
        "{message} should mention {needle}"
    );
    message
}

fn only(action: &'static str, reply: impl Fn(&Call) -> Reply + Send + Sync + 'static) -> StandIn {
    StandIn::start(move |call| (call.action == action).then(|| reply(call)))
}

#[tokio::test]
async fn the_healthy_stand_in_account_gets_its_notice() {
    let standin = StandIn::start(|_| None);
    let handled = run(&standin).await.expect("sent");
    let o = serde_json::to_value(&handled.outcome).unwrap();
    assert_eq!(o["status"], "sent", "{o}");
    assert_eq!(o["keys"][0]["stage"], "tier_7");
    assert_eq!(standin.count("SendEmail"), 1);
}

// Unbounded work.

#[tokio::test]
async fn a_user_listing_that_repeats_its_marker_is_an_error_not_a_loop() {
    let standin = only("ListUsers", |_| {
        iam_ok(
            "ListUsers",
            &format!(
                "<Users>{}</Users><IsTruncated>true</IsTruncated><Marker>same</Marker>",
                user_member("bob", "AIDASTANDINBOB000001")
            ),
        )
    });
    retryable(
        run(&standin).await,
        "Retryable.IamError",
        "IAM ListUsers failed: the listing does not end: the marker `same` came back a second time",
    );
    assert_eq!(standin.count("ListUsers"), 2);
    assert_eq!(standin.count("GetUser"), 0);
}

#[tokio::test]
async fn a_user_listing_of_ever_new_pages_stops_at_fifty_thousand_users() {
    // Each page: a thousand users never seen before, and a new marker.
    let standin = only("ListUsers", |call| {
        let page: usize = call
            .params
            .get("Marker")
            .and_then(|m| m.strip_prefix('p'))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let users: String = (0..1000)
            .map(|i| {
                user_member(
                    &format!("u{page}-{i}"),
                    &format!("AIDASTANDIN{page:05}{i:04}"),
                )
            })
            .collect();
        iam_ok(
            "ListUsers",
            &format!(
                "<Users>{users}</Users><IsTruncated>true</IsTruncated><Marker>p{}</Marker>",
                page + 1
            ),
        )
    });
    retryable(
        run(&standin).await,
        "Retryable.IamError",
        "IAM ListUsers failed: the listing does not end: more than 50000 items listed",
    );
    assert_eq!(standin.count("ListUsers"), 51);
}

#[tokio::test]
async fn a_key_listing_of_ever_new_pages_stops_at_its_page_bound() {
    let standin = only("ListAccessKeys", |call| {
        let n = call.params.get("Marker").map_or(0, |m| m.len());
        iam_ok("ListAccessKeys", &keys_result("", Some(&"k".repeat(n + 1))))
    });
    retryable(
        run(&standin).await,
        "Retryable.IamError",
        "IAM ListAccessKeys failed: the listing does not end: still not complete after 5 pages",
    );
    assert_eq!(standin.count("ListAccessKeys"), 5);
}

#[tokio::test]
async fn thousands_of_keys_for_one_user_cost_no_last_use_lookup() {
    let standin = only("ListAccessKeys", |_| {
        let keys: String = (0..5000)
            .map(|i| key_member(&format!("AKIASTANDIN{i:09}"), 85))
            .collect();
        iam_ok("ListAccessKeys", &keys_result(&keys, None))
    });
    retryable(
        run(&standin).await,
        "Retryable.IamError",
        "IAM ListAccessKeys failed: the listing does not end: more than 10 items listed",
    );
    assert_eq!(standin.count("GetAccessKeyLastUsed"), 0);
    assert_eq!(standin.count("SendEmail"), 0);
}

#[tokio::test]
async fn slow_answers_end_in_a_retryable_error_before_the_deadline() {
    // Every answer takes 1.2 s, well under the 5 s attempt time-out; the
    // event needs four rounds of them, and has 4 s.
    let standin = StandIn::start(|call| {
        Some(common::standin::healthy(call).after(Duration::from_millis(1200)))
    });
    let deadline = chrono::Utc::now() + chrono::Duration::seconds(4);
    let invocation = Invocation {
        deadline: Some(deadline),
        trace_id: None,
        ..Invocation::local()
    };
    let started = Instant::now();
    retryable(
        run_with(&standin, &invocation).await,
        "Retryable.OutOfTime",
        "within its time budget",
    );
    // It did not wait for the four rounds (4.8 s): a bound by what the
    // code guarantees, not by how fast this machine answers.
    let spent = started.elapsed();
    assert!(
        spent < Duration::from_millis(4 * 1200),
        "the error came {spent:?} after the start: the event waited for every answer"
    );
    assert_eq!(standin.count("SendEmail"), 0);
}

#[tokio::test]
async fn oversized_answers_are_not_read() {
    let big = vec![b'x'; 5 << 20];
    // Declared by Content-Length, and unannounced (read until close).
    let declared = {
        let big = big.clone();
        only("GetUser", move |_| Reply::xml(200, big.clone()))
    };
    retryable(
        run(&declared).await,
        "Retryable.IamError",
        "larger than 4194304 bytes",
    );
    let unannounced = only("GetUser", move |_| Reply {
        until_close: true,
        ..Reply::xml(200, big.clone())
    });
    retryable(
        run(&unannounced).await,
        "Retryable.IamError",
        "IAM GetUser failed",
    );
}

// Silent wrong answers.

#[tokio::test]
async fn a_key_listing_cut_after_a_member_is_retried_not_read_as_fewer_keys() {
    // A fresh key first, the due one second; cut right after the first key,
    // the answer still parses, as a list without the due key.
    let standin = only("ListAccessKeys", |_| {
        let whole = iam_ok(
            "ListAccessKeys",
            &keys_result(
                &format!(
                    "{}{}",
                    key_member("AKIASTANDIN000000003", 3),
                    key_member(ALICE_KEY, 85)
                ),
                None,
            ),
        );
        let text = String::from_utf8(whole.body).unwrap();
        let cut = text.find("</member>").unwrap() + "</member>".len();
        Reply::xml(200, &text.as_bytes()[..cut])
    });
    retryable(
        run(&standin).await,
        "Retryable.IamError",
        "IAM ListAccessKeys failed: the answer is not a complete XML document",
    );
    assert_eq!(standin.count("SendEmail"), 0);
}

#[tokio::test]
async fn an_html_page_or_an_empty_body_with_status_200_is_retryable() {
    let html = only("GetUser", |_| {
        Reply::html(200, "<html><body><h1>Gateway</h1></body></html>")
    });
    retryable(run(&html).await, "Retryable.IamError", "IAM GetUser failed");
    let empty = only("ListUsers", |_| Reply::xml(200, ""));
    retryable(
        run(&empty).await,
        "Retryable.IamError",
        "IAM ListUsers failed",
    );
    let ses = only("SendEmail", |_| Reply::html(200, "<html>proxy</html>"));
    retryable(
        run(&ses).await,
        "Retryable.SesError",
        "SES SendEmail failed",
    );
    let ses_empty = only("SendEmail", |_| Reply::json(200, ""));
    retryable(
        run(&ses_empty).await,
        "Retryable.SesError",
        "SES SendEmail failed",
    );
}

#[tokio::test]
async fn an_endpoint_that_is_not_a_url_is_permanent() {
    let sdk = access_key_notifier::aws::with_retries_and_timeouts(aws_config::defaults(
        aws_config::BehaviorVersion::latest(),
    ))
    .region(aws_config::Region::new("us-east-1"))
    .endpoint_url("not a url")
    .credentials_provider(aws_sdk_iam::config::Credentials::new(
        "testing", "testing", None, None, "test",
    ))
    .load()
    .await;
    let deps = deps_from_sdk(config(), &sdk);
    let err = handle(
        fixture_event("noncompliant-7-days.json"),
        &deps,
        &Invocation::local(),
    )
    .await
    .unwrap_err();
    // The first call is the own account's id (STS), which the event's
    // account is checked against.
    assert_eq!(err.error_type(), "Permanent.StsError", "{err}");
    assert!(
        err.safe_message().chars().count() < MESSAGE_LIMIT + 60,
        "{err}"
    );
}

// Leaks and noise.

const GLUED: &str = "Key 1AKIASTANDIN000000085, KEYAKIASTANDIN000000085 and AccessKeyId%3DAKIASTANDIN000000085 are not yours";

#[tokio::test]
async fn key_ids_glued_into_an_error_message_are_masked() {
    let standin = only("GetAccessKeyLastUsed", |_| {
        iam_error(403, "AccessDenied", GLUED)
    });
    let err = run(&standin).await.unwrap_err();
    assert_eq!(err.error_type(), "Permanent.IamError");
    let message = err.safe_message();
    assert!(!message.contains(ALICE_KEY), "{message}");
    assert!(
        message.contains("Key 1AKIA…0085, KEYAKIA…0085 and AccessKeyId%3DAKIA…0085"),
        "{message}"
    );

    // What the binary prints on stderr, too.
    let out = notifier(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        Some(&standin.endpoint()),
    )
    .args(["invoke", "--event"])
    .arg(fixture_path("noncompliant-7-days.json"))
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("KEYAKIA…0085"), "{stderr}");
    assert!(!stderr.contains(ALICE_KEY), "{stderr}");
}

#[tokio::test]
async fn a_service_name_carrying_a_key_id_is_masked_in_the_mail() {
    let standin = only("GetAccessKeyLastUsed", |_| {
        iam_ok(
            "GetAccessKeyLastUsed",
            &last_used_result("svc-AKIASTANDIN000000085"),
        )
    });
    let handled = run(&standin).await.expect("sent");
    assert!(handled.rendered.unwrap().text.contains("svc-AKIA…0085"));
    let mails: Vec<String> = standin
        .calls()
        .into_iter()
        .filter(|c| c.action == "SendEmail")
        .map(|c| String::from_utf8(c.body).unwrap())
        .collect();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("svc-AKIA…0085"), "{}", mails[0]);
    assert!(!mails[0].contains(ALICE_KEY), "{}", mails[0]);
}

#[tokio::test]
async fn megabytes_of_error_text_are_cut_to_the_message_limit() {
    let long = format!("{GLUED} {}", "y".repeat(1 << 20));
    let standin = only("GetUser", move |_| iam_error(400, "ValidationError", &long));
    let message = run(&standin).await.unwrap_err().safe_message();
    assert!(
        message.chars().count() < MESSAGE_LIMIT + 60,
        "{} characters",
        message.len()
    );
    assert!(!message.contains(ALICE_KEY));

    // A body that is no protocol at all, with a server error.
    let junk = only("GetUser", |_| Reply::html(500, &"z".repeat(3 << 20)));
    let message = retryable(run(&junk).await, "Retryable.IamError", "IAM GetUser failed");
    assert!(
        message.chars().count() < MESSAGE_LIMIT + 60,
        "{} characters",
        message.len()
    );
}

//! Faults: a proxy between the SDK and the emulator fails a share of IAM and
//! SES requests with throttling errors and 5xx, drops some connections before
//! they reach the emulator, and loses some of SES's answers after SES has
//! accepted the mail (the one fault that can double a mail). 500 events (some
//! delivered twice, both rules for every user) go through the real handler
//! with the production retry settings and the notice ledger; an event that
//! ends in a retryable error is delivered again, as the platform would.
//!
//! Every user must get exactly one `sent` outcome for its key's stage (every
//! other event `already_notified`), no event may be lost, and every mail
//! beyond one per user must be explained by a lost answer: the measured
//! duplicate rate is printed for docs/reliability.md.
//!
//! Which request meets which fault is a hash of the request itself (its
//! operation and the user, key or recipient it names) and of how many
//! times the same request came before: the same faults in every run,
//! whichever thread sends first.
//!
//! DynamoDB (the ledger) is passed through untouched: its failure paths are
//! covered by the flow tests over the in-memory ledger
//! (`src/flow/tests/config_event.rs`), and a ledger write lost after a send is, by
//! design, a documented duplicate after the claim expires (a minute here),
//! which would make this count depend on timing.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::BufReader;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use access_key_notifier::app::{AwsDeps, deps_from_sdk};
use access_key_notifier::aws::with_retries_and_timeouts;
use access_key_notifier::config::Config;
use access_key_notifier::flow::Invocation;
use access_key_notifier::flow::config_event::handle;
use common::http::{HttpRequest, forward, read_request, respond};
use common::{Emulator, RULE_7, RULE_14, SENDER, create_ledger_table, event_for, key_aged};
use serde_json::{Value, json};

const EVENTS: usize = 500;
const USERS: usize = 60;
const MAX_DELIVERIES: usize = 10;
const TABLE: &str = "akn-ledger";

/// Per mille of IAM and SES requests answered with each fault.
const THROTTLE: u64 = 120;
const SERVER_ERROR: u64 = 70;
const DROP: u64 = 60;
/// Per mille of SES requests forwarded, accepted, and their answer lost.
const LOSE_ANSWER: u64 = 150;

/// Each user's one key, by age, and what its events must end in under the
/// default policy (90 days, tiers 14 and 7), with an owner tag.
#[derive(Clone, Copy)]
enum Expect {
    Skip(&'static str),
    /// The one notice: its stage and days remaining (or overdue).
    Notice(&'static str, u64, Option<u64>),
}

const AGES: [(i64, Expect); 6] = [
    (3, Expect::Skip("no_active_key_due")),
    (76, Expect::Notice("tier_14", 14, None)),
    (80, Expect::Notice("tier_14", 10, None)),
    (83, Expect::Notice("tier_7", 7, None)),
    (88, Expect::Notice("tier_7", 2, None)),
    (95, Expect::Notice("overdue", 0, Some(5))),
];

/// Every fifth user has no owner tag and no fallback: no recipient.
fn tagged(u: usize) -> bool {
    u % 5 != 4
}

#[derive(Default)]
struct Counts {
    forwarded: AtomicU64,
    throttled: AtomicU64,
    server_errors: AtomicU64,
    dropped: AtomicU64,
    lost_answers: AtomicU64,
}

#[derive(PartialEq)]
enum Service {
    Iam,
    Ses,
    Other,
}

fn service(req: &HttpRequest) -> Service {
    if req.path.starts_with("/v2/email") {
        Service::Ses
    } else if req
        .headers
        .iter()
        .any(|(k, v)| k == "x-amz-target" && v.starts_with("DynamoDB"))
    {
        Service::Other
    } else if req.body.starts_with(b"Action=") {
        Service::Iam
    } else {
        Service::Other
    }
}

const CLOSE: (&str, &str) = ("connection", "close");

fn throttle(stream: &TcpStream, service: &Service) {
    match service {
        Service::Ses => respond(
            stream,
            "429 Too Many Requests",
            &[
                CLOSE,
                ("content-type", "application/json"),
                ("x-amzn-errortype", "TooManyRequestsException"),
            ],
            r#"{"message":"Too many requests"}"#,
        ),
        _ => respond(
            stream,
            "400 Bad Request",
            &[CLOSE, ("content-type", "text/xml")],
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>f</RequestId></ErrorResponse>",
        ),
    }
}

fn server_error(stream: &TcpStream, service: &Service) {
    match service {
        Service::Ses => respond(
            stream,
            "503 Service Unavailable",
            &[
                CLOSE,
                ("content-type", "application/json"),
                ("x-amzn-errortype", "InternalFailure"),
            ],
            r#"{"message":"Service unavailable"}"#,
        ),
        _ => respond(
            stream,
            "500 Internal Server Error",
            &[CLOSE, ("content-type", "text/xml")],
            "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>Internal failure</Message></Error><RequestId>f</RequestId></ErrorResponse>",
        ),
    }
}

/// What a request asks, never when or on which thread: the operation and
/// the user, key or recipient it names (the test seeds fixed user names,
/// key ids and addresses).
fn identity(req: &HttpRequest, service: &Service) -> String {
    match service {
        Service::Iam => {
            let body = String::from_utf8_lossy(&req.body);
            let wanted = ["Action=", "UserName=", "AccessKeyId="];
            let parts: Vec<&str> = body
                .split('&')
                .filter(|p| wanted.iter().any(|w| p.starts_with(w)))
                .collect();
            parts.join("&")
        }
        Service::Ses => {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            format!("SendEmail {}", body["Destination"]["ToAddresses"])
        }
        Service::Other => String::new(),
    }
}

/// The fault roll (0 to 999) of the `n`-th request of `identity`: a hash of
/// the seed, the request and its count, so a run meets the same faults
/// whichever thread sends a request first. (The one order left is between
/// identical requests, whose rolls are the same set either way.)
fn roll(seed: u64, identity: &str, n: u64) -> u64 {
    // FNV-1a over the identity, then splitmix64 with the seed and count.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in identity.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = seed ^ h ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % 1000
}

fn proxy(upstream: String, counts: Arc<Counts>, seed: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let seen: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (upstream, counts, seen) = (upstream.clone(), counts.clone(), seen.clone());
            std::thread::spawn(move || {
                let Some(req) = read_request(&mut BufReader::new(&stream)) else {
                    return;
                };
                let service = service(&req);
                let identity = identity(&req, &service);
                let n = {
                    let mut seen = seen.lock().unwrap();
                    let n = seen.entry(identity.clone()).or_default();
                    *n += 1;
                    *n
                };
                let roll = roll(seed, &identity, n);
                let faulty = service != Service::Other;
                if faulty && roll < THROTTLE {
                    counts.throttled.fetch_add(1, Ordering::Relaxed);
                    throttle(&stream, &service);
                } else if faulty && roll < THROTTLE + SERVER_ERROR {
                    counts.server_errors.fetch_add(1, Ordering::Relaxed);
                    server_error(&stream, &service);
                } else if faulty && roll < THROTTLE + SERVER_ERROR + DROP {
                    // Dropped before it reaches the emulator: nothing happened.
                    counts.dropped.fetch_add(1, Ordering::Relaxed);
                    let _ = stream.shutdown(Shutdown::Both);
                } else {
                    counts.forwarded.fetch_add(1, Ordering::Relaxed);
                    let response = forward(&req, &upstream).unwrap_or_default();
                    if service == Service::Ses
                        && roll < THROTTLE + SERVER_ERROR + DROP + LOSE_ANSWER
                    {
                        // SES accepted the mail; its answer never arrives.
                        counts.lost_answers.fetch_add(1, Ordering::Relaxed);
                        let _ = stream.shutdown(Shutdown::Both);
                    } else {
                        let _ = std::io::Write::write_all(&mut &stream, &response);
                    }
                }
            });
        }
    });
    format!("http://{address}")
}

/// One event's delivery, as the platform makes it: again after a pause while
/// the error is retryable, up to `MAX_DELIVERIES` times.
async fn deliver(deps: &AwsDeps, event: Value) -> (Result<Value, String>, usize) {
    let mut retries = 0;
    loop {
        match handle(event.clone(), deps, &Invocation::local()).await {
            Ok(h) => return (Ok(serde_json::to_value(&h.outcome).unwrap()), retries),
            Err(e) if e.is_retryable() && retries + 1 < MAX_DELIVERIES => {
                // The platform waits before it retries (Lambda: minutes).
                retries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(300 * retries as u64)).await;
            }
            Err(e) => return (Err(format!("{} {}", e.error_type(), e)), retries),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_events_through_faults_each_stage_notified_once() {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    for u in 0..USERS {
        let mut tags = json!({});
        if tagged(u) {
            tags["Email"] = json!(format!("user{u}@example.com"));
        }
        // Fixed key ids, so a request naming a key is the same request in
        // every run (the fault rolls hash it).
        let mut key = key_aged(AGES[u % AGES.len()].0);
        key["id"] = json!(format!("AKIAFAULT{u:011}"));
        emu.create_user(
            json!({"name": format!("user-{u:02}"), "user_id": format!("AIDAFAULT{u:012}"),
            "tags": tags, "keys": [key]}),
        );
    }
    create_ledger_table(&emu.sdk_config().await, TABLE).await;

    let counts = Arc::new(Counts::default());
    let upstream = emu.endpoint.trim_start_matches("http://").to_string();
    let endpoint = proxy(upstream, counts.clone(), 0x9E37_79B9_7F4A_7C15);
    let sdk =
        with_retries_and_timeouts(aws_config::defaults(aws_config::BehaviorVersion::latest()))
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&endpoint)
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "t", "t", None, None, "test",
            ))
            .load()
            .await;
    let vars: HashMap<&str, &str> =
        HashMap::from([("SENDER_ADDRESS", SENDER), ("LEDGER_TABLE", TABLE)]);
    let config = Config::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap();
    let deps: Arc<AwsDeps> = Arc::new(deps_from_sdk(config, &sdk));

    // Events alternate between the two rules per round of users; every
    // tenth is delivered a second time.
    let deliveries: Vec<usize> = (0..EVENTS).chain((0..EVENTS).step_by(10)).collect();
    let mut tasks = tokio::task::JoinSet::new();
    let gate = Arc::new(tokio::sync::Semaphore::new(16));
    for i in deliveries {
        let u = i % USERS;
        let rule = if (i / USERS) % 2 == 0 {
            RULE_7
        } else {
            RULE_14
        };
        let event = event_for(
            rule,
            &format!("AIDAFAULT{u:012}"),
            &format!("fault-event-{i:04}"),
        );
        let (deps, gate) = (deps.clone(), gate.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let (result, retries) = deliver(&deps, event).await;
            (i, u, result, retries)
        });
    }

    let mut per_user: BTreeMap<usize, Vec<Value>> = BTreeMap::new();
    let mut by_outcome: BTreeMap<String, u64> = BTreeMap::new();
    let mut platform_retries = 0;
    while let Some(done) = tasks.join_next().await {
        let (i, u, result, retries) = done.unwrap();
        platform_retries += retries;
        let o = result
            .unwrap_or_else(|e| panic!("event {i} lost after {MAX_DELIVERIES} deliveries: {e}"));
        let key = match o["reason"].as_str() {
            Some(reason) => format!("skipped {reason}"),
            None => format!(
                "{} {}",
                o["status"].as_str().unwrap(),
                o["keys"][0]["stage"].as_str().unwrap()
            ),
        };
        *by_outcome.entry(key).or_default() += 1;
        per_user.entry(u).or_default().push(o);
    }

    let mut expected_mails = 0;
    for (u, outcomes) in &per_user {
        let sent: Vec<&Value> = outcomes.iter().filter(|o| o["status"] == "sent").collect();
        match (AGES[u % AGES.len()].1, tagged(*u)) {
            (Expect::Skip(reason), _) => {
                assert!(
                    outcomes.iter().all(|o| o["reason"] == reason),
                    "user {u}: {outcomes:?}"
                );
            }
            (Expect::Notice(..), false) => {
                assert!(
                    outcomes.iter().all(|o| o["reason"] == "no_recipient"),
                    "user {u}: {outcomes:?}"
                );
            }
            (Expect::Notice(stage, days, overdue), true) => {
                expected_mails += 1;
                assert_eq!(sent.len(), 1, "user {u}: exactly one notice: {outcomes:?}");
                let key = &sent[0]["keys"][0];
                assert_eq!(key["stage"], stage, "user {u}");
                assert_eq!(key["days_remaining"], days, "user {u}");
                assert_eq!(key["days_overdue"].as_u64(), overdue, "user {u}");
                let others = outcomes.iter().filter(|o| o["status"] != "sent");
                for o in others {
                    assert_eq!(o["reason"], "already_notified", "user {u}: {o}");
                }
            }
        }
    }

    let mails = emu.messages().len();
    let lost = counts.lost_answers.load(Ordering::Relaxed) as usize;
    let duplicates = mails.saturating_sub(expected_mails);
    println!(
        "fault test: {EVENTS} events + {} duplicate deliveries; outcomes {by_outcome:?}; \
         platform retries {platform_retries}; mails {mails} for {expected_mails} notices \
         ({duplicates} duplicates, {:.1} %, after {lost} lost SES answers); \
         requests forwarded {}, throttled {}, 5xx {}, dropped {}",
        EVENTS / 10,
        100.0 * duplicates as f64 / expected_mails as f64,
        counts.forwarded.load(Ordering::Relaxed),
        counts.throttled.load(Ordering::Relaxed),
        counts.server_errors.load(Ordering::Relaxed),
        counts.dropped.load(Ordering::Relaxed),
    );
    assert!(mails >= expected_mails, "no notice was lost");
    assert!(
        duplicates <= lost,
        "every duplicate follows a lost answer: {duplicates} duplicates, {lost} lost answers"
    );
    assert!(
        counts.throttled.load(Ordering::Relaxed) > 30,
        "the faults really happened"
    );
    assert!(
        counts.dropped.load(Ordering::Relaxed) > 10,
        "the faults really happened"
    );
    assert!(lost > 0, "answers were really lost");
}

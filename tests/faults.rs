//! Faults: a proxy between the SDK and the emulator fails a share of IAM and
//! SES requests with throttling errors and 5xx, and drops some connections
//! before they reach the emulator. 500 events (some delivered twice) go
//! through the real handler with the production retry settings and the
//! idempotency table; an event that ends in a retryable error is delivered
//! again, as the platform would. Every event must end in its one correct
//! outcome, no event may mail twice, and none may be lost.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use access_key_notifier::app::{AwsDeps, deps_from_sdk};
use access_key_notifier::aws::with_retries_and_timeouts;
use access_key_notifier::config::Config;
use access_key_notifier::handler::{Invocation, handle};
use common::{
    Emulator, HttpRequest, SENDER, create_idempotency_table, fixture_event, fixture_time, key_aged,
    read_http_request,
};
use serde_json::{Value, json};

const EVENTS: usize = 500;
const USERS: usize = 60;
const MAX_DELIVERIES: usize = 10;
const TABLE: &str = "akn-events";

/// Per mille of IAM and SES requests answered with each fault.
const THROTTLE: u64 = 120;
const SERVER_ERROR: u64 = 70;
const DROP: u64 = 60;

#[derive(Default)]
struct Counts {
    forwarded: AtomicU64,
    throttled: AtomicU64,
    server_errors: AtomicU64,
    dropped: AtomicU64,
}

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

fn reply(mut stream: &TcpStream, status: &str, headers: &[(&str, &str)], body: &str) {
    let mut text = format!(
        "HTTP/1.1 {status}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    let _ = stream.write_all(text.as_bytes());
}

const IAM_XML: (&str, &str) = ("content-type", "text/xml");

fn proxy(upstream: String, counts: Arc<Counts>, seed: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let rng = Arc::new(Mutex::new(seed));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (upstream, counts, rng) = (upstream.clone(), counts.clone(), rng.clone());
            std::thread::spawn(move || {
                let Some(req) = read_http_request(&mut BufReader::new(&stream)) else {
                    return;
                };
                let roll = {
                    // xorshift64: deterministic for a seed, whatever the threads do.
                    let mut x = rng.lock().unwrap();
                    *x ^= *x << 13;
                    *x ^= *x >> 7;
                    *x ^= *x << 17;
                    *x % 1000
                };
                let faulty = !matches!(service(&req), Service::Other);
                if faulty && roll < THROTTLE {
                    counts.throttled.fetch_add(1, Ordering::Relaxed);
                    match service(&req) {
                        Service::Ses => reply(
                            &stream,
                            "429 Too Many Requests",
                            &[
                                ("content-type", "application/json"),
                                ("x-amzn-errortype", "TooManyRequestsException"),
                            ],
                            r#"{"message":"Too many requests"}"#,
                        ),
                        _ => reply(
                            &stream,
                            "400 Bad Request",
                            &[IAM_XML],
                            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>f</RequestId></ErrorResponse>",
                        ),
                    }
                } else if faulty && roll < THROTTLE + SERVER_ERROR {
                    counts.server_errors.fetch_add(1, Ordering::Relaxed);
                    match service(&req) {
                        Service::Ses => reply(
                            &stream,
                            "503 Service Unavailable",
                            &[
                                ("content-type", "application/json"),
                                ("x-amzn-errortype", "InternalFailure"),
                            ],
                            r#"{"message":"Service unavailable"}"#,
                        ),
                        _ => reply(
                            &stream,
                            "500 Internal Server Error",
                            &[IAM_XML],
                            "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>Internal failure</Message></Error><RequestId>f</RequestId></ErrorResponse>",
                        ),
                    }
                } else if faulty && roll < THROTTLE + SERVER_ERROR + DROP {
                    // Dropped before it reaches the emulator: nothing happened.
                    counts.dropped.fetch_add(1, Ordering::Relaxed);
                    let _ = stream.shutdown(Shutdown::Both);
                } else {
                    counts.forwarded.fetch_add(1, Ordering::Relaxed);
                    let Ok(mut up) = TcpStream::connect(&upstream) else {
                        return;
                    };
                    let mut text = req.line.clone();
                    for (k, v) in &req.headers {
                        if k != "connection" {
                            text.push_str(&format!("{k}: {v}\r\n"));
                        }
                    }
                    text.push_str("connection: close\r\n\r\n");
                    let _ = up.write_all(text.as_bytes());
                    let _ = up.write_all(&req.body);
                    let mut response = Vec::new();
                    let _ = up.read_to_end(&mut response);
                    let _ = (&stream).write_all(&response);
                }
            });
        }
    });
    format!("http://{address}")
}

/// What a fault-free run gives for a key of `age` days and a rule of `tier`
/// days: (status, reason or days remaining).
fn expected(age: i64, tier: u32, tagged: bool) -> (&'static str, Value) {
    let remaining = 90 - age;
    let due = remaining <= i64::from(tier) + 1;
    let superseded = tier == 14 && remaining <= 7;
    match (due, superseded, tagged) {
        (false, _, _) => ("skipped", json!("no_active_key_due")),
        (true, true, _) => ("skipped", json!("superseded_by_closer_notice")),
        (true, false, false) => ("skipped", json!("no_recipient")),
        (true, false, true) => ("sent", json!(remaining.max(0))),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_events_through_faults_end_exactly_once() {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    let time = fixture_time();
    let ages = [3, 76, 80, 83, 88, 95];
    for u in 0..USERS {
        let mut tags = json!({});
        if u % 5 != 4 {
            tags["Email"] = json!(format!("user{u}@example.com"));
        }
        emu.create_user(
            json!({"name": format!("user-{u:02}"), "user_id": format!("AIDAFAULT{u:012}"),
            "tags": tags, "keys": [key_aged(time, ages[u % ages.len()])]}),
        );
    }
    let direct = emu.sdk_config().await;
    create_idempotency_table(&direct, TABLE).await;

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
        HashMap::from([("SENDER_ADDRESS", SENDER), ("IDEMPOTENCY_TABLE", TABLE)]);
    let config = Config::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap();
    let deps: Arc<AwsDeps> = Arc::new(deps_from_sdk(config, &sdk));

    let base = fixture_event("noncompliant-7-days.json");
    // Every tenth event is delivered a second time.
    let deliveries: Vec<usize> = (0..EVENTS).chain((0..EVENTS).step_by(10)).collect();
    let mut tasks = tokio::task::JoinSet::new();
    let gate = Arc::new(tokio::sync::Semaphore::new(16));
    for (n, i) in deliveries.into_iter().enumerate() {
        let u = i % USERS;
        let tier = if (i / USERS) % 2 == 0 { 7 } else { 14 };
        let mut event = base.clone();
        event["id"] = json!(format!("fault-event-{i:04}"));
        event["detail"]["resourceId"] = json!(format!("AIDAFAULT{u:012}"));
        event["detail"]["configRuleName"] = json!(if tier == 7 {
            "access-keys-rotated-1"
        } else {
            "access-keys-rotated-2"
        });
        let (deps, gate) = (deps.clone(), gate.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let mut retries = 0;
            loop {
                match handle(event.clone(), &deps, Invocation::default()).await {
                    Ok(h) => {
                        return (
                            n,
                            i,
                            u,
                            tier,
                            Ok(serde_json::to_value(&h.outcome).unwrap()),
                            retries,
                        );
                    }
                    Err(e) if e.is_retryable() && retries + 1 < MAX_DELIVERIES => {
                        // The platform waits before it retries (Lambda: minutes).
                        retries += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(300 * retries as u64))
                            .await;
                    }
                    Err(e) => {
                        return (
                            n,
                            i,
                            u,
                            tier,
                            Err(format!("{} {}", e.error_type(), e)),
                            retries,
                        );
                    }
                }
            }
        });
    }

    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    let (mut platform_retries, mut replayed, mut first_sends) = (0, 0, 0);
    while let Some(done) = tasks.join_next().await {
        let (n, i, u, tier, result, retries) = done.unwrap();
        platform_retries += retries;
        let outcome = result
            .unwrap_or_else(|e| panic!("event {i} lost after {MAX_DELIVERIES} deliveries: {e}"));
        let (status, detail) = expected(ages[u % ages.len()], tier, u % 5 != 4);
        assert_eq!(
            outcome["status"], status,
            "event {i} (delivery {n}): {outcome}"
        );
        if status == "sent" {
            assert_eq!(outcome["days_remaining"], detail, "event {i}: {outcome}");
        } else {
            assert_eq!(outcome["reason"], detail, "event {i}: {outcome}");
        }
        if outcome["replayed"] == true {
            replayed += 1;
        } else if status == "sent" {
            first_sends += 1;
        }
        let detail = detail
            .as_str()
            .map(str::to_string)
            .unwrap_or(detail.to_string());
        *by_status.entry(format!("{status} {detail}")).or_default() += 1;
    }

    let expected_mails = (0..EVENTS)
        .filter(|&i| {
            let u = i % USERS;
            let tier = if (i / USERS) % 2 == 0 { 7 } else { 14 };
            expected(ages[u % ages.len()], tier, u % 5 != 4).0 == "sent"
        })
        .count();
    let mails = emu.messages().len();
    println!(
        "fault test: {EVENTS} events + {} duplicate deliveries; outcomes {by_status:?}; \
         replayed {replayed}; platform retries {platform_retries}; mails {mails} (expected {expected_mails}); \
         requests forwarded {}, throttled {}, 5xx {}, dropped {}",
        EVENTS / 10,
        counts.forwarded.load(Ordering::Relaxed),
        counts.throttled.load(Ordering::Relaxed),
        counts.server_errors.load(Ordering::Relaxed),
        counts.dropped.load(Ordering::Relaxed),
    );
    assert_eq!(
        first_sends, expected_mails,
        "each event that should mail did, once"
    );
    assert_eq!(
        mails, expected_mails,
        "no event mailed twice and none was lost"
    );
    assert!(
        counts.throttled.load(Ordering::Relaxed) > 100,
        "the faults really happened"
    );
    assert!(
        counts.dropped.load(Ordering::Relaxed) > 50,
        "the faults really happened"
    );
}

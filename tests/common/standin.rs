//! A stand-in AWS endpoint on loopback that answers however a test says:
//! slowly, endlessly, cut short, too large, as HTML. The real SDK clients
//! talk to it over HTTP, so what is tested is the notifier's handling of the
//! answers the SDK hands back, not a mock of the SDK.
//!
//! It speaks just enough of IAM's query protocol (form-encoded requests,
//! XML answers) and of SES v2's SendEmail to run one event: by default it is
//! a healthy account with alice, the fixtures' user, owning one active key
//! 85 days old (a `tier_7` notice). A test replaces the answer of any
//! operation.

use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{Duration as Days, Utc};

use super::http::read_request;
use super::{FIXTURE_USER_ID, rfc3339};

/// The key alice owns.
pub const ALICE_KEY: &str = "AKIASTANDIN000000085";

/// One request, as the stand-in saw it.
#[derive(Debug, Clone)]
pub struct Call {
    /// IAM's and SNS's `Action`, `SendEmail` for SES, the operation of
    /// `X-Amz-Target` for the JSON protocols, or the request line.
    pub action: String,
    /// IAM's form parameters, decoded.
    pub params: HashMap<String, String>,
    pub body: Vec<u8>,
}

/// An answer: status, headers, body, and how long to wait before it.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
    /// No Content-Length: the body ends when the connection closes.
    pub until_close: bool,
}

impl Reply {
    pub fn xml(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "text/xml".into())],
            body: body.into(),
            delay: Duration::ZERO,
            until_close: false,
        }
    }

    pub fn json(status: u16, body: &str) -> Reply {
        Reply {
            headers: vec![("content-type".into(), "application/json".into())],
            ..Reply::xml(status, body)
        }
    }

    pub fn html(status: u16, body: &str) -> Reply {
        Reply {
            headers: vec![("content-type".into(), "text/html".into())],
            ..Reply::xml(status, body)
        }
    }

    pub fn after(self, delay: Duration) -> Reply {
        Reply { delay, ..self }
    }
}

type Answer = dyn Fn(&Call) -> Option<Reply> + Send + Sync;

pub struct StandIn {
    address: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl StandIn {
    /// Serves `answer`'s reply to each request; where it returns `None`, the
    /// healthy account's.
    pub fn start(answer: impl Fn(&Call) -> Option<Reply> + Send + Sync + 'static) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let calls = Arc::new(Mutex::new(Vec::new()));
        let answer: Arc<Answer> = Arc::new(answer);
        let seen = calls.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (answer, seen) = (answer.clone(), seen.clone());
                std::thread::spawn(move || serve(stream, &*answer, &seen));
            }
        });
        StandIn { address, calls }
    }

    /// The URL to give the SDK as endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// How many requests of `action` arrived.
    pub fn count(&self, action: &str) -> usize {
        self.calls().iter().filter(|c| c.action == action).count()
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// SDK configuration for this endpoint: test credentials, us-east-1,
    /// the production retry and time-out settings.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        access_key_notifier::aws::with_retries_and_timeouts(aws_config::defaults(
            aws_config::BehaviorVersion::latest(),
        ))
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(self.endpoint())
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            "testing", "testing", None, None, "stand-in",
        ))
        .load()
        .await
    }
}

fn serve(stream: TcpStream, answer: &Answer, seen: &Mutex<Vec<Call>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    while let Some(req) = read_request(&mut reader) {
        let target = req
            .headers
            .iter()
            .find(|(k, _)| k == "x-amz-target")
            .and_then(|(_, v)| v.rsplit('.').next())
            .map(str::to_string);
        let call = if req.path.starts_with("/v2/email/outbound-emails") {
            Call {
                action: "SendEmail".into(),
                params: HashMap::new(),
                body: req.body,
            }
        } else if let Some(action) = target {
            // The JSON protocols (SSM, DynamoDB, Organizations) name the
            // operation in the X-Amz-Target header.
            Call {
                action,
                params: HashMap::new(),
                body: req.body,
            }
        } else {
            let params = form(&String::from_utf8_lossy(&req.body));
            Call {
                action: params
                    .get("Action")
                    .cloned()
                    .unwrap_or_else(|| req.line.trim().to_string()),
                params,
                body: req.body,
            }
        };
        seen.lock().unwrap().push(call.clone());
        let reply = answer(&call).unwrap_or_else(|| healthy(&call));
        std::thread::sleep(reply.delay);
        if !write(&stream, &reply) || reply.until_close {
            return;
        }
    }
}

/// Writes a reply; false when the client went away.
fn write(mut stream: &TcpStream, reply: &Reply) -> bool {
    let mut head = format!("HTTP/1.1 {} Stand-in\r\n", reply.status);
    if reply.until_close {
        head.push_str("connection: close\r\n");
    } else {
        head.push_str(&format!("content-length: {}\r\n", reply.body.len()));
    }
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).is_ok() && stream.write_all(&reply.body).is_ok()
}

/// `application/x-www-form-urlencoded`, decoded.
fn form(body: &str) -> HashMap<String, String> {
    let decode = |s: &str| {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    match u8::from_str_radix(hex, 16) {
                        Ok(b) => {
                            out.push(b);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).to_string()
    };
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// An IAM answer: `<{action}Response><{action}Result>{result}</…>`.
pub fn iam_ok(action: &str, result: &str) -> Reply {
    Reply::xml(
        200,
        format!(
            r#"<{action}Response xmlns="{IAM_NS}"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></{action}Response>"#
        ),
    )
}

/// An IAM error answer.
pub fn iam_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::xml(
        status,
        format!(
            r#"<ErrorResponse xmlns="{IAM_NS}"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>stand-in</RequestId></ErrorResponse>"#
        ),
    )
}

/// A `<member>` of ListUsers.
pub fn user_member(name: &str, id: &str) -> String {
    format!(
        "<member><Path>/</Path><UserName>{name}</UserName><UserId>{id}</UserId><Arn>arn:aws:iam::123456789012:user/{name}</Arn><CreateDate>2020-01-01T00:00:00Z</CreateDate></member>"
    )
}

/// A `<member>` of ListAccessKeys: an active key `age_days` old.
pub fn key_member(id: &str, age_days: i64) -> String {
    format!(
        "<member><UserName>alice</UserName><AccessKeyId>{id}</AccessKeyId><Status>Active</Status><CreateDate>{}</CreateDate></member>",
        rfc3339(Utc::now() - Days::days(age_days))
    )
}

/// ListAccessKeys' result around `members`.
pub fn keys_result(members: &str, truncated: Option<&str>) -> String {
    match truncated {
        None => format!(
            "<AccessKeyMetadata>{members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>"
        ),
        Some(marker) => format!(
            "<AccessKeyMetadata>{members}</AccessKeyMetadata><IsTruncated>true</IsTruncated><Marker>{marker}</Marker>"
        ),
    }
}

/// GetAccessKeyLastUsed's result: used yesterday by `service`.
pub fn last_used_result(service: &str) -> String {
    format!(
        "<UserName>alice</UserName><AccessKeyLastUsed><LastUsedDate>{}</LastUsedDate><ServiceName>{service}</ServiceName><Region>us-east-1</Region></AccessKeyLastUsed>",
        rfc3339(Utc::now() - Days::days(1))
    )
}

/// The healthy account's answer to `call`.
pub fn healthy(call: &Call) -> Reply {
    match call.action.as_str() {
        "ListUsers" => iam_ok(
            "ListUsers",
            &format!(
                "<Users>{}</Users><IsTruncated>false</IsTruncated>",
                user_member("alice", FIXTURE_USER_ID)
            ),
        ),
        "GetUser" => iam_ok(
            "GetUser",
            &format!(
                "<User><Path>/</Path><UserName>alice</UserName><UserId>{FIXTURE_USER_ID}</UserId><Arn>arn:aws:iam::123456789012:user/alice</Arn><CreateDate>2020-01-01T00:00:00Z</CreateDate><Tags><member><Key>Email</Key><Value>alice@example.com</Value></member></Tags></User>"
            ),
        ),
        "ListAccessKeys" => iam_ok(
            "ListAccessKeys",
            &keys_result(&key_member(ALICE_KEY, 85), None),
        ),
        "GetAccessKeyLastUsed" => iam_ok("GetAccessKeyLastUsed", &last_used_result("s3")),
        "SendEmail" => Reply::json(200, r#"{"MessageId":"stand-in-1"}"#),
        // The function's own account, which the fixtures' events name.
        "GetCallerIdentity" => Reply::xml(
            200,
            r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/stand-in</Arn><UserId>AIDASTANDIN</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#,
        ),
        other => iam_error(
            400,
            "InvalidAction",
            &format!("the stand-in does not serve {other}"),
        ),
    }
}

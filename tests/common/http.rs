//! The one minimal HTTP/1.1 stand-in the tests and the bench share: read a
//! request, write a response, and the Lambda Runtime API built on them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// One HTTP/1.1 request as a minimal server reads it.
pub struct HttpRequest {
    /// The request line, with its CRLF.
    pub line: String,
    pub method: String,
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Reads one request (Content-Length bodies only); `None` at end of stream.
pub fn read_request(reader: &mut impl BufRead) -> Option<HttpRequest> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (k, v) = header.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(HttpRequest {
        line,
        method,
        path,
        headers,
        body,
    })
}

/// Writes one response with a Content-Length body.
pub fn respond(mut stream: &TcpStream, status: &str, headers: &[(&str, &str)], body: &str) {
    let mut text = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    let _ = stream.write_all(text.as_bytes());
}

/// Forwards `req` to `upstream` (host:port) on a fresh connection and
/// returns the raw response.
pub fn forward(req: &HttpRequest, upstream: &str) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).ok()?;
    let mut text = req.line.clone();
    for (k, v) in &req.headers {
        if k != "connection" {
            text.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    text.push_str("connection: close\r\n\r\n");
    up.write_all(text.as_bytes()).ok()?;
    up.write_all(&req.body).ok()?;
    let mut response = Vec::new();
    up.read_to_end(&mut response).ok()?;
    Some(response)
}

/// A minimal Lambda Runtime API on loopback: the function polls
/// `/runtime/invocation/next`, gets an event, and posts its answer.
pub struct RuntimeApi {
    listener: TcpListener,
}

/// What the function asked of the Runtime API.
pub enum RuntimeCall {
    /// The next event, please.
    Next,
    /// An answer: `/response` or `/error` for `request_id`, with its body.
    Answer {
        request_id: String,
        error: bool,
        body: Value,
    },
}

impl RuntimeApi {
    pub fn bind() -> RuntimeApi {
        RuntimeApi {
            listener: TcpListener::bind("127.0.0.1:0").unwrap(),
        }
    }

    /// host:port, for AWS_LAMBDA_RUNTIME_API.
    pub fn address(&self) -> String {
        self.listener.local_addr().unwrap().to_string()
    }

    /// Accepts the function's connection (the runtime client keeps one open).
    pub fn accept(&self) -> RuntimeConnection {
        let (stream, _) = self.listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        RuntimeConnection {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        }
    }
}

pub struct RuntimeConnection {
    reader: BufReader<TcpStream>,
    stream: TcpStream,
}

impl RuntimeConnection {
    /// The function's next call; `None` when it went away.
    pub fn next_call(&mut self) -> Option<RuntimeCall> {
        let req = read_request(&mut self.reader)?;
        if req.method == "GET" {
            return Some(RuntimeCall::Next);
        }
        // /2018-06-01/runtime/invocation/{id}/response or …/error
        let mut parts = req.path.rsplit('/');
        let kind = parts.next().unwrap_or_default();
        let request_id = parts.next().unwrap_or_default().to_string();
        Some(RuntimeCall::Answer {
            request_id,
            error: kind == "error",
            body: serde_json::from_slice(&req.body).unwrap_or(Value::Null),
        })
    }

    /// Hands out an event, with a deadline a minute away.
    pub fn hand_out(&mut self, request_id: &str, event: &Value) {
        let deadline = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + 60_000;
        respond(
            &self.stream,
            "200 OK",
            &[
                ("content-type", "application/json"),
                ("lambda-runtime-aws-request-id", request_id),
                ("lambda-runtime-deadline-ms", &deadline.to_string()),
                (
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:akn",
                ),
            ],
            &event.to_string(),
        );
    }

    /// Acknowledges an answer.
    pub fn acknowledge(&mut self) {
        respond(&self.stream, "202 Accepted", &[], "{}");
    }
}

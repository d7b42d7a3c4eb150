//! The scanner's HTTP side: one client that never follows redirects (or leaves the host),
//! sends at most `rps` requests a second and at most `budget` in all, and reads cookies as
//! the server set them, attributes included.
use std::time::{Duration, Instant};

/// The most of a response body the scanner reads.
const MAX_BODY: usize = 1 << 20;

/// A cookie as a `Set-Cookie` line set it.
#[derive(Clone, Debug)]
pub struct SetCookie {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: String,
    /// The whole line, for evidence.
    pub line: String,
    /// The parsed attributes.
    pub http_only: bool,
    /// `Secure`.
    pub secure: bool,
    /// `SameSite`, as written.
    pub same_site: Option<String>,
    /// `Domain`, as written.
    pub domain: Option<String>,
    /// `Path`, as written.
    pub path: Option<String>,
    /// `Max-Age` or `Expires` present with a lifetime (a removal is not persistent).
    pub persistent: bool,
    /// A removal (`Max-Age=0` or an expiry in the past, or an empty value).
    pub removal: bool,
}

impl SetCookie {
    /// Reads one `Set-Cookie` line.
    pub fn parse(line: &str) -> Option<Self> {
        let cookie = cookie::Cookie::parse(line.to_owned()).ok()?;
        let max_age = cookie.max_age().map(|d| d.whole_seconds());
        let expires_past = cookie
            .expires_datetime()
            .is_some_and(|at| at < cookie::time::OffsetDateTime::now_utc());
        let removal = max_age.is_some_and(|s| s <= 0) || expires_past || cookie.value().is_empty();
        Some(Self {
            name: cookie.name().to_owned(),
            value: cookie.value().to_owned(),
            line: line.to_owned(),
            http_only: cookie.http_only().unwrap_or(false),
            secure: cookie.secure().unwrap_or(false),
            same_site: cookie.same_site().map(|s| s.to_string()),
            domain: cookie.domain().map(str::to_owned),
            path: cookie.path().map(str::to_owned),
            persistent: !removal && (max_age.is_some() || cookie.expires().is_some()),
            removal,
        })
    }
}

/// What came back.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The body (at most 1 MiB of it, as text).
    pub body: String,
    /// The cookies it set.
    pub cookies: Vec<SetCookie>,
}

impl Answer {
    /// The first value of `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The cookie named `name` it set, if any.
    pub fn cookie(&self, name: &str) -> Option<&SetCookie> {
        self.cookies.iter().rev().find(|c| c.name == name)
    }

    /// `HTTP/1.1 <status>` and the headers, as evidence lines.
    pub fn evidence(&self, only: &[&str]) -> Vec<String> {
        let mut lines = vec![format!("HTTP {}", self.status)];
        for (n, v) in &self.headers {
            if only.is_empty() || only.contains(&n.as_str()) {
                lines.push(format!("{n}: {v}"));
            }
        }
        lines
    }
}

/// A request to send.
#[derive(Clone, Debug)]
pub struct Call<'a> {
    /// `GET`, `POST`…
    pub method: &'a str,
    /// Path (and query) on the target.
    pub path: &'a str,
    /// `Cookie` header value (`a=b; c=d`), if any.
    pub cookies: Option<String>,
    /// Body and its content type.
    pub body: Option<(String, &'static str)>,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
}

impl<'a> Call<'a> {
    /// `method path`, nothing else.
    pub fn new(method: &'a str, path: &'a str) -> Self {
        Self {
            method,
            path,
            cookies: None,
            body: None,
            headers: Vec::new(),
        }
    }

    /// With these cookies.
    pub fn cookies(mut self, cookies: impl Into<Option<String>>) -> Self {
        self.cookies = cookies.into();
        self
    }

    /// With a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// With a body.
    pub fn body(mut self, body: String, content_type: &'static str) -> Self {
        self.body = Some((body, content_type));
        self
    }
}

/// The client.
pub struct Client {
    http: reqwest::Client,
    base: url::Url,
    gap: Duration,
    last: Option<Instant>,
    sent: u32,
    budget: u32,
}

/// Why a request was not sent or got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request budget is spent.
    #[error("the request budget ({0}) is spent")]
    Budget(u32),
    /// The target did not answer.
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    /// A path that would leave the target.
    #[error("{0} is not a path on the target")]
    OffHost(String),
}

impl Client {
    /// A client for `base` at `rps` requests a second, `budget` requests in all.
    pub fn new(base: url::Url, rps: f64, budget: u32) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .user_agent("hallpass-audit/1 (session security scanner)")
            .build()
            .expect("the client builds");
        Self {
            http,
            base,
            gap: Duration::from_secs_f64(1.0 / rps.max(0.1)),
            last: None,
            sent: 0,
            budget,
        }
    }

    /// Requests sent so far.
    pub fn sent(&self) -> u32 {
        self.sent
    }

    /// The target's origin (`scheme://host[:port]`).
    pub fn origin(&self) -> String {
        self.base.origin().ascii_serialization()
    }

    /// Whether the target is served over https.
    pub fn https(&self) -> bool {
        self.base.scheme() == "https"
    }

    /// Sends `call` (paced, counted); only paths on the target are allowed.
    pub async fn send(&mut self, call: Call<'_>) -> Result<Answer, ClientError> {
        // A path, and only a path: URL parsers also read `\` as `/` and drop tabs and
        // newlines, so `/\\host/` or `/\t/host/` would leave the target.
        if !call.path.starts_with('/')
            || call.path.starts_with("//")
            || call.path.chars().any(|c| c == '\\' || c.is_control())
        {
            return Err(ClientError::OffHost(call.path.to_owned()));
        }
        if self.sent >= self.budget {
            return Err(ClientError::Budget(self.budget));
        }
        if let Some(last) = self.last {
            let wait = self.gap.saturating_sub(last.elapsed());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        self.last = Some(Instant::now());
        self.sent += 1;
        let url = self
            .base
            .join(call.path)
            .ok()
            .filter(|url| url.origin() == self.base.origin())
            .ok_or_else(|| ClientError::OffHost(call.path.to_owned()))?;
        let method =
            reqwest::Method::from_bytes(call.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut req = self.http.request(method, url);
        if let Some(cookies) = call.cookies {
            req = req.header(reqwest::header::COOKIE, cookies);
        }
        for (name, value) in call.headers {
            req = req.header(name, value);
        }
        if let Some((body, content_type)) = call.body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        let headers: Vec<(String, String)> = res
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let cookies = res
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(SetCookie::parse)
            .collect();
        // At most 1 MiB of a body is read; the rest is never buffered (a target cannot make the
        // scanner hold more).
        let mut res = res;
        let mut bytes = Vec::new();
        while bytes.len() < MAX_BODY {
            match res.chunk().await? {
                Some(chunk) => {
                    let room = MAX_BODY - bytes.len();
                    bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                None => break,
            }
        }
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Ok(Answer {
            status,
            headers,
            body,
            cookies,
        })
    }
}

/// A `Cookie` header from name/value pairs.
pub fn cookie_header(pairs: &[(String, String)]) -> Option<String> {
    (!pairs.is_empty()).then(|| {
        pairs
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

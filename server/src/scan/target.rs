//! How to sign in to the target and tell whether a session works: the scanner's only
//! knowledge of the application, given on the command line or in a config file.
use super::client::{cookie_header, Answer, Call, Client, ClientError};

/// An endpoint: method and path.
#[derive(Clone, Debug, serde::Deserialize, PartialEq, Eq)]
pub struct Endpoint {
    /// `POST`, `GET`…
    pub method: String,
    /// The path on the target.
    pub path: String,
}

/// The credentials, as the sign-in endpoint takes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// `application/x-www-form-urlencoded` (e.g. `email=me@x.test&password=…`).
    Form(String),
    /// `application/json` (e.g. `{"email":"…","password":"…"}`).
    Json(String),
}

/// Everything the scanner knows about the application.
#[derive(Clone, Debug)]
pub struct Target {
    /// The sign-in endpoint.
    pub login: Endpoint,
    /// The test account.
    pub credentials: Credentials,
    /// A page or endpoint that answers 2xx only when signed in (`GET`).
    pub probe: Endpoint,
    /// The sign-out endpoint, if there is one.
    pub logout: Option<Endpoint>,
    /// The sign-out-everywhere endpoint, if there is one.
    pub logout_all: Option<Endpoint>,
    /// The form field a CSRF token goes back in.
    pub csrf_field: Option<String>,
    /// The header a CSRF token goes back in.
    pub csrf_header: Option<String>,
}

/// Cookies the browser would hold, in order.
#[derive(Clone, Debug, Default)]
pub struct Jar(pub Vec<(String, String)>);

impl Jar {
    /// Takes the cookies `answer` set (a removal deletes).
    pub fn absorb(&mut self, answer: &Answer) {
        for c in &answer.cookies {
            self.0.retain(|(n, _)| *n != c.name);
            if !c.removal {
                self.0.push((c.name.clone(), c.value.clone()));
            }
        }
    }

    /// The `Cookie` header.
    pub fn header(&self) -> Option<String> {
        cookie_header(&self.0)
    }

    /// The jar without `name`.
    pub fn without(&self, name: &str) -> Jar {
        Jar(self.0.iter().filter(|(n, _)| n != name).cloned().collect())
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// With `name` set to `value`.
    pub fn with(&self, name: &str, value: &str) -> Jar {
        let mut jar = self.without(name);
        jar.0.push((name.to_owned(), value.to_owned()));
        jar
    }
}

/// A signed-in browser: its cookies and what the sign-in looked like.
#[derive(Clone, Debug)]
pub struct SignedIn {
    /// The cookies after sign-in.
    pub jar: Jar,
    /// The sign-in page's answer (before).
    pub page: Answer,
    /// The sign-in's answer.
    pub answer: Answer,
}

/// Why the scan could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A request failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The sign-in was refused.
    #[error("the sign-in was refused: HTTP {0} (check --login and the credentials)")]
    SignInRefused(u16),
    /// The probe did not work signed in, or worked signed out.
    #[error("{0}")]
    Probe(String),
}

impl Target {
    /// Signs in as a browser would: loads the sign-in page (holding `jar`'s cookies first,
    /// e.g. a planted one), picks up a CSRF token if asked to, and posts the credentials.
    pub async fn sign_in(&self, client: &mut Client, jar: Jar) -> Result<SignedIn, ScanError> {
        let mut jar = jar;
        let page = client
            .send(Call::new("GET", &self.login.path).cookies(jar.header()))
            .await?;
        jar.absorb(&page);
        let token = self.csrf_token(&page, &jar);
        let (body, content_type) = match &self.credentials {
            Credentials::Form(form) => {
                let mut form = form.clone();
                if let (Some(field), Some(token)) = (&self.csrf_field, &token) {
                    form.push_str(&format!("&{field}={}", urlencoding(token)));
                }
                (form, "application/x-www-form-urlencoded")
            }
            Credentials::Json(json) => {
                let mut value: serde_json::Value =
                    serde_json::from_str(json).unwrap_or(serde_json::Value::Null);
                if let (Some(field), Some(token), Some(map)) =
                    (&self.csrf_field, &token, value.as_object_mut())
                {
                    map.insert(field.clone(), token.clone().into());
                }
                (value.to_string(), "application/json")
            }
        };
        let mut call = Call::new(&self.login.method, &self.login.path)
            .cookies(jar.header())
            .header("origin", client.origin())
            .header("sec-fetch-site", "same-origin")
            .body(body, content_type);
        if let (Some(header), Some(token)) = (&self.csrf_header, &token) {
            call = call.header(header.to_ascii_lowercase(), token.clone());
        }
        let answer = client.send(call).await?;
        if answer.status >= 400 {
            return Err(ScanError::SignInRefused(answer.status));
        }
        jar.absorb(&answer);
        Ok(SignedIn { jar, page, answer })
    }

    /// Whether `jar` reaches the probe.
    pub async fn reaches(&self, client: &mut Client, jar: &Jar) -> Result<bool, ScanError> {
        Ok(client
            .send(Call::new(&self.probe.method, &self.probe.path).cookies(jar.header()))
            .await?
            .ok())
    }

    /// Sends `endpoint` as the signed-in browser `jar` would (same-origin, with the CSRF
    /// header when one is configured and a token cookie is held, as a double-submit client
    /// would send it).
    pub async fn call(
        &self,
        client: &mut Client,
        endpoint: &Endpoint,
        jar: &Jar,
    ) -> Result<Answer, ScanError> {
        let mut call = Call::new(&endpoint.method, &endpoint.path)
            .cookies(jar.header())
            .header("origin", client.origin())
            .header("sec-fetch-site", "same-origin");
        if let Some(header) = &self.csrf_header {
            let token = jar.0.iter().find(|(n, _)| {
                let n = n.to_ascii_lowercase();
                n == header.to_ascii_lowercase() || n.contains("csrf") || n.contains("xsrf")
            });
            if let Some((_, token)) = token {
                call = call.header(header.to_ascii_lowercase(), token.clone());
            }
        }
        Ok(client.send(call).await?)
    }

    /// The CSRF token of a page: a form field or meta tag named `csrf_field` / `csrf-token`,
    /// or a cookie named like one.
    fn csrf_token(&self, page: &Answer, jar: &Jar) -> Option<String> {
        if self.csrf_field.is_none() && self.csrf_header.is_none() {
            return None;
        }
        let names: Vec<&str> = self
            .csrf_field
            .iter()
            .chain(self.csrf_header.iter())
            .map(String::as_str)
            .chain(["csrf-token", "_csrf", "csrf_token", "authenticity_token"])
            .collect();
        for name in &names {
            if let Some(value) =
                attribute_after(&page.body, &format!("name=\"{name}\""), "value=\"").or_else(|| {
                    attribute_after(&page.body, &format!("name=\"{name}\""), "content=\"")
                })
            {
                return Some(value);
            }
        }
        jar.0
            .iter()
            .find(|(n, _)| {
                let n = n.to_ascii_lowercase();
                names.iter().any(|name| n == name.to_ascii_lowercase())
                    || n.contains("csrf")
                    || n.contains("xsrf")
            })
            .map(|(_, v)| v.clone())
    }
}

/// In the tag that contains `marker`, the value of the attribute that starts with `attr`.
fn attribute_after(html: &str, marker: &str, attr: &str) -> Option<String> {
    let at = html.find(marker)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let value = &tag[tag.find(attr)? + attr.len()..];
    Some(value[..value.find('"')?].to_owned())
}

fn urlencoding(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::attribute_after;

    #[test]
    fn csrf_tokens_are_found_in_forms_and_meta_tags() {
        let html =
            r#"<form><input type="hidden" name="_csrf" value="tok123"><input name="x"></form>"#;
        assert_eq!(
            attribute_after(html, "name=\"_csrf\"", "value=\"").as_deref(),
            Some("tok123")
        );
        let meta = r#"<meta name="csrf-token" content="abc">"#;
        assert_eq!(
            attribute_after(meta, "name=\"csrf-token\"", "content=\"").as_deref(),
            Some("abc")
        );
        assert_eq!(attribute_after(html, "name=\"nope\"", "value=\""), None);
    }
}

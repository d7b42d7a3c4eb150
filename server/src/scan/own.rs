//! The security page's audit of this deployment (`app::ssr::self_audit::SelfAudit`): a
//! throwaway account signs in against this deployment's own public origin (never any other
//! host), the scan runs in the background with its progress written where every instance can
//! read it, and the account is deleted, with every session it had, when the scan ends.
use super::{Credentials, Endpoint, Options, Target};
use app::{
    error::ApiError,
    model::{EndReason, Role},
    ssr::{
        audit::{AuditEvent, AuditKind},
        context::ServerState,
        self_audit::{Runs, SelfAudit},
    },
};

/// Audits this deployment at its first public origin.
#[derive(Debug)]
pub struct OwnAudit {
    origin: Option<url::Url>,
}

impl OwnAudit {
    /// Against the first of `public_origins` (none: the button explains it needs one).
    pub fn new(public_origins: &[String]) -> Self {
        Self {
            origin: public_origins.first().and_then(|o| url::Url::parse(o).ok()),
        }
    }
}

/// Fresh sign-ins sampled when the page runs the audit (fewer than the command's default: it
/// runs against production).
const SAMPLES: usize = 30;

#[async_trait::async_trait]
impl SelfAudit for OwnAudit {
    async fn start(&self, state: ServerState, by: String) -> Result<(), ApiError> {
        let origin = self.origin.clone().ok_or_else(|| {
            ApiError::bad_request(
                "Set HALLPASS_PUBLIC_ORIGIN: the audit runs only against this deployment's own public origin.",
            )
        })?;
        let runs = Runs(state.users.pool().clone());
        let id = hex::encode(rand::random::<[u8; 16]>());
        if !runs.begin(&id, &by, state.clock.now()).await? {
            return Err(ApiError::bad_request("An audit is already running."));
        }
        tokio::spawn(async move {
            let outcome = run(&state, &runs, &id, &origin).await;
            runs.finish(&id, state.clock.now(), outcome).await;
        });
        Ok(())
    }
}

async fn run(
    state: &ServerState,
    runs: &Runs,
    id: &str,
    origin: &url::Url,
) -> Result<(char, String), String> {
    let email = format!(
        "{}{}{}",
        app::ssr::self_audit::ACCOUNT_PREFIX,
        hex::encode(rand::random::<[u8; 6]>()),
        app::ssr::self_audit::ACCOUNT_DOMAIN
    );
    let password = hex::encode(rand::random::<[u8; 24]>());
    let user = state
        .users
        .create(&email, &password, Role::User)
        .await
        .map_err(|err| format!("could not create the audit's account: {err}"))?;
    runs.account(id, Some(&user.id)).await;
    state
        .audit
        .record(
            AuditEvent::new(AuditKind::AccountCreated, Some(&user.id))
                .reason("a throwaway account for the security page's audit"),
        )
        .await;
    let target = Target {
        login: Endpoint {
            method: "POST".into(),
            path: "/api/login".into(),
        },
        credentials: Credentials::Form(format!(
            "email={}&password={password}",
            url::form_urlencoded::byte_serialize(email.as_bytes()).collect::<String>()
        )),
        probe: Endpoint {
            method: "GET".into(),
            path: "/".into(),
        },
        logout: Some(Endpoint {
            method: "POST".into(),
            path: "/api/logout".into(),
        }),
        logout_all: Some(Endpoint {
            method: "POST".into(),
            path: "/api/revoke_other_sessions".into(),
        }),
        csrf_field: None,
        csrf_header: None,
    };
    let bar = indicatif::ProgressBar::hidden();
    bar.set_length(SAMPLES as u64 + 8);
    let options = Options {
        samples: SAMPLES,
        rps: 20.0,
        progress: Some(bar.clone()),
        ..Options::default()
    };
    // Given up well before the run could be taken for a stopped one.
    let deadline = std::time::Duration::from_secs(app::ssr::self_audit::RUN_SECS);
    let scan = tokio::time::timeout(deadline, super::run(origin, &target, &options));
    tokio::pin!(scan);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    let result = loop {
        tokio::select! {
            result = &mut scan => break result.unwrap_or_else(|_| Err(super::ScanError::Probe(format!("the audit took longer than {} s", deadline.as_secs())))),
            _ = tick.tick() => runs.progress(id, &format!("{} ({}/{})", bar.message(), bar.position(), bar.length().unwrap_or(0))).await,
        }
    };
    // The throwaway account goes, and every session it had with it.
    if remove_account(state, &user).await {
        runs.account(id, None).await;
    }
    let report = result.map_err(|err| err.to_string())?;
    Ok((report.grade, report.text()))
}

/// Deletes a throwaway account and ends every session it had (audited); whether it is gone.
pub async fn remove_account(state: &ServerState, user: &app::ssr::users::User) -> bool {
    let deleted = match app::ssr::accounts::delete(state, user).await {
        Ok(()) => {
            state
                .audit
                .record(
                    AuditEvent::new(AuditKind::AccountDeleted, Some(&user.id))
                        .reason("the security page's audit ended"),
                )
                .await;
            true
        }
        Err(err) => {
            tracing::error!(message = %err.message, "could not delete the self-audit's account");
            false
        }
    };
    let client = app::ssr::auth::ClientInfo::default();
    let ending = app::ssr::ending::Ending::new(EndReason::Revoked, &client);
    if let Err(err) = app::ssr::ending::end_everywhere(state, &user.id, None, &ending).await {
        tracing::error!(message = %err.message, "could not end the self-audit's sessions");
    }
    deleted
}

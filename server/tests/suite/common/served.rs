//! A `hallpass serve` process for tests that need the real binary (TLS, listeners, logs).
use super::PASSWORD;
use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

/// A `hallpass serve` process, and the lines it logs.
pub struct Served {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Served {
    /// Starts the binary with `env` on a fresh SQLite database in `dir`.
    pub fn start(dir: &Path, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hallpass"))
            .arg("serve")
            .env(
                "HALLPASS_DATABASE_URL",
                format!("sqlite://{}/hallpass.db?mode=rwc", dir.display()),
            )
            .env("HALLPASS_ADMIN_EMAIL", "admin@example.test")
            .env("HALLPASS_ADMIN_PASSWORD", PASSWORD)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "warn,hallpass=info")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .spawn()
            .expect("hallpass starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Served { child, lines }
    }

    /// Starts the binary serving HTTPS with a fresh certificate of `ca` (written into its
    /// folder), plus `env`.
    pub fn start_tls(ca: &super::certs::Authority, env: &[(&str, &str)]) -> Self {
        let (cert, key) = ca.issue().write(ca.dir());
        let (cert, key) = (cert.display().to_string(), key.display().to_string());
        let mut all = vec![
            ("HALLPASS_TLS_CERT", cert.as_str()),
            ("HALLPASS_TLS_KEY", key.as_str()),
        ];
        all.extend_from_slice(env);
        Self::start(ca.dir(), &all)
    }

    /// Waits for the next line containing `needle` (what follows it on that line).
    pub fn wait_for(&self, needle: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("the process never logged {needle:?}"));
            if let Some(rest) = line.split(needle).nth(1) {
                return rest.to_owned();
            }
        }
    }

    /// The port in the next line containing `needle` followed by `127.0.0.1:PORT`.
    pub fn port_after(&self, needle: &str) -> u16 {
        let rest = self.wait_for(needle);
        let addr: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
            .collect();
        addr.rsplit(':').next().unwrap().parse().expect("a port")
    }
}

//! Throwaway database and cache servers that a test may stop and start again, for outages.
use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (bounded) until something accepts connections on `port`.
fn wait_for_port(port: u16) {
    for _ in 0..250 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("nothing listens on port {port}");
}

/// A `redis-server` that keeps nothing on disk.
pub struct Redis(Child);

impl Redis {
    /// Starts it on `port` and waits until it accepts connections.
    pub fn start(port: u16) -> Self {
        Self::start_with(port, &["--port", &port.to_string()])
    }

    /// Starts it speaking only TLS on `port`, presenting `cert` / `key` (PEM files).
    pub fn start_tls(port: u16, cert: &Path, key: &Path, ca: &Path) -> Self {
        let path = |p: &Path| p.display().to_string();
        Self::start_with(
            port,
            &[
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--tls-cert-file",
                &path(cert),
                "--tls-key-file",
                &path(key),
                "--tls-ca-cert-file",
                &path(ca),
                "--tls-auth-clients",
                "no",
            ],
        )
    }

    fn start_with(port: u16, args: &[&str]) -> Self {
        let child = Command::new("redis-server")
            .args(args)
            .args(["--save", "", "--appendonly", "no"])
            .args(["--bind", "127.0.0.1"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs (scripts/setup installs it)");
        wait_for_port(port);
        Redis(child)
    }

    /// Kills it (its data is gone).
    pub fn stop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A PostgreSQL cluster of its own (initdb in a temporary folder), on its own port. Its data
/// survives [`Postgres::crash`] and [`Postgres::start`], like a real server's.
pub struct Postgres {
    dir: tempfile::TempDir,
    /// Settings passed to the server at every start (`-c name=value …`).
    options: String,
    /// The port it listens on.
    pub port: u16,
    /// How to run `pg_ctl`: the program, then any arguments before its own.
    pg_ctl: Vec<String>,
}

impl Postgres {
    /// Creates the cluster and starts it.
    pub fn new() -> Self {
        Self::create(|_| String::new())
    }

    /// A cluster that accepts only TLS connections over TCP, presenting `cert` / `key` (PEM).
    pub fn new_tls(cert_pem: &str, key_pem: &str) -> Self {
        Self::create(|data| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::write(data.join("server.crt"), cert_pem).unwrap();
            std::fs::write(data.join("server.key"), key_pem).unwrap();
            std::fs::set_permissions(
                data.join("server.key"),
                std::fs::Permissions::from_mode(0o600),
            )
            .unwrap();
            if as_root() {
                for file in ["server.crt", "server.key"] {
                    std::os::unix::fs::chown(data.join(file), Some(uid_of("postgres")), None)
                        .unwrap();
                }
            }
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\n\
                 hostssl all all 127.0.0.1/32 trust\n\
                 hostnossl all all 127.0.0.1/32 reject\n",
            )
            .unwrap();
            "-c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key".to_owned()
        })
    }

    /// Creates the cluster, lets `prepare` adjust its data folder (returning extra server
    /// settings), and starts it.
    fn create(prepare: impl FnOnce(&Path) -> String) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let pg_ctl = pg_bin("pg_ctl");
        let pg_ctl = if as_root() {
            // PostgreSQL refuses to run as root: the cluster belongs to `postgres`.
            std::os::unix::fs::chown(dir.path(), Some(uid_of("postgres")), None)
                .expect("chown the cluster folder to postgres");
            ["runuser", "-u", "postgres", "--", &pg_ctl]
                .map(str::to_owned)
                .to_vec()
        } else {
            vec![pg_ctl]
        };
        let mut pg = Postgres {
            port: free_port(),
            dir,
            options: String::new(),
            pg_ctl,
        };
        pg.pg_ctl(&["initdb", "-o", "--auth=trust --username=postgres --no-sync"]);
        pg.options = prepare(&pg.data());
        pg.start();
        pg
    }

    /// `postgres://…` for its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off {}",
            self.port,
            self.data().display(),
            self.options,
        );
        self.pg_ctl(&["start", "-w", "-l", "/dev/null", "-o", &options]);
        wait_for_port(self.port);
    }

    /// Stops it the way a crash would (`immediate`: no checkpoint; recovery on the next start).
    pub fn crash(&self) {
        self.pg_ctl(&["stop", "-w", "-m", "immediate"]);
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg_ctl(&self, args: &[&str]) {
        let status = Command::new(&self.pg_ctl[0])
            .args(&self.pg_ctl[1..])
            .arg("-D")
            .arg(self.data())
            .args(args)
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl runs");
        assert!(status.success(), "pg_ctl {args:?} failed");
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.data().join("postmaster.pid").exists() {
            self.crash();
        }
    }
}

fn as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

fn uid_of(user: &str) -> u32 {
    let out = Command::new("id")
        .args(["-u", user])
        .output()
        .expect("id runs");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no user {user}"))
}

/// A PostgreSQL program: on PATH, or in Debian's versioned folder.
fn pg_bin(name: &str) -> String {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if Path::new(&dir).join(name).exists() {
            return format!("{dir}/{name}");
        }
    }
    let mut found: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found
        .pop()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| name.to_owned())
}

//! `hallpass user add` creates an account that can sign in.
use crate::common;

use std::{
    io::Write,
    process::{Command, Stdio},
};

#[tokio::test]
async fn user_add_reads_the_password_from_stdin() {
    let s = common::TestServer::start(common::StoreKind::Sqlite).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hallpass"))
        .args([
            "--database-url",
            &s.database_url,
            "user",
            "add",
            "--email",
            "New@Example.test",
            "--role",
            "admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "added new@example.test (admin)"
    );

    let res = s
        .login("new@example.test", "a long enough password", None)
        .await;
    assert_eq!(res.status(), 200);
    let me: serde_json::Value = res.json().await.unwrap();
    assert_eq!(me["role"], "admin");

    let dup = Command::new(env!("CARGO_BIN_EXE_hallpass"))
        .args([
            "--database-url",
            &s.database_url,
            "user",
            "add",
            "--email",
            "new@example.test",
        ])
        .stdin(Stdio::piped())
        .output()
        .unwrap();
    assert!(!dup.status.success(), "adding the same email twice fails");
}

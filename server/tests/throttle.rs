//! Brute force: failed sign-ins lock the account and then the IP; guessing session ids from
//! one IP is slowed down without touching valid sessions.
mod common;

use common::{json, TestServer, ADMIN_EMAIL, PASSWORD, USER_EMAIL};
use reqwest::header;

on_both_stores!(
    failed_sign_ins_lock_the_account_with_retry_after,
    |s: TestServer| async move {
        for _ in 0..6 {
            assert_eq!(s.login(USER_EMAIL, "wrong guess", None).await.status(), 401);
        }
        let res = s.login(USER_EMAIL, PASSWORD, None).await;
        assert_eq!(res.status(), 429, "locked, even for the right password");
        assert_eq!(res.headers()[header::RETRY_AFTER], "1");
        let err = json(res).await;
        assert_eq!(err["code"], "RATE_LIMITED");
        assert_eq!(err["retry_after"], 1);
        // Each further failure doubles the lock.
        s.advance(2);
        assert_eq!(s.login(USER_EMAIL, "wrong guess", None).await.status(), 401);
        let res = s.login(USER_EMAIL, PASSWORD, None).await;
        assert_eq!(res.headers()[header::RETRY_AFTER], "2");
        // Another account from the same address is not locked.
        assert_eq!(s.login(ADMIN_EMAIL, PASSWORD, None).await.status(), 200);
        s.advance(3);
        assert_eq!(
            s.login(USER_EMAIL, PASSWORD, None).await.status(),
            200,
            "the lock runs out"
        );
        let kinds: Vec<_> = s
            .hallpass
            .state()
            .audit
            .recent(None, 100)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| e.reason)
            .collect();
        assert!(
            kinds.iter().any(|r| r.contains("account locked for 1s")),
            "{kinds:?}"
        );
    }
);

on_both_stores!(
    many_accounts_from_one_address_lock_the_address,
    |s: TestServer| async move {
        for i in 0..21 {
            let res = s
                .login(&format!("nobody{i}@example.test"), "guess", None)
                .await;
            assert_eq!(res.status(), 401, "attempt {i}");
        }
        let res = s.login(USER_EMAIL, PASSWORD, None).await;
        assert_eq!(res.status(), 429, "the address is locked for every account");
        assert!(res.headers().contains_key(header::RETRY_AFTER));
    }
);

on_both_stores!(
    guessing_session_ids_is_slowed_down,
    |s: TestServer| async move {
        let valid = s.session_for(USER_EMAIL).await;
        let mut statuses = Vec::new();
        for i in 0..55u128 {
            let guess = tower_sessions::session::Id(i as i128 + 1).to_string();
            statuses.push(s.post("me", &[], Some(&guess)).await.status().as_u16());
        }
        assert!(statuses[..50].iter().all(|st| *st == 401), "{statuses:?}");
        assert!(
            statuses[50..].contains(&429),
            "guesses beyond the allowance are refused: {statuses:?}"
        );
        assert_eq!(
            s.post("me", &[], Some(&valid)).await.status(),
            200,
            "a valid session from the same address works"
        );
    }
);

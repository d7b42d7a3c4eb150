//! Every request that finds its session over learns why, at every moment of a sweep: the
//! reason is recorded before the user's generation moves on (which is when the sessions stop
//! loading), not as each one is deleted after.
use crate::common;

use common::{json, TestServer, USER_EMAIL};

on_every_store!(
    a_session_outdated_by_a_sweep_already_says_why,
    |s: TestServer| async move {
        // Many sessions, so the sweep takes a while; the one watched is the most recently
        // used, which the sweep reaches last.
        s.set_policy(1800, 28800, "strict", 60).await;
        for _ in 0..40 {
            s.session_for(USER_EMAIL).await;
        }
        let watched = s.session_for(USER_EMAIL).await;
        let admin = s.session_for(common::ADMIN_EMAIL).await;
        let sweep = tokio::spawn({
            let (client, base, admin) = (s.client.clone(), s.base.clone(), admin.clone());
            async move {
                client
                    .post(format!("{base}/api/admin_revoke_user"))
                    .header(reqwest::header::ORIGIN, &base)
                    .header(reqwest::header::USER_AGENT, common::USER_AGENT)
                    .header(
                        reqwest::header::COOKIE,
                        format!("{}={admin}", hallpass::session::COOKIE_NAME),
                    )
                    .form(&[("email", USER_EMAIL)])
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        });
        let mut refusals = Vec::new();
        loop {
            let res = s.post("me", &[], Some(&watched)).await;
            if res.status() == 401 {
                refusals.push(json(res).await["reason"].clone());
            }
            if sweep.is_finished() {
                break;
            }
        }
        assert_eq!(sweep.await.unwrap(), 200);
        let res = s.post("me", &[], Some(&watched)).await;
        refusals.push(json(res).await["reason"].clone());
        assert!(
            refusals.iter().all(|r| r == "revoked"),
            "every refusal says why: {refusals:?}"
        );
    }
);

on_every_store!(
    a_re_authentication_never_carries_on_a_session_being_ended,
    |s: TestServer| async move {
        // An end in progress has recorded its reason and not yet deleted the record (the
        // moment a revocation racing a re-authentication can be caught in): the
        // re-authentication must not regenerate the session into a new id that outlives it.
        let laptop = s.session_for(USER_EMAIL).await;
        let me = json(s.post("me", &[], Some(&laptop)).await).await;
        s.hallpass
            .state()
            .registry
            .record_end(
                me["user_id"].as_str().unwrap(),
                &common::session_key_of(&laptop),
                app::model::EndReason::Revoked,
            )
            .await
            .unwrap();
        let res = s
            .post("reauth", &[("password", common::PASSWORD)], Some(&laptop))
            .await;
        assert_eq!(res.status(), 401, "refused");
        assert!(
            common::session_cookie(&res).is_none_or(|(value, _)| value.is_empty()),
            "and no new session"
        );
        assert_eq!(json(res).await["reason"], "revoked");
        assert_eq!(
            s.hallpass
                .state()
                .registry
                .sessions_of(me["user_id"].as_str().unwrap())
                .await
                .unwrap()
                .len(),
            0,
            "the record being ended is gone, and nothing replaced it"
        );
    }
);

on_every_store!(
    a_forced_reset_is_never_overwritten_by_a_password_change_in_flight,
    |s: TestServer| async move {
        let admin = s.session_for(common::ADMIN_EMAIL).await;
        for round in 0..6 {
            let user = s.session_for(USER_EMAIL).await;
            let mine = format!("attacker password {round}");
            let change_form = [
                ("new_password", mine.as_str()),
                ("keep_other_sessions", "on"),
            ];
            let reset_form = [("email", USER_EMAIL)];
            let (changed, reset) = tokio::join!(
                s.post("change_password", &change_form, Some(&user)),
                s.post("admin_reset_password", &reset_form, Some(&admin)),
            );
            assert_eq!(reset.status(), 200, "round {round}");
            let _ = changed;
            // Whatever the order, the reset stands: no password signs in until the link.
            for password in [common::PASSWORD, mine.as_str()] {
                assert_eq!(
                    s.login(USER_EMAIL, password, None).await.status(),
                    401,
                    "round {round}: {password} still works after the reset"
                );
            }
            let link = json(reset).await["link"].as_str().unwrap().to_owned();
            let token = link.rsplit('=').next().unwrap().to_owned();
            let res = s
                .post(
                    "set_password_with_link",
                    &[("token", &token), ("new_password", common::PASSWORD)],
                    None,
                )
                .await;
            assert_eq!(res.status(), 200, "round {round}");
        }
    }
);

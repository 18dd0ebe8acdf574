//! WatchService and AuditService through the real gRPC API: what each caller
//! sees, filters, resuming, checkpoints, pagination.

use crate::common;

use std::{sync::Arc, time::Duration};

use common::{Start, TestServer, Who};
use marque::pb::marque::v1::{
    self as pb, audit_service_client::AuditServiceClient, watch_response::Kind,
    watch_service_client::WatchServiceClient,
};
use tonic::{Code, Streaming};

fn watch_client(
    server: &TestServer,
    who: Who,
) -> WatchServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, common::Bearer>,
> {
    WatchServiceClient::with_interceptor(server.channel(), server.bearer(who))
}

/// The whole audit trail (no brand, no actor filter) as its page tokens
/// name it.
const AUDIT: &str = "ListAuditEvents \n";

fn audit_client(
    server: &TestServer,
    who: Who,
) -> AuditServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, common::Bearer>,
> {
    AuditServiceClient::with_interceptor(server.channel(), server.bearer(who))
}

/// The revision of the stream's next message, which must be a checkpoint
/// and come within 5 s (well before the default checkpoint interval).
async fn first_checkpoint(stream: &mut Streaming<pb::WatchResponse>) -> u64 {
    let message = tokio::time::timeout(Duration::from_secs(5), stream.message())
        .await
        .expect("a message within 5 s")
        .expect("ok")
        .expect("open");
    match message.kind {
        Some(Kind::Checkpoint(pb::Checkpoint { revision })) => revision,
        _ => panic!("a checkpoint, not {message:?}"),
    }
}

/// Reads messages until a checkpoint at `revision` or later; returns the
/// events seen on the way.
async fn events_until(
    stream: &mut Streaming<pb::WatchResponse>,
    revision: u64,
) -> Vec<pb::ChangeEvent> {
    let mut events = Vec::new();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), stream.message())
            .await
            .expect("the stream answers")
            .expect("stream ok")
            .expect("stream open");
        match message.kind.expect("kind") {
            Kind::Event(event) => {
                let at = event.revision;
                events.push(event);
                if at >= revision {
                    return events;
                }
            }
            Kind::Checkpoint(c) if c.revision >= revision => return events,
            Kind::Checkpoint(_) => {}
        }
    }
}

fn names(events: &[pb::ChangeEvent]) -> Vec<String> {
    events
        .iter()
        .flat_map(|e| e.changes.iter().map(|c| c.name.clone()))
        .collect()
}

async fn authorize(server: &TestServer, platform: &str, seller: &str) -> u64 {
    server
        .registry_as(Who::OwnerA)
        .authorize_seller(pb::AuthorizeSellerRequest {
            parent: "brands/alpha".into(),
            authorization: Some(pb::Authorization {
                platform: format!("members/{platform}"),
                seller_account: seller.into(),
                ..Default::default()
            }),
            request_id: format!("req-{seller}"),
        })
        .await
        .expect("authorize")
        .into_inner()
        .revision
}

/// A Watch of everything, as each of `callers`.
async fn watch_all(
    server: &TestServer,
    callers: &[Who],
) -> Vec<(Who, Streaming<pb::WatchResponse>)> {
    let mut streams = Vec::new();
    for &who in callers {
        let stream = watch_client(server, who)
            .watch(pb::WatchRequest::default())
            .await
            .expect("watch")
            .into_inner();
        streams.push((who, stream));
    }
    streams
}

#[tokio::test]
async fn each_caller_watches_only_what_it_may_see() {
    let server = TestServer::start().await;
    let mut streams = watch_all(
        &server,
        &[
            Who::Operator,
            Who::OwnerA,
            Who::OwnerB,
            Who::PlatformP,
            Who::PlatformQ,
        ],
    )
    .await;
    authorize(&server, "platform-p", "new-on-p").await;
    let head = authorize(&server, "platform-q", "new-on-q").await;
    for (who, stream) in &mut streams {
        let seen = names(&events_until(stream, head).await);
        let members = seen.iter().any(|n| n.starts_with("members/"));
        let p_auths = seen
            .iter()
            .filter(|n| n.contains("/authorizations/"))
            .count();
        // The fixture holds one authorization per platform; two more were made.
        match who {
            Who::Operator => assert!(members && p_auths == 4, "{who:?}: {seen:?}"),
            Who::OwnerA => assert!(!members && p_auths == 4, "{who:?}: {seen:?}"),
            Who::OwnerB | Who::Anonymous => assert!(!members && p_auths == 0, "{who:?}: {seen:?}"),
            Who::PlatformP | Who::PlatformQ => {
                assert!(!members && p_auths == 2, "{who:?}: {seen:?}")
            }
        }
        assert!(
            seen.contains(&"brands/alpha".to_string()),
            "{who:?} sees public brand data"
        );
    }
}

/// Every caller that sees a write sees who made it; only the operator and
/// the member itself see the API key it used and its request id.
/// A write with a request id that changes nothing takes a revision (a
/// retry answers as the first call did): its event, without changes, is
/// watched and audited by the operator and the writer's member, and by no
/// one else.
#[tokio::test]
async fn a_revision_that_changed_nothing_is_seen_by_the_operator_and_the_writer() {
    let server = TestServer::start().await;
    let mut streams = watch_all(&server, &[Who::Operator, Who::OwnerA, Who::OwnerB]).await;
    let rename = |request_id: &str| pb::UpdateBrandRequest {
        brand: Some(pb::Brand {
            name: "brands/alpha".into(),
            display_name: "Alpha".into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["display_name".into()],
        }),
        request_id: request_id.into(),
    };
    let unchanged = server
        .registry_as(Who::OwnerA)
        .update_brand(rename("same-name"))
        .await
        .expect("an update to the name it has")
        .into_inner()
        .revision;
    // A write after it, which every member sees.
    let after = authorize(&server, "platform-p", "after-the-no-op").await;
    assert!(after > unchanged);
    for (who, stream) in &mut streams {
        let events = events_until(stream, after).await;
        let seen = events.iter().find(|e| e.revision == unchanged);
        match who {
            Who::Operator | Who::OwnerA => {
                let event = seen.unwrap_or_else(|| panic!("{who:?}: {events:?}"));
                assert!(event.changes.is_empty(), "{event:?}");
                assert_eq!(event.request_id, "same-name");
                assert_eq!(event.actor, "members/owner-a");
            }
            _ => assert!(seen.is_none(), "{who:?}: {events:?}"),
        }
    }
    let page = audit_client(&server, Who::Operator)
        .list_audit_events(pb::ListAuditEventsRequest::default())
        .await
        .expect("audit")
        .into_inner();
    let revisions: Vec<u64> = page.events.iter().map(|e| e.revision).collect();
    assert!(revisions.contains(&unchanged), "{revisions:?}");
    // The writer's own trail has it, another member's does not.
    for (who, has) in [(Who::OwnerA, true), (Who::OwnerB, false)] {
        let page = audit_client(&server, who)
            .list_audit_events(pb::ListAuditEventsRequest::default())
            .await
            .expect("audit")
            .into_inner();
        let event = page.events.iter().find(|e| e.revision == unchanged);
        assert_eq!(event.is_some(), has, "{who:?}: {:?}", page.events);
        if let Some(event) = event {
            assert!(event.changes.is_empty(), "{event:?}");
            assert_eq!(event.request_id, "same-name");
        }
    }
    // A brand's trail has no event of its own for it.
    let page = audit_client(&server, Who::Operator)
        .list_audit_events(pb::ListAuditEventsRequest {
            brand: "brands/alpha".into(),
            ..Default::default()
        })
        .await
        .expect("audit")
        .into_inner();
    assert!(page.events.iter().all(|e| !e.changes.is_empty()));
}

#[tokio::test]
async fn another_members_keys_and_request_ids_are_not_watched() {
    let server = TestServer::start().await;
    let mut streams = watch_all(
        &server,
        &[Who::Operator, Who::OwnerA, Who::OwnerB, Who::PlatformP],
    )
    .await;
    // A public write (a brand's): every member sees it.
    let head = server
        .registry_as(Who::OwnerA)
        .update_brand(pb::UpdateBrandRequest {
            brand: Some(pb::Brand {
                name: "brands/alpha".into(),
                display_name: "Alpha Maison".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["display_name".into()],
            }),
            request_id: "req-renamed".into(),
        })
        .await
        .expect("rename")
        .into_inner()
        .revision;
    for (who, stream) in &mut streams {
        let events = events_until(stream, head).await;
        let event = events
            .iter()
            .find(|e| e.revision == head)
            .unwrap_or_else(|| panic!("{who:?} sees the write: {events:?}"));
        assert_eq!(event.actor, "members/owner-a", "{who:?}");
        let sees_how = matches!(who, Who::Operator | Who::OwnerA);
        assert_eq!(!event.api_key.is_empty(), sees_how, "{who:?}: {event:?}");
        assert_eq!(
            event.request_id,
            if sees_how { "req-renamed" } else { "" },
            "{who:?}"
        );
    }
    // The audit trail the same way.
    for who in [Who::Operator, Who::OwnerA] {
        let page = audit_client(&server, who)
            .list_audit_events(pb::ListAuditEventsRequest {
                brand: "brands/alpha".into(),
                ..Default::default()
            })
            .await
            .expect("audit")
            .into_inner();
        let event = page
            .events
            .iter()
            .find(|e| e.revision == head)
            .expect("the write audited");
        assert_eq!(event.request_id, "req-renamed", "{who:?}");
        assert!(!event.api_key.is_empty(), "{who:?}");
    }
}

#[tokio::test]
async fn watch_filters_resumes_and_checkpoints() {
    let mut start = Start::fixture();
    start.options.watch_checkpoint = Duration::from_millis(200);
    let server = start.start().await;
    let mut client = watch_client(&server, Who::OwnerA);
    let mut stream = client
        .watch(pb::WatchRequest {
            from_revision: 0,
            brands: vec!["brands/alpha".into()],
            kinds: vec![pb::ResourceKind::Authorization as i32],
        })
        .await
        .expect("watch")
        .into_inner();
    let first = authorize(&server, "platform-p", "w-1").await;
    let events = events_until(&mut stream, first).await;
    assert!(
        events
            .iter()
            .flat_map(|e| &e.changes)
            .all(|c| c.kind == pb::ResourceKind::Authorization as i32
                && c.name.starts_with("brands/alpha/")),
        "filtered by brand and kind"
    );
    let last = events.last().expect("events").clone();
    assert_eq!(last.revision, first);
    assert_eq!(last.actor, "members/owner-a");
    assert_eq!(last.request_id, "req-w-1");
    assert!(last.api_key.starts_with("members/owner-a/apiKeys/"));
    let change = &last.changes[0];
    assert!(
        change.before.is_none() && change.after.is_some(),
        "a creation"
    );
    drop(stream);

    // Changes while away arrive on resume, from the last revision received.
    let second = authorize(&server, "platform-p", "w-2").await;
    let mut resumed = client
        .watch(pb::WatchRequest {
            from_revision: first,
            brands: vec![],
            kinds: vec![],
        })
        .await
        .expect("resume")
        .into_inner();
    let events = events_until(&mut resumed, second).await;
    assert_eq!(events.first().map(|e| e.revision), Some(second));
    assert!(
        names(&events)
            .iter()
            .any(|n| n.contains("/authorizations/"))
    );

    // An idle stream gets checkpoints.
    let message = tokio::time::timeout(Duration::from_secs(5), resumed.message())
        .await
        .expect("a checkpoint within the interval")
        .expect("ok")
        .expect("open");
    assert!(
        matches!(message.kind, Some(Kind::Checkpoint(pb::Checkpoint { revision })) if revision == second)
    );

    let status = client
        .watch(pb::WatchRequest {
            from_revision: 0,
            brands: vec!["nope".into()],
            kinds: vec![0],
        })
        .await
        .expect_err("bad filter");
    common::assert_violations(&status, &["brands[0]", "kinds[0]"]);
}

#[tokio::test]
async fn the_audit_trail_says_who_changed_what() {
    let server = TestServer::start().await;
    for i in 0..5 {
        authorize(&server, "platform-p", &format!("audited-{i}")).await;
    }
    server
        .registry_as(Who::OwnerB)
        .update_brand(pb::UpdateBrandRequest {
            brand: Some(pb::Brand {
                name: "brands/beta".into(),
                display_name: "Beta Two".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["display_name".into()],
            }),
            request_id: "rename-beta".into(),
        })
        .await
        .expect("update beta");

    // Owner A: its own brand's history, newest first, in pages.
    let mut audit = audit_client(&server, Who::OwnerA);
    let page = audit
        .list_audit_events(pb::ListAuditEventsRequest {
            page_size: 3,
            ..Default::default()
        })
        .await
        .expect("audit")
        .into_inner();
    assert_eq!(page.events.len(), 3);
    assert!(
        page.events
            .windows(2)
            .all(|w| w[0].revision > w[1].revision),
        "newest first"
    );
    let newest = &page.events[0];
    assert_eq!(newest.actor, "members/owner-a");
    assert_eq!(newest.request_id, "req-audited-4");
    assert!(
        newest
            .changes
            .iter()
            .all(|c| c.name.starts_with("brands/alpha/"))
    );
    let rest = audit
        .list_audit_events(pb::ListAuditEventsRequest {
            page_size: 100,
            page_token: page.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .expect("next page")
        .into_inner();
    // 5 authorizations + the seed's alpha changes, nothing of beta.
    let all: Vec<_> = page.events.iter().chain(&rest.events).collect();
    assert_eq!(all.len(), 6);
    assert!(rest.next_page_token.is_empty());
    assert!(
        all.iter()
            .flat_map(|e| &e.changes)
            .all(|c| c.name.starts_with("brands/alpha")),
        "only alpha"
    );
    let seed = all.last().expect("seed event");
    assert_eq!(seed.actor, "system");

    // Owner A may not read beta's history; the operator may read anything.
    let denied = audit
        .list_audit_events(pb::ListAuditEventsRequest {
            brand: "brands/beta".into(),
            ..Default::default()
        })
        .await
        .expect_err("another owner's brand");
    assert_eq!(denied.code(), Code::PermissionDenied);
    let beta = audit_client(&server, Who::Operator)
        .list_audit_events(pb::ListAuditEventsRequest {
            brand: "brands/beta".into(),
            actor: "members/owner-b".into(),
            ..Default::default()
        })
        .await
        .expect("operator audit")
        .into_inner();
    assert_eq!(beta.events.len(), 1);
    let change = &beta.events[0].changes[0];
    let before = match change.before.as_ref().and_then(|s| s.resource.as_ref()) {
        Some(pb::resource_state::Resource::Brand(b)) => b.display_name.clone(),
        other => panic!("before state {other:?}"),
    };
    let after = match change.after.as_ref().and_then(|s| s.resource.as_ref()) {
        Some(pb::resource_state::Resource::Brand(b)) => b.display_name.clone(),
        other => panic!("after state {other:?}"),
    };
    assert_eq!((before.as_str(), after.as_str()), ("Beta", "Beta Two"));
    let everything = audit_client(&server, Who::Operator)
        .list_audit_events(pb::ListAuditEventsRequest::default())
        .await
        .expect("operator audit")
        .into_inner();
    assert!(
        everything
            .events
            .iter()
            .flat_map(|e| &e.changes)
            .any(|c| c.name.contains("/apiKeys/")),
        "the operator sees key changes (never their hashes)"
    );
}

#[tokio::test]
async fn an_audit_page_token_out_of_range_is_an_invalid_argument() {
    let server = TestServer::start().await;
    let mut audit = audit_client(&server, Who::Operator);
    for revision in [i64::MAX as u64 + 1, u64::MAX] {
        let status = audit
            .list_audit_events(pb::ListAuditEventsRequest {
                page_token: server.page_token(AUDIT, Some("operator"), &revision.to_string()),
                ..Default::default()
            })
            .await
            .expect_err("no page starts there");
        common::assert_violations(&status, &["page_token"]);
    }
    // An unsealed token, of the form earlier versions issued, is no token
    // of this registry, whatever revision it names.
    let status = audit
        .list_audit_events(pb::ListAuditEventsRequest {
            page_token: common::unsealed_page_token("3"),
            ..Default::default()
        })
        .await
        .expect_err("an unsealed token");
    common::assert_violations(&status, &["page_token"]);
    assert!(
        common::field_violations(&status)[0]
            .1
            .contains("not a page token this registry issued"),
        "{status:?}"
    );
    // The largest token still reads: everything before it.
    let page = audit
        .list_audit_events(pb::ListAuditEventsRequest {
            page_token: server.page_token(AUDIT, Some("operator"), &i64::MAX.to_string()),
            ..Default::default()
        })
        .await
        .expect("a token within range")
        .into_inner();
    assert!(!page.events.is_empty());
    // `system` is the server's own actor, and names no member.
    let status = audit
        .list_audit_events(pb::ListAuditEventsRequest {
            actor: "members/system".into(),
            ..Default::default()
        })
        .await
        .expect_err("a reserved id as a member's name");
    common::assert_violations(&status, &["actor"]);
    let system = audit
        .list_audit_events(pb::ListAuditEventsRequest {
            actor: "system".into(),
            ..Default::default()
        })
        .await
        .expect("the server's own writes")
        .into_inner();
    assert!(
        system.events.iter().all(|e| e.actor == "system"),
        "{system:?}"
    );
}

#[tokio::test]
async fn watch_from_a_revision_the_registry_has_not_reached_is_an_invalid_argument() {
    let mut start = Start::fixture();
    start.options.watch_checkpoint = Duration::from_millis(200);
    let server = start.start().await;
    let head = authorize(&server, "platform-p", "head").await;
    let mut client = watch_client(&server, Who::OwnerA);
    for from_revision in [head + 1, head + 1000, i64::MAX as u64 + 1, u64::MAX] {
        let status = client
            .watch(pb::WatchRequest {
                from_revision,
                ..Default::default()
            })
            .await
            .expect_err("a revision not reached");
        common::assert_violations(&status, &["from_revision"]);
    }

    // From the head itself: nothing to replay, checkpoints at the head, then
    // the next event.
    let mut stream = client
        .watch(pb::WatchRequest {
            from_revision: head,
            ..Default::default()
        })
        .await
        .expect("watch from the head")
        .into_inner();
    assert_eq!(first_checkpoint(&mut stream).await, head);
    let next = authorize(&server, "platform-p", "after-head").await;
    let events = events_until(&mut stream, next).await;
    assert_eq!(events.first().map(|e| e.revision), Some(next));
}

#[tokio::test]
async fn a_stream_with_nothing_to_replay_says_where_it_is_at_once() {
    // The default checkpoint interval (15 s): the first checkpoint does not
    // wait for it, so a client (`grpcurl`, a platform's consumer) knows the
    // stream is live and where it would resume.
    let server = TestServer::start().await;
    let head = authorize(&server, "platform-p", "head").await;
    for (who, from_revision) in [(Who::OwnerA, head), (Who::PlatformQ, head - 1)] {
        // Owner A's stream starts at the head; platform Q's replays the
        // head's revision, platform P's authorization, which it may not see.
        let mut stream = watch_client(&server, who)
            .watch(pb::WatchRequest {
                from_revision,
                kinds: vec![pb::ResourceKind::Authorization as i32],
                ..Default::default()
            })
            .await
            .expect("watch")
            .into_inner();
        assert_eq!(first_checkpoint(&mut stream).await, head, "{who:?}");
    }
}

/// A Watch filter naming a brand the registry does not have is NOT_FOUND,
/// as a trail's (ListAuditEvents) is: a misspelt name would otherwise
/// watch nothing, in silence. A brand another replica just created is
/// found.
#[tokio::test]
async fn watch_refuses_a_brand_it_does_not_have() {
    let (store, _) = common::new_store().await;
    let mut start = Start::fixture();
    start.store = Some(store.clone());
    let keys = start.keys.clone();
    let server = start.start().await;
    let mut client = watch_client(&server, Who::PlatformP);
    let status = client
        .watch(pb::WatchRequest {
            brands: vec!["brands/alpha".into(), "brands/alpah".into()],
            ..Default::default()
        })
        .await
        .expect_err("a brand the registry does not have");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert!(status.message().contains("brands/alpah"), "{status:?}");
    let status = audit_client(&server, Who::OwnerA)
        .list_audit_events(pb::ListAuditEventsRequest {
            brand: "brands/alpah".into(),
            ..Default::default()
        })
        .await
        .expect_err("as a trail");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");

    // Created on another replica, deaf to the first's writes with an
    // hour's poll: the Watch there catches up and finds it.
    let mut start = Start::fixture();
    start.keys = keys;
    start.options.seed = None;
    start.options.feed_poll = Duration::from_secs(3600);
    start.store = Some(Arc::new(common::TestStore::deaf(store)));
    let replica = start.start().await;
    server
        .registry_as(Who::OwnerA)
        .create_brand(common::brand_named("gamma", "Gamma"))
        .await
        .expect("created on the first replica");
    let mut stream = watch_client(&replica, Who::PlatformP)
        .watch(pb::WatchRequest {
            brands: vec!["brands/gamma".into()],
            ..Default::default()
        })
        .await
        .expect("a brand created on another replica")
        .into_inner();
    let first = tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("a message")
        .expect("ok")
        .expect("open");
    match first.kind {
        Some(Kind::Event(event)) => assert!(
            event.changes.iter().any(|c| c.name == "brands/gamma"),
            "{event:?}"
        ),
        other => panic!("the brand's creation first, got {other:?}"),
    }
}

#[tokio::test]
async fn watch_kinds_and_brands_are_each_named_at_most_once() {
    let server = TestServer::start().await;
    let mut client = watch_client(&server, Who::OwnerA);
    let status = client
        .watch(pb::WatchRequest {
            brands: vec![
                "brands/alpha".into(),
                "brands/beta".into(),
                "brands/alpha".into(),
            ],
            ..Default::default()
        })
        .await
        .expect_err("a brand named twice");
    common::assert_violations(&status, &["brands[2]"]);
    let authorization = pb::ResourceKind::Authorization as i32;
    let status = client
        .watch(pb::WatchRequest {
            kinds: vec![authorization, pb::ResourceKind::Brand as i32, authorization],
            ..Default::default()
        })
        .await
        .expect_err("a kind named twice");
    common::assert_violations(&status, &["kinds[2]"]);
    // A value that is no kind is named as the caller wrote it: by its
    // name when it has one, by its number otherwise.
    let status = client
        .watch(pb::WatchRequest {
            kinds: vec![pb::ResourceKind::Unspecified as i32, 99],
            ..Default::default()
        })
        .await
        .expect_err("values that are no kind");
    assert_eq!(
        common::field_violations(&status),
        [
            (
                "kinds[0]".to_owned(),
                "RESOURCE_KIND_UNSPECIFIED is not a resource kind to watch".to_owned()
            ),
            (
                "kinds[1]".to_owned(),
                "99 is not a resource kind to watch".to_owned()
            ),
        ]
    );
    let status = client
        .watch(pb::WatchRequest {
            kinds: vec![authorization; 100_000],
            ..Default::default()
        })
        .await
        .expect_err("more kinds than there are");
    common::assert_violations(&status, &["kinds"]);
    assert_eq!(common::field_violations(&status).len(), 1, "{status:?}");

    // Every kind once is fine, and filters nothing out.
    let every: Vec<i32> = (1..=6).collect();
    let mut stream = client
        .watch(pb::WatchRequest {
            kinds: every,
            ..Default::default()
        })
        .await
        .expect("every kind")
        .into_inner();
    let head = authorize(&server, "platform-p", "every-kind").await;
    let seen = names(&events_until(&mut stream, head).await);
    assert!(seen.contains(&"brands/alpha".to_string()), "{seen:?}");
    assert!(seen.iter().any(|n| n.contains("/authorizations/")));
}

/// The default receive limit of gRPC clients (tonic, grpc-go, grpcurl).
const DEFAULT_CLIENT_LIMIT: usize = 4 * 1024 * 1024;

/// Authorizations one bulk import writes in the tests of parts: over 4 MiB
/// of changes in one revision.
const BULK_ROWS: usize = 30_000;

/// Imports [`BULK_ROWS`] authorizations of alpha in one revision; returns it.
async fn import_bulk(server: &TestServer) -> u64 {
    import_bulk_of(server, "bulk").await
}

/// Imports [`BULK_ROWS`] authorizations of alpha, for the sellers
/// `{prefix}-seller-{n}`, in one revision; returns it.
async fn import_bulk_of(server: &TestServer, prefix: &str) -> u64 {
    let rows: Vec<pb::Authorization> = (0..BULK_ROWS)
        .map(|i| pb::Authorization {
            platform: "members/platform-p".into(),
            seller_account: format!("{prefix}-seller-{i:05}"),
            nice_classes: vec![14, 18],
            regions: vec!["FR".into(), "CN".into()],
            ..Default::default()
        })
        .collect();
    let messages = common::import_messages("brands/alpha", &rows, 5_000, "");
    let done = server
        .registry_as(Who::OwnerA)
        .import_authorizations(tokio_stream::iter(messages))
        .await
        .expect("import")
        .into_inner();
    assert_eq!(done.created as usize, BULK_ROWS);
    done.revision
}

/// Checks that `parts` are the parts of one revision of the bulk import, in
/// order, and hold each imported authorization exactly once.
fn assert_bulk_parts(parts: &[pb::ChangeEvent], revision: u64) {
    assert!(parts.len() > 1, "{} parts", parts.len());
    let first = &parts[0];
    for (i, part) in parts.iter().enumerate() {
        assert_eq!(part.revision, revision);
        assert_eq!(
            (
                &part.commit_time,
                &part.actor,
                &part.api_key,
                &part.request_id
            ),
            (
                &first.commit_time,
                &first.actor,
                &first.api_key,
                &first.request_id
            ),
            "every part carries the event's header"
        );
        assert_eq!(part.continued, i + 1 < parts.len(), "part {i}");
        assert!(!part.changes.is_empty(), "part {i} is empty");
    }
    let names: Vec<String> = names(parts);
    assert_eq!(names.len(), BULK_ROWS);
    let distinct: std::collections::HashSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), BULK_ROWS, "each change once");
}

#[tokio::test]
async fn a_bulk_import_is_watched_as_parts_within_the_default_message_limit() {
    let server = TestServer::start().await;
    let from = authorize(&server, "platform-p", "before-bulk").await;
    let revision = import_bulk(&server).await;
    let mut stream = watch_client(&server, Who::OwnerA)
        .max_decoding_message_size(DEFAULT_CLIENT_LIMIT)
        .watch(pb::WatchRequest {
            from_revision: from,
            ..Default::default()
        })
        .await
        .expect("watch")
        .into_inner();
    let mut parts = Vec::new();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), stream.message())
            .await
            .expect("the stream answers")
            .expect("every part fits the client's limit")
            .expect("stream open");
        match message.kind.expect("kind") {
            Kind::Event(event) => {
                let last = !event.continued;
                parts.push(event);
                if last {
                    break;
                }
            }
            Kind::Checkpoint(c) => panic!("checkpoint {c:?} inside the import"),
        }
    }
    assert_bulk_parts(&parts, revision);

    // The stream read the store a bounded size at a time: a read stops
    // before the event that would pass the bound, but holds at least one.
    let newer = authorize(&server, "platform-p", "after-bulk").await;
    let store = server.registry.store();
    let revisions = |events: Vec<marque::model::ChangeEvent>| -> Vec<u64> {
        events.iter().map(|e| e.revision).collect()
    };
    let mib = 1 << 20;
    let read = store.events_after(from - 1, 256, mib).await.expect("read");
    assert_eq!(revisions(read), [from], "stops before the import");
    let read = store.events_after(from, 256, mib).await.expect("read");
    assert_eq!(revisions(read), [revision], "the import alone");
    let read = store.events_after(from - 1, 256, usize::MAX).await;
    assert_eq!(revisions(read.expect("read")), [from, revision, newer]);
    let query = marque::store::AuditQuery {
        limit: 256,
        max_bytes: mib,
        ..Default::default()
    };
    let read = store.audit(&query).await.expect("audit");
    assert_eq!(revisions(read), [newer], "stops before the import");
    let query = marque::store::AuditQuery {
        before: Some(newer),
        ..query
    };
    let read = store.audit(&query).await.expect("audit");
    assert_eq!(revisions(read), [revision], "the import alone");
}

#[tokio::test]
async fn a_bulk_import_is_audited_as_parts_across_pages() {
    let server = TestServer::start().await;
    let older = authorize(&server, "platform-p", "before-bulk").await;
    let revision = import_bulk(&server).await;
    let mut audit = audit_client(&server, Who::OwnerA);

    // One part a page.
    let mut parts = Vec::new();
    let mut token = String::new();
    let after = loop {
        let page = audit
            .list_audit_events(pb::ListAuditEventsRequest {
                page_size: 1,
                page_token: token,
                ..Default::default()
            })
            .await
            .expect("every page fits the client's limit")
            .into_inner();
        assert_eq!(page.events.len(), 1);
        assert!(!page.next_page_token.is_empty(), "older events follow");
        let part = page.events.into_iter().next().expect("one event");
        token = page.next_page_token;
        if part.revision != revision {
            break part;
        }
        parts.push(part);
    };
    assert_bulk_parts(&parts, revision);
    assert_eq!(after.revision, older, "then the older events");

    // Default pages hold as many parts as fit, each page within the limit.
    let mut pages = 0;
    let mut parts = Vec::new();
    let mut token = String::new();
    loop {
        let page = audit
            .list_audit_events(pb::ListAuditEventsRequest {
                page_token: token,
                ..Default::default()
            })
            .await
            .expect("every page fits the client's limit")
            .into_inner();
        pages += 1;
        let done = page.events.iter().any(|e| e.revision != revision);
        parts.extend(page.events.into_iter().filter(|e| e.revision == revision));
        token = page.next_page_token;
        if done || token.is_empty() {
            break;
        }
    }
    assert_bulk_parts(&parts, revision);
    assert!(
        pages > 1 && pages < parts.len(),
        "{pages} pages, {} parts",
        parts.len()
    );

    // A token inside the revision that names a change it does not have was
    // not issued.
    let status = audit
        .list_audit_events(pb::ListAuditEventsRequest {
            page_token: server.page_token(
                AUDIT,
                Some("operator"),
                &format!("{revision}/{BULK_ROWS}"),
            ),
            ..Default::default()
        })
        .await
        .expect_err("a forged token");
    common::assert_violations(&status, &["page_token"]);
    for forged in [
        format!("{revision}/"),
        format!("{revision}/-1"),
        "/3".into(),
    ] {
        let status = audit
            .list_audit_events(pb::ListAuditEventsRequest {
                page_token: server.page_token(AUDIT, Some("operator"), &forged),
                ..Default::default()
            })
            .await
            .expect_err("a forged token");
        common::assert_violations(&status, &["page_token"]);
    }
}

/// A key the operator revokes stops working everywhere at the revocation's
/// revision: a Watch stream opened with it ends before any later event, and
/// an import stream it opened does not commit.
#[tokio::test]
async fn a_revoked_key_ends_its_watch_and_its_open_import() {
    let server = TestServer::start().await;
    let mut operator = server.registry_as(Who::Operator);
    let mut new_key = async |member: &str| {
        operator
            .create_api_key(pb::CreateApiKeyRequest {
                parent: format!("members/{member}"),
                description: "to revoke".into(),
                request_id: String::new(),
            })
            .await
            .expect("create key")
            .into_inner()
    };
    let platform = new_key("platform-p").await;
    let owner = new_key("owner-a").await;
    let mut watch = WatchServiceClient::with_interceptor(
        server.channel(),
        common::Bearer::key(&platform.secret),
    )
    .watch(pb::WatchRequest {
        from_revision: platform.revision,
        ..Default::default()
    })
    .await
    .expect("watch")
    .into_inner();
    // An import left open with the other key.
    let (rows, rows_rx) = tokio::sync::mpsc::channel(4);
    let mut importer = server.registry_with_key(&owner.secret);
    let import = tokio::spawn(async move {
        importer
            .import_authorizations(tokio_stream::wrappers::ReceiverStream::new(rows_rx))
            .await
    });
    let row = |seller: &str| pb::Authorization {
        platform: "members/platform-p".into(),
        seller_account: seller.into(),
        ..Default::default()
    };
    rows.send(pb::ImportAuthorizationsRequest {
        parent: "brands/alpha".into(),
        rows: vec![row("imported-1")],
        request_id: String::new(),
        widen: None,
    })
    .await
    .expect("first message");

    for key in [&platform, &owner] {
        server
            .registry_as(Who::Operator)
            .revoke_api_key(pb::RevokeApiKeyRequest {
                name: key.api_key.clone().expect("key").name,
                request_id: String::new(),
            })
            .await
            .expect("revoke");
    }
    // A write after the revocations, which the watcher may not see.
    let after = server
        .registry_as(Who::OwnerA)
        .authorize_seller(pb::AuthorizeSellerRequest {
            parent: "brands/alpha".into(),
            authorization: Some(row("after-revocation")),
            request_id: String::new(),
        })
        .await
        .expect("authorize")
        .into_inner();

    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match watch.message().await {
                Ok(Some(response)) => {
                    if let Some(Kind::Event(event)) = response.kind {
                        assert!(
                            event.revision < after.revision,
                            "an event after the revocation: {event:?}"
                        );
                    }
                }
                Ok(None) => panic!("the stream ended without an error"),
                Err(status) => return status,
            }
        }
    })
    .await
    .expect("the stream ends");
    assert_eq!(ended.code(), Code::Unauthenticated, "{ended:?}");
    assert!(ended.message().contains("revoked"), "{ended:?}");

    rows.send(pb::ImportAuthorizationsRequest {
        rows: vec![row("imported-2")],
        ..Default::default()
    })
    .await
    .expect("second message");
    drop(rows);
    let refused = import
        .await
        .expect("import task")
        .expect_err("the key was revoked before the import committed");
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    let listed = server
        .registry_as(Who::OwnerA)
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert!(
        listed
            .authorizations
            .iter()
            .all(|a| !a.seller_account.starts_with("imported")),
        "nothing of the import was written"
    );
}

/// One member may keep a bounded number of Watch streams open: each holds
/// server memory and reads of the history, which must stay for the others.
#[tokio::test]
async fn a_member_keeps_a_bounded_number_of_watch_streams() {
    let server = TestServer::start().await;
    let open = async |who: Who| {
        watch_client(&server, who)
            .watch(pb::WatchRequest::default())
            .await
    };
    let mut streams = Vec::new();
    for _ in 0..marque::api::MAX_WATCH_STREAMS_PER_MEMBER {
        streams.push(open(Who::PlatformP).await.expect("a stream").into_inner());
    }
    let refused = open(Who::PlatformP).await.expect_err("one too many");
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert_eq!(
        common::retry_delay(&refused),
        Some(marque::api::RETRY_AFTER)
    );
    assert!(
        refused.message().contains("members/platform-p"),
        "{refused:?}"
    );
    // Another member is not held back.
    let _other = open(Who::OwnerA).await.expect("another member's stream");
    // A stream the client closes frees its place.
    drop(streams.pop());
    let reopened = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(stream) = open(Who::PlatformP).await {
                return stream;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("a place again once a stream closes");
    drop(reopened);
}

/// A Watch stream is counted by how it ends, not when it begins: a stream
/// the client drops is CANCELLED, and one the server ends carries the code
/// of its trailers.
#[tokio::test]
async fn watch_streams_are_counted_by_how_they_end() {
    let mut start = Start::fixture();
    start.options.admin_listen = Some("127.0.0.1:0".parse().expect("addr"));
    let server = start.start().await;
    let admin = server.admin.expect("admin port");
    let count = |code| common::calls_counted(admin, "marque.v1.WatchService/Watch", code);
    let (ok, cancelled) = (count("Ok").await, count("Cancelled").await);
    let mut stream = watch_client(&server, Who::PlatformP)
        .watch(pb::WatchRequest::default())
        .await
        .expect("watch")
        .into_inner();
    stream.message().await.expect("a first message");
    drop(stream);
    let counted = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if count("Cancelled").await > cancelled {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        counted.is_ok(),
        "the dropped stream is counted as cancelled"
    );
    assert_eq!(count("Ok").await, ok, "and not as answered");
}

/// `--max-connection-age-grace`: a connection that reached its age and
/// still holds a Watch (a stream that never ends by itself) is closed once
/// the grace is over, so watchers rebalance too; the stream ends with an
/// error its client resumes from. A new connection is served at once.
#[tokio::test]
async fn a_watch_on_an_aged_connection_is_cut_after_the_grace() {
    let (age, grace) = (Duration::from_secs(1), Duration::from_secs(1));
    let mut start = Start::fixture();
    start.options.max_connection_age = Some(age);
    start.options.max_connection_age_grace = Some(grace);
    // Before the server starts: the fixture's channel connects while it
    // waits for the server to serve, and the Watch shares that connection,
    // whose age counts from then.
    let opened = std::time::Instant::now();
    let server = start.start().await;
    let mut stream = watch_client(&server, Who::PlatformP)
        .watch(pb::WatchRequest::default())
        .await
        .expect("watch")
        .into_inner();
    stream.message().await.expect("a first message");
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.message().await {
                Ok(Some(_)) => continue,
                end => return end,
            }
        }
    })
    .await
    .expect("the Watch ends once the grace after the age is over");
    let cut = opened.elapsed();
    assert!(ended.is_err(), "cut, not ended cleanly: {ended:?}");
    assert!(cut >= age + grace * 9 / 10, "not before the grace: {cut:?}");
    let mut again = watch_client(&server, Who::PlatformP)
        .watch(pb::WatchRequest::default())
        .await
        .expect("a new connection watches")
        .into_inner();
    again.message().await.expect("a first message");
}

/// ListAuditEvents and GetCaller read at a revision, as every read does.
#[tokio::test]
async fn audit_and_caller_reads_take_min_revision() {
    let server = TestServer::start().await;
    let written = server
        .registry_as(Who::OwnerA)
        .update_brand(pb::UpdateBrandRequest {
            brand: Some(pb::Brand {
                name: "brands/alpha".into(),
                aliases: vec!["Alfa".into()],
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["aliases".into()],
            }),
            ..Default::default()
        })
        .await
        .expect("a write")
        .into_inner()
        .revision;
    let page = audit_client(&server, Who::OwnerA)
        .list_audit_events(pb::ListAuditEventsRequest {
            min_revision: written,
            ..Default::default()
        })
        .await
        .expect("audit")
        .into_inner();
    assert!(page.revision >= written);
    assert_eq!(page.events[0].revision, written, "newest first");
    assert!(page.events.iter().all(|e| e.revision <= page.revision));
    let never = audit_client(&server, Who::OwnerA)
        .list_audit_events(pb::ListAuditEventsRequest {
            min_revision: written + 1000,
            ..Default::default()
        })
        .await
        .expect_err("a revision never written");
    assert_eq!(never.code(), Code::InvalidArgument, "{never:?}");
    let caller = server
        .registry_as(Who::OwnerA)
        .get_caller(pb::GetCallerRequest {
            min_revision: written,
        })
        .await
        .expect("caller")
        .into_inner();
    assert!(caller.revision >= written);
}

/// ListAuditEvents reads the store a few calls at a time, all members
/// together: the other calls wait their turn, and one that gets none within
/// the wait is answered RESOURCE_EXHAUSTED with a retry delay. Listings over
/// a long history cannot take every store connection from writes and the
/// change feed.
#[tokio::test]
async fn audit_listings_read_the_store_a_few_at_a_time() {
    use marque::api::{AUDIT_CONCURRENT_READS, AUDIT_READ_WAIT, RETRY_AFTER};
    use std::sync::atomic::Ordering::SeqCst;
    let (gate, gated) = tokio::sync::watch::channel(false);
    let mut store = common::TestStore::counting(common::new_store().await.0);
    store.audit_gate = Some(gated);
    let store = Arc::new(store);
    let mut start = Start::fixture();
    start.store = Some(store.clone());
    let server = start.start().await;
    let listings = |count: usize| -> Vec<_> {
        (0..count)
            .map(|i| {
                let who = [Who::Operator, Who::OwnerA, Who::OwnerB][i % 3];
                let mut client = audit_client(&server, who);
                tokio::spawn(async move {
                    client
                        .list_audit_events(pb::ListAuditEventsRequest::default())
                        .await
                })
            })
            .collect()
    };
    let reads_under_way = async |want: usize| {
        for _ in 0..400 {
            if store.audits_in_flight.load(SeqCst) >= want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{want} audit reads never were under way at once");
    };

    // Reads held long: as many as the cap are under way, and the two calls
    // beyond it, after waiting for a turn, are told to retry.
    let began = std::time::Instant::now();
    let mut calls = listings(AUDIT_CONCURRENT_READS + 2);
    reads_under_way(AUDIT_CONCURRENT_READS).await;
    for _ in 0..2 {
        let (answer, _, rest) = tokio::time::timeout(
            AUDIT_READ_WAIT + Duration::from_secs(10),
            futures_util::future::select_all(calls),
        )
        .await
        .expect("the calls beyond the cap are answered after the wait");
        calls = rest;
        let refused = answer.expect("join").expect_err("no turn to read");
        assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
        assert_eq!(common::retry_delay(&refused), Some(RETRY_AFTER));
    }
    assert!(began.elapsed() >= AUDIT_READ_WAIT, "they waited for a turn");
    assert_eq!(
        store.most_audits_in_flight.load(SeqCst),
        AUDIT_CONCURRENT_READS
    );
    gate.send_replace(true);
    for call in calls {
        call.await.expect("join").expect("a held read ends");
    }

    // A call waiting for its turn gets it when a read ends.
    gate.send_replace(false);
    let calls = listings(AUDIT_CONCURRENT_READS + 1);
    reads_under_way(AUDIT_CONCURRENT_READS).await;
    gate.send_replace(true);
    for call in calls {
        call.await.expect("join").expect("every call gets its turn");
    }
    assert_eq!(
        store.most_audits_in_flight.load(SeqCst),
        AUDIT_CONCURRENT_READS
    );
}

/// Reads asking for a revision no replica has written share reads of the
/// store's head, one at a time: at whatever rate they come, they hold one
/// of the store's connections, not one each.
#[tokio::test]
async fn reads_past_the_head_share_one_read_of_it() {
    const CALLS: usize = 24;
    let mut store = common::TestStore::counting(common::new_store().await.0);
    // Slow enough that the calls all arrive while one read is running.
    store.head_delay = Duration::from_millis(500);
    let store = Arc::new(store);
    let mut start = Start::fixture();
    start.store = Some(store.clone());
    let server = start.start().await;
    let head = authorize(&server, "platform-p", "past-the-head").await;
    let before = store.head_reads.load(std::sync::atomic::Ordering::SeqCst);
    let calls = (0..CALLS).map(|_| {
        let mut client = server.registry_as(Who::OwnerA);
        async move {
            client
                .get_caller(pb::GetCallerRequest {
                    min_revision: head + 1000,
                })
                .await
        }
    });
    for answer in futures_util::future::join_all(calls).await {
        let status = answer.expect_err("a revision never written");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(
            status.message().contains("has not been reached"),
            "{status:?}"
        );
    }
    let reads = store.head_reads.load(std::sync::atomic::Ordering::SeqCst) - before;
    // One read that began before the last call arrived, one after it (a
    // third on a machine slow enough to spread the calls over a read).
    // Without sharing: one per call.
    assert!(reads <= 3, "{reads} reads of the head for {CALLS} calls");
}

/// A Watch stream on a replica behind the head (another replica wrote what
/// it has not applied) judges each event by a snapshot that has it: the
/// owner of a brand created on the other replica gets that brand's events,
/// and a stream opened with a key revoked on the other replica ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_behind_the_head_watches_what_another_wrote() {
    let store = common::new_store().await.0;
    let mut start = Start::fixture();
    start.store = Some(store.clone());
    let keys = start.keys.clone();
    let a = start.start().await;
    let mut start = Start::fixture();
    start.keys = keys;
    start.options.seed = None;
    start.options.feed_poll = Duration::from_secs(3600);
    start.store = Some(Arc::new(common::TestStore::deaf(store)));
    let b = start.start().await;
    // b's follower catches up once as it starts, then sleeps for the hour.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut owner = a.registry_as(Who::OwnerA);
    let created = owner
        .create_brand(common::brand_named("written-on-a", "Written On A"))
        .await
        .expect("create on a")
        .into_inner()
        .revision;
    let authorized = owner
        .authorize_seller(pb::AuthorizeSellerRequest {
            parent: "brands/written-on-a".into(),
            authorization: Some(pb::Authorization {
                platform: "members/platform-p".into(),
                seller_account: "seller-on-a".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("authorize on a")
        .into_inner()
        .revision;
    assert!(
        b.registry.snapshot().revision() < created,
        "b has not applied a's writes"
    );
    let mut watch = WatchServiceClient::with_interceptor(b.channel(), b.bearer(Who::OwnerA))
        .watch(pb::WatchRequest {
            from_revision: created - 1,
            kinds: vec![pb::ResourceKind::Authorization as i32],
            ..Default::default()
        })
        .await
        .expect("watch on b")
        .into_inner();
    let event = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match watch.message().await.expect("stream").expect("open").kind {
                Some(Kind::Event(event)) => return event,
                Some(Kind::Checkpoint(checkpoint)) => assert!(
                    checkpoint.revision < authorized,
                    "a checkpoint past the authorization without its event: {checkpoint:?}"
                ),
                None => {}
            }
        }
    })
    .await
    .expect("the authorization's event comes");
    assert_eq!(event.revision, authorized, "{event:?}");
    drop(watch);

    // The owner's key is revoked on a; b has not applied it.
    let revoked = a
        .registry_as(Who::Operator)
        .revoke_api_key(pb::RevokeApiKeyRequest {
            name: format!(
                "members/owner-a/apiKeys/{}",
                b.keys
                    .of(Who::OwnerA)
                    .expect("key")
                    .split('_')
                    .nth(1)
                    .expect("key id")
            ),
            request_id: String::new(),
        })
        .await
        .expect("revoke on a")
        .into_inner()
        .revision;
    assert!(b.registry.snapshot().revision() < revoked);
    let mut watch = WatchServiceClient::with_interceptor(b.channel(), b.bearer(Who::OwnerA))
        .watch(pb::WatchRequest {
            from_revision: revoked,
            ..Default::default()
        })
        .await
        .expect("opened on b, which still knows the key")
        .into_inner();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match watch.message().await {
                Ok(Some(_)) => {}
                Ok(None) => panic!("the stream ended without an error"),
                Err(status) => return status,
            }
        }
    })
    .await
    .expect("the stream ends");
    assert_eq!(ended.code(), Code::Unauthenticated, "{ended:?}");
    assert!(ended.message().contains("revoked"), "{ended:?}");
}

/// Watch streams at the head all wake at each write; they share one read of
/// the change history instead of each reading (and decoding) the same
/// events from the store.
#[tokio::test]
async fn streams_at_the_head_share_one_read_of_a_write() {
    const STREAMS: usize = 6;
    // Deaf, and with an hour's poll: the replica's own follower, which
    // reads the history too, never does here (it is told of no other
    // writer, and applies its own writes as it makes them), so every read
    // counted is a stream's.
    let store = Arc::new(common::TestStore::deaf(common::new_store().await.0));
    let mut start = Start::fixture();
    start.store = Some(store.clone());
    start.options.feed_poll = Duration::from_secs(3600);
    let server = start.start().await;
    let head = authorize(&server, "platform-p", "the-head").await;
    let mut streams = Vec::new();
    for _ in 0..STREAMS {
        let mut stream = watch_client(&server, Who::OwnerA)
            .watch(pb::WatchRequest {
                from_revision: head,
                ..Default::default()
            })
            .await
            .expect("watch")
            .into_inner();
        // Live: each says where it is, having read up to the head.
        first_checkpoint(&mut stream).await;
        streams.push(stream);
    }
    let before = store
        .history_reads
        .load(std::sync::atomic::Ordering::SeqCst);
    let written = authorize(&server, "platform-p", "shared-read").await;
    for stream in &mut streams {
        let events = events_until(stream, written).await;
        assert_eq!(events.last().map(|e| e.revision), Some(written));
    }
    let reads = store
        .history_reads
        .load(std::sync::atomic::Ordering::SeqCst)
        - before;
    // One, shared; two if a stream on a busy machine asked after the
    // first read was no longer shared. Without sharing, one per stream.
    assert!(
        reads <= 2,
        "{reads} reads of the history for one write seen by {STREAMS} streams"
    );
}

/// A Watch stream that waits for room in the queue of a client that has
/// stopped reading (a replay from an old revision, sent faster than the
/// client takes it) ends when the server drains: the client, reading
/// again, gets what was already on its way, then UNAVAILABLE with a
/// revision to resume from, not the rest of the history; and the drain
/// does not wait for the replay.
#[tokio::test]
async fn a_watch_waiting_for_a_client_that_stopped_reading_ends_when_the_server_drains() {
    let mut start = Start::fixture();
    start.options.shutdown_grace = Duration::from_millis(100);
    start.options.drain_timeout = Duration::from_secs(20);
    let mut server = start.start().await;
    // More than a client, a connection and the stream's queue hold: about
    // 9 MiB of parts.
    import_bulk_of(&server, "first").await;
    let head = import_bulk_of(&server, "second").await;
    let mut stream = watch_client(&server, Who::OwnerA)
        .watch(pb::WatchRequest::default())
        .await
        .expect("watch")
        .into_inner();
    let mut health = tonic_health::pb::health_client::HealthClient::new(server.channel())
        .watch(tonic_health::pb::HealthCheckRequest::default())
        .await
        .expect("health watch")
        .into_inner();

    let began = std::time::Instant::now();
    let task = server.begin_shutdown();
    // The health stream ends when the server drains; only then does the
    // client read its Watch stream again.
    while health.message().await.is_ok_and(|status| status.is_some()) {}
    let mut parts: Vec<pb::ChangeEvent> = Vec::new();
    let ended = loop {
        match stream.message().await {
            Ok(Some(message)) => match message.kind.expect("kind") {
                Kind::Event(part) => parts.push(part),
                Kind::Checkpoint(c) => panic!("checkpoint {c:?} in the replay"),
            },
            Ok(None) => panic!("the stream ended without a status"),
            Err(status) => break status,
        }
    };
    assert_eq!(ended.code(), Code::Unavailable, "{ended:?}");
    let resume: u64 = ended
        .message()
        .rsplit_once("resume from revision ")
        .and_then(|(_, revision)| revision.parse().ok())
        .unwrap_or_else(|| panic!("no revision to resume from: {ended:?}"));
    assert!(resume < head, "the stream replayed the history to the end");
    // Every revision up to the one to resume from arrived whole; of the
    // next, some parts at most.
    let whole: Vec<u64> = parts
        .iter()
        .filter(|part| !part.continued)
        .map(|part| part.revision)
        .collect();
    assert_eq!(whole, (1..=resume).collect::<Vec<_>>());
    assert!(parts.iter().all(|part| part.revision <= resume + 1));

    let result = tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the server stops")
        .expect("join");
    result.expect("clean exit");
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "the drain waited {:?}",
        began.elapsed()
    );
}

/// A server over a fresh store with the fixture registry, and a replica of
/// it deaf to its writes, with an hour's poll: the replica reads the store
/// only as it starts, and when a call asks. Returned once the replica's
/// follower has read the history as it starts, with the replica's store,
/// which counts its reads.
async fn first_and_deaf_replica() -> (TestServer, TestServer, Arc<common::TestStore>) {
    let store = common::new_store().await.0;
    let mut start = Start::fixture();
    start.store = Some(store.clone());
    let keys = start.keys.clone();
    let first = start.start().await;
    let counted = Arc::new(common::TestStore::deaf(store));
    let mut start = Start::fixture();
    start.keys = keys;
    start.options.seed = None;
    start.options.feed_poll = Duration::from_secs(3600);
    start.store = Some(counted.clone());
    let replica = start.start().await;
    tokio::time::timeout(Duration::from_secs(10), async {
        while counted
            .history_reads
            .load(std::sync::atomic::Ordering::SeqCst)
            == 0
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the follower reads the history once");
    (first, replica, counted)
}

/// Calls naming brands a replica does not know (a Watch filter, GetBrand,
/// ListAuditEvents, ListTrademarks) catch up with the store at one pace
/// for all of them: a burst of made-up names reads the store's head a few
/// times, not once a call, and its history not at all when no other
/// replica wrote; a brand created a moment ago on another replica is still
/// found by each.
#[tokio::test]
async fn made_up_brand_names_catch_up_at_a_pace_and_new_brands_are_found() {
    use std::sync::atomic::Ordering::SeqCst;
    const CALLS: usize = 30;
    let (first, replica, counted) = first_and_deaf_replica().await;
    let (heads, histories, begun) = (
        counted.head_reads.load(SeqCst),
        counted.history_reads.load(SeqCst),
        replica.registry.paced_catch_ups(),
    );

    let calls = (0..CALLS).map(|i| {
        let name = format!("brands/made-up-{i}");
        let mut watch = watch_client(&replica, Who::OwnerA);
        let mut audit = audit_client(&replica, Who::OwnerA);
        let mut registry = replica.registry_as(Who::OwnerA);
        async move {
            let answer = match i % 4 {
                0 => watch
                    .watch(pb::WatchRequest {
                        brands: vec![name.clone()],
                        ..Default::default()
                    })
                    .await
                    .map(drop),
                1 => registry
                    .get_brand(pb::GetBrandRequest {
                        name: name.clone(),
                        min_revision: 0,
                    })
                    .await
                    .map(drop),
                2 => audit
                    .list_audit_events(pb::ListAuditEventsRequest {
                        brand: name.clone(),
                        ..Default::default()
                    })
                    .await
                    .map(drop),
                _ => registry
                    .list_trademarks(pb::ListTrademarksRequest {
                        parent: name.clone(),
                        ..Default::default()
                    })
                    .await
                    .map(drop),
            };
            (name, answer)
        }
    });
    for (name, answer) in futures_util::future::join_all(calls).await {
        let status = answer.expect_err("a made-up brand");
        assert_eq!(status.code(), Code::NotFound, "{name}: {status:?}");
        assert!(status.message().contains(&name), "{status:?}");
    }
    let (heads, histories, begun) = (
        counted.head_reads.load(SeqCst) - heads,
        counted.history_reads.load(SeqCst) - histories,
        replica.registry.paced_catch_ups() - begun,
    );
    // One catch-up begun by the first call, one shared by every call that
    // arrived while it ran or sooner than the pace after it (a third on a
    // machine slow enough to spread the calls over the pace). Without the
    // pace: one a call, each reading the history.
    assert!(
        begun <= 3 && heads <= 3,
        "{begun} catch-ups, {heads} reads of the head for {CALLS} calls"
    );
    assert_eq!(histories, 0, "no other replica wrote: no history read");

    // Created on the first replica a moment ago: each call on the replica
    // finds it, through the catch-up it asks for.
    let mut owner = first.registry_as(Who::OwnerA);
    for (i, id) in ["fresh-get", "fresh-audit", "fresh-marks"]
        .iter()
        .enumerate()
    {
        let created = owner
            .create_brand(common::brand_named(id, &format!("Fresh Brand {i}")))
            .await
            .expect("created on the first replica")
            .into_inner()
            .revision;
        assert!(replica.registry.snapshot().revision() < created);
    }
    let brand = replica
        .registry_as(Who::PlatformP)
        .get_brand(pb::GetBrandRequest {
            name: "brands/fresh-get".into(),
            min_revision: 0,
        })
        .await
        .expect("a brand created on another replica, read")
        .into_inner();
    assert_eq!(brand.brand.expect("brand").display_name, "Fresh Brand 0");
    let trail = audit_client(&replica, Who::OwnerA)
        .list_audit_events(pb::ListAuditEventsRequest {
            brand: "brands/fresh-audit".into(),
            ..Default::default()
        })
        .await
        .expect("its trail")
        .into_inner();
    assert_eq!(trail.events.len(), 1, "{trail:?}");
    replica
        .registry_as(Who::PlatformP)
        .list_trademarks(pb::ListTrademarksRequest {
            parent: "brands/fresh-marks".into(),
            ..Default::default()
        })
        .await
        .expect("its trademarks");
}

/// A trademark, logo or authorization named in a Watch event written
/// through another replica is read by its name at once, through the
/// catch-up a name the replica does not know asks for; made-up names, of
/// brands or of what hangs below a known one, catch up at the pace all
/// such calls share, with no read of the history when no other replica
/// wrote.
#[tokio::test]
async fn resources_made_on_another_replica_are_read_by_name_and_made_up_names_keep_the_pace() {
    use std::sync::atomic::Ordering::SeqCst;
    const CALLS: usize = 30;
    let (first, replica, counted) = first_and_deaf_replica().await;
    let (histories, begun) = (
        counted.history_reads.load(SeqCst),
        replica.registry.paced_catch_ups(),
    );
    let made_up = "0123456789abcdef0123456789abcdef";
    let calls = (0..CALLS).map(|i| {
        let brand = if i % 2 == 0 { "alpha" } else { "made-up" };
        let mut registry = replica.registry_as(Who::OwnerA);
        async move {
            let (name, answer) = match i % 3 {
                0 => {
                    let name = format!("brands/{brand}/trademarks/{made_up}");
                    let answer = registry
                        .get_trademark(pb::GetTrademarkRequest {
                            name: name.clone(),
                            min_revision: 0,
                        })
                        .await
                        .map(drop);
                    (name, answer)
                }
                1 => {
                    let name = format!("brands/{brand}/logos/{made_up}");
                    let answer = registry
                        .get_logo(pb::GetLogoRequest {
                            name: name.clone(),
                            min_revision: 0,
                        })
                        .await
                        .map(drop);
                    (name, answer)
                }
                _ => {
                    let name = format!("brands/{brand}/authorizations/{made_up}");
                    let answer = registry
                        .get_authorization(pb::GetAuthorizationRequest {
                            name: name.clone(),
                            min_revision: 0,
                        })
                        .await
                        .map(drop);
                    (name, answer)
                }
            };
            (brand, name, answer)
        }
    });
    for (brand, name, answer) in futures_util::future::join_all(calls).await {
        let status = answer.expect_err("a made-up name");
        assert_eq!(status.code(), Code::NotFound, "{name}: {status:?}");
        // The brand when it is the one not found, else the whole name.
        let missing = if brand == "alpha" {
            name
        } else {
            "brands/made-up".to_string()
        };
        assert_eq!(status.message(), format!("{missing} not found"));
    }
    let (histories, begun) = (
        counted.history_reads.load(SeqCst) - histories,
        replica.registry.paced_catch_ups() - begun,
    );
    assert!(begun <= 3, "{begun} catch-ups for {CALLS} calls");
    assert_eq!(histories, 0, "no other replica wrote: no history read");

    // Made on the first replica a moment ago: the replica reads each.
    let mut owner = first.registry_as(Who::OwnerA);
    let trademark = owner
        .add_trademark(common::madrid_alpha(&["FR"]))
        .await
        .expect("a trademark")
        .into_inner()
        .trademark
        .expect("trademark");
    let logo = owner
        .add_logo(common::monogram_alpha())
        .await
        .expect("a logo")
        .into_inner()
        .logo
        .expect("logo");
    let made = owner
        .authorize_seller(pb::AuthorizeSellerRequest {
            parent: "brands/alpha".into(),
            authorization: Some(pb::Authorization {
                platform: "members/platform-p".into(),
                seller_account: "fresh-seller".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("an authorization")
        .into_inner();
    assert!(replica.registry.snapshot().revision() < made.revision);
    let authorization = made.authorization.expect("authorization");
    let mut reader = replica.registry_as(Who::PlatformP);
    let read = reader
        .get_trademark(pb::GetTrademarkRequest {
            name: trademark.name.clone(),
            min_revision: 0,
        })
        .await
        .expect("the trademark, read")
        .into_inner();
    assert_eq!(read.trademark, Some(trademark));
    let read = reader
        .get_logo(pb::GetLogoRequest {
            name: logo.name.clone(),
            min_revision: 0,
        })
        .await
        .expect("the logo, read")
        .into_inner();
    assert_eq!(read.logo, Some(logo));
    let read = reader
        .get_authorization(pb::GetAuthorizationRequest {
            name: authorization.name.clone(),
            min_revision: 0,
        })
        .await
        .expect("the authorization, read")
        .into_inner();
    assert_eq!(read.authorization, Some(authorization));
    assert!(read.revision >= made.revision);
}

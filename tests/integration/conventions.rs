//! How the API reads what a brand owner or a platform types: seller
//! accounts in any Unicode normalization form, etags as issued, filters
//! that name no member, and brand names an owner already uses.

use crate::common;

use common::{TestServer, Who, assert_violations, brand_named, field_violations};
use marque::pb::marque::v1::{self as pb, audit_service_client::AuditServiceClient};
use tonic::Code;

/// `Café` with a precomposed `é` (NFC), as most keyboards write it.
const CAFE_NFC: &str = "Caf\u{E9}";
/// `Café` with `e` and a combining acute accent (NFD), as some systems
/// return it.
const CAFE_NFD: &str = "Cafe\u{301}";

fn authorization(platform: &str, seller: &str) -> pb::Authorization {
    pb::Authorization {
        platform: platform.into(),
        seller_account: seller.into(),
        ..Default::default()
    }
}

/// One account, whichever form it is written in: stored in NFC, found by
/// checks, listing checks and list filters in either form, and not
/// authorized twice.
#[tokio::test]
async fn a_seller_account_is_one_account_in_nfc_and_nfd() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let created = owner
        .authorize_seller(pb::AuthorizeSellerRequest {
            parent: "brands/alpha".into(),
            authorization: Some(authorization("members/platform-p", CAFE_NFD)),
            request_id: String::new(),
        })
        .await
        .expect("authorize a decomposed account")
        .into_inner();
    let stored = created.authorization.expect("authorization");
    assert_eq!(stored.seller_account, CAFE_NFC, "kept in NFC");

    let again = owner
        .authorize_seller(pb::AuthorizeSellerRequest {
            parent: "brands/alpha".into(),
            authorization: Some(authorization("members/platform-p", CAFE_NFC)),
            request_id: String::new(),
        })
        .await
        .expect_err("the same account, precomposed");
    assert_eq!(again.code(), Code::AlreadyExists, "{again:?}");

    let mut platform = server.check_as(Who::PlatformP);
    for seller in [CAFE_NFC, CAFE_NFD] {
        let check = platform
            .check_seller(pb::CheckSellerRequest {
                brand: "brands/alpha".into(),
                seller_account: seller.into(),
                min_revision: created.revision,
                ..Default::default()
            })
            .await
            .expect("check seller")
            .into_inner();
        assert!(check.authorized, "{seller:?}: {check:?}");
        // Named as read, in either form: `"Café"`, as it reads.
        assert_eq!(
            check.explanation,
            format!("seller \"{CAFE_NFC}\" on members/platform-p is authorized for brands/alpha"),
            "{seller:?}"
        );

        let listing = platform
            .check_listing(pb::CheckListingRequest {
                listing: Some(pb::Listing {
                    seller_account: seller.into(),
                    title: "Alpha leather wallet".into(),
                    nice_class: 18,
                    region: "CN".into(),
                    ..Default::default()
                }),
                min_revision: created.revision,
            })
            .await
            .expect("check listing")
            .into_inner();
        assert_eq!(listing.verdict, pb::Verdict::Allow as i32, "{listing:?}");
        assert!(
            listing
                .matches
                .iter()
                .any(|m| m.authorization == stored.name),
            "{listing:?}"
        );

        let listed = owner
            .list_authorizations(pb::ListAuthorizationsRequest {
                parent: "brands/alpha".into(),
                seller_account: seller.into(),
                min_revision: created.revision,
                ..Default::default()
            })
            .await
            .expect("list by seller")
            .into_inner();
        let names: Vec<&str> = listed
            .authorizations
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, [stored.name.as_str()], "{seller:?}");
    }

    // One import may not hold the account twice, once in each form.
    let status = owner
        .import_authorizations(tokio_stream::iter(vec![pb::ImportAuthorizationsRequest {
            parent: "brands/alpha".into(),
            rows: vec![
                authorization("members/platform-q", CAFE_NFC),
                authorization("members/platform-q", CAFE_NFD),
            ],
            request_id: String::new(),
            widen: None,
        }]))
        .await
        .expect_err("one account twice");
    assert_violations(&status, &["rows[1].seller_account"]);
}

/// A request id names the request as the registry reads it: a retry that
/// writes the seller account in the other Unicode form, regions in another
/// case and order, Nice classes in another order, or an update's mask in
/// another order, is the same request, answered as the first was with
/// nothing written twice; another request under the id is still refused on
/// `request_id`.
#[tokio::test]
async fn a_retry_in_another_spelling_is_the_same_request() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let authorize = |seller: &str, regions: &[&str], classes: &[i32]| pb::AuthorizeSellerRequest {
        parent: "brands/alpha".into(),
        authorization: Some(pb::Authorization {
            regions: regions.iter().map(|r| r.to_string()).collect(),
            nice_classes: classes.to_vec(),
            ..authorization("members/platform-p", seller)
        }),
        request_id: "7c1d-authorize-cafe".into(),
    };
    let first = owner
        .authorize_seller(authorize(CAFE_NFC, &["fr", "DE"], &[25, 18]))
        .await
        .expect("authorize")
        .into_inner();
    let retried = owner
        .authorize_seller(authorize(CAFE_NFD, &["de", "FR"], &[18, 25]))
        .await
        .expect("the same request in another spelling")
        .into_inner();
    assert_eq!(retried, first, "the first answer");
    let retried = owner
        .authorize_seller(authorize(CAFE_NFC, &["fr", "DE"], &[25, 18]))
        .await
        .expect("the request as first written")
        .into_inner();
    assert_eq!(retried, first, "the first answer");
    let status = owner
        .authorize_seller(authorize(CAFE_NFC, &["FR"], &[25, 18]))
        .await
        .expect_err("another scope is another request");
    assert_violations(&status, &["request_id"]);

    let name = first.authorization.expect("authorization").name;
    let update = |regions: &[&str], paths: &[&str]| pb::UpdateAuthorizationRequest {
        authorization: Some(pb::Authorization {
            name: name.clone(),
            regions: regions.iter().map(|r| r.to_string()).collect(),
            reference: "contract 7".into(),
            // Not in the mask: not read.
            seller_account: "ignored".into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        }),
        request_id: "7c1d-update-cafe".into(),
    };
    let updated = owner
        .update_authorization(update(&["it"], &["regions", "reference"]))
        .await
        .expect("update")
        .into_inner();
    let retried = owner
        .update_authorization(update(&["IT"], &["reference", "regions"]))
        .await
        .expect("the same update in another spelling")
        .into_inner();
    assert_eq!(retried, updated, "the first answer");

    let import = |seller: &str| {
        tokio_stream::iter(vec![pb::ImportAuthorizationsRequest {
            parent: "brands/alpha".into(),
            rows: vec![authorization("members/platform-q", seller)],
            request_id: "7c1d-import-cafe".into(),
            widen: None,
        }])
    };
    let imported = owner
        .import_authorizations(import(CAFE_NFD))
        .await
        .expect("import")
        .into_inner();
    assert_eq!(imported.created, 1);
    let retried = owner
        .import_authorizations(import(CAFE_NFC))
        .await
        .expect("the same import in another spelling")
        .into_inner();
    assert_eq!(retried, imported, "the first answer");

    let listed = owner
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            seller_account: CAFE_NFC.into(),
            min_revision: imported.revision,
            ..Default::default()
        })
        .await
        .expect("list by seller")
        .into_inner();
    assert_eq!(
        listed.authorizations.len(),
        2,
        "one on each platform, none twice: {listed:?}"
    );
}

/// An etag is sent back as it was read: another spelling of its number,
/// which the server never issued, is refused on the field, not taken for
/// the revision.
#[tokio::test]
async fn an_etag_the_server_never_issued_is_an_invalid_argument() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let brand = owner
        .get_brand(pb::GetBrandRequest {
            name: "brands/alpha".into(),
            ..Default::default()
        })
        .await
        .expect("get brand")
        .into_inner()
        .brand
        .expect("brand");
    let update = |etag: String| pb::UpdateBrandRequest {
        brand: Some(pb::Brand {
            name: "brands/alpha".into(),
            display_name: "Alpha Watches".into(),
            etag,
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["display_name".into()],
        }),
        request_id: String::new(),
    };
    for other in [
        format!("0{}", brand.etag),
        format!("+{}", brand.etag),
        format!("\"{}\"", brand.etag),
        "0".to_owned(),
    ] {
        let status = owner
            .update_brand(update(other.clone()))
            .await
            .expect_err("an etag never issued");
        assert_violations(&status, &["brand.etag"]);
        let status = owner
            .archive_brand(pb::ArchiveBrandRequest {
                name: "brands/alpha".into(),
                etag: other.clone(),
                request_id: String::new(),
            })
            .await
            .expect_err("an etag never issued");
        assert_violations(&status, &["etag"]);
    }
    let updated = owner
        .update_brand(update(brand.etag.clone()))
        .await
        .expect("the etag as read")
        .into_inner();
    assert_eq!(updated.brand.expect("brand").display_name, "Alpha Watches");
}

/// An audit filtered by an actor that is no member (a typo) is refused,
/// not answered with an empty list; to a brand owner, only of names it
/// could not tell from a private member's anyway.
#[tokio::test]
async fn an_audit_actor_that_is_no_member_is_an_invalid_argument() {
    let server = TestServer::start().await;
    let audit =
        |who: Who| AuditServiceClient::with_interceptor(server.channel(), server.bearer(who));
    let list = |actor: &str| pb::ListAuditEventsRequest {
        actor: actor.into(),
        ..Default::default()
    };

    let status = audit(Who::Operator)
        .list_audit_events(list("members/owner-x"))
        .await
        .expect_err("no such member");
    assert_eq!(
        field_violations(&status),
        [(
            "actor".to_owned(),
            "members/owner-x is no member (ListMembers lists them)".to_owned()
        )]
    );
    audit(Who::Operator)
        .list_audit_events(list("members/platform-p"))
        .await
        .expect("a member with no events is an empty list");

    // To a brand owner, a name that is no member and a private member that
    // owns no brand are answered alike.
    let mut owner = audit(Who::OwnerA);
    for name in ["owner-x", "operator"] {
        let status = owner
            .list_audit_events(list(&format!("members/{name}")))
            .await
            .expect_err("no member the owner may know of");
        assert_eq!(
            field_violations(&status),
            [(
                "actor".to_owned(),
                format!(
                    "members/{name} owns no brand, and is no member whose record you may read \
                     (ListMembers lists those)"
                )
            )]
        );
    }
    for known in ["members/owner-a", "members/owner-b", "members/platform-q"] {
        owner
            .list_audit_events(list(known))
            .await
            .unwrap_or_else(|e| panic!("{known}: {e:?}"));
    }
}

/// An owner's two active brands may not share a name: listings showing it
/// would be checked against both, and a seller authorized for one blocked
/// for the other. An archived brand's names are free again.
#[tokio::test]
async fn an_owner_may_not_give_two_of_its_brands_one_name() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let status = owner
        .create_brand(brand_named("alpha-two", "ALPHA"))
        .await
        .expect_err("the name of brands/alpha");
    assert_violations(&status, &["brand.display_name"]);
    assert!(
        field_violations(&status)[0].1.contains("brands/alpha,"),
        "{status:?}"
    );
    let mut aliased = brand_named("gamma", "Gamma");
    aliased.brand.as_mut().expect("brand").aliases = vec!["alpha".into()];
    let status = owner
        .create_brand(aliased)
        .await
        .expect_err("an alias that is the name of brands/alpha");
    assert_violations(&status, &["brand.aliases[0]"]);

    // A brand respelling its own name is no clash.
    let gamma = owner
        .create_brand(brand_named("gamma", "Gamma"))
        .await
        .expect("another name")
        .into_inner();
    let rename = |name: &str| pb::UpdateBrandRequest {
        brand: Some(pb::Brand {
            name: "brands/gamma".into(),
            display_name: name.into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["display_name".into()],
        }),
        request_id: String::new(),
    };
    owner
        .update_brand(rename("GAMMA"))
        .await
        .expect("its own name, respelt");
    let status = owner
        .update_brand(rename("Alpha"))
        .await
        .expect_err("the name of brands/alpha");
    assert_violations(&status, &["brand.display_name"]);
    assert!(gamma.brand.is_some());

    server.archive(Who::OwnerA, "brands/alpha").await;
    owner
        .create_brand(brand_named("alpha-two", "Alpha"))
        .await
        .expect("an archived brand's name");
}

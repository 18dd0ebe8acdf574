//! The tenancy matrix: every RPC × every kind of caller, through the real gRPC
//! API. Brand `alpha` belongs to `owner-a`; `owner-b` is another brand owner;
//! `platform-p` and `platform-q` are platforms.

use crate::common;

use std::collections::BTreeSet;

use common::{TestServer, Who};
use marque::{auth::Rpc, model::MemberKind, pb::marque::v1 as pb};
use prost::Message;
use tonic::Code;

/// What each caller gets: `Ok` or the error code.
fn expected(rpc: Rpc, who: Who) -> Code {
    use Who::*;
    if who == Anonymous {
        return Code::Unauthenticated;
    }
    let allowed: &[Who] = match rpc {
        // Members list what they may read (tested below).
        Rpc::GetCaller
        | Rpc::GetBrand
        | Rpc::ListBrands
        | Rpc::GetTrademark
        | Rpc::ListTrademarks
        | Rpc::GetLogo
        | Rpc::ListLogos
        | Rpc::ListMembers => &[Operator, OwnerA, OwnerB, PlatformP, PlatformQ],
        Rpc::CreateMember | Rpc::CreateApiKey | Rpc::ListApiKeys | Rpc::RevokeApiKey => &[Operator],
        // members/owner-a: the operator and owner-a itself.
        Rpc::GetMember => &[Operator, OwnerA],
        // Any brand owner creates its own brands.
        Rpc::CreateBrand => &[OwnerA, OwnerB],
        // The operator's moderation of any member's brand: archiving it,
        // removing a trademark or a logo (a squatted registration number or
        // logo). A trademark's status alone is the operator's too (tested
        // below); the matrix updates its text, which is not.
        Rpc::ArchiveBrand | Rpc::RemoveTrademark | Rpc::RemoveLogo => &[Operator, OwnerA],
        // Everything else below brand alpha: only its owner writes.
        Rpc::UpdateBrand
        | Rpc::AddTrademark
        | Rpc::UpdateTrademark
        | Rpc::AddLogo
        | Rpc::AuthorizeSeller
        | Rpc::UpdateAuthorization
        | Rpc::RevokeAuthorization
        | Rpc::ImportAuthorizations => &[OwnerA],
        // Authorizations are private: the owner, the operator, and each
        // platform for its own platform only (filtered, tested below).
        Rpc::ListAuthorizations => &[Operator, OwnerA, PlatformP, PlatformQ],
        // One authorization, on platform-p: as ListAuthorizations reads
        // it, platform-q does not find it.
        Rpc::GetAuthorization if who == PlatformQ => return Code::NotFound,
        Rpc::GetAuthorization => &[Operator, OwnerA, PlatformP],
        Rpc::CheckSeller | Rpc::CheckListing | Rpc::BatchCheckListings => &[PlatformP, PlatformQ],
        // Everyone may watch (each sees only what it may see).
        Rpc::Watch => &[Operator, OwnerA, OwnerB, PlatformP, PlatformQ],
        // The history of alpha: the operator and alpha's owner.
        Rpc::ListAuditEvents => &[Operator, OwnerA],
    };
    if allowed.contains(&who) {
        Code::Ok
    } else {
        Code::PermissionDenied
    }
}

/// Calls `rpc` as `who`, after any set-up done by the brand owner, with a
/// request that is valid, so that only permissions decide.
async fn call(server: &TestServer, rpc: Rpc, who: Who, n: usize) -> Result<(), tonic::Status> {
    let mut as_who = server.registry_as(who);
    let mut owner = server.registry_as(Who::OwnerA);
    let mut operator = server.registry_as(Who::Operator);
    let unique = format!("m{n}");
    let brand = "brands/alpha".to_string();
    match rpc {
        Rpc::GetCaller => as_who
            .get_caller(pb::GetCallerRequest::default())
            .await
            .map(drop),
        Rpc::CreateMember => as_who
            .create_member(pb::CreateMemberRequest {
                member_id: format!("member-{unique}"),
                member: Some(pb::Member {
                    display_name: "New".into(),
                    kind: pb::MemberKind::Platform as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .map(drop),
        Rpc::GetMember => as_who
            .get_member(pb::GetMemberRequest {
                name: "members/owner-a".into(),
                min_revision: 0,
            })
            .await
            .map(drop),
        Rpc::ListMembers => as_who
            .list_members(pb::ListMembersRequest::default())
            .await
            .map(drop),
        Rpc::CreateApiKey => as_who
            .create_api_key(pb::CreateApiKeyRequest {
                parent: "members/owner-a".into(),
                description: "matrix".into(),
                request_id: String::new(),
            })
            .await
            .map(drop),
        Rpc::ListApiKeys => as_who
            .list_api_keys(pb::ListApiKeysRequest {
                parent: "members/owner-a".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        Rpc::RevokeApiKey => {
            let key = operator
                .create_api_key(pb::CreateApiKeyRequest {
                    parent: "members/owner-a".into(),
                    description: "to revoke".into(),
                    request_id: String::new(),
                })
                .await?
                .into_inner();
            as_who
                .revoke_api_key(pb::RevokeApiKeyRequest {
                    name: key.api_key.unwrap_or_default().name,
                    request_id: String::new(),
                })
                .await
                .map(drop)
        }
        Rpc::CreateBrand => as_who
            .create_brand(pb::CreateBrandRequest {
                brand_id: format!("brand-{unique}"),
                brand: Some(pb::Brand {
                    // Unique: no brand may take another member's name.
                    display_name: format!("New brand {unique}"),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .map(drop),
        Rpc::GetBrand => as_who
            .get_brand(pb::GetBrandRequest {
                name: brand,
                min_revision: 0,
            })
            .await
            .map(drop),
        Rpc::ListBrands => as_who
            .list_brands(pb::ListBrandsRequest::default())
            .await
            .map(drop),
        Rpc::UpdateBrand => as_who
            .update_brand(pb::UpdateBrandRequest {
                brand: Some(pb::Brand {
                    name: brand,
                    display_name: format!("Alpha {unique}"),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["display_name".into()],
                }),
                request_id: String::new(),
            })
            .await
            .map(drop),
        Rpc::ArchiveBrand => {
            // A throwaway brand of owner-a, so alpha stays writable; named
            // apart, as an owner's active brands are.
            let id = format!("gone-{unique}");
            owner
                .create_brand(pb::CreateBrandRequest {
                    brand_id: id.clone(),
                    brand: Some(pb::Brand {
                        display_name: format!("Gone {unique}"),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await?;
            as_who
                .archive_brand(pb::ArchiveBrandRequest {
                    name: format!("brands/{id}"),
                    etag: String::new(),
                    request_id: String::new(),
                })
                .await
                .map(drop)
        }
        Rpc::AddTrademark => as_who
            .add_trademark(pb::AddTrademarkRequest {
                parent: brand,
                trademark: Some(trademark(&unique)),
                request_id: String::new(),
            })
            .await
            .map(drop),
        Rpc::UpdateTrademark | Rpc::RemoveTrademark | Rpc::GetTrademark => {
            let tm = owner
                .add_trademark(pb::AddTrademarkRequest {
                    parent: brand,
                    trademark: Some(trademark(&unique)),
                    request_id: String::new(),
                })
                .await?
                .into_inner()
                .trademark
                .unwrap_or_default();
            if rpc == Rpc::UpdateTrademark {
                as_who
                    .update_trademark(pb::UpdateTrademarkRequest {
                        trademark: Some(pb::Trademark {
                            name: tm.name,
                            mark_text: "ALPHA NEW".into(),
                            ..Default::default()
                        }),
                        update_mask: Some(prost_types::FieldMask {
                            paths: vec!["mark_text".into()],
                        }),
                        request_id: String::new(),
                    })
                    .await
                    .map(drop)
            } else if rpc == Rpc::RemoveTrademark {
                as_who
                    .remove_trademark(pb::RemoveTrademarkRequest {
                        name: tm.name,
                        request_id: String::new(),
                    })
                    .await
                    .map(drop)
            } else {
                as_who
                    .get_trademark(pb::GetTrademarkRequest {
                        name: tm.name,
                        min_revision: 0,
                    })
                    .await
                    .map(drop)
            }
        }
        Rpc::ListTrademarks => as_who
            .list_trademarks(pb::ListTrademarksRequest {
                parent: brand,
                ..Default::default()
            })
            .await
            .map(drop),
        Rpc::AddLogo => as_who.add_logo(logo(&brand, n)).await.map(drop),
        Rpc::RemoveLogo | Rpc::GetLogo => {
            let logo = owner
                .add_logo(logo(&brand, n))
                .await?
                .into_inner()
                .logo
                .unwrap_or_default();
            if rpc == Rpc::RemoveLogo {
                as_who
                    .remove_logo(pb::RemoveLogoRequest {
                        name: logo.name,
                        request_id: String::new(),
                    })
                    .await
                    .map(drop)
            } else {
                as_who
                    .get_logo(pb::GetLogoRequest {
                        name: logo.name,
                        min_revision: 0,
                    })
                    .await
                    .map(drop)
            }
        }
        Rpc::ListLogos => as_who
            .list_logos(pb::ListLogosRequest {
                parent: brand,
                ..Default::default()
            })
            .await
            .map(drop),
        Rpc::AuthorizeSeller => as_who
            .authorize_seller(authorize(&brand, &unique))
            .await
            .map(drop),
        Rpc::UpdateAuthorization | Rpc::RevokeAuthorization | Rpc::GetAuthorization => {
            let auth = owner
                .authorize_seller(authorize(&brand, &unique))
                .await?
                .into_inner()
                .authorization
                .unwrap_or_default();
            if rpc == Rpc::UpdateAuthorization {
                as_who
                    .update_authorization(pb::UpdateAuthorizationRequest {
                        authorization: Some(pb::Authorization {
                            name: auth.name,
                            status: pb::AuthorizationStatus::Suspended as i32,
                            ..Default::default()
                        }),
                        update_mask: Some(prost_types::FieldMask {
                            paths: vec!["status".into()],
                        }),
                        request_id: String::new(),
                    })
                    .await
                    .map(drop)
            } else if rpc == Rpc::RevokeAuthorization {
                as_who
                    .revoke_authorization(pb::RevokeAuthorizationRequest {
                        name: auth.name,
                        request_id: String::new(),
                    })
                    .await
                    .map(drop)
            } else {
                as_who
                    .get_authorization(pb::GetAuthorizationRequest {
                        name: auth.name,
                        min_revision: 0,
                    })
                    .await
                    .map(drop)
            }
        }
        Rpc::ListAuthorizations => as_who
            .list_authorizations(pb::ListAuthorizationsRequest {
                parent: brand,
                ..Default::default()
            })
            .await
            .map(drop),
        Rpc::ImportAuthorizations => {
            let rows = vec![pb::ImportAuthorizationsRequest {
                parent: brand,
                rows: vec![authorize("", &unique).authorization.unwrap_or_default()],
                request_id: String::new(),
                widen: None,
            }];
            as_who
                .import_authorizations(tokio_stream::iter(rows))
                .await
                .map(drop)
        }
        Rpc::Watch => {
            let mut client =
                marque::pb::marque::v1::watch_service_client::WatchServiceClient::with_interceptor(
                    server.channel(),
                    server.bearer(who),
                );
            let mut stream = client
                .watch(pb::WatchRequest::default())
                .await?
                .into_inner();
            // The first message proves the stream is open.
            stream.message().await.map(drop)
        }
        Rpc::ListAuditEvents => {
            marque::pb::marque::v1::audit_service_client::AuditServiceClient::with_interceptor(
                server.channel(),
                server.bearer(who),
            )
            .list_audit_events(pb::ListAuditEventsRequest {
                brand: brand.clone(),
                ..Default::default()
            })
            .await
            .map(drop)
        }
        Rpc::CheckListing => server
            .check_as(who)
            .check_listing(pb::CheckListingRequest {
                listing: Some(pb::Listing {
                    seller_account: "seller-p1".into(),
                    title: "Alpha watch".into(),
                    ..Default::default()
                }),
                min_revision: 0,
            })
            .await
            .map(drop),
        Rpc::BatchCheckListings => server
            .check_as(who)
            .batch_check_listings(pb::BatchCheckListingsRequest {
                listings: vec![pb::Listing {
                    seller_account: "seller-p1".into(),
                    title: "Alpha watch".into(),
                    ..Default::default()
                }],
                min_revision: 0,
            })
            .await
            .map(drop),
        Rpc::CheckSeller => server
            .check_as(who)
            .check_seller(pb::CheckSellerRequest {
                brand,
                seller_account: "seller-p1".into(),
                ..Default::default()
            })
            .await
            .map(drop),
    }
}

fn trademark(unique: &str) -> pb::Trademark {
    pb::Trademark {
        office: "US".into(),
        registration_number: format!("TM-{unique}"),
        mark_text: "ALPHA".into(),
        kind: pb::TrademarkKind::Word as i32,
        nice_classes: vec![14],
        status: pb::TrademarkStatus::Registered as i32,
        ..Default::default()
    }
}

fn logo(brand: &str, n: usize) -> pb::AddLogoRequest {
    pb::AddLogoRequest {
        parent: brand.to_string(),
        description: "matrix".into(),
        // Enough bits set to be registrable: a hash near a blank image's
        // is refused.
        source: Some(pb::add_logo_request::Source::PerceptualHash(format!(
            "{:016x}",
            0xa5a5_a5a5_0000_0000u64 + n as u64
        ))),
        request_id: String::new(),
    }
}

fn authorize(brand: &str, unique: &str) -> pb::AuthorizeSellerRequest {
    pb::AuthorizeSellerRequest {
        parent: brand.to_string(),
        authorization: Some(pb::Authorization {
            platform: "members/platform-p".into(),
            seller_account: format!("seller-{unique}"),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

/// The member kind of a fixture caller.
fn kind_of(who: Who) -> Option<MemberKind> {
    match who {
        Who::Operator => Some(MemberKind::Operator),
        Who::OwnerA | Who::OwnerB => Some(MemberKind::BrandOwner),
        Who::PlatformP | Who::PlatformQ => Some(MemberKind::Platform),
        Who::Anonymous => None,
    }
}

#[tokio::test]
async fn every_rpc_for_every_caller() {
    let server = TestServer::start().await;
    let mut failures = Vec::new();
    let mut n = 0;
    for rpc in Rpc::ALL {
        for who in Who::ALL {
            n += 1;
            let got = match call(&server, *rpc, who, n).await {
                Ok(()) => Code::Ok,
                Err(status) => {
                    // A refusal by kind names the kind as the contract does
                    // (`BRAND_OWNER`, not Rust's `BrandOwner`) and the RPC
                    // by its full name.
                    if let Some(kind) = kind_of(who)
                        && !rpc.allowed().contains(&kind)
                    {
                        let refusal =
                            format!("{} members may not call {} (", kind.name(), rpc.full_name());
                        if !status.message().starts_with(&refusal) {
                            failures.push(format!(
                                "{rpc:?} as {who:?}: {:?} is not {refusal:?}…",
                                status.message()
                            ));
                        }
                    }
                    status.code()
                }
            };
            let want = expected(*rpc, who);
            if got != want {
                failures.push(format!("{rpc:?} as {who:?}: got {got:?}, want {want:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "tenancy matrix failures:\n{}",
        failures.join("\n")
    );
}

/// The operator may change a trademark's status alone, on any member's
/// brand (a squatted mark marked not registered no longer puts listings
/// in scope, and its record stays); any other field, or "*", stays the
/// owner's.
#[tokio::test]
async fn the_operator_changes_a_trademarks_status_alone() {
    let server = TestServer::start().await;
    let tm = server
        .registry_as(Who::OwnerA)
        .add_trademark(pb::AddTrademarkRequest {
            parent: "brands/alpha".into(),
            trademark: Some(trademark("status")),
            request_id: String::new(),
        })
        .await
        .expect("a trademark")
        .into_inner()
        .trademark
        .expect("the trademark");
    let update = |paths: &[&str]| pb::UpdateTrademarkRequest {
        // Whole and valid, so that "*" too is refused for who sends it.
        trademark: Some(pb::Trademark {
            status: pb::TrademarkStatus::Cancelled as i32,
            mark_text: "ALPHA NEW".into(),
            etag: String::new(),
            ..tm.clone()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        }),
        request_id: String::new(),
    };
    for paths in [&["status", "mark_text"][..], &["mark_text"], &["*"]] {
        let refused = server
            .registry_as(Who::Operator)
            .update_trademark(update(paths))
            .await
            .expect_err("not the status alone");
        assert_eq!(refused.code(), Code::PermissionDenied, "{paths:?}");
        assert!(
            refused.message().contains("status alone"),
            "{paths:?}: {refused:?}"
        );
    }
    for who in Who::ALL {
        let got = match server
            .registry_as(who)
            .update_trademark(update(&["status"]))
            .await
        {
            Ok(_) => Code::Ok,
            Err(status) => status.code(),
        };
        let want = match who {
            Who::Operator | Who::OwnerA => Code::Ok,
            Who::Anonymous => Code::Unauthenticated,
            _ => Code::PermissionDenied,
        };
        assert_eq!(got, want, "{who:?}");
    }
    let now = server
        .registry_as(Who::OwnerB)
        .get_trademark(pb::GetTrademarkRequest {
            name: tm.name.clone(),
            min_revision: 0,
        })
        .await
        .expect("readable by every member")
        .into_inner()
        .trademark
        .expect("the trademark");
    assert_eq!(now.status, pb::TrademarkStatus::Cancelled as i32);
    assert_eq!(now.mark_text, "ALPHA", "only the status changed");
}

/// A member squats another's public registration number and logo: the
/// real owner is refused both. The operator removes them, which the
/// squatter's own audit trail shows as the operator's doing, and the real
/// owner then registers both; the operator archives the squatting brand.
/// The squatter's victim could not remove them itself.
#[tokio::test]
async fn the_operator_removes_a_squatted_trademark_and_logo() {
    let server = TestServer::start().await;
    let mut squatter = server.registry_as(Who::OwnerB);
    let mut owner = server.registry_as(Who::OwnerA);
    let mut operator = server.registry_as(Who::Operator);
    let number = |parent: &str| pb::AddTrademarkRequest {
        parent: parent.into(),
        trademark: Some(pb::Trademark {
            office: "CN".into(),
            registration_number: "ALPHA-CN-0007".into(),
            ..trademark("squat")
        }),
        request_id: String::new(),
    };
    let squatted = squatter
        .add_trademark(number("brands/beta"))
        .await
        .expect("first come, first served")
        .into_inner()
        .trademark
        .expect("the trademark");
    let refused = owner
        .add_trademark(number("brands/alpha"))
        .await
        .expect_err("the number is taken");
    assert_eq!(refused.code(), Code::AlreadyExists, "{refused:?}");
    let squatted_logo = squatter
        .add_logo(logo("brands/beta", 7))
        .await
        .expect("first come, first served")
        .into_inner()
        .logo
        .expect("the logo");
    let refused = owner
        .add_logo(logo("brands/alpha", 7))
        .await
        .expect_err("the logo is taken");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    // The victim may not remove them; nor write anything else of beta.
    let refused = owner
        .remove_trademark(pb::RemoveTrademarkRequest {
            name: squatted.name.clone(),
            request_id: String::new(),
        })
        .await
        .expect_err("another member's trademark");
    assert_eq!(refused.code(), Code::PermissionDenied);

    let removed = operator
        .remove_trademark(pb::RemoveTrademarkRequest {
            name: squatted.name.clone(),
            request_id: String::new(),
        })
        .await
        .expect("the operator removes the squatted trademark")
        .into_inner()
        .revision;
    let removed_logo = operator
        .remove_logo(pb::RemoveLogoRequest {
            name: squatted_logo.name.clone(),
            request_id: String::new(),
        })
        .await
        .expect("the operator removes the squatted logo")
        .into_inner()
        .revision;
    owner
        .add_trademark(number("brands/alpha"))
        .await
        .expect("the real owner adds its number once the squat is removed");
    owner
        .add_logo(logo("brands/alpha", 7))
        .await
        .expect("the real owner adds its logo once the squat is removed");
    let archived = operator
        .archive_brand(pb::ArchiveBrandRequest {
            name: "brands/beta".into(),
            etag: String::new(),
            request_id: String::new(),
        })
        .await
        .expect("the operator archives the squatting brand")
        .into_inner();
    assert_eq!(
        archived.brand.expect("the brand").status,
        pb::BrandStatus::Archived as i32
    );
    // An archived brand is read-only, for its owner as for the operator.
    let refused = squatter
        .add_trademark(number("brands/beta"))
        .await
        .expect_err("archived");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");

    // Each write is the operator's in the audit trail: the squatter's own
    // (who, not with which key) and the operator's.
    for who in [Who::OwnerB, Who::Operator] {
        let events = pb::audit_service_client::AuditServiceClient::with_interceptor(
            server.channel(),
            server.bearer(who),
        )
        .list_audit_events(pb::ListAuditEventsRequest {
            brand: "brands/beta".into(),
            ..Default::default()
        })
        .await
        .expect("beta's trail")
        .into_inner()
        .events;
        for revision in [removed, removed_logo, archived.revision] {
            let event = events
                .iter()
                .find(|e| e.revision == revision)
                .unwrap_or_else(|| panic!("{who:?} sees revision {revision}: {events:?}"));
            assert_eq!(event.actor, "members/operator", "{who:?}");
            assert_eq!(event.changes.len(), 1, "{who:?}");
            assert_eq!(event.api_key.is_empty(), who == Who::OwnerB, "{who:?}");
        }
    }
}

/// The matrix names every RPC the server exposes: a new RPC without a rule
/// fails here.
#[test]
fn the_matrix_covers_every_rpc_in_the_contract() {
    let fds =
        prost_types::FileDescriptorSet::decode(marque::server::FILE_DESCRIPTOR_SET).expect("fds");
    let served: BTreeSet<String> = fds
        .file
        .iter()
        .filter(|f| f.package() == "marque.v1")
        .flat_map(|f| {
            f.service.iter().flat_map(move |s| {
                s.method
                    .iter()
                    .map(move |m| format!("marque.v1.{}/{}", s.name(), m.name()))
            })
        })
        .collect();
    let ruled: BTreeSet<String> = Rpc::ALL
        .iter()
        .map(|r| format!("{}/{}", r.service(), r.method()))
        .collect();
    assert_eq!(served, ruled);
}

#[tokio::test]
async fn a_platform_sees_only_its_own_authorizations() {
    let server = TestServer::start().await;
    for (who, own, other) in [
        (Who::PlatformP, "members/platform-p", "members/platform-q"),
        (Who::PlatformQ, "members/platform-q", "members/platform-p"),
    ] {
        let mut client = server.registry_as(who);
        let listed = client
            .list_authorizations(pb::ListAuthorizationsRequest {
                parent: "brands/alpha".into(),
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner();
        assert_eq!(listed.authorizations.len(), 1, "{who:?}");
        assert!(listed.authorizations.iter().all(|a| a.platform == own));
        let denied = client
            .list_authorizations(pb::ListAuthorizationsRequest {
                parent: "brands/alpha".into(),
                platform: other.into(),
                ..Default::default()
            })
            .await
            .expect_err("another platform's authorizations");
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
    // The owner sees both.
    let all = server
        .registry_as(Who::OwnerA)
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(all.authorizations.len(), 2);
}

/// A page token continues only the list of the member it was issued to,
/// where what a list holds depends on who reads it (authorizations, the
/// audit trail): another member's token is INVALID_ARGUMENT, though nothing
/// of the other list would show through it.
/// Platforms are the alliance's directory: any member reads and lists
/// them (a brand owner names one to authorize a seller); another brand
/// owner's record and the operator's are the operator's to read, and a name
/// no member has is refused as they are.
#[tokio::test]
async fn any_member_reads_the_platforms_and_only_the_operator_every_member() {
    let server = TestServer::start().await;
    let listed = |who: Who| {
        let server = &server;
        async move {
            let mut names = Vec::new();
            let mut page_token = String::new();
            loop {
                let page = server
                    .registry_as(who)
                    .list_members(pb::ListMembersRequest {
                        page_size: 1,
                        page_token: page_token.clone(),
                        ..Default::default()
                    })
                    .await
                    .expect("a page of members")
                    .into_inner();
                names.extend(page.members.into_iter().map(|m| m.name));
                if page.next_page_token.is_empty() {
                    return names;
                }
                page_token = page.next_page_token;
            }
        }
    };
    let everyone = listed(Who::Operator).await;
    for name in ["members/owner-a", "members/owner-b", "members/platform-p"] {
        assert!(everyone.iter().any(|n| n == name), "{everyone:?}");
    }
    let seen = listed(Who::OwnerB).await;
    assert!(seen.iter().any(|n| n == "members/platform-p"), "{seen:?}");
    assert!(seen.iter().any(|n| n == "members/platform-q"), "{seen:?}");
    assert!(seen.iter().any(|n| n == "members/owner-b"), "{seen:?}");
    assert!(
        !seen
            .iter()
            .any(|n| n == "members/owner-a" || n == "members/operator"),
        "{seen:?}"
    );
    let get = |who: Who, name: &str| {
        let name = name.to_string();
        let server = &server;
        async move {
            server
                .registry_as(who)
                .get_member(pb::GetMemberRequest {
                    name,
                    min_revision: 0,
                })
                .await
        }
    };
    let platform = get(Who::OwnerB, "members/platform-p")
        .await
        .expect("a platform's record")
        .into_inner()
        .member
        .expect("the member");
    assert_eq!(platform.kind, pb::MemberKind::Platform as i32);
    for name in ["members/owner-a", "members/no-such-member"] {
        let refused = get(Who::PlatformP, name).await.expect_err(name);
        assert_eq!(
            refused.code(),
            Code::PermissionDenied,
            "{name}: {refused:?}"
        );
    }
    let missing = get(Who::Operator, "members/no-such-member")
        .await
        .expect_err("no such member");
    assert_eq!(missing.code(), Code::NotFound);
}

#[tokio::test]
async fn a_page_token_of_another_members_list_is_refused() {
    let server = TestServer::start().await;
    let list = |page_token: &str| pb::ListAuthorizationsRequest {
        parent: "brands/alpha".into(),
        page_size: 1,
        page_token: page_token.into(),
        ..Default::default()
    };
    let first = server
        .registry_as(Who::OwnerA)
        .list_authorizations(list(""))
        .await
        .expect("the owner's first page")
        .into_inner();
    assert!(!first.next_page_token.is_empty(), "{first:?}");
    for who in [Who::Operator, Who::PlatformP] {
        let refused = server
            .registry_as(who)
            .list_authorizations(list(&first.next_page_token))
            .await
            .expect_err("another member's token");
        common::assert_violations(&refused, &["page_token"]);
        assert!(refused.message().contains("another member"), "{refused:?}");
    }
    server
        .registry_as(Who::OwnerA)
        .list_authorizations(list(&first.next_page_token))
        .await
        .expect("the owner goes on with its own token");

    let audit = |who: Who| {
        pb::audit_service_client::AuditServiceClient::with_interceptor(
            server.channel(),
            server.bearer(who),
        )
    };
    let events = |page_token: &str| pb::ListAuditEventsRequest {
        brand: "brands/alpha".into(),
        page_size: 1,
        page_token: page_token.into(),
        ..Default::default()
    };
    // A second event of the brand, so that its trail has a second page.
    server
        .registry_as(Who::OwnerA)
        .authorize_seller(authorize("brands/alpha", "paging"))
        .await
        .expect("a write");
    let first = audit(Who::Operator)
        .list_audit_events(events(""))
        .await
        .expect("the operator's first page")
        .into_inner();
    assert!(!first.next_page_token.is_empty(), "{first:?}");
    let refused = audit(Who::OwnerA)
        .list_audit_events(events(&first.next_page_token))
        .await
        .expect_err("the operator's token");
    common::assert_violations(&refused, &["page_token"]);
    audit(Who::Operator)
        .list_audit_events(events(&first.next_page_token))
        .await
        .expect("the operator goes on with its own token");
}

/// A `platform` filter that names no platform is refused as AuthorizeSeller
/// refuses it, whether the member is no platform or no member at all (the
/// same answer: members are private); a platform still may not name
/// another.
#[tokio::test]
async fn listing_authorizations_on_a_member_that_is_no_platform_is_refused() {
    let server = TestServer::start().await;
    let list = |platform: &str| pb::ListAuthorizationsRequest {
        parent: "brands/alpha".into(),
        platform: platform.into(),
        ..Default::default()
    };
    let mut owner = server.registry_as(Who::OwnerA);
    for platform in ["members/owner-b", "members/nosuchmember"] {
        let status = owner
            .list_authorizations(list(platform))
            .await
            .expect_err("a filter on a member that is no platform");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(
            common::field_violations(&status),
            [(
                "platform".to_owned(),
                format!("{platform} is not a platform (ListMembers lists them)")
            )]
        );
    }
    let listed = owner
        .list_authorizations(list("members/platform-q"))
        .await
        .expect("a platform")
        .into_inner();
    assert_eq!(listed.authorizations.len(), 1);
    let denied = server
        .registry_as(Who::PlatformP)
        .list_authorizations(list("members/owner-b"))
        .await
        .expect_err("a platform naming another member");
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
}

/// A ListBrands filter on an owner tells no one but the operator which
/// names are members: a brand owner that has joined and registered no
/// brand yet, and the operator's own record, are refused as a name no
/// member has, as GetMember refuses them. An owner whose brands every
/// member sees, a platform's record and the caller's own are listed.
#[tokio::test]
async fn a_brand_owner_filter_tells_no_one_who_has_joined() {
    let server = TestServer::start().await;
    server
        .registry_as(Who::Operator)
        .create_member(pb::CreateMemberRequest {
            member_id: "owner-c".into(),
            member: Some(pb::Member {
                display_name: "Owner C".into(),
                kind: pb::MemberKind::BrandOwner as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a brand owner without brands");
    let list = |who: Who, owner: &str| {
        let server = &server;
        let owner = owner.to_string();
        async move {
            server
                .registry_as(who)
                .list_brands(pb::ListBrandsRequest {
                    owner,
                    ..Default::default()
                })
                .await
        }
    };
    for who in [Who::OwnerA, Who::OwnerB, Who::PlatformP] {
        // With the member's name taken out, the answers are the same.
        let refusal = |owner: &str, status: tonic::Status| {
            assert_eq!(
                status.code(),
                Code::InvalidArgument,
                "{who:?} {owner}: {status:?}"
            );
            let violations = common::field_violations(&status);
            let name = owner.trim_start_matches("members/");
            (
                violations.len(),
                violations[0].0.clone(),
                violations[0].1.replace(name, "_"),
            )
        };
        let mut seen = Vec::new();
        for owner in [
            "members/owner-c",
            "members/operator",
            "members/no-such-member",
        ] {
            seen.push(refusal(owner, list(who, owner).await.expect_err(owner)));
        }
        assert!(seen.windows(2).all(|w| w[0] == w[1]), "{who:?}: {seen:?}");
        assert_eq!(seen[0].1, "owner");
        let beta = list(who, "members/owner-b")
            .await
            .expect("an owner of brands")
            .into_inner();
        assert_eq!(
            beta.brands
                .iter()
                .map(|b| b.name.as_str())
                .collect::<Vec<_>>(),
            ["brands/beta"]
        );
        let platform = list(who, "members/platform-q")
            .await
            .expect("a platform, which every member reads")
            .into_inner();
        assert!(platform.brands.is_empty());
    }
    // A member's own name, without brands, is an empty list.
    let own = server
        .registry_with_key(&create_key(&server, "members/owner-c").await)
        .list_brands(pb::ListBrandsRequest {
            owner: "members/owner-c".into(),
            ..Default::default()
        })
        .await
        .expect("its own brands")
        .into_inner();
    assert!(own.brands.is_empty());
    // The operator reads every member: an empty list for a member without
    // brands, and a name that is none refused as such.
    let none = list(Who::Operator, "members/owner-c")
        .await
        .expect("the operator reads every member")
        .into_inner();
    assert!(none.brands.is_empty());
    let status = list(Who::Operator, "members/no-such-member")
        .await
        .expect_err("no such member");
    assert_eq!(
        common::field_violations(&status),
        [(
            "owner".to_owned(),
            "members/no-such-member is no member (ListMembers lists them)".to_owned()
        )]
    );
}

/// A new API key of `member`, made by the operator.
async fn create_key(server: &TestServer, member: &str) -> String {
    server
        .registry_as(Who::Operator)
        .create_api_key(pb::CreateApiKeyRequest {
            parent: member.into(),
            description: String::new(),
            request_id: String::new(),
        })
        .await
        .expect("a key")
        .into_inner()
        .secret
}

#[tokio::test]
async fn a_platform_cannot_learn_another_platforms_sellers_by_checking() {
    let server = TestServer::start().await;
    // seller-q1 is authorized on platform-q only: platform-p asking about the
    // same account id gets its own platform's answer.
    let on_p = server
        .check_as(Who::PlatformP)
        .check_seller(pb::CheckSellerRequest {
            brand: "brands/alpha".into(),
            seller_account: "seller-q1".into(),
            ..Default::default()
        })
        .await
        .expect("check")
        .into_inner();
    assert!(!on_p.authorized);
    assert_eq!(on_p.reason, pb::SellerCheckReason::NoAuthorization as i32);
    assert!(on_p.authorization.is_none());
    let on_q = server
        .check_as(Who::PlatformQ)
        .check_seller(pb::CheckSellerRequest {
            brand: "brands/alpha".into(),
            seller_account: "seller-q1".into(),
            ..Default::default()
        })
        .await
        .expect("check")
        .into_inner();
    assert!(on_q.authorized);
}

#[tokio::test]
async fn keys_are_checked_and_revocable() {
    let server = TestServer::start().await;
    let bad = server
        .registry_with_key(
            "mq_nosuchkey_0000000000000000000000000000000000000000000000000000000000000000",
        )
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect_err("unknown key");
    assert_eq!(bad.code(), Code::Unauthenticated);
    // A real key id with a wrong secret.
    let id = server
        .keys
        .owner_a
        .split('_')
        .nth(1)
        .expect("id")
        .to_string();
    let forged = format!("mq_{id}_{}", "0".repeat(64));
    let forged = server
        .registry_with_key(&forged)
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect_err("forged key");
    assert_eq!(forged.code(), Code::Unauthenticated);
    assert!(
        !forged.message().contains(&"0".repeat(64)),
        "the secret is not echoed"
    );

    let mut operator = server.registry_as(Who::Operator);
    let created = operator
        .create_api_key(pb::CreateApiKeyRequest {
            parent: "members/platform-p".into(),
            description: "rotation".into(),
            request_id: String::new(),
        })
        .await
        .expect("create key")
        .into_inner();
    let mut fresh = server.registry_with_key(&created.secret);
    let me = fresh
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect("new key works")
        .into_inner();
    assert_eq!(me.member.expect("member").name, "members/platform-p");
    let listed = operator
        .list_api_keys(pb::ListApiKeysRequest {
            parent: "members/platform-p".into(),
            ..Default::default()
        })
        .await
        .expect("list keys")
        .into_inner();
    assert_eq!(listed.api_keys.len(), 2);
    operator
        .revoke_api_key(pb::RevokeApiKeyRequest {
            name: created.api_key.expect("key").name,
            request_id: String::new(),
        })
        .await
        .expect("revoke");
    let revoked = fresh
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect_err("revoked key");
    assert_eq!(revoked.code(), Code::Unauthenticated);

    // The last active operator key cannot be revoked: no one could onboard
    // members or issue keys any more. Once there is another, it can.
    let operator_key = |secret: &str| {
        let id = secret.split('_').nth(1).expect("id");
        format!("members/operator/apiKeys/{id}")
    };
    let status = operator
        .revoke_api_key(pb::RevokeApiKeyRequest {
            name: operator_key(&server.keys.operator),
            request_id: String::new(),
        })
        .await
        .expect_err("the last operator key");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(status.message().contains("last active operator key"));
    let second = operator
        .create_api_key(pb::CreateApiKeyRequest {
            parent: "members/operator".into(),
            description: "rotation".into(),
            request_id: String::new(),
        })
        .await
        .expect("a second operator key")
        .into_inner();
    server
        .registry_with_key(&second.secret)
        .revoke_api_key(pb::RevokeApiKeyRequest {
            name: operator_key(&server.keys.operator),
            request_id: String::new(),
        })
        .await
        .expect("revoke the first with the second");
}

/// Two `authorization` headers on one call are refused, whatever they hold:
/// neither is taken over the other.
#[tokio::test]
async fn a_call_with_two_authorization_headers_is_refused() {
    let server = TestServer::start().await;
    let mut client = server.registry_as(Who::Anonymous);
    for second in [&server.keys.owner_a, &server.keys.operator] {
        let mut request = tonic::Request::new(pb::GetCallerRequest::default());
        for key in [&server.keys.owner_a, second] {
            request.metadata_mut().append(
                "authorization",
                format!("Bearer {key}").parse().expect("ascii"),
            );
        }
        let status = client
            .get_caller(request)
            .await
            .expect_err("two authorization headers");
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        assert!(
            status
                .message()
                .starts_with("more than one authorization header"),
            "{status:?}"
        );
    }
    // One is fine.
    server
        .registry_as(Who::OwnerA)
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect("one header");
}

/// A key created on one replica works at once on another, which has not
/// applied it yet: a key the snapshot does not know makes the replica
/// catch up with the store before refusing it. A made-up key is still
/// refused, and a flood of them reads no history from the store when no
/// other replica wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_created_on_another_replica_authenticates_at_once() {
    use std::{
        sync::{Arc, atomic::Ordering::SeqCst},
        time::Duration,
    };
    let store = common::new_store().await.0;
    let mut start = common::Start::fixture();
    start.store = Some(store.clone());
    let keys = start.keys.clone();
    let a = start.start().await;
    // Deaf, with an hour's poll: b applies another replica's writes only
    // when a call makes it catch up.
    let deaf = Arc::new(common::TestStore::deaf(store));
    let mut start = common::Start::fixture();
    start.keys = keys;
    start.options.seed = None;
    start.options.feed_poll = Duration::from_secs(3600);
    start.store = Some(deaf.clone());
    let b = start.start().await;
    let created = a
        .registry_as(Who::Operator)
        .create_api_key(pb::CreateApiKeyRequest {
            parent: "members/platform-p".into(),
            description: "made on a".into(),
            request_id: String::new(),
        })
        .await
        .expect("a key, created on a")
        .into_inner();
    assert!(b.registry.snapshot().revision() < created.revision);
    let caller = b
        .registry_with_key(&created.secret)
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect("the new key, on b at once")
        .into_inner();
    assert_eq!(
        caller.member.map(|m| m.name).as_deref(),
        Some("members/platform-p")
    );

    // Made-up keys: refused, and with nothing new in the store, no history
    // is read for them.
    let histories = deaf.history_reads.load(SeqCst);
    let refusals = (0..20).map(|_| {
        let mut client = b.registry_with_key(&marque::auth::generate_key().secret);
        async move {
            client
                .get_caller(pb::GetCallerRequest::default())
                .await
                .expect_err("a made-up key")
                .code()
        }
    });
    for code in futures_util::future::join_all(refusals).await {
        assert_eq!(code, Code::Unauthenticated);
    }
    assert_eq!(deaf.history_reads.load(SeqCst), histories);
}

/// GetAuthorization reads what ListAuthorizations lists, as the same
/// caller: each of alpha's authorizations, a revoked one too, is found
/// by exactly the callers whose list holds it, and answered as listed.
/// Another brand owner is refused as its list is, whether the name is an
/// authorization's or not; a platform gets NOT_FOUND for another
/// platform's authorization as for a name no authorization has.
#[tokio::test]
async fn get_authorization_reads_what_list_authorizations_lists() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let gone = owner
        .authorize_seller(authorize("brands/alpha", "gone"))
        .await
        .expect("authorize")
        .into_inner()
        .authorization
        .expect("authorization");
    owner
        .revoke_authorization(pb::RevokeAuthorizationRequest {
            name: gone.name.clone(),
            request_id: String::new(),
        })
        .await
        .expect("revoke");
    let every = common::every_authorization(
        &mut server.registry_as(Who::Operator),
        pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(every.len(), 3, "the fixture's two and the revoked one");
    let made_up = "brands/alpha/authorizations/0123456789abcdef0123456789abcdef";
    for who in [
        Who::Operator,
        Who::OwnerA,
        Who::OwnerB,
        Who::PlatformP,
        Who::PlatformQ,
    ] {
        let mut client = server.registry_as(who);
        let listed = client
            .list_authorizations(pb::ListAuthorizationsRequest {
                parent: "brands/alpha".into(),
                ..Default::default()
            })
            .await
            .map(|answer| answer.into_inner().authorizations);
        for authorization in &every {
            let got = client
                .get_authorization(pb::GetAuthorizationRequest {
                    name: authorization.name.clone(),
                    min_revision: 0,
                })
                .await;
            match (&listed, got) {
                (Ok(listed), Ok(got)) => {
                    let got = got.into_inner().authorization.expect("authorization");
                    assert!(
                        listed.contains(&got),
                        "{who:?} reads {} and does not list it",
                        got.name
                    );
                }
                (Ok(listed), Err(status)) => {
                    assert_eq!(status.code(), Code::NotFound, "{who:?}: {status:?}");
                    assert!(
                        listed.iter().all(|a| a.name != authorization.name),
                        "{who:?} lists {} and cannot read it",
                        authorization.name
                    );
                    assert_eq!(
                        status.message(),
                        format!("{} not found", authorization.name),
                        "answered as a name no authorization has"
                    );
                }
                (Err(refused), got) => {
                    let status = got.expect_err("read what the list refuses");
                    assert_eq!(
                        (status.code(), refused.code()),
                        (Code::PermissionDenied, Code::PermissionDenied),
                        "{who:?}"
                    );
                }
            }
        }
        let unknown = client
            .get_authorization(pb::GetAuthorizationRequest {
                name: made_up.into(),
                min_revision: 0,
            })
            .await
            .expect_err("a name no authorization has");
        let want = if listed.is_ok() {
            (Code::NotFound, format!("{made_up} not found"))
        } else {
            (
                Code::PermissionDenied,
                "the authorizations of brands/alpha are private to members/owner-a".into(),
            )
        };
        assert_eq!(
            (unknown.code(), unknown.message().to_string()),
            want,
            "{who:?}"
        );
    }
}

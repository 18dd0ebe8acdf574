//! RegistryService and CheckService behaviour through the real gRPC API:
//! validation, idempotent retries, etags, pagination, import atomicity,
//! revisions, logos and seller checks.

use crate::common;

use common::{
    TestServer, Who, assert_violations, brand_named, field_violations, unsealed_page_token,
};
use marque::pb::marque::v1 as pb;
use tonic::Code;

fn brand_request(id: &str, request_id: &str) -> pb::CreateBrandRequest {
    pb::CreateBrandRequest {
        brand_id: id.into(),
        brand: Some(pb::Brand {
            display_name: format!("Brand {id}"),
            aliases: vec![format!("{id} alias")],
            ..Default::default()
        }),
        request_id: request_id.into(),
    }
}

async fn revision(server: &TestServer) -> u64 {
    server
        .registry_as(Who::OwnerA)
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect("get caller")
        .into_inner()
        .revision
}

#[tokio::test]
async fn concurrent_writes_each_commit_one_revision_and_none_hangs() {
    // More writers at once than the store has connections (the PostgreSQL
    // tests' pool holds 8). A writer used to take the store's write lock
    // while the one before had committed but not yet published its
    // snapshot, then read the missing event through the store: on the
    // embedded store that waited for the lock it held (every write hung
    // from then on), on PostgreSQL for a connection that writers queued on
    // the row lock held (UNAVAILABLE after the pool wait).
    let server = TestServer::start().await;
    let before = revision(&server).await;
    const WRITERS: u64 = 96;
    let calls: Vec<_> = (0..WRITERS)
        .map(|i| {
            let who = if i % 2 == 0 { Who::OwnerA } else { Who::OwnerB };
            let mut owner = server.registry_as(who);
            tokio::spawn(async move {
                owner
                    .create_brand(brand_request(&format!("burst-{i}"), &format!("burst-{i}")))
                    .await
            })
        })
        .collect();
    let mut revisions = Vec::new();
    for call in calls {
        let answer = tokio::time::timeout(std::time::Duration::from_secs(60), call)
            .await
            .expect("no write hangs")
            .expect("the call's task")
            .expect("every write commits");
        revisions.push(answer.into_inner().revision);
    }
    revisions.sort_unstable();
    assert_eq!(
        revisions,
        (before + 1..=before + WRITERS).collect::<Vec<_>>(),
        "one revision each, none skipped"
    );
    assert_eq!(revision(&server).await, before + WRITERS);
}

#[tokio::test]
async fn names_and_request_ids_that_reorder_the_text_shown_are_refused() {
    // A bidi override shows `Foo\u{202E}Bar` as `FooraB` to every member
    // and platform that displays it; a request id appears in others' Watch
    // events. Marks that reorder nothing stay allowed.
    let server = TestServer::start().await;
    let before = revision(&server).await;
    let mut owner = server.registry_as(Who::OwnerA);
    let mut request = brand_request("reordered", "a\u{202E}b");
    request.brand = Some(pb::Brand {
        display_name: "Foo\u{202E}Bar".into(),
        aliases: vec!["\u{2066}Baz\u{2069}".into()],
        ..Default::default()
    });
    let status = owner
        .create_brand(request)
        .await
        .expect_err("bidi controls");
    assert_violations(
        &status,
        &["brand.display_name", "brand.aliases[0]", "request_id"],
    );
    assert!(
        field_violations(&status)
            .iter()
            .any(|(f, d)| f == "brand.display_name" && d.contains("U+202E at character 4")),
        "{status:?}"
    );
    assert_eq!(revision(&server).await, before, "nothing written");
    let mut request = brand_request("marked", "");
    request.brand = Some(pb::Brand {
        display_name: "\u{200F}Marked".into(),
        ..Default::default()
    });
    owner.create_brand(request).await.expect("a bidi mark");
}

#[tokio::test]
async fn an_alias_that_repeats_the_display_name_is_refused_and_writes_nothing() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let create = |aliases: &[&str]| pb::CreateBrandRequest {
        brand_id: "zephyrine".into(),
        brand: Some(pb::Brand {
            display_name: "Zéphyrine".into(),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let before = revision(&server).await;
    let status = owner
        .create_brand(create(&["Zephyra", "ZEPHYRINE"]))
        .await
        .expect_err("an alias equal to the display name once normalized");
    assert_eq!(
        field_violations(&status),
        [(
            "brand.aliases[1]".to_owned(),
            "\"ZEPHYRINE\" repeats the display name \"Zéphyrine\" once normalized".to_owned()
        )]
    );
    assert_eq!(revision(&server).await, before, "nothing written");

    owner
        .create_brand(create(&["Zephyra"]))
        .await
        .expect("distinct names");
    let before = revision(&server).await;
    // An update is held to the brand's other half as stored.
    let update = |brand: pb::Brand, path: &str| pb::UpdateBrandRequest {
        brand: Some(pb::Brand {
            name: "brands/zephyrine".into(),
            ..brand
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec![path.into()],
        }),
        request_id: String::new(),
    };
    let status = owner
        .update_brand(update(
            pb::Brand {
                aliases: vec!["Zephyra".into(), "zéphyrine".into()],
                ..Default::default()
            },
            "aliases",
        ))
        .await
        .expect_err("new aliases repeating the stored display name");
    assert_violations(&status, &["brand.aliases[1]"]);
    let status = owner
        .update_brand(update(
            pb::Brand {
                display_name: "ZEPHYRA".into(),
                ..Default::default()
            },
            "display_name",
        ))
        .await
        .expect_err("a new display name repeating a stored alias");
    assert_eq!(
        field_violations(&status),
        [(
            "brand.display_name".to_owned(),
            "\"ZEPHYRA\" repeats the alias \"Zephyra\" once normalized".to_owned()
        )]
    );
    assert_eq!(revision(&server).await, before, "nothing written");
    owner
        .update_brand(update(
            pb::Brand {
                display_name: "Zephyrine Paris".into(),
                ..Default::default()
            },
            "display_name",
        ))
        .await
        .expect("a display name no alias repeats");
}

/// A retry of an alias change answers as the first call did, though the
/// brand was renamed since to the alias it added: the retry is not held to
/// the display name the brand has now. A new request that repeats it is
/// refused on the alias, with nothing written.
#[tokio::test]
async fn an_alias_change_retried_after_a_rename_answers_as_first() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    owner
        .create_brand(brand_named("quillmere", "Quillmere"))
        .await
        .expect("create");
    let update = |brand: pb::Brand, paths: &[&str], request_id: &str| pb::UpdateBrandRequest {
        brand: Some(pb::Brand {
            name: "brands/quillmere".into(),
            ..brand
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
        request_id: request_id.into(),
    };
    let add_alias = || {
        update(
            pb::Brand {
                aliases: vec!["Quillan".into()],
                ..Default::default()
            },
            &["aliases"],
            "b7e2-add-quillan",
        )
    };
    let first = owner
        .update_brand(add_alias())
        .await
        .expect("add an alias")
        .into_inner();
    owner
        .update_brand(update(
            pb::Brand {
                display_name: "Quillan".into(),
                ..Default::default()
            },
            &["display_name", "aliases"],
            "",
        ))
        .await
        .expect("renamed to the alias, which goes");
    let retried = owner
        .update_brand(add_alias())
        .await
        .expect("a retry answers as the first call did")
        .into_inner();
    assert_eq!(retried, first);

    let before = revision(&server).await;
    let status = owner
        .update_brand(update(
            pb::Brand {
                aliases: vec!["QUILLAN".into()],
                ..Default::default()
            },
            &["aliases"],
            "",
        ))
        .await
        .expect_err("an alias repeating the display name");
    assert_eq!(
        field_violations(&status),
        [(
            "brand.aliases[0]".to_owned(),
            "\"QUILLAN\" repeats the display name \"Quillan\" once normalized".to_owned()
        )]
    );
    assert_eq!(revision(&server).await, before, "nothing written");
}

/// An alias equal to the display name is named as such, wherever it stands
/// among the aliases: two aliases that both repeat the display name are two
/// violations of one kind, not one alias repeating another.
#[tokio::test]
async fn every_alias_repeating_the_display_name_is_named_in_one_answer() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let repeats = |i: usize, alias: &str| {
        (
            format!("brand.aliases[{i}]"),
            format!("{alias:?} repeats the display name \"Do Home\" once normalized"),
        )
    };
    let before = revision(&server).await;
    let status = owner
        .create_brand(pb::CreateBrandRequest {
            brand_id: "al6".into(),
            brand: Some(pb::Brand {
                display_name: "Do Home".into(),
                aliases: vec!["Do-Home".into(), "do home".into(), "Dohome".into()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("aliases repeating the display name");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(
        field_violations(&status),
        [repeats(0, "Do-Home"), repeats(1, "do home")]
    );
    assert_eq!(revision(&server).await, before, "nothing written");

    owner
        .create_brand(brand_named("al6", "Do Home"))
        .await
        .expect("a brand without aliases");
    let before = revision(&server).await;
    let update = |brand: pb::Brand, paths: &[&str]| pb::UpdateBrandRequest {
        brand: Some(pb::Brand {
            name: "brands/al6".into(),
            ..brand
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
        request_id: String::new(),
    };
    let aliases = || {
        vec![
            "Do-Home".into(),
            "do home".into(),
            "Home".into(),
            "HOME".into(),
        ]
    };
    // Against the stored display name, and against a new one alike.
    for (brand, paths) in [
        (
            pb::Brand {
                aliases: aliases(),
                ..Default::default()
            },
            &["aliases"][..],
        ),
        (
            pb::Brand {
                display_name: "Do Home".into(),
                aliases: aliases(),
                ..Default::default()
            },
            &["display_name", "aliases"][..],
        ),
    ] {
        let status = owner
            .update_brand(update(brand, paths))
            .await
            .expect_err("aliases repeating the display name and each other");
        assert_eq!(
            field_violations(&status),
            [
                repeats(0, "Do-Home"),
                repeats(1, "do home"),
                (
                    "brand.aliases[3]".to_owned(),
                    "\"HOME\" repeats brand.aliases[2] once normalized".to_owned()
                )
            ],
            "{paths:?}"
        );
    }
    assert_eq!(revision(&server).await, before, "nothing written");
}

#[tokio::test]
async fn bad_fields_come_back_as_field_violations_and_write_nothing() {
    let server = TestServer::start().await;
    let before = revision(&server).await;
    let mut owner = server.registry_as(Who::OwnerA);

    let status = owner
        .create_brand(pb::CreateBrandRequest {
            brand_id: "Not A Slug!".into(),
            brand: Some(pb::Brand {
                display_name: "x".repeat(201),
                aliases: vec!["same".into(), "SAME".into(), String::new()],
                ..Default::default()
            }),
            request_id: "r".repeat(129),
        })
        .await
        .expect_err("invalid brand");
    assert_violations(
        &status,
        &[
            "brand_id",
            "brand.display_name",
            "brand.aliases[1]",
            "brand.aliases[2]",
            "request_id",
        ],
    );

    // Aliases are unique once normalized as listings are, and a name with
    // no letter or digit could never match one.
    let status = owner
        .create_brand(pb::CreateBrandRequest {
            brand_id: "zephyrine".into(),
            brand: Some(pb::Brand {
                display_name: "!!!".into(),
                aliases: vec!["Chloé".into(), "ＣＨＬＯＥ".into(), "\u{200B}~".into()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("names that normalize alike or to nothing");
    assert_violations(
        &status,
        &["brand.display_name", "brand.aliases[1]", "brand.aliases[2]"],
    );
    assert!(
        !field_violations(&status)
            .iter()
            .any(|(f, _)| f == "brand.aliases[0]"),
        "{status:?}"
    );

    // A name is plain text: HTML, which a listing is read through (another
    // member's name in tags or character references), is refused, and a
    // name with `&` that is no reference is not.
    let status = owner
        .create_brand(pb::CreateBrandRequest {
            brand_id: "zephyrine".into(),
            brand: Some(pb::Brand {
                display_name: "Aur<b></b>elle".into(),
                aliases: vec![
                    "Aur&#101;lle".into(),
                    "Dolce & Co".into(),
                    "<i>Z</i>".into(),
                ],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("names written in HTML");
    assert_violations(
        &status,
        &["brand.display_name", "brand.aliases[0]", "brand.aliases[2]"],
    );
    let violations = field_violations(&status);
    assert!(
        violations
            .iter()
            .any(|(f, d)| f == "brand.display_name" && d.contains("shown as \"Aurelle\"")),
        "{violations:?}"
    );
    assert!(
        !violations.iter().any(|(f, _)| f == "brand.aliases[1]"),
        "{violations:?}"
    );

    let status = owner
        .add_trademark(pb::AddTrademarkRequest {
            parent: "brands/alpha".into(),
            trademark: Some(pb::Trademark {
                office: "XX".into(),
                registration_number: "12/34?".into(),
                kind: 0,
                nice_classes: vec![0, 46, 9, 9],
                status: 99,
                expiry_date: Some(marque::pb::google::r#type::Date {
                    year: 2030,
                    month: 2,
                    day: 30,
                }),
                designated_countries: vec!["ZZ".into()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("invalid trademark");
    assert_violations(
        &status,
        &[
            "trademark.office",
            "trademark.registration_number",
            "trademark.kind",
            "trademark.nice_classes[0]",
            "trademark.nice_classes[1]",
            "trademark.nice_classes[3]",
            "trademark.status",
            "trademark.expiry_date",
            "trademark.designated_countries[0]",
        ],
    );
    // Each bad class, and only those: 0 and 46 are outside the
    // classification, the second 9 repeats the first.
    let classes: Vec<(String, String)> = field_violations(&status)
        .into_iter()
        .filter(|(f, _)| f.starts_with("trademark.nice_classes"))
        .collect();
    assert_eq!(
        classes,
        [
            (
                "trademark.nice_classes[0]".to_string(),
                "class 0 is outside the Nice classification (1 to 45)".to_string()
            ),
            (
                "trademark.nice_classes[1]".to_string(),
                "class 46 is outside the Nice classification (1 to 45)".to_string()
            ),
            (
                "trademark.nice_classes[3]".to_string(),
                "class 9 is listed twice".to_string()
            ),
        ]
    );

    // A national office takes no designations; WIPO needs them.
    let mut tm = pb::Trademark {
        office: "US".into(),
        registration_number: "1".into(),
        mark_text: "ALPHA".into(),
        kind: pb::TrademarkKind::Word as i32,
        nice_classes: vec![9],
        status: pb::TrademarkStatus::Registered as i32,
        designated_countries: vec!["FR".into()],
        ..Default::default()
    };
    let status = owner
        .add_trademark(pb::AddTrademarkRequest {
            parent: "brands/alpha".into(),
            trademark: Some(tm.clone()),
            request_id: String::new(),
        })
        .await
        .expect_err("designations on a national mark");
    assert_violations(&status, &["trademark.designated_countries"]);
    tm.office = "WO".into();
    tm.designated_countries.clear();
    let status = owner
        .add_trademark(pb::AddTrademarkRequest {
            parent: "brands/alpha".into(),
            trademark: Some(tm.clone()),
            request_id: String::new(),
        })
        .await
        .expect_err("WIPO mark without designations");
    assert_violations(&status, &["trademark.designated_countries"]);
    // Too many designations is one mistake, not also an empty list.
    tm.designated_countries = vec!["FR".into(); 300];
    let status = owner
        .add_trademark(pb::AddTrademarkRequest {
            parent: "brands/alpha".into(),
            trademark: Some(tm.clone()),
            request_id: String::new(),
        })
        .await
        .expect_err("300 designations");
    assert_eq!(
        common::field_violations(&status),
        [(
            "trademark.designated_countries".to_string(),
            "at most 250 regions, got 300".to_string()
        )]
    );
    // An EU trade mark is unitary: it takes no designation, each refused
    // by its entry.
    tm.office = "EM".into();
    tm.designated_countries = vec!["FR".into(), "GB".into()];
    let status = owner
        .add_trademark(pb::AddTrademarkRequest {
            parent: "brands/alpha".into(),
            trademark: Some(tm),
            request_id: String::new(),
        })
        .await
        .expect_err("designations on an EU mark");
    assert_violations(
        &status,
        &[
            "trademark.designated_countries[0]",
            "trademark.designated_countries[1]",
        ],
    );

    let status = owner
        .authorize_seller(authorize(pb::Authorization {
            platform: "members/owner-b".into(),
            seller_account: "s".into(),
            regions: vec!["EU".into()],
            valid_from: Some(prost_types::Timestamp {
                seconds: 2_000_000_000,
                nanos: 0,
            }),
            valid_until: Some(prost_types::Timestamp {
                seconds: 1_000_000_000,
                nanos: 0,
            }),
            ..Default::default()
        }))
        .await
        .expect_err("invalid authorization");
    assert_violations(&status, &["authorization.regions[0]"]);

    // Well-formed but wrong for the registry: owner-b is not a platform, the
    // window is reversed.
    let status = owner
        .authorize_seller(authorize(pb::Authorization {
            platform: "members/owner-b".into(),
            seller_account: "s".into(),
            ..Default::default()
        }))
        .await
        .expect_err("not a platform");
    assert_violations(&status, &["authorization.platform"]);
    // A name that is no member's gets the same answer as a member that is
    // not a platform: members are private, so a write does not tell which
    // names exist.
    let unknown = owner
        .authorize_seller(authorize(pb::Authorization {
            platform: "members/no-such-member".into(),
            seller_account: "s".into(),
            ..Default::default()
        }))
        .await
        .expect_err("no such member");
    assert_eq!(unknown.code(), status.code());
    assert_eq!(
        field_violations(&unknown),
        [(
            "authorization.platform".to_string(),
            "members/no-such-member is not a platform (ListMembers lists them)".to_string()
        )]
    );
    assert_eq!(
        field_violations(&status),
        [(
            "authorization.platform".to_string(),
            "members/owner-b is not a platform (ListMembers lists them)".to_string()
        )]
    );
    let status = owner
        .authorize_seller(authorize(pb::Authorization {
            platform: "members/platform-p".into(),
            seller_account: "s".into(),
            valid_from: Some(prost_types::Timestamp {
                seconds: 2_000_000_000,
                nanos: 0,
            }),
            valid_until: Some(prost_types::Timestamp {
                seconds: 1_000_000_000,
                nanos: 0,
            }),
            ..Default::default()
        }))
        .await
        .expect_err("reversed window");
    assert_violations(&status, &["authorization.valid_until"]);
    // Instants read as RFC 3339.
    assert!(
        field_violations(&status).contains(&(
            "authorization.valid_until".into(),
            "valid_until 2001-09-09T01:46:40Z must be after valid_from 2033-05-18T03:33:20Z".into()
        )),
        "{status:?}"
    );
    let date = |year, month, day| marque::pb::google::r#type::Date { year, month, day };
    let status = owner
        .add_trademark(pb::AddTrademarkRequest {
            parent: "brands/alpha".into(),
            trademark: Some(pb::Trademark {
                office: "US".into(),
                registration_number: "REVERSED-1".into(),
                mark_text: "ALPHA".into(),
                kind: pb::TrademarkKind::Word as i32,
                nice_classes: vec![9],
                status: pb::TrademarkStatus::Registered as i32,
                registration_date: Some(date(2020, 1, 1)),
                expiry_date: Some(date(2019, 12, 31)),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("expiry before registration");
    assert!(
        field_violations(&status).contains(&(
            "trademark.expiry_date".into(),
            "expiry date 2019-12-31 must be after the registration date 2020-01-01".into()
        )),
        "{status:?}"
    );

    let status = owner
        .get_brand(pb::GetBrandRequest {
            name: "alpha".into(),
            min_revision: 0,
        })
        .await
        .expect_err("not a resource name");
    assert_violations(&status, &["name"]);
    let status = owner
        .list_brands(pb::ListBrandsRequest {
            page_size: -1,
            page_token: "garbage".into(),
            ..Default::default()
        })
        .await
        .expect_err("bad paging");
    assert_violations(&status, &["page_size", "page_token"]);
    let status = owner
        .list_brands(pb::ListBrandsRequest {
            owner: "members/no-such-owner".into(),
            ..Default::default()
        })
        .await
        .expect_err("an owner that is no member");
    assert!(
        field_violations(&status).contains(&(
            "owner".into(),
            "members/no-such-owner owns no brand, and is no member whose record you may read \
             (ListMembers lists those)"
                .into()
        )),
        "{status:?}"
    );
    // The operator, which reads every member, hears that it is none.
    let status = server
        .registry_as(Who::Operator)
        .list_brands(pb::ListBrandsRequest {
            owner: "members/no-such-owner".into(),
            ..Default::default()
        })
        .await
        .expect_err("an owner that is no member");
    assert!(
        field_violations(&status).contains(&(
            "owner".into(),
            "members/no-such-owner is no member (ListMembers lists them)".into()
        )),
        "{status:?}"
    );

    assert_eq!(
        revision(&server).await,
        before,
        "rejected requests wrote nothing"
    );
}

#[tokio::test]
async fn missing_resources_are_not_found_and_conflicts_already_exist() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let status = owner
        .get_brand(pb::GetBrandRequest {
            name: "brands/nope".into(),
            min_revision: 0,
        })
        .await
        .expect_err("missing brand");
    assert_eq!(status.code(), Code::NotFound);
    let status = owner
        .remove_trademark(pb::RemoveTrademarkRequest {
            name: "brands/alpha/trademarks/nosuchid".into(),
            request_id: String::new(),
        })
        .await
        .expect_err("missing trademark");
    assert_eq!(status.code(), Code::NotFound);
    let status = owner
        .create_brand(brand_request("beta", ""))
        .await
        .expect_err("taken brand id");
    assert_eq!(status.code(), Code::AlreadyExists);
    // The fixture's CN TEST-1 is registered to alpha already.
    let status = server
        .registry_as(Who::OwnerB)
        .add_trademark(pb::AddTrademarkRequest {
            parent: "brands/beta".into(),
            trademark: Some(pb::Trademark {
                office: "cn".into(),
                registration_number: "test-1".into(),
                mark_text: "BETA".into(),
                kind: pb::TrademarkKind::Word as i32,
                nice_classes: vec![14],
                status: pb::TrademarkStatus::Registered as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("a registration number belongs to one brand");
    assert_eq!(status.code(), Code::AlreadyExists);
}

#[tokio::test]
async fn another_members_brand_names_cannot_be_taken() {
    let server = TestServer::start().await;
    let before = revision(&server).await;
    let mut other = server.registry_as(Who::OwnerB);
    // Alpha (owner A) is named `Alpha` and `阿尔法`: owner B may not give
    // either to a brand of its own, in any spelling that declares Alpha.
    let status = other
        .create_brand(pb::CreateBrandRequest {
            brand_id: "alpha-copy".into(),
            brand: Some(pb::Brand {
                display_name: "ALPHA".into(),
                aliases: vec!["Alpha Watches".into(), "Аlpha".into(), "阿尔法".into()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("another member's names");
    assert_violations(
        &status,
        &["brand.display_name", "brand.aliases[1]", "brand.aliases[2]"],
    );
    assert!(
        field_violations(&status)
            .iter()
            .all(|(_, d)| d.contains("brands/alpha")),
        "{status:?}"
    );
    let alias = |aliases: &[&str]| pb::UpdateBrandRequest {
        brand: Some(pb::Brand {
            name: "brands/beta".into(),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["aliases".into()],
        }),
        request_id: String::new(),
    };
    let status = other
        .update_brand(alias(&["Beta One", "A-l-p-h-a"]))
        .await
        .expect_err("an alias that is another member's name");
    assert_violations(&status, &["brand.aliases[1]"]);
    assert_eq!(revision(&server).await, before, "nothing written");

    // Nor may the owner give its name to another of its active brands
    // (listings showing it would be checked against both); a name near
    // Alpha is free.
    let sport = |aliases: &[&str]| pb::CreateBrandRequest {
        brand_id: "alpha-sport".into(),
        brand: Some(pb::Brand {
            display_name: "Alpha Sport".into(),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let status = server
        .registry_as(Who::OwnerA)
        .create_brand(sport(&["alpha"]))
        .await
        .expect_err("the name of another of the owner's brands");
    assert_violations(&status, &["brand.aliases[0]"]);
    server
        .registry_as(Who::OwnerA)
        .create_brand(sport(&[]))
        .await
        .expect("a name of its own");
    other
        .update_brand(alias(&["Alphas"]))
        .await
        .expect("a different name");

    // Once Alpha is archived its names no longer declare it.
    let mut owner = server.registry_as(Who::OwnerA);
    for name in ["brands/alpha", "brands/alpha-sport"] {
        owner
            .archive_brand(pb::ArchiveBrandRequest {
                name: name.into(),
                etag: String::new(),
                request_id: String::new(),
            })
            .await
            .expect("archive");
    }
    other
        .update_brand(alias(&["Alpha"]))
        .await
        .expect("an archived brand's name");
}

#[tokio::test]
async fn a_retry_with_the_same_request_id_writes_once() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let first = owner
        .create_brand(brand_request("retried", "3f2b6c1e-request"))
        .await
        .expect("create")
        .into_inner();
    let again = owner
        .create_brand(brand_request("retried", "3f2b6c1e-request"))
        .await
        .expect("retry answers like the first call")
        .into_inner();
    assert_eq!(first, again);
    assert_eq!(
        revision(&server).await,
        first.revision,
        "the retry wrote nothing"
    );

    // A blank request id is no idempotency key.
    let status = owner
        .create_brand(brand_request("blank-id", "   "))
        .await
        .expect_err("a blank request id");
    assert_violations(&status, &["request_id"]);

    // Another member may use the same request id for its own write.
    server
        .registry_as(Who::OwnerB)
        .create_brand(brand_request("retried-b", "3f2b6c1e-request"))
        .await
        .expect("request ids are per member");

    // The same id for a different request is refused.
    let status = owner
        .create_brand(brand_request("other", "3f2b6c1e-request"))
        .await
        .expect_err("reused request id");
    assert_violations(&status, &["request_id"]);

    // Without a request id, a repeat is a second write.
    let status = owner
        .create_brand(brand_request("retried", ""))
        .await
        .expect_err("second create");
    assert_eq!(status.code(), Code::AlreadyExists);
}

#[tokio::test]
async fn an_update_with_a_stale_etag_is_aborted() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let brand = owner
        .get_brand(pb::GetBrandRequest {
            name: "brands/alpha".into(),
            min_revision: 0,
        })
        .await
        .expect("get")
        .into_inner()
        .brand
        .expect("brand");
    let update = |etag: String, name: &str| pb::UpdateBrandRequest {
        brand: Some(pb::Brand {
            name: "brands/alpha".into(),
            display_name: name.into(),
            aliases: vec!["ALPHA".into(), "阿尔法".into()],
            etag,
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["display_name".into(), "aliases".into()],
        }),
        request_id: String::new(),
    };
    let updated = owner
        .update_brand(update(brand.etag.clone(), "Alpha One"))
        .await
        .expect("update with the current etag")
        .into_inner();
    let b = updated.brand.expect("brand");
    assert_eq!(b.display_name, "Alpha One");
    assert_eq!(b.aliases, vec!["ALPHA", "阿尔法"]);
    assert_ne!(b.etag, brand.etag);
    assert_eq!(b.etag, updated.revision.to_string());

    let stale = owner
        .update_brand(update(brand.etag.clone(), "Alpha Two"))
        .await
        .expect_err("stale etag");
    assert_eq!(stale.code(), Code::Aborted);
    let got = owner
        .get_brand(pb::GetBrandRequest {
            name: "brands/alpha".into(),
            min_revision: updated.revision,
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(got.brand.expect("brand").display_name, "Alpha One");
    assert!(got.revision >= updated.revision);

    // An update names its fields.
    let status = owner
        .update_brand(pb::UpdateBrandRequest {
            brand: Some(pb::Brand {
                name: "brands/alpha".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["owner".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("owner is not updatable");
    assert_violations(&status, &["update_mask.paths[0]"]);

    // Archived brands are read-only.
    owner
        .archive_brand(pb::ArchiveBrandRequest {
            name: "brands/alpha".into(),
            etag: String::new(),
            request_id: String::new(),
        })
        .await
        .expect("archive");
    let status = owner
        .update_brand(update(String::new(), "Alpha Three"))
        .await
        .expect_err("archived");
    assert_eq!(status.code(), Code::FailedPrecondition);
    let check = server
        .check_as(Who::PlatformP)
        .check_seller(pb::CheckSellerRequest {
            brand: "brands/alpha".into(),
            seller_account: "seller-p1".into(),
            nice_class: 14,
            region: "CN".into(),
            ..Default::default()
        })
        .await
        .expect("check")
        .into_inner();
    assert!(!check.authorized);
    assert_eq!(check.reason, pb::SellerCheckReason::BrandArchived as i32);
}

#[tokio::test]
async fn lists_page_through_every_item_once() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    for i in 0..7 {
        owner
            .create_brand(brand_request(&format!("paged-{i}"), ""))
            .await
            .expect("create");
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = owner
            .list_brands(pb::ListBrandsRequest {
                owner: "members/owner-a".into(),
                page_size: 3,
                page_token: token.clone(),
                min_revision: 0,
            })
            .await
            .expect("list")
            .into_inner();
        pages += 1;
        assert!(page.brands.len() <= 3);
        seen.extend(page.brands.into_iter().map(|b| b.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
        assert!(pages < 10, "paging does not end");
    }
    // alpha plus the 7 new ones, each once, in id order.
    assert_eq!(pages, 3);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted);
    assert_eq!(seen.len(), 8);
    assert!(
        !seen.contains(&"brands/beta".to_string()),
        "filtered by owner"
    );
}

/// AuthorizeSeller of `authorization` on the fixture's `brands/alpha`.
fn authorize(authorization: pb::Authorization) -> pb::AuthorizeSellerRequest {
    pb::AuthorizeSellerRequest {
        parent: "brands/alpha".into(),
        authorization: Some(authorization),
        request_id: String::new(),
    }
}

fn row(platform: &str, seller: &str, regions: &[&str]) -> pb::Authorization {
    pb::Authorization {
        platform: platform.into(),
        seller_account: seller.into(),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        nice_classes: vec![14],
        ..Default::default()
    }
}

/// A status sent where none is read is refused, not dropped: an owner
/// loading suspended or revoked sellers must not grant them unawares.
/// AuthorizeSeller creates ACTIVE (saying so is fine); an import row sets
/// no status at all.
#[tokio::test]
async fn a_status_sent_where_none_is_read_is_refused() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let before = revision(&server).await;
    let with_status = |seller: &str, status: pb::AuthorizationStatus| pb::Authorization {
        status: status as i32,
        ..row("members/platform-p", seller, &["CN"])
    };
    for status in [
        pb::AuthorizationStatus::Suspended,
        pb::AuthorizationStatus::Revoked,
    ] {
        let refused = owner
            .authorize_seller(authorize(with_status("status-seller", status)))
            .await
            .expect_err("a status other than ACTIVE");
        assert_violations(&refused, &["authorization.status"]);
        let (_, message) = &field_violations(&refused)[0];
        assert!(message.contains(status.as_str_name()), "{message}");
    }
    let refused = owner
        .import_authorizations(tokio_stream::iter(vec![pb::ImportAuthorizationsRequest {
            parent: "brands/alpha".into(),
            rows: vec![
                row("members/platform-p", "import-0", &["CN"]),
                with_status("import-1", pb::AuthorizationStatus::Revoked),
                with_status("import-2", pb::AuthorizationStatus::Active),
            ],
            request_id: String::new(),
            widen: None,
        }]))
        .await
        .expect_err("a row with a status");
    assert_violations(&refused, &["rows[1].status"]);
    // ACTIVE too: a row keeps a live SUSPENDED one's status, so it would
    // not make it so.
    let refused = owner
        .import_authorizations(tokio_stream::iter(vec![pb::ImportAuthorizationsRequest {
            parent: "brands/alpha".into(),
            rows: vec![with_status("import-2", pb::AuthorizationStatus::Active)],
            request_id: String::new(),
            widen: None,
        }]))
        .await
        .expect_err("a row with a status");
    assert_violations(&refused, &["rows[0].status"]);
    assert_eq!(revision(&server).await, before, "nothing written");
    let created = owner
        .authorize_seller(authorize(with_status(
            "status-seller",
            pb::AuthorizationStatus::Active,
        )))
        .await
        .expect("ACTIVE, as it is created")
        .into_inner()
        .authorization
        .expect("the authorization");
    assert_eq!(created.status, pb::AuthorizationStatus::Active as i32);
}

#[tokio::test]
async fn an_import_is_all_or_nothing() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let before = revision(&server).await;
    let messages = vec![
        pb::ImportAuthorizationsRequest {
            parent: "brands/alpha".into(),
            rows: vec![
                row("members/platform-p", "bulk-0", &["CN"]),
                row("members/platform-p", "bulk-1", &["FR"]),
            ],
            request_id: "import-1".into(),
            widen: None,
        },
        pb::ImportAuthorizationsRequest {
            parent: String::new(),
            rows: vec![
                row("members/platform-p", "bulk-2", &["NOPE"]),
                row("members/nobody", "bulk-3", &[]),
                row("members/platform-p", "bulk-0", &[]),
            ],
            request_id: String::new(),
            widen: None,
        },
    ];
    let status = owner
        .import_authorizations(tokio_stream::iter(messages))
        .await
        .expect_err("one bad row rejects the import");
    assert_violations(&status, &["rows[2].regions[0]"]);
    assert_eq!(revision(&server).await, before);

    // Field-valid rows that do not fit the registry are named too.
    let messages = vec![pb::ImportAuthorizationsRequest {
        parent: "brands/alpha".into(),
        rows: vec![
            row("members/platform-p", "bulk-0", &["CN"]),
            row("members/nobody", "bulk-3", &[]),
            row("members/platform-p", "bulk-0", &[]),
        ],
        request_id: String::new(),
        widen: None,
    }];
    let status = owner
        .import_authorizations(tokio_stream::iter(messages))
        .await
        .expect_err("unknown platform, duplicate seller");
    assert_violations(&status, &["rows[1].platform", "rows[2].seller_account"]);
    // The same mistake in many rows is named once, at its first row.
    let status = owner
        .import_authorizations(tokio_stream::iter(vec![pb::ImportAuthorizationsRequest {
            parent: "brands/alpha".into(),
            rows: (0..50)
                .map(|i| row("members/nobody", &format!("s-{i}"), &[]))
                .collect(),
            request_id: String::new(),
            widen: None,
        }]))
        .await
        .expect_err("fifty rows naming no platform");
    let named: Vec<String> = common::field_violations(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    assert_eq!(named, ["rows[0].platform"]);
    assert_eq!(revision(&server).await, before, "no row was written");

    // A good import lands in one revision; one row updates the fixture's
    // seller-p1, the rest are new.
    let rows: Vec<pb::Authorization> = (0..250)
        .map(|i| row("members/platform-p", &format!("bulk-{i}"), &["CN"]))
        .chain([row("members/platform-p", "seller-p1", &["DE"])])
        .collect();
    let messages = common::import_messages("brands/alpha", &rows, 100, "import-2");
    let done = owner
        .import_authorizations(tokio_stream::iter(messages.clone()))
        .await
        .expect("import")
        .into_inner();
    assert_eq!((done.created, done.updated), (250, 1));
    assert_eq!(done.revision, before + 1);
    let again = owner
        .import_authorizations(tokio_stream::iter(messages))
        .await
        .expect("retried import")
        .into_inner();
    assert_eq!(again, done, "the retry of an import writes nothing");
    // However the rows are split into messages.
    let resplit = common::import_messages("brands/alpha", &rows, 7, "import-2");
    let again = owner
        .import_authorizations(tokio_stream::iter(resplit))
        .await
        .expect("retried import in other batches")
        .into_inner();
    assert_eq!(again, done, "the same import, batched otherwise");
    // Other rows under the same request id are another request.
    let other = common::import_messages("brands/alpha", &rows[1..], 100, "import-2");
    let status = owner
        .import_authorizations(tokio_stream::iter(other))
        .await
        .expect_err("another import under a used request id");
    assert_violations(&status, &["request_id"]);

    let listed = owner
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            seller_account: "seller-p1".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.authorizations.len(), 1);
    assert_eq!(listed.authorizations[0].regions, vec!["DE"]);
}

#[tokio::test]
async fn a_validity_window_includes_its_start_and_excludes_its_end() {
    let server = TestServer::start().await;
    let (from, until) = (1_800_000_000i64, 1_800_086_400i64);
    let at = |seconds: i64, nanos: i32| Some(prost_types::Timestamp { seconds, nanos });
    server
        .registry_as(Who::OwnerA)
        .authorize_seller(authorize(pb::Authorization {
            platform: "members/platform-p".into(),
            seller_account: "windowed".into(),
            valid_from: at(from, 0),
            valid_until: at(until, 0),
            ..Default::default()
        }))
        .await
        .expect("authorize");
    use pb::SellerCheckReason as R;
    let mut platform = server.check_as(Who::PlatformP);
    for (at_time, reason) in [
        (at(from - 1, 999_999_999), R::NotYetValid),
        (at(from, 0), R::Authorized),
        (at(until - 1, 999_999_999), R::Authorized),
        (at(until, 0), R::Expired),
    ] {
        let answer = platform
            .check_seller(pb::CheckSellerRequest {
                brand: "brands/alpha".into(),
                seller_account: "windowed".into(),
                at_time,
                ..Default::default()
            })
            .await
            .expect("check")
            .into_inner();
        assert_eq!(answer.reason, reason as i32, "at {at_time:?}");
    }
}

/// CheckSeller is decided by the seller's authorizations that cover the
/// check (its class, region and instant); when none does, by the one that
/// comes closest (check.proto, SellerCheckReason). A suspended or revoked
/// authorization for another class, region or time does not make the
/// answer SUSPENDED or REVOKED, and one that covers the check is not
/// outweighed by another that covers less.
#[tokio::test]
async fn check_seller_is_decided_by_the_authorizations_that_cover_the_check() {
    use pb::AuthorizationStatus as S;
    use pb::SellerCheckReason as R;
    const HOUR: i64 = 3600;
    struct Grant {
        classes: &'static [i32],
        regions: &'static [&'static str],
        /// Its window, in seconds from the instant checked.
        from: i64,
        until: Option<i64>,
        status: S,
    }
    let grant = |classes: &'static [i32], regions: &'static [&'static str], status: S| Grant {
        classes,
        regions,
        from: -HOUR,
        until: None,
        status,
    };
    let timed = |from: i64, until: Option<i64>, status: S| Grant {
        classes: &[25],
        regions: &[],
        from,
        until,
        status,
    };
    // The grants, made in this order (a seller has at most one live
    // authorization: the revoked ones first), the class and region
    // checked, the reason, and which grant the answer names.
    type Case = (&'static str, Vec<Grant>, i32, &'static str, R, usize);
    let cases: Vec<Case> = vec![
        (
            "suspended for another class",
            vec![grant(&[18], &[], S::Suspended)],
            25,
            "",
            R::ClassNotCovered,
            0,
        ),
        (
            "suspended for another region",
            vec![grant(&[], &["FR"], S::Suspended)],
            25,
            "DE",
            R::RegionNotCovered,
            0,
        ),
        (
            "suspended, from later",
            vec![timed(HOUR, None, S::Suspended)],
            25,
            "",
            R::NotYetValid,
            0,
        ),
        (
            "suspended, ended",
            vec![timed(-2 * HOUR, Some(-HOUR), S::Suspended)],
            25,
            "",
            R::Expired,
            0,
        ),
        (
            "revoked for another class",
            vec![grant(&[18], &[], S::Revoked)],
            25,
            "",
            R::ClassNotCovered,
            0,
        ),
        (
            "revoked for the class, beside one suspended for another",
            vec![
                grant(&[25], &[], S::Revoked),
                grant(&[18], &[], S::Suspended),
            ],
            25,
            "",
            R::Revoked,
            0,
        ),
        (
            "revoked for the class, beside one active for another",
            vec![grant(&[25], &[], S::Revoked), grant(&[18], &[], S::Active)],
            25,
            "",
            R::Revoked,
            0,
        ),
        (
            "revoked for now, beside an active one that ended",
            vec![
                grant(&[], &[], S::Revoked),
                timed(-2 * HOUR, Some(-HOUR), S::Active),
            ],
            25,
            "",
            R::Revoked,
            0,
        ),
        (
            "suspended for the class, beside one revoked for another",
            vec![
                grant(&[18], &[], S::Revoked),
                grant(&[25], &[], S::Suspended),
            ],
            25,
            "",
            R::Suspended,
            1,
        ),
        (
            "active beside a revoked one",
            vec![grant(&[], &[], S::Revoked), grant(&[], &[], S::Active)],
            25,
            "",
            R::Authorized,
            1,
        ),
        (
            "the class in another region, beside one revoked for another class",
            vec![
                grant(&[18], &[], S::Revoked),
                grant(&[25], &["FR"], S::Active),
            ],
            25,
            "DE",
            R::RegionNotCovered,
            1,
        ),
        (
            "revoked for the class from later, beside an active one that ended",
            vec![
                timed(HOUR, None, S::Revoked),
                timed(-2 * HOUR, Some(-HOUR), S::Active),
            ],
            25,
            "",
            R::Expired,
            1,
        ),
        (
            "revoked for the class from later, alone",
            vec![timed(HOUR, None, S::Revoked)],
            25,
            "",
            R::Revoked,
            0,
        ),
    ];
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let mut platform = server.check_as(Who::PlatformP);
    // The instant checked, a day ahead: a window that has ended by then
    // (an end already past is refused) ends after it is written.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
        + 24 * HOUR;
    let ts = |seconds| Some(prost_types::Timestamp { seconds, nanos: 0 });
    for (i, (case, grants, class, region, reason, named)) in cases.into_iter().enumerate() {
        let seller = format!("covering-{i}");
        let mut names = Vec::new();
        let mut revision = 0;
        for g in &grants {
            let made = owner
                .authorize_seller(authorize(pb::Authorization {
                    platform: "members/platform-p".into(),
                    seller_account: seller.clone(),
                    nice_classes: g.classes.to_vec(),
                    regions: g.regions.iter().map(|r| r.to_string()).collect(),
                    valid_from: ts(now + g.from),
                    valid_until: g.until.and_then(|until| ts(now + until)),
                    ..Default::default()
                }))
                .await
                .unwrap_or_else(|e| panic!("{case}: {e:?}"))
                .into_inner();
            revision = made.revision;
            let name = made.authorization.expect("authorization").name;
            match g.status {
                S::Suspended => {
                    revision = owner
                        .update_authorization(pb::UpdateAuthorizationRequest {
                            authorization: Some(pb::Authorization {
                                name: name.clone(),
                                status: S::Suspended as i32,
                                ..Default::default()
                            }),
                            update_mask: Some(prost_types::FieldMask {
                                paths: vec!["status".into()],
                            }),
                            request_id: String::new(),
                        })
                        .await
                        .unwrap_or_else(|e| panic!("{case}: {e:?}"))
                        .into_inner()
                        .revision;
                }
                S::Revoked => {
                    revision = owner
                        .revoke_authorization(pb::RevokeAuthorizationRequest {
                            name: name.clone(),
                            request_id: String::new(),
                        })
                        .await
                        .unwrap_or_else(|e| panic!("{case}: {e:?}"))
                        .into_inner()
                        .revision;
                }
                _ => {}
            }
            names.push(name);
        }
        let answer = platform
            .check_seller(pb::CheckSellerRequest {
                brand: "brands/alpha".into(),
                seller_account: seller.clone(),
                nice_class: class,
                region: region.into(),
                at_time: ts(now),
                min_revision: revision,
            })
            .await
            .unwrap_or_else(|e| panic!("{case}: {e:?}"))
            .into_inner();
        assert_eq!(
            (
                R::try_from(answer.reason).ok(),
                answer.authorization.map(|a| a.name)
            ),
            (Some(reason), Some(names[named].clone())),
            "{case}: {}",
            answer.explanation
        );
        assert_eq!(answer.authorized, reason == R::Authorized, "{case}");
    }
}

/// CheckSeller's explanation names the seller account as the registry
/// reads it (in NFC), as it reads: a decomposed `Zoë` is quoted `"Zoë"`,
/// not with an escaped combining mark.
#[tokio::test]
async fn check_seller_quotes_the_seller_account_as_read() {
    let server = TestServer::start().await;
    let mut platform = server.check_as(Who::PlatformP);
    for (sent, reason, explanation) in [
        (
            "Zoe\u{308} Boutique",
            pb::SellerCheckReason::NoAuthorization,
            "the owner of brands/alpha has not authorized seller \"Zo\u{eb} Boutique\" on \
             members/platform-p",
        ),
        (
            "seller-p1",
            pb::SellerCheckReason::Authorized,
            "seller \"seller-p1\" on members/platform-p is authorized for brands/alpha",
        ),
    ] {
        let answer = platform
            .check_seller(pb::CheckSellerRequest {
                brand: "brands/alpha".into(),
                seller_account: sent.into(),
                nice_class: 14,
                region: "CN".into(),
                ..Default::default()
            })
            .await
            .expect("check")
            .into_inner();
        assert_eq!(answer.reason, reason as i32, "{sent:?}");
        assert_eq!(answer.explanation, explanation);
        assert!(
            !answer.explanation.contains('\\') && !answer.explanation.chars().any(char::is_control),
            "{:?}",
            answer.explanation
        );
    }
}

#[tokio::test]
async fn check_seller_explains_every_outcome() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let mut platform = server.check_as(Who::PlatformP);
    let mut check = async |seller: &str, class: i32, region: &str| {
        platform
            .check_seller(pb::CheckSellerRequest {
                brand: "brands/alpha".into(),
                seller_account: seller.into(),
                nice_class: class,
                region: region.into(),
                ..Default::default()
            })
            .await
            .expect("check")
            .into_inner()
    };
    use pb::SellerCheckReason as R;
    let ok = check("seller-p1", 14, "fr").await;
    assert!(ok.authorized);
    assert_eq!(ok.reason, R::Authorized as i32);
    let auth = ok
        .authorization
        .clone()
        .expect("the authorization that allows it");
    assert_eq!(auth.seller_account, "seller-p1");
    assert!(ok.revision >= 1);
    assert_eq!(
        check("seller-p1", 18, "CN").await.reason,
        R::ClassNotCovered as i32
    );
    assert_eq!(
        check("seller-p1", 0, "CN").await.reason,
        R::ClassNotCovered as i32
    );
    assert_eq!(
        check("seller-p1", 14, "US").await.reason,
        R::RegionNotCovered as i32
    );
    assert_eq!(
        check("seller-p1", 14, "").await.reason,
        R::RegionNotCovered as i32
    );
    assert_eq!(
        check("nobody", 14, "CN").await.reason,
        R::NoAuthorization as i32
    );

    // A window in the future, then one that has ended by the instant
    // checked (an end already past is refused as it is written).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let ts = |seconds| Some(prost_types::Timestamp { seconds, nanos: 0 });
    for (seller, from, until, at, reason) in [
        ("later", now + 3600, None, None, R::NotYetValid),
        (
            "ended",
            now + 3600,
            Some(now + 7200),
            ts(now + 10_800),
            R::Expired,
        ),
    ] {
        owner
            .authorize_seller(authorize(pb::Authorization {
                platform: "members/platform-p".into(),
                seller_account: seller.into(),
                valid_from: ts(from),
                valid_until: until.and_then(ts),
                ..Default::default()
            }))
            .await
            .expect("authorize");
        let answer = server
            .check_as(Who::PlatformP)
            .check_seller(pb::CheckSellerRequest {
                brand: "brands/alpha".into(),
                seller_account: seller.into(),
                nice_class: 14,
                region: "CN".into(),
                at_time: at,
                ..Default::default()
            })
            .await
            .expect("check")
            .into_inner();
        assert_eq!(answer.reason, reason as i32, "{seller}");
    }

    // Suspend, then revoke.
    let name = auth.name.clone();
    let suspended = owner
        .update_authorization(pb::UpdateAuthorizationRequest {
            authorization: Some(pb::Authorization {
                name: name.clone(),
                status: pb::AuthorizationStatus::Suspended as i32,
                etag: auth.etag.clone(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["status".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect("suspend")
        .into_inner();
    let at_least = |r| pb::CheckSellerRequest {
        brand: "brands/alpha".into(),
        seller_account: "seller-p1".into(),
        nice_class: 14,
        region: "CN".into(),
        min_revision: r,
        ..Default::default()
    };
    let answer = server
        .check_as(Who::PlatformP)
        .check_seller(at_least(suspended.revision))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(answer.reason, R::Suspended as i32);
    assert!(answer.revision >= suspended.revision);
    owner
        .revoke_authorization(pb::RevokeAuthorizationRequest {
            name: name.clone(),
            request_id: String::new(),
        })
        .await
        .expect("revoke");
    assert_eq!(check("seller-p1", 14, "CN").await.reason, R::Revoked as i32);
    let status = owner
        .update_authorization(pb::UpdateAuthorizationRequest {
            authorization: Some(pb::Authorization {
                name,
                status: pb::AuthorizationStatus::Active as i32,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["status".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("revoked is final");
    assert_eq!(status.code(), Code::FailedPrecondition);

    // A brand that does not exist, and bad inputs.
    let status = server
        .check_as(Who::PlatformP)
        .check_seller(pb::CheckSellerRequest {
            brand: "brands/nope".into(),
            seller_account: "x".into(),
            ..Default::default()
        })
        .await
        .expect_err("unknown brand");
    assert_eq!(status.code(), Code::NotFound);
    let status = server
        .check_as(Who::PlatformP)
        .check_seller(pb::CheckSellerRequest {
            brand: "brands/alpha".into(),
            seller_account: String::new(),
            nice_class: 99,
            region: "XX".into(),
            ..Default::default()
        })
        .await
        .expect_err("bad check");
    assert_violations(&status, &["seller_account", "nice_class", "region"]);
}

#[tokio::test]
async fn a_revision_no_replica_has_written_is_an_invalid_argument() {
    let server = TestServer::start().await;
    let current = revision(&server).await;
    for min_revision in [current + 1, current + 1000, u64::MAX] {
        let status = server
            .registry_as(Who::PlatformP)
            .get_brand(pb::GetBrandRequest {
                name: "brands/alpha".into(),
                min_revision,
            })
            .await
            .expect_err("future revision");
        // Not UNAVAILABLE (retry later): no replica will ever get there.
        assert_violations(&status, &["min_revision"]);
        let status = server
            .check_as(Who::PlatformP)
            .check_listing(pb::CheckListingRequest {
                listing: Some(pb::Listing {
                    seller_account: "seller-p1".into(),
                    title: "Alpha watch".into(),
                    ..Default::default()
                }),
                min_revision,
            })
            .await
            .expect_err("future revision");
        assert_violations(&status, &["min_revision"]);
    }
    let ok = server
        .registry_as(Who::PlatformP)
        .get_brand(pb::GetBrandRequest {
            name: "brands/alpha".into(),
            min_revision: current,
        })
        .await
        .expect("current revision")
        .into_inner();
    assert_eq!(ok.revision, current);
}

fn png(draw: impl Fn(u32, u32) -> u8) -> Vec<u8> {
    let image = image::GrayImage::from_fn(64, 64, |x, y| image::Luma([draw(x, y)]));
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

#[tokio::test]
async fn logos_are_hashed_from_images_or_taken_as_hashes() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    // Stripes of uneven widths: detail in every row.
    let image = png(|x, y| if (x * x + 3 * y) % 23 < 11 { 30 } else { 220 });
    let logo = owner
        .add_logo(pb::AddLogoRequest {
            parent: "brands/alpha".into(),
            description: "stripes".into(),
            source: Some(pb::add_logo_request::Source::Image(image.clone())),
            request_id: String::new(),
        })
        .await
        .expect("upload")
        .into_inner()
        .logo
        .expect("logo");
    assert_eq!(logo.perceptual_hash.len(), 16);
    assert_eq!(
        logo.perceptual_hash,
        marque::logo::hash_image(&image)
            .expect("hash")
            .hash
            .to_hex()
    );
    assert_eq!(logo.image_sha256.len(), 64);

    // The same hash again is a conflict.
    let status = owner
        .add_logo(pb::AddLogoRequest {
            parent: "brands/alpha".into(),
            description: String::new(),
            source: Some(pb::add_logo_request::Source::PerceptualHash(
                logo.perceptual_hash.clone(),
            )),
            request_id: String::new(),
        })
        .await
        .expect_err("duplicate hash");
    assert_eq!(status.code(), Code::AlreadyExists);

    // Another member may not register it, nor a hash within 4 bits of it:
    // listings showing it would be read as that member's brand. Beyond, it
    // may (a logo that only looks alike is weak evidence).
    let flip = |bits: u32| {
        let hash = u64::from_str_radix(&logo.perceptual_hash, 16).expect("hex");
        format!("{:016x}", hash ^ ((1u64 << bits) - 1))
    };
    for (hash, taken) in [(flip(0), true), (flip(4), true), (flip(5), false)] {
        let answer = server
            .registry_as(Who::OwnerB)
            .add_logo(pb::AddLogoRequest {
                parent: "brands/beta".into(),
                description: String::new(),
                source: Some(pb::add_logo_request::Source::PerceptualHash(hash.clone())),
                request_id: String::new(),
            })
            .await;
        match (answer, taken) {
            (Err(status), true) => {
                // Named by the field the request gave, not by its oneof.
                assert_eq!(
                    field_violations(&status)
                        .iter()
                        .map(|(f, _)| f.as_str())
                        .collect::<Vec<_>>(),
                    ["perceptual_hash"],
                    "{status:?}"
                );
                assert!(status.message().contains("brands/alpha"), "{status:?}");
            }
            (Ok(_), false) => {}
            (answer, _) => panic!("{hash}: {answer:?}"),
        }
    }
    // The same image uploaded by another member: refused on `image`.
    let status = server
        .registry_as(Who::OwnerB)
        .add_logo(pb::AddLogoRequest {
            parent: "brands/beta".into(),
            description: String::new(),
            source: Some(pb::add_logo_request::Source::Image(image.clone())),
            request_id: String::new(),
        })
        .await
        .expect_err("another member's logo");
    assert_eq!(
        field_violations(&status)
            .iter()
            .map(|(f, _)| f.as_str())
            .collect::<Vec<_>>(),
        ["image"],
        "{status:?}"
    );

    for (source, field) in [
        (
            pb::add_logo_request::Source::Image(b"not an image".to_vec()),
            "image",
        ),
        (
            pb::add_logo_request::Source::Image(image[..image.len() / 2].to_vec()),
            "image",
        ),
        (
            pb::add_logo_request::Source::PerceptualHash("xyz".into()),
            "perceptual_hash",
        ),
        // Too little detail: a plain image (hash 0), and a hash within the
        // match distance of it, would match every plain listing photo.
        (
            pb::add_logo_request::Source::Image(png(|_, _| 200)),
            "image",
        ),
        (
            pb::add_logo_request::Source::PerceptualHash("0000800000000001".into()),
            "perceptual_hash",
        ),
        // And an image shaded evenly from one side to the other (a hash of
        // all ones), which would match every such photo.
        (
            pb::add_logo_request::Source::Image(png(|x, _| (x * 4) as u8)),
            "image",
        ),
        (
            pb::add_logo_request::Source::PerceptualHash("fffffffffffffbff".into()),
            "perceptual_hash",
        ),
    ] {
        let status = owner
            .add_logo(pb::AddLogoRequest {
                parent: "brands/alpha".into(),
                description: String::new(),
                source: Some(source),
                request_id: String::new(),
            })
            .await
            .expect_err("bad logo");
        assert_violations(&status, &[field]);
        assert!(!field_violations(&status)[0].1.is_empty());
    }
    let status = owner
        .add_logo(pb::AddLogoRequest {
            parent: "brands/alpha".into(),
            ..Default::default()
        })
        .await
        .expect_err("no source");
    assert_violations(&status, &["source"]);

    let listed = owner
        .list_logos(pb::ListLogosRequest {
            parent: "brands/alpha".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.logos.len(), 1);
}

/// A message beyond its service's limit (6 MiB for registry writes, 1 MiB
/// for checks) is RESOURCE_EXHAUSTED, as the gRPC spec says and as a
/// compressed one is; tonic's own answer would be OUT_OF_RANGE. The import
/// stream reads its messages itself and answers the same.
#[tokio::test]
async fn oversized_requests_are_refused() {
    let server = TestServer::start().await;
    let too_large = |status: tonic::Status| {
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
        // tonic's words, which the server recognizes (src/codec.rs).
        assert!(
            status
                .message()
                .starts_with("Error, decoded message length too large"),
            "{status:?}"
        );
    };
    too_large(
        server
            .registry_as(Who::OwnerA)
            .add_logo(pb::AddLogoRequest {
                parent: "brands/alpha".into(),
                description: String::new(),
                source: Some(pb::add_logo_request::Source::Image(vec![
                    0u8;
                    7 * 1024 * 1024
                ])),
                request_id: String::new(),
            })
            .await
            .expect_err("too large a logo"),
    );
    too_large(
        server
            .check_as(Who::PlatformP)
            .check_listing(pb::CheckListingRequest {
                listing: Some(pb::Listing {
                    seller_account: "s".into(),
                    title: "Alpha".into(),
                    description: "a".repeat(2 * 1024 * 1024),
                    ..Default::default()
                }),
                min_revision: 0,
            })
            .await
            .expect_err("too large a listing"),
    );
    let rows = vec![pb::Authorization {
        platform: "members/platform-p".into(),
        seller_account: "s".repeat(7 * 1024 * 1024),
        ..Default::default()
    }];
    too_large(
        server
            .registry_as(Who::OwnerA)
            .import_authorizations(tokio_stream::iter(common::import_messages(
                "brands/alpha",
                &rows,
                1,
                "",
            )))
            .await
            .expect_err("too large an import message"),
    );
    // The server goes on.
    server
        .registry_as(Who::OwnerA)
        .get_caller(pb::GetCallerRequest::default())
        .await
        .expect("a call after them");
}

#[tokio::test]
async fn a_page_token_that_names_no_id_is_an_invalid_argument() {
    let server = TestServer::start().await;
    let mut operator = server.registry_as(Who::Operator);
    for after in ["", "NOT AN ID", "ZZZ", "a/b", &"x".repeat(64)] {
        // Sealed as the service seals its tokens, for each list.
        let token = |list: &str, reader: Option<&str>| server.page_token(list, reader, after);
        let answers = [
            operator
                .list_trademarks(pb::ListTrademarksRequest {
                    parent: "brands/alpha".into(),
                    page_token: token("ListTrademarks brands/alpha", None),
                    ..Default::default()
                })
                .await
                .map(drop),
            operator
                .list_logos(pb::ListLogosRequest {
                    parent: "brands/alpha".into(),
                    page_token: token("ListLogos brands/alpha", None),
                    ..Default::default()
                })
                .await
                .map(drop),
            operator
                .list_api_keys(pb::ListApiKeysRequest {
                    parent: "members/owner-a".into(),
                    page_token: token("ListApiKeys members/owner-a", None),
                    ..Default::default()
                })
                .await
                .map(drop),
            operator
                .list_authorizations(pb::ListAuthorizationsRequest {
                    parent: "brands/alpha".into(),
                    page_token: token("ListAuthorizations brands/alpha\n\n", Some("operator")),
                    ..Default::default()
                })
                .await
                .map(drop),
        ];
        for (rpc, answer) in [
            "ListTrademarks",
            "ListLogos",
            "ListApiKeys",
            "ListAuthorizations",
        ]
        .iter()
        .zip(answers)
        {
            let status = answer.expect_err(&format!("{rpc} after {after:?}"));
            assert_violations(&status, &["page_token"]);
        }
    }
    // A token the service issued still works.
    let first = operator
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("first page")
        .into_inner();
    let second = operator
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            page_size: 1,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .expect("second page")
        .into_inner();
    assert_eq!(second.authorizations.len(), 1);
    assert_ne!(first.authorizations, second.authorizations);

    // A token continues only the list it came from: the same parent and
    // filters (AIP-158), else it would skip or repeat items silently.
    let other_filter = operator
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            platform: "members/platform-p".into(),
            page_size: 1,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .expect_err("another filter");
    assert_violations(&other_filter, &["page_token"]);
    assert!(
        field_violations(&other_filter)[0]
            .1
            .contains("issued for another list")
    );
    let other_parent = operator
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/beta".into(),
            page_size: 1,
            page_token: first.next_page_token,
            ..Default::default()
        })
        .await
        .expect_err("another parent");
    assert_violations(&other_parent, &["page_token"]);
    // The key was refused for itself, not for its seal: the same key
    // names the first page's row, and continues after it.
    let id = first.authorizations[0].name.rsplit('/').next().expect("id");
    let sealed = operator
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            page_size: 1,
            page_token: server.page_token(
                "ListAuthorizations brands/alpha\n\n",
                Some("operator"),
                id,
            ),
            ..Default::default()
        })
        .await
        .expect("a sealed token naming an id")
        .into_inner();
    assert_eq!(sealed.authorizations, second.authorizations);
}

/// Only sealed page tokens are read: one of the unsealed form earlier
/// versions issued can be written by anyone, naming where a list goes on
/// (a platform choosing where its authorizations go on would learn, from
/// where pages end, the ids of other platforms' authorizations). It is
/// refused on every list as a token this registry did not issue.
#[tokio::test]
async fn an_unsealed_page_token_is_refused_on_every_list() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    owner
        .create_brand(brand_named("gamma", "Gamma"))
        .await
        .expect("a third brand");
    let refused = |status: tonic::Status, rpc: &str| {
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{rpc}");
        let violations = field_violations(&status);
        assert_eq!(violations.len(), 1, "{rpc}: {violations:?}");
        assert_eq!(violations[0].0, "page_token", "{rpc}");
        assert!(
            violations[0]
                .1
                .contains("is not a page token this registry issued: start the list again"),
            "{rpc}: {violations:?}"
        );
    };
    // `hex("after:b")`: what would list the brands after `beta`.
    assert_eq!(unsealed_page_token("b"), "61667465723a62");
    for who in [Who::Operator, Who::OwnerA, Who::PlatformP] {
        let status = server
            .registry_as(who)
            .list_brands(pb::ListBrandsRequest {
                page_token: unsealed_page_token("b"),
                ..Default::default()
            })
            .await
            .expect_err("an unsealed token");
        refused(status, "ListBrands");
    }

    // A platform may not choose where its authorizations go on.
    let mut platform = server.registry_as(Who::PlatformP);
    for after in ["0", "00000000-0000-0000-0000-000000000000", "zzzzzzzz"] {
        let status = platform
            .list_authorizations(pb::ListAuthorizationsRequest {
                parent: "brands/alpha".into(),
                page_token: unsealed_page_token(after),
                ..Default::default()
            })
            .await
            .expect_err("an unsealed token");
        refused(status, "ListAuthorizations");
    }
    let mut operator = server.registry_as(Who::Operator);
    let answers = [
        (
            "ListMembers",
            operator
                .list_members(pb::ListMembersRequest {
                    page_token: unsealed_page_token("a"),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        (
            "ListApiKeys",
            operator
                .list_api_keys(pb::ListApiKeysRequest {
                    parent: "members/owner-a".into(),
                    page_token: unsealed_page_token("0"),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        (
            "ListTrademarks",
            operator
                .list_trademarks(pb::ListTrademarksRequest {
                    parent: "brands/alpha".into(),
                    page_token: unsealed_page_token("0"),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        (
            "ListLogos",
            operator
                .list_logos(pb::ListLogosRequest {
                    parent: "brands/alpha".into(),
                    page_token: unsealed_page_token("0"),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
    ];
    for (rpc, answer) in answers {
        refused(answer.expect_err(rpc), rpc);
    }
    // The first page, and the sealed token it ends with, still list.
    let first = owner
        .list_brands(pb::ListBrandsRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("a first page")
        .into_inner();
    let second = owner
        .list_brands(pb::ListBrandsRequest {
            page_size: 1,
            page_token: first.next_page_token,
            ..Default::default()
        })
        .await
        .expect("a sealed token")
        .into_inner();
    assert_eq!(second.brands.len(), 1);
    assert_ne!(first.brands, second.brands);
}

/// A listing filtered to one seller reads that seller's authorizations
/// alone (the seller index), not the brand's every one: among 10,000
/// others', it still answers full pages in id order, ending with the last
/// one, as the unbounded scan of the brand would page them, for the
/// owner (on every platform, or one) and for each platform.
#[tokio::test]
async fn a_sellers_listing_reads_only_theirs_among_many_others() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let others: Vec<pb::Authorization> = (0..10_000)
        .map(|i| row("members/platform-q", &format!("q-seller-{i:05}"), &["CN"]))
        .collect();
    owner
        .import_authorizations(tokio_stream::iter(common::import_messages(
            "brands/alpha",
            &others,
            2_000,
            "",
        )))
        .await
        .expect("import platform-q's sellers");
    // The seller's: revoked ones and a live one on each platform.
    let mut expected = Vec::new();
    let mut revision = 0;
    for (platform, revoked) in [("members/platform-p", 3), ("members/platform-q", 1)] {
        for round in 0..=revoked {
            let made = owner
                .authorize_seller(authorize(row(platform, "many", &["CN"])))
                .await
                .expect("authorize")
                .into_inner();
            let name = made.authorization.expect("authorization").name;
            revision = made.revision;
            if round < revoked {
                revision = owner
                    .revoke_authorization(pb::RevokeAuthorizationRequest {
                        name: name.clone(),
                        request_id: String::new(),
                    })
                    .await
                    .expect("revoke")
                    .into_inner()
                    .revision;
            }
            expected.push((platform, name));
        }
    }
    expected.sort_by(|a, b| a.1.cmp(&b.1));
    let names_on = |platform: Option<&str>| -> Vec<String> {
        expected
            .iter()
            .filter(|(p, _)| platform.is_none_or(|platform| *p == platform))
            .map(|(_, name)| name.clone())
            .collect()
    };
    for (who, platform, listed) in [
        (Who::OwnerA, "", names_on(None)),
        (
            Who::OwnerA,
            "members/platform-p",
            names_on(Some("members/platform-p")),
        ),
        (
            Who::OwnerA,
            "members/platform-q",
            names_on(Some("members/platform-q")),
        ),
        (Who::PlatformP, "", names_on(Some("members/platform-p"))),
        (Who::PlatformQ, "", names_on(Some("members/platform-q"))),
    ] {
        for page_size in [1, 2, 3, 100] {
            let mut pages = Vec::new();
            let mut page_token = String::new();
            loop {
                let page = server
                    .registry_as(who)
                    .list_authorizations(pb::ListAuthorizationsRequest {
                        parent: "brands/alpha".into(),
                        platform: platform.into(),
                        seller_account: "many".into(),
                        page_size,
                        page_token,
                        min_revision: revision,
                    })
                    .await
                    .expect("list the seller's")
                    .into_inner();
                pages.push(
                    page.authorizations
                        .into_iter()
                        .map(|a| a.name)
                        .collect::<Vec<_>>(),
                );
                assert!(pages.len() <= listed.len() + 1, "the listing ends");
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            let full: Vec<Vec<String>> = listed
                .chunks(page_size as usize)
                .map(<[String]>::to_vec)
                .collect();
            assert_eq!(pages, full, "{who:?} on {platform:?}, {page_size} a page");
        }
    }
}

/// A platform's listing of a brand with many other platforms'
/// authorizations ends a page early after reading past 10,000 of theirs,
/// and its token continues after the last one read: the token must show
/// nothing of it (ids are the platform's private data). Tokens are
/// sealed; any replica of the registry reads one another issued.
#[tokio::test]
async fn a_page_token_shows_nothing_of_the_rows_it_read_past() {
    let (store, url) = common::new_store().await;
    let mut start = common::Start::fixture();
    start.store = Some(store.clone());
    let keys = start.keys.clone();
    let server = start.start().await;
    // A second replica: on PostgreSQL a store of its own over the same
    // database, as another process would have.
    let mut start = common::Start::fixture();
    start.keys = keys;
    start.options.seed = None;
    start.store = Some(match url {
        Some(url) => common::postgres_store(&url),
        None => store,
    });
    let replica = start.start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let others: Vec<pb::Authorization> = (0..10_050)
        .map(|i| row("members/platform-q", &format!("q-seller-{i:05}"), &["CN"]))
        .collect();
    owner
        .import_authorizations(tokio_stream::iter(common::import_messages(
            "brands/alpha",
            &others,
            2_000,
            "",
        )))
        .await
        .expect("import platform-q's sellers");
    for seller in ["p-first", "p-second"] {
        owner
            .authorize_seller(authorize(row("members/platform-p", seller, &["CN"])))
            .await
            .expect("authorize for platform-p");
    }
    let hidden: Vec<String> = every_authorization_of(&mut owner, "members/platform-q")
        .await
        .iter()
        .map(|a| a.name.rsplit('/').next().expect("id").to_string())
        .collect();
    assert!(hidden.len() >= others.len());
    // The owner's listing filtered to platform-p reads past Q's rows too,
    // so it may end a page early: it is read to the end.
    let mut own: Vec<String> = every_authorization_of(&mut owner, "members/platform-p")
        .await
        .into_iter()
        .map(|a| a.seller_account)
        .collect();
    own.sort();
    assert!(own.iter().any(|s| s == "p-first") && own.iter().any(|s| s == "p-second"));

    // Platform P pages through the brand: every page reads past at most
    // 10,000 of Q's rows, so some end early, with a token after one of them.
    let mut seen = Vec::new();
    let mut tokens = Vec::new();
    let mut token = String::new();
    for page_number in 0.. {
        assert!(page_number < 10, "the listing ends");
        // Pages alternate between the replicas: each reads the other's token.
        let mut platform = if page_number % 2 == 0 {
            server.registry_as(Who::PlatformP)
        } else {
            replica.registry_as(Who::PlatformP)
        };
        let page = platform
            .list_authorizations(pb::ListAuthorizationsRequest {
                parent: "brands/alpha".into(),
                page_size: 1000,
                page_token: token,
                min_revision: revision(&server).await,
                ..Default::default()
            })
            .await
            .expect("platform-p lists its own authorizations")
            .into_inner();
        seen.extend(page.authorizations.into_iter().map(|a| a.seller_account));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
        tokens.push(token.clone());
    }
    seen.sort();
    assert_eq!(seen, own);
    assert!(!tokens.is_empty(), "a page ended early");
    for token in &tokens {
        let shown: Vec<String> = [
            hex::decode(token).ok(),
            token
                .split_once('.')
                .and_then(|(_, b)| base64_url_decode(b)),
            Some(token.as_bytes().to_vec()),
        ]
        .into_iter()
        .flatten()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect();
        for id in &hidden {
            assert!(
                shown.iter().all(|s| !s.contains(id.as_str())),
                "token {token:?} shows platform-q's authorization {id}"
            );
        }
    }
    // A token altered by one character is not one the service issued.
    let mut altered = tokens[0].clone().into_bytes();
    let last = altered.len() - 2;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let status = server
        .registry_as(Who::PlatformP)
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            page_token: String::from_utf8(altered).expect("ASCII"),
            ..Default::default()
        })
        .await
        .expect_err("an altered token");
    assert_violations(&status, &["page_token"]);
}

/// Every authorization of `alpha` for `platform`, as its owner lists them,
/// page after page.
async fn every_authorization_of(
    owner: &mut common::Registry,
    platform: &str,
) -> Vec<pb::Authorization> {
    common::every_authorization(
        owner,
        pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            platform: platform.into(),
            page_size: 1000,
            ..Default::default()
        },
    )
    .await
}

/// Decodes unpadded URL-safe base64, or `None`.
fn base64_url_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
}

/// An international registration may designate the EU, Benelux and OAPI as
/// one each (`EM`, `BX`, `OA`, as Madrid does): the EU is kept as one
/// designation (an EU trade mark), Benelux and OAPI stand for their member
/// states, merged with the countries named; the territories are the
/// countries all of them protect in.
#[tokio::test]
async fn a_madrid_mark_may_designate_the_eu_as_one() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let madrid = |number: &str, designated: &[&str]| pb::AddTrademarkRequest {
        parent: "brands/alpha".into(),
        trademark: Some(pb::Trademark {
            office: "WO".into(),
            registration_number: number.into(),
            mark_text: "Alpha".into(),
            kind: pb::TrademarkKind::Word as i32,
            nice_classes: vec![14],
            status: pb::TrademarkStatus::Registered as i32,
            designated_countries: designated.iter().map(|&c| c.into()).collect(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let added = owner
        .add_trademark(madrid("1234567", &["JP", "em", "BX", "FR"]))
        .await
        .expect("a Madrid mark designating the EU")
        .into_inner()
        .trademark
        .expect("trademark");
    // The EU stays one designation (an EU trade mark); Benelux stands for
    // its three states.
    assert_eq!(
        added.designated_countries,
        ["BE", "EM", "FR", "JP", "LU", "NL"],
        "{added:?}"
    );
    assert_eq!(added.territories.len(), 28, "{added:?}");
    for code in ["JP", "DE", "FR", "BE", "LU", "NL", "GR"] {
        assert!(
            added.territories.iter().any(|t| t == code),
            "{code}: {added:?}"
        );
    }
    assert!(!added.territories.iter().any(|t| t == "EM" || t == "BX"));
    // A country named twice is still a mistake, by its entry.
    let status = owner
        .add_trademark(madrid("1234568", &["EM", "JP", "JP"]))
        .await
        .expect_err("JP twice");
    assert_violations(&status, &["trademark.designated_countries[2]"]);
}

#[tokio::test]
async fn a_seller_account_filter_is_bounded_like_seller_accounts() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let status = owner
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            seller_account: "s".repeat(129),
            ..Default::default()
        })
        .await
        .expect_err("longer than any seller account");
    assert_violations(&status, &["seller_account"]);
    // A seller account that would look like another is refused where it
    // would be written.
    let status = owner
        .authorize_seller(authorize(pb::Authorization {
            platform: "members/platform-p".into(),
            seller_account: "seller\u{200B}-p1".into(),
            ..Default::default()
        }))
        .await
        .expect_err("an invisible character in a seller account");
    assert_violations(&status, &["authorization.seller_account"]);
    let listed = owner
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            seller_account: "seller-p1".into(),
            ..Default::default()
        })
        .await
        .expect("a seller account")
        .into_inner();
    assert_eq!(listed.authorizations.len(), 1);
}

/// `system` names the server's own writes in the audit trail: no member may
/// take it, so the actor filter `system` finds only them.
#[tokio::test]
async fn no_member_may_be_called_system() {
    let server = TestServer::start().await;
    let mut operator = server.registry_as(Who::Operator);
    let status = operator
        .create_member(pb::CreateMemberRequest {
            member_id: "system".into(),
            member: Some(pb::Member {
                display_name: "Not the server".into(),
                kind: pb::MemberKind::Platform as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("a reserved id");
    assert_violations(&status, &["member_id"]);
    assert!(status.message().contains("reserved"), "{status:?}");
    // An id that only starts like it is a member id like any other.
    operator
        .create_member(pb::CreateMemberRequest {
            member_id: "systems".into(),
            member: Some(pb::Member {
                display_name: "Systems Ltd".into(),
                kind: pb::MemberKind::Platform as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("an ordinary id");
    let events =
        marque::pb::marque::v1::audit_service_client::AuditServiceClient::with_interceptor(
            server.channel(),
            server.bearer(Who::Operator),
        )
        .list_audit_events(pb::ListAuditEventsRequest {
            actor: "system".into(),
            ..Default::default()
        })
        .await
        .expect("the server's writes")
        .into_inner()
        .events;
    assert!(!events.is_empty(), "the seed is the server's write");
    assert!(
        events
            .iter()
            .all(|e| e.actor == "system" && e.api_key.is_empty())
    );
}

/// A required text that shows nothing (only whitespace, or invisible
/// characters such as U+200B) is blank: that, not its length, is what the
/// answer says, once per field.
#[tokio::test]
async fn blank_required_text_is_reported_as_blank() {
    let server = TestServer::start().await;
    let description = |status: &tonic::Status, field: &str| -> Vec<String> {
        field_violations(status)
            .into_iter()
            .filter(|(f, _)| f == field)
            .map(|(_, d)| d)
            .collect()
    };
    for title in [
        "   ",
        "\u{200b}",
        "\u{200b} \u{feff}",
        "\u{2800}\u{2800}",
        "\u{3164}",
        "\0",
    ] {
        let status = server
            .check_as(Who::PlatformP)
            .check_listing(pb::CheckListingRequest {
                listing: Some(pb::Listing {
                    seller_account: "s".into(),
                    title: title.into(),
                    ..Default::default()
                }),
                min_revision: 0,
            })
            .await
            .expect_err("a blank title");
        assert_eq!(
            description(&status, "listing.title"),
            ["must not be blank"],
            "{title:?}: {status:?}"
        );
        assert!(
            status
                .message()
                .contains("listing.title: must not be blank"),
            "{status:?}"
        );
    }
    // A seller account no authorization could have: blank, control
    // characters, surrounding whitespace (Authorization.seller_account).
    for (seller, why) in [
        (" ", "must not be blank"),
        (
            "\0",
            "must not contain control characters, found U+0000 at character 1",
        ),
        (
            "seller\n",
            "must not contain control characters, found U+000A at character 7",
        ),
        (" seller", "must not start or end with whitespace"),
        (
            "ab\u{200B}c",
            "must be printable characters, found U+200B at character 3",
        ),
    ] {
        let listing = server
            .check_as(Who::PlatformP)
            .check_listing(pb::CheckListingRequest {
                listing: Some(pb::Listing {
                    seller_account: seller.into(),
                    title: "Alpha watch".into(),
                    ..Default::default()
                }),
                min_revision: 0,
            })
            .await
            .expect_err("a seller no authorization could have");
        assert_eq!(
            description(&listing, "listing.seller_account"),
            [why],
            "{seller:?}"
        );
        let seller_check = server
            .check_as(Who::PlatformP)
            .check_seller(pb::CheckSellerRequest {
                brand: "brands/alpha".into(),
                seller_account: seller.into(),
                ..Default::default()
            })
            .await
            .expect_err("a seller no authorization could have");
        assert_eq!(description(&seller_check, "seller_account"), [why]);
    }
    let status = server
        .check_as(Who::PlatformP)
        .check_listing(pb::CheckListingRequest {
            listing: Some(pb::Listing {
                seller_account: "s".into(),
                ..Default::default()
            }),
            min_revision: 0,
        })
        .await
        .expect_err("no title");
    assert_eq!(
        description(&status, "listing.title"),
        ["must be 1 to 1000 characters, got 0"]
    );

    let status = server
        .registry_as(Who::OwnerA)
        .create_brand(pb::CreateBrandRequest {
            brand_id: "blank".into(),
            brand: Some(pb::Brand {
                display_name: "\u{200b}".into(),
                aliases: vec!["  ".into()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("a blank name");
    assert_eq!(
        description(&status, "brand.display_name"),
        ["must not be blank"]
    );
    assert_eq!(
        description(&status, "brand.aliases[0]"),
        ["must not be blank"]
    );
    let status = server
        .registry_as(Who::Operator)
        .create_member(pb::CreateMemberRequest {
            member_id: "blank".into(),
            member: Some(pb::Member {
                display_name: "\u{3000}".into(),
                kind: pb::MemberKind::Platform as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("a blank name");
    assert_eq!(
        description(&status, "member.display_name"),
        ["must not be blank"]
    );
}

/// An import replaces a live authorization's scope, not its history: a row
/// without a start or a reference keeps the authorization's, and a row that
/// changes nothing writes nothing.
#[tokio::test]
async fn an_import_keeps_what_its_rows_leave_out() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let since = prost_types::Timestamp {
        seconds: 1_704_067_200, // 2024-01-01
        nanos: 0,
    };
    let created = owner
        .authorize_seller(authorize(pb::Authorization {
            reference: "CONTRACT-9".into(),
            valid_from: Some(since),
            ..row("members/platform-p", "kept", &["CN"])
        }))
        .await
        .expect("authorize")
        .into_inner()
        .authorization
        .expect("authorization");
    let import = |rows: Vec<pb::Authorization>, request_id: &'static str| {
        let mut owner = server.registry_as(Who::OwnerA);
        async move {
            owner
                .import_authorizations(tokio_stream::iter(common::import_messages(
                    "brands/alpha",
                    &rows,
                    10,
                    request_id,
                )))
                .await
                .expect("import")
                .into_inner()
        }
    };
    // The same scope again: nothing to change, and no revision written (one
    // would be in no audit page and no Watch event).
    let before = revision(&server).await;
    let same = import(vec![row("members/platform-p", "kept", &["CN"])], "").await;
    assert_eq!((same.created, same.updated, same.revision), (0, 0, before));
    assert_eq!(revision(&server).await, before);
    // With a request id it is recorded, in a revision of its own: a retry
    // answers as the first call did, though the registry changed since
    // (run again, it would undo that change).
    let noop = import(vec![row("members/platform-p", "kept", &["CN"])], "noop-1").await;
    assert_eq!(
        (noop.created, noop.updated, noop.revision),
        (0, 0, before + 1)
    );
    let elsewhere = import(vec![row("members/platform-p", "kept", &["JP"])], "").await;
    assert_eq!(elsewhere.updated, 1);
    let retried = import(vec![row("members/platform-p", "kept", &["CN"])], "noop-1").await;
    assert_eq!(retried, noop, "replayed, not run again");
    let reverted = import(vec![row("members/platform-p", "kept", &["CN"])], "").await;
    assert_eq!(reverted.updated, 1, "the retry left JP in place");
    // A wider scope: the start and the reference stay.
    let wider = import(vec![row("members/platform-p", "kept", &["CN", "DE"])], "").await;
    assert_eq!((wider.created, wider.updated), (0, 1));
    let listed = owner
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            seller_account: "kept".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .authorizations;
    assert_eq!(listed.len(), 1);
    let now = &listed[0];
    assert_eq!(now.name, created.name);
    assert_eq!(now.regions, ["CN", "DE"]);
    assert_eq!(now.reference, "CONTRACT-9");
    assert_eq!(now.valid_from, created.valid_from);
}

/// A registration number of separators only (`---`) is no number: numbers
/// are told apart by their letters and digits. And a request's own mistakes
/// (an expiry date before the registration date) are reported before
/// anything about the registry (a number another mark holds). Nothing is
/// written.
#[tokio::test]
async fn a_number_without_a_letter_or_digit_is_refused_and_request_mistakes_come_first() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let before = revision(&server).await;
    let date = |year| marque::pb::google::r#type::Date {
        year,
        month: 6,
        day: 1,
    };
    let add = |office: &str, number: &str| pb::AddTrademarkRequest {
        parent: "brands/alpha".into(),
        trademark: Some(pb::Trademark {
            office: office.into(),
            registration_number: number.into(),
            mark_text: "Alpha".into(),
            kind: pb::TrademarkKind::Word as i32,
            nice_classes: vec![14],
            status: pb::TrademarkStatus::Registered as i32,
            ..Default::default()
        }),
        request_id: String::new(),
    };
    for number in ["---", "...", "/", "- -"] {
        let status = owner
            .add_trademark(add("JP", number))
            .await
            .expect_err("a number of separators only");
        assert_eq!(
            field_violations(&status),
            [(
                "trademark.registration_number".to_string(),
                format!(
                    "{number:?} has no letter or digit: registration numbers are compared by \
                     their letters and digits"
                )
            )],
            "{status:?}"
        );
    }
    // The fixture's CN TEST-1 is alpha's already; the dates are the
    // request's own mistake, and come first.
    let mut inverted = add("CN", "TEST-1");
    if let Some(t) = inverted.trademark.as_mut() {
        t.registration_date = Some(date(2030));
        t.expiry_date = Some(date(2020));
    }
    let status = owner
        .add_trademark(inverted.clone())
        .await
        .expect_err("inverted dates and a number already held");
    assert_eq!(
        field_violations(&status),
        [(
            "trademark.expiry_date".to_string(),
            "expiry date 2020-06-01 must be after the registration date 2030-06-01".to_string()
        )],
        "{status:?}"
    );
    // With a number of separators as well, both mistakes in one answer.
    if let Some(t) = inverted.trademark.as_mut() {
        t.registration_number = "- -".into();
    }
    let status = owner
        .add_trademark(inverted)
        .await
        .expect_err("two mistakes");
    assert_violations(
        &status,
        &["trademark.registration_number", "trademark.expiry_date"],
    );
    // An update giving both dates, inverted, is refused for them, whether
    // or not the trademark is there.
    let status = owner
        .update_trademark(pb::UpdateTrademarkRequest {
            trademark: Some(pb::Trademark {
                name: "brands/alpha/trademarks/nosuchid".into(),
                registration_date: Some(date(2030)),
                expiry_date: Some(date(2020)),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["registration_date".into(), "expiry_date".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("inverted dates");
    assert_violations(&status, &["trademark.expiry_date"]);
    assert_eq!(revision(&server).await, before, "nothing was written");
}

/// Dates out of order are named on the date the request changed: a new
/// registration date after the stored expiry is the registration date's
/// mistake, a new expiry before the stored registration the expiry's.
#[tokio::test]
async fn trademark_dates_out_of_order_are_named_on_the_date_the_update_changed() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let date = |year| marque::pb::google::r#type::Date {
        year,
        month: 6,
        day: 1,
    };
    let added = owner
        .add_trademark(pb::AddTrademarkRequest {
            parent: "brands/alpha".into(),
            trademark: Some(pb::Trademark {
                office: "US".into(),
                registration_number: "DATES-1".into(),
                mark_text: "ALPHA".into(),
                kind: pb::TrademarkKind::Word as i32,
                nice_classes: vec![14],
                status: pb::TrademarkStatus::Registered as i32,
                registration_date: Some(date(2020)),
                expiry_date: Some(date(2030)),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a trademark with both dates")
        .into_inner()
        .trademark
        .expect("the trademark");
    let before = revision(&server).await;
    let update = |trademark: pb::Trademark, path: &str| pb::UpdateTrademarkRequest {
        trademark: Some(pb::Trademark {
            name: added.name.clone(),
            ..trademark
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec![path.into()],
        }),
        request_id: String::new(),
    };
    let status = owner
        .update_trademark(update(
            pb::Trademark {
                registration_date: Some(date(2031)),
                ..Default::default()
            },
            "registration_date",
        ))
        .await
        .expect_err("a registration date after the stored expiry");
    assert_eq!(
        field_violations(&status),
        [(
            "trademark.registration_date".to_owned(),
            "registration date 2031-06-01 must be before the expiry date 2030-06-01".to_owned()
        )]
    );
    let status = owner
        .update_trademark(update(
            pb::Trademark {
                expiry_date: Some(date(2019)),
                ..Default::default()
            },
            "expiry_date",
        ))
        .await
        .expect_err("an expiry date before the stored registration");
    assert_eq!(
        field_violations(&status),
        [(
            "trademark.expiry_date".to_owned(),
            "expiry date 2019-06-01 must be after the registration date 2020-06-01".to_owned()
        )]
    );
    assert_eq!(revision(&server).await, before, "nothing written");
}

/// A WORD or COMBINED mark is registered as words: without its
/// `mark_text` it is refused when added, and an update may neither clear the
/// text of one nor make a mark without text one.
#[tokio::test]
async fn a_word_mark_needs_its_text() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let before = revision(&server).await;
    let mark = |kind: pb::TrademarkKind, mark_text: &str| pb::Trademark {
        office: "US".into(),
        registration_number: "WORDS-1".into(),
        mark_text: mark_text.into(),
        kind: kind as i32,
        nice_classes: vec![14],
        status: pb::TrademarkStatus::Registered as i32,
        ..Default::default()
    };
    let add = |trademark: pb::Trademark| pb::AddTrademarkRequest {
        parent: "brands/alpha".into(),
        trademark: Some(trademark),
        request_id: String::new(),
    };
    let needs = |kind: &str| {
        [(
            "trademark.mark_text".to_owned(),
            format!("a {kind} mark needs its mark_text, the words as registered"),
        )]
    };
    for (kind, name) in [
        (pb::TrademarkKind::Word, "WORD"),
        (pb::TrademarkKind::Combined, "COMBINED"),
    ] {
        let status = owner
            .add_trademark(add(mark(kind, "")))
            .await
            .expect_err("a word mark without words");
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(field_violations(&status), needs(name), "{name}");
    }
    assert_eq!(revision(&server).await, before, "nothing written");

    let figurative = owner
        .add_trademark(add(mark(pb::TrademarkKind::Figurative, "")))
        .await
        .expect("a figurative mark without text")
        .into_inner()
        .trademark
        .expect("the trademark");
    let before = revision(&server).await;
    let update = |trademark: pb::Trademark, paths: &[&str]| pb::UpdateTrademarkRequest {
        trademark: Some(pb::Trademark {
            name: figurative.name.clone(),
            ..trademark
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        }),
        request_id: String::new(),
    };
    // The kind alone, against the stored (empty) text; both in the request.
    for paths in [&["kind"][..], &["kind", "mark_text"]] {
        let status = owner
            .update_trademark(update(mark(pb::TrademarkKind::Word, ""), paths))
            .await
            .expect_err("a word mark without words");
        assert_eq!(field_violations(&status), needs("WORD"), "{paths:?}");
    }
    assert_eq!(revision(&server).await, before, "nothing written");
    owner
        .update_trademark(update(
            mark(pb::TrademarkKind::Word, "ALPHA"),
            &["kind", "mark_text"],
        ))
        .await
        .expect("a word mark with its words");
    let status = owner
        .update_trademark(update(mark(pb::TrademarkKind::Word, ""), &["mark_text"]))
        .await
        .expect_err("a word mark's words cleared");
    assert_eq!(field_violations(&status), needs("WORD"));
}

/// The same for an authorization's window: a new `valid_from` after the
/// stored `valid_until` is the start's mistake, a new end before the stored
/// start the end's.
#[tokio::test]
async fn an_authorization_window_out_of_order_is_named_on_the_end_the_update_changed() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    // Mid-year of `year` (years of 365.2425 days).
    let at = |year: i64| prost_types::Timestamp {
        seconds: (year - 1970) * 31_556_952 + 15_778_476,
        nanos: 0,
    };
    let added = owner
        .authorize_seller(authorize(pb::Authorization {
            valid_from: Some(at(2030)),
            valid_until: Some(at(2031)),
            ..row("members/platform-p", "window-seller", &["CN"])
        }))
        .await
        .expect("an authorization with both ends")
        .into_inner()
        .authorization
        .expect("the authorization");
    let before = revision(&server).await;
    let update = |authorization: pb::Authorization, path: &str| pb::UpdateAuthorizationRequest {
        authorization: Some(pb::Authorization {
            name: added.name.clone(),
            ..authorization
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec![path.into()],
        }),
        request_id: String::new(),
    };
    let status = owner
        .update_authorization(update(
            pb::Authorization {
                valid_from: Some(at(2032)),
                ..Default::default()
            },
            "valid_from",
        ))
        .await
        .expect_err("a start after the stored end");
    let violations = field_violations(&status);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].0, "authorization.valid_from");
    assert!(
        violations[0].1.starts_with("valid_from 2032-")
            && violations[0].1.contains("must be before valid_until 2031-"),
        "{violations:?}"
    );
    let status = owner
        .update_authorization(update(
            pb::Authorization {
                valid_until: Some(at(2029)),
                ..Default::default()
            },
            "valid_until",
        ))
        .await
        .expect_err("an end before the stored start");
    let violations = field_violations(&status);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].0, "authorization.valid_until");
    assert!(
        violations[0].1.starts_with("valid_until 2029-")
            && violations[0].1.contains("must be after valid_from 2030-"),
        "{violations:?}"
    );
    // `*` names every field: one that cannot be cleared must be given, and
    // the answer says why it was asked for.
    let status = owner
        .update_authorization(update(
            pb::Authorization {
                status: pb::AuthorizationStatus::Active as i32,
                ..Default::default()
            },
            "*",
        ))
        .await
        .expect_err("every field, without a start");
    let violations = field_violations(&status);
    let start = violations
        .iter()
        .find(|(f, _)| f == "authorization.valid_from")
        .expect("a violation of valid_from");
    assert!(start.1.contains("`*`"), "{violations:?}");
    assert_eq!(revision(&server).await, before, "nothing written");
}

/// A field mask naming a path twice is a mistake in every update, named on
/// the repeated path.
#[tokio::test]
async fn an_update_mask_naming_a_path_twice_is_refused_in_every_update() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let mask = |paths: &[&str]| {
        Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        })
    };
    let before = revision(&server).await;
    let status = owner
        .update_brand(pb::UpdateBrandRequest {
            brand: Some(pb::Brand {
                name: "brands/alpha".into(),
                common_word: true,
                ..Default::default()
            }),
            update_mask: mask(&["common_word", "common_word"]),
            request_id: String::new(),
        })
        .await
        .expect_err("a brand's mask naming a path twice");
    assert_eq!(
        field_violations(&status),
        [(
            "update_mask.paths[1]".to_owned(),
            "\"common_word\" is named twice".to_owned()
        )]
    );
    let status = owner
        .update_trademark(pb::UpdateTrademarkRequest {
            trademark: Some(pb::Trademark {
                name: "brands/alpha/trademarks/nosuchid".into(),
                nice_classes: vec![14],
                ..Default::default()
            }),
            update_mask: mask(&["nice_classes", "status", "nice_classes"]),
            request_id: String::new(),
        })
        .await
        .expect_err("a trademark's mask naming a path twice");
    assert_violations(&status, &["update_mask.paths[2]", "trademark.status"]);
    let status = owner
        .update_authorization(pb::UpdateAuthorizationRequest {
            authorization: Some(pb::Authorization {
                name: "brands/alpha/authorizations/nosuchid".into(),
                ..Default::default()
            }),
            update_mask: mask(&["reference", "reference"]),
            request_id: String::new(),
        })
        .await
        .expect_err("an authorization's mask naming a path twice");
    assert_eq!(
        field_violations(&status),
        [(
            "update_mask.paths[1]".to_owned(),
            "\"reference\" is named twice".to_owned()
        )]
    );
    assert_eq!(revision(&server).await, before, "nothing written");
}

/// A trademark number is one brand's while that brand is active; once it is
/// archived (the brand changed hands), the mark's new owner may register it.
#[tokio::test]
async fn an_archived_brands_marks_may_be_registered_again() {
    let server = TestServer::start().await;
    let mark = || pb::Trademark {
        office: "US".into(),
        registration_number: "7770001".into(),
        mark_text: "ALPHA".into(),
        kind: pb::TrademarkKind::Word as i32,
        nice_classes: vec![14],
        status: pb::TrademarkStatus::Registered as i32,
        ..Default::default()
    };
    let add = async |who: Who, brand: &str| {
        server
            .registry_as(who)
            .add_trademark(pb::AddTrademarkRequest {
                parent: format!("brands/{brand}"),
                trademark: Some(mark()),
                request_id: String::new(),
            })
            .await
    };
    add(Who::OwnerA, "alpha")
        .await
        .expect("the first owner's mark");
    let status = add(Who::OwnerB, "beta")
        .await
        .expect_err("another active brand's mark");
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    server.archive(Who::OwnerA, "brands/alpha").await;
    add(Who::OwnerB, "beta")
        .await
        .expect("the mark of an archived brand, registered again");
    // Beta holds it now: a third brand may not, though alpha's mark still
    // carries the number.
    server
        .registry_as(Who::OwnerA)
        .create_brand(brand_request("gamma", "create-gamma"))
        .await
        .expect("a third brand");
    let status = add(Who::OwnerA, "gamma")
        .await
        .expect_err("a mark an active brand holds again");
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    assert!(
        status.message().contains("brands/beta/trademarks/"),
        "{status:?}"
    );
}

/// An update that changes nothing writes nothing: same revision, same
/// etag, so another editor holding the etag is not sent back for it.
#[tokio::test]
async fn an_update_that_changes_nothing_keeps_the_etag() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let current = owner
        .get_brand(pb::GetBrandRequest {
            name: "brands/alpha".into(),
            min_revision: 0,
        })
        .await
        .expect("get")
        .into_inner();
    let before = current.brand.expect("brand");
    let update = |display_name: &str, etag: &str| pb::UpdateBrandRequest {
        brand: Some(pb::Brand {
            name: "brands/alpha".into(),
            display_name: display_name.into(),
            etag: etag.into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["display_name".into()],
        }),
        request_id: String::new(),
    };
    let same = owner
        .update_brand(update("Alpha", &before.etag))
        .await
        .expect("a no-op update")
        .into_inner();
    assert_eq!(same.revision, current.revision);
    let brand = same.brand.expect("brand");
    assert_eq!(brand.etag, before.etag);
    assert_eq!(brand.display_name, "Alpha");
    assert_eq!(brand.update_time, before.update_time);
    // The etag still holds for a real change.
    let renamed = owner
        .update_brand(update("Alpha Watches", &before.etag))
        .await
        .expect("a change with the unchanged etag")
        .into_inner();
    assert!(renamed.revision > current.revision);
    assert_ne!(renamed.brand.expect("brand").etag, before.etag);
}

/// A trademark or an authorization patched to what it already has writes
/// nothing either, as a brand: same revision, same etag and update time,
/// no change for Watch or the audit, and another editor holding the etag
/// is not sent back for it.
#[tokio::test]
async fn a_trademark_or_authorization_update_that_changes_nothing_writes_nothing() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let trademark = owner
        .list_trademarks(pb::ListTrademarksRequest {
            parent: "brands/alpha".into(),
            ..Default::default()
        })
        .await
        .expect("list trademarks")
        .into_inner()
        .trademarks
        .remove(0);
    let authorization = owner
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            ..Default::default()
        })
        .await
        .expect("list authorizations")
        .into_inner()
        .authorizations
        .into_iter()
        .find(|a| a.status == pb::AuthorizationStatus::Active as i32)
        .expect("an active authorization");
    let mask = |paths: &[&str]| {
        Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        })
    };
    let before = revision(&server).await;

    let same = owner
        .update_trademark(pb::UpdateTrademarkRequest {
            trademark: Some(trademark.clone()),
            update_mask: mask(&["mark_text", "nice_classes", "status", "expiry_date"]),
            request_id: String::new(),
        })
        .await
        .expect("a no-op trademark update")
        .into_inner();
    assert_eq!(same.revision, before);
    assert_eq!(same.trademark.as_ref(), Some(&trademark));

    let same = owner
        .update_authorization(pb::UpdateAuthorizationRequest {
            authorization: Some(authorization.clone()),
            update_mask: mask(&["nice_classes", "regions", "reference", "status"]),
            request_id: String::new(),
        })
        .await
        .expect("a no-op authorization update")
        .into_inner();
    assert_eq!(same.revision, before);
    assert_eq!(same.authorization.as_ref(), Some(&authorization));
    assert_eq!(revision(&server).await, before, "nothing written");

    // With a request id, the no-op takes a revision that records the id
    // (its retry must answer it), and changes nothing; the retry answers the
    // same.
    let with_id = pb::UpdateTrademarkRequest {
        trademark: Some(trademark.clone()),
        update_mask: mask(&["mark_text"]),
        request_id: "no-op-1".into(),
    };
    let first = owner
        .update_trademark(with_id.clone())
        .await
        .expect("a no-op with a request id")
        .into_inner();
    assert_eq!(first.revision, before + 1);
    assert_eq!(first.trademark.as_ref(), Some(&trademark), "the etag stays");
    let retry = owner
        .update_trademark(with_id)
        .await
        .expect("its retry")
        .into_inner();
    assert_eq!(retry, first);
    let before = revision(&server).await;
    assert_eq!(before, first.revision, "the retry wrote nothing");

    // The etags still hold for real changes.
    let changed = owner
        .update_trademark(pb::UpdateTrademarkRequest {
            trademark: Some(pb::Trademark {
                mark_text: format!("{} NEW", trademark.mark_text),
                ..trademark.clone()
            }),
            update_mask: mask(&["mark_text"]),
            request_id: String::new(),
        })
        .await
        .expect("a change with the unchanged etag")
        .into_inner();
    assert!(changed.revision > before);
    assert_ne!(changed.trademark.expect("trademark").etag, trademark.etag);
    let changed = owner
        .update_authorization(pb::UpdateAuthorizationRequest {
            authorization: Some(pb::Authorization {
                reference: "a new contract".into(),
                ..authorization.clone()
            }),
            update_mask: mask(&["reference"]),
            request_id: String::new(),
        })
        .await
        .expect("a change with the unchanged etag")
        .into_inner();
    assert_ne!(
        changed.authorization.expect("authorization").etag,
        authorization.etag
    );
}

/// Every mistake of an import's rows, or of an update, is named at once, an
/// inverted validity window among them.
#[tokio::test]
async fn an_inverted_window_is_named_beside_other_mistakes() {
    let server = TestServer::start().await;
    let before = revision(&server).await;
    let at = |seconds| Some(prost_types::Timestamp { seconds, nanos: 0 });
    let status = server
        .registry_as(Who::OwnerA)
        .import_authorizations(tokio_stream::iter(vec![pb::ImportAuthorizationsRequest {
            parent: "brands/alpha".into(),
            rows: vec![
                row("members/platform-p", "w-0", &["NOPE"]),
                pb::Authorization {
                    valid_from: at(1_900_000_000),
                    valid_until: at(1_800_000_000),
                    ..row("members/platform-p", "w-1", &["FR"])
                },
            ],
            request_id: String::new(),
            widen: None,
        }]))
        .await
        .expect_err("a bad region and an inverted window");
    assert_violations(&status, &["rows[0].regions[0]", "rows[1].valid_until"]);
    assert_eq!(revision(&server).await, before, "nothing written");

    // An update with both ends of its window, the same way.
    let mut owner = server.registry_as(Who::OwnerA);
    let authorization = owner
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            ..Default::default()
        })
        .await
        .expect("list authorizations")
        .into_inner()
        .authorizations
        .remove(0);
    let status = owner
        .update_authorization(pb::UpdateAuthorizationRequest {
            authorization: Some(pb::Authorization {
                regions: vec!["NOPE".into()],
                valid_from: at(1_900_000_000),
                valid_until: at(1_800_000_000),
                ..authorization
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["regions".into(), "valid_from".into(), "valid_until".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("a bad region and an inverted window");
    assert_violations(
        &status,
        &["authorization.regions[0]", "authorization.valid_until"],
    );
    assert_eq!(revision(&server).await, before, "nothing written");
}

/// `*` in an update mask means every field, and only alone.
#[tokio::test]
async fn a_star_in_an_update_mask_stands_alone() {
    let server = TestServer::start().await;
    let status = server
        .registry_as(Who::OwnerA)
        .update_brand(pb::UpdateBrandRequest {
            brand: Some(pb::Brand {
                name: "brands/alpha".into(),
                display_name: "Alpha".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["*".into(), "aliases".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("* with another path");
    assert_violations(&status, &["update_mask.paths[0]"]);
    let violations = field_violations(&status);
    assert!(violations[0].1.contains("stands alone"), "{violations:?}");
}

/// One answer names every kind of mistake in an import, those of syntax
/// and those against the registry alike: a bad region in one row, a member
/// that is not a platform in another, a seller given twice.
#[tokio::test]
async fn an_import_names_mistakes_of_syntax_and_of_the_registry_in_one_answer() {
    let server = TestServer::start().await;
    let row = |platform: &str, seller: &str, regions: Vec<String>| pb::Authorization {
        platform: platform.into(),
        seller_account: seller.into(),
        regions,
        ..Default::default()
    };
    let status = server
        .registry_as(Who::OwnerA)
        .import_authorizations(tokio_stream::iter([pb::ImportAuthorizationsRequest {
            parent: "brands/alpha".into(),
            rows: vec![
                row("members/platform-p", "ok-1", vec![]),
                row("members/platform-p", "bad-region", vec!["EU".into()]),
                row("members/owner-b", "not-a-platform", vec![]),
                row("members/platform-p", "ok-1", vec![]),
            ],
            request_id: String::new(),
            widen: None,
        }]))
        .await
        .expect_err("a bad import");
    assert_violations(
        &status,
        &[
            "rows[1].regions[0]",
            "rows[2].platform",
            "rows[3].seller_account",
        ],
    );
    let listed = server
        .registry_as(Who::OwnerA)
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            seller_account: "ok-1".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert!(listed.authorizations.is_empty(), "nothing was written");
}

/// An import naming a platform another replica just created (this one has
/// not applied it yet) catches up with the store before refusing the row:
/// the rows are checked against the registry as it is, as a single
/// AuthorizeSeller is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_names_a_platform_another_replica_just_created() {
    use std::{sync::Arc, time::Duration};
    let store = common::new_store().await.0;
    let mut start = common::Start::fixture();
    start.store = Some(store.clone());
    let keys = start.keys.clone();
    let a = start.start().await;
    // Deaf, with an hour's poll: b applies another replica's writes only
    // when a call makes it catch up.
    let mut start = common::Start::fixture();
    start.keys = keys;
    start.options.seed = None;
    start.options.feed_poll = Duration::from_secs(3600);
    start.store = Some(Arc::new(common::TestStore::deaf(store)));
    let b = start.start().await;
    a.registry_as(Who::Operator)
        .create_member(pb::CreateMemberRequest {
            member_id: "platform-new".into(),
            member: Some(pb::Member {
                display_name: "New Platform".into(),
                kind: pb::MemberKind::Platform as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a platform, created on a");
    let row = |platform: &str, seller: &str| pb::Authorization {
        platform: platform.into(),
        seller_account: seller.into(),
        ..Default::default()
    };
    let imported = b
        .registry_as(Who::OwnerA)
        .import_authorizations(tokio_stream::iter(vec![pb::ImportAuthorizationsRequest {
            parent: "brands/alpha".into(),
            rows: vec![
                row("members/platform-p", "on-p"),
                row("members/platform-new", "on-new"),
            ],
            request_id: String::new(),
            widen: None,
        }]))
        .await
        .expect("the new platform is one, on b too")
        .into_inner();
    assert!(imported.revision > 0);
    // A member that is no platform is still refused.
    let refused = b
        .registry_as(Who::OwnerA)
        .import_authorizations(tokio_stream::iter(vec![pb::ImportAuthorizationsRequest {
            parent: "brands/alpha".into(),
            rows: vec![row("members/no-such-platform", "on-none")],
            request_id: String::new(),
            widen: None,
        }]))
        .await
        .expect_err("no such platform");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
}

/// An UpdateBrand that changes nothing answers with the brand as of the
/// revision it gives: retried (its request id) before the brand changes,
/// the first answer again, though other writes came between; after, the
/// brand then, and a revision that has that change.
#[tokio::test]
async fn a_retried_update_that_changed_nothing_answers_the_brand_with_its_revision() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let brand = owner
        .get_brand(pb::GetBrandRequest {
            name: "brands/alpha".into(),
            ..Default::default()
        })
        .await
        .expect("get")
        .into_inner()
        .brand
        .expect("brand");
    let unchanged = pb::UpdateBrandRequest {
        brand: Some(pb::Brand {
            name: "brands/alpha".into(),
            display_name: brand.display_name.clone(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["display_name".into()],
        }),
        request_id: "same-name-once".into(),
    };
    let first = owner
        .update_brand(unchanged.clone())
        .await
        .expect("a change to what it has")
        .into_inner();
    assert_eq!(first.brand.as_ref().map(|b| &b.etag), Some(&brand.etag));
    // Another brand's change: the retry still answers as the first call.
    let other = server
        .registry_as(Who::OwnerB)
        .update_brand(pb::UpdateBrandRequest {
            brand: Some(pb::Brand {
                name: "brands/beta".into(),
                display_name: "Beta Renamed".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["display_name".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect("another brand's rename")
        .into_inner();
    assert!(other.revision > first.revision);
    let again = owner
        .update_brand(unchanged.clone())
        .await
        .expect("the retry")
        .into_inner();
    assert_eq!(again, first, "the first answer");
    let renamed = owner
        .update_brand(pb::UpdateBrandRequest {
            brand: Some(pb::Brand {
                name: "brands/alpha".into(),
                display_name: "Alpha Renamed".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["display_name".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect("a rename")
        .into_inner();
    let retried = owner
        .update_brand(unchanged)
        .await
        .expect("the retry")
        .into_inner();
    let now = retried.brand.expect("brand");
    assert_eq!(now.display_name, "Alpha Renamed", "the brand as it is");
    assert!(
        retried.revision >= renamed.revision,
        "the revision answered ({}) has the rename ({})",
        retried.revision,
        renamed.revision
    );
}

/// `territories` is output only: it follows from a mark's office and
/// designations. A request that sends others is refused on it, and writes
/// nothing, rather than stored without them: an owner sending `["CN", "HK"]`
/// for a Chinese mark would believe it covers Hong Kong. The territories a
/// mark covers, as a trademark read back has them, are taken.
#[tokio::test]
async fn territories_a_mark_does_not_cover_are_refused_not_dropped() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let before = revision(&server).await;
    let mark = |office: &str, number: &str, designated: &[&str], territories: &[&str]| {
        pb::AddTrademarkRequest {
            parent: "brands/alpha".into(),
            trademark: Some(pb::Trademark {
                office: office.into(),
                registration_number: number.into(),
                mark_text: "ALPHA".into(),
                kind: pb::TrademarkKind::Word as i32,
                nice_classes: vec![25],
                status: pb::TrademarkStatus::Registered as i32,
                designated_countries: designated.iter().map(|c| c.to_string()).collect(),
                territories: territories.iter().map(|c| c.to_string()).collect(),
                ..Default::default()
            }),
            request_id: String::new(),
        }
    };
    for (request, says) in [
        // A Chinese mark does not cover Hong Kong, Macao or Taiwan.
        (
            mark("CN", "CN-1", &[], &["CN", "HK", "MO"]),
            "not \"HK\", \"MO\"",
        ),
        // An EU trade mark covers the whole EU, not one state.
        (mark("EM", "EM-1", &[], &["FR"]), "not only those given"),
        (mark("US", "US-1", &[], &["USA"]), "not \"USA\""),
    ] {
        let status = owner.add_trademark(request).await.expect_err(says);
        let violations = field_violations(&status);
        assert_eq!(violations.len(), 1, "{status:?}");
        assert_eq!(violations[0].0, "trademark.territories");
        assert!(violations[0].1.contains(says), "{status:?}");
        assert!(violations[0].1.starts_with("is output only"), "{status:?}");
    }
    // A Madrid mark's countries sent as territories: they are designations.
    let status = owner
        .add_trademark(mark("WO", "WO-1", &[], &["JP", "KR"]))
        .await
        .expect_err("a Madrid mark without designations");
    assert_violations(
        &status,
        &["trademark.designated_countries", "trademark.territories"],
    );
    assert_eq!(revision(&server).await, before, "nothing was written");

    // What a mark covers, as read back, is taken again (lower case too).
    owner
        .add_trademark(mark("CN", "CN-2", &[], &["cn"]))
        .await
        .expect("a Chinese mark's own territory");
    let eu = owner
        .add_trademark(mark("EM", "EM-2", &[], &[]))
        .await
        .expect("an EU trade mark")
        .into_inner()
        .trademark
        .expect("the mark");
    let mut again = eu.clone();
    again.registration_number = "EM-3".into();
    let copy = owner
        .add_trademark(pb::AddTrademarkRequest {
            parent: "brands/alpha".into(),
            trademark: Some(again),
            request_id: String::new(),
        })
        .await
        .expect("a mark read back and sent again")
        .into_inner()
        .trademark
        .expect("the mark");
    assert_eq!(copy.territories, eu.territories);
    assert_eq!(copy.territories.len(), 27);
    let madrid = owner
        .add_trademark(mark("WO", "WO-2", &["JP", "KR"], &["KR", "JP"]))
        .await
        .expect("a Madrid mark's designations as its territories")
        .into_inner()
        .trademark
        .expect("the mark");
    assert_eq!(madrid.territories, ["JP", "KR"]);
}

/// A brand name or alias that nearly every listing holds (a single letter
/// or character, an English function word) is refused when created and
/// when updated, and writes nothing: `the` as an alias put every listing
/// saying "the" in the brand's classes under the brand.
#[tokio::test]
async fn a_name_every_listing_holds_is_refused() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let before = revision(&server).await;
    let status = owner
        .create_brand(pb::CreateBrandRequest {
            brand_id: "genzo".into(),
            brand: Some(pb::Brand {
                display_name: "On".into(),
                aliases: vec!["Genzo".into(), "the".into(), "A".into(), "的".into()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("names every listing holds");
    assert_eq!(
        field_violations(&status)
            .iter()
            .map(|(f, _)| f.as_str())
            .collect::<Vec<_>>(),
        [
            "brand.display_name",
            "brand.aliases[1]",
            "brand.aliases[2]",
            "brand.aliases[3]"
        ],
        "{status:?}"
    );
    let status = owner
        .update_brand(pb::UpdateBrandRequest {
            brand: Some(pb::Brand {
                name: "brands/alpha".into(),
                aliases: vec!["With".into()],
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["aliases".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("a function word");
    assert_violations(&status, &["brand.aliases[0]"]);
    assert!(
        field_violations(&status)[0].1.contains("function word"),
        "{status:?}"
    );
    assert_eq!(revision(&server).await, before, "nothing was written");
    // A distinctive form is a name like any other.
    owner
        .create_brand(pb::CreateBrandRequest {
            brand_id: "genzo".into(),
            brand: Some(pb::Brand {
                display_name: "On Genzo".into(),
                aliases: vec!["The Genzo".into()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a distinctive name");
}

/// An import's request id is read from its first message: another one in a
/// later message is named as a mistake, as another parent is, rather than
/// dropped; the same one repeated, or none, is taken.
#[tokio::test]
async fn a_later_request_id_of_an_import_must_be_the_first_ones() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let before = revision(&server).await;
    let message = |parent: &str, seller: &str, request_id: &str| pb::ImportAuthorizationsRequest {
        parent: parent.into(),
        rows: vec![row("members/platform-p", seller, &["CN"])],
        request_id: request_id.into(),
        widen: None,
    };
    for (first, later, says) in [
        ("import-7", "import-8", "must be empty or \"import-7\""),
        ("", "import-8", "which gave none"),
    ] {
        let status = owner
            .import_authorizations(tokio_stream::iter(vec![
                message("brands/alpha", "later-0", first),
                message("", "later-1", later),
            ]))
            .await
            .expect_err("another request id later");
        let violations = field_violations(&status);
        assert_eq!(violations.len(), 1, "{status:?}");
        assert_eq!(violations[0].0, "request_id");
        assert!(violations[0].1.contains(says), "{status:?}");
    }
    assert_eq!(revision(&server).await, before, "nothing written");
    let imported = owner
        .import_authorizations(tokio_stream::iter(vec![
            message("brands/alpha", "later-0", "import-7"),
            message("", "later-1", "import-7"),
            message("brands/alpha", "later-2", ""),
        ]))
        .await
        .expect("the first message's request id, repeated or left out")
        .into_inner();
    assert_eq!(imported.created, 3);
}

/// A field an update cannot change says how to change it otherwise.
#[tokio::test]
async fn a_field_an_update_cannot_change_says_how_to() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let trademarks = owner
        .list_trademarks(pb::ListTrademarksRequest {
            parent: "brands/alpha".into(),
            ..Default::default()
        })
        .await
        .expect("trademarks")
        .into_inner()
        .trademarks;
    let status = owner
        .update_trademark(pb::UpdateTrademarkRequest {
            trademark: Some(pb::Trademark {
                name: trademarks[0].name.clone(),
                registration_number: "TEST-2".into(),
                territories: vec!["HK".into()],
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["registration_number".into(), "territories".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("fields an update cannot change");
    let violations = field_violations(&status);
    assert_eq!(violations[0].0, "update_mask.paths[0]");
    assert!(
        violations[0]
            .1
            .contains("remove the trademark and add it again"),
        "{violations:?}"
    );
    assert_eq!(violations[1].0, "update_mask.paths[1]");
    assert!(
        violations[1]
            .1
            .contains("follow from office and designated_countries"),
        "{violations:?}"
    );
    let authorization = common::every_authorization(
        &mut owner,
        pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            ..Default::default()
        },
    )
    .await
    .into_iter()
    .next()
    .expect("an authorization");
    let status = owner
        .update_authorization(pb::UpdateAuthorizationRequest {
            authorization: Some(pb::Authorization {
                name: authorization.name.clone(),
                seller_account: "another".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["seller_account".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("a seller account cannot change");
    assert!(
        field_violations(&status)[0]
            .1
            .contains("revoke the authorization and authorize the other seller account"),
        "{status:?}"
    );
}

/// Update mask `*` sets every field, but never widens a resource unseen:
/// classes or regions left empty (every class, everywhere), an end or an
/// expiry left unset (no end), a common-word flag left false, where the
/// resource has them, are field violations that say to name the field to
/// widen it; nothing is written. The stored values sent back are kept;
/// naming the field widens it as documented; `*` keeps what is already
/// that wide.
#[tokio::test]
async fn a_star_update_mask_never_widens_what_it_does_not_name() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let mask = |paths: &[&str]| {
        Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        })
    };
    let at = |seconds: i64| Some(prost_types::Timestamp { seconds, nanos: 0 });
    let scoped = owner
        .authorize_seller(authorize(pb::Authorization {
            valid_from: at(1_700_000_000),
            valid_until: at(1_900_000_000),
            ..row("members/platform-p", "scoped-seller", &["FR", "DE"])
        }))
        .await
        .expect("a scoped authorization")
        .into_inner()
        .authorization
        .expect("authorization");
    let before = revision(&server).await;
    let update =
        |authorization: pb::Authorization, paths: &[&str]| pb::UpdateAuthorizationRequest {
            authorization: Some(authorization),
            update_mask: mask(paths),
            request_id: String::new(),
        };
    // A quick `*` update of the end, as one writes it with grpcurl: the
    // fields a `*` update cannot leave empty, and the new end.
    let quick = pb::Authorization {
        name: scoped.name.clone(),
        valid_from: scoped.valid_from,
        valid_until: at(1_950_000_000),
        status: pb::AuthorizationStatus::Active as i32,
        ..Default::default()
    };
    let status = owner
        .update_authorization(update(quick.clone(), &["*"]))
        .await
        .expect_err("a `*` update that would authorize every class, everywhere");
    let violations = field_violations(&status);
    assert_eq!(
        violations
            .iter()
            .map(|(f, _)| f.as_str())
            .collect::<Vec<_>>(),
        ["authorization.nice_classes", "authorization.regions"],
        "{violations:?}"
    );
    assert!(
        violations[0].1.contains("to every class")
            && violations[0].1.contains("name nice_classes in update_mask")
            && violations[0]
                .1
                .ends_with("send its classes (14) to keep them"),
        "{violations:?}"
    );
    assert!(
        violations[1].1.contains("to everywhere")
            && violations[1]
                .1
                .ends_with("send its regions (DE, FR) to keep them"),
        "{violations:?}"
    );
    // Without the end too: open-ended is a widening of its own.
    let status = owner
        .update_authorization(update(
            pb::Authorization {
                valid_until: None,
                nice_classes: vec![14],
                regions: vec!["FR".into(), "DE".into()],
                ..quick.clone()
            },
            &["*"],
        ))
        .await
        .expect_err("a `*` update that would remove the end");
    assert_violations(&status, &["authorization.valid_until"]);
    assert_eq!(revision(&server).await, before, "nothing written");

    // The scope sent back is kept.
    let kept = owner
        .update_authorization(update(
            pb::Authorization {
                nice_classes: vec![14],
                regions: vec!["DE".into(), "FR".into()],
                ..quick.clone()
            },
            &["*"],
        ))
        .await
        .expect("a `*` update that keeps the scope")
        .into_inner()
        .authorization
        .expect("authorization");
    assert_eq!(
        (kept.nice_classes, kept.regions, kept.valid_until),
        (
            vec![14],
            vec!["DE".to_owned(), "FR".to_owned()],
            at(1_950_000_000)
        )
    );

    // Named, an empty list widens, as documented.
    let widened = owner
        .update_authorization(update(quick.clone(), &["nice_classes", "regions"]))
        .await
        .expect("classes and regions named: every class, everywhere")
        .into_inner()
        .authorization
        .expect("authorization");
    assert!(widened.nice_classes.is_empty() && widened.regions.is_empty());
    let check = server
        .check_as(Who::PlatformP)
        .check_seller(pb::CheckSellerRequest {
            brand: "brands/alpha".into(),
            seller_account: "scoped-seller".into(),
            nice_class: 25,
            region: "US".into(),
            ..Default::default()
        })
        .await
        .expect("check")
        .into_inner();
    assert!(check.authorized, "{check:?}");
    // Already that wide, `*` with them empty keeps them so.
    owner
        .update_authorization(update(quick, &["*"]))
        .await
        .expect("a `*` update of an authorization already every class, everywhere");

    // A trademark's expiry: kept unless named.
    let mark = owner
        .add_trademark(pb::AddTrademarkRequest {
            parent: "brands/alpha".into(),
            trademark: Some(pb::Trademark {
                office: "US".into(),
                registration_number: "STAR-1".into(),
                mark_text: "ALPHA".into(),
                kind: pb::TrademarkKind::Word as i32,
                nice_classes: vec![14],
                status: pb::TrademarkStatus::Registered as i32,
                expiry_date: Some(marque::pb::google::r#type::Date {
                    year: 2034,
                    month: 6,
                    day: 1,
                }),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a mark with an expiry")
        .into_inner()
        .trademark
        .expect("trademark");
    let quick_mark = pb::Trademark {
        expiry_date: None,
        status: pb::TrademarkStatus::Pending as i32,
        ..mark.clone()
    };
    let before = revision(&server).await;
    let status = owner
        .update_trademark(pb::UpdateTrademarkRequest {
            trademark: Some(quick_mark.clone()),
            update_mask: mask(&["*"]),
            request_id: String::new(),
        })
        .await
        .expect_err("a `*` update that would remove the expiry");
    assert_violations(&status, &["trademark.expiry_date"]);
    assert!(
        field_violations(&status)[0].1.contains("2034-06-01"),
        "{status:?}"
    );
    assert_eq!(revision(&server).await, before, "nothing written");
    let cleared = owner
        .update_trademark(pb::UpdateTrademarkRequest {
            trademark: Some(quick_mark),
            update_mask: mask(&["expiry_date"]),
            request_id: String::new(),
        })
        .await
        .expect("named, the expiry is removed")
        .into_inner()
        .trademark
        .expect("trademark");
    assert_eq!(cleared.expiry_date, None);

    // A brand's common-word flag: kept unless named.
    let brand = |common_word| pb::Brand {
        name: "brands/alpha".into(),
        display_name: "Alpha".into(),
        aliases: vec!["阿尔法".into()],
        common_word,
        ..Default::default()
    };
    owner
        .update_brand(pb::UpdateBrandRequest {
            brand: Some(brand(true)),
            update_mask: mask(&["common_word"]),
            request_id: String::new(),
        })
        .await
        .expect("a common word");
    let before = revision(&server).await;
    let status = owner
        .update_brand(pb::UpdateBrandRequest {
            brand: Some(brand(false)),
            update_mask: mask(&["*"]),
            request_id: String::new(),
        })
        .await
        .expect_err("a `*` update that would turn the flag off");
    assert_violations(&status, &["brand.common_word"]);
    assert_eq!(revision(&server).await, before, "nothing written");
    let renamed = owner
        .update_brand(pb::UpdateBrandRequest {
            brand: Some(pb::Brand {
                display_name: "Alpha Paris".into(),
                ..brand(true)
            }),
            update_mask: mask(&["*"]),
            request_id: String::new(),
        })
        .await
        .expect("a `*` update that keeps the flag")
        .into_inner()
        .brand
        .expect("brand");
    assert!(renamed.common_word && renamed.display_name == "Alpha Paris");
}

/// An authorization is always on a member of kind PLATFORM: AuthorizeSeller
/// and an import row naming another member (a brand owner, the operator,
/// the brand's own owner) are refused on the platform, nothing written. So
/// a seller's authorizations listed with no platform, which are read on
/// the platforms only, are all of them: what the whole list holds for the
/// seller.
#[tokio::test]
async fn authorizations_are_on_platforms_only_so_a_sellers_listing_finds_them_all() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let before = revision(&server).await;
    for member in ["members/owner-b", "members/owner-a", "members/operator"] {
        let status = owner
            .authorize_seller(authorize(row(member, "seller-everywhere", &[])))
            .await
            .expect_err("a member that is no platform");
        assert_eq!(
            field_violations(&status),
            [(
                "authorization.platform".to_owned(),
                format!("{member} is not a platform (ListMembers lists them)")
            )]
        );
        let status = owner
            .import_authorizations(tokio_stream::iter([pb::ImportAuthorizationsRequest {
                parent: "brands/alpha".into(),
                rows: vec![row(member, "seller-everywhere", &[])],
                request_id: String::new(),
                widen: None,
            }]))
            .await
            .expect_err("an import row on a member that is no platform");
        assert_violations(&status, &["rows[0].platform"]);
    }
    assert_eq!(revision(&server).await, before, "nothing written");
    for platform in ["members/platform-q", "members/platform-p"] {
        owner
            .authorize_seller(authorize(row(platform, "seller-everywhere", &[])))
            .await
            .expect("on a platform");
    }
    let listed = common::every_authorization(
        &mut owner,
        pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            seller_account: "seller-everywhere".into(),
            page_size: 1,
            ..Default::default()
        },
    )
    .await;
    let theirs: Vec<_> = every_authorization_of(&mut owner, "")
        .await
        .into_iter()
        .filter(|a| a.seller_account == "seller-everywhere")
        .collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed, theirs);
}

/// A field mask's path written as the field's JSON name (`niceClasses`),
/// as a client that sends `{"paths": [...]}` verbatim writes it, is named
/// with the proto field name to write, not "cannot be changed".
#[tokio::test]
async fn a_mask_path_in_json_case_names_the_proto_field_to_write() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let authorization = every_authorization_of(&mut owner, "members/platform-p")
        .await
        .remove(0);
    let status = owner
        .update_authorization(pb::UpdateAuthorizationRequest {
            authorization: Some(authorization),
            update_mask: Some(prost_types::FieldMask {
                paths: vec![
                    "niceClasses".into(),
                    "sellerAccount".into(),
                    "colour".into(),
                ],
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("JSON names");
    let violations = field_violations(&status);
    assert_eq!(violations.len(), 3, "{violations:?}");
    assert!(
        violations[0].1.contains("is a JSON name")
            && violations[0].1.contains("write nice_classes"),
        "{violations:?}"
    );
    assert!(
        violations[1].1.contains("write seller_account"),
        "{violations:?}"
    );
    assert!(
        violations[2].1.starts_with("\"colour\" cannot be changed"),
        "{violations:?}"
    );
}

/// A trademark, a logo and an authorization are read by their names, as
/// written and as listed, by every member that lists them; one removed is
/// NOT_FOUND, as are a name under an unknown brand (naming the brand) and
/// an id the brand does not have. A name not of the resource's form is
/// INVALID_ARGUMENT on `name`.
#[tokio::test]
async fn trademarks_logos_and_authorizations_are_read_by_name() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let trademark = owner
        .add_trademark(common::madrid_alpha(&["EM", "FR"]))
        .await
        .expect("add trademark")
        .into_inner()
        .trademark
        .expect("trademark");
    let logo = owner
        .add_logo(common::monogram_alpha())
        .await
        .expect("add logo")
        .into_inner()
        .logo
        .expect("logo");
    let made = owner
        .authorize_seller(authorize(pb::Authorization {
            platform: "members/platform-p".into(),
            seller_account: "by-name".into(),
            nice_classes: vec![14],
            regions: vec!["FR".into()],
            reference: "contract 7".into(),
            ..Default::default()
        }))
        .await
        .expect("authorize")
        .into_inner();
    let authorization = made.authorization.expect("authorization");

    for who in [Who::OwnerA, Who::OwnerB, Who::PlatformP, Who::Operator] {
        let mut reader = server.registry_as(who);
        let read = reader
            .get_trademark(pb::GetTrademarkRequest {
                name: trademark.name.clone(),
                min_revision: made.revision,
            })
            .await
            .expect("get trademark")
            .into_inner();
        assert_eq!(read.trademark.as_ref(), Some(&trademark), "{who:?}");
        assert!(read.revision >= made.revision);
        let listed = reader
            .list_trademarks(pb::ListTrademarksRequest {
                parent: "brands/alpha".into(),
                ..Default::default()
            })
            .await
            .expect("list trademarks")
            .into_inner();
        assert!(listed.trademarks.contains(&trademark), "{who:?}");
        let read = reader
            .get_logo(pb::GetLogoRequest {
                name: logo.name.clone(),
                min_revision: made.revision,
            })
            .await
            .expect("get logo")
            .into_inner();
        assert_eq!(read.logo.as_ref(), Some(&logo), "{who:?}");
        if who != Who::OwnerB {
            let read = reader
                .get_authorization(pb::GetAuthorizationRequest {
                    name: authorization.name.clone(),
                    min_revision: made.revision,
                })
                .await
                .expect("get authorization")
                .into_inner();
            assert_eq!(read.authorization.as_ref(), Some(&authorization), "{who:?}");
        }
    }

    // Removed: no longer found.
    owner
        .remove_trademark(pb::RemoveTrademarkRequest {
            name: trademark.name.clone(),
            request_id: String::new(),
        })
        .await
        .expect("remove trademark");
    owner
        .remove_logo(pb::RemoveLogoRequest {
            name: logo.name.clone(),
            request_id: String::new(),
        })
        .await
        .expect("remove logo");
    let removed_trademark = owner
        .get_trademark(pb::GetTrademarkRequest {
            name: trademark.name.clone(),
            min_revision: 0,
        })
        .await
        .expect_err("a removed trademark");
    let removed_logo = owner
        .get_logo(pb::GetLogoRequest {
            name: logo.name.clone(),
            min_revision: 0,
        })
        .await
        .expect_err("a removed logo");
    for (status, name) in [
        (removed_trademark, &trademark.name),
        (removed_logo, &logo.name),
    ] {
        assert_eq!(
            (status.code(), status.message().to_string()),
            (Code::NotFound, format!("{name} not found"))
        );
    }

    // Unknown brand, unknown id: NOT_FOUND, naming what is missing.
    let id = "0123456789abcdef0123456789abcdef";
    for (name, missing) in [
        (
            format!("brands/nope/trademarks/{id}"),
            "brands/nope".to_string(),
        ),
        (
            format!("brands/alpha/trademarks/{id}"),
            format!("brands/alpha/trademarks/{id}"),
        ),
    ] {
        let status = owner
            .get_trademark(pb::GetTrademarkRequest {
                name,
                min_revision: 0,
            })
            .await
            .expect_err("unknown");
        assert_eq!(
            (status.code(), status.message().to_string()),
            (Code::NotFound, format!("{missing} not found"))
        );
    }
    let status = owner
        .get_logo(pb::GetLogoRequest {
            name: format!("brands/nope/logos/{id}"),
            min_revision: 0,
        })
        .await
        .expect_err("unknown brand");
    assert_eq!(status.code(), Code::NotFound);
    let status = owner
        .get_authorization(pb::GetAuthorizationRequest {
            name: format!("brands/nope/authorizations/{id}"),
            min_revision: 0,
        })
        .await
        .expect_err("unknown brand");
    assert_eq!(
        (status.code(), status.message()),
        (Code::NotFound, "brands/nope not found")
    );

    // Malformed: INVALID_ARGUMENT on `name`, whatever the brand.
    for name in [
        String::new(),
        "brands/alpha".to_string(),
        format!("brands/alpha/logos/{id}"),
        format!("brands/Alpha/trademarks/{id}"),
        format!("brands/alpha/trademarks/{id}/x"),
        "brands/alpha/trademarks/".to_string(),
        format!("members/alpha/trademarks/{id}"),
    ] {
        let status = owner
            .get_trademark(pb::GetTrademarkRequest {
                name: name.clone(),
                min_revision: 0,
            })
            .await
            .expect_err("a malformed name");
        assert_violations(&status, &["name"]);
    }
    let status = owner
        .get_logo(pb::GetLogoRequest {
            name: authorization.name.clone(),
            min_revision: 0,
        })
        .await
        .expect_err("an authorization's name is no logo's");
    assert_violations(&status, &["name"]);
    let status = owner
        .get_authorization(pb::GetAuthorizationRequest {
            name: "brands/alpha/authorizations/NOT-AN-ID".into(),
            min_revision: 0,
        })
        .await
        .expect_err("a malformed id");
    assert_violations(&status, &["name"]);
}

/// An end already past is refused where it is written, on
/// `authorization.valid_until` (on the row's own field in an import),
/// with nothing written: an authorization that has ended authorizes
/// nothing, yet as ACTIVE it would stand in the way of a new one for the
/// seller (a mistyped year, found only when AuthorizeSeller answered
/// ALREADY_EXISTS). An end not after the start is refused as before.
#[tokio::test]
async fn an_authorization_end_already_past_is_refused() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let ts = |seconds| Some(prost_types::Timestamp { seconds, nanos: 0 });
    // 2016 and 2036: past and to come, whenever the test runs.
    let (past, future) = (1_451_606_400, 2_082_758_400);
    let before = revision(&server).await;
    let status = owner
        .authorize_seller(authorize(pb::Authorization {
            platform: "members/platform-p".into(),
            seller_account: "mistyped".into(),
            valid_until: ts(past),
            ..Default::default()
        }))
        .await
        .expect_err("an end already past");
    assert_violations(&status, &["authorization.valid_until"]);
    let violations = field_violations(&status);
    assert!(
        violations[0]
            .1
            .starts_with("valid_until 2016-01-01T00:00:00Z has already passed (it is now "),
        "{violations:?}"
    );
    // A start given too: still refused on the end.
    let status = owner
        .authorize_seller(authorize(pb::Authorization {
            platform: "members/platform-p".into(),
            seller_account: "mistyped".into(),
            valid_from: ts(past - 86_400),
            valid_until: ts(past),
            ..Default::default()
        }))
        .await
        .expect_err("a window already ended");
    assert_violations(&status, &["authorization.valid_until"]);
    // Not after the start: the window's own mistake, as before.
    let status = owner
        .authorize_seller(authorize(pb::Authorization {
            platform: "members/platform-p".into(),
            seller_account: "mistyped".into(),
            valid_from: ts(future),
            valid_until: ts(future),
            ..Default::default()
        }))
        .await
        .expect_err("an end not after the start");
    assert!(
        field_violations(&status)[0]
            .1
            .contains("must be after valid_from"),
        "{status:?}"
    );
    assert_eq!(revision(&server).await, before, "nothing written");
    // The year corrected: the seller is authorized, no ALREADY_EXISTS.
    let made = owner
        .authorize_seller(authorize(pb::Authorization {
            platform: "members/platform-p".into(),
            seller_account: "mistyped".into(),
            valid_until: ts(future),
            ..Default::default()
        }))
        .await
        .expect("the corrected year")
        .into_inner();
    assert!(made.authorization.is_some());

    // An import: the row with an end already past is named, alone, and
    // nothing is written.
    let before = revision(&server).await;
    let rows = vec![
        pb::Authorization {
            valid_until: ts(future),
            ..row("members/platform-p", "row-ok", &["FR"])
        },
        pb::Authorization {
            valid_until: ts(past),
            ..row("members/platform-p", "row-mistyped", &["FR"])
        },
        pb::Authorization {
            valid_until: ts(past),
            ..row("members/platform-p", "mistyped", &[])
        },
    ];
    let status = owner
        .import_authorizations(tokio_stream::iter(common::import_messages(
            "brands/alpha",
            &rows,
            2,
            "",
        )))
        .await
        .expect_err("a row with an end already past");
    let violations = field_violations(&status);
    assert_eq!(
        violations
            .iter()
            .map(|(f, _)| f.as_str())
            .collect::<Vec<_>>(),
        ["rows[1].valid_until"],
        "the first row with the mistake: {violations:?}"
    );
    assert!(violations[0].1.contains("has already passed"));
    assert_eq!(revision(&server).await, before, "nothing written");
}

/// An ImportAuthorizations stream whose first message carries `widen`.
fn import_widening(
    rows: &[pb::Authorization],
    per_message: usize,
    request_id: &str,
    widen: &[&str],
) -> Vec<pb::ImportAuthorizationsRequest> {
    let mut messages = common::import_messages("brands/alpha", rows, per_message, request_id);
    messages[0].widen = (!widen.is_empty()).then(|| prost_types::FieldMask {
        paths: widen.iter().map(|p| (*p).to_owned()).collect(),
    });
    messages
}

/// The authorization of `seller` on platform-p under brands/alpha.
async fn stored_authorization(server: &TestServer, seller: &str) -> Option<pb::Authorization> {
    let mut listed = server
        .registry_as(Who::OwnerA)
        .list_authorizations(pb::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            seller_account: seller.into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .authorizations;
    assert!(listed.len() <= 1, "{listed:?}");
    listed.pop()
}

/// An import row replacing a live authorization's scope never widens it
/// unseen: classes or regions left empty (every class, everywhere) or no
/// end, where the authorization has them, are field violations on that
/// row (counted across the whole stream), and nothing is written, unless
/// the first message's `widen` names the field. A row creating an
/// authorization with them empty, or repeating a scope already that wide,
/// needs no mask.
#[tokio::test]
async fn an_import_widens_a_live_authorization_only_where_widen_names_it() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let at = |seconds: i64| Some(prost_types::Timestamp { seconds, nanos: 0 });
    let scoped = owner
        .authorize_seller(authorize(pb::Authorization {
            valid_until: at(1_900_000_000),
            ..row("members/platform-p", "import-scoped", &["FR", "DE"])
        }))
        .await
        .expect("a scoped authorization")
        .into_inner()
        .authorization
        .expect("authorization");
    let wide = |seller: &str| pb::Authorization {
        platform: "members/platform-p".into(),
        seller_account: seller.into(),
        ..Default::default()
    };
    // A new seller in the first message, the scoped one emptied in the
    // second: rows[1].
    let rows = [wide("import-new"), wide("import-scoped")];
    let before = revision(&server).await;
    let status = owner
        .import_authorizations(tokio_stream::iter(import_widening(&rows, 1, "", &[])))
        .await
        .expect_err("an import that would authorize every class, everywhere, for ever");
    let violations = field_violations(&status);
    assert_eq!(
        violations
            .iter()
            .map(|(f, _)| f.as_str())
            .collect::<Vec<_>>(),
        [
            "rows[1].nice_classes",
            "rows[1].regions",
            "rows[1].valid_until"
        ],
        "{violations:?}"
    );
    assert!(
        violations[0].1.contains("to every class")
            && violations[0].1.contains("name nice_classes in widen")
            && violations[0]
                .1
                .ends_with("send its classes (14) to keep them"),
        "{violations:?}"
    );
    assert!(
        violations[1]
            .1
            .ends_with("send its regions (DE, FR) to keep them"),
        "{violations:?}"
    );
    assert!(
        violations[2].1.contains("2030-03-17T17:46:40Z"),
        "{violations:?}"
    );
    // Naming one field widens that one only.
    let status = owner
        .import_authorizations(tokio_stream::iter(import_widening(
            &rows,
            1,
            "",
            &["regions"],
        )))
        .await
        .expect_err("regions named, classes and the end not");
    let violations = field_violations(&status);
    assert_eq!(
        violations
            .iter()
            .map(|(f, _)| f.as_str())
            .collect::<Vec<_>>(),
        ["rows[1].nice_classes", "rows[1].valid_until"],
        "{violations:?}"
    );
    assert_eq!(revision(&server).await, before, "nothing written");
    assert_eq!(
        stored_authorization(&server, "import-scoped").await,
        Some(scoped.clone()),
        "unchanged"
    );
    assert_eq!(stored_authorization(&server, "import-new").await, None);

    // Each field named: the scoped one widens, the new one is created.
    let widened = owner
        .import_authorizations(tokio_stream::iter(import_widening(
            &rows,
            1,
            "",
            &["valid_until", "nice_classes", "regions"],
        )))
        .await
        .expect("every field named")
        .into_inner();
    assert_eq!((widened.created, widened.updated), (1, 1));
    let now = stored_authorization(&server, "import-scoped")
        .await
        .expect("still there");
    assert_eq!(now.name, scoped.name);
    assert!(
        now.nice_classes.is_empty() && now.regions.is_empty() && now.valid_until.is_none(),
        "{now:?}"
    );
    let check = server
        .check_as(Who::PlatformP)
        .check_seller(pb::CheckSellerRequest {
            brand: "brands/alpha".into(),
            seller_account: "import-scoped".into(),
            nice_class: 25,
            region: "US".into(),
            min_revision: widened.revision,
            ..Default::default()
        })
        .await
        .expect("check")
        .into_inner();
    assert!(check.authorized, "{check:?}");

    // Already that wide, repeated without a mask: nothing widens, nothing
    // to write. A new seller with every class, everywhere, for ever, is
    // created without one, as AuthorizeSeller creates it.
    let repeated = owner
        .import_authorizations(tokio_stream::iter(import_widening(
            &[wide("import-scoped"), wide("import-new")],
            10,
            "",
            &[],
        )))
        .await
        .expect("a scope already that wide, repeated")
        .into_inner();
    assert_eq!(
        (repeated.created, repeated.updated, repeated.revision),
        (0, 0, widened.revision)
    );
    let created = owner
        .import_authorizations(tokio_stream::iter(import_widening(
            &[wide("import-fresh")],
            10,
            "",
            &[],
        )))
        .await
        .expect("a new authorization of every class, everywhere")
        .into_inner();
    assert_eq!((created.created, created.updated), (1, 0));
}

/// An import's `widen` is read as an update's mask is: proto field names
/// only (a JSON name says which to write), each once, no `*`, only the
/// fields a row widens; a later message leaves it out or repeats it. The
/// stream ends at the first message's mistakes; nothing is written.
#[tokio::test]
async fn an_imports_widen_is_read_as_an_update_mask_is() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let before = revision(&server).await;
    let rows = [row("members/platform-p", "widen-mask", &["CN"])];
    for (paths, says) in [
        (&["niceClasses"][..], "write nice_classes"),
        (&["*"][..], "name the fields rows may widen"),
        (&["valid_from"][..], "keeps the live authorization's start"),
        (&["status"][..], "is no field a row widens"),
        (&["regions", "regions"][..], "named twice"),
    ] {
        let status = owner
            .import_authorizations(tokio_stream::iter(import_widening(&rows, 1, "", paths)))
            .await
            .expect_err("a mask an import does not take");
        let violations = field_violations(&status);
        assert_eq!(violations.len(), 1, "{paths:?}: {status:?}");
        assert!(
            violations[0].0.starts_with("widen.paths["),
            "{paths:?}: {violations:?}"
        );
        assert!(violations[0].1.contains(says), "{paths:?}: {violations:?}");
    }
    let later = |paths: &[&str]| pb::ImportAuthorizationsRequest {
        rows: vec![row("members/platform-p", "widen-later", &["CN"])],
        widen: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
        ..Default::default()
    };
    for (first, says) in [
        (
            &["regions"][..],
            "must be unset or {\"paths\": [\"regions\"]}",
        ),
        (&[][..], "which gave none"),
    ] {
        let mut messages = import_widening(&rows, 1, "", first);
        messages.push(later(&["nice_classes"]));
        let status = owner
            .import_authorizations(tokio_stream::iter(messages))
            .await
            .expect_err("another widen later");
        let violations = field_violations(&status);
        assert_eq!(violations.len(), 1, "{status:?}");
        assert_eq!(violations[0].0, "widen");
        assert!(violations[0].1.contains(says), "{violations:?}");
    }
    assert_eq!(revision(&server).await, before, "nothing written");
    let mut messages = import_widening(&rows, 1, "", &["regions"]);
    messages.push(later(&["regions"]));
    let imported = owner
        .import_authorizations(tokio_stream::iter(messages))
        .await
        .expect("the first message's widen, repeated")
        .into_inner();
    assert_eq!(imported.created, 2);
}

/// What an import may widen is part of the import its request id names:
/// a retry with the same `widen` (its rows in other messages, the mask
/// repeated or in another order) is answered as the first was, nothing
/// written twice; one with another `widen`, or none, is another import.
#[tokio::test]
async fn an_import_retried_with_its_widen_is_answered_as_first_and_with_another_is_refused() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    owner
        .authorize_seller(authorize(row("members/platform-p", "widen-retry", &["FR"])))
        .await
        .expect("an authorization in FR");
    let rows = [
        row("members/platform-p", "widen-retry", &[]),
        row("members/platform-p", "widen-retry-new", &["JP"]),
    ];
    let import = |messages: Vec<pb::ImportAuthorizationsRequest>| {
        let mut owner = server.registry_as(Who::OwnerA);
        async move {
            owner
                .import_authorizations(tokio_stream::iter(messages))
                .await
                .map(tonic::Response::into_inner)
        }
    };
    let first = import(import_widening(
        &rows,
        2,
        "widen-retry-1",
        &["regions", "valid_until"],
    ))
    .await
    .expect("regions named");
    assert_eq!((first.created, first.updated), (1, 1));
    let after = revision(&server).await;
    assert_eq!(after, first.revision);
    // The same import, sent otherwise: its rows one a message, the mask
    // repeated in the second; answered as the first, nothing written.
    let mut again = import_widening(&rows, 1, "widen-retry-1", &["regions", "valid_until"]);
    again[1].widen = again[0].widen.clone();
    assert_eq!(import(again).await.expect("a retry"), first);
    // The mask's fields in another order read alike.
    let reordered = import(import_widening(
        &rows,
        2,
        "widen-retry-1",
        &["valid_until", "regions"],
    ))
    .await
    .expect("the same fields in another order");
    assert_eq!(reordered, first);
    for widen in [
        &[][..],
        &["regions"][..],
        &["regions", "valid_until", "nice_classes"][..],
    ] {
        let status = import(import_widening(&rows, 2, "widen-retry-1", widen))
            .await
            .expect_err("another widen set is another import");
        assert_violations(&status, &["request_id"]);
    }
    assert_eq!(revision(&server).await, after, "nothing written twice");
    let now = stored_authorization(&server, "widen-retry")
        .await
        .expect("there");
    assert!(
        now.regions.is_empty() && now.nice_classes == [14],
        "{now:?}"
    );
    // Scoped again since: the retry is still answered as the first was,
    // not checked again as a widening of the scope now stored.
    import(import_widening(
        &[row("members/platform-p", "widen-retry", &["FR"])],
        1,
        "",
        &[],
    ))
    .await
    .expect("back to FR");
    let retried = import(import_widening(
        &rows,
        2,
        "widen-retry-1",
        &["regions", "valid_until"],
    ))
    .await
    .expect("a retry after the scope changed");
    assert_eq!(retried, first);
    let now = stored_authorization(&server, "widen-retry")
        .await
        .expect("there");
    assert_eq!(now.regions, ["FR"], "the retry wrote nothing");
}

/// Checks answer from the replica's snapshot alone, never asking the
/// store, unlike GetBrand: a brand another replica just created is
/// NOT_FOUND to CheckSeller on a replica that has not applied it, while
/// GetBrand there finds it (asking the store), after which the check finds
/// it too. A client waits for its own write with `min_revision`, which a
/// replica that cannot reach it in time answers UNAVAILABLE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_answer_from_the_snapshot_where_get_brand_asks_the_store() {
    use std::{sync::Arc, time::Duration};
    let store = common::new_store().await.0;
    let mut start = common::Start::fixture();
    start.store = Some(store.clone());
    let keys = start.keys.clone();
    let a = start.start().await;
    // Deaf, with an hour's poll: b applies another replica's writes only
    // when a call makes it catch up.
    let mut start = common::Start::fixture();
    start.keys = keys;
    start.options.seed = None;
    start.options.feed_poll = Duration::from_secs(3600);
    start.store = Some(Arc::new(common::TestStore::deaf(store)));
    let b = start.start().await;
    let created = a
        .registry_as(Who::OwnerA)
        .create_brand(brand_named("gamma", "Gamma"))
        .await
        .expect("a brand, created on a")
        .into_inner()
        .revision;
    let check = |min_revision: u64| pb::CheckSellerRequest {
        brand: "brands/gamma".into(),
        seller_account: "seller-p1".into(),
        min_revision,
        ..Default::default()
    };
    let unknown = b
        .check_as(Who::PlatformP)
        .check_seller(check(0))
        .await
        .expect_err("b has not applied it, and a check does not ask the store");
    assert_eq!(unknown.code(), tonic::Code::NotFound, "{unknown:?}");
    let behind = b
        .check_as(Who::PlatformP)
        .check_seller(check(created))
        .await
        .expect_err("b cannot reach the revision in time");
    assert_eq!(behind.code(), tonic::Code::Unavailable, "{behind:?}");
    b.registry_as(Who::PlatformP)
        .get_brand(pb::GetBrandRequest {
            name: "brands/gamma".into(),
            ..Default::default()
        })
        .await
        .expect("GetBrand asks the store before NOT_FOUND");
    let found = b
        .check_as(Who::PlatformP)
        .check_seller(check(created))
        .await
        .expect("b has caught up")
        .into_inner();
    assert!(found.revision >= created);
    assert!(!found.authorized);
}

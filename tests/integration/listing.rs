//! CheckListing and BatchCheckListings through the real gRPC API, on the
//! fixture registry: brand `alpha` (alias 阿尔法) has a registered CN mark
//! for classes 14 and 18; `seller-p1` is authorized on platform-p for class
//! 14 in CN and FR, `seller-q1` on platform-q for everything.

use crate::common;

use common::{TestServer, Who, assert_violations, field_violations};
use marque::pb::marque::v1 as pb;

fn listing(seller: &str, title: &str) -> pb::Listing {
    pb::Listing {
        listing_id: format!("{seller}:{title}"),
        seller_account: seller.into(),
        title: title.into(),
        nice_class: 14,
        region: "CN".into(),
        ..Default::default()
    }
}

async fn check(server: &TestServer, who: Who, l: pb::Listing) -> pb::CheckListingResponse {
    check_at(server, who, l, 0).await
}

/// [`check`] on a snapshot at `min_revision` or later.
async fn check_at(
    server: &TestServer,
    who: Who,
    l: pb::Listing,
    min_revision: u64,
) -> pb::CheckListingResponse {
    server
        .check_as(who)
        .check_listing(pb::CheckListingRequest {
            listing: Some(l),
            min_revision,
        })
        .await
        .expect("check listing")
        .into_inner()
}

const ALLOW: i32 = pb::Verdict::Allow as i32;
const REVIEW: i32 = pb::Verdict::Review as i32;
const BLOCK: i32 = pb::Verdict::Block as i32;

#[tokio::test]
async fn verdicts_follow_scope_authorization_and_evidence() {
    let server = TestServer::start().await;
    // Authorized seller, in scope: allowed, with the authorization as evidence.
    let ok = check(
        &server,
        Who::PlatformP,
        listing("seller-p1", "Alpha steel watch"),
    )
    .await;
    assert_eq!(ok.verdict, ALLOW, "{ok:?}");
    let m = &ok.matches[0];
    assert_eq!(m.brand, "brands/alpha");
    assert_eq!(m.owner, "members/owner-a");
    assert_eq!(m.evidence, pb::Evidence::TextExact as i32);
    assert_eq!((m.start, m.end), (0, 5));
    assert_eq!(m.reason, pb::MatchReason::Authorized as i32);
    assert!(m.trademark.starts_with("brands/alpha/trademarks/"));
    assert!(m.authorization.starts_with("brands/alpha/authorizations/"));
    assert!(ok.revision >= 1);
    assert_eq!(ok.listing_id, "seller-p1:Alpha steel watch");

    // Unknown seller: strong evidence, in scope, unauthorized: blocked.
    let no = check(
        &server,
        Who::PlatformP,
        listing("stranger", "Alpha steel watch"),
    )
    .await;
    assert_eq!(no.verdict, BLOCK);
    assert!(no.matches[0].drives_verdict);
    assert_eq!(no.matches[0].reason, pb::MatchReason::Unauthorized as i32);

    // Obfuscation and CJK aliases are strong too; spans slice the original.
    let title = "Genuine A.l.p.h.a 阿尔法 watch";
    let obf = check(&server, Who::PlatformP, listing("stranger", title)).await;
    assert_eq!(obf.verdict, BLOCK);
    for m in &obf.matches {
        let surface = &title[m.start as usize..m.end as usize];
        assert!(surface == "A.l.p.h.a" || surface == "阿尔法", "{surface:?}");
    }

    // Out of scope: class 25 is not covered by the mark; nothing to stop.
    let mut shoes = listing("stranger", "Alpha running shoes");
    shoes.nice_class = 25;
    let out = check(&server, Who::PlatformP, shoes).await;
    assert_eq!(out.verdict, ALLOW);
    assert_eq!(out.matches[0].reason, pb::MatchReason::OutOfScope as i32);

    // A name inside a longer word is not a mention.
    let clean = check(
        &server,
        Who::PlatformP,
        listing("stranger", "Alphabet learning blocks"),
    )
    .await;
    assert_eq!(clean.verdict, ALLOW);
    assert!(clean.matches.is_empty(), "{clean:?}");

    // Counterfeit signals raise an authorized listing to review.
    let signal = check(
        &server,
        Who::PlatformP,
        listing("seller-p1", "Alpha watch AAA replica"),
    )
    .await;
    assert_eq!(signal.verdict, REVIEW);
    assert!(signal.matches[0].drives_verdict);
    assert!(signal.signal_terms.iter().any(|t| t == "replica"));

    // Nominative use is weak: review, not block.
    let strap = check(
        &server,
        Who::PlatformP,
        listing("stranger", "Leather strap for Alpha watches"),
    )
    .await;
    assert_eq!(strap.verdict, REVIEW);
    assert_eq!(
        strap.matches[0].reason,
        pb::MatchReason::NominativeUse as i32
    );
    // A determiner may stand between the phrase and the name.
    let yours = check(
        &server,
        Who::PlatformP,
        listing("stranger", "Leather strap for your Alpha watch"),
    )
    .await;
    assert_eq!(yours.verdict, REVIEW);
    assert_eq!(
        yours.matches[0].reason,
        pb::MatchReason::NominativeUse as i32
    );
    // `for` after a maker's word is no fit; `made for` is an accessory's.
    let claimed = check(
        &server,
        Who::PlatformP,
        listing("stranger", "OEM factory for Alpha, steel watch"),
    )
    .await;
    assert_eq!(claimed.verdict, BLOCK, "{claimed:?}");
    let made = check(
        &server,
        Who::PlatformP,
        listing("stranger", "Strap made for Alpha watches"),
    )
    .await;
    assert_eq!(made.verdict, REVIEW, "{made:?}");
}

/// A CJK alias with a letter or digit between its characters is
/// obfuscated (strong: blocked where in scope), and with one of them
/// masked a misspelling (weak: review), its span the alias as written;
/// a Latin letter between two characters of ordinary Chinese words glues
/// nothing into a name.
#[tokio::test]
async fn a_cjk_alias_written_with_letters_inside_or_a_character_masked_is_found() {
    let server = TestServer::start().await;
    for (title, verdict, evidence, shown) in [
        (
            "正品阿x尔x法手表",
            BLOCK,
            pb::Evidence::TextObfuscated,
            "阿x尔x法",
        ),
        (
            "阿1尔2法 男士手表",
            BLOCK,
            pb::Evidence::TextObfuscated,
            "阿1尔2法",
        ),
        (
            "阿丶尔丶法手表",
            BLOCK,
            pb::Evidence::TextObfuscated,
            "阿丶尔丶法",
        ),
        ("阿*法 女士手表", REVIEW, pb::Evidence::TextFuzzy, "阿*法"),
        ("阿□法手表", REVIEW, pb::Evidence::TextFuzzy, "阿□法"),
    ] {
        let answer = check(&server, Who::PlatformP, listing("stranger", title)).await;
        assert_eq!(answer.verdict, verdict, "{title}: {answer:?}");
        let [m] = answer.matches.as_slice() else {
            panic!("{title}: {answer:?}");
        };
        assert_eq!(m.brand, "brands/alpha");
        assert_eq!(m.evidence, evidence as i32, "{title}");
        assert_eq!(&title[m.start as usize..m.end as usize], shown, "{title}");
    }
    let clean = check(
        &server,
        Who::PlatformP,
        listing("stranger", "纯棉T恤 买2送1"),
    )
    .await;
    assert_eq!(clean.verdict, ALLOW);
    assert!(clean.matches.is_empty(), "{clean:?}");
}

#[tokio::test]
async fn a_platform_cannot_use_another_platforms_authorizations() {
    let server = TestServer::start().await;
    // seller-q1 is authorized on platform-q only.
    let on_q = check(&server, Who::PlatformQ, listing("seller-q1", "Alpha watch")).await;
    assert_eq!(on_q.verdict, ALLOW);
    let on_p = check(&server, Who::PlatformP, listing("seller-q1", "Alpha watch")).await;
    assert_eq!(on_p.verdict, BLOCK);
    assert!(on_p.matches.iter().all(|m| m.authorization.is_empty()));
    // And seller-p1's authorization does not carry over to platform-q.
    let p1_on_q = check(&server, Who::PlatformQ, listing("seller-p1", "Alpha watch")).await;
    assert_eq!(p1_on_q.verdict, BLOCK);
}

/// A country's marks and authorizations extend to its territories with
/// codes of their own (`PR` for a US mark, `GP` for a French one); an EU
/// trade mark only to those that are part of the EU (`GP`, `AX`, not `PM`).
#[tokio::test]
async fn marks_and_authorizations_extend_to_their_countrys_territories() {
    let server = TestServer::start().await;
    let mut revision = 0;
    for mark in [("US", "US-77"), ("EM", "EM-77")] {
        revision = class_14_trademark(&server, Who::OwnerA, "alpha", mark, "Alpha").await;
    }
    let in_region = |seller: &str, region: &str| pb::Listing {
        region: region.into(),
        ..listing(seller, "Alpha steel watch")
    };
    for (region, expected) in [
        ("US", BLOCK),
        ("PR", BLOCK),
        ("GU", BLOCK),
        ("FR", BLOCK),
        ("GP", BLOCK),
        ("RE", BLOCK),
        ("AX", BLOCK),
        // Saint-Pierre-et-Miquelon is French but not in the EU; alpha has
        // no French mark.
        ("PM", ALLOW),
        ("NC", ALLOW),
    ] {
        let answer = check_at(
            &server,
            Who::PlatformP,
            in_region("stranger", region),
            revision,
        )
        .await;
        assert_eq!(answer.verdict, expected, "{region}: {answer:?}");
    }
    // seller-p1 is authorized in FR (and CN): that covers Guadeloupe too.
    let answer = check_at(
        &server,
        Who::PlatformP,
        in_region("seller-p1", "GP"),
        revision,
    )
    .await;
    assert_eq!(answer.verdict, ALLOW, "{answer:?}");
    assert_eq!(answer.matches[0].reason, pb::MatchReason::Authorized as i32);
    let answer = check_at(
        &server,
        Who::PlatformP,
        in_region("seller-p1", "PR"),
        revision,
    )
    .await;
    assert_eq!(answer.verdict, BLOCK, "{answer:?}");
}

/// A Madrid mark that designates the EU is an EU trade mark there, with
/// the EU's territorial scope: it covers Guadeloupe (part of the EU), not
/// Saint-Pierre-et-Miquelon or Saint-Barthélemy, as an `EM` mark does.
/// France designated on its own beside the EU covers them.
#[tokio::test]
async fn a_madrid_designation_of_the_eu_has_the_eus_scope() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let added = owner
        .add_trademark(common::madrid_alpha(&["EM"]))
        .await
        .expect("a Madrid mark designating the EU")
        .into_inner();
    let mark = added.trademark.expect("trademark");
    assert_eq!(mark.designated_countries, ["EM"], "{mark:?}");
    assert_eq!(mark.territories.len(), 27, "{mark:?}");
    let in_region = |region: &str| pb::Listing {
        region: region.into(),
        ..listing("stranger", "Alpha steel watch")
    };
    let verdicts = async |revision: u64, cases: &[(&str, i32, pb::MatchReason)]| {
        for &(region, verdict, reason) in cases {
            let answer = check_at(&server, Who::PlatformP, in_region(region), revision).await;
            assert_eq!(answer.verdict, verdict, "{region}: {answer:?}");
            assert_eq!(
                answer.matches[0].reason, reason as i32,
                "{region}: {answer:?}"
            );
        }
    };
    use pb::MatchReason::{OutOfScope, Unauthorized};
    verdicts(
        added.revision,
        &[
            ("FR", BLOCK, Unauthorized),
            ("GP", BLOCK, Unauthorized),
            ("PM", ALLOW, OutOfScope),
            ("BL", ALLOW, OutOfScope),
        ],
    )
    .await;
    // France designated as well: its own territories are covered.
    let updated = owner
        .update_trademark(pb::UpdateTrademarkRequest {
            trademark: Some(pb::Trademark {
                name: mark.name.clone(),
                designated_countries: vec!["FR".into(), "em".into()],
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["designated_countries".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect("France beside the EU")
        .into_inner();
    let mark = updated.trademark.expect("trademark");
    assert_eq!(mark.designated_countries, ["EM", "FR"], "{mark:?}");
    assert_eq!(mark.territories.len(), 27, "{mark:?}");
    verdicts(
        updated.revision,
        &[
            ("FR", BLOCK, Unauthorized),
            ("GP", BLOCK, Unauthorized),
            ("PM", BLOCK, Unauthorized),
            ("BL", BLOCK, Unauthorized),
        ],
    )
    .await;
}

/// Signal terms raise the verdict one step and every in-scope match then
/// drives it; a BLOCK goes no higher, and an authorized brand beside the
/// unauthorized one that decided it drives nothing.
#[tokio::test]
async fn a_signal_term_beside_a_block_makes_no_authorized_match_drive_it() {
    let server = TestServer::start().await;
    let revision = cn_class_14_trademark(&server, Who::OwnerB, "beta", "Beta").await;
    let answer = check_at(
        &server,
        Who::PlatformP,
        listing("seller-p1", "Alpha Beta replica watch"),
        revision,
    )
    .await;
    assert_eq!(answer.verdict, BLOCK, "{answer:?}");
    let drives = |brand: &str| {
        answer
            .matches
            .iter()
            .find(|m| m.brand == brand)
            .map(|m| (m.reason, m.drives_verdict))
    };
    assert_eq!(
        drives("brands/alpha"),
        Some((pb::MatchReason::Authorized as i32, false)),
        "{answer:?}"
    );
    assert_eq!(
        drives("brands/beta"),
        Some((pb::MatchReason::Unauthorized as i32, true)),
        "{answer:?}"
    );
    // Alone, the authorized brand with the signal term is raised to
    // REVIEW, and drives it.
    let alone = check_at(
        &server,
        Who::PlatformP,
        listing("seller-p1", "Alpha replica watch"),
        revision,
    )
    .await;
    assert_eq!(alone.verdict, REVIEW, "{alone:?}");
    assert!(alone.matches[0].drives_verdict, "{alone:?}");
}

/// Every result of a batch names its listing by the `listing_id` sent, an
/// error's as a check's: a client matches results to listings by id, not
/// only by counting. An id that is itself invalid is not echoed (the
/// error names it).
#[tokio::test]
async fn every_batch_result_carries_its_listings_id() {
    let server = TestServer::start().await;
    let mut untitled = listing("seller-p1", "");
    untitled.listing_id = "L-untitled".into();
    let mut no_id = listing("stranger", "Alpha watch");
    no_id.listing_id = String::new();
    let mut long_id = listing("stranger", "Alpha watch");
    long_id.listing_id = "L".repeat(129);
    let mut control_id = listing("stranger", "");
    control_id.listing_id = "L\u{7}bell".into();
    let mut ok = listing("seller-p1", "Alpha watch");
    ok.listing_id = "L-ok ✓".into();
    let answer = server
        .check_as(Who::PlatformP)
        .batch_check_listings(pb::BatchCheckListingsRequest {
            listings: vec![ok, untitled, no_id, long_id, control_id],
            min_revision: 0,
        })
        .await
        .expect("batch")
        .into_inner();
    use pb::batch_check_result::Outcome;
    let seen: Vec<(&str, Option<&str>, bool)> = answer
        .results
        .iter()
        .map(|r| match &r.outcome {
            Some(Outcome::Result(check)) => (
                r.listing_id.as_str(),
                Some(check.listing_id.as_str()),
                false,
            ),
            Some(Outcome::Error(_)) => (r.listing_id.as_str(), None, true),
            None => panic!("a result without an outcome: {r:?}"),
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("L-ok ✓", Some("L-ok ✓"), false),
            ("L-untitled", None, true),
            ("", Some(""), false),
            ("", None, true),
            ("", None, true),
        ]
    );
    for (i, field) in [(3, "listings[3].listing_id"), (4, "listings[4].listing_id")] {
        let Some(Outcome::Error(status)) = &answer.results[i].outcome else {
            unreachable!()
        };
        use prost::Message;
        let bad = tonic_types::pb::BadRequest::decode(status.details[0].value.as_slice())
            .expect("BadRequest");
        assert!(
            bad.field_violations.iter().any(|v| v.field == field),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn batches_answer_in_order_with_per_listing_errors() {
    let server = TestServer::start().await;
    let mut bad = listing("stranger", "");
    bad.region = "XX".into();
    bad.image_hashes = vec!["nothex".into()];
    let answer = server
        .check_as(Who::PlatformP)
        .batch_check_listings(pb::BatchCheckListingsRequest {
            listings: vec![
                listing("seller-p1", "Alpha watch"),
                bad,
                listing("stranger", "Alpha watch"),
            ],
            min_revision: 0,
        })
        .await
        .expect("batch")
        .into_inner();
    assert_eq!(answer.results.len(), 3);
    use pb::batch_check_result::Outcome;
    match &answer.results[0].outcome {
        Some(Outcome::Result(r)) => assert_eq!(r.verdict, ALLOW),
        other => panic!("{other:?}"),
    }
    match &answer.results[1].outcome {
        Some(Outcome::Error(status)) => {
            assert_eq!(status.code, tonic::Code::InvalidArgument as i32);
            use prost::Message;
            let bad = tonic_types::pb::BadRequest::decode(status.details[0].value.as_slice())
                .expect("BadRequest");
            let fields: Vec<_> = bad
                .field_violations
                .iter()
                .map(|v| v.field.as_str())
                .collect();
            // Named from the request, as CheckListing names `listing.title`.
            assert!(
                fields.contains(&"listings[1].title")
                    && fields.contains(&"listings[1].region")
                    && fields.contains(&"listings[1].image_hashes[0]"),
                "{fields:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    match &answer.results[2].outcome {
        Some(Outcome::Result(r)) => assert_eq!(r.verdict, BLOCK),
        other => panic!("{other:?}"),
    }

    // Bounded inputs.
    let status = server
        .check_as(Who::PlatformP)
        .batch_check_listings(pb::BatchCheckListingsRequest {
            listings: vec![listing("s", "t"); 1001],
            min_revision: 0,
        })
        .await
        .expect_err("too many");
    assert_violations(&status, &["listings"]);
    let mut long = listing("s", &"x".repeat(1001));
    long.description = "y".repeat(20_001);
    long.image_hashes = vec!["0000000000000000".into(); 33];
    long.listing_id = "L".repeat(129);
    long.declared_brand = "B".repeat(201);
    let status = server
        .check_as(Who::PlatformP)
        .check_listing(pb::CheckListingRequest {
            listing: Some(long),
            min_revision: 0,
        })
        .await
        .expect_err("too long");
    assert_violations(
        &status,
        &[
            "listing.listing_id",
            "listing.title",
            "listing.description",
            "listing.declared_brand",
            "listing.image_hashes",
        ],
    );
    // Each says what it got.
    let status = server
        .check_as(Who::PlatformP)
        .check_listing(pb::CheckListingRequest {
            listing: Some(pb::Listing {
                listing_id: "L-1\u{0}".into(),
                declared_brand: "B".repeat(201),
                ..listing("s", "Alpha watch")
            }),
            min_revision: 0,
        })
        .await
        .expect_err("a control character in the id");
    assert_violations(&status, &["listing.listing_id", "listing.declared_brand"]);
    let said = field_violations(&status);
    assert!(
        said.iter()
            .any(|(f, d)| f == "listing.listing_id" && d.contains("U+0000"))
            && said
                .iter()
                .any(|(f, d)| f == "listing.declared_brand" && d.contains("got 201")),
        "{said:?}"
    );
}

/// A batch answer stays within what gRPC clients accept by default (4
/// MiB): a thousand listings of 16 matches each, every match naming a brand
/// with a 63-character id, its trademark and its authorization, would
/// answer about 5 MB. Past 3 MiB the weakest matches are left out and
/// counted; verdicts stay. A bad listing's error names at most 8 field
/// violations.
#[tokio::test]
async fn a_batch_answer_stays_within_a_clients_default_limit() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerB);
    let mut revision = 0;
    let mut names = Vec::new();
    for i in 0..16 {
        let id = format!("{}-{i:02}", "b".repeat(60));
        owner
            .create_brand(pb::CreateBrandRequest {
                brand_id: id.clone(),
                brand: Some(pb::Brand {
                    display_name: made_up_name(i),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create");
        let number = format!("LONG-{i}");
        class_14_trademark(&server, Who::OwnerB, &id, ("CN", &number), &made_up_name(i)).await;
        revision = owner
            .authorize_seller(pb::AuthorizeSellerRequest {
                parent: format!("brands/{id}"),
                authorization: Some(pb::Authorization {
                    platform: "members/platform-p".into(),
                    seller_account: "reseller".into(),
                    regions: vec!["CN".into()],
                    nice_classes: vec![14],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("authorize")
            .into_inner()
            .revision;
        names.push(made_up_name(i));
    }
    let title = names.join(" ");
    let one = pb::Listing {
        listing_id: "stuffed".into(),
        ..listing("reseller", &title)
    };
    let mut listings = vec![one.clone(); 1000];
    let mut bad = one.clone();
    bad.image_hashes = vec!["not a hash".into(); 32];
    listings[500] = bad;
    let answer = server
        .check_as(Who::PlatformP)
        .batch_check_listings(pb::BatchCheckListingsRequest {
            listings,
            min_revision: revision,
        })
        .await
        .expect("the answer fits a client's default limit")
        .into_inner();
    let bytes = prost::Message::encoded_len(&answer);
    assert!(bytes <= 3 << 20, "{bytes} bytes");
    assert_eq!(answer.results.len(), 1000);
    use pb::batch_check_result::Outcome;
    let mut trimmed = 0;
    for (i, result) in answer.results.iter().enumerate() {
        match &result.outcome {
            Some(Outcome::Result(r)) => {
                assert_eq!(r.verdict, ALLOW, "listing {i}");
                assert_eq!(
                    r.matches.len() + r.omitted_matches as usize,
                    16,
                    "listing {i}: every match shown or counted"
                );
                assert!(r.matches.iter().all(|m| !m.authorization.is_empty()));
                if r.omitted_matches > 0 {
                    trimmed += 1;
                } else {
                    assert_eq!(trimmed, 0, "listing {i}: whole answers come first");
                }
            }
            Some(Outcome::Error(status)) => {
                assert_eq!(i, 500, "{status:?}");
                use prost::Message;
                let bad = tonic_types::pb::BadRequest::decode(status.details[0].value.as_slice())
                    .expect("BadRequest");
                assert_eq!(bad.field_violations.len(), 8);
                assert!(
                    status.message.ends_with("and 24 more not listed"),
                    "{}",
                    status.message
                );
            }
            None => panic!("listing {i}: no outcome"),
        }
    }
    assert!(trimmed > 0, "the answer would not have fitted whole");
    // The first listing, alone, shows every match.
    let alone = check_at(&server, Who::PlatformP, one, revision).await;
    assert_eq!((alone.matches.len(), alone.omitted_matches), (16, 0));
}

/// A batch of bad listings also answers within a client's default limit:
/// each error's descriptions quote what was sent, escaped where it cannot be
/// shown (a combining accent takes 6 bytes as `\u0301`), and a thousand
/// listings of eight such hashes would otherwise answer several megabytes
/// of errors, which leaving out matches cannot make room for.
#[tokio::test]
async fn a_batch_of_bad_listings_answers_within_a_clients_default_limit() {
    let server = TestServer::start().await;
    let bad = pb::Listing {
        image_hashes: vec!["\u{301}".repeat(40); 8],
        ..listing("s", "Steel watch")
    };
    let answer = server
        .check_as(Who::PlatformP)
        .batch_check_listings(pb::BatchCheckListingsRequest {
            listings: vec![bad; 1000],
            min_revision: 0,
        })
        .await
        .expect("the answer fits a client's default limit")
        .into_inner();
    let bytes = prost::Message::encoded_len(&answer);
    assert!(bytes <= 3 << 20, "{bytes} bytes");
    assert_eq!(answer.results.len(), 1000);
    use pb::batch_check_result::Outcome;
    for (i, result) in answer.results.iter().enumerate() {
        let Some(Outcome::Error(status)) = &result.outcome else {
            panic!("listing {i}: {result:?}");
        };
        assert_eq!(status.code, tonic::Code::InvalidArgument as i32);
        assert!(
            status
                .message
                .starts_with(&format!("listing {i} is invalid: ")),
            "{}",
            status.message
        );
        use prost::Message;
        let bad = tonic_types::pb::BadRequest::decode(status.details[0].value.as_slice())
            .expect("BadRequest");
        let fields: Vec<String> = bad
            .field_violations
            .iter()
            .map(|v| v.field.clone())
            .collect();
        let expected: Vec<String> = (0..8)
            .map(|h| format!("listings[{i}].image_hashes[{h}]"))
            .collect();
        assert_eq!(fields, expected);
    }
}

#[tokio::test]
async fn logos_in_listing_images_are_evidence() {
    let server = TestServer::start().await;
    let hash = 0x0f0f_f0f0_3c3c_c3c3u64;
    let mut owner = server.registry_as(Who::OwnerA);
    let mut logo_names = Vec::new();
    for (description, h) in [("emblem", hash), ("monogram", !hash)] {
        let logo = owner
            .add_logo(pb::AddLogoRequest {
                parent: "brands/alpha".into(),
                description: description.into(),
                source: Some(pb::add_logo_request::Source::PerceptualHash(format!(
                    "{h:016x}"
                ))),
                request_id: String::new(),
            })
            .await
            .expect("logo")
            .into_inner();
        logo_names.push(logo.logo.expect("the logo").name);
    }
    let mut l = listing("stranger", "Steel watch, no brand");
    l.image_hashes = vec![format!("{:016x}", hash ^ 0b111)]; // 3 bits away: strong
    let strong = check(&server, Who::PlatformP, l.clone()).await;
    assert_eq!(strong.verdict, BLOCK, "{strong:?}");
    assert_eq!(strong.matches[0].evidence, pb::Evidence::Logo as i32);
    assert_eq!(strong.matches[0].logo_distance, 3);
    // The answer names the logo matched, whichever of the brand's it is.
    assert_eq!(strong.matches[0].matched_term, logo_names[0]);
    l.image_hashes = vec![format!("{:016x}", !hash ^ 0b1)];
    let second = check(&server, Who::PlatformP, l.clone()).await;
    assert_eq!(second.matches[0].matched_term, logo_names[1], "{second:?}");
    l.image_hashes = vec![format!("{:016x}", hash ^ 0xff)]; // 8 bits: a weak match
    let weak = check(&server, Who::PlatformP, l.clone()).await;
    assert_eq!(weak.verdict, REVIEW, "{weak:?}");
    l.image_hashes = vec![format!("{:016x}", hash ^ 0xffff_ffff)];
    let none = check(&server, Who::PlatformP, l).await;
    assert_eq!(none.verdict, ALLOW, "{none:?}");
}

#[tokio::test]
async fn a_declared_brand_answers_with_the_name_it_equals() {
    let server = TestServer::start().await;
    // The span is the field's, without the spaces around it.
    for (declared, name, span) in [
        ("ＡＬＰＨＡ", "Alpha", 0..15),
        ("阿尔法", "阿尔法", 0..9),
        ("  Alpha\t", "Alpha", 2..7),
    ] {
        let mut l = listing("stranger", "Steel watch");
        l.declared_brand = declared.into();
        let answer = check(&server, Who::PlatformP, l).await;
        let field = answer
            .matches
            .iter()
            .find(|m| m.evidence == pb::Evidence::BrandField as i32)
            .unwrap_or_else(|| panic!("{answer:?}"));
        assert_eq!(field.matched_term, name);
        assert_eq!(
            (field.start, field.end),
            (span.start, span.end),
            "{declared:?}"
        );
    }
}

/// The declared brand is read as text too, as the title is: a name among
/// other words is a match in that field with text evidence; a field equal
/// to a name is BRAND_FIELD (as rendered: `<b>Alpha</b>`), and not also
/// text, and another member's name it equals hides the names inside it
/// only where that brand is in scope.
#[tokio::test]
async fn a_declared_brand_is_read_as_text_too() {
    let server = TestServer::start().await;
    let declared = |d: &str| {
        let mut l = listing("stranger", "Steel watch, sapphire glass");
        l.declared_brand = d.into();
        l
    };
    let in_field = |answer: &pb::CheckListingResponse| -> Vec<(i32, u32, u32, bool)> {
        answer
            .matches
            .iter()
            .filter(|m| m.field == pb::ListingField::DeclaredBrand as i32)
            .map(|m| (m.evidence, m.start, m.end, m.strong))
            .collect()
    };
    let exact = pb::Evidence::TextExact as i32;
    // A name among other words: text evidence at its span in the field.
    let answer = check(&server, Who::PlatformP, declared("Alpha Official Store")).await;
    assert_eq!(answer.verdict, BLOCK, "{answer:?}");
    assert_eq!(in_field(&answer), [(exact, 0, 5, true)], "{answer:?}");
    assert_eq!(answer.matches[0].matched_term, "Alpha");
    assert_eq!(answer.matches[0].brand, "brands/alpha");
    // Obfuscated and misspelt, as in a title.
    let answer = check(&server, Who::PlatformP, declared("A.l.p.h.a Store")).await;
    assert_eq!(
        in_field(&answer),
        [(pb::Evidence::TextObfuscated as i32, 0, 9, true)],
        "{answer:?}"
    );
    let answer = check(&server, Who::PlatformP, declared("Alpah Store")).await;
    assert_eq!(answer.verdict, REVIEW, "{answer:?}");
    assert_eq!(
        in_field(&answer),
        [(pb::Evidence::TextFuzzy as i32, 0, 5, false)],
        "{answer:?}"
    );
    // After a compatibility phrase, nominative use, weak.
    let answer = check(&server, Who::PlatformP, declared("Straps for Alpha")).await;
    assert_eq!(answer.verdict, REVIEW, "{answer:?}");
    assert_eq!(in_field(&answer), [(exact, 11, 16, false)], "{answer:?}");
    // A signal term there raises the verdict as one in the title does.
    let answer = check(&server, Who::PlatformP, declared("Alpah replica")).await;
    assert_eq!(answer.verdict, BLOCK, "{answer:?}");
    assert_eq!(answer.signal_terms, ["replica"]);
    // A field equal to a name is BRAND_FIELD alone, not also text; as
    // rendered, its span the name's in the field as sent.
    for (field, span) in [(" Alpha ", 1..6), ("<b>Alpha</b>&nbsp;", 3..8)] {
        let answer = check(&server, Who::PlatformP, declared(field)).await;
        assert_eq!(
            in_field(&answer),
            [(pb::Evidence::BrandField as i32, span.start, span.end, true)],
            "{field}: {answer:?}"
        );
    }
    // Another member registers a name around Alpha's, with no trademark:
    // a field equal to it still shows Alpha.
    server
        .registry_as(Who::OwnerB)
        .create_brand(common::brand_named("alpha-store", "Alpha Store"))
        .await
        .expect("a brand named around another's");
    let answer = check(&server, Who::PlatformP, declared("Alpha Store")).await;
    assert_eq!(answer.verdict, BLOCK, "{answer:?}");
    assert!(
        answer.matches.iter().any(|m| m.brand == "brands/alpha"
            && m.evidence == exact
            && m.field == pb::ListingField::DeclaredBrand as i32
            && (m.start, m.end) == (0, 5)),
        "{answer:?}"
    );
    // The authorized seller's listing stays allowed; no name, nothing.
    let mut l = declared("Alpha Official Store");
    l.seller_account = "seller-p1".into();
    let answer = check(&server, Who::PlatformP, l).await;
    assert_eq!(answer.verdict, ALLOW, "{answer:?}");
    let answer = check(&server, Who::PlatformP, declared("Alphabet Store")).await;
    assert_eq!(
        (answer.verdict, answer.matches.len()),
        (ALLOW, 0),
        "{answer:?}"
    );
}

/// A made-up word for `i`, two letters away from every other's.
fn made_up_name(i: usize) -> String {
    const SYLLABLES: [&str; 5] = ["ka", "ro", "mi", "tu", "se"];
    let s = |k: usize| SYLLABLES[(i / 5usize.pow(k as u32)) % 5];
    format!("Q{}{}{}x", s(0), s(1), s(2))
}

#[tokio::test]
async fn brand_changes_are_found_by_the_next_check() {
    // Forty renames of one alias: each found by a check at the write's
    // revision, the one before it no longer, from the detection index's
    // overlay (one changed brand never starts a new base; the next test
    // covers that).
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let mut etag = owner
        .get_brand(pb::GetBrandRequest {
            name: "brands/alpha".into(),
            min_revision: 0,
        })
        .await
        .expect("get")
        .into_inner()
        .brand
        .expect("brand")
        .etag;
    let alpha_exact = |r: &pb::CheckListingResponse, term: &str| {
        r.matches.iter().any(|m| {
            m.brand == "brands/alpha"
                && m.evidence == pb::Evidence::TextExact as i32
                && m.matched_term == term
        })
    };
    for i in 0..40 {
        let name = made_up_name(i);
        let updated = owner
            .update_brand(pb::UpdateBrandRequest {
                brand: Some(pb::Brand {
                    name: "brands/alpha".into(),
                    aliases: vec!["阿尔法".into(), name.clone()],
                    etag: etag.clone(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["aliases".into()],
                }),
                request_id: String::new(),
            })
            .await
            .expect("update")
            .into_inner();
        etag = updated.brand.expect("brand").etag;
        let at = |title: String| pb::CheckListingRequest {
            listing: Some(listing("seller-x", &title)),
            min_revision: updated.revision,
        };
        let mut checker = server.check_as(Who::PlatformP);
        let now = checker
            .check_listing(at(format!("{name} steel watch")))
            .await
            .expect("check")
            .into_inner();
        assert!(now.revision >= updated.revision);
        assert!(alpha_exact(&now, &name), "{name}: {now:?}");
        assert_eq!(now.verdict, BLOCK, "{now:?}");
        if i > 0 {
            let before = made_up_name(i - 1);
            let then = checker
                .check_listing(at(format!("{before} steel watch")))
                .await
                .expect("check")
                .into_inner();
            assert!(!alpha_exact(&then, &before), "{before}: {then:?}");
        }
    }
}

#[tokio::test]
async fn a_quiet_registry_adopts_the_new_index_base() {
    // New brands until sixteen brands changed since the detection index's
    // base was built (the least that starts a new base behind the
    // overlay), then no change: the server adopts the new base once it is
    // built, without waiting for a write, and the brands are found from it.
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let changed = || {
        server
            .registry
            .snapshot()
            .detection()
            .expect("index")
            .overlay_size()
            .1
    };
    let mut last = 0;
    let mut created = 0;
    while changed() < 16 {
        assert!(
            created < 16,
            "{created} new brands did not start a new base"
        );
        last = owner
            .create_brand(pb::CreateBrandRequest {
                brand_id: format!("quiet-{created}"),
                brand: Some(pb::Brand {
                    display_name: made_up_name(created),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create")
            .into_inner()
            .revision;
        created += 1;
    }
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while changed() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the new base was not adopted: {} brands still in the overlay",
            changed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(server.registry.snapshot().revision(), last);
    let mut checker = server.check_as(Who::PlatformP);
    for i in [0, created - 1] {
        let name = made_up_name(i);
        let found = checker
            .check_listing(pb::CheckListingRequest {
                listing: Some(listing("seller-x", &format!("{name} steel watch"))),
                min_revision: last,
            })
            .await
            .expect("check")
            .into_inner();
        assert!(
            found
                .matches
                .iter()
                .any(|m| m.brand == format!("brands/quiet-{i}")
                    && m.evidence == pb::Evidence::TextExact as i32),
            "{name}: {found:?}"
        );
    }
}

#[tokio::test]
async fn an_authorization_allows_a_listing_only_while_active_and_valid() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerA);
    let alpha = |class: i32| {
        let mut l = listing("seller-p1", "Alpha steel watch");
        l.nice_class = class;
        l
    };
    // The answer's verdict and, for an allowed listing, the authorization.
    let outcome = |r: pb::CheckListingResponse| {
        let m = r.matches.first().cloned().unwrap_or_default();
        (r.verdict, m.reason, m.authorization)
    };
    let allowed = check(&server, Who::PlatformP, alpha(14)).await;
    let (verdict, _, first) = outcome(allowed);
    assert_eq!(verdict, ALLOW);
    let unauthorized = (BLOCK, pb::MatchReason::Unauthorized as i32, String::new());

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let at = |seconds: i64| Some(prost_types::Timestamp { seconds, nanos: 0 });
    let day = 86_400;
    // Each change, then what a check by seller-p1 in class 14 gets.
    let changes: [(&str, pb::Authorization, (i32, i32, String)); 4] = [
        (
            "status",
            pb::Authorization {
                status: pb::AuthorizationStatus::Suspended as i32,
                ..Default::default()
            },
            unauthorized.clone(),
        ),
        (
            "status,valid_from",
            pb::Authorization {
                status: pb::AuthorizationStatus::Active as i32,
                valid_from: at(now + day),
                ..Default::default()
            },
            unauthorized.clone(),
        ),
        (
            "valid_from,valid_until",
            pb::Authorization {
                valid_from: at(now - 2 * day),
                valid_until: at(now + day),
                ..Default::default()
            },
            (ALLOW, pb::MatchReason::Authorized as i32, first.clone()),
        ),
        (
            "nice_classes",
            pb::Authorization {
                nice_classes: vec![18],
                ..Default::default()
            },
            unauthorized.clone(),
        ),
    ];
    for (mask, change, expected) in changes {
        owner
            .update_authorization(pb::UpdateAuthorizationRequest {
                authorization: Some(pb::Authorization {
                    name: first.clone(),
                    ..change
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: mask.split(',').map(str::to_string).collect(),
                }),
                request_id: String::new(),
            })
            .await
            .unwrap_or_else(|e| panic!("update {mask}: {e:?}"));
        let got = outcome(check(&server, Who::PlatformP, alpha(14)).await);
        assert_eq!(got, expected, "after changing {mask}");
        if mask == "status,valid_from" {
            // A window moved wholly into the past (a mistyped year) is
            // refused, and the check answers as before it.
            let refused = owner
                .update_authorization(pb::UpdateAuthorizationRequest {
                    authorization: Some(pb::Authorization {
                        name: first.clone(),
                        valid_from: at(now - 2 * day),
                        valid_until: at(now - day),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["valid_from".into(), "valid_until".into()],
                    }),
                    request_id: String::new(),
                })
                .await
                .expect_err("an end already past");
            assert_violations(&refused, &["authorization.valid_until"]);
            let got = outcome(check(&server, Who::PlatformP, alpha(14)).await);
            assert_eq!(got, expected, "after a refused change");
        }
    }

    // Revoked, it allows nothing; a new one for the same seller (a seller
    // has one authorization besides revoked ones) is the one that counts.
    owner
        .revoke_authorization(pb::RevokeAuthorizationRequest {
            name: first.clone(),
            request_id: String::new(),
        })
        .await
        .expect("revoke");
    assert_eq!(
        outcome(check(&server, Who::PlatformP, alpha(18)).await),
        unauthorized
    );
    let second = owner
        .authorize_seller(pb::AuthorizeSellerRequest {
            parent: "brands/alpha".into(),
            authorization: Some(pb::Authorization {
                platform: "members/platform-p".into(),
                seller_account: "seller-p1".into(),
                nice_classes: vec![14],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("authorize")
        .into_inner()
        .authorization
        .expect("authorization")
        .name;
    assert_ne!(second, first);
    assert_eq!(
        outcome(check(&server, Who::PlatformP, alpha(14)).await),
        (ALLOW, pb::MatchReason::Authorized as i32, second)
    );
    assert_eq!(
        outcome(check(&server, Who::PlatformP, alpha(18)).await),
        unauthorized
    );
}

/// Clients may compress what they send (gzip), within each service's limit
/// once decompressed; pages of records come back compressed to clients that
/// accept it, check answers never.
#[tokio::test]
async fn gzip_requests_are_read_and_record_pages_answered_compressed() {
    use tonic::codec::CompressionEncoding::Gzip;
    let server = TestServer::start().await;
    let title = "Alpha steel watch";
    let batch = pb::BatchCheckListingsRequest {
        listings: vec![listing("seller-p1", title), listing("stranger", title)],
        min_revision: 0,
    };
    let plain = server
        .check_as(Who::PlatformP)
        .batch_check_listings(batch.clone())
        .await
        .expect("plain batch")
        .into_inner();
    let answer = server
        .check_as(Who::PlatformP)
        .send_compressed(Gzip)
        .accept_compressed(Gzip)
        .batch_check_listings(batch)
        .await
        .expect("a gzip batch is read");
    assert_eq!(
        answer.metadata().get("grpc-encoding"),
        None,
        "check answers are not compressed"
    );
    let compressed = answer.into_inner();
    assert_eq!(compressed.results, plain.results);
    let verdicts: Vec<_> = compressed
        .results
        .iter()
        .map(|r| match &r.outcome {
            Some(pb::batch_check_result::Outcome::Result(r)) => r.verdict,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(verdicts, [ALLOW, BLOCK]);

    let page = server
        .registry_as(Who::PlatformP)
        .accept_compressed(Gzip)
        .list_brands(pb::ListBrandsRequest::default())
        .await
        .expect("list brands");
    assert_eq!(
        page.metadata()
            .get("grpc-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    assert!(
        page.into_inner()
            .brands
            .iter()
            .any(|b| b.name == "brands/alpha")
    );
    let page = server
        .registry_as(Who::PlatformP)
        .list_brands(pb::ListBrandsRequest::default())
        .await
        .expect("list brands");
    assert_eq!(
        page.metadata().get("grpc-encoding"),
        None,
        "only for clients that accept gzip"
    );

    // A few kilobytes that would decompress past the check service's limit
    // are refused, and the server goes on.
    let mut bomb = listing("stranger", title);
    bomb.description = "a".repeat(8 * 1024 * 1024);
    let refused = server
        .check_as(Who::PlatformP)
        .send_compressed(Gzip)
        .check_listing(pb::CheckListingRequest {
            listing: Some(bomb),
            min_revision: 0,
        })
        .await
        .expect_err("past the limit once decompressed");
    assert_eq!(
        refused.code(),
        tonic::Code::ResourceExhausted,
        "{refused:?}"
    );
    let after = check(&server, Who::PlatformP, listing("stranger", title)).await;
    assert_eq!(after.verdict, BLOCK);
}

/// Registers a word mark for `brand` at the CN office for class 14, as
/// `who`; returns the write's revision.
async fn cn_class_14_trademark(server: &TestServer, who: Who, brand: &str, mark: &str) -> u64 {
    let number = format!("{}-1", brand.to_uppercase());
    class_14_trademark(server, who, brand, ("CN", &number), mark).await
}

/// Registers a word mark for `brand` at `office` under `number` for class
/// 14, as `who`; returns the write's revision.
async fn class_14_trademark(
    server: &TestServer,
    who: Who,
    brand: &str,
    (office, number): (&str, &str),
    mark: &str,
) -> u64 {
    server
        .registry_as(who)
        .add_trademark(pb::AddTrademarkRequest {
            parent: format!("brands/{brand}"),
            trademark: Some(pb::Trademark {
                office: office.into(),
                registration_number: number.into(),
                mark_text: mark.into(),
                kind: pb::TrademarkKind::Word as i32,
                nice_classes: vec![14],
                status: pb::TrademarkStatus::Registered as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("trademark")
        .into_inner()
        .revision
}

/// Authorizes `seller` on platform-p for `brand`, as `who`, everywhere and
/// for good; returns the write's revision.
async fn authorize_on_platform_p(server: &TestServer, who: Who, brand: &str, seller: &str) -> u64 {
    server
        .registry_as(who)
        .authorize_seller(pb::AuthorizeSellerRequest {
            parent: format!("brands/{brand}"),
            authorization: Some(pb::Authorization {
                platform: "members/platform-p".into(),
                seller_account: seller.into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("authorize")
        .into_inner()
        .revision
}

/// A member cannot hide another's brand by registering a name around it:
/// `Alpha Bag`, owner-b's alias, shows with owner-a's `Alpha` without a
/// trademark for the goods, and with one too, registered after `Alpha`.
#[tokio::test]
async fn a_name_registered_around_another_owners_brand_never_hides_it() {
    let server = TestServer::start().await;
    let mut owner_b = server.registry_as(Who::OwnerB);
    let revision = owner_b
        .create_brand(pb::CreateBrandRequest {
            brand_id: "beta-bags".into(),
            brand: Some(pb::Brand {
                display_name: "Beta Bags".into(),
                aliases: vec!["Alpha Bag".into()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("an alias around another owner's name is registrable")
        .into_inner()
        .revision;
    let seen = |answer: &pb::CheckListingResponse| {
        let mut seen: Vec<(String, i32)> = answer
            .matches
            .iter()
            .map(|m| (m.brand.clone(), m.reason))
            .collect();
        seen.sort();
        seen
    };
    let mut l = listing("stranger", "Alpha bag, black leather");
    let answer = check_at(&server, Who::PlatformP, l.clone(), revision).await;
    assert_eq!(answer.verdict, BLOCK, "{answer:?}");
    assert_eq!(
        seen(&answer),
        [
            (
                "brands/alpha".to_owned(),
                pb::MatchReason::Unauthorized as i32
            ),
            (
                "brands/beta-bags".to_owned(),
                pb::MatchReason::OutOfScope as i32
            ),
        ],
        "{answer:?}"
    );
    // Obfuscated the same.
    l.title = "A.l.p.h.a bag".into();
    let answer = check_at(&server, Who::PlatformP, l.clone(), revision).await;
    assert_eq!(answer.verdict, BLOCK, "{answer:?}");
    assert!(
        answer.matches.iter().any(|m| m.brand == "brands/alpha"),
        "{answer:?}"
    );

    // A misspelling of it registered around it hides nothing either.
    let revision = owner_b
        .create_brand(pb::CreateBrandRequest {
            brand_id: "beta-purses".into(),
            brand: Some(pb::Brand {
                display_name: "Beta Purses".into(),
                aliases: vec!["Alpah Purse".into()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create")
        .into_inner()
        .revision;
    l.title = "Alpah purse, black".into();
    let answer = check_at(&server, Who::PlatformP, l.clone(), revision).await;
    assert_eq!(answer.verdict, REVIEW, "{answer:?}");
    assert!(
        answer
            .matches
            .iter()
            .any(|m| m.brand == "brands/alpha" && m.evidence == pb::Evidence::TextFuzzy as i32),
        "{answer:?}"
    );

    // With a trademark for the goods, `Alpha Bag` is owner-b's name too,
    // but registered after `Alpha`: both are shown.
    let revision = cn_class_14_trademark(&server, Who::OwnerB, "beta-bags", "ALPHA BAG").await;
    l.title = "Alpha bag, black leather".into();
    let answer = check_at(&server, Who::PlatformP, l.clone(), revision).await;
    assert_eq!(answer.verdict, BLOCK, "{answer:?}");
    assert_eq!(
        seen(&answer),
        [
            (
                "brands/alpha".to_owned(),
                pb::MatchReason::Unauthorized as i32
            ),
            (
                "brands/beta-bags".to_owned(),
                pb::MatchReason::Unauthorized as i32
            ),
        ],
        "{answer:?}"
    );
    // `Alpha` alone is still owner-a's.
    l.title = "Alpha steel watch".into();
    let answer = check(&server, Who::PlatformP, l).await;
    assert_eq!(
        seen(&answer),
        [(
            "brands/alpha".to_owned(),
            pb::MatchReason::Unauthorized as i32
        )],
        "{answer:?}"
    );
}

/// A member cannot take another's misspellings out of review by
/// registering them as its own names: `Alpah`, owner-b's alias registered
/// after owner-a's `Alpha`, is still a misspelt `Alpha`, without a
/// trademark for the goods and with one, and a listing of it by a seller
/// owner-b authorizes is reviewed for `Alpha`, not let through.
#[tokio::test]
async fn a_misspelling_registered_by_another_owner_never_hides_the_brand_registered_before() {
    let server = TestServer::start().await;
    let mut owner_b = server.registry_as(Who::OwnerB);
    let revision = owner_b
        .create_brand(pb::CreateBrandRequest {
            brand_id: "beta-alpah".into(),
            brand: Some(pb::Brand {
                display_name: "Beta Alpah".into(),
                aliases: vec!["Alpah".into()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("another owner's misspelling is registrable")
        .into_inner()
        .revision;
    let found = |answer: &pb::CheckListingResponse| {
        let mut found: Vec<(String, i32, i32, bool)> = answer
            .matches
            .iter()
            .map(|m| (m.brand.clone(), m.evidence, m.reason, m.drives_verdict))
            .collect();
        found.sort();
        found
    };
    let alpha_misspelt = (
        "brands/alpha".to_owned(),
        pb::Evidence::TextFuzzy as i32,
        pb::MatchReason::Unauthorized as i32,
        true,
    );
    let l = listing("cheap-deals-99", "Alpah steel watch");
    let answer = check_at(&server, Who::PlatformP, l.clone(), revision).await;
    assert_eq!(answer.verdict, REVIEW, "{answer:?}");
    assert_eq!(
        found(&answer),
        [
            alpha_misspelt.clone(),
            (
                "brands/beta-alpah".to_owned(),
                pb::Evidence::TextExact as i32,
                pb::MatchReason::OutOfScope as i32,
                false,
            ),
        ],
        "{answer:?}"
    );

    // With a trademark for the goods, `Alpah` is owner-b's name, and still
    // a misspelt `Alpha`, registered before it.
    let revision = cn_class_14_trademark(&server, Who::OwnerB, "beta-alpah", "ALPAH").await;
    let answer = check_at(&server, Who::PlatformP, l.clone(), revision).await;
    assert_eq!(answer.verdict, BLOCK, "{answer:?}");
    let not_driving = (
        alpha_misspelt.0.clone(),
        alpha_misspelt.1,
        alpha_misspelt.2,
        false,
    );
    assert!(found(&answer).contains(&not_driving), "{answer:?}");

    // Its seller, authorized by owner-b, is reviewed for `Alpha`.
    let revision =
        authorize_on_platform_p(&server, Who::OwnerB, "beta-alpah", "cheap-deals-99").await;
    let answer = check_at(&server, Who::PlatformP, l, revision).await;
    assert_eq!(answer.verdict, REVIEW, "{answer:?}");
    assert_eq!(
        found(&answer),
        [
            alpha_misspelt,
            (
                "brands/beta-alpah".to_owned(),
                pb::Evidence::TextExact as i32,
                pb::MatchReason::Authorized as i32,
                false,
            ),
        ],
        "{answer:?}"
    );
}

/// A name registered first, with a trademark for the goods, is its brand's
/// name where it is written, not a mention of a brand another member
/// registers later inside it (`Gamma Bag` before `Gamma`), nor a
/// misspelling of it (`Gamna`); once its brand changes after the later one
/// was created, it hides nothing more.
#[tokio::test]
async fn a_name_registered_first_hides_a_later_brand_of_another_owner() {
    let server = TestServer::start().await;
    let brand = |id: &str, name: &str, aliases: &[&str]| pb::CreateBrandRequest {
        brand_id: id.into(),
        brand: Some(pb::Brand {
            display_name: name.into(),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let mut owner_b = server.registry_as(Who::OwnerB);
    owner_b
        .create_brand(brand("gamma-bags", "Gamma Bag", &["Gamna"]))
        .await
        .expect("create");
    cn_class_14_trademark(&server, Who::OwnerB, "gamma-bags", "GAMMA BAG").await;
    server
        .registry_as(Who::OwnerA)
        .create_brand(brand("gamma", "Gamma", &[]))
        .await
        .expect("create");
    let revision = cn_class_14_trademark(&server, Who::OwnerA, "gamma", "GAMMA").await;
    let brands = |answer: &pb::CheckListingResponse| {
        let mut brands: Vec<String> = answer.matches.iter().map(|m| m.brand.clone()).collect();
        brands.sort();
        brands
    };
    for (title, shown) in [
        ("Gamma bag, black leather", "brands/gamma-bags"),
        ("Gamna steel watch", "brands/gamma-bags"),
        ("Gamma steel watch", "brands/gamma"),
    ] {
        let answer = check_at(
            &server,
            Who::PlatformP,
            listing("stranger", title),
            revision,
        )
        .await;
        assert_eq!(brands(&answer), [shown], "{title}: {answer:?}");
    }

    // Its brand changed after `Gamma` was created: its names may be new.
    let revision = owner_b
        .update_brand(pb::UpdateBrandRequest {
            brand: Some(pb::Brand {
                name: "brands/gamma-bags".into(),
                display_name: "Gamma Bag".into(),
                aliases: vec!["Gamna".into(), "Gamma Tote".into()],
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["aliases".into()],
            }),
            ..Default::default()
        })
        .await
        .expect("update")
        .into_inner()
        .revision;
    for (title, shown) in [
        (
            "Gamma bag, black leather",
            &["brands/gamma", "brands/gamma-bags"][..],
        ),
        (
            "Gamna steel watch",
            &["brands/gamma", "brands/gamma-bags"][..],
        ),
    ] {
        let answer = check_at(
            &server,
            Who::PlatformP,
            listing("stranger", title),
            revision,
        )
        .await;
        assert_eq!(brands(&answer), shown, "{title}: {answer:?}");
        assert_eq!(answer.verdict, BLOCK, "{title}: {answer:?}");
    }
}

/// No member hides another's brand from checks by registering a name
/// around it with a trademark for the goods and authorizing a seller for
/// it: owner-a's `Alpha`, registered first, stays in the answer, and the
/// seller's listing is blocked, not let through.
#[tokio::test]
async fn a_member_cannot_hide_another_members_brand_from_its_own_authorized_seller() {
    let server = TestServer::start().await;
    let l = listing("cheap-deals-99", "Alpha Official automatic watch");
    let answer = check(&server, Who::PlatformP, l.clone()).await;
    assert_eq!(answer.verdict, BLOCK, "{answer:?}");

    let mut owner_b = server.registry_as(Who::OwnerB);
    owner_b
        .create_brand(pb::CreateBrandRequest {
            brand_id: "alpha-official".into(),
            brand: Some(pb::Brand {
                display_name: "Alpha Official".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create");
    cn_class_14_trademark(&server, Who::OwnerB, "alpha-official", "ALPHA OFFICIAL").await;
    let revision =
        authorize_on_platform_p(&server, Who::OwnerB, "alpha-official", "cheap-deals-99").await;
    let alpha = |answer: &pb::CheckListingResponse, evidence: pb::Evidence| {
        answer.matches.iter().any(|m| {
            m.brand == "brands/alpha"
                && m.evidence == evidence as i32
                && m.reason == pb::MatchReason::Unauthorized as i32
                && m.drives_verdict
        })
    };

    let answer = check_at(&server, Who::PlatformP, l, revision).await;
    assert_eq!(answer.verdict, BLOCK, "{answer:?}");
    assert!(alpha(&answer, pb::Evidence::TextExact), "{answer:?}");
    assert!(
        answer
            .matches
            .iter()
            .any(|m| m.brand == "brands/alpha-official"
                && m.reason == pb::MatchReason::Authorized as i32),
        "{answer:?}"
    );
}

/// A listing stuffed with brand names answers a few matches, not one per
/// mention: a brand once per field and kind of evidence, at most 16 in all
/// with the ones that drive the verdict first, and each signal term once.
/// A batch of such listings stays far below a client's 4 MiB limit.
#[tokio::test]
async fn a_listing_stuffed_with_brand_names_answers_a_bounded_list() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerB);
    let mut revision = 0;
    for i in 0..20 {
        revision = owner
            .create_brand(pb::CreateBrandRequest {
                brand_id: format!("stuffed-{i}"),
                brand: Some(pb::Brand {
                    display_name: made_up_name(i),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create")
            .into_inner()
            .revision;
    }
    let mut stuffed = listing("stranger", "Alpha watch Alpha replica");
    stuffed.description = "Alpha 阿尔法 replica ".repeat(1000);
    let answer = check_at(&server, Who::PlatformP, stuffed.clone(), revision).await;
    assert_eq!(answer.verdict, BLOCK, "{answer:?}");
    let mut seen: Vec<(i32, String)> = answer
        .matches
        .iter()
        .map(|m| (m.field, m.matched_term.clone()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (pb::ListingField::Title as i32, "Alpha".to_owned()),
            (pb::ListingField::Description as i32, "Alpha".to_owned()),
        ],
        "one match per field, its first occurrence: {answer:?}"
    );
    let title = answer
        .matches
        .iter()
        .find(|m| m.field == pb::ListingField::Title as i32)
        .expect("title match");
    assert_eq!((title.start, title.end), (0, 5));
    assert_eq!(answer.signal_terms, ["replica"]);
    assert_eq!(answer.omitted_matches, 0);

    // Twenty brands and Alpha in one description: 16 reported, Alpha (the
    // one that drives the verdict; the others are out of scope) among them.
    let mut crowded = listing("stranger", "Leather goods");
    crowded.description = (0..20)
        .map(made_up_name)
        .chain(["Alpha".to_owned()])
        .collect::<Vec<_>>()
        .join(", ");
    let answer = check_at(&server, Who::PlatformP, crowded, revision).await;
    assert_eq!(answer.verdict, BLOCK, "{answer:?}");
    assert_eq!(answer.matches.len(), 16, "{answer:?}");
    assert_eq!(answer.omitted_matches, 5, "{answer:?}");
    assert!(
        answer
            .matches
            .iter()
            .any(|m| m.brand == "brands/alpha" && m.drives_verdict),
        "{answer:?}"
    );

    // A batch of 100 stuffed listings (1,500 mentions each, a request just
    // under 1 MiB) answers a few kilobytes each, not 150.
    let batch = server
        .check_as(Who::PlatformP)
        .batch_check_listings(pb::BatchCheckListingsRequest {
            listings: vec![
                pb::Listing {
                    description: "Alpha ".repeat(1500),
                    ..stuffed.clone()
                };
                100
            ],
            min_revision: revision,
        })
        .await
        .expect("batch")
        .into_inner();
    assert_eq!(batch.results.len(), 100);
    let bytes = prost::Message::encoded_len(&batch);
    assert!(bytes < 100 << 10, "{bytes} bytes");
}

/// Of one brand's matches of one kind in a field, the closest is reported:
/// `2 lanternways` (the number joined, distance 2) and `lanternways`
/// (distance 1) are one mention, reported as the nearer.
#[tokio::test]
async fn of_overlapping_misspellings_the_closest_is_reported() {
    let server = TestServer::start().await;
    let mut owner = server.registry_as(Who::OwnerB);
    owner
        .create_brand(common::brand_named("lanternway", "Lanternway"))
        .await
        .expect("create");
    let revision = cn_class_14_trademark(&server, Who::OwnerB, "lanternway", "LANTERNWAY").await;
    let title = "Set of 2 lanternways, outdoor";
    let answer = check_at(
        &server,
        Who::PlatformP,
        listing("stranger", title),
        revision,
    )
    .await;
    assert_eq!(answer.verdict, REVIEW, "{answer:?}");
    assert_eq!(answer.matches.len(), 1, "{answer:?}");
    let m = &answer.matches[0];
    assert_eq!(
        &title[m.start as usize..m.end as usize],
        "lanternways",
        "{answer:?}"
    );
}

/// A mark stored as registered puts its brand in scope from its
/// registration date on, not before: one dated years ahead leaves a
/// listing out of scope, as a mark of that class does once it is dated in
/// the past.
#[tokio::test]
async fn a_mark_registered_on_a_day_to_come_is_not_yet_in_scope() {
    let server = TestServer::start().await;
    let add = |number: &'static str, year: i32| {
        let mut owner = server.registry_as(Who::OwnerA);
        async move {
            let answer = owner
                .add_trademark(pb::AddTrademarkRequest {
                    parent: "brands/alpha".into(),
                    trademark: Some(pb::Trademark {
                        office: "CN".into(),
                        registration_number: number.into(),
                        mark_text: "ALPHA".into(),
                        kind: pb::TrademarkKind::Word as i32,
                        nice_classes: vec![25],
                        status: pb::TrademarkStatus::Registered as i32,
                        registration_date: Some(marque::pb::google::r#type::Date {
                            year,
                            month: 6,
                            day: 1,
                        }),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .expect("trademark")
                .into_inner();
            (answer.revision, answer.trademark.expect("trademark").name)
        }
    };
    let shoes = || pb::Listing {
        nice_class: 25,
        ..listing("stranger", "Alpha running shoes")
    };
    let (revision, _) = add("CN-LATER-25", 2099).await;
    let later = check_at(&server, Who::PlatformP, shoes(), revision).await;
    assert_eq!(later.verdict, ALLOW, "{later:?}");
    assert_eq!(later.matches[0].reason, pb::MatchReason::OutOfScope as i32);
    let (revision, name) = add("CN-EARLIER-25", 2020).await;
    let now = check_at(&server, Who::PlatformP, shoes(), revision).await;
    assert_eq!(now.verdict, BLOCK, "{now:?}");
    assert_eq!(now.matches[0].trademark, name);
}

/// HTML in a description is read as a buyer sees it: markup inside a name
/// hides nothing (and makes the match obfuscated), an entity between a
/// compatibility phrase and a name is a space, and every span is the text
/// as sent.
#[tokio::test]
async fn html_in_a_description_is_read_as_rendered() {
    let server = TestServer::start().await;
    let with = |description: &str| pb::Listing {
        description: description.into(),
        ..listing("stranger", "Steel watch")
    };
    for (description, shown) in [
        ("<p>Brand: Al<b></b>pha</p>", "Al<b></b>pha"),
        ("Brand: Al&#112;ha.", "Al&#112;ha"),
        // As a browser reads them: a reference without its `;`, a tag of
        // an older element, a `>` inside a quoted value, a tag of a name
        // HTML does not know (a browser hides it, drawing what follows).
        ("Brand: Al&#112ha.", "Al&#112ha"),
        ("Brand: Al<ruby></ruby>pha.", "Al<ruby></ruby>pha"),
        (
            r#"Brand: Al<span title="<x>"></span>pha."#,
            r#"Al<span title="<x>"></span>pha"#,
        ),
        ("Brand: Al<zz></zz>pha.", "Al<zz></zz>pha"),
        // What a browser hides: a script's text, a comment a browser ends
        // at `--!>`; a tag as long as it likes.
        ("Brand: Al<script>x</script>pha.", "Al<script>x</script>pha"),
        ("Brand: Al<!--x--!>pha.", "Al<!--x--!>pha"),
        (
            r#"Brand: Al<span style="display:none">x</span>pha."#,
            r#"Al<span style="display:none">x</span>pha"#,
        ),
        // CSS as a browser reads it, and a custom element hidden so.
        (
            r#"Brand: Al<i style="opacity:.01">x</i>pha."#,
            r#"Al<i style="opacity:.01">x</i>pha"#,
        ),
        (
            r#"Brand: Al<x-y style="font:0/0 a;color:red">x</x-y>pha."#,
            r#"Al<x-y style="font:0/0 a;color:red">x</x-y>pha"#,
        ),
    ] {
        let hidden = check(&server, Who::PlatformP, with(description)).await;
        assert_eq!(hidden.verdict, BLOCK, "{description}: {hidden:?}");
        let m = &hidden.matches[0];
        assert_eq!(m.evidence, pb::Evidence::TextObfuscated as i32);
        assert_eq!(m.field, pb::ListingField::Description as i32);
        assert_eq!(
            &description[m.start as usize..m.end as usize],
            shown,
            "{description}"
        );
    }
    let plain = check(&server, Who::PlatformP, with("<li><b>Alpha</b> steel</li>")).await;
    assert_eq!(plain.verdict, BLOCK);
    assert_eq!(plain.matches[0].evidence, pb::Evidence::TextExact as i32);
    assert_eq!((plain.matches[0].start, plain.matches[0].end), (7, 12));

    let strap = check(
        &server,
        Who::PlatformP,
        with("Leather strap for&nbsp;Alpha watches"),
    )
    .await;
    assert_eq!(strap.verdict, REVIEW, "{strap:?}");
    assert_eq!(
        strap.matches[0].reason,
        pb::MatchReason::NominativeUse as i32
    );
    let long = format!("Brand: Al<b title=\"{}\">pha.", "x".repeat(3000));
    let hidden = check(&server, Who::PlatformP, with(&long)).await;
    assert_eq!(hidden.verdict, BLOCK, "{hidden:?}");
    // Read both ways, a tag of an unknown name shows the name misspelt as
    // text (`Aur x elle`) and whole as a browser shows it: the name alone is
    // reported, a misspelling only where nothing stronger is.
    server
        .registry_as(Who::OwnerA)
        .create_brand(common::brand_named("aurelle", "Aurelle"))
        .await
        .expect("a brand");
    let written = cn_class_14_trademark(&server, Who::OwnerA, "aurelle", "AURELLE").await;
    let both = check_at(
        &server,
        Who::PlatformP,
        with("Brand: Aur</x>elle."),
        written,
    )
    .await;
    assert_eq!(both.verdict, BLOCK, "{both:?}");
    assert!(
        both.matches
            .iter()
            .all(|m| m.evidence == pb::Evidence::TextObfuscated as i32),
        "{both:?}"
    );
    // A compatibility phrase a browser hides makes no mention weak alone.
    let hidden_phrase = check(
        &server,
        Who::PlatformP,
        with("<template>case for</template> Alpha steel watch"),
    )
    .await;
    assert_eq!(hidden_phrase.verdict, BLOCK, "{hidden_phrase:?}");
    // Text a buyer, a screen reader or a search engine reads in a tag's
    // attributes (an image's `alt`, a `title`) is read, its span the
    // value as sent; and a name split by an element of zero size or
    // opacity is read whole.
    for (description, shown) in [
        (
            r#"Steel watch <img src="w.jpg" alt="Alpha watch">"#,
            "Alpha",
        ),
        (
            r#"<span title='Al&#112;ha'>Steel</span> watch"#,
            "Al&#112;ha",
        ),
        (
            r#"Brand: Al<i style="font-size:0">x</i>pha."#,
            r#"Al<i style="font-size:0">x</i>pha"#,
        ),
    ] {
        let found = check(&server, Who::PlatformP, with(description)).await;
        assert_eq!(found.verdict, BLOCK, "{description}: {found:?}");
        let m = &found.matches[0];
        assert_eq!(
            &description[m.start as usize..m.end as usize],
            shown,
            "{description}"
        );
    }
    // An attribute's text is read apart from the text a buyer reads: a
    // link's title splits no compatibility phrase from its name.
    let linked = check(
        &server,
        Who::PlatformP,
        with(r#"<p>Strap for <a href="/c/alpha" title="Shop all straps">Alpha</a> watches</p>"#),
    )
    .await;
    assert_eq!(linked.verdict, REVIEW, "{linked:?}");
    // Gradient text is shown (a transparent colour over a background
    // clipped to the text): its compatibility phrase stays.
    let gradient = check(
        &server,
        Who::PlatformP,
        with(r#"<span style="color:transparent;background-clip:text">Strap for</span> Alpha watches"#),
    )
    .await;
    assert_eq!(gradient.verdict, REVIEW, "{gradient:?}");
    // Brackets around a name are no tag: it is found as written.
    let bracketed = check(&server, Who::PlatformP, with("<Alpha> watch")).await;
    assert_eq!(bracketed.verdict, BLOCK);
    assert_eq!(
        (bracketed.matches[0].start, bracketed.matches[0].end),
        (1, 6)
    );
}

/// A name glued to an ordinary word in a hashtag is a mention (obfuscated,
/// its span the name); glued to a word elsewhere it is not, names being
/// matched as whole words.
#[tokio::test]
async fn a_name_in_a_hashtag_is_read() {
    let server = TestServer::start().await;
    let with = |description: &str| pb::Listing {
        description: description.into(),
        ..listing("stranger", "Steel watch")
    };
    let description = "New in! #AlphaWatch #steel";
    let tagged = check(&server, Who::PlatformP, with(description)).await;
    assert_eq!(tagged.verdict, BLOCK, "{tagged:?}");
    let m = &tagged.matches[0];
    assert_eq!(m.evidence, pb::Evidence::TextObfuscated as i32);
    assert_eq!(&description[m.start as usize..m.end as usize], "Alpha");
    let glued = check(&server, Who::PlatformP, with("New in! AlphaWatch")).await;
    assert_eq!(glued.verdict, ALLOW, "{glued:?}");
}

